# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cipp_mfa's hand-over file for a new Temporary Access Pass, on both execution paths: a directory others may write to
is refused before any pass exists, a planted symlink is never written through, and the pass is never in the result."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

import pytest

from security_utils import TENANT, tenant_of, writes  # pylint: disable=import-error


def _without_pass(emulator):
    with emulator.state.lock:
        return next(u for u in tenant_of(emulator).users.values() if u['userType'] == 'Member' and not u.get('_taps')
                    and u.get('accountEnabled') and not u.get('_isAdmin'))


def _play(user, handover):
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Pass', 'msp.cipp.cipp_mfa': {'tenant': TENANT, 'user': user['userPrincipalName'], 'handover_dir': handover,
                                               'temporary_access_pass': {'state': 'present'}}, 'ignore_errors': True}]}]


@pytest.mark.parametrize('mode', [0o770, 0o777])
def test_a_handover_dir_others_may_write_to_is_refused_before_a_pass_is_made(mode, run_playbook, path_env, emulator, tmp_path):
    handover = tmp_path / 'handover'
    handover.mkdir()
    os.chmod(str(handover), mode)
    user = _without_pass(emulator)
    run = run_playbook(_play(user, str(handover)), env=path_env)
    assert run.status('Pass') == 'failed'
    assert 'handover_dir' in run.result('Pass')['msg'] and 'written by its group or by others' in run.result('Pass')['msg']
    assert writes(run.emulator_log()) == [] and os.listdir(str(handover)) == []
    assert stat.S_IMODE(os.stat(str(handover)).st_mode) == mode  # never chmod-ed


def test_a_planted_symlink_is_not_written_through(run_playbook, path_env, emulator, tmp_path):
    handover = tmp_path / 'handover'
    handover.mkdir(mode=0o700)
    victim = tmp_path / 'victim.txt'
    victim.write_text('keep me')
    user = _without_pass(emulator)
    os.symlink(str(victim), str(handover / ('%s.txt' % user['userPrincipalName'])))
    run = run_playbook(_play(user, str(handover)), env=path_env, verbosity=3)
    assert run.status('Pass') == 'changed', run.output
    written = run.result('Pass')['handover_file']
    assert written == str(handover / ('%s-2.txt' % user['userPrincipalName'])) and not os.path.islink(written)
    assert victim.read_text() == 'keep me'
    with emulator.state.lock:
        secret = tenant_of(emulator).users[user['id']]['_taps'][0]['temporaryAccessPass']
    with open(written) as handle:
        assert secret in handle.read()
    assert secret not in run.output + json.dumps(run.results)
