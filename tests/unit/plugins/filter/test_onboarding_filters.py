# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The onboarding role's roster logic: template, validation before anybody is created, credential hand-over."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.msp.cipp.plugins.filter.onboarding import (
    csv_records, onboarding_entries, onboarding_problems, onboarding_roster,
)
from ansible_collections.msp.cipp.plugins.filter.reports import mfa_csv

SPB = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46'
TENANT = {
    'domains_list': [{'id': 'contoso.com'}, {'id': 'contoso.onmicrosoft.com'}],
    'licenses': [{'skuId': SPB, 'skuPartNumber': 'SPB', 'License': 'Microsoft 365 Business Premium', 'seats_available': 2}],
}
TEMPLATE = {'domain': 'contoso.com', 'usage_location': 'US', 'licenses': ['SPB'], 'groups': ['All Staff'], 'company_name': 'Contoso'}


def test_csv_rows_become_hires_with_list_fields_split():
    text = 'username,given_name,surname,groups,licenses\njdoe,Jane,Doe,Finance;Sales,\n\nbsmith,Bob,,,SPB\n'
    assert csv_records(text) == [
        {'username': 'jdoe', 'given_name': 'Jane', 'surname': 'Doe', 'groups': ['Finance', 'Sales']},
        {'username': 'bsmith', 'given_name': 'Bob', 'licenses': ['SPB']},
    ]


def test_the_template_fills_in_and_the_hire_wins():
    roster = onboarding_roster([{'username': 'jdoe', 'groups': ['Finance', 'all staff'], 'company_name': 'Contoso Ltd'}], TEMPLATE)
    assert roster == [{'user_principal_name': 'jdoe@contoso.com', 'usage_location': 'US', 'company_name': 'Contoso Ltd',
                       'licenses': ['SPB'], 'groups': ['All Staff', 'Finance']}]


def test_a_hire_without_upn_or_username_is_refused():
    with pytest.raises(AnsibleFilterError, match=r'onboarding_hires\[0\]'):
        onboarding_roster([{'given_name': 'Nobody'}], {})


def test_a_good_roster_has_no_problems():
    roster = onboarding_roster([{'username': 'a'}, {'username': 'b'}], TEMPLATE)
    assert onboarding_problems(roster, TENANT, [], [{'id': 'g1', 'displayName': 'All Staff'}]) == []


def test_every_problem_is_reported_before_anybody_is_created():
    roster = onboarding_roster([{'user_principal_name': 'x@fabrikam.com'}, {'username': 'a'}, {'username': 'a'},
                                {'username': 'b', 'licenses': ['E5'], 'groups': ['Ghosts']}], TEMPLATE)
    problems = onboarding_problems(roster, TENANT, [], [{'id': 'g1', 'displayName': 'All Staff'}])
    assert any('fabrikam.com is not a domain' in p for p in problems)
    assert any('a@contoso.com is in the roster twice' in p for p in problems)
    assert any('no licence E5' in p for p in problems)
    assert any('no group Ghosts' in p for p in problems)
    assert any('SPB: 4 new assignments but only 2 free seats' in p for p in problems)


def test_hires_who_already_hold_the_licence_need_no_seat():
    roster = onboarding_roster([{'username': 'a'}, {'username': 'b'}, {'username': 'c'}], TEMPLATE)
    existing = [{'userPrincipalName': 'A@contoso.com', 'usageLocation': 'US', 'assignedLicenses': [{'skuId': SPB}]}]
    assert onboarding_problems(roster, TENANT, existing) == []


def test_licences_need_a_usage_location():
    roster = onboarding_roster([{'username': 'a'}], dict(TEMPLATE, usage_location=None))
    assert onboarding_problems(roster, TENANT, []) == ['a@contoso.com: licences need a usage location; set usage_location']


def test_roster_hires_become_cipp_users_entries_that_add_licences_and_groups():
    roster = onboarding_roster([{'username': 'a', 'groups': ['Finance']}, {'username': 'b'}], dict(TEMPLATE, groups=[]))
    assert onboarding_entries(roster) == [
        {'user_principal_name': 'a@contoso.com', 'usage_location': 'US', 'company_name': 'Contoso',
         'licenses': {'add': ['SPB']}, 'groups': {'add': ['Finance']}},
        {'user_principal_name': 'b@contoso.com', 'usage_location': 'US', 'company_name': 'Contoso', 'licenses': {'add': ['SPB']}},
    ]


def test_groups_that_cannot_take_members_are_named_once_before_anybody_is_created():
    roster = onboarding_roster([{'username': 'a'}, {'username': 'b', 'groups': ['HQ Sync']}], TEMPLATE)
    groups = [{'id': 'g1', 'displayName': 'All Staff', 'groupTypes': ['DynamicMembership'], 'membershipRule': 'user.accountEnabled -eq true'},
              {'id': 'g2', 'displayName': 'HQ Sync', 'onPremisesSyncEnabled': True}]
    problems = onboarding_problems(roster, TENANT, [], groups)
    assert problems == ['group All Staff has dynamic membership (its rule decides who is a member); members cannot be added '
                        '(wanted for a@contoso.com, b@contoso.com)',
                        'group HQ Sync is synced from on-premises AD (change its members there); members cannot be added '
                        '(wanted for b@contoso.com)']


def test_the_mfa_csv_keeps_unknown_apart():
    text = mfa_csv([{'tenant': 't', 'user_principal_name': 'u@t', 'registration': 'unknown', 'gap': None, 'methods': ['a', 'b'],
                     'is_admin': True}])
    header, line = text.strip().split('\n')
    assert header.startswith('tenant,user_principal_name')
    assert line.split(',')[-1] == 'unknown' and 'a;b' in line and ',yes,' in line
