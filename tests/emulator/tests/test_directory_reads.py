"""Directory reads (CONTRACT 5.4-5.16, 10, 3.6) beyond the basics in test_directory.py. Nothing here writes."""

import re

from conftest import Client

TENANT = 'contoso.com'
SPB = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46'


def get(reader, name, **params):
    return reader.call(name, params=params)


def users(reader, tenant=TENANT, **params):
    return get(reader, 'ListUsers', tenantFilter=tenant, **params)[1]


def graph(reader, **params):
    return get(reader, 'ListGraphRequest', **dict({'tenantFilter': TENANT}, **params))


# ------------------------------------------------------------------------------------------------ tenants

def test_list_tenants_modes(reader):
    rows = get(reader, 'ListTenants', Mode='TenantList', IncludeOffboardingDefaults='true', AllTenantSelector='true')[1]
    assert rows[0]['customerId'] == 'AllTenants' and rows[0]['displayName'] == '*All Tenants'
    real = rows[1:]
    assert all(row['portal_entra'].endswith(row['customerId']) and 'offboardingDefaults' in row for row in real)
    assert all(key.startswith('portal_') for key in set(real[0]) - set(get(reader, 'ListTenants')[1][0]) - {'offboardingDefaults'})
    narrowed = get(reader, 'ListTenants', tenantFilter=TENANT, AllTenantSelector='true')[1]
    assert [row['defaultDomainName'] for row in narrowed] == [TENANT]  # no pseudo-row when narrowed
    assert get(reader, 'ListTenants', tenantFilter='nowhere.example')[1] == []
    cleared = reader.call('ListTenants', 'POST', body={'ClearCache': True})[1]
    assert cleared['Results'][0]['Results'] == 'Cache has been cleared and a tenant refresh is queued.'


def test_tenants_are_gdap_and_direct_with_custom_and_initial_domains(reader):
    rows = get(reader, 'ListTenants')[1]
    statuses = set(row['delegatedPrivilegeStatus'] for row in rows)
    assert statuses == {'granularDelegatedAdminPrivileges', 'directTenant'}
    assert any(not row['defaultDomainName'].endswith('.onmicrosoft.com') for row in rows)
    assert any(row['defaultDomainName'].endswith('.onmicrosoft.com') for row in rows)
    domains = get(reader, 'ListDomains', tenantFilter=TENANT)[1]
    assert {d['id'] for d in domains} == {'contoso.com', 'contoso.co.uk', 'contoso.onmicrosoft.com'}
    assert [d['id'] for d in domains if d['isDefault']] == ['contoso.com'] and [d['id'] for d in domains if d['isInitial']] == ['contoso.onmicrosoft.com']


def test_every_tenant_filter_form_resolves(reader):
    row = get(reader, 'ListTenants', tenantFilter=TENANT)[1][0]
    for form in (TENANT, 'CONTOSO.onmicrosoft.com', row['customerId']):
        assert len(users(reader, tenant=form)) > 20, form


# ------------------------------------------------------------------------------------------------ ListUsers

def test_list_users_with_userid_has_only_the_selected_properties(reader):
    someone = users(reader)[0]
    one = users(reader, UserID=someone['userPrincipalName'].upper())
    assert len(one) == 1 and one[0]['id'] == someone['id']
    assert 'assignedPlans' not in one[0] and 'identities' not in one[0]
    assert {'username', 'primDomain', 'Aliases', 'LicJoined', 'lastPasswordChangeDateTime'} <= set(one[0])


def test_list_users_logon_details(reader):
    signed_in = get(reader, 'ListSignIns', tenantFilter=TENANT)[1][0]
    row = users(reader, UserID=signed_in['userId'], IncludeLogonDetails='true')[0]
    assert row['LastSigninDate'] and row['LastSigninApplication'] and row['LastSigninStatus'] in ('Success', 'Failed')


