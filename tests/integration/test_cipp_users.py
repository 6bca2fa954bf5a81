# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""msp.cipp.cipp_users, the roster module: a list of users in one task, several at a time, against the emulator.

The story: preview a roster with --check (nothing written, no file), create it (one AddUser per new user, a 0600
hand-over file each), run it again (reads only), change one entry (one EditUser), and the ways it refuses: a list
with problems changes nobody, and one user CIPP refuses does not stop the others.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from test_user_lifecycle import writes  # pylint: disable=import-error

TENANT = 'contoso.com'


def _tenant(emulator):
    return next(t for t in emulator.state.tenants.values() if t.default_domain == TENANT)


def _entries(count, **extra):
    return [dict({'user_principal_name': 'roster.%02d@%s' % (number, TENANT), 'given_name': 'Roster', 'surname': 'N%02d' % number,
                  'usage_location': 'GB', 'licenses': {'add': ['SPB']}, 'groups': {'add': ['Finance']}}, **extra)
            for number in range(count)]


def _play(users, handover, **options):
    args = dict({'tenant': TENANT, 'users': users, 'handover_dir': handover, 'parallel': 4}, **options)
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Roster', 'msp.cipp.cipp_users': args, 'register': 'roster', 'ignore_errors': True}]}]


def test_a_roster_is_previewed_created_once_and_then_left_alone(run_playbook, cipp_env, emulator, tmp_path):
    handover = str(tmp_path / 'handover')
    users = _entries(6)

    preview = run_playbook(_play(users, handover), env=cipp_env, check=True, diff=True)
    assert preview.rc == 0, preview.output
    planned = preview.result('Roster')
    assert planned['changed'] is True and len(planned['created']) == 6
    assert sorted(planned['diff']['after']) == sorted(entry['user_principal_name'] for entry in users)
    assert writes(preview.emulator_log()) == [] and not os.path.exists(handover)

    first = run_playbook(_play(users, handover), env=cipp_env, verbosity=3)
    assert first.rc == 0, first.output
    result = first.result('Roster')
    assert [entry['created'] for entry in result['users']] == [True] * 6
    assert [entry['endpoint'] for entry in writes(first.emulator_log())] == ['AddUser'] * 6
    tenant = _tenant(emulator)
    assert stat.S_IMODE(os.stat(handover).st_mode) == 0o700
    for entry in users:
        upn = entry['user_principal_name']
        user = tenant.find_user(upn)
        assert user['usageLocation'] == 'GB' and user['assignedLicenses'], user
        path = os.path.join(handover, upn + '.txt')
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with open(path) as handle:
            assert handle.read().splitlines() == ['User: %s' % upn, 'Password: %s' % user['_password']]
        assert user['_password'] not in first.output + str(first.results)

    before = len(first.emulator_log())
    again = run_playbook(_play(users, handover), env=cipp_env)
    assert again.rc == 0 and again.result('Roster')['changed'] is False, again.output
    log = again.emulator_log()[before:]
    assert writes(log) == []
    assert again.result('Roster')['handover_files'] == []

    changed = [dict(users[0], job_title='Team Lead')] + users[1:]
    before = len(again.emulator_log())
    edit = run_playbook(_play(changed, handover), env=cipp_env, diff=True)
    result = edit.result('Roster')
    assert [entry['changed'] for entry in result['users']] == [True] + [False] * 5
    assert result['created'] == [] and result['diff']['after'] == {users[0]['user_principal_name']: {'state': 'present', 'job_title': 'Team Lead'}}
    assert [entry['endpoint'] for entry in writes(edit.emulator_log()[before:])] == ['EditUser']


def test_a_list_with_problems_changes_nobody(run_playbook, cipp_env, emulator, tmp_path):
    # Business Standard (O365_BUSINESS_PREMIUM) has one free seat in the seed: two new users need one each.
    users = _entries(2, licenses={'add': ['O365_BUSINESS_PREMIUM']}) + [
        {'user_principal_name': 'nowhere@contoso.com', 'licenses': {'add': ['SPB']}},
        {'user_principal_name': 'abroad@fabrikam.example'},
    ]
    run = run_playbook(_play(users, str(tmp_path / 'handover')), env=cipp_env)
    failure = run.result('Roster')
    assert run.status('Roster') == 'failed'
    message = failure['msg']
    for expected in ('nothing was changed', '2 new assignment(s) of O365_BUSINESS_PREMIUM but only 1 free seat(s)',
                     'nowhere@contoso.com: licenses: nowhere@contoso.com has no usage location',
                     'abroad@fabrikam.example: user_principal_name: the domain fabrikam.example is not a domain'):
        assert expected in message, message
    assert writes(run.emulator_log()) == []


