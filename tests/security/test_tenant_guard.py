# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenant checks (CONTRACT 0.1 C9, C10): no call without a tenant, no write to a tenant CIPP does not manage.

CIPP acts on the partner tenant - the MSP's own - when a call names no tenant, treats a blank one as an unknown
tenant, and answers a write to an unknown or excluded tenant with success while doing nothing. So the client refuses
an empty or blank tenant before anything is sent, and checks a write's tenant against ListTenants first, reading
that list once per token (the token cache keeps it), not once per task.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest

from security_utils import TENANT, client_for, control, endpoints, plain_member, request_log, tenant_of, writes  # pylint: disable=import-error

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippGuardError

BLANKS = ['', ' ', '\t ', '\u00a0']


def _disable(client, upn, tenant=TENANT):
    return client.write('ExecDisableUser', {'ID': upn, 'Enable': False}, tenant=tenant)


# ------------------------------------------------------------------------------------------------ in-process client

@pytest.mark.parametrize('blank', BLANKS)
@pytest.mark.parametrize('how', ['read', 'write', 'write-check-mode', 'batch', 'in-params'])
def test_an_empty_or_blank_tenant_is_refused_before_any_request(cipp_env, emulator, blank, how):
    client = client_for(cipp_env, check_mode=(how == 'write-check-mode'))
    send = {
        'read': lambda: client.call('ListUsers', tenant=blank),
        'write': lambda: _disable(client, 'x@contoso.com', tenant=blank),
        'write-check-mode': lambda: _disable(client, 'x@contoso.com', tenant=blank),
        'batch': lambda: client.batch([('ListMFAUsers', {'tenantFilter': TENANT}), ('ListMFAUsers', {'tenantFilter': blank})]),
        'in-params': lambda: client.call('ListUsers', {'tenantFilter': blank}, tenant=TENANT),
    }[how]
    with pytest.raises(CippConfigError) as caught:
        send()
    message = caught.value.message
    assert message.startswith('tenant is empty') and 'default domain' in message and 'tenant id' in message, message
    # Nothing at all went out: no token request, no call (the batch's good first half neither).
    assert request_log(emulator) == []
    assert client.calls == []


@pytest.mark.parametrize('endpoint', ['ListUsers', 'ExecDisableUser', 'ListGraphRequest'])
def test_a_call_that_names_no_tenant_is_refused(cipp_env, emulator, endpoint):
    client = client_for(cipp_env)
    with pytest.raises(CippConfigError) as caught:
        client.call(endpoint, {'ID': 'x@contoso.com'})
    assert caught.value.message.startswith('tenant is missing for %s' % endpoint)
    assert request_log(emulator) == []


def test_calls_about_cipp_itself_need_no_tenant(cipp_env, emulator):
    rows = client_for(cipp_env).call('ListTenants')
    assert TENANT in [row['defaultDomainName'] for row in rows]


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_write_to_a_tenant_cipp_does_not_manage_is_refused_naming_it(cipp_env, emulator, check_mode):
    client = client_for(cipp_env, check_mode=check_mode)
    with pytest.raises(CippConfigError) as caught:
        _disable(client, 'someone@unknown-customer.example', tenant='unknown-customer.example')
    assert "tenant 'unknown-customer.example' is not a tenant CIPP manages" in caught.value.message
    log = request_log(emulator)
    assert endpoints(log, 'read') == ['ListTenants'] and writes(log) == []


def test_an_excluded_tenant_is_refused_although_the_emulator_would_apply_the_write(cipp_env, emulator):
    """CIPP's tenant list leaves excluded tenants out; a write to one would be answered with success and dropped."""
    with emulator.state.lock:
        fabrikam = tenant_of(emulator, 'fabrikam.onmicrosoft.com')
        fabrikam.row['Excluded'] = True
        upn = next(iter(fabrikam.users.values()))['userPrincipalName']
    with pytest.raises(CippConfigError, match="tenant 'fabrikam.onmicrosoft.com' is not a tenant CIPP manages"):
        _disable(client_for(cipp_env), upn, tenant='fabrikam.onmicrosoft.com')
    assert writes(request_log(emulator)) == []


@pytest.mark.parametrize('form', ['default', 'initial', 'id', 'upper-case'])
def test_a_managed_tenant_passes_in_each_of_its_names(cipp_env, emulator, form):
    with emulator.state.lock:
        tenant = tenant_of(emulator)
        name = {'default': tenant.row['defaultDomainName'], 'initial': tenant.row['initialDomainName'],
                'id': tenant.customer_id, 'upper-case': tenant.row['defaultDomainName'].upper()}[form]
    client = client_for(cipp_env, check_mode=True)
    assert _disable(client, 'x@contoso.com', tenant=name) is None
    assert client.calls[-1]['endpoint'] == 'ExecDisableUser' and client.calls[-1]['sent'] is False


def test_all_tenants_stays_refused_in_every_spelling_before_any_request(cipp_env, emulator):
    client = client_for(cipp_env)
    for spelling in ('AllTenants', 'alltenants', ' ALLTENANTS ', {'value': 'AllTenants', 'label': '*All Tenants'}):
        with pytest.raises(CippGuardError, match='AllTenants'):
            client.write('ExecDisableUser', {'ID': 'x@contoso.com', 'tenantFilter': spelling})
    assert request_log(emulator) == []


