# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files written on the controller: hand-over files (first credentials), evidence, summaries, password files.

A directory is used only when it is the running user's own and nobody else may write to it (checked before the first
write to CIPP, never chmod-ed); files are created O_EXCL|O_NOFOLLOW 0600, never written through a symlink or over
an older file; every value that becomes part of a file name is checked against traversal; and when a hand-over file
cannot be written after users were created, the task still says who was created and where the credentials are.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat
import subprocess

import pytest

from security_utils import TENANT, plain_member, tenant_of, writes  # pylint: disable=import-error


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def _users_play(handover, names, **options):
    users = [{'user_principal_name': '%s@%s' % (name, TENANT), 'display_name': name.title(), 'usage_location': 'NL'}
             for name in names]
    args = dict({'tenant': TENANT, 'users': users, 'handover_dir': handover}, **options)
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Roster', 'msp.cipp.cipp_users': args, 'ignore_errors': True}]}]


def _files_under(root):
    return sorted(os.path.relpath(os.path.join(folder, name), root) for folder, _dirs, names in os.walk(root) for name in names)


# ------------------------------------------------------------------------------------------------ modules, both paths

@pytest.mark.parametrize('mode', [0o770, 0o777])
def test_a_handover_dir_others_may_write_to_is_refused_before_any_user_is_created(run_playbook, path_env, emulator,
                                                                                  tmp_path, mode):
    handover = tmp_path / 'handover'
    handover.mkdir()
    os.chmod(str(handover), mode)
    run = run_playbook(_users_play(str(handover), ['hand.one']), env=path_env)
    assert run.status('Roster') == 'failed'
    assert 'handover_dir' in run.result('Roster')['msg'] and 'written by its group or by others' in run.result('Roster')['msg']
    assert writes(run.emulator_log()) == []
    assert _mode(str(handover)) == mode and os.listdir(str(handover)) == []


def test_a_file_left_by_an_earlier_run_is_kept_and_the_new_one_gets_its_own_name(run_playbook, path_env, emulator, tmp_path):
    handover = tmp_path / 'handover'
    handover.mkdir(mode=0o700)
    old = handover / ('hand.two@%s.txt' % TENANT)
    old.write_text('an older hand-over\n')
    victim = tmp_path / 'victim'
    victim.write_text('keep me\n')
    os.symlink(str(victim), str(handover / ('hand.two@%s-2.txt' % TENANT)))
    run = run_playbook(_users_play(str(handover), ['hand.two']), env=path_env)
    assert run.status('Roster') == 'changed', run.output
    [written] = run.result('Roster')['handover_files']
    assert os.path.basename(written) == 'hand.two@%s-3.txt' % TENANT and _mode(written) == 0o600
    assert old.read_text() == 'an older hand-over\n' and victim.read_text() == 'keep me\n'


def test_a_missing_handover_dir_is_created_0700_with_its_parents(run_playbook, path_env, emulator, tmp_path):
    handover = tmp_path / 'new' / 'handover'
    run = run_playbook(_users_play(str(handover), ['hand.three']), env=path_env)
    assert run.status('Roster') == 'changed', run.output
    assert _mode(str(tmp_path / 'new')) == 0o700 and _mode(str(handover)) == 0o700


def _chattr(flag, path):
    try:
        return subprocess.run(['chattr', flag, path], check=False, capture_output=True).returncode == 0
    except OSError:
        return False


def test_a_handover_file_that_cannot_be_written_still_reports_who_was_created(run_playbook, path_env, emulator, tmp_path):
    """The directory passes the checks but refuses new files (immutable, which even root cannot write into)."""
    handover = tmp_path / 'handover'
    handover.mkdir(mode=0o700)
    if not _chattr('+i', str(handover)):
        pytest.skip('chattr +i is not available here (needs root and a filesystem with attributes)')
    try:
        run = run_playbook(_users_play(str(handover), ['hand.four', 'hand.five']), env=path_env)
    finally:
        _chattr('-i', str(handover))
    assert run.status('Roster') == 'failed'
    result = run.result('Roster')
    upns = ['hand.four@%s' % TENANT, 'hand.five@%s' % TENANT]
    assert sorted(result['created']) == sorted(upns)
    message = result['msg']
    assert message.startswith('Created ') and all(upn in message for upn in upns), message
    assert 'could not be written to %s' % handover in message and 'reset_password' in message
    with emulator.state.lock:
        present = set(u['userPrincipalName'].lower() for u in tenant_of(emulator).users.values())
    assert set(upns) <= present


def test_evidence_is_never_written_through_a_planted_symlink(run_playbook, path_env, emulator, tmp_path):
    with emulator.state.lock:
        user = next(u['userPrincipalName'] for u in tenant_of(emulator).users.values() if u.get('_compromised'))
    evidence = tmp_path / 'evidence'
    evidence.mkdir(mode=0o700)
    victim = tmp_path / 'victim'
    victim.write_text('keep me\n')
    os.symlink(str(victim), str(evidence / 'report.json'))
    run = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Evidence', 'msp.cipp.cipp_bec_info': {'tenant': TENANT, 'user': user, 'poll_interval': 1,
                                                        'evidence_path': str(evidence / 'report.json')}}]}], env=path_env)
    assert run.rc == 0, run.output
    written = run.result('Evidence')['evidence']
    assert os.path.basename(written['path']) == 'report-2.json' and written['hash_path'] == written['path'] + '.sha256'
    assert _mode(written['path']) == 0o600 and victim.read_text() == 'keep me\n'


