# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A compromised or departing admin loses its directory roles (cipp_bec step, cipp_offboard option), verified by
re-reading memberOf; offboarding options can name the leaver's manager, and the leaver's direct reports are recorded."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from test_user_lifecycle import writes  # pylint: disable=import-error

TENANT = 'contoso.com'


def _tenant(emulator):
    return next(t for t in emulator.state.tenants.values() if t.default_domain == TENANT)


def _exchange_admin(emulator):
    """The tenant's Exchange Administrator: a member with a mailbox and a manager, holding exactly that role."""
    tenant = _tenant(emulator)
    role = next(r for r in tenant.roles.values() if r['displayName'] == 'Exchange Administrator')
    user = tenant.users[role['_members'][0]]
    assert [r['displayName'] for r in tenant.roles.values() if user['id'] in r['_members']] == ['Exchange Administrator']
    assert user['id'] in tenant.mailboxes and user.get('_managerId')
    return tenant, role, user


def _task(name, module, args):
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [{'name': name, module: args, 'register': 'out'}]}]


def _contain(upn):
    return _task('Contain', 'msp.cipp.cipp_bec', {'tenant': TENANT, 'user': upn, 'steps': ['disable_sign_in', 'remove_admin_roles']})


def test_bec_step_removes_the_admin_role_verified_and_a_rerun_writes_nothing(run_playbook, cipp_env, emulator):
    _tenant_state, role, user = _exchange_admin(emulator)
    preview = run_playbook(_contain(user['userPrincipalName']), env=cipp_env, check=True)
    assert preview.rc == 0, preview.output
    planned = dict((step['step'], step) for step in preview.result('Contain')['steps'])
    assert planned['remove_admin_roles']['state'] == 'planned'
    assert planned['remove_admin_roles']['removed_roles'] == ['Exchange Administrator']
    assert writes(preview.emulator_log()) == [] and user['id'] in role['_members']

    run = run_playbook(_contain(user['userPrincipalName']), env=cipp_env)
    assert run.rc == 0, run.output
    steps = dict((step['step'], step) for step in run.result('Contain')['steps'])
    assert steps['remove_admin_roles']['state'] == 'done' and steps['remove_admin_roles']['removed_roles'] == ['Exchange Administrator']
    assert user['id'] not in role['_members']
    sent = writes(run.emulator_log())
    assert [entry['endpoint'] for entry in sent] == ['ExecDisableUser', 'ExecRemoveAdminRole']
    # The directoryRole instance id memberOf lists, and the user by object id (CIPP pastes it into the Graph URL).
    assert sent[1]['params']['RoleId'] == role['id'] and sent[1]['params']['Users'][0]['value'] == user['id']

    before = len(run.emulator_log())
    again = run_playbook(_contain(user['userPrincipalName']), env=cipp_env)
    assert again.rc == 0, again.output
    assert again.result('Contain')['changed'] is False
    assert writes(again.emulator_log()[before:]) == []


def test_bec_default_steps_leave_admin_roles_alone(run_playbook, cipp_env, emulator):
    _tenant_state, role, user = _exchange_admin(emulator)
    run = run_playbook(_task('Contain', 'msp.cipp.cipp_bec', {'tenant': TENANT, 'user': user['userPrincipalName']}), env=cipp_env)
    assert run.rc == 0, run.output
    assert 'remove_admin_roles' not in [step['step'] for step in run.result('Contain')['steps']]
    assert user['id'] in role['_members']
    assert 'ExecRemoveAdminRole' not in [entry['endpoint'] for entry in writes(run.emulator_log())]


def test_a_failed_role_removal_fails_the_task_with_cipps_text(run_playbook, cipp_env, emulator):
    """Graph refuses the DELETE (the role memberOf lists is not found under its id): CIPP answers HTTP 500 with its text,
    the task fails naming the endpoint, the status and that text."""
    tenant, role, user = _exchange_admin(emulator)
    with emulator.state.lock:
        tenant.roles['eeeeeeee-0000-0000-0000-000000000000'] = tenant.roles.pop(role['id'].lower())
    run = run_playbook(_contain(user['userPrincipalName']), env=cipp_env)
    assert run.rc != 0
    message = run.result('Contain')['msg']
    assert 'ExecRemoveAdminRole' in message and '500' in message and 'Failed to remove' in message, message
    assert 'Traceback' not in run.output