def test_list_users_odata_subset(reader):
    everyone = users(reader)
    licensed = users(reader, graphFilter='assignedLicenses/any(x:x/skuId eq %s)' % SPB)
    assert licensed and len(licensed) < len(everyone) and all(any(l['skuId'] == SPB for l in u['assignedLicenses']) for u in licensed)
    guests = users(reader, graphFilter="userType eq 'Guest' or (startswith(userPrincipalName,'zzz') and accountEnabled eq true)")
    assert guests and all(u['userType'] == 'Guest' for u in guests)
    picked = [u['userPrincipalName'] for u in everyone[:2]]
    chosen = users(reader, graphFilter="userPrincipalName in ('%s', '%s')" % tuple(picked))
    assert sorted(u['userPrincipalName'] for u in chosen) == sorted(picked)
    assert len(users(reader, graphFilter="not (userType eq 'Guest')")) == len(everyone) - len(guests)
    secondary = [u for u in everyone if any(p.startswith('smtp:') for p in u['proxyAddresses'])][0]
    address = [p for p in secondary['proxyAddresses'] if p.startswith('smtp:')][0]
    alias = users(reader, graphFilter="proxyAddresses/any(x:x eq '%s')" % address.upper())
    assert [u['id'] for u in alias] == [secondary['id']]
    status, body, _ctype = get(reader, 'ListUsers', tenantFilter=TENANT, graphFilter="username eq 'x'")
    assert status == 500 and body == "Could not find a property named 'username' on type 'Microsoft.DirectoryServices.User'."
    status, body, _ctype = get(reader, 'ListUsers', tenantFilter=TENANT, graphFilter="displayName eq 'unterminated")
    assert status == 500 and body.startswith('Invalid filter clause: There is an unterminated string literal at position ')


def test_list_users_for_a_tenant_cipp_does_not_manage(reader):
    """New-GraphGetRequest only Write-Errors on the deny path and Invoke-ListUsers does not catch it: an empty list."""
    status, body, _content_type = get(reader, 'ListUsers', tenantFilter='stranger.example')
    assert status == 200 and body == []


# ------------------------------------------------------------------------------------------------ ListGraphRequest

def test_graph_request_follows_every_page_by_default(reader):
    body = graph(reader, Endpoint='users', **{'$top': '5'})[1]
    assert len(body['Results']) == len(users(reader)) and 'nextLink' not in body['Metadata']
    assert body['Metadata']['Parameters'] == {'$top': '5'} and body['Metadata']['Endpoint'] == 'users'
    row = body['Results'][0]
    assert 'username' not in row and 'LicJoined' not in row  # raw Graph objects, not ListUsers rows


def test_graph_request_no_pagination_gives_graphs_first_page(reader):
    body = graph(reader, Endpoint='users', NoPagination='true')[1]
    total = len(users(reader))
    assert len(body['Results']) == min(100, total) and body['Metadata']['NoPagination'] is True


def test_graph_request_manual_paging_walks_the_whole_set_once(reader):
    seen, params = [], {'Endpoint': 'users', '$top': '7', 'manualPagination': 'true', '$select': 'id', '$filter': "userType eq 'Member'"}
    body = graph(reader, **params)[1]
    for _attempt in range(20):
        seen.extend(row['id'] for row in body['Results'])
        link = body['Metadata'].get('nextLink')
        if not link:
            break
        assert re.match(r'^https://graph\.microsoft\.com/beta/users\?', link) and '$skiptoken=' in link
        body = graph(reader, **dict(params, nextLink=link))[1]
    members = users(reader, graphFilter="userType eq 'Member'")
    assert sorted(seen) == sorted(u['id'] for u in members)


