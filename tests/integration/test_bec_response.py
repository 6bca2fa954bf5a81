# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bec_response role on the emulator's compromised user of every tenant: contained, evidenced, nothing leaked."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import stat

from test_user_lifecycle import writes  # pylint: disable=import-error


def _compromised(emulator):
    with emulator.state.lock:
        return [(tenant.default_domain, user['userPrincipalName'], user['id'])
                for tenant in emulator.state.tenants.values() for user in tenant.users.values() if user.get('_compromised')]


def _play(tenant, upn, evidence_dir, steps=None):
    role_vars = {'bec_response_tenant': tenant, 'bec_response_user': upn, 'bec_response_evidence_dir': evidence_dir,
                 'bec_response_ticket': 'INC-42', 'bec_response_poll_interval': 1}
    if steps is not None:
        role_vars['bec_response_steps'] = steps
    return [{'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.bec_response', 'vars': role_vars}]}]


def _tenant(emulator, domain):
    return next(t for t in emulator.state.tenants.values() if t.default_domain == domain)


def test_each_compromised_user_is_contained_with_evidence_and_no_secret_shown(run_playbook, cipp_env, emulator, tmp_path):
    targets = _compromised(emulator)
    assert len(targets) == len(emulator.state.tenants) >= 4
    for domain, upn, user_id in targets:
        evidence = str(tmp_path / domain)
        with emulator.state.lock:
            own = sorted(m['id'] for m in _tenant(emulator, domain).users[user_id]['_mfaMethods'] or [] if not m.get('_suspicious'))
        run = run_playbook(_play(domain, upn, evidence), env=cipp_env, verbosity=3)
        assert run.rc == 0, run.output
        tenant = _tenant(emulator, domain)
        user, mailbox = tenant.users[user_id], tenant.mailboxes.get(user_id, {})
        own_domains = set(d['id'].lower() for d in tenant.domains)
        # No external forwarding and no rule that forwards outside the tenant.
        assert not mailbox.get('ForwardingSmtpAddress')
        for rule in tenant.inbox_rules.get(user_id, []):
            for key in ('ForwardTo', 'RedirectTo', 'ForwardAsAttachmentTo'):
                for target in rule.get(key) or []:
                    assert str(target).rsplit('@', maxsplit=1)[-1].strip(']').lower() in own_domains, (upn, rule['Name'], target)
            assert not rule.get('_malicious'), (upn, rule['Name'])
        assert user['_sessionsRevokedAt']
        # The attacker's phone (registered yesterday) is gone; the user's own, older methods stay.
        assert not [m for m in user['_mfaMethods'] or [] if m.get('_suspicious')], (upn, user['_mfaMethods'])
        assert sorted(m['id'] for m in user['_mfaMethods'] or []) == own, upn
        # Evidence: the report with its hash, the summary, the 0600 password hand-over file.
        prefix = os.path.join(evidence, 'INC-42-%s' % upn)
        with open(prefix + '-bec-report.json', 'rb') as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        with open(prefix + '-bec-report.json.sha256') as handle:
            assert handle.read().split()[0] == digest
        assert os.path.exists(prefix + '-summary.md')
        password_file = prefix + '-password.txt'
        assert stat.S_IMODE(os.stat(password_file).st_mode) == 0o600
        with open(password_file) as handle:
            password = handle.read().strip()
        assert password == user['_password']
        everything = run.stdout + run.stderr + json.dumps(run.results)
        assert password not in everything and cipp_env['CIPP_CLIENT_SECRET'] not in everything
        for name in os.listdir(evidence):
            if not name.endswith('-password.txt'):
                with open(os.path.join(evidence, name)) as handle:
                    assert password not in handle.read(), name


def test_a_rerun_changes_only_the_one_shot_steps(run_playbook, cipp_env, emulator, tmp_path):
    domain, upn, _user_id = _compromised(emulator)[0]
    first = run_playbook(_play(domain, upn, str(tmp_path / 'first')), env=cipp_env)
    assert first.rc == 0, first.output
    before = len(first.emulator_log())
    second = run_playbook(_play(domain, upn, str(tmp_path / 'second')), env=cipp_env)
    assert second.rc == 0, second.output
    assert [entry['endpoint'] for entry in writes(second.emulator_log()[before:])] == ['ExecRevokeSessions', 'ExecResetPass']
    steps = second.result('msp.cipp.bec_response : Show what containment did')['msg']
    assert [step['state'] for step in steps] == ['done', 'done', 'already done', 'already done', 'already done']


def test_check_mode_captures_the_report_and_writes_nothing(run_playbook, cipp_env, emulator, tmp_path):
    domain, upn, _user_id = _compromised(emulator)[0]
    evidence = str(tmp_path / 'check')
    run = run_playbook(_play(domain, upn, evidence), env=cipp_env, check=True)
    assert run.rc == 0, run.output
    assert writes(run.emulator_log()) == []
    assert os.path.exists(os.path.join(evidence, 'INC-42-%s-bec-report.json' % upn))
    assert not os.path.exists(os.path.join(evidence, 'INC-42-%s-password.txt' % upn))
    steps = run.result('msp.cipp.bec_response : Show what containment did')['msg']
    assert [step['state'] for step in steps] == ['planned'] * 5


def test_an_admin_is_refused_without_allow_privileged(run_playbook, cipp_env, emulator, tmp_path):
    tenant = _tenant(emulator, 'contoso.com')
    admin = next(u for u in tenant.users.values() if u.get('_isAdmin') and u['userType'] == 'Member')
    run = run_playbook(_play('contoso.com', admin['userPrincipalName'], str(tmp_path)), env=cipp_env)
    assert run.rc != 0 and 'holds an admin role' in run.stdout
    assert writes(run.emulator_log()) == []


def test_all_removes_every_method_and_an_admin_loses_its_roles(run_playbook, cipp_env, emulator, tmp_path):
    """bec_response_mfa_methods: all wipes the user's own methods too; a compromised admin (allowed explicitly) is taken
    out of its directory roles, and the evidence summary names them and the recent permission changes."""
    domain, upn, user_id = _compromised(emulator)[0]
    tenant = _tenant(emulator, domain)
    with emulator.state.lock:
        role = next(r for r in tenant.roles.values() if r['displayName'] == 'Exchange Administrator')
        role['_members'].append(user_id)
    role_vars = {'bec_response_tenant': domain, 'bec_response_user': upn, 'bec_response_evidence_dir': str(tmp_path / 'e'),
                 'bec_response_poll_interval': 1, 'bec_response_mfa_methods': 'all', 'bec_response_allow_privileged': True}
    run = run_playbook([{'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.bec_response', 'vars': role_vars}]}],
                       env=cipp_env)
    assert run.rc == 0, run.output
    assert tenant.users[user_id]['_mfaMethods'] in ([], None)
    assert user_id not in role['_members']
    sent = [entry['endpoint'] for entry in writes(run.emulator_log())]
    assert 'ExecRemoveAdminRole' in sent
    with open(os.path.join(str(tmp_path / 'e'), '%s-summary.md' % upn)) as handle:
        summary = handle.read()
    assert 'Directory roles held: Exchange Administrator' in summary and 'remove\\_admin\\_roles' in summary, summary
