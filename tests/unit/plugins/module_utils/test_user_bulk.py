# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cipp_users reads once (issue 16): a roster's users with one ListUsers (or the caller's read), a named group's
members once per group instead of each user's memberOf, the tenant's lists from the caller's cipp_tenant_info row;
and it still sees someone else's change, and its own writes update what it read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.msp.cipp.plugins.module_utils._directory import Directory
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError
from ansible_collections.msp.cipp.plugins.module_utils._tenants import tenant_info
from ansible_collections.msp.cipp.plugins.module_utils._user_bulk import BULK_LOOKUP_MIN, ensure_users
from ansible_collections.msp.cipp.plugins.module_utils._user_lifecycle import ensure_user

TENANT = 'contoso.com'
SPB = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46'
FINANCE = '11111111-2222-4333-8444-555555555555'
SALES = '22222222-2222-4333-8444-555555555555'
GROUPS = {FINANCE: 'Finance', SALES: 'Sales'}


def person(number):
    return {'id': '%08d-bbbb-4ccc-8ddd-eeeeeeeeeeee' % number, 'userPrincipalName': 'hire%02d@contoso.com' % number,
            'displayName': 'Hire %02d' % number, 'jobTitle': 'Analyst', 'accountEnabled': True, 'usageLocation': 'GB',
            'assignedLicenses': [{'skuId': SPB, 'disabledPlans': []}], 'onPremisesSyncEnabled': False}


class Tenant:
    """A fake CIPP for one tenant: users, group members; counts every read by what it asks for."""

    def __init__(self, count, members=None, check_mode=False):
        self.users = [person(number) for number in range(1, count + 1)]
        self.members = dict((group, set(ids)) for group, ids in (members or {FINANCE: [u['id'] for u in self.users]}).items())
        self.check_mode = check_mode
        self.reads, self.writes = [], []

    def call(self, endpoint, params=None, tenant=None, check_results=True):
        params = params or {}
        if endpoint == 'ListGraphRequest':
            self.reads.append('ListGraphRequest ' + params['Endpoint'])
            return {'Results': self.graph(params['Endpoint']), 'Metadata': {}}
        if endpoint == 'ListUsers' and params.get('graphFilter'):
            self.reads.append('ListUsers filtered')
            value = params['graphFilter'].split(' ', 2)[2].strip("'").lower()
            return [copy.deepcopy(u) for u in self.users if value in (u['id'], u['userPrincipalName'].lower())]
        self.reads.append(endpoint)
        if endpoint == 'ListUsers':
            return copy.deepcopy(self.users)
        if endpoint == 'ListTenants':
            return [{'customerId': 'c0000000-0000-4000-8000-000000000001', 'defaultDomainName': TENANT,
                     'initialDomainName': 'contoso.onmicrosoft.com', 'displayName': 'Contoso'}]
        if endpoint == 'ListLicenses':
            return [{'skuId': SPB, 'skuPartNumber': 'Microsoft 365 Business Premium', 'License': 'Microsoft 365 Business Premium'}]
        if endpoint == 'ListGroups':
            return [{'id': group_id, 'displayName': name, 'securityEnabled': True} for group_id, name in GROUPS.items()]
        raise AssertionError('unexpected read %s' % endpoint)

    def graph(self, endpoint):
        if endpoint == 'domains':
            return [{'id': TENANT, 'isDefault': True, 'isVerified': True}]
        if endpoint == 'subscribedSkus':
            return [{'skuId': SPB, 'skuPartNumber': 'SPB', 'consumedUnits': 7, 'prepaidUnits': {'enabled': 100}}]
        parts = endpoint.split('/')
        if parts[0] == 'groups' and parts[2] == 'members':
            return [{'@odata.type': '#microsoft.graph.user', 'id': user_id} for user_id in sorted(self.members.get(parts[1], ()))]
        if parts[0] == 'users' and parts[2] == 'memberOf':
            return [{'@odata.type': '#microsoft.graph.group', 'id': group_id, 'displayName': GROUPS[group_id], 'securityEnabled': True}
                    for group_id, ids in sorted(self.members.items()) if parts[1] in ids]
        raise AssertionError('unexpected Graph read %s' % endpoint)

    def write(self, endpoint, params=None, tenant=None, check_results=True):
        self.writes.append((endpoint, params))
        if self.check_mode:
            return None
        if endpoint == 'EditGroup':
            user_id = params.get('AddMember', params.get('RemoveMember'))[0]['value']
            group = self.members.setdefault(params['groupId']['value'], set())
            (group.add if 'AddMember' in params else group.discard)(user_id)
        return {'Results': ['Success']}


def entries(tenant, count, groups=None):
    return [{'user_principal_name': user['userPrincipalName'], 'job_title': 'Analyst', 'usage_location': 'GB',
             'licenses': {'add': ['SPB']}, 'groups': groups or {'add': ['Finance']}} for user in tenant.users[:count]]


def run(tenant, count, groups=None, **options):
    params = dict(tenant=TENANT, users=entries(tenant, count, groups), parallel=4, first_credential='password',
                  tap_lifetime_minutes=480, handover_dir=None, return_credentials=False, existing_users=None, tenant_info=None)
    params.update(options)
    return ensure_users(tenant, params, tenant.check_mode)


