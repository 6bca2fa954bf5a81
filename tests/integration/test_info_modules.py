# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cipp_tenant_info and cipp_user_info: what they return, and that each include costs exactly its calls."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from conftest import call_labels  # pylint: disable=import-error


def _play(*tasks):
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': list(tasks)}]


def test_tenant_info_all_one_and_missing_with_includes(run_playbook, cipp_env, emulator):
    run = run_playbook(_play(
        {'name': 'All', 'msp.cipp.cipp_tenant_info': {}},
        {'name': 'One', 'msp.cipp.cipp_tenant_info': {'tenant': 'CONTOSO.onmicrosoft.com', 'include': ['domains', 'licenses', 'groups']}},
        {'name': 'Missing', 'msp.cipp.cipp_tenant_info': {'tenant': 'nowhere.example'}},
        {'name': 'Bad include', 'msp.cipp.cipp_tenant_info': {'include': ['everything']}, 'ignore_errors': True},
    ), env=cipp_env)
    assert run.rc == 0, run.output
    managed = [t for t in emulator.state.tenants.values() if not t.row.get('Excluded')]
    assert sorted(t['customerId'] for t in run.result('All')['tenants']) == sorted(t.customer_id for t in managed)
    one = run.result('One')
    tenant = one['tenants'][0]
    assert tenant['defaultDomainName'] == 'contoso.com'
    assert {'contoso.com', 'contoso.onmicrosoft.com'} <= set(d['id'] for d in tenant['domains_list'])
    assert all(isinstance(lic['seats_available'], int) for lic in tenant['licenses']) and tenant['groups']
    # Domains and SKUs from Graph (isVerified and true part numbers, CONTRACT 0.1 C2/C16), display names from ListLicenses.
    assert call_labels(one['cipp_calls']) == ['ListTenants', 'ListGraphRequest:domains', 'ListLicenses',
                                              'ListGraphRequest:subscribedSkus', 'ListGroups']
    assert all(isinstance(d['isVerified'], bool) for d in tenant['domains_list'])
    assert run.result('Missing')['tenants'] == []
    bad = run.result('Bad include')
    assert run.status('Bad include') == 'failed' and 'include' in bad['msg'] and 'everything' in bad['msg']


def test_user_info_one_missing_filtered_and_includes(run_playbook, cipp_env, emulator):
    tenant = next(t for t in emulator.state.tenants.values() if t.default_domain == 'contoso.com')
    someone = next(u for u in tenant.users.values() if u['userType'] == 'Member' and u.get('_managerId'))
    run = run_playbook(_play(
        {'name': 'One by UPN', 'msp.cipp.cipp_user_info': {'tenant': 'contoso.com', 'user': someone['userPrincipalName'].upper(),
                                                           'include': ['groups', 'mfa', 'manager']}},
        {'name': 'One by id', 'msp.cipp.cipp_user_info': {'tenant': 'contoso.com', 'user': someone['id']}},
        {'name': 'Missing', 'msp.cipp.cipp_user_info': {'tenant': 'contoso.com', 'user': 'nobody@contoso.com'}},
        {'name': 'Disabled', 'msp.cipp.cipp_user_info': {'tenant': 'contoso.com', 'filter': 'accountEnabled eq false'}},
        {'name': 'Bad user', 'msp.cipp.cipp_user_info': {'tenant': 'contoso.com', 'user': 'not a user'}, 'ignore_errors': True},
    ), env=cipp_env)
    assert run.rc == 0, run.output
    one = run.result('One by UPN')
    (user,) = one['users']
    assert user['id'] == someone['id'] and user['manager']['id'] == someone['_managerId']
    assert isinstance(user['groups'], list) and user['mfa']['ID'] == someone['id']
    # Memberships through Graph's memberOf, every page (ListUserGroups stops at the first, CONTRACT 0.1 C13).
    assert call_labels(one['cipp_calls']) == ['ListUsers', 'ListMFAUsers', 'ListGraphRequest:users/{id}/memberOf']
    assert run.result('One by id')['users'][0]['userPrincipalName'] == someone['userPrincipalName']
    missing = run.result('Missing')
    assert missing['users'] == [] and not missing.get('failed')
    disabled = run.result('Disabled')['users']
    assert disabled and all(u['accountEnabled'] is False for u in disabled)
    bad = run.result('Bad user')
    assert run.status('Bad user') == 'failed' and 'user must be a user principal name' in bad['msg']
    assert [c for c in bad['cipp_calls'] if c['sent']] == []


def test_user_info_roles_and_groups_share_one_read(run_playbook, cipp_env, emulator):
    """An admin's directory roles come from the same memberOf read as the groups (cipp_bec/offboarding guardrails)."""
    tenant = next(t for t in emulator.state.tenants.values() if t.default_domain == 'contoso.com')
    admin = next(u for u in tenant.users.values() if u.get('_isAdmin') and u['userType'] == 'Member')
    held = sorted(role['displayName'] for role in tenant.roles.values() if admin['id'] in role['_members'])
    run = run_playbook(_play({'name': 'Admin', 'msp.cipp.cipp_user_info': {'tenant': 'contoso.com', 'user': admin['userPrincipalName'],
                                                                           'include': ['groups', 'roles']}}), env=cipp_env)
    assert run.rc == 0, run.output
    result = run.result('Admin')
    (user,) = result['users']
    assert held and sorted(role['name'] for role in user['roles']) == held
    assert all(role['role_template_id'] for role in user['roles'])
    assert not any(group['name'] in held for group in user['groups'])
    assert call_labels(result['cipp_calls']) == ['ListUsers', 'ListGraphRequest:users/{id}/memberOf']