def _offboard(upn, evidence=None, **options):
    args = dict({'tenant': TENANT, 'user': upn, 'disable_sign_in': True, 'poll_interval': 1, 'wait_timeout': 120}, **options)
    if evidence:
        args['evidence_path'] = evidence
    return _task('Offboard', 'msp.cipp.cipp_offboard', args)


def test_offboarding_removes_admin_roles_first_and_forwards_to_the_manager(run_playbook, cipp_env, emulator, tmp_path):
    tenant, role, user = _exchange_admin(emulator)
    manager = tenant.users[user['_managerId']]
    reports = sorted(u['userPrincipalName'] for u in tenant.users.values() if u.get('_managerId') == user['id'])
    play = _offboard(user['userPrincipalName'], str(tmp_path / 'leaver.json'), remove_admin_roles=True, forward_to='manager',
                     mailbox_access=[{'user': 'manager', 'automap': False}])

    preview = run_playbook(play, env=cipp_env, check=True, diff=True)
    assert preview.rc == 0, preview.output
    planned = preview.result('Offboard')
    assert planned['plan'][0] == {'step': 'remove_admin_roles', 'needed': True, 'reason': 'holds Exchange Administrator'}
    assert planned['admin_roles'] == {'before': ['Exchange Administrator'], 'removed': ['Exchange Administrator']}
    assert planned['diff']['before']['admin_roles'] == ['Exchange Administrator'] and planned['diff']['after']['admin_roles'] == []
    assert planned['manager'] == manager['userPrincipalName']
    assert planned['request']['forward']['value'] == manager['userPrincipalName']
    assert writes(preview.emulator_log()) == [] and user['id'] in role['_members']

    run = run_playbook(play, env=cipp_env)
    assert run.rc == 0, run.output
    result = run.result('Offboard')
    sent = writes(run.emulator_log())
    # The role goes at once, before CIPP's job is even queued.
    assert [entry['endpoint'] for entry in sent] == ['ExecRemoveAdminRole', 'ExecOffboardUser']
    assert user['id'] not in role['_members']
    assert sent[1]['params']['forward'] == {'value': manager['userPrincipalName'], 'label': manager['userPrincipalName']}
    assert sent[1]['params']['AccessNoAutomap'] == [{'value': manager['userPrincipalName'], 'label': manager['userPrincipalName']}]
    states = dict((step['step'], step['state']) for step in result['steps'])
    assert states['remove_admin_roles'] == 'done' and states['forward_to'] == 'done'
    assert sorted(r['userPrincipalName'] for r in result['direct_reports']) == reports
    with open(result['evidence']['path']) as handle:
        evidence = json.load(handle)
    assert [r['name'] for r in evidence['admin_roles']] == ['Exchange Administrator']
    assert sorted(r['userPrincipalName'] for r in evidence['direct_reports']) == reports

    before = len(run.emulator_log())
    again = run_playbook(play, env=cipp_env)
    assert again.rc == 0, again.output
    rerun = again.result('Offboard')
    assert rerun['changed'] is False and writes(again.emulator_log()[before:]) == []
    assert rerun['steps'] == [{'step': 'remove_admin_roles', 'state': 'skipped (already done)'}]


def test_manager_without_one_and_scheduled_role_removal_fail_before_any_write(run_playbook, cipp_env, emulator):
    tenant, _role, user = _exchange_admin(emulator)
    scheduled = run_playbook(_offboard(user['userPrincipalName'], remove_admin_roles=True, scheduled_at='2031-01-15T17:00:00Z'),
                             env=cipp_env)
    assert scheduled.rc != 0 and 'remove_admin_roles cannot be scheduled' in scheduled.result('Offboard')['msg']
    assert writes(scheduled.emulator_log()) == []

    with emulator.state.lock:
        tenant.users[user['id']]['_managerId'] = None
    orphan = run_playbook(_offboard(user['userPrincipalName'], onedrive_access=['manager']), env=cipp_env)
    assert orphan.rc != 0
    message = orphan.result('Offboard')['msg']
    assert 'onedrive_access' in message and 'has no manager' in message, message
    assert writes(orphan.emulator_log()) == []
