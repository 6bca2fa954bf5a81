# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles refuse to offboard or contain an admin account, deciding from the user's directory roles, and fail closed.

Offboarding or containing an admin can lock a tenant's administrators out, so the roles stop unless told otherwise
(offboarding_allow_privileged, bec_response_allow_privileged). The decision comes from the user's directory roles
(cipp_user_info include: roles, Graph memberOf); when they cannot be read, the role stops too.

The emulator's memberOf lists groups only (no directoryRole rows yet) and its $select drops @odata.type, so these
tests add a directory role to one user's memberOf answer in the emulator (it runs in this process), typed as Graph
types it - what Graph returns for a role holder.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from security_utils import TENANT, control, plain_member, tenant_of, writes  # pylint: disable=import-error


@pytest.fixture
def give_role(emulator):
    """give_role(user_id): the user becomes a member of the tenant's Exchange Administrator directory role (the
    emulator lists directory roles in memberOf as Graph does)."""
    def give(user_id):
        with emulator.state.lock:
            for tenant in emulator.state.tenants.values():
                if user_id in tenant.users:
                    role = next(r for r in tenant.roles.values() if r['displayName'] == 'Exchange Administrator')
                    role['_members'] = [member for member in role['_members'] if member != user_id] + [user_id]
                    # Only this role, so the refusal names exactly it.
                    for other in tenant.roles.values():
                        if other is not role and user_id in other['_members']:
                            other['_members'].remove(user_id)
    return give


def _offboard(upn, evidence, allow=False):
    return [{'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.offboarding', 'vars': {
        'offboarding_leavers': [{'user': upn, 'tenant': TENANT}], 'offboarding_defaults': {'revoke_sessions': True},
        'offboarding_allow_privileged': allow, 'offboarding_evidence_dir': evidence, 'offboarding_poll_interval': 1}}]}]


def _contain(upn, evidence, allow=False):
    return [{'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.bec_response', 'vars': {
        'bec_response_tenant': TENANT, 'bec_response_user': upn, 'bec_response_steps': ['revoke_sessions'],
        'bec_response_allow_privileged': allow, 'bec_response_evidence_dir': evidence, 'bec_response_poll_interval': 1}}]}]


def _compromised(emulator):
    with emulator.state.lock:
        return dict(next(u for u in tenant_of(emulator).users.values() if u.get('_compromised')))


@pytest.mark.parametrize('role', ['offboarding', 'bec_response'])
def test_a_directory_role_holder_is_refused(run_playbook, cipp_env, emulator, tmp_path, give_role, role):
    """CIPP's MFA report does not flag this user as an admin; only the directory role says it is one."""
    user = plain_member(emulator) if role == 'offboarding' else _compromised(emulator)
    assert not user.get('_isAdmin')
    give_role(user['id'])
    play = (_offboard if role == 'offboarding' else _contain)(user['userPrincipalName'], str(tmp_path / 'evidence'))
    run = run_playbook(play, env=cipp_env)
    assert run.rc != 0
    assert 'it holds an admin role: the directory role(s) Exchange Administrator' in run.output
    assert writes(run.emulator_log()) == []


@pytest.mark.parametrize('role', ['offboarding', 'bec_response'])
def test_allow_privileged_lets_a_role_holder_through(run_playbook, cipp_env, emulator, tmp_path, give_role, role):
    user = plain_member(emulator) if role == 'offboarding' else _compromised(emulator)
    give_role(user['id'])
    play = (_offboard if role == 'offboarding' else _contain)(user['userPrincipalName'], str(tmp_path / 'evidence'), allow=True)
    run = run_playbook(play, env=cipp_env)
    assert run.rc == 0, run.output[-3000:]
    assert writes(run.emulator_log())


@pytest.mark.parametrize('role', ['offboarding', 'bec_response'])
def test_a_user_without_directory_roles_goes_ahead(run_playbook, cipp_env, emulator, tmp_path, role):
    user = plain_member(emulator) if role == 'offboarding' else _compromised(emulator)
    play = (_offboard if role == 'offboarding' else _contain)(user['userPrincipalName'], str(tmp_path / 'evidence'))
    run = run_playbook(play, env=cipp_env)
    assert run.rc == 0, run.output[-3000:]
    memberships = [entry for entry in run.emulator_log() if entry['endpoint'] == 'ListGraphRequest'
                   and str(entry['params'].get('Endpoint', '')).endswith('/memberOf')]
    assert memberships, 'the role did not read the directory roles'


@pytest.mark.parametrize('role', ['offboarding', 'bec_response'])
def test_roles_that_cannot_be_read_stop_the_role(run_playbook, cipp_env, emulator, tmp_path, role):
    user = plain_member(emulator) if role == 'offboarding' else _compromised(emulator)
    # Every way of reading them fails: directly, and through $batch (the offboarding role reads its leavers together).
    control(emulator, 'POST', 'faults', [{'endpoint': 'ListGraphRequest', 'kind': '500', 'count': 50},
                                         {'endpoint': '$batch', 'kind': '500', 'count': 50}])
    try:
        play = (_offboard if role == 'offboarding' else _contain)(user['userPrincipalName'], str(tmp_path / 'evidence'))
        run = run_playbook(play, env=dict(cipp_env, CIPP_MAX_RETRIES='0'))
    finally:
        control(emulator, 'DELETE', 'faults')
    assert run.rc != 0
    assert 'ListGraphRequest' in run.output
    assert writes(run.emulator_log()) == []
