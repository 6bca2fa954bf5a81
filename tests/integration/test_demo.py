# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo` must stay true: the demo playbook runs end to end on the emulator, and a second run changes little."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from test_user_lifecycle import writes  # pylint: disable=import-error


def test_the_demo_runs_end_to_end(run_playbook, cipp_env, tmp_path):
    extra = {'demo_dir': str(tmp_path / 'files')}
    run = run_playbook('playbooks/demo.yml', env=cipp_env, extra_vars=extra)
    assert run.rc == 0, run.output
    sent = [entry['endpoint'] for entry in writes(run.emulator_log())]
    assert sent.count('AddUser') == 3 and sent.count('ExecOffboardUser') == 1 and 'ExecRevokeSessions' in sent
    assert (tmp_path / 'files' / 'handover' / 'ada.lovelace@contoso.com.txt').exists()
    assert (tmp_path / 'files' / 'bec' / 'INC-DEMO-quinn.bakker@contoso.com-summary.md').exists()
    assert (tmp_path / 'files' / 'offboarding' / 'tess.hendriks@contoso.com-offboarding.md').exists()

    before = len(run.emulator_log())
    again = run_playbook('playbooks/demo.yml', env=cipp_env, extra_vars=extra)
    assert again.rc == 0, again.output
    # Only the BEC response's one-shot steps write again.
    assert [entry['endpoint'] for entry in writes(again.emulator_log()[before:])] == ['ExecRevokeSessions', 'ExecResetPass']
