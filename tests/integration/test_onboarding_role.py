# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The onboarding role: a validated roster, one AddUser per hire, 0600 hand-over files, nothing on the re-run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

from test_user_lifecycle import writes  # pylint: disable=import-error

TEMPLATE = {'tenant': 'contoso.com', 'domain': 'contoso.com', 'usage_location': 'GB', 'licenses': ['SPB'], 'company_name': 'Contoso'}


def _play(hires, handover, csv_path=None, template=None):
    role_vars = {'onboarding_template': template or TEMPLATE, 'onboarding_hires': hires, 'onboarding_handover_dir': handover}
    if csv_path:
        role_vars['onboarding_hires_csv'] = csv_path
    return [{'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.onboarding', 'vars': role_vars}]}]


def test_roster_from_vars_and_csv_twice(run_playbook, cipp_env, emulator, tmp_path):
    csv_path = tmp_path / 'hires.csv'
    csv_path.write_text('username,given_name,surname,groups\ncsv.one,Csv,One,Finance\ncsv.two,Csv,Two,\n')
    hires = [{'username': 'var.one', 'given_name': 'Var', 'surname': 'One', 'groups': ['Engineering']}]
    handover = str(tmp_path / 'handover')
    first = run_playbook(_play(hires, handover, str(csv_path)), env=cipp_env, verbosity=3)
    assert first.rc == 0, first.output
    assert [entry['endpoint'] for entry in writes(first.emulator_log())] == ['AddUser'] * 3
    tenant = next(t for t in emulator.state.tenants.values() if t.default_domain == 'contoso.com')
    for name in ('var.one', 'csv.one', 'csv.two'):
        upn = '%s@contoso.com' % name
        path = os.path.join(handover, upn + '.txt')
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with open(path) as handle:
            content = handle.read()
        password = tenant.find_user(upn)['_password']
        assert 'Password: %s' % password in content
        assert password not in first.stdout + first.stderr + json.dumps(first.results)
    mtimes = dict((name, os.stat(os.path.join(handover, name)).st_mtime) for name in os.listdir(handover))

    before = len(first.emulator_log())
    second = run_playbook(_play(hires, handover, str(csv_path)), env=cipp_env)
    assert second.rc == 0, second.output
    assert writes(second.emulator_log()[before:]) == []
    assert dict((name, os.stat(os.path.join(handover, name)).st_mtime) for name in os.listdir(handover)) == mtimes


def test_a_bad_roster_fails_before_anybody_is_created(run_playbook, cipp_env, tmp_path):
    hires = [{'user_principal_name': 'x@fabrikam.example'}, {'username': 'y', 'groups': ['No Such Group']},
             {'username': 'z', 'licenses': ['NOT_A_SKU']}]
    run = run_playbook(_play(hires, str(tmp_path / 'handover')), env=cipp_env)
    assert run.rc != 0
    message = run.stdout
    assert 'fabrikam.example is not a domain' in message and 'no group No Such Group' in message and 'no licence NOT_A_SKU' in message
    assert writes(run.emulator_log()) == []
