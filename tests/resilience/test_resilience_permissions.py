# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A readonly API client attempting every kind of write: a clear permission error naming the endpoint, and
nothing applied. (ExecSendPush is left out on purpose: CIPP files it under Identity.User.Read, so a readonly
client may send a push; see the emulator's handlers_security.py.)"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from emulator_env import cipp_environment  # pylint: disable=import-error
from resilience_utils import api_writes, applied_writes, control  # pylint: disable=import-error

TENANT = 'contoso.com'


def _existing(emulator):
    with emulator.state.lock:
        tenant = next(t for t in emulator.state.tenants.values() if t.default_domain == TENANT)
        users = sorted((u for u in tenant.users.values() if u.get('accountEnabled') and u.get('assignedLicenses')
                        and not u.get('_isAdmin') and not u.get('onPremisesSyncEnabled')), key=lambda u: u['userPrincipalName'])
        user = next(u for u in users if any(u['id'] in g['_members'] and g['_kind'] == 'security' and not g.get('membershipRule')
                                            for g in tenant.groups.values()))
        group = next(g['displayName'] for g in tenant.groups.values()
                     if user['id'] in g['_members'] and g['_kind'] == 'security' and not g.get('membershipRule'))
        other = next(u for u in users if u is not user)
        # Removing what the user holds is a change whatever else the seed gives them.
        return user['userPrincipalName'], other['userPrincipalName'], user['assignedLicenses'][0]['skuId'], group


def _attempts(upn, other, sku, group):
    """(task name, module, args, the write endpoint CIPP must refuse)."""
    return [
        ('Create a user', 'cipp_user', {'user_principal_name': 'refused@contoso.com', 'display_name': 'Refused'}, 'AddUser'),
        ('Edit a user', 'cipp_user', {'user_principal_name': upn, 'job_title': 'Never Applied'}, 'EditUser'),
        ('Disable a user', 'cipp_user', {'user_principal_name': upn, 'account_enabled': False}, 'ExecDisableUser'),
        ('Change licences', 'cipp_user', {'user_principal_name': upn, 'licenses': {'remove': [sku]}}, 'ExecBulkLicense'),
        ('Change groups', 'cipp_user', {'user_principal_name': upn, 'groups': {'remove': [group]}}, 'EditGroup'),
        ('Delete a user', 'cipp_user', {'user_principal_name': upn, 'state': 'absent'}, 'RemoveUser'),
        ('Per-user MFA', 'cipp_mfa', {'user': upn, 'per_user_state': 'enforced'}, 'ExecPerUserMFA'),
        ('Remove MFA methods', 'cipp_mfa', {'user': upn, 'methods': 'absent'}, 'ExecResetMFA'),
        ('Temporary Access Pass', 'cipp_mfa', {'user': upn, 'temporary_access_pass': {'lifetime_minutes': 60}}, 'ExecCreateTAP'),
        ('Offboard', 'cipp_offboard', {'user': other, 'disable_sign_in': True, 'wait': False}, 'ExecOffboardUser'),
        ('Hide from the GAL', 'cipp_mailbox', {'user': upn, 'hidden_from_gal': True}, 'ExecHideFromGAL'),
        # Nobody holds SendOnBehalf on the seed's shared mailbox.
        ('Grant mailbox access', 'cipp_mailbox_permission', {'mailbox': 'info@contoso.com', 'trustees': [upn], 'rights': ['send_on_behalf']},
         'ExecEditMailboxPermissions'),
        ('Revoke sessions', 'cipp_user_action', {'user': upn, 'action': 'revoke_sessions'}, 'ExecRevokeSessions'),
        ('Reset the password', 'cipp_user_action', {'user': upn, 'action': 'reset_password'}, 'ExecResetPass'),
        ('BEC containment', 'cipp_bec', {'user': upn, 'steps': ['disable_sign_in']}, 'ExecDisableUser'),
    ]


def test_a_readonly_client_is_refused_every_write(run_playbook, cipp_env, emulator):
    attempts = _attempts(*_existing(emulator))
    readonly = dict(cipp_env)
    readonly.update(cipp_environment(emulator.url, cipp_env['CIPP_TOKEN_CACHE'] + '-readonly', role='readonly'))
    tasks = [{'name': name, 'msp.cipp.%s' % module: dict(args, tenant=TENANT), 'ignore_errors': True}
             for name, module, args, _endpoint in attempts]
    before = control(emulator, 'GET', 'state')
    run = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], env=readonly)
    assert run.rc == 0, run.output  # every failure was ignored, nothing else went wrong

    for name, _module, _args, endpoint in attempts:
        result = run.result(name)
        assert run.status(name) == 'failed', (name, result)
        message = result['msg']
        assert 'permission' in message and endpoint in message and 'readonly' in message, (name, message)
        # ansible-core 2.19 adds "exception": "(traceback unavailable)" to any failed result; a crash would carry one.
        assert 'Traceback' not in message + str(result.get('exception', '')), (name, result)

    log = run.emulator_log()
    assert applied_writes(log) == []
    assert api_writes(log) and all(entry['status'] == 403 for entry in api_writes(log))
    after = control(emulator, 'GET', 'state')
    assert after['tenants'] == before['tenants'] and after['scheduled_tasks'] == before['scheduled_tasks']