def test_an_evidence_dir_of_others_is_refused_before_anything_is_read(run_playbook, path_env, emulator, tmp_path):
    evidence = tmp_path / 'evidence'
    evidence.mkdir()
    os.chmod(str(evidence), 0o777)
    run = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Offboard', 'msp.cipp.cipp_offboard': {'tenant': TENANT, 'user': plain_member(emulator)['userPrincipalName'],
                                                        'revoke_sessions': True, 'evidence_path': str(evidence / 'e.json')},
         'ignore_errors': True}]}], env=path_env)
    assert run.status('Offboard') == 'failed' and 'evidence_path' in run.result('Offboard')['msg']
    assert run.emulator_log() == [] and _mode(str(evidence)) == 0o777


# ------------------------------------------------------------------------------------------------ roles

def _offboarding(leaver, **role_vars):
    role_vars.setdefault('offboarding_defaults', {'revoke_sessions': True})
    role_vars.update({'offboarding_leavers': [{'user': leaver, 'tenant': TENANT}], 'offboarding_poll_interval': 1})
    return [{'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.offboarding', 'vars': role_vars}]}]


@pytest.mark.parametrize('leaver', ['../../../tmp/escape@contoso.com', 'a/b@contoso.com', '.hidden@contoso.com'])
def test_offboarding_refuses_a_leaver_name_that_is_not_a_file_name(run_playbook, cipp_env, emulator, tmp_path, leaver):
    evidence = tmp_path / 'evidence'
    run = run_playbook(_offboarding(leaver, offboarding_evidence_dir=str(evidence)), env=cipp_env)
    assert run.rc != 0
    assert 'offboarding_leavers[].user %r cannot be part of a file name' % leaver in run.output, run.output[-3000:]
    assert run.emulator_log() == [] and not evidence.exists()


@pytest.mark.parametrize('ticket', ['../../etc/cron.d/evil', 'INC 1', 'x`y`'])
def test_bec_response_refuses_a_ticket_that_is_not_a_file_name(run_playbook, cipp_env, emulator, tmp_path, ticket):
    run = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.bec_response', 'vars': {
        'bec_response_tenant': TENANT, 'bec_response_user': 'x@contoso.com', 'bec_response_ticket': ticket,
        'bec_response_evidence_dir': str(tmp_path / 'evidence')}}]}], env=cipp_env)
    assert run.rc != 0
    assert 'bec_response_ticket %r cannot be part of a file name' % ticket in run.output
    assert run.emulator_log() == [] and not (tmp_path / 'evidence').exists()


def test_offboarding_refuses_an_evidence_dir_others_may_write_to_and_leaves_its_mode(run_playbook, cipp_env, emulator, tmp_path):
    evidence = tmp_path / 'evidence'
    evidence.mkdir()
    os.chmod(str(evidence), 0o775)
    run = run_playbook(_offboarding(plain_member(emulator)['userPrincipalName'], offboarding_evidence_dir=str(evidence)),
                       env=cipp_env)
    assert run.rc != 0
    assert 'written by its group or by others (mode 0775)' in run.output
    assert writes(run.emulator_log()) == [] and _mode(str(evidence)) == 0o775 and os.listdir(str(evidence)) == []


def test_role_defaults_write_outside_the_project(run_playbook, cipp_env, emulator, tmp_path):
    """No evidence directory given: the files go to $XDG_STATE_HOME/msp.cipp/offboarding, not next to the playbook."""
    state = tmp_path / 'state'
    upn = plain_member(emulator)['userPrincipalName']
    run = run_playbook(_offboarding(upn), env=dict(cipp_env, XDG_STATE_HOME=str(state)))
    assert run.rc == 0, run.output
    folder = state / 'msp.cipp' / 'offboarding'
    assert _mode(str(state / 'msp.cipp')) == 0o700 and _mode(str(folder)) == 0o700
    assert sorted(os.listdir(str(folder))) == sorted(['%s-audit.json' % upn, '%s-offboarding.md' % upn,
                                                      '%s-offboarding-evidence.json' % upn, '%s-offboarding-evidence.json.sha256' % upn])
    playbook_dir = os.path.dirname(run.command[3])
    assert not [name for name in os.listdir(playbook_dir) if name in ('evidence', 'handover', 'reports')]


def test_role_defaults_no_longer_mention_playbook_dir():
    from security_utils import __file__ as here  # pylint: disable=import-error
    repo = os.path.abspath(os.path.join(os.path.dirname(here), '..', '..'))
    for path in ['roles/onboarding/defaults/main.yml', 'roles/offboarding/defaults/main.yml',
                 'roles/bec_response/defaults/main.yml', 'playbooks/mfa_gap_report.yml', 'playbooks/demo.yml']:
        with open(os.path.join(repo, path)) as handle:
            lines = [line for line in handle if not line.lstrip().startswith('#')]
        assert not [line for line in lines if 'playbook_dir' in line], path


def test_the_mfa_report_refuses_a_folder_of_others(run_playbook, cipp_env, emulator, tmp_path):
    reports = tmp_path / 'reports'
    reports.mkdir()
    os.chmod(str(reports), 0o777)
    inventory = {'all': {'hosts': {'localhost': {'ansible_connection': 'local'}},
                         'children': {'tenants': {'hosts': {'contoso': {'ansible_connection': 'local', 'cipp_default_domain': TENANT}}}}}}
    run = run_playbook('playbooks/mfa_gap_report.yml', extra_vars={'cipp_hosts': 'tenants', 'mfa_report_dir': str(reports)},
                       env=cipp_env, inventory=inventory)
    assert run.rc != 0 and 'written by its group or by others' in run.output
    assert os.listdir(str(reports)) == [] and _mode(str(reports)) == 0o777
