# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""MFA method by method on the emulator: cipp_mfa_info users, cipp_mfa absent_methods, default_method and the
Temporary Access Pass lifecycle (state present/absent, handover_dir). Results, idempotence and the request log."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat
import urllib.request

from test_user_lifecycle import writes  # pylint: disable=import-error

TENANT = 'contoso.com'
PHONE = '#microsoft.graph.phoneAuthenticationMethod'
AUTHENTICATOR = '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod'


def _tenant(emulator, domain=TENANT):
    return next(t for t in emulator.state.tenants.values() if t.default_domain == domain)


def _member(emulator, predicate=lambda user: True):
    for user in _tenant(emulator).users.values():
        if user['userType'] == 'Member' and not user.get('_isAdmin') and not user.get('_compromised') and user.get('accountEnabled') \
                and predicate(user):
            return user
    raise AssertionError('no such user in the seed')


def _has(kind):
    return lambda user: any(method['@odata.type'] == kind for method in user.get('_mfaMethods') or [])


def _play(*tasks):
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': list(tasks)}]


def _mfa(user, **options):
    return {'msp.cipp.cipp_mfa': dict({'tenant': TENANT, 'user': user['userPrincipalName']}, **options)}


def test_info_lists_each_users_methods_for_one_user_and_for_a_list(run_playbook, cipp_env, emulator):
    phone_user = _member(emulator, lambda u: _has(PHONE)(u) and _has(AUTHENTICATOR)(u))
    bare = _member(emulator, lambda u: not u.get('_mfaMethods'))
    run = run_playbook(_play(
        {'name': 'One', 'msp.cipp.cipp_mfa_info': {'tenant': TENANT, 'users': [phone_user['userPrincipalName']]}},
        {'name': 'Two', 'msp.cipp.cipp_mfa_info': {'tenant': TENANT, 'users': [bare['id'], phone_user['userPrincipalName'].upper()]}},
        {'name': 'Ghost', 'msp.cipp.cipp_mfa_info': {'tenant': TENANT, 'users': ['ghost@contoso.com']}, 'ignore_errors': True},
        {'name': 'All', 'msp.cipp.cipp_mfa_info': {'tenant': 'AllTenants', 'users': [bare['id']]}, 'ignore_errors': True},
    ), env=cipp_env)
    assert run.rc == 0, run.output
    [entry] = run.result('One')['user_methods']
    assert entry['id'] == phone_user['id'] and entry['mfa_registered'] is True
    seeded = dict((m['id'], m) for m in phone_user['_mfaMethods'])
    assert sorted(m['id'] for m in entry['methods']) == sorted(seeded)
    phone = next(m for m in entry['methods'] if m['type'] == 'phone')
    assert phone['phone_number'] == seeded[phone['id']]['phoneNumber'] and phone['created_date_time']
    assert {m['type'] for m in entry['methods']} >= {'phone', 'microsoftAuthenticator'}
    assert entry['default_method'] is None and entry['temporary_access_pass'] is None and entry['has_usable_tap'] is False
    two = run.result('Two')['user_methods']
    assert [item['id'] for item in two] == [bare['id'], phone_user['id']]
    assert two[0]['methods'] == [] and two[0]['mfa_registered'] is False
    assert run.status('Ghost') == 'failed' and 'users: no user ghost@contoso.com' in run.result('Ghost')['msg']
    assert run.status('All') == 'failed' and 'users needs one tenant' in run.result('All')['msg']
    assert writes(run.emulator_log()) == []


