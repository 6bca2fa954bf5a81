# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A task looks its user up once and makes no read twice (issue 11): the user is resolved once and passed down.

Re-reads after a write (the verification that CIPP's word is true) and polls of a job CIPP is running (ExecBECCheck
with its GUID) are the allowed repeats, so only the other reads before a task's first write count here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from conftest import call_labels  # pylint: disable=import-error

CONTOSO = 'contoso.com'


def _reads_before_first_write(calls):
    reads = []
    for call in calls:
        if call['write']:
            break
        if call['endpoint'] == 'ExecBECCheck' and 'GUID' in call['params']:
            continue  # polling CIPP's BEC run
        reads.append((call['endpoint'], json.dumps(call['params'], sort_keys=True)))
    return reads


def _victim(emulator):
    tenant = next(t for t in emulator.state.tenants.values() if t.default_domain == CONTOSO)
    return next(u for u in tenant.users.values() if u.get('_compromised'))


def test_cipp_bec_steps_looks_the_user_up_once(run_playbook, cipp_env, emulator):
    victim = _victim(emulator)
    run = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Contain', 'msp.cipp.cipp_bec': {'tenant': CONTOSO, 'user': victim['userPrincipalName'], 'mode': 'steps'}}]}],
        env=cipp_env)
    assert run.rc == 0, run.output
    calls = run.result('Contain')['cipp_calls']
    assert call_labels(calls).count('ListUsers') == 1, call_labels(calls)
    assert [call['endpoint'] for call in calls if call['write']], 'the steps wrote nothing; the test would prove nothing'


def test_no_task_reads_the_same_thing_twice_before_it_writes(run_playbook, cipp_env, emulator):
    victim = _victim(emulator)
    upn = victim['userPrincipalName']
    tasks = [
        {'name': 'Info', 'msp.cipp.cipp_user_info': {'tenant': CONTOSO, 'user': upn,
                                                     'include': ['groups', 'roles', 'mfa', 'mailbox', 'devices', 'manager']}},
        {'name': 'Check', 'msp.cipp.cipp_bec_info': {'tenant': CONTOSO, 'user': upn, 'poll_interval': 1, 'wait_timeout': 60}},
        {'name': 'Contain', 'msp.cipp.cipp_bec': {'tenant': CONTOSO, 'user': upn, 'mode': 'steps'}},
        {'name': 'Mailbox', 'msp.cipp.cipp_mailbox': {'tenant': CONTOSO, 'user': upn, 'hidden_from_gal': True,
                                                      'out_of_office': {'state': 'enabled', 'internal_message': 'Away'}}},
        {'name': 'Edit', 'msp.cipp.cipp_user': {'tenant': CONTOSO, 'user_principal_name': upn, 'job_title': 'Contained',
                                                'groups': {'add': ['Finance']}}},
    ]
    run = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], env=cipp_env)
    assert run.rc == 0, run.output
    for task in tasks:
        reads = _reads_before_first_write(run.result(task['name'])['cipp_calls'])
        repeated = sorted(set(read for read in reads if reads.count(read) > 1))
        assert reads and repeated == [], '%s read twice: %s' % (task['name'], repeated)


# ------------------------------------------------------------------------------------------------ onboarding (issue 16)

ONBOARD_TASK = "msp.cipp.onboarding : Create or update every hire, and hand each new user's first credential over in a 0600 file"


def _reads(log):
    """(endpoint, Graph path or 'filtered'/'all') of every API read in the log."""
    reads = []
    for entry in log:
        if entry.get('kind') != 'read':
            continue
        params = entry.get('params') or {}
        detail = params.get('Endpoint') or ('filtered' if params.get('graphFilter') else '')
        reads.append((entry['endpoint'], detail))
    return reads


def _onboarding_play(handover, count):
    hires = [{'username': 'reread.hire%02d' % number, 'given_name': 'Hire', 'surname': '%02d' % number,
              'groups': ['Finance'] if number % 2 else []} for number in range(count)]
    template = {'tenant': CONTOSO, 'domain': CONTOSO, 'usage_location': 'GB', 'licenses': ['SPB'], 'groups': ['Sales']}
    return [{'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.onboarding', 'vars': {
        'onboarding_template': template, 'onboarding_hires': hires, 'onboarding_handover_dir': handover}}]}]


def test_an_onboarding_rerun_reads_the_tenant_once_not_each_hire(run_playbook, cipp_env, emulator, tmp_path):
    """Issue 16 "read once": the re-run of a roster with groups reads the tenant's users once and each template group's
    members once, shared by the role's checks and cipp_users; a change someone else made is still seen and put right."""
    count = 12
    play = _onboarding_play(str(tmp_path / 'handover'), count)
    first = run_playbook(play, env=cipp_env)
    assert first.rc == 0, first.output
    tenant = next(t for t in emulator.state.tenants.values() if t.default_domain == CONTOSO)
    sales = next(g for g in tenant.groups.values() if g['displayName'] == 'Sales')
    finance = next(g for g in tenant.groups.values() if g['displayName'] == 'Finance')
    moved = tenant.find_user('reread.hire03@%s' % CONTOSO)
    assert moved['id'] in sales['_members'] and moved['id'] in finance['_members']
    # Someone else takes hire03 out of Sales between the runs.
    with emulator.state.lock:
        sales['_members'].remove(moved['id'])

    seen = len(first.emulator_log())
    again = run_playbook(play, env=cipp_env)
    assert again.rc == 0, again.output
    log = again.emulator_log()[seen:]
    reads = _reads(log)
    # The role's checks read tenant, domains, licences, groups and users once; cipp_users reads only each template
    # group's members (Sales, Finance) and, for the one hire who needs a change, that hire's memberOf and the re-read.
    assert reads.count(('ListUsers', '')) == 1, reads
    assert sorted(r for r in reads if r[1].startswith('groups/')) == sorted(
        [('ListGraphRequest', 'groups/%s/members' % sales['id']), ('ListGraphRequest', 'groups/%s/members' % finance['id'])]), reads
    assert [r for r in reads if r[1].endswith('/memberOf')] == [('ListGraphRequest', 'users/%s/memberOf' % moved['id'])], reads
    assert len(reads) <= 10, reads  # 1 + a constant, where it was 2 per hire (docs/performance.md section 1)
    assert [(e['endpoint'], e['params'].get('groupId', {}).get('label')) for e in log if e['kind'] == 'write'] == [('EditGroup', 'Sales')]
    changed = [user['user_principal_name'] for user in again.result(ONBOARD_TASK)['users'] if user['changed']]
    assert changed == [moved['userPrincipalName']]
    assert moved['id'] in sales['_members']
