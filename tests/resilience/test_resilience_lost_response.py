# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A write CIPP applied but whose answer never arrived (the emulator runs the handler, then drops the
connection). The module must not send it again: it re-reads, sees the change, and reports success."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from resilience_utils import api_writes, control, licensed_members  # pylint: disable=import-error

TENANT = 'contoso.com'
NEW = 'lost.answer@contoso.com'
# Each write endpoint loses its first answer; every other call is answered normally.
LOST = ('AddUser', 'EditUser', 'EditGroup', 'ExecBulkLicense', 'ExecDisableUser', 'ExecPerUserMFA', 'ExecResetMFA',
        'ExecOffboardUser', 'RemoveUser')


def _people(emulator):
    tenant, members = licensed_members(emulator, TENANT)
    with emulator.state.lock:
        with_methods = [u for u in members if u.get('_mfaMethods')]
        mfa_user = next(u for u in members if str(u.get('_perUserMfa') or 'disabled').lower() != 'enforced')
        leaver = next(u for u in members if u not in (mfa_user, with_methods[0]))
        return tenant, mfa_user['userPrincipalName'], with_methods[0]['userPrincipalName'], leaver['userPrincipalName']


def _tasks(mfa_user, methods_user, leaver):
    def task(name, module, **args):
        return {'name': name, module: dict(args, tenant=TENANT), 'register': name.replace(' ', '_').lower()}
    return [
        task('Create user', 'msp.cipp.cipp_user', user_principal_name=NEW, display_name='Lost Answer', usage_location='GB'),
        task('Edit user', 'msp.cipp.cipp_user', user_principal_name=NEW, job_title='Recovered'),
        task('Join group', 'msp.cipp.cipp_user', user_principal_name=NEW, groups={'add': ['Engineering']}),
        task('Add licence', 'msp.cipp.cipp_user', user_principal_name=NEW, licenses={'add': ['EXCHANGESTANDARD']}),
        task('Disable user', 'msp.cipp.cipp_user', user_principal_name=NEW, account_enabled=False),
        task('Enforce MFA', 'msp.cipp.cipp_mfa', user=mfa_user, per_user_state='enforced'),
        task('Remove MFA methods', 'msp.cipp.cipp_mfa', user=methods_user, methods='absent'),
        task('Offboard', 'msp.cipp.cipp_offboard', user=leaver, disable_sign_in=True, hide_from_gal=True, poll_interval=1,
             wait_timeout=120),
        task('Delete user', 'msp.cipp.cipp_user', user_principal_name=NEW, state='absent'),
    ]


def test_a_lost_answer_is_never_followed_by_the_same_write(run_playbook, cipp_env, emulator):
    tenant, mfa_user, methods_user, leaver = _people(emulator)
    control(emulator, 'POST', 'faults', [{'endpoint': name, 'kind': 'lost_response', 'count': 1} for name in LOST])
    run = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'tasks': _tasks(mfa_user, methods_user, leaver)}], env=cipp_env)
    assert run.rc == 0, run.output
    statuses = dict((r['task'], r['status']) for r in run.results if not r['item'])
    assert set(statuses.values()) == {'changed'}, statuses

    log = run.emulator_log()
    writes = api_writes(log)
    for name in LOST:
        sent = [entry for entry in writes if entry['endpoint'] == name]
        assert len(sent) == 1, '%s was sent %d times: %s' % (name, len(sent), sent)
        assert sent[0]['applied'] and sent[0]['fault'] == 'lost_response', sent[0]
    assert len(writes) == len(LOST), [entry['endpoint'] for entry in writes]

    # Every change is there, made once.
    with emulator.state.lock:
        assert tenant.find_user(NEW) is None
        assert any(NEW in u['userPrincipalName'].lower() for u in tenant.deleted.values())  # Entra prefixes the id
        assert str(tenant.find_user(mfa_user).get('_perUserMfa')).lower() == 'enforced'
        assert not tenant.find_user(methods_user).get('_mfaMethods')
        assert tenant.find_user(leaver)['accountEnabled'] is False
    jobs = [t for t in emulator.state.scheduled_tasks.values() if leaver.lower() in str(t.get('Name', '')).lower()]
    assert len(jobs) == 1, jobs
    create = run.result('Create user')
    assert any('answer was lost' in warning for warning in create.get('warnings') or []), create


def test_a_lost_answer_on_mailbox_permissions_and_mobile_devices_is_not_resent(run_playbook, cipp_env, emulator):
    tenant, members = licensed_members(emulator, TENANT)
    with emulator.state.lock:
        owner = next(u for u in members if tenant.mobile_devices.get(u['id']))
        devices = len(tenant.mobile_devices[owner['id']])
        shared = next(m for m in tenant.mailboxes.values() if m['RecipientTypeDetails'] == 'SharedMailbox')
        trustee = next(u for u in members if u['userPrincipalName'] not in shared['SendOnBehalf'])['userPrincipalName']
    lost = ('ExecEditMailboxPermissions', 'ExecMailboxMobileDevices')
    control(emulator, 'POST', 'faults', [{'endpoint': name, 'kind': 'lost_response', 'count': 1} for name in lost])
    tasks = [
        {'name': 'Grant', 'msp.cipp.cipp_mailbox_permission': {'tenant': TENANT, 'mailbox': 'info@%s' % TENANT, 'trustees': [trustee],
                                                               'rights': ['send_on_behalf']}},
        {'name': 'Devices', 'msp.cipp.cipp_mailbox': {'tenant': TENANT, 'user': owner['userPrincipalName'],
                                                      'mobile_devices': {'remove_all': True}}},
    ]
    run = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], env=cipp_env)
    assert run.rc == 0, run.output
    assert run.status('Grant') == run.status('Devices') == 'changed'
    writes = api_writes(run.emulator_log())
    assert [e['endpoint'] for e in writes] == ['ExecEditMailboxPermissions'] + ['ExecMailboxMobileDevices'] * devices
    assert writes[0]['fault'] == writes[1]['fault'] == 'lost_response' and all(e['applied'] for e in writes)
    with emulator.state.lock:
        assert trustee in shared['SendOnBehalf'] and tenant.mobile_devices[owner['id']] == []
