# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reports the collection writes: a tenant-supplied value never becomes a spreadsheet formula or Markdown/HTML.

Someone with rights in a customer tenant can name an inbox rule, a group or themselves whatever they like. The test
puts such names into the emulator's tenant (as an attacker would into a real one), runs the role or playbook that
reports on them, and reads the file it wrote.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import glob
import os

from security_utils import TENANT, plain_member, tenant_of  # pylint: disable=import-error

LINK = '[Verify your account](https://evil.example/login)'
HTML = '<img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("https://evil.example","Payroll")'


def test_bec_summary_shows_a_rule_name_as_text(run_playbook, cipp_env, emulator, tmp_path):
    with emulator.state.lock:
        tenant = tenant_of(emulator)
        victim = next(u for u in tenant.users.values() if u.get('_compromised'))
        rule = next(r for r in tenant.inbox_rules[victim['id']] if r.get('_malicious'))
        rule['Name'] = '%s %s | *x*' % (LINK, HTML)
    evidence = tmp_path / 'evidence'
    run = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.bec_response', 'vars': {
        'bec_response_tenant': TENANT, 'bec_response_user': victim['userPrincipalName'], 'bec_response_ticket': 'INC-7',
        'bec_response_steps': ['revoke_sessions', 'remove_external_rules'], 'bec_response_evidence_dir': str(evidence),
        'bec_response_poll_interval': 1}}]}], env=cipp_env)
    assert run.rc == 0, run.output[-4000:]
    [summary] = glob.glob(str(evidence / '*-summary.md'))
    with open(summary) as handle:
        text = handle.read()
    assert 'Verify your account' in text, text
    assert LINK not in text and '](https://' not in text and HTML not in text and '<img' not in text
    assert '\\[Verify your account\\]' in text and '&lt;img src=x onerror=alert(1)&gt;' in text and '\\| \\*x\\*' in text


def test_offboarding_summary_shows_group_names_as_text(run_playbook, cipp_env, emulator, tmp_path):
    member = plain_member(emulator)
    with emulator.state.lock:
        group = next(g for g in tenant_of(emulator).groups.values() if member['id'] in g['_members'])
        group['displayName'] = '%s `rm -rf` %s' % (HTML, LINK)
    evidence = tmp_path / 'evidence'
    run = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.offboarding', 'vars': {
        'offboarding_leavers': [{'user': member['userPrincipalName'], 'tenant': TENANT, 'reference': '<b>REF</b>'}],
        'offboarding_defaults': {'revoke_sessions': True}, 'offboarding_evidence_dir': str(evidence)}}]}],
        env=cipp_env)
    assert run.rc == 0, run.output[-4000:]
    with open(str(evidence / ('%s-offboarding.md' % member['userPrincipalName']))) as handle:
        text = handle.read()
    assert '- Groups: ' in text and 'Verify your account' in text, text
    assert HTML not in text and LINK not in text and '`rm -rf`' not in text and '<b>' not in text
    assert '&lt;b&gt;REF&lt;/b&gt;' in text


def test_mfa_report_neutralises_formulas_and_markup(run_playbook, cipp_env, emulator, tmp_path):
    member = plain_member(emulator)
    with emulator.state.lock:
        tenant_of(emulator).users[member['id']]['displayName'] = FORMULA
    reports = tmp_path / 'reports'
    inventory = {'all': {'hosts': {'localhost': {'ansible_connection': 'local'}},
                         'children': {'tenants': {'hosts': {'contoso': {'ansible_connection': 'local', 'cipp_default_domain': TENANT}}}}}}
    run = run_playbook('playbooks/mfa_gap_report.yml', extra_vars={'cipp_hosts': 'tenants', 'mfa_report_dir': str(reports)},
                       env=cipp_env, inventory=inventory)
    assert run.rc == 0, run.output[-4000:]
    with open(str(reports / 'mfa_gap_report.csv')) as handle:
        rows = list(csv.DictReader(handle))
    [row] = [r for r in rows if r['user_principal_name'] == member['userPrincipalName']]
    assert row['display_name'] == "'" + FORMULA
    assert not [value for r in rows for value in r.values() if value[:1] in ('=', '+', '-', '@')]
    assert os.path.exists(str(reports / 'mfa_gap_report.md'))
