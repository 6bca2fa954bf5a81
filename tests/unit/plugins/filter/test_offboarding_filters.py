# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""offboarding_roster: each leaver's options are the defaults, then the tenant's, then its own; a tenant host keeps its own."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.cipp.plugins.filter.offboarding import offboarding_roster

LEAVERS = [
    {'user': 'ann@contoso.com', 'tenant': 'contoso.com', 'options': {'remove_licenses': False, 'scheduled_at': '2031-01-01T00:00:00Z'},
     'reference': 'T-1'},
    {'user': 'bob@fabrikam.com', 'tenant': 'Fabrikam.com', 'options': {'reference': 'T-9'}},
    {'user': 'cy@contoso.com', 'tenant': 'contoso.com'},
]


def test_options_are_merged_in_order_and_grouped_by_tenant():
    roster = offboarding_roster(LEAVERS, {'disable_sign_in': True, 'remove_licenses': True}, {'hide_from_gal': True})
    assert [group['tenant'] for group in roster] == ['contoso.com', 'Fabrikam.com']
    assert roster[0]['leavers'] == [
        {'user': 'ann@contoso.com', 'disable_sign_in': True, 'remove_licenses': False, 'hide_from_gal': True,
         'scheduled_at': '2031-01-01T00:00:00Z', 'reference': 'T-1'},
        {'user': 'cy@contoso.com', 'disable_sign_in': True, 'remove_licenses': True, 'hide_from_gal': True}]
    assert roster[1]['leavers'] == [{'user': 'bob@fabrikam.com', 'disable_sign_in': True, 'remove_licenses': True,
                                     'hide_from_gal': True, 'reference': 'T-9'}]


def test_a_tenant_host_keeps_only_its_own_leavers():
    roster = offboarding_roster(LEAVERS, {}, {}, ['fabrikam.com', 'fabrikam.onmicrosoft.com', ''])
    assert [(group['tenant'], [leaver['user'] for leaver in group['leavers']]) for group in roster] == [('Fabrikam.com', ['bob@fabrikam.com'])]


def test_a_leaver_without_user_or_tenant_is_refused():
    with pytest.raises(AnsibleFilterError, match=r'offboarding_leavers\[1\] must be a dict with user and tenant'):
        offboarding_roster([LEAVERS[0], {'user': 'x@contoso.com'}])
