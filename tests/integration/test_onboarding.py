# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The onboarding role end to end against the emulator.

A roster from role vars and a CSV file, with the tenant template (domain, usage location, licences, groups):
the first run creates everyone with one AddUser each and leaves a 0600 hand-over file holding the password
CIPP generated; the re-run changes and writes nothing; a roster with problems fails before any write and
names every problem; with onboarding_credential=tap only the users created in the run get a Temporary
Access Pass. The emulator runs in this process, so its state (`_password`, `_taps`) is read directly.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from test_user_lifecycle import writes  # pylint: disable=import-error

TENANT = 'contoso.com'
TEMPLATE = {'tenant': TENANT, 'domain': TENANT, 'usage_location': 'GB', 'licenses': ['SPB'], 'groups': ['Sales'],
            'company_name': 'Contoso Ltd'}
VAR_HIRES = [
    {'username': 'ada.byron', 'given_name': 'Ada', 'surname': 'Byron', 'job_title': 'Analyst', 'groups': ['Finance']},
    {'username': 'alan.turing', 'given_name': 'Alan', 'surname': 'Turing', 'department': 'R&D', 'usage_location': 'NL'},
]
# Lists in the CSV are ';'-separated; an empty cell means "nothing beyond the template".
CSV_TEXT = ('username,given_name,surname,job_title,groups\n'
            'grace.hopper,Grace,Hopper,Engineer,Engineering;Project Phoenix\n'
            'edsger.dijkstra,Edsger,Dijkstra,,\n')
CSV_USERNAMES = ['grace.hopper', 'edsger.dijkstra']
# Callbacks see a role's tasks as "<role> : <task name>".
ROLE = 'msp.cipp.onboarding : '
CREATE_TASK = ROLE + "Create or update every hire, and hand each new user's first credential over in a 0600 file"
SUMMARY_TASK = ROLE + 'Show who was created and who was changed'
VALIDATE_TASK = ROLE + 'Validate the whole roster before creating anybody'


def _upn(username):
    return '%s@%s' % (username, TENANT)


def _play(handover, hires=None, csv_path=None, **role_vars):
    role_vars.setdefault('onboarding_template', TEMPLATE)
    role_vars.update({'onboarding_hires': hires or [], 'onboarding_handover_dir': handover})
    if csv_path:
        role_vars['onboarding_hires_csv'] = csv_path
    return [{'name': 'Onboard', 'hosts': 'localhost', 'gather_facts': False,
             'roles': [{'role': 'msp.cipp.onboarding', 'vars': role_vars}]}]


def _tenant(emulator):
    return next(t for t in emulator.state.tenants.values() if t.default_domain == TENANT)


def _group_names_of(tenant, user_id):
    return sorted(g['displayName'] for g in tenant.groups.values() if user_id in g.get('_members', ()))


def _sku_parts_of(tenant, user):
    held = set(lic['skuId'] for lic in user.get('assignedLicenses') or [])
    return sorted(sku['skuPartNumber'] for sku in tenant.skus.values() if sku['skuId'] in held)


def _handover_snapshot(handover):
    """name -> (inode, mtime_ns, size): a rewrite (copy's atomic replace) changes the inode, an edit the mtime."""
    snapshot = {}
    for name in os.listdir(handover):
        info = os.stat(os.path.join(handover, name))
        snapshot[name] = (info.st_ino, info.st_mtime_ns, info.st_size)
    return snapshot


def _item_changes(run):
    """`changed` of each hire in the cipp_users result, in roster order."""
    return [entry['changed'] for entry in run.result(CREATE_TASK)['users']]


def _changed_users(run):
    """The role's own summary: the hires that were changed (created ones included)."""
    return run.result(SUMMARY_TASK)['msg']['changed']


def test_roster_from_vars_and_csv_is_created_once_with_private_hand_over_files(run_playbook, cipp_env, emulator, tmp_path):
    csv_path = tmp_path / 'hires.csv'
    csv_path.write_text(CSV_TEXT)
    handover = str(tmp_path / 'handover')
    everyone = [hire['username'] for hire in VAR_HIRES] + CSV_USERNAMES
    tenant = _tenant(emulator)
    assert not [name for name in everyone if tenant.find_user(_upn(name))], 'the seed already has one of the hires'

    # -vvv: the most a job log would ever show; the passwords must still not be in it.
    first = run_playbook(_play(handover, VAR_HIRES, str(csv_path)), env=cipp_env, verbosity=3)
    assert first.rc == 0, first.output
    assert [entry['endpoint'] for entry in writes(first.emulator_log())] == ['AddUser'] * len(everyone)
    assert _item_changes(first) == [True] * len(everyone)
    assert _changed_users(first) == [_upn(name) for name in everyone]

    expected_groups = {'ada.byron': ['Finance', 'Sales'], 'alan.turing': ['Sales'],
                       'grace.hopper': ['Engineering', 'Project Phoenix', 'Sales'], 'edsger.dijkstra': ['Sales']}
    assert stat.S_IMODE(os.stat(handover).st_mode) == 0o700
    assert sorted(os.listdir(handover)) == sorted(_upn(name) + '.txt' for name in everyone)
    shown = first.stdout + first.stderr
    for name in everyone:
        user = tenant.find_user(_upn(name))
        assert user is not None, name
        # The template filled in what the hire left out; a hire's own value wins (alan.turing's NL).
        assert user['usageLocation'] == ('NL' if name == 'alan.turing' else 'GB'), user
        assert user['companyName'] == 'Contoso Ltd', user
        assert _sku_parts_of(tenant, user) == ['SPB'], name
        assert _group_names_of(tenant, user['id']) == expected_groups[name], name
        path = os.path.join(handover, _upn(name) + '.txt')
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        with open(path) as handle:
            lines = handle.read().splitlines()
        password = user['_password']
        assert password and lines == ['User: %s' % _upn(name), 'Password: %s' % password], lines
        assert password not in shown, 'the password of %s is in the -vvv output' % name
        assert password not in str(first.results), 'the password of %s reached a callback' % name

    before = len(first.emulator_log())
    files = _handover_snapshot(handover)
    second = run_playbook(_play(handover, VAR_HIRES, str(csv_path)), env=cipp_env)
    assert second.rc == 0, second.output
    assert writes(second.emulator_log()[before:]) == []
    assert _item_changes(second) == [False] * len(everyone)
    assert _changed_users(second) == []
    assert second.result(CREATE_TASK)['handover_files'] == []
    assert _handover_snapshot(handover) == files


