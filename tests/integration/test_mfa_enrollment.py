# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mfa_enrollment role on the emulator: whom it enrols, the hand-over files, the campaign, progress on re-runs,
and that a re-run issues no second pass."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat
import urllib.request

from test_user_lifecycle import writes  # pylint: disable=import-error

TENANT = 'contoso.com'


def _tenant(emulator):
    return next(t for t in emulator.state.tenants.values() if t.default_domain == TENANT)


def _gap_users(emulator):
    """The seed's enabled member accounts without MFA in Contoso, and the directory role holders among them."""
    tenant = _tenant(emulator)
    holders = set(member for role in tenant.roles.values() for member in role['_members'])
    users = [u for u in tenant.users.values() if u['userType'] == 'Member' and u.get('accountEnabled') and u.get('_mfaMethods') == []]
    return [u for u in users if u['id'] not in holders], [u for u in users if u['id'] in holders]


def _play(handover, check=False, **extra):
    variables = dict({'mfa_enrollment_tenant': TENANT, 'mfa_enrollment_handover_dir': handover, 'mfa_enrollment_campaign': True}, **extra)
    play = {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.mfa_enrollment', 'vars': variables}]}
    if check:
        play['check_mode'] = True
    return [play]


def _progress(run):
    return run.result('msp.cipp.mfa_enrollment : Report progress')['ansible_facts']['mfa_enrollment_progress']


def _register(emulator, upn):
    request = urllib.request.Request(emulator.url + '/_emulator/mfa/register', method='POST',
                                     data=json.dumps({'tenant': TENANT, 'user': upn}).encode(), headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=15) as answer:
        assert answer.status == 200


def test_enrolment_then_progress_on_re_runs(run_playbook, cipp_env, emulator, tmp_path):
    plain, holders = _gap_users(emulator)
    assert len(plain) >= 2 and holders, 'the seed no longer has the users this test needs'
    enrolled, left_out = plain[0], plain[1]
    handover = str(tmp_path / 'handover')
    tenant_dir = os.path.join(handover, TENANT)

    first = run_playbook(_play(handover, mfa_enrollment_exclude=[left_out['userPrincipalName'].upper()]), env=cipp_env)
    assert first.rc == 0, first.output
    progress = _progress(first)
    assert [item['user'] for item in progress['issued']] == [enrolled['userPrincipalName']]
    assert progress['holding_tap'] == [enrolled['userPrincipalName']] and progress['pending'] == []
    assert progress['excluded'] == [left_out['userPrincipalName']]
    assert set(u['userPrincipalName'] for u in holders) <= set(progress['protected'])
    path = progress['issued'][0]['handover_file']
    assert path == os.path.join(tenant_dir, enrolled['userPrincipalName'] + '.txt')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        assert handle.read().split(': ')[-1].strip() == _tenant(emulator).users[enrolled['id']]['_taps'][0]['temporaryAccessPass']
    sent = writes(first.emulator_log())
    assert [entry['endpoint'] for entry in sent] == ['ExecCreateTAP', 'ExecRegistrationCampaign']
    assert sent[0]['params']['ID'] == enrolled['id'] and sent[1]['params']['includeUsers'] == [enrolled['id']]
    assert not any(u.get('_taps') for u in holders + [left_out])

    # A re-run changes nothing: the user holds a usable pass, the campaign is as wanted.
    second = run_playbook(_play(handover, mfa_enrollment_exclude=[left_out['userPrincipalName']]), env=cipp_env)
    assert second.rc == 0, second.output
    assert not [r for r in second.results if r['status'] == 'changed'], [r['task'] for r in second.results if r['status'] == 'changed']
    assert _progress(second)['holding_tap'] == [enrolled['userPrincipalName']] and _progress(second)['issued'] == []
    assert len(writes(second.emulator_log())) == 2  # the first run's

    # The user registers; the next run says so (from the hand-over file it knows whom it enrolled) and sends nothing.
    _register(emulator, enrolled['userPrincipalName'])
    third = run_playbook(_play(handover, mfa_enrollment_exclude=[left_out['userPrincipalName']]), env=cipp_env)
    assert third.rc == 0, third.output
    assert _progress(third)['registered'] == [enrolled['userPrincipalName']] and _progress(third)['holding_tap'] == []
    assert len(writes(third.emulator_log())) == 2

    # A preview without the exclusion: the left-out user would get a pass; nothing is sent, no file written.
    preview = run_playbook(_play(handover, check=True), env=cipp_env)
    assert preview.rc == 0, preview.output
    assert [item['user'] for item in _progress(preview)['issued']] == [left_out['userPrincipalName']]
    assert _progress(preview)['issued'][0]['handover_file'] is None
    assert len(writes(preview.emulator_log())) == 2
    assert sorted(os.listdir(tenant_dir)) == [enrolled['userPrincipalName'] + '.txt']


def test_a_tenant_name_that_is_no_file_name_fails_before_any_call(run_playbook, cipp_env, emulator, tmp_path):
    run = run_playbook(_play(str(tmp_path / 'handover'), mfa_enrollment_tenant='../contoso.com'), env=cipp_env)
    assert run.rc != 0 and 'mfa_enrollment_tenant' in run.output
    assert [entry for entry in run.emulator_log() if entry['kind'] in ('read', 'write')] == []
