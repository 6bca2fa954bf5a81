# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offboarding through cipp_offboard against the emulator's queued, asynchronous CIPP offboarding jobs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import urllib.request

from test_user_lifecycle import writes  # pylint: disable=import-error

TENANT = 'contoso.com'
OPTIONS = {'convert_to_shared': True, 'remove_licenses': True, 'remove_groups': True, 'revoke_sessions': True,
           'disable_sign_in': True, 'keep_copy': True, 'poll_interval': 1, 'wait_timeout': 120}


def _people(emulator):
    tenant = next(t for t in emulator.state.tenants.values() if t.default_domain == TENANT)
    leavers = [u for u in tenant.users.values() if u['assignedLicenses'] and not u.get('_isAdmin') and not u.get('_compromised')
               and not u.get('onPremisesSyncEnabled') and u['userType'] == 'Member' and u['id'] in tenant.mailboxes
               and u['accountEnabled'] and tenant.mailboxes[u['id']].get('RecipientTypeDetails') == 'UserMailbox']
    manager = next(u for u in tenant.users.values() if u.get('_isAdmin') and u['userType'] == 'Member')
    return tenant, leavers, manager


def _play(upn, manager, **extra):
    args = dict(OPTIONS, tenant=TENANT, user=upn, forward_to=manager)
    args.update(extra)
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Offboard', 'msp.cipp.cipp_offboard': args, 'register': 'offboarding'}]}]


def _control(emulator, path, body):
    request = urllib.request.Request('%s/_emulator/%s' % (emulator.url, path), data=json.dumps(body).encode(), method='POST',
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b'{}')


def test_offboarding_completes_verified_and_a_rerun_changes_nothing(run_playbook, cipp_env, emulator):
    tenant, leavers, manager = _people(emulator)
    leaver = leavers[0]
    first = run_playbook(_play(leaver['userPrincipalName'], manager['userPrincipalName']), env=cipp_env)
    assert first.rc == 0, first.output
    result = first.result('Offboard')
    assert result['changed'] is True
    states = dict((step['step'], step['state']) for step in result['steps'])
    assert states == {'revoke_sessions': 'done', 'disable_sign_in': 'done', 'remove_groups': 'done', 'forward_to': 'done',
                      'convert_to_shared': 'done', 'remove_licenses': 'scheduled by CIPP (separate task)'}, states
    user, mailbox = tenant.users[leaver['id']], tenant.mailboxes[leaver['id']]
    assert user['accountEnabled'] is False and mailbox['RecipientTypeDetails'] == 'SharedMailbox'
    assert not [g for g in tenant.groups.values() if leaver['id'] in g['_members'] and 'DynamicMembership' not in g['groupTypes']]
    assert [entry['endpoint'] for entry in writes(first.emulator_log())] == ['ExecOffboardUser']

    before = len(first.emulator_log())
    second = run_playbook(_play(leaver['userPrincipalName'], manager['userPrincipalName']), env=cipp_env)
    assert second.rc == 0, second.output
    assert second.result('Offboard')['changed'] is False
    assert writes(second.emulator_log()[before:]) == []


def test_no_second_job_while_one_is_planned(run_playbook, cipp_env, emulator):
    _tenant, leavers, manager = _people(emulator)
    upn = leavers[1]['userPrincipalName']
    _control(emulator, 'scheduler/config', {'lazy': False})
    try:
        first = run_playbook(_play(upn, manager['userPrincipalName'], wait=False), env=cipp_env)
        assert first.rc == 0, first.output
        assert first.result('Offboard')['job']['state'] == 'Planned'
        second = run_playbook(_play(upn, manager['userPrincipalName'], wait=False), env=cipp_env)
        assert second.rc == 0, second.output
        assert 'already Planned' in second.result('Offboard')['msg']
        assert [entry['endpoint'] for entry in writes(second.emulator_log())] == ['ExecOffboardUser']
    finally:
        _control(emulator, 'scheduler/config', {'lazy': True})


