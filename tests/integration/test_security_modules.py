# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cipp_mfa, cipp_user_action, cipp_mailbox and cipp_mfa_info on the emulator: results, idempotence, the request log."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import json
import os

from test_user_lifecycle import writes  # pylint: disable=import-error

TENANT = 'contoso.com'


def _tenant(emulator, domain=TENANT):
    return next(t for t in emulator.state.tenants.values() if t.default_domain == domain)


def _plain_user(emulator, **extra):
    tenant = _tenant(emulator)
    for user in tenant.users.values():
        if user['userType'] == 'Member' and not user.get('_isAdmin') and not user.get('_compromised') \
                and not user.get('onPremisesSyncEnabled') and user['id'] in tenant.mailboxes \
                and all(user.get(key) == value for key, value in extra.items()):
            return user
    raise AssertionError('no such user in the seed: %r' % extra)


def _play(*tasks):
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': list(tasks)}]


def test_per_user_mfa_is_idempotent_and_check_mode_writes_nothing(run_playbook, cipp_env, emulator):
    user = _plain_user(emulator, _perUserMfa='disabled')
    task = {'msp.cipp.cipp_mfa': {'tenant': TENANT, 'user': user['userPrincipalName'], 'per_user_state': 'enforced'}}
    run = run_playbook(_play(dict(task, name='Preview', check_mode=True, diff=True), dict(task, name='Apply'),
                             dict(task, name='Again')), env=cipp_env)
    assert run.rc == 0, run.output
    assert run.result('Preview')['changed'] and run.result('Preview')['diff']['after'] == {'per_user_state': 'enforced'}
    assert run.result('Apply')['changed'] and not run.result('Again')['changed']
    assert [entry['endpoint'] for entry in writes(run.emulator_log())] == ['ExecPerUserMFA']
    assert _tenant(emulator).users[user['id']]['_perUserMfa'] == 'enforced'


def test_methods_absent_removes_then_is_a_no_op(run_playbook, cipp_env, emulator):
    user = next(u for u in _tenant(emulator).users.values() if u.get('_mfaMethods') and not u.get('_isAdmin')
                and u['userType'] == 'Member')
    task = {'msp.cipp.cipp_mfa': {'tenant': TENANT, 'user': user['userPrincipalName'], 'methods': 'absent'}}
    run = run_playbook(_play(dict(task, name='Remove'), dict(task, name='Again')), env=cipp_env)
    assert run.rc == 0, run.output
    assert run.result('Remove')['changed'] and not run.result('Again')['changed']
    assert [entry['endpoint'] for entry in writes(run.emulator_log())] == ['ExecResetMFA']
    assert not _tenant(emulator).users[user['id']]['_mfaMethods']


def test_a_tap_is_one_shot_and_only_returned_when_asked(run_playbook, cipp_env, emulator):
    first, second = [u for u in _tenant(emulator).users.values() if u['userType'] == 'Member' and not u.get('_isAdmin')][:2]
    run = run_playbook(_play(
        {'name': 'Hidden', 'msp.cipp.cipp_mfa': {'tenant': TENANT, 'user': first['userPrincipalName'],
                                                 'temporary_access_pass': {'lifetime_minutes': 60}}},
        {'name': 'Returned', 'msp.cipp.cipp_mfa': {'tenant': TENANT, 'user': second['userPrincipalName'], 'return_secret': True,
                                                   'temporary_access_pass': {'lifetime_minutes': 60, 'usable_once': True}},
         'register': 'tap', 'no_log': True},
        {'name': 'Bad lifetime', 'msp.cipp.cipp_mfa': {'tenant': TENANT, 'user': first['userPrincipalName'],
                                                       'temporary_access_pass': {'lifetime_minutes': 5}}, 'ignore_errors': True},
        {'name': 'Keep the pass for the test', 'ansible.builtin.copy': {'content': '{{ tap.temporary_access_pass.pass }}',
                                                                        'dest': '{{ playbook_dir }}/tap.txt', 'mode': '0600'}},
    ), env=cipp_env, verbosity=3)
    assert run.rc == 0, run.output
    hidden = run.result('Hidden')
    assert hidden['changed'] and 'pass' not in hidden['temporary_access_pass']
    assert run.status('Bad lifetime') == 'failed' and 'lifetime_minutes' in run.result('Bad lifetime')['msg']
    with open(os.path.join(os.path.dirname(run.command[3]), 'tap.txt')) as handle:
        returned_pass = handle.read().strip()
    taps = [tap for user in (first, second) for tap in _tenant(emulator).users[user['id']].get('_taps') or []]
    secrets = [str(tap.get('temporaryAccessPass') or tap.get('pass') or '') for tap in taps]
    assert returned_pass and returned_pass in secrets
    everything = run.stdout + run.stderr + json.dumps(run.results)
    assert all(secret not in everything for secret in secrets if secret)
    assert [entry['endpoint'] for entry in writes(run.emulator_log())] == ['ExecCreateTAP', 'ExecCreateTAP']


