# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No role task carries a secret in its result, on either execution path, at -vvv with --diff.

Covers what the resilience secrets test does not: passwords supplied by the hires themselves (in onboarding_hires
and in a CSV `password` column), which the role used to store in set_fact results (printed at -v). The secrets are
the hire-supplied passwords plus everything secret the emulator holds after the run (client secret, tokens,
generated passwords, TAPs), so a secret the test does not know about cannot slip through. Files are checked too:
only the 0600 hand-over files, the BEC password file and the token cache may hold one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

import pytest

from security_utils import TENANT, plain_member, tenant_of  # pylint: disable=import-error

HIRE_PASSWORDS = {'given.one': 'Hire-Supplied-Pass-1!', 'given.two': 'Hire-Supplied-Pass-2!',
                  'csv.three': 'Csv-Column-Pass-3!', 'csv.four': 'Csv-Column-Pass-4!'}
BEC_STEPS = ['revoke_sessions', 'reset_password', 'disable_forwarding', 'remove_external_rules']


def _emulator_secrets(emulator, cipp_env):
    with emulator.state.lock:
        found = {cipp_env['CIPP_CLIENT_SECRET']} | set(emulator.state.tokens)
        for tenant in emulator.state.tenants.values():
            for user in list(tenant.users.values()) + list(tenant.deleted.values()):
                found.add(user.get('_password'))
                found.update(tap.get('temporaryAccessPass') for tap in user.get('_taps') or [])
    return set(secret for secret in found if secret and len(secret) >= 8)


def _onboarding(files, csv_path):
    hires = [{'username': name, 'given_name': 'Given', 'surname': name.split('.')[1].title(), 'password': password}
             for name, password in HIRE_PASSWORDS.items() if name.startswith('given.')]
    return {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.onboarding', 'vars': {
        'onboarding_template': {'tenant': TENANT, 'domain': TENANT, 'usage_location': 'GB', 'licenses': ['SPB']},
        'onboarding_hires': hires, 'onboarding_hires_csv': csv_path,
        'onboarding_handover_dir': os.path.join(files, 'handover')}}]}


def _write_csv(path):
    lines = ['username,given_name,surname,password']
    lines += ['%s,Csv,%s,%s' % (name, name.split('.')[1].title(), password)
              for name, password in HIRE_PASSWORDS.items() if name.startswith('csv.')]
    with open(path, 'w') as handle:
        handle.write('\n'.join(lines) + '\n')


def _bec(emulator, files):
    with emulator.state.lock:
        user = next(u['userPrincipalName'] for u in tenant_of(emulator).users.values() if u.get('_compromised'))
    return {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.bec_response', 'vars': {
        'bec_response_tenant': TENANT, 'bec_response_user': user, 'bec_response_steps': BEC_STEPS,
        'bec_response_ticket': 'INC-1', 'bec_response_evidence_dir': os.path.join(files, 'evidence'),
        'bec_response_poll_interval': 1}}]}


def _offboarding(emulator, files):
    upn = plain_member(emulator)['userPrincipalName']
    return {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.offboarding', 'vars': {
        # No remove_mfa_methods: the emulator does not serve authentication methods yet.
        'offboarding_defaults': {'revoke_sessions': True, 'disable_sign_in': True, 'hide_from_gal': True},
        'offboarding_leavers': [{'user': upn, 'tenant': TENANT, 'options': {'reset_password': True}}],
        'offboarding_evidence_dir': os.path.join(files, 'evidence'), 'offboarding_poll_interval': 1}}]}


def _mfa_enrollment(files):
    return {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.mfa_enrollment', 'vars': {
        'mfa_enrollment_tenant': TENANT, 'mfa_enrollment_campaign': True,
        'mfa_enrollment_handover_dir': os.path.join(files, 'handover')}}]}


def _files(root):
    for folder, _dirs, names in os.walk(root):
        for name in names:
            yield os.path.join(folder, name)


def _is_a_secret_store(path, root):
    relative = os.path.relpath(path, root).split(os.sep)
    private = stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0
    return private and ('handover' in relative or path.endswith('-password.txt') or relative[0] == 'tokens')


@pytest.mark.parametrize('role', ['onboarding', 'bec_response', 'offboarding', 'mfa_enrollment'])
def test_no_role_task_shows_a_secret(role, run_playbook, path_env, emulator, tmp_path):
    files = str(tmp_path / 'files')
    os.makedirs(files, 0o700)
    csv_path = str(tmp_path / 'hires.csv')
    _write_csv(csv_path)
    play = {'onboarding': lambda: _onboarding(files, csv_path), 'bec_response': lambda: _bec(emulator, files),
            'offboarding': lambda: _offboarding(emulator, files), 'mfa_enrollment': lambda: _mfa_enrollment(files)}[role]()
    before = _emulator_secrets(emulator, path_env)
    run = run_playbook([play], env=path_env, verbosity=3, diff=True)
    assert run.rc == 0, run.output[-6000:]
    secrets = _emulator_secrets(emulator, path_env) | set(HIRE_PASSWORDS.values())
    assert secrets - before - set(HIRE_PASSWORDS.values()), 'the run made no secret of its own, so this test proves nothing'
    if role == 'onboarding':
        # The hire-supplied passwords really were used: they are the new users' passwords.
        with emulator.state.lock:
            used = set(u.get('_password') for u in tenant_of(emulator).users.values())
        assert set(HIRE_PASSWORDS.values()) <= used

    shown = run.output + json.dumps(run.results)
    leaked = sorted(secret for secret in secrets if secret in shown)
    assert not leaked, 'secret(s) in the output or the task results: %s' % [secret[:3] + '...' for secret in leaked]

    stores = []
    for path in _files(str(tmp_path)):
        if path == csv_path or os.path.basename(path) == 'playbook.yml':
            continue  # the input the test wrote
        with open(path, 'rb') as handle:
            content = handle.read().decode('utf-8', 'replace')
        inside = [secret for secret in secrets if secret in content]
        if _is_a_secret_store(path, str(tmp_path)):
            stores.append((path, inside))
        else:
            assert not inside, 'a secret is in %s' % os.path.relpath(path, str(tmp_path))
    if role == 'onboarding':
        handed_over = set(secret for path, inside in stores if 'handover' in path for secret in inside)
        assert set(HIRE_PASSWORDS.values()) <= handed_over, 'each hire-supplied password belongs in its hand-over file'
    if role == 'mfa_enrollment':
        with emulator.state.lock:
            passes = set(tap['temporaryAccessPass'] for u in tenant_of(emulator).users.values() for tap in u.get('_taps') or [])
        handed_over = set(secret for path, inside in stores if 'handover' in path for secret in inside)
        assert passes and passes <= handed_over, 'each pass the role issued belongs in its hand-over file'


def test_a_bad_hire_still_fails_with_a_useful_message(run_playbook, cipp_env, emulator, tmp_path):
    """Keeping the roster out of facts must not hide the filter's own message behind no_log."""
    play = _onboarding(str(tmp_path / 'files'), '')
    play['roles'][0]['vars']['onboarding_hires'] = [{'given_name': 'Nobody', 'password': 'Hire-Supplied-Pass-9!'}]
    run = run_playbook([play], env=cipp_env, verbosity=1)
    assert run.rc != 0
    assert 'onboarding_hires[0]: give user_principal_name, or username with a template domain' in run.output
    assert 'Hire-Supplied-Pass-9!' not in run.output
    assert not [entry for entry in run.emulator_log() if entry['kind'] == 'write']