def test_a_failed_step_fails_the_task_and_the_rerun_queues_only_that_step(run_playbook, cipp_env, emulator):
    _tenant, leavers, manager = _people(emulator)
    upn = leavers[2]['userPrincipalName']
    _control(emulator, 'step-failure', {'tenant': TENANT, 'upn': upn, 'step': 'ConvertToShared',
                                        'message': 'The mailbox is on litigation hold.'})
    first = run_playbook(_play(upn, manager['userPrincipalName']), env=cipp_env)
    assert first.rc != 0
    failure = first.result('Offboard')
    assert 'convert_to_shared' in failure['msg'] and 'litigation hold' in failure['msg']

    request = urllib.request.Request('%s/_emulator/step-failure' % emulator.url, method='DELETE')
    urllib.request.urlopen(request, timeout=10).close()
    before = len(first.emulator_log())
    second = run_playbook(_play(upn, manager['userPrincipalName']), env=cipp_env)
    assert second.rc == 0, second.output
    sent = writes(second.emulator_log()[before:])
    assert [entry['endpoint'] for entry in sent] == ['ExecOffboardUser']
    options = dict((key, value) for key, value in sent[0]['params'].items() if key not in ('tenantFilter', 'user'))
    assert options == {'ConvertToShared': True}, options


def test_check_mode_queues_nothing_and_shows_the_plan(run_playbook, cipp_env, emulator):
    _tenant, leavers, manager = _people(emulator)
    run = run_playbook(_play(leavers[3]['userPrincipalName'], manager['userPrincipalName']), env=cipp_env, check=True, diff=True)
    assert run.rc == 0, run.output
    result = run.result('Offboard')
    assert result['changed'] is True and all(step['needed'] for step in result['plan'])
    assert result['request']['ConvertToShared'] is True and result['request']['forward'] == {
        'value': manager['userPrincipalName'], 'label': manager['userPrincipalName']}
    assert writes(run.emulator_log()) == []
    assert result['diff']['after']['account_enabled'] is False


def _read_all(folder):
    contents = {}
    for name in os.listdir(folder):
        with open(os.path.join(folder, name)) as handle:
            contents[name] = handle.read()
    return contents


def test_the_offboarding_role_handles_leavers_across_tenant_hosts(run_playbook, cipp_env, emulator, tmp_path):
    tenants = sorted(emulator.state.tenants.values(), key=lambda t: t.default_domain)[:2]
    inventory = {'all': {'children': {'cipp_tenants': {'hosts': dict(
        (t.default_domain, {'ansible_connection': 'local', 'cipp_tenant_id': t.customer_id, 'cipp_default_domain': t.default_domain,
                            'cipp_initial_domain': t.row['initialDomainName']}) for t in tenants)}}}}
    leavers, admins = [], []
    for tenant in tenants:
        role_holders = set(member for role in tenant.roles.values() for member in role['_members'])
        people = [u for u in tenant.users.values() if u['userType'] == 'Member' and not u.get('_isAdmin') and not u.get('_compromised')
                  and not u.get('onPremisesSyncEnabled') and u['accountEnabled'] and u['id'] in tenant.mailboxes
                  and u['id'] not in role_holders]  # the role refuses anyone with a directory role
        leavers.append({'user': people[0]['userPrincipalName'], 'tenant': tenant.default_domain, 'reference': 'T-1'})
        admins.append(next(u for u in tenant.users.values() if u.get('_isAdmin') and u['userType'] == 'Member'))
    evidence = str(tmp_path / 'evidence')
    play = [{'hosts': 'cipp_tenants', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.offboarding', 'vars': {
        'offboarding_leavers': leavers, 'offboarding_evidence_dir': evidence, 'offboarding_poll_interval': 1,
        'offboarding_defaults': {'revoke_sessions': True, 'disable_sign_in': True, 'hide_from_gal': True}}}]}]
    run = run_playbook(play, env=cipp_env, inventory=inventory, forks=2)
    assert run.rc == 0, run.output
    for tenant, leaver in zip(tenants, leavers):
        user = tenant.find_user(leaver['user'])
        assert user['accountEnabled'] is False
        for suffix in ('-audit.json', '-offboarding-evidence.json', '-offboarding-evidence.json.sha256', '-offboarding.md'):
            with open('%s/%s%s' % (evidence, leaver['user'], suffix)) as handle:
                assert handle.read()
    # Each leaver was offboarded by its own tenant host, once.
    offboard_calls = [entry for entry in writes(run.emulator_log()) if entry['endpoint'] == 'ExecOffboardUser']
    assert sorted(entry['tenant'] for entry in offboard_calls) == sorted(t.default_domain for t in tenants)
    evidence_files = _read_all(evidence)
    before = len(run.emulator_log())
    again = run_playbook(play, env=cipp_env, inventory=inventory, forks=2)
    assert again.rc == 0, again.output
    assert writes(again.emulator_log()[before:]) == []
    # Nothing changed, not even a file: the audit snapshot still shows the state before offboarding.
    assert [(r['host'], r['task']) for r in again.results if r['status'] == 'changed'] == []
    assert _read_all(evidence) == evidence_files

    refused = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.offboarding', 'vars': {
        'offboarding_leavers': [{'user': admins[0]['userPrincipalName'], 'tenant': tenants[0].default_domain}],
        'offboarding_evidence_dir': evidence}}]}], env=cipp_env)
    assert refused.rc != 0 and 'holds an admin role' in refused.stdout


