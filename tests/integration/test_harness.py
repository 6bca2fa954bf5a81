# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Self-test of the integration harness: the recorder sees what Ansible hands to callbacks, no more, no less.

Runs real ansible-playbook with builtin actions only, so it does not need the emulator. If these fail,
every other integration test's assertions are suspect.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys
import urllib.request


def test_debug_results_are_recorded(run_target):
    run = run_target('harness_debug')

    assert run.rc == 0, run.output
    assert run.result('Say hello')['msg'] == 'hello from localhost'
    assert run.status('Say hello') == 'ok'
    assert run.status('Report a change') == 'changed'
    assert run.status('Skip this one') == 'skipped'
    # The play's closing recap comes from the stdout callback, which the recorder must not replace.
    assert 'PLAY RECAP' in run.stdout


def test_no_log_is_censored_before_recording(run_target):
    run = run_target('harness_debug', extra_vars={'harness_secret': 'do-not-leak-7c1f'})

    assert run.rc == 0, run.output
    hidden = run.result('Hide a secret')
    assert 'censored' in hidden
    assert 'do-not-leak-7c1f' not in json.dumps(run.results)
    assert 'do-not-leak-7c1f' not in run.stdout


def test_loop_items_are_recorded_separately(run_target):
    run = run_target('harness_debug')

    items = run.task_results('Loop over items', item=True)
    assert [r['result']['msg'] for r in items] == ['item 1', 'item 2']
    assert len(run.result('Loop over items')['results']) == 2


def test_failure_is_reported_with_rc_and_result(run_playbook):
    play = {'hosts': 'localhost', 'gather_facts': False,
            'tasks': [{'name': 'Fail on purpose', 'ansible.builtin.fail': {'msg': 'expected failure'}},
                      {'name': 'Never reached', 'ansible.builtin.debug': {'msg': 'no'}}]}
    run = run_playbook([play])

    assert run.rc == 2, run.output
    assert run.status('Fail on purpose') == 'failed'
    assert run.result('Fail on purpose')['msg'] == 'expected failure'
    assert run.task_results('Never reached') == []


def test_modules_run_with_the_venv_python_and_private_temp_dirs(run_playbook, tmp_path):
    # A real module (not an action-only task) proves the interpreter and remote temp settings reach modules.
    play = {'hosts': 'localhost', 'gather_facts': False,
            'tasks': [{'name': 'Minimal facts', 'ansible.builtin.setup': {'gather_subset': ['!all']}}]}
    run = run_playbook([play], env={'CIPP_API_URL': 'http://127.0.0.1:9/unused'})

    assert run.rc == 0, run.output
    assert run.result('Minimal facts')['ansible_facts']['ansible_python']['executable'] == sys.executable
    assert run.api_url == 'http://127.0.0.1:9/unused'
    assert os.path.isdir(str(tmp_path / 'run0' / 'remote_tmp'))


def test_check_mode_and_extra_vars_reach_the_play(run_playbook):
    play = {'hosts': 'localhost', 'gather_facts': False,
            'tasks': [{'name': 'Show mode', 'ansible.builtin.debug': {'msg': '{{ ansible_check_mode }} {{ answer }}'}}]}
    run = run_playbook([play], extra_vars={'answer': 42}, check=True)

    assert run.rc == 0, run.output
    assert run.result('Show mode')['msg'] == 'True 42'


def _tenant_play():
    return [{'hosts': 'localhost', 'gather_facts': False,
             'tasks': [{'name': 'List tenants', 'msp.cipp.cipp_tenant_info': {}}]}]


def test_emulator_env_reaches_the_module_and_the_request_log(run_playbook, cipp_env):
    run = run_playbook(_tenant_play(), env=cipp_env)

    assert run.rc == 0, run.output
    assert run.result('List tenants')['tenants'], 'the default seed has tenants'
    log = run.emulator_log()
    # The emulator was reset for this test: its log holds exactly this run's calls.
    assert [entry['endpoint'] for entry in log if entry['kind'] in ('read', 'write')] == ['ListTenants']
    assert len([entry for entry in log if entry['kind'] == 'token']) == 1
    # The client secret must not reach what callbacks (and so job logs) see.
    assert cipp_env['CIPP_CLIENT_SECRET'] not in json.dumps(run.results)


def test_each_test_starts_from_a_reset_emulator(run_playbook, cipp_env, emulator):
    # Follows the test above on the same emulator (session-scoped): nothing of its calls may remain.
    assert _get_log(emulator.url) == []
    run_playbook(_tenant_play(), env=cipp_env)
    assert _get_log(emulator.url) != []


def _get_log(url):
    with urllib.request.urlopen(url.rstrip('/') + '/_emulator/log', timeout=30) as response:
        return json.loads(response.read())