def test_graph_request_count_select_order_and_sort(reader):
    count = graph(reader, Endpoint='users', CountOnly='true', **{'$filter': "userType eq 'Guest'"})[1]
    assert count['Results'] == [len(users(reader, graphFilter="userType eq 'Guest'"))] and count['Metadata']['CountOnly'] is True
    counted = graph(reader, Endpoint='users', **{'$count': 'TRUE', '$select': 'displayName,id', '$orderby': 'displayName desc'})[1]
    names = [row['displayName'] for row in counted['Results']]
    assert names == sorted(names, key=str.lower, reverse=True) and counted['Metadata']['Parameters']['$count'] == 'true'
    assert set(counted['Results'][0]) == {'displayName', 'id', 'Tenant', 'CippStatus'}
    dotted = graph(reader, Endpoint='users', **{'$select': 'id,assignedLicenses.skuId'})[1]['Results'][0]
    assert set(dotted) == {'id', 'assignedLicenses', 'Tenant', 'CippStatus'}  # dotted paths are cut to their first segment
    expanded = graph(reader, Endpoint='users', **{'$expand': 'manager'})[1]['Results']
    assert any(row.get('manager') for row in expanded)
    ascending = graph(reader, Endpoint='users', Sort='userPrincipalName', **{'$select': 'userPrincipalName'})[1]['Results']
    assert [r['userPrincipalName'] for r in ascending] == sorted((r['userPrincipalName'] for r in ascending), key=str.lower)


def test_graph_request_other_endpoints(reader):
    skus = graph(reader, Endpoint='subscribedSkus')[1]['Results']
    licences = dict((row['skuId'], row) for row in get(reader, 'ListLicenses', tenantFilter=TENANT)[1])
    assert all(sku['consumedUnits'] == int(licences[sku['skuId']]['CountUsed']) for sku in skus)
    groups = graph(reader, Endpoint='groups')[1]['Results']
    finance = [g for g in groups if g['displayName'] == 'Finance'][0]
    members = graph(reader, Endpoint='groups/%s/members' % finance['id'])[1]['Results']
    assert members and all(m['@odata.type'] == '#microsoft.graph.user' for m in members)
    member_of = graph(reader, Endpoint='users/%s/memberOf' % members[0]['id'])[1]['Results']
    assert finance['id'] in [g['id'] for g in member_of]
    assert [d['id'] for d in graph(reader, Endpoint='domains')[1]['Results'] if d['isDefault']] == [TENANT]


def test_graph_request_errors(reader):
    cases = [({'Endpoint': 'users', '$top': '1000'}, "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."),
             ({'Endpoint': 'users', '$select': 'id,shoeSize'}, "Could not find a property named 'shoeSize'"),
             ({'Endpoint': 'widgets'}, "Resource not found for the segment 'widgets'."),
             ({'Endpoint': 'users', 'manualPagination': 'true', 'nextLink': 'https://evil.example/beta/users?$skiptoken=x'},
              'Invalid nextLink URL: https://evil.example/beta/users?$skiptoken=x'),
             ({'Endpoint': 'users', 'tenantFilter': 'stranger.example'}, "the tenant is not in CIPP's tenant list.")]
    for params, expected in cases:
        status, body, content_type = graph(reader, **params)
        assert status == 400 and content_type.startswith('text/plain'), params
        assert body.startswith('Graph Error: ') and expected in body and body.endswith(' - Endpoint: %s' % params['Endpoint']), body
    status, body, _ctype = graph(reader, Endpoint='widgets', IgnoreErrors='true')
    assert status == 200 and body.startswith('Graph Error: ')


# ------------------------------------------------------------------------------------------------ groups, licences, counts

def test_user_groups_rows(reader):
    member = [u for u in users(reader) if u['userType'] == 'Member'][0]
    rows = get(reader, 'ListUserGroups', tenantFilter=TENANT, userId=member['id'])[1]
    assert rows and all(set(row) == {'id', 'DisplayName', 'MailEnabled', 'Mail', 'SecurityGroup', 'GroupTypes', 'OnPremisesSync',
                                     'IsAssignableToRole', 'calculatedGroupType', 'groupType'} for row in rows)
    assert [r['DisplayName'] for r in rows] == sorted((r['DisplayName'] for r in rows), key=str.lower)
    status, _body, content_type = get(reader, 'ListUserGroups', tenantFilter=TENANT, userId='nobody@contoso.com')
    assert status == 500 and content_type.startswith('text/plain')


