# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's promises, seen from a real playbook run: one token per run, no write in check mode, no secret shown."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json


def _tenant_hosts(count):
    """An inventory of `count` local hosts (forks run them in parallel)."""
    hosts = dict(('tenant%02d' % index, {'ansible_connection': 'local'}) for index in range(count))
    return {'all': {'hosts': hosts}}


def test_fifty_tasks_over_ten_forks_ask_for_one_token(run_playbook, cipp_env):
    play = [{'hosts': 'all', 'gather_facts': False, 'tasks': [
        {'name': 'List tenants %d' % index, 'msp.cipp.cipp_tenant_info': {}} for index in range(5)]}]
    run = run_playbook(play, env=cipp_env, inventory=_tenant_hosts(10), forks=10)
    assert run.rc == 0, run.output
    log = run.emulator_log()
    assert len([entry for entry in log if entry['endpoint'] == 'ListTenants']) == 50
    tokens = [entry for entry in log if entry['kind'] == 'token']
    assert len(tokens) == 1, 'expected one token request for 50 tasks over 10 forks, got %d' % len(tokens)


def test_the_module_path_shares_the_token_too(run_playbook, cipp_env):
    play = [{'hosts': 'all', 'gather_facts': False, 'tasks': [
        {'name': 'List tenants %d' % index, 'msp.cipp.cipp_tenant_info': {}} for index in range(2)]}]
    run = run_playbook(play, env=dict(cipp_env, CIPP_EXECUTION='module'), inventory=_tenant_hosts(4), forks=4)
    assert run.rc == 0, run.output
    assert len([entry for entry in run.emulator_log() if entry['kind'] == 'token']) == 1


def test_check_mode_sends_no_write(run_playbook, cipp_env):
    tenant = '{{ found.tenants[0].defaultDomainName }}'
    play = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Find a tenant', 'msp.cipp.cipp_tenant_info': {}, 'register': 'found'},
        {'name': 'Read users', 'msp.cipp.cipp_user_info': {'tenant': tenant}, 'register': 'all_users'},
        {'name': 'Create a user', 'msp.cipp.cipp_user': {
            'tenant': tenant, 'user_principal_name': 'check.mode@' + tenant, 'display_name': 'Check Mode'}},
        {'name': 'Revoke sessions', 'msp.cipp.cipp_user_action': {
            'tenant': tenant, 'user': '{{ all_users.users[0].userPrincipalName }}', 'action': 'revoke_sessions'}},
    ]}]
    run = run_playbook(play, env=cipp_env, check=True)
    assert run.rc == 0, run.output
    assert run.result('Create a user')['changed'] is True
    assert run.result('Revoke sessions')['changed'] is True
    assert [entry for entry in run.emulator_log() if entry['kind'] == 'write'] == []


def test_no_secret_in_vvv_output_results_or_diffs(run_playbook, cipp_env):
    secret = cipp_env['CIPP_CLIENT_SECRET']
    play = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Find a tenant', 'msp.cipp.cipp_tenant_info': {}, 'register': 'found'},
        {'name': 'Create a user with a password', 'msp.cipp.cipp_user': {
            'tenant': '{{ found.tenants[0].defaultDomainName }}', 'display_name': 'Secret Keeper',
            'user_principal_name': 'secret.keeper@{{ found.tenants[0].defaultDomainName }}',
            'password': 'Sup3r-Secret-Passw0rd!'}},
        {'name': 'Reset the password', 'msp.cipp.cipp_user_action': {
            'tenant': '{{ found.tenants[0].defaultDomainName }}',
            'user': 'secret.keeper@{{ found.tenants[0].defaultDomainName }}', 'action': 'reset_password'},
         'register': 'reset'},
    ]}]
    run = run_playbook(play, env=cipp_env, verbosity=3, diff=True)
    assert run.rc == 0, run.output
    everything = run.stdout + run.stderr + json.dumps(run.results)
    assert secret not in everything
    assert 'Sup3r-Secret-Passw0rd!' not in everything
    # The token the emulator issued never shows either.
    tokens = [entry for entry in run.emulator_log() if entry['kind'] == 'token']
    assert tokens
    assert 'Bearer ' not in everything
    # CIPP put the generated password in its answer; the task's message shows it masked.
    assert '********' in run.result('Reset the password')['message']