def test_a_roster_rerun_reads_each_thing_once_whatever_its_size():
    costs = []
    for count in (BULK_LOOKUP_MIN, 3 * BULK_LOOKUP_MIN):
        tenant = Tenant(count)
        result = run(tenant, count)
        assert result['changed'] is False and tenant.writes == []
        costs.append(sorted(tenant.reads))
    assert costs[0] == costs[1] == sorted(['ListUsers', 'ListGraphRequest subscribedSkus', 'ListGroups',
                                           'ListGraphRequest groups/%s/members' % FINANCE])


def test_a_short_roster_is_still_looked_up_user_by_user():
    tenant = Tenant(3)
    assert run(tenant, 3)['changed'] is False
    assert tenant.reads.count('ListUsers filtered') == 3 and 'ListUsers' not in tenant.reads
    assert sum(1 for read in tenant.reads if read.endswith('/memberOf')) == 3


def test_the_callers_reads_are_used_and_nothing_is_read_again():
    tenant = Tenant(BULK_LOOKUP_MIN)
    row = tenant_info(tenant, {'tenant': TENANT, 'include': ['domains', 'licenses', 'groups']}, False)['tenants'][0]
    users = copy.deepcopy(tenant.users)
    tenant.reads = []
    assert run(tenant, BULK_LOOKUP_MIN, tenant_info=row, existing_users=users)['changed'] is False
    assert tenant.reads == ['ListGraphRequest groups/%s/members' % FINANCE]


def test_existing_users_also_serve_a_short_roster():
    tenant = Tenant(2)
    run(tenant, 2, existing_users=copy.deepcopy(tenant.users))
    assert not [read for read in tenant.reads if read.startswith('ListUsers')]


def test_someone_elses_change_is_seen_and_the_change_and_diff_are_cipp_users():
    tenant = Tenant(BULK_LOOKUP_MIN)
    leaver = tenant.users[4]
    tenant.members[FINANCE].discard(leaver['id'])  # someone removed hire05 from Finance since the last run
    result = run(tenant, BULK_LOOKUP_MIN)
    assert [(name, body['groupId']['value']) for name, body in tenant.writes] == [('EditGroup', FINANCE)]
    assert [u['user_principal_name'] for u in result['users'] if u['changed']] == [leaver['userPrincipalName']]
    # Only the user who needs a change is read the memberOf way, so the diff is the one cipp_user gives.
    assert [read for read in tenant.reads if read.endswith('/memberOf')] == ['ListGraphRequest users/%s/memberOf' % leaver['id']]
    alone = Tenant(BULK_LOOKUP_MIN)
    alone.members[FINANCE].discard(leaver['id'])
    single = ensure_user(alone, dict(entries(alone, 5)[4], tenant=TENANT, id=None, state='present', update_password='on_create',
                                     return_password=False), False)
    upn = leaver['userPrincipalName']
    assert result['diff']['before'][upn] == single['diff']['before'] and result['diff']['after'][upn] == single['diff']['after']


def test_a_set_contract_needs_every_group_of_the_user_so_it_reads_memberof():
    tenant = Tenant(BULK_LOOKUP_MIN)
    run(tenant, BULK_LOOKUP_MIN, groups={'set': ['Finance']})
    assert sum(1 for read in tenant.reads if read.endswith('/memberOf')) == BULK_LOOKUP_MIN
    assert not [read for read in tenant.reads if read.endswith('/members')]


def test_a_removal_is_planned_from_the_member_list_too():
    tenant = Tenant(BULK_LOOKUP_MIN, members={FINANCE: [], SALES: []})
    assert run(tenant, BULK_LOOKUP_MIN, groups={'remove': ['Sales']})['changed'] is False
    assert tenant.writes == [] and 'ListGraphRequest groups/%s/members' % SALES in tenant.reads


def test_check_mode_plans_the_same_writes_from_the_member_lists():
    tenant = Tenant(BULK_LOOKUP_MIN, check_mode=True)
    tenant.members[FINANCE].discard(tenant.users[0]['id'])
    result = run(tenant, BULK_LOOKUP_MIN)
    assert result['changed'] is True and [name for name, _body in tenant.writes] == ['EditGroup']


def test_tenant_info_of_another_tenant_is_refused_before_any_call():
    tenant = Tenant(BULK_LOOKUP_MIN)
    with pytest.raises(CippConfigError, match='tenant_info is the row of tenant fabrikam.com'):
        run(tenant, BULK_LOOKUP_MIN, tenant_info={'defaultDomainName': 'fabrikam.com', 'groups': []})
    assert tenant.reads == []


def test_our_own_membership_write_updates_the_member_list_without_a_read():
    tenant = Tenant(2, members={FINANCE: []})
    directory = Directory(tenant, TENANT, group_members=True)
    user_id = tenant.users[0]['id']
    assert directory.is_member(FINANCE, user_id) is False
    directory.note_membership(FINANCE, user_id, True)
    assert directory.is_member(FINANCE, user_id) is True
    directory.note_membership(FINANCE, user_id, False)
    assert directory.is_member(FINANCE, user_id) is False
    assert tenant.reads == ['ListGraphRequest groups/%s/members' % FINANCE]