def test_a_scheduled_offboarding_is_found_not_duplicated_and_can_be_cancelled(run_playbook, cipp_env, emulator):
    _tenant, leavers, manager = _people(emulator)
    upn = leavers[4]['userPrincipalName']
    when = '2031-01-15T17:00:00Z'
    schedule = _play(upn, manager['userPrincipalName'], scheduled_at=when, notify=['email', 'psa'], reference='TICKET-9')
    first = run_playbook(schedule, env=cipp_env)
    assert first.rc == 0, first.output
    job = first.result('Offboard')['job']
    assert job['state'] == 'Planned' and job['reference'] == 'TICKET-9'
    sent = writes(first.emulator_log())
    assert [entry['endpoint'] for entry in sent] == ['ExecOffboardUser']
    assert sent[0]['params']['Scheduled'] == {'enabled': True, 'date': 1926262800}  # 2031-01-15T17:00:00Z

    before = len(first.emulator_log())
    again = run_playbook(schedule, env=cipp_env)
    assert again.rc == 0, again.output
    assert again.result('Offboard')['changed'] is False and writes(again.emulator_log()[before:]) == []

    cancel = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [{'name': 'Cancel', 'msp.cipp.cipp_offboard': {
        'tenant': TENANT, 'user': upn, 'state': 'absent'}}]}]
    cancelled = run_playbook(cancel, env=cipp_env)
    assert cancelled.rc == 0, cancelled.output
    assert [c['id'] for c in cancelled.result('Cancel')['cancelled']] == [job['id']]
    assert [entry['endpoint'] for entry in writes(cancelled.emulator_log()[before:])] == ['RemoveScheduledItem']
    assert run_playbook(cancel, env=cipp_env).result('Cancel')['changed'] is False


def test_rights_on_other_mailboxes_and_mobile_devices_are_read_removed_and_verified(run_playbook, cipp_env, emulator):
    """remove_mailbox_permissions and remove_mobile_devices are CIPP one-shot steps, but their effect can be read: the
    plan reads the leaver's rights (CIPP's permission report, ByUser) and devices, the job removes them, the rights are
    checked live on each mailbox and the devices listed again; a re-run finds nothing to do and writes nothing."""
    tenant, leavers, _manager = _people(emulator)
    leaver = next(u for u in leavers if tenant.mobile_devices.get(u['id']))
    shared = next(uid for uid, box in tenant.mailboxes.items() if box.get('RecipientTypeDetails') == 'SharedMailbox')
    with emulator.state.lock:
        tenant.mailboxes[shared]['Permissions'].append({'User': leaver['userPrincipalName'], 'AccessRights': 'FullAccess', '_automap': True})
    play = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [{'name': 'Offboard', 'msp.cipp.cipp_offboard': {
        'tenant': TENANT, 'user': leaver['userPrincipalName'], 'remove_mailbox_permissions': True, 'remove_mobile_devices': True,
        'poll_interval': 1, 'wait_timeout': 120}}]}]

    first = run_playbook(play, env=cipp_env, check=True, diff=True)
    assert first.rc == 0, first.output
    planned = first.result('Offboard')
    assert [entry['needed'] for entry in planned['plan']] == [True, True]
    assert planned['diff']['before']['rights_on_other_mailboxes'] and planned['diff']['before']['mobile_devices']

    run = run_playbook(play, env=cipp_env)
    assert run.rc == 0, run.output
    states = dict((step['step'], step['state']) for step in run.result('Offboard')['steps'])
    assert states == {'remove_mailbox_permissions': 'done', 'remove_mobile_devices': 'done'}, run.result('Offboard')['steps']
    assert tenant.mobile_devices.get(leaver['id']) == []
    assert not [p for p in tenant.mailboxes[shared]['Permissions'] if p['User'] == leaver['userPrincipalName']]
    # The rights were verified on the mailbox itself, not only in CIPP's report.
    assert [e for e in run.emulator_log() if e['endpoint'] == 'ListmailboxPermissions' and e['params'].get('userId')]

    before = len(run.emulator_log())
    again = run_playbook(play, env=cipp_env)
    assert again.rc == 0, again.output
    assert again.result('Offboard')['changed'] is False and writes(again.emulator_log()[before:]) == []
    assert [entry['reason'] for entry in again.result('Offboard')['plan']] == ['post-condition holds'] * 2
