# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role run with --check leaves the emulator's state as it was, and sends no write at all.

The comparison covers the tenants (users, groups, mailboxes, rules, MFA, licences, devices, deleted items) and
CIPP's scheduler. CIPP-side read caches are left out: ExecBECCheck starts CIPP's read-only investigation even in
check mode (evidence is captured before any change; see endpoints.py), and that fills CIPP's BEC cache.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from resilience_utils import api_writes, control, licensed_members  # pylint: disable=import-error

TENANT = 'contoso.com'


def _people(emulator):
    tenant, members = licensed_members(emulator, TENANT)
    with emulator.state.lock:
        compromised = next(u for u in tenant.users.values() if u.get('_compromised'))
    return [u['userPrincipalName'] for u in members[:3]], compromised['userPrincipalName']


def _onboarding(_leavers, _compromised, workdir):
    return {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.onboarding', 'vars': {
        'onboarding_template': {'tenant': TENANT, 'domain': TENANT, 'usage_location': 'GB', 'licenses': ['SPB'], 'groups': ['Finance']},
        'onboarding_hires': [{'username': 'check.one', 'given_name': 'Check', 'surname': 'One'},
                             {'username': 'check.two', 'given_name': 'Check', 'surname': 'Two', 'groups': ['Sales']}],
        'onboarding_handover_dir': workdir}}]}


def _onboarding_tap(leavers, compromised, workdir):
    play = _onboarding(leavers, compromised, workdir)
    play['roles'][0]['vars']['onboarding_credential'] = 'tap'
    return play


def _offboarding(leavers, _compromised, workdir):
    return {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.offboarding', 'vars': {
        'offboarding_leavers': [{'user': upn, 'tenant': TENANT, 'options': {'forward_to': leavers[-1], 'out_of_office': 'Gone'}}
                                for upn in leavers[:2]],
        'offboarding_evidence_dir': workdir, 'offboarding_poll_interval': 1}}]}


def _bec_response(_leavers, compromised, workdir):
    return {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.bec_response', 'vars': {
        'bec_response_tenant': TENANT, 'bec_response_user': compromised, 'bec_response_evidence_dir': workdir,
        'bec_response_poll_interval': 1, 'bec_response_steps': ['revoke_sessions', 'reset_password', 'disable_sign_in',
                                                                'remove_mfa_methods', 'disable_forwarding', 'remove_external_rules']}}]}


def _mfa_enrollment(_leavers, _compromised, workdir):
    return {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.mfa_enrollment', 'vars': {
        'mfa_enrollment_tenant': TENANT, 'mfa_enrollment_campaign': True, 'mfa_enrollment_handover_dir': workdir}}]}


def _comparable(state):
    return {'tenants': state['tenants'], 'scheduled_tasks': state['scheduled_tasks']}


@pytest.mark.parametrize('play', [_onboarding, _onboarding_tap, _offboarding, _bec_response, _mfa_enrollment],
                         ids=['onboarding', 'onboarding_tap', 'offboarding', 'bec_response', 'mfa_enrollment'])
def test_a_role_in_check_mode_changes_nothing(play, run_playbook, cipp_env, emulator, tmp_path):
    leavers, compromised = _people(emulator)
    before = _comparable(control(emulator, 'GET', 'state'))
    run = run_playbook([play(leavers, compromised, str(tmp_path / 'files'))], env=cipp_env, check=True, diff=True)
    assert run.rc == 0, run.output
    planned = [r for r in run.results if r['action'].startswith('msp.cipp.') and r['status'] == 'changed']
    assert planned, 'the role planned no change at all, so this run proves nothing'
    log = run.emulator_log()
    assert api_writes(log) == [], [entry['endpoint'] for entry in api_writes(log)]
    assert _comparable(control(emulator, 'GET', 'state')) == before
