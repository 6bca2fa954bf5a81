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