def test_groups_of_every_kind(reader):
    rows = get(reader, 'ListGroups', tenantFilter=TENANT)[1]
    kinds = set((row['calculatedGroupType'], row['groupType']) for row in rows)
    assert kinds == {('m365', 'Microsoft 365'), ('security', 'Mail-Enabled Security'), ('generic', 'Security'),
                     ('distributionList', 'Distribution List')}
    assert any(row['dynamicGroupBool'] for row in rows) and any(row['isAssignableToRole'] for row in rows)
    assert any(row['onPremisesSyncEnabled'] for row in rows) and all(isinstance(row['groupTypes'], str) for row in rows)
    one = rows[0]
    single = get(reader, 'ListGroups', tenantFilter=TENANT, groupID=one['id'])[1]
    assert isinstance(single, dict) and single['id'] == one['id']
    members = get(reader, 'ListGroups', tenantFilter=TENANT, groupID=one['id'], members='true')[1]
    assert sorted(m['userPrincipalName'] for m in members) == sorted(filter(None, one['membersCsv'].split(',')))
    assert get(reader, 'ListGroups', tenantFilter=TENANT, members='true')[0] == 400
    status, body, _ctype = get(reader, 'ListGroups', tenantFilter='stranger.example')
    assert status == 403 and isinstance(body, list) and 'not in CIPP' in body[0]


def test_licences_have_a_full_and_a_nearly_full_sku(reader):
    for tenant in ('contoso.com', 'fabrikam.onmicrosoft.com'):
        rows = get(reader, 'ListLicenses', tenantFilter=tenant)[1]
        free = sorted(row['CountAvailable'] for row in rows)
        assert free[0] == 0 and 1 in free, (tenant, free)
        assert all(int(row['CountUsed']) + row['CountAvailable'] == int(row['TotalLicenses']) for row in rows)


def test_user_counts_and_custom_roles_and_me(reader):
    counts = get(reader, 'ListUserCounts', tenantFilter=TENANT)[1][0]
    everyone = users(reader)
    assert counts['Users'] == len(everyone) and counts['Guests'] == len([u for u in everyone if u['userType'] == 'Guest'])
    assert 1 <= counts['Gas'] <= 2 and counts['LicUsers'] < counts['Users']
    roles = get(reader, 'ListCustomRole')[1]
    assert [r['RoleName'] for r in roles] == ['readonly', 'editor', 'admin', 'superadmin'] and roles[0]['Type'] == 'Built-In'
    status, body, content_type = get(reader, 'me')
    assert status == 403 and content_type.startswith('text/plain') and body.startswith('Access to this CIPP API endpoint is not allowed')


# ------------------------------------------------------------------------------------------------ sign-ins and activity

def test_sign_ins_cover_a_week_with_failures_and_unusual_countries(reader):
    rows = get(reader, 'ListSignIns', tenantFilter=TENANT)[1]
    assert len(rows) >= 30
    countries = set(row['location']['countryOrRegion'] for row in rows)
    assert {'NL', 'GB'} <= countries and countries - {'NL', 'GB'}
    assert all(row['locationcipp'] == '%s - %s' % (row['location']['city'], row['location']['countryOrRegion']) for row in rows)
    failed = get(reader, 'ListSignIns', tenantFilter=TENANT, failedLogonsOnly='true')[1]
    assert failed and all(row['errorCode'] == 50126 for row in failed)
    one_day = get(reader, 'ListSignIns', tenantFilter=TENANT, Days='1')[1]
    assert 0 < len(one_day) < len(rows)
    repeated = get(reader, 'ListSignIns', tenantFilter=TENANT, FailureThreshold='2')[1]
    assert all(sum(1 for r in failed if r['userPrincipalName'] == row['userPrincipalName']) >= 2 for row in repeated)
    narrowed = get(reader, 'ListSignIns', tenantFilter=TENANT, Filter="location/countryOrRegion eq 'NG'")[1]
    assert all(row['location']['countryOrRegion'] == 'NG' for row in narrowed)