def test_absent_methods_by_type_and_id_one_call_each_then_a_no_op(run_playbook, cipp_env, emulator):
    user = _member(emulator, lambda u: _has(PHONE)(u) and _has(AUTHENTICATOR)(u))
    phones = [m['id'] for m in user['_mfaMethods'] if m['@odata.type'] == PHONE]
    authenticator = next(m['id'] for m in user['_mfaMethods'] if m['@odata.type'] == AUTHENTICATOR)
    kept = [m['id'] for m in user['_mfaMethods'] if m['id'] not in phones + [authenticator]]
    task = _mfa(user, absent_methods=[{'type': 'phone'}, {'id': authenticator}])
    run = run_playbook(_play(dict(task, name='Preview', check_mode=True, diff=True), dict(task, name='Remove', diff=True),
                             dict(task, name='Again'),
                             dict(_mfa(user, absent_methods=[{'id': '28c10230-6103-485e-b985-444c60001490'}]), name='Password id'),
                             dict(_mfa(user, absent_methods=[{'type': 'password'}]), name='Password type', ignore_errors=True),
                             dict(_mfa(user, absent_methods=[{'type': 'phone', 'id': authenticator}]), name='Both', ignore_errors=True)),
                       env=cipp_env)
    assert run.rc == 0, run.output
    preview, removed = run.result('Preview'), run.result('Remove')
    assert preview['changed'] and sorted(m['id'] for m in preview['removed_methods']) == sorted(phones + [authenticator])
    assert any(label.startswith('phone') for label in preview['diff']['before']['methods'])
    assert not any(label.startswith(('phone', 'microsoftAuthenticator')) for label in removed['diff']['after']['methods'])
    assert removed['changed'] and removed['actions'] == ['absent_methods']
    assert not run.result('Again')['changed'] and run.result('Again')['removed_methods'] == []
    assert not run.result('Password id')['changed']
    assert run.status('Password type') == 'failed' and 'absent_methods[0]' in run.result('Password type')['msg']
    assert run.status('Both') == 'failed' and 'one of the two' in run.result('Both')['msg']
    calls = writes(run.emulator_log())
    assert [entry['endpoint'] for entry in calls] == ['ExecResetMFA'] * (len(phones) + 1)
    assert sorted(entry['params']['MethodId'] for entry in calls) == sorted(phones + [authenticator])
    assert [m['id'] for m in _tenant(emulator).users[user['id']]['_mfaMethods']] == kept


def test_default_method_is_read_first_written_once_and_warns_under_system_preferred_mfa(run_playbook, cipp_env, emulator):
    user = _member(emulator, _has(AUTHENTICATOR))
    other = _member(emulator, lambda u: _has(AUTHENTICATOR)(u) and u['id'] != user['id'])
    other['_signInPreferences'] = {'isSystemPreferredAuthenticationMethodEnabled': True,
                                   'userPreferredMethodForSecondaryAuthentication': 'push'}
    task = _mfa(user, default_method='push')
    run = run_playbook(_play(dict(task, name='Preview', check_mode=True, diff=True), dict(task, name='Set'), dict(task, name='Again'),
                             dict(_mfa(other, default_method='push'), name='System preferred'),
                             dict(_mfa(user, default_method='fido2'), name='Bad', ignore_errors=True)), env=cipp_env)
    assert run.rc == 0, run.output
    assert run.result('Preview')['diff'] == {'before': {'default_method': None}, 'after': {'default_method': 'push'}}
    assert run.result('Set')['changed'] and run.result('Set')['default_method'] == 'push'
    assert not run.result('Again')['changed']
    unchanged = run.result('System preferred')
    assert not unchanged['changed'] and any('System-preferred MFA is enabled' in w for w in unchanged.get('warnings', []))
    assert run.status('Bad') == 'failed' and 'default_method' in run.result('Bad')['msg']
    assert [(e['endpoint'], e['params']['MethodType']) for e in writes(run.emulator_log())] == [('ExecSetDefaultMFAMethod', 'push')]
    assert _tenant(emulator).users[user['id']]['_signInPreferences']['userPreferredMethodForSecondaryAuthentication'] == 'push'


