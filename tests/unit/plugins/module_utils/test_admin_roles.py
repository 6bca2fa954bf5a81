# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Taking a user's directory roles away: one call per role, a lost answer settled by re-reading, never sent twice;
and the offboarding options that name the leaver's manager."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.msp.cipp.plugins.module_utils._admin_roles import remove_admin_roles
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippWriteUncertainError
from ansible_collections.msp.cipp.plugins.module_utils._offboarding import uses_manager, validate, with_manager

USER = {'id': 'u1', 'userPrincipalName': 'ann@contoso.com'}
ROLES = [{'id': 'r1', 'name': 'Exchange Administrator', 'role_template_id': 't1'},
         {'id': 'r2', 'name': 'User Administrator', 'role_template_id': 't2'}]


class FakeClient(object):
    """Serves memberOf from ``held`` and removes a role on ExecRemoveAdminRole; ``lose`` loses that many answers
    (after the change was made, as a timeout after CIPP's DELETE would)."""
    check_mode = False
    max_retries = 2

    def __init__(self, held, lose=0):
        self.held, self.lose, self.sent = list(held), lose, []

    def call(self, endpoint, params=None, tenant=None, check_results=True):
        assert endpoint == 'ListGraphRequest' and params['Endpoint'] == 'users/u1/memberOf'
        return {'Results': [{'@odata.type': '#microsoft.graph.directoryRole', 'id': r['id'], 'displayName': r['name'],
                             'roleTemplateId': r['role_template_id']} for r in self.held]}

    def write(self, endpoint, params=None, tenant=None, check_results=True):
        self.sent.append((endpoint, params['RoleId']))
        self.held = [role for role in self.held if role['id'] != params['RoleId']]
        if self.lose:
            self.lose -= 1
            raise CippWriteUncertainError('no answer', endpoint)
        return {'Results': ['Successfully removed']}

    def pause(self, attempt):
        pass


def test_every_held_role_is_removed_once_and_checked():
    client = FakeClient(ROLES)
    outcome = remove_admin_roles(client, 'contoso.com', USER)
    assert outcome == {'changed': True, 'before': ['Exchange Administrator', 'User Administrator'], 'after': [],
                       'removed': ['Exchange Administrator', 'User Administrator']}
    assert client.sent == [('ExecRemoveAdminRole', 'r1'), ('ExecRemoveAdminRole', 'r2')]


def test_a_lost_answer_is_settled_by_the_re_read_and_not_sent_again():
    client = FakeClient(ROLES[:1], lose=1)
    assert remove_admin_roles(client, 'contoso.com', USER)['removed'] == ['Exchange Administrator']
    assert client.sent == [('ExecRemoveAdminRole', 'r1')]


def test_no_role_no_write():
    client = FakeClient([])
    assert remove_admin_roles(client, 'contoso.com', USER) == {'changed': False, 'before': [], 'after': [], 'removed': []}
    assert client.sent == []


def test_manager_stands_for_the_managers_name_in_every_recipient_option():
    params = {'forward_to': 'manager', 'onedrive_access': ['manager', 'it@contoso.com'],
              'mailbox_access': [{'user': 'manager', 'automap': False}]}
    assert uses_manager(params) and not uses_manager({'forward_to': 'boss@contoso.com'})
    resolved = with_manager(params, 'boss@contoso.com')
    assert resolved == {'forward_to': 'boss@contoso.com', 'onedrive_access': ['boss@contoso.com', 'it@contoso.com'],
                        'mailbox_access': [{'user': 'boss@contoso.com', 'automap': False}]}
    assert params['forward_to'] == 'manager'  # the caller's options are left as they were


@pytest.mark.parametrize('options, message', [
    ({'forward_to': 'the manager'}, 'forward_to must be one user principal name or e-mail address'),
    ({'onedrive_access': ['Manager']}, 'onedrive_access entries must be user principal names'),
    ({'remove_admin_roles': True, 'scheduled_at': '2031-01-01T00:00:00Z'}, 'remove_admin_roles cannot be scheduled'),
])
def test_bad_offboarding_options_are_refused_naming_them(options, message):
    params = dict({'tenant': 'contoso.com', 'user': 'ann@contoso.com', 'state': 'present', 'disable_sign_in': True}, **options)
    with pytest.raises(CippConfigError, match=message):
        validate(params)


def test_remove_admin_roles_alone_is_a_step():
    validate({'tenant': 'contoso.com', 'user': 'ann@contoso.com', 'state': 'present', 'remove_admin_roles': True})