def test_the_tenant_list_is_read_once_per_token_cache_and_again_for_a_tenant_it_lacks(cipp_env, emulator, tmp_path):
    upn = plain_member(emulator)['userPrincipalName']
    with emulator.state.lock:
        fabrikam = tenant_of(emulator, 'fabrikam.onmicrosoft.com')
        fabrikam.row['Excluded'] = True
    # Three tasks of one run (three clients, one cache): one ListTenants.
    for _task in range(3):
        _disable(client_for(cipp_env, check_mode=True), upn)
    assert endpoints(request_log(emulator), 'read') == ['ListTenants']
    # A tenant missing from the cached list may have been added since: read again once, then it passes.
    with emulator.state.lock:
        fabrikam.row['Excluded'] = False
    _disable(client_for(cipp_env, check_mode=True), 'x@fabrikam.onmicrosoft.com', tenant='fabrikam.onmicrosoft.com')
    assert endpoints(request_log(emulator), 'read') == ['ListTenants', 'ListTenants']
    # Another cache (another run) reads its own list.
    _disable(client_for(cipp_env, check_mode=True, token_cache=str(tmp_path / 'other')), upn)
    assert endpoints(request_log(emulator), 'read') == ['ListTenants'] * 3


def test_a_new_token_comes_with_a_new_tenant_list(cipp_env, emulator):
    control(emulator, 'POST', 'token-lifetime', {'seconds': 2})
    _disable(client_for(cipp_env, check_mode=True), 'x@contoso.com')
    time.sleep(2.1)
    # The next task needs a new token; the list kept with the old one is gone with it.
    _disable(client_for(cipp_env, check_mode=True), 'x@contoso.com')
    log = request_log(emulator)
    assert endpoints(log, 'token') == ['token', 'token'] and endpoints(log, 'read') == ['ListTenants', 'ListTenants']


# ------------------------------------------------------------------------------------------------ playbook, both paths

def _play(*tasks):
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': list(tasks)}]


@pytest.mark.parametrize('blank', ['', '   '])
def test_a_task_with_an_empty_tenant_fails_naming_the_option_and_sends_nothing(run_playbook, path_env, emulator, blank):
    run = run_playbook(_play(
        {'name': 'Read', 'msp.cipp.cipp_user_info': {'tenant': blank}, 'ignore_errors': True},
        {'name': 'Write', 'msp.cipp.cipp_user_action': {'tenant': blank, 'user': 'x@contoso.com', 'action': 'revoke_sessions'},
         'ignore_errors': True},
        {'name': 'Tenant info', 'msp.cipp.cipp_tenant_info': {'tenant': blank}, 'ignore_errors': True}), env=path_env)
    assert run.rc == 0, run.output
    for task in ('Read', 'Write', 'Tenant info'):
        result = run.result(task)
        assert run.status(task) == 'failed' and result['msg'].startswith('tenant is empty'), result
        assert "default domain" in result['msg']
    assert run.emulator_log() == []


def test_a_write_to_an_unmanaged_tenant_fails_on_both_paths_and_a_play_reads_the_list_once(run_playbook, path_env, emulator):
    """Three writes to contoso.com read ListTenants once; a fourth, to a tenant CIPP excludes, is refused.

    The emulator still serves reads for an excluded tenant (so the user is found, as CIPP finds nothing and answers
    success): only the tenant check stands between the task and a write that CIPP would silently drop.
    """
    upns = [plain_member(emulator, index=i)['userPrincipalName'] for i in range(3)]
    with emulator.state.lock:
        fabrikam = tenant_of(emulator, 'fabrikam.onmicrosoft.com')
        fabrikam.row['Excluded'] = True
        outsider = sorted(u['userPrincipalName'] for u in fabrikam.users.values() if u.get('userType') == 'Member')[0]
    tasks = [{'name': 'Revoke %d' % i, 'msp.cipp.cipp_user_action': {'tenant': TENANT, 'user': upn, 'action': 'revoke_sessions'}}
             for i, upn in enumerate(upns)]
    excluded = {'tenant': 'fabrikam.onmicrosoft.com', 'user': outsider, 'action': 'revoke_sessions'}
    tasks.append({'name': 'Excluded', 'msp.cipp.cipp_user_action': excluded, 'ignore_errors': True})
    run = run_playbook(_play(*tasks), env=path_env)
    assert run.rc == 0, run.output
    assert run.status('Excluded') == 'failed'
    assert "tenant 'fabrikam.onmicrosoft.com' is not a tenant CIPP manages" in run.result('Excluded')['msg']
    log = run.emulator_log()
    assert endpoints(writes(log)) == ['ExecRevokeSessions'] * 3
    assert all(entry['tenant'] == TENANT for entry in writes(log))
    # Once for the three writes to contoso.com (one run, one token cache); once more for the tenant it lacks.
    assert endpoints(log).count('ListTenants') == 2, endpoints(log)