def test_tap_present_is_idempotent_writes_a_private_handover_file_and_absent_removes_it(run_playbook, cipp_env, emulator, tmp_path):
    user = _member(emulator, lambda u: not u.get('_taps'))
    handover = str(tmp_path / 'handover')
    present = _mfa(user, temporary_access_pass={'state': 'present', 'lifetime_minutes': 120, 'usable_once': True},
                   handover_dir=handover)
    run = run_playbook(_play(
        dict(present, name='Preview', check_mode=True, diff=True),
        {'name': 'Directory after the preview', 'ansible.builtin.stat': {'path': handover}},
        dict(present, name='Create'),
        dict(present, name='Again', diff=True),
        dict(_mfa(user, temporary_access_pass={'state': 'present'}, return_secret=True), name='Present asks for the secret',
             no_log=True, register='kept'),
        {'name': 'Keep what came back', 'ansible.builtin.copy': {'content': '{{ kept.temporary_access_pass | to_json }}',
                                                                 'dest': '{{ playbook_dir }}/kept.json', 'mode': '0600'}},
        {'name': 'Info', 'msp.cipp.cipp_mfa_info': {'tenant': TENANT, 'users': [user['id']]}},
        dict(_mfa(user, temporary_access_pass={'state': 'absent'}), name='Remove', diff=True),
        dict(_mfa(user, temporary_access_pass={'state': 'absent'}), name='Remove again'),
    ), env=cipp_env, verbosity=3)
    assert run.rc == 0, run.output
    assert run.result('Preview')['changed'] and 'handover_file' not in run.result('Preview')
    assert run.result('Directory after the preview')['stat']['exists'] is False  # check mode creates no directory, no file
    created = run.result('Create')
    assert created['changed'] and created['temporary_access_pass']['is_usable'] is True
    assert created['temporary_access_pass']['lifetime_minutes'] == 120 and 'pass' not in created['temporary_access_pass']
    path = created['handover_file']
    assert path == os.path.join(handover, '%s.txt' % user['userPrincipalName'])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and stat.S_IMODE(os.stat(handover).st_mode) == 0o700
    with open(path) as handle:
        text = handle.read()
    again = run.result('Again')
    assert not again['changed'] and again['temporary_access_pass']['id'] == created['temporary_access_pass']['id']
    assert 'handover_file' not in again
    # The pass is returned only by the task that created it, even with return_secret.
    with open(os.path.join(os.path.dirname(run.command[3]), 'kept.json')) as handle:
        assert 'pass' not in json.loads(handle.read())
    info = run.result('Info')['user_methods'][0]
    assert info['has_usable_tap'] and info['temporary_access_pass']['usability_reason'] == 'EnabledByPolicy'
    assert info['temporary_access_pass']['usable_once'] is True
    assert run.result('Remove')['changed'] and run.result('Remove')['diff']['after'] == {'temporary_access_pass': 'absent'}
    assert not run.result('Remove again')['changed']
    assert _tenant(emulator).users[user['id']]['_taps'] == []
    secret = text.strip().rsplit(': ', 1)[-1]
    assert text.startswith('User: %s\n' % user['userPrincipalName']) and len(secret) >= 8
    assert secret not in run.stdout + run.stderr + json.dumps(run.results)
    assert [entry['endpoint'] for entry in writes(run.emulator_log())] == ['ExecCreateTAP', 'ExecResetMFA']


def test_tap_present_replaces_an_expired_pass_and_never_overwrites_a_handover_file(run_playbook, cipp_env, emulator, tmp_path):
    user = _member(emulator, lambda u: not u.get('_taps'))
    handover = tmp_path / 'handover'
    present = _mfa(user, temporary_access_pass={'state': 'present', 'lifetime_minutes': 60}, handover_dir=str(handover))
    first = run_playbook(_play(dict(present, name='Create')), env=cipp_env)
    assert first.rc == 0, first.output
    old_id = first.result('Create')['temporary_access_pass']['id']
    emulator.state.clock_offset += 2 * 3600  # the pass expires
    second = run_playbook(_play(dict(present, name='Replace', diff=True)), env=cipp_env)
    assert second.rc == 0, second.output
    replaced = second.result('Replace')
    assert replaced['changed'] and replaced['temporary_access_pass']['id'] != old_id
    assert replaced['diff']['before'] == {'temporary_access_pass': 'unusable (Expired)'}
    assert replaced['handover_file'] == str(handover / ('%s-2.txt' % user['userPrincipalName']))
    assert sorted(os.listdir(str(handover))) == ['%s-2.txt' % user['userPrincipalName'], '%s.txt' % user['userPrincipalName']]
    calls = [(entry['endpoint'], entry['params'].get('MethodId')) for entry in writes(second.emulator_log())]
    assert calls == [('ExecCreateTAP', None), ('ExecResetMFA', old_id), ('ExecCreateTAP', None)]  # the log holds both runs