def test_user_sign_in_logs_need_the_object_id(reader):
    row = get(reader, 'ListSignIns', tenantFilter=TENANT)[1][0]
    logs = get(reader, 'ListUserSigninLogs', tenantFilter=TENANT, UserID=row['userId'], top='2')[1]
    assert 1 <= len(logs) <= 2 and all(log['userId'] == row['userId'] for log in logs)
    assert logs == sorted(logs, key=lambda r: r['createdDateTime'], reverse=True)
    assert get(reader, 'ListUserSigninLogs', tenantFilter=TENANT, UserID=row['userPrincipalName'])[1] == []


def test_inactive_accounts_skip_guests_disabled_and_recent(reader):
    rows = get(reader, 'ListInactiveAccounts', tenantFilter=TENANT, InactiveDays='30')[1]
    recent = set(r['userId'] for r in get(reader, 'ListSignIns', tenantFilter=TENANT)[1] if r['errorCode'] == 0)
    assert rows and all(r['accountEnabled'] and r['userType'] == 'Member' and r['azureAdUserId'] not in recent for r in rows)
    assert all(r['tenantId'] == TENANT for r in rows)
    every = get(reader, 'ListInactiveAccounts', tenantFilter='AllTenants')[1]
    assert len({r['tenantId'] for r in every}) == 5


def test_deleted_items_devices_and_ca_policies(reader):
    deleted = get(reader, 'ListDeletedItems', tenantFilter=TENANT)[1]
    assert len(deleted) == 2 and all(d['TargetType'] == 'User' and d['userPrincipalName'].startswith(d['id'].replace('-', ''))
                                     for d in deleted)
    device_owner = get(reader, 'ListGroups', tenantFilter=TENANT)[1][0]['membersCsv'].split(',')[0]
    devices = get(reader, 'ListUserDevices', tenantFilter=TENANT, UserID=device_owner)[1]
    assert isinstance(devices, list)
    assert get(reader, 'ListUserDevices', tenantFilter=TENANT, UserID='nobody@contoso.com')[1] == []
    assert get(reader, 'ListUserConditionalAccessPolicies', tenantFilter=TENANT, UserID='nobody@contoso.com')[1] == [{}]


def test_readonly_may_read_the_directory(emulator, reader):
    readonly = Client(emulator, 'readonly')
    for name in ('ListUsers', 'ListGroups', 'ListLicenses', 'ListSignIns', 'ListGraphRequest'):
        status, _body, _ctype = readonly.call(name, params={'tenantFilter': TENANT, 'Endpoint': 'users'})
        assert status == 200, name


def test_graph_request_group_members_with_select_id_are_every_direct_member(reader, emulator):
    """What cipp_users sends to learn a group's members once (Invoke-ListGraphRequest.ps1 -> Get-GraphRequestList.ps1:
    every page unless NoPagination): `groups/{id}/members` with `$select=id` gives each direct member's id, all of them."""
    tenant = next(t for t in emulator.state.tenants.values() if t.default_domain == TENANT)
    finance = next(g for g in tenant.groups.values() if g['displayName'] == 'Finance')
    body = graph(reader, Endpoint='groups/%s/members' % finance['id'], **{'$select': 'id', '$top': '2'})[1]
    assert sorted(row['id'] for row in body['Results']) == sorted(finance['_members']) and len(finance['_members']) > 2
    # Members are directoryObjects: Graph names each one's type even under $select.
    assert set(body['Results'][0]) == {'id', '@odata.type', 'Tenant', 'CippStatus'} and 'nextLink' not in body['Metadata']
    first_page = graph(reader, Endpoint='groups/%s/members' % finance['id'], NoPagination='true', **{'$select': 'id', '$top': '2'})[1]
    assert len(first_page['Results']) == 2  # only NoPagination stops at Graph's first page
    status, text, _type = graph(reader, Endpoint='groups/00000000-0000-4000-8000-000000000000/members')
    assert status == 400 and text.startswith('Graph Error:')
