# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles at -vvv with --diff: the client secret, the access tokens, every password and every Temporary
Access Pass the run made or saw must stay out of stdout, stderr, the task results and every file the run left
behind, except the files meant to hold them: the 0600 hand-over files and the 0600 token cache.

The secrets are taken from the emulator's own state after each run (what CIPP generated, what it issued), so a
secret the test does not know about cannot slip through unnoticed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

import pytest

from resilience_utils import licensed_members, tenant_of  # pylint: disable=import-error

TENANT = 'contoso.com'


def _secrets(emulator, cipp_env):
    """Everything secret the emulator holds now: client secret, issued tokens, user passwords, TAP codes."""
    with emulator.state.lock:
        found = {cipp_env['CIPP_CLIENT_SECRET']} | set(emulator.state.tokens)
        for tenant in emulator.state.tenants.values():
            for user in list(tenant.users.values()) + list(tenant.deleted.values()):
                found.add(user.get('_password'))
                found.update(tap.get('temporaryAccessPass') for tap in user.get('_taps') or [])
    return sorted(secret for secret in found if secret and len(secret) >= 8)


def _leavers(emulator):
    return [u['userPrincipalName'] for u in licensed_members(emulator, TENANT)[1][:2]]


def _compromised(emulator):
    with emulator.state.lock:
        return next(u['userPrincipalName'] for u in tenant_of(emulator, TENANT).users.values() if u.get('_compromised'))


def _onboarding(credential, names, files):
    return {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.onboarding', 'vars': {
        'onboarding_template': {'tenant': TENANT, 'domain': TENANT, 'usage_location': 'GB', 'licenses': ['SPB'], 'groups': ['Finance']},
        'onboarding_hires': [{'username': name, 'given_name': 'Secret', 'surname': name} for name in names],
        'onboarding_credential': credential, 'onboarding_handover_dir': os.path.join(files, 'handover')}}]}


def _bec(user, files):
    return {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.bec_response', 'vars': {
        'bec_response_tenant': TENANT, 'bec_response_user': user, 'bec_response_evidence_dir': os.path.join(files, 'evidence'),
        'bec_response_poll_interval': 1}}]}


def _offboarding(leavers, files):
    return {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.offboarding', 'vars': {
        'offboarding_leavers': [{'user': upn, 'tenant': TENANT, 'options': {'reset_password': True}} for upn in leavers],
        'offboarding_evidence_dir': os.path.join(files, 'evidence'), 'offboarding_poll_interval': 1}}]}


def _mfa_enrollment(files):
    return {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.mfa_enrollment', 'vars': {
        'mfa_enrollment_tenant': TENANT, 'mfa_enrollment_handover_dir': os.path.join(files, 'handover')}}]}


def _files(root):
    for folder, _dirs, names in os.walk(root):
        for name in names:
            yield os.path.join(folder, name)


def _is_a_secret_store(path, root):
    """The files meant to hold a secret: hand-over files and the token cache, readable by their owner only."""
    relative = os.path.relpath(path, root).split(os.sep)
    private = stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0
    handover = 'handover' in relative or path.endswith('-password.txt')
    return private and (handover or relative[0] == 'tokens')


@pytest.mark.parametrize('scenario', ['onboarding_password', 'onboarding_tap', 'bec_response', 'offboarding', 'mfa_enrollment'])
def test_no_secret_leaves_its_intended_file(scenario, run_playbook, cipp_env, emulator, tmp_path):
    files = str(tmp_path / 'files')
    play = {
        'onboarding_password': lambda: _onboarding('password', ['secret.one', 'secret.two'], files),
        'onboarding_tap': lambda: _onboarding('tap', ['secret.three'], files),
        'bec_response': lambda: _bec(_compromised(emulator), files),
        'offboarding': lambda: _offboarding(_leavers(emulator), files),
        'mfa_enrollment': lambda: _mfa_enrollment(files),
    }[scenario]()
    known_before = set(_secrets(emulator, cipp_env))
    run = run_playbook([play], env=cipp_env, verbosity=3, diff=True)
    assert run.rc == 0, run.output[-4000:]
    secrets = _secrets(emulator, cipp_env)
    made = [secret for secret in secrets if secret not in known_before]
    # The run really made secrets of its own (a new user's password, a TAP, a reset password, a token).
    assert made, 'the run made no secret at all, so this test proves nothing'

    shown = run.output + json.dumps(run.results)
    leaked = [secret for secret in secrets if secret in shown]
    assert not leaked, 'a secret is in the output or the task results (%d of %d)' % (len(leaked), len(secrets))

    stores = []
    for path in _files(str(tmp_path)):
        with open(path, 'rb') as handle:
            content = handle.read().decode('utf-8', 'replace')
        inside = [secret for secret in secrets if secret in content]
        if _is_a_secret_store(path, str(tmp_path)):
            stores.append((path, inside))
        else:
            assert not inside, 'a secret is in %s' % os.path.relpath(path, str(tmp_path))
    # The intended files hold what they should: the token cache a token, hand-over files the new credentials.
    assert any(inside for path, inside in stores if os.sep + 'tokens' in path)
    if scenario.startswith('onboarding') or scenario in ('bec_response', 'mfa_enrollment'):
        assert any(inside for path, inside in stores if os.sep + 'tokens' not in path), stores