def test_registration_campaign_is_read_first_written_once_and_verified(run_playbook, cipp_env, emulator):
    user = _member(emulator)
    admin = next(u for u in _tenant(emulator).users.values() if u.get('_isAdmin'))
    task = {'msp.cipp.cipp_registration_campaign': {'tenant': TENANT, 'state': 'enabled', 'snooze_days': 3,
                                                    'include_users': [user['userPrincipalName']], 'exclude_users': [admin['id']]}}
    run = run_playbook(_play(
        dict(task, name='Preview', check_mode=True, diff=True), dict(task, name='Start'), dict(task, name='Again'),
        {'name': 'Only the state', 'msp.cipp.cipp_registration_campaign': {'tenant': TENANT, 'state': 'enabled'}},
        {'name': 'Bad snooze', 'msp.cipp.cipp_registration_campaign': {'tenant': TENANT, 'snooze_days': 20}, 'ignore_errors': True},
        {'name': 'Both', 'msp.cipp.cipp_registration_campaign': {'tenant': TENANT, 'include_all_users': True,
                                                                 'include_users': [user['id']]}, 'ignore_errors': True},
    ), env=cipp_env)
    assert run.rc == 0, run.output
    preview = run.result('Preview')
    assert preview['changed'] and preview['diff']['before']['state'] == 'default' and preview['diff']['after']['state'] == 'enabled'
    start = run.result('Start')
    assert start['changed'] and start['campaign']['state'] == 'enabled' and start['campaign']['snooze_days'] == 3
    assert start['campaign']['include'] == [{'id': user['id'], 'type': 'user'}]
    assert start['campaign']['exclude'] == [{'id': admin['id'], 'type': 'user'}]
    assert not run.result('Again')['changed'] and not run.result('Only the state')['changed']
    assert run.status('Bad snooze') == 'failed' and 'snooze_days' in run.result('Bad snooze')['msg']
    assert run.status('Both') == 'failed' and 'include_all_users' in run.result('Both')['msg']
    [sent] = writes(run.emulator_log())
    assert sent['endpoint'] == 'ExecRegistrationCampaign' and sent['params']['includeUsers'] == [user['id']]
    assert sent['params']['excludeUsers'] == [admin['id']] and 'includeAllUsers' not in sent['params']


def test_a_pass_whose_answer_is_lost_is_removed_so_a_re_run_issues_one_that_is_held(run_playbook, cipp_env, emulator, tmp_path):
    user = _member(emulator, lambda u: not u.get('_taps'))
    handover = tmp_path / 'handover'
    present = _mfa(user, temporary_access_pass={'state': 'present'}, handover_dir=str(handover))
    request = urllib.request.Request(emulator.url + '/_emulator/faults', method='POST', headers={'Content-Type': 'application/json'},
                                     data=json.dumps([{'endpoint': 'ExecCreateTAP', 'kind': 'lost_response', 'count': 1}]).encode())
    urllib.request.urlopen(request, timeout=15).close()
    run = run_playbook(_play(dict(present, name='Lost', ignore_errors=True), dict(present, name='Again')), env=cipp_env)
    assert run.rc == 0, run.output
    assert run.status('Lost') == 'failed' and 'removed again, since nobody holds it' in run.result('Lost')['msg']
    again = run.result('Again')
    assert again['changed'] and os.path.exists(again['handover_file'])
    assert [entry['endpoint'] for entry in writes(run.emulator_log())] == ['ExecCreateTAP', 'ExecResetMFA', 'ExecCreateTAP']
    assert len(_tenant(emulator).users[user['id']]['_taps']) == 1