def test_a_roster_with_problems_fails_before_any_write_and_names_every_problem(run_playbook, cipp_env, emulator, tmp_path):
    # O365_BUSINESS_PREMIUM (Business Standard) has one free seat in the seed; two hires need it. All Staff is the
    # seed's dynamic group: Graph refuses members there, so without this check the run would fail halfway (AddUser
    # creates the user, then reports the group). Legacy File Access is synced from AD: its members change there.
    hires = [
        {'username': 'ok.hire', 'given_name': 'Ok', 'surname': 'Hire'},
        {'user_principal_name': 'wrong.domain@fabrikam.example', 'given_name': 'Wrong', 'surname': 'Domain'},
        {'username': 'no.group', 'groups': ['No Such Group']},
        {'username': 'dynamic.group', 'groups': ['All Staff']},
        {'username': 'synced.group', 'groups': ['legacy file access']},
        {'username': 'seat.one', 'licenses': ['O365_BUSINESS_PREMIUM']},
        {'username': 'seat.two', 'licenses': ['O365_BUSINESS_PREMIUM']},
    ]
    handover = str(tmp_path / 'handover')
    run = run_playbook(_play(handover, hires), env=cipp_env)
    assert run.rc != 0, run.output
    failure = run.result(VALIDATE_TASK)
    message = failure['msg']
    assert 'nothing was created' in message, message
    for expected in ('wrong.domain@fabrikam.example: fabrikam.example is not a domain of the tenant',
                     'no.group@contoso.com: no group No Such Group in the tenant',
                     'O365_BUSINESS_PREMIUM: 2 new assignments but only 1 free seats',
                     'group All Staff has dynamic membership', 'group Legacy File Access is synced from on-premises AD'):
        assert expected in message, message
    assert 'ok.hire' not in message, message
    assert writes(run.emulator_log()) == []
    assert _tenant(emulator).find_user(_upn('ok.hire')) is None
    assert not os.path.exists(handover)


def test_tap_credential_is_created_for_new_users_only(run_playbook, cipp_env, emulator, tmp_path):
    handover = str(tmp_path / 'handover')
    veteran = [{'username': 'first.wave', 'given_name': 'First', 'surname': 'Wave'}]
    first = run_playbook(_play(handover, veteran), env=cipp_env)
    assert first.rc == 0, first.output
    password_file = os.path.join(handover, _upn('first.wave') + '.txt')
    kept = _handover_snapshot(handover)

    before = len(first.emulator_log())
    roster = veteran + [{'username': 'second.wave', 'given_name': 'Second', 'surname': 'Wave'}]
    second = run_playbook(_play(handover, roster, onboarding_credential='tap', onboarding_tap_lifetime_minutes=120),
                          env=cipp_env, verbosity=3)
    assert second.rc == 0, second.output
    sent = writes(second.emulator_log()[before:])
    assert [entry['endpoint'] for entry in sent] == ['AddUser', 'ExecCreateTAP'], sent
    assert second.result(CREATE_TASK)['created'] == [_upn('second.wave')]

    tenant = _tenant(emulator)
    assert tenant.find_user(sent[1]['params']['ID']) is tenant.find_user(_upn('second.wave')), sent[1]
    assert not tenant.find_user(_upn('first.wave')).get('_taps'), 'an existing user got a TAP'
    taps = tenant.find_user(_upn('second.wave')).get('_taps') or []
    assert len(taps) == 1, taps
    code = taps[0]['temporaryAccessPass']
    assert taps[0]['lifetimeInMinutes'] == 120 and taps[0]['isUsableOnce'] is True, taps[0]
    new_file = os.path.join(handover, _upn('second.wave') + '.txt')
    assert stat.S_IMODE(os.stat(new_file).st_mode) == 0o600
    with open(new_file) as handle:
        assert handle.read().splitlines() == ['User: %s' % _upn('second.wave'), 'Temporary Access Pass: %s' % code]
    assert code not in second.stdout + second.stderr + str(second.results)
    # The TAP run asked for no password, so none was handed over or shown; the first user's file is untouched.
    assert tenant.find_user(_upn('second.wave'))['_password'] not in second.stdout + second.stderr + str(second.results)
    assert _handover_snapshot(handover)[os.path.basename(password_file)] == kept[os.path.basename(password_file)]
