# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both execution paths use the same settings: the task's ``environment:`` and ``become``.

The module's process gets the controller's environment with the task's ``environment:`` on top, and runs as the
become user. The controller fast path (the action plugin, in-process) must end up with exactly the same settings,
or step aside and let the module run. Every test runs on both paths (the ``execution`` fixture) with the same
expectations.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from security_utils import TENANT  # pylint: disable=import-error

HERE = os.path.dirname(os.path.abspath(__file__))
CONNECTION = ('CIPP_API_URL', 'CIPP_CLIENT_ID', 'CIPP_CLIENT_SECRET', 'CIPP_AUTH_TENANT_ID', 'CIPP_TOKEN_URL', 'CIPP_TOKEN_CACHE')


def _play(environment=None, play_environment=None, task_options=None, play_vars=None):
    task = {'name': 'Tenant', 'msp.cipp.cipp_tenant_info': {'tenant': TENANT}, 'ignore_errors': True}
    task.update(task_options or {})
    if environment is not None:
        task['environment'] = environment
    play = {'hosts': 'localhost', 'gather_facts': False, 'vars': play_vars or {}, 'tasks': [task]}
    if play_environment is not None:
        play['environment'] = play_environment
    return [play]


def _module_was_shipped(run):
    """True when Ansible ran the module (it makes the remote temp directory only to ship one)."""
    workdir = os.path.dirname(run.command[2])
    return os.path.isdir(os.path.join(workdir, 'remote_tmp'))


def _succeeded(run):
    return run.status('Tenant') == 'ok' and run.result('Tenant')['tenants'][0]['defaultDomainName'] == TENANT


def test_connection_settings_from_the_play_environment_alone(run_playbook, cipp_env, execution, emulator):
    """The controller's shell has no CIPP_* at all; the play's environment has them all."""
    run = run_playbook(_play(play_environment=dict((key, cipp_env[key]) for key in CONNECTION)),
                       env={'CIPP_EXECUTION': execution})
    assert run.rc == 0, run.output
    assert _succeeded(run), run.result('Tenant')


def test_the_task_environment_wins_over_the_controllers(run_playbook, cipp_env, execution, emulator):
    """The controller's shell has a working secret; the task says another one. The task's must be used (and fail)."""
    run = run_playbook(_play(environment={'CIPP_CLIENT_SECRET': 'not-the-secret-%s' % execution}),
                       env=dict(cipp_env, CIPP_EXECUTION=execution))
    assert run.status('Tenant') == 'failed'
    assert 'invalid_client' in run.result('Tenant')['msg'] or 'AADSTS7000215' in run.result('Tenant')['msg'], run.result('Tenant')
    assert 'not-the-secret' not in run.output


def test_a_templated_environment_value_is_used(run_playbook, cipp_env, execution, emulator, tmp_path):
    cache = str(tmp_path / 'task-cache')
    run = run_playbook(_play(environment={'CIPP_TOKEN_CACHE': '{{ cache_dir }}'}, play_vars={'cache_dir': cache}),
                       env=dict(cipp_env, CIPP_EXECUTION=execution))
    assert _succeeded(run), run.output
    assert [name for name in os.listdir(cache) if name.endswith('.json')], 'no token cached in the task environment dir'
    assert not os.path.exists(cipp_env['CIPP_TOKEN_CACHE'])


def test_an_option_in_the_task_still_wins_over_the_environment(run_playbook, cipp_env, execution, emulator):
    run = run_playbook(_play(environment={'CIPP_API_URL': 'http://127.0.0.1:9'},
                             task_options={'msp.cipp.cipp_tenant_info': {'tenant': TENANT, 'api_url': cipp_env['CIPP_API_URL']}}),
                       env=dict(cipp_env, CIPP_EXECUTION=execution))
    assert _succeeded(run), run.output


def test_cipp_execution_in_the_task_environment_chooses_the_module(run_playbook, cipp_env, emulator):
    run = run_playbook(_play(environment={'CIPP_EXECUTION': 'module'}), env=dict(cipp_env, CIPP_EXECUTION='controller'))
    assert _succeeded(run), run.output
    assert _module_was_shipped(run)


@pytest.mark.parametrize('variable', ['HTTPS_PROXY', 'REQUESTS_CA_BUNDLE', 'XDG_CACHE_HOME'])
def test_other_environment_variables_make_the_module_run(run_playbook, cipp_env, emulator, tmp_path, variable):
    """They change what requests or the token cache do in the module's process; in-process they would be ignored."""
    value = {'HTTPS_PROXY': 'http://127.0.0.1:9', 'REQUESTS_CA_BUNDLE': '/nonexistent/ca.pem',
             'XDG_CACHE_HOME': str(tmp_path / 'xdg')}[variable]
    run = run_playbook(_play(environment={variable: value}), env=dict(cipp_env, CIPP_EXECUTION='controller'))
    assert _succeeded(run), run.output  # loopback http: neither the proxy nor the CA bundle is used
    assert _module_was_shipped(run)


def test_without_a_task_environment_the_fast_path_stays_in_process(run_playbook, cipp_env, emulator):
    """The control case of the two above: the same task, nothing set, no module shipped."""
    run = run_playbook(_play(), env=dict(cipp_env, CIPP_EXECUTION='controller'))
    assert _succeeded(run), run.output
    assert not _module_was_shipped(run)


def test_become_runs_the_module_through_the_become_method(run_playbook, cipp_env, execution, emulator, tmp_path):
    marker = str(tmp_path / 'became')
    env = dict(cipp_env, CIPP_EXECUTION=execution, ANSIBLE_BECOME_PLUGINS=os.path.join(HERE, 'become_plugins'),
               MSP_TEST_BECOME_MARKER=marker)
    run = run_playbook(_play(task_options={'become': True, 'become_method': 'msp_test_marker'}), env=env)
    assert _succeeded(run), run.output
    assert os.path.exists(marker), 'the task with become did not go through the become method'
    assert _module_was_shipped(run)