def test_one_failed_user_does_not_stop_the_others(run_playbook, cipp_env, emulator, tmp_path):
    users = _entries(3)
    users[1]['manager'] = 'nobody.here@contoso.com'  # found out only when that user's turn comes
    handover = str(tmp_path / 'handover')
    run = run_playbook(_play(users, handover), env=cipp_env)
    result = run.result('Roster')
    assert run.status('Roster') == 'failed'
    assert result['msg'].startswith('1 of 3 users failed (the others were done): roster.01@contoso.com: manager'), result['msg']
    assert [entry.get('failed', False) for entry in result['users']] == [False, True, False]
    assert result['created'] == ['roster.00@contoso.com', 'roster.02@contoso.com']
    assert sorted(os.listdir(handover)) == ['roster.00@contoso.com.txt', 'roster.02@contoso.com.txt']
    # Parallel: the two AddUser calls may arrive in either order.
    assert sorted(entry['params']['username'] for entry in writes(run.emulator_log())) == ['roster.00', 'roster.02']


def test_credentials_come_back_only_when_asked_and_taps_replace_passwords(run_playbook, cipp_env, emulator, tmp_path):
    users = _entries(2)
    run = run_playbook(_play(users, None, first_credential='tap', tap_lifetime_minutes=60, return_credentials=True), env=cipp_env)
    result = run.result('Roster')
    assert run.rc == 0, run.output
    tenant = _tenant(emulator)
    expected = [{'user': entry['user_principal_name'], 'kind': 'Temporary Access Pass',
                 'secret': tenant.find_user(entry['user_principal_name'])['_taps'][0]['temporaryAccessPass']} for entry in users]
    assert result['credentials'] == expected and result['handover_files'] == []
    assert [entry['endpoint'] for entry in writes(run.emulator_log())].count('ExecCreateTAP') == 2


def test_bad_entries_fail_before_any_call_naming_the_entry(run_playbook, cipp_env, emulator, tmp_path):
    cases = [
        ([{'user_principal_name': 'bad name@contoso.com'}], 'users[0] (bad name@contoso.com): user_principal_name'),
        ([{'user_principal_name': 'a@contoso.com'}, {'user_principal_name': 'A@contoso.com'}], 'users[1]: A@contoso.com is in the list twice'),
        ([{'user_principal_name': 'a@contoso.com', 'licenses': 0}], 'users[0].licenses must be a dict'),
        ([{'user_principal_name': 'a@contoso.com', 'colour': 'blue'}], 'colour'),
    ]
    plays = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Case %d' % number, 'msp.cipp.cipp_users': {'tenant': TENANT, 'users': users}, 'ignore_errors': True}
        for number, (users, _expected) in enumerate(cases)] + [
        {'name': 'TAP nobody keeps', 'msp.cipp.cipp_users': {'tenant': TENANT, 'users': _entries(1), 'first_credential': 'tap'},
         'ignore_errors': True},
        {'name': 'Too parallel', 'msp.cipp.cipp_users': {'tenant': TENANT, 'users': _entries(1), 'parallel': 50}, 'ignore_errors': True}]}]
    run = run_playbook(plays, env=cipp_env)
    for number, (_users, expected) in enumerate(cases):
        assert expected in run.result('Case %d' % number)['msg'], run.result('Case %d' % number)
    assert 'first_credential=tap needs handover_dir' in run.result('TAP nobody keeps')['msg']
    assert 'parallel must be between 1 and 10' in run.result('Too parallel')['msg']
    assert [entry for entry in run.emulator_log() if entry.get('kind') in ('read', 'write')] == []


def test_a_malformed_entry_never_echoes_another_entrys_password(run_playbook, cipp_env, emulator):
    secret = 'Kept-0ut-0f-Logs!'
    users = [{'user_principal_name': 'a@contoso.com', 'password': secret}, {'user_principal_name': 'b@contoso.com', 'licenses': 7}]
    play = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Malformed', 'msp.cipp.cipp_users': {'tenant': TENANT, 'users': users}, 'ignore_errors': True}]}]
    run = run_playbook(play, env=cipp_env, verbosity=3)
    assert 'users[1].licenses must be a dict' in run.result('Malformed')['msg']
    assert secret not in run.output + str(run.results)