def test_user_actions_one_shot_and_clear_immutable_id_refused_while_synced(run_playbook, cipp_env, emulator):
    user = _plain_user(emulator)
    synced = next(u for u in _tenant(emulator).users.values() if u.get('onPremisesSyncEnabled'))
    run = run_playbook(_play(
        {'name': 'Revoke', 'msp.cipp.cipp_user_action': {'tenant': TENANT, 'user': user['id'], 'action': 'revoke_sessions'}},
        {'name': 'Revoke again', 'msp.cipp.cipp_user_action': {'tenant': TENANT, 'user': user['id'], 'action': 'revoke_sessions'}},
        {'name': 'Reset', 'msp.cipp.cipp_user_action': {'tenant': TENANT, 'user': user['userPrincipalName'],
                                                        'action': 'reset_password'}},
        {'name': 'Clear synced', 'msp.cipp.cipp_user_action': {'tenant': TENANT, 'user': synced['userPrincipalName'],
                                                               'action': 'clear_immutable_id'}, 'ignore_errors': True},
        {'name': 'Clear cloud user', 'msp.cipp.cipp_user_action': {'tenant': TENANT, 'user': user['userPrincipalName'],
                                                                   'action': 'clear_immutable_id'}},
    ), env=cipp_env, verbosity=3)
    assert run.rc == 0, run.output
    assert run.result('Revoke')['changed'] and run.result('Revoke again')['changed']
    assert run.status('Clear synced') == 'failed' and 'synchronised' in run.result('Clear synced')['msg']
    assert not run.result('Clear cloud user')['changed']
    assert [entry['endpoint'] for entry in writes(run.emulator_log())] == ['ExecRevokeSessions', 'ExecRevokeSessions', 'ExecResetPass']
    password = _tenant(emulator).users[user['id']]['_password']
    assert '********' in run.result('Reset')['message']
    assert password not in run.stdout + run.stderr + json.dumps(run.results)


def test_mailbox_settings_are_read_first_and_written_once(run_playbook, cipp_env, emulator):
    user = _plain_user(emulator)
    manager = next(u for u in _tenant(emulator).users.values() if u.get('_isAdmin') and u['userType'] == 'Member')
    task = {'msp.cipp.cipp_mailbox': {'tenant': TENANT, 'user': user['userPrincipalName'], 'hidden_from_gal': True,
                                      'forwarding': {'to': manager['userPrincipalName'], 'keep_copy': True},
                                      'out_of_office': {'state': 'enabled', 'internal_message': 'Away', 'external_message': 'Away'}}}
    run = run_playbook(_play(dict(task, name='Preview', check_mode=True), dict(task, name='Apply'), dict(task, name='Again'),
                             {'name': 'Bad forwarding', 'msp.cipp.cipp_mailbox': {'tenant': TENANT, 'user': user['userPrincipalName'],
                                                                                  'forwarding': 'somewhere'}, 'ignore_errors': True}),
                       env=cipp_env)
    assert run.rc == 0, run.output
    assert run.result('Preview')['changed'] and run.result('Apply')['changed'] and not run.result('Again')['changed']
    assert sorted(run.result('Apply')['actions']) == ['forwarding', 'hidden_from_gal', 'out_of_office']
    assert sorted(entry['endpoint'] for entry in writes(run.emulator_log())) == ['ExecEmailForward', 'ExecHideFromGAL', 'ExecSetOoO']
    assert run.status('Bad forwarding') == 'failed' and 'forwarding' in run.result('Bad forwarding')['msg']


def test_mfa_report_three_states_filters_and_all_tenants(run_playbook, cipp_env, emulator):
    run = run_playbook(_play(
        {'name': 'One', 'msp.cipp.cipp_mfa_info': {'tenant': TENANT}},
        {'name': 'Gaps', 'msp.cipp.cipp_mfa_info': {'tenant': TENANT, 'only_gaps': True, 'exclude_guests': True,
                                                    'exclude_disabled': True}},
        {'name': 'All', 'msp.cipp.cipp_mfa_info': {'tenant': 'AllTenants'}},
    ), env=cipp_env)
    assert run.rc == 0, run.output
    states = set(row['registration'] for row in run.result('One')['users'])
    assert states == {'registered', 'not_registered', 'unknown'}, states
    gaps = run.result('Gaps')['users']
    assert gaps and all(row['gap'] is True and row['account_enabled'] and row['user_type'] != 'Guest' for row in gaps)
    everything = run.result('All')
    assert sorted(t['tenant'] for t in everything['tenants']) == sorted(t.default_domain for t in emulator.state.tenants.values())
    assert everything['failed_tenants'] == []
    batches = [entry for entry in run.emulator_log() if entry['endpoint'] == '$batch']
    assert len(batches) == 1  # four tenants, one $batch call


def test_mfa_gap_report_playbook_writes_csv_and_markdown_for_all_tenants(run_playbook, cipp_env, emulator, tmp_path):
    hosts = dict((t.default_domain, {'ansible_connection': 'local', 'cipp_default_domain': t.default_domain,
                                     'cipp_tenant_id': t.customer_id}) for t in emulator.state.tenants.values())
    inventory = {'all': {'hosts': {'localhost': {'ansible_connection': 'local'}}, 'children': {'cipp_tenants': {'hosts': hosts}}}}
    run = run_playbook('playbooks/mfa_gap_report.yml', env=cipp_env, inventory=inventory, forks=4,
                       extra_vars={'mfa_report_dir': str(tmp_path)})
    assert run.rc == 0, run.output
    with open(str(tmp_path / 'mfa_gap_report.csv')) as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert set(row['tenant'] for row in rows) == set(hosts)
    assert set(row['registration'] for row in rows) == {'registered', 'not_registered', 'unknown'}
    with open(str(tmp_path / 'mfa_gap_report.md')) as handle:
        markdown = handle.read()
    assert '## Users whose registration is unknown' in markdown
    assert all(domain in markdown for domain in hosts)
    assert [entry for entry in run.emulator_log() if entry['kind'] == 'write'] == []
    calls = [entry for entry in run.emulator_log() if entry['kind'] == 'read']
    assert len(calls) == len(hosts)  # one ListMFAUsers per tenant
