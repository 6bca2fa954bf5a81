"""The directory endpoints' quirks (CONTRACT 5.1-5.19, 5.28, 6.1, 10, 11) as a client meets them."""

TENANT = 'contoso.com'


def users(cipp, **params):
    return cipp.call('ListUsers', params=dict({'tenantFilter': TENANT}, **params))[1]


def a_cloud_user(cipp):
    return [u for u in users(cipp) if u['userType'] == 'Member' and not u['onPremisesSyncEnabled'] and u['accountEnabled']][0]


def test_list_tenants_narrowing_selector_and_error_free_rows(cipp):
    status, rows, _ctype = cipp.call('ListTenants', params={'AllTenantSelector': 'true'})
    assert status == 200 and rows[0]['customerId'] == 'AllTenants' and len(rows) == 6
    one = cipp.call('ListTenants', params={'tenantFilter': 'contoso.onmicrosoft.com'})[1]
    assert [row['defaultDomainName'] for row in one] == ['contoso.com']
    by_id = cipp.call('ListTenants', params={'tenantFilter': one[0]['customerId']})[1]
    assert by_id == one
    assert [row['displayName'] for row in cipp.call('ListTenants')[1]] == sorted(row['displayName'] for row in cipp.call('ListTenants')[1])


def test_list_users_unknown_userid_is_500_text_but_a_filter_gives_empty(cipp):
    status, body, content_type = cipp.call('ListUsers', params={'tenantFilter': TENANT, 'UserID': 'nobody@contoso.com'})
    assert status == 500 and content_type.startswith('text/plain') and 'does not exist' in body
    assert users(cipp, graphFilter="userPrincipalName eq 'nobody@contoso.com'") == []


def test_list_users_filters_and_cipp_additions(cipp):
    quoted = [u['userPrincipalName'] for u in users(cipp) if "'" in u['userPrincipalName']][0]  # the seed has an O'Brien
    found = users(cipp, graphFilter="userPrincipalName eq '%s'" % quoted.upper().replace("'", "''"))
    assert len(found) == 1
    user = found[0]
    assert user['username'] == quoted.split('@')[0] and user['primDomain'] == {'value': TENANT, 'label': TENANT}
    assert isinstance(user['LicJoined'], str) and isinstance(user['Aliases'], str)
    disabled = users(cipp, graphFilter='accountEnabled eq false')
    assert disabled and all(u['accountEnabled'] is False for u in disabled)
    assert all(u['displayName'].startswith('A') for u in users(cipp, graphFilter="startswith(displayName,'a')"))
    status, body, _ctype = cipp.call('ListUsers', params={'tenantFilter': TENANT, 'graphFilter': 'this is not odata'})
    assert status == 500 and 'Invalid filter clause' in body
    assert cipp.call('ListUsers', params={'tenantFilter': 'AllTenants'})[1][0]['Message'].startswith('This function has been deprecated')


def test_add_user_builds_the_upn_from_username_and_domain(cipp):
    status, body, _ctype = cipp.call('AddUser', 'POST', body={
        'tenantFilter': TENANT, 'username': 'new.hire', 'Domain': TENANT, 'displayName': 'New Hire', 'usageLocation': {'value': 'NL'},
        'licenses': [{'value': 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46', 'label': 'SPB'}]})
    assert status == 200
    results = body['Results']
    assert results[0] == 'Created New User.'
    assert results[1] == {'resultText': 'Username: new.hire@contoso.com', 'copyField': 'new.hire@contoso.com', 'state': 'success'}
    assert results[2]['resultText'].startswith('Password: ') and len(results[2]['copyField']) >= 12
    assert results[3].startswith('Successfully set licenses for new.hire@contoso.com')
    assert users(cipp, graphFilter="userPrincipalName eq 'new.hire@contoso.com'")[0]['usageLocation'] == 'NL'


def test_add_user_twice_is_a_500_and_without_tenant_a_400(cipp):
    body = {'tenantFilter': TENANT, 'username': 'twice', 'Domain': TENANT, 'displayName': 'Twice'}
    assert cipp.call('AddUser', 'POST', body=body)[0] == 200
    status, again, _ctype = cipp.call('AddUser', 'POST', body=body)
    assert status == 500 and 'Another object with the same value for property userPrincipalName already exists' in again['Results'][0]
    status, missing, _ctype = cipp.call('AddUser', 'POST', body={'username': 'x', 'Domain': TENANT})
    assert status == 400 and missing == {'Results': {'resultText': 'tenantFilter is required to create a user.', 'state': 'error'}}


def test_add_user_reads_the_body_only(cipp):
    status, body, _ctype = cipp.call('AddUser', 'GET', body=None)
    assert status == 400


def test_edit_user_without_username_and_domain_fails_inside_200(cipp):
    user = a_cloud_user(cipp)
    status, body, _ctype = cipp.call('EditUser', 'POST', body={'tenantFilter': TENANT, 'id': user['id'], 'jobTitle': 'Lost'})
    assert status == 200 and body['Results'][0].startswith('Failed to edit user.')
    assert users(cipp, UserID=user['id'])[0]['jobTitle'] != 'Lost'
    assert cipp.call('EditUser', 'POST', body={'tenantFilter': TENANT})[0] == 400


def test_edit_user_ignores_empty_values_clears_listed_ones_and_resets_the_password_flag(emulator, cipp):
    user = a_cloud_user(cipp)
    live = next(t for t in emulator.state.tenants.values() if t.default_domain == TENANT).users[user['id']]
    live['_forceChangePassword'] = True
    base = {'tenantFilter': TENANT, 'id': user['id'], 'username': user['username'], 'Domain': TENANT}
    status, body, _ctype = cipp.call('EditUser', 'POST', body=dict(base, jobTitle='', department='Audit', clearProperties=['city']))
    assert status == 200 and body['Results'] == ['Success. The user has been edited.']
    after = users(cipp, UserID=user['id'])[0]
    assert after['jobTitle'] == user['jobTitle'] and after['department'] == 'Audit' and after['city'] is None
    assert live['_forceChangePassword'] is False  # MustChangePass missing -> false, on every edit (quirk 5)
    graph = cipp.call('ListGraphRequest', params={'tenantFilter': TENANT, 'Endpoint': 'users/%s' % user['id'],
                                                  '$select': 'id,passwordProfile'})[1]
    assert graph['Results'][0]['passwordProfile']['forceChangePasswordNextSignIn'] is False


def test_edit_user_renames_through_username(cipp):
    user = a_cloud_user(cipp)
    body = {'tenantFilter': TENANT, 'id': user['id'], 'username': 'renamed.person', 'Domain': 'contoso.co.uk'}
    assert cipp.call('EditUser', 'POST', body=body)[1]['Results'][0] == 'Success. The user has been edited.'
    assert users(cipp, UserID=user['id'])[0]['userPrincipalName'] == 'renamed.person@contoso.co.uk'


def test_disable_user_without_enable_disables_and_bad_booleans_are_500(cipp):
    user = a_cloud_user(cipp)
    status, body, _ctype = cipp.call('ExecDisableUser', 'POST', body={'tenantFilter': TENANT, 'ID': user['id']})
    assert status == 200 and body['Results'] == 'Successfully set account enabled state to False for %s' % user['id']
    status, body, content_type = cipp.call('ExecDisableUser', 'POST', body={'tenantFilter': TENANT, 'ID': user['id'], 'Enable': 'yes'})
    assert status == 500 and content_type.startswith('text/plain') and "String 'yes' was not recognized as a valid Boolean." in body
    synced = [u for u in users(cipp) if u['onPremisesSyncEnabled']][0]
    status, body, _ctype = cipp.call('ExecDisableUser', 'POST', body={'tenantFilter': TENANT, 'ID': synced['id'], 'Enable': False})
    assert status == 500 and 'is AD Sync enabled' in body['Results']


def test_remove_user_then_restore(cipp):
    user = a_cloud_user(cipp)
    status, body, _ctype = cipp.call('RemoveUser', 'POST', body={'tenantFilter': TENANT, 'ID': user['id'], 'userPrincipalName': user['userPrincipalName']})
    assert status == 200 and body['Results'] == "Successfully deleted user with ID: '%s' and Username: '%s'" % (user['id'], user['userPrincipalName'])
    again = cipp.call('RemoveUser', 'POST', body={'tenantFilter': TENANT, 'ID': user['id']})
    assert again[0] == 500 and 'does not exist' in again[1]['Results']
    deleted = [item for item in cipp.call('ListDeletedItems', params={'tenantFilter': TENANT})[1] if item['id'] == user['id']]
    assert deleted and deleted[0]['TargetType'] == 'User'
    assert cipp.call('ExecRestoreDeleted', 'POST', body={'tenantFilter': TENANT, 'ID': user['id']})[0] == 200
    assert users(cipp, UserID=user['id'])[0]['userPrincipalName'] == user['userPrincipalName']


def test_edit_group_reports_failures_inside_200(cipp):
    user = a_cloud_user(cipp)
    groups = cipp.call('ListGroups', params={'tenantFilter': TENANT})[1]
    plain = [g for g in groups if g['calculatedGroupType'] == 'generic' and not g['dynamicGroupBool']][0]
    member = {'value': user['id'], 'label': user['userPrincipalName']}
    body = {'tenantFilter': TENANT, 'groupId': {'value': plain['id'], 'label': plain['displayName']}, 'AddMember': [member]}
    first = cipp.call('EditGroup', 'POST', body=body)[1]['Results']
    second = cipp.call('EditGroup', 'POST', body=body)
    assert first[0].startswith('Success - Added member') or first[0] == 'Error - This user is already a member of this group.'
    assert second[0] == 200 and second[1]['Results'] == ['Error - This user is already a member of this group.']
    unknown = cipp.call('EditGroup', 'POST', body=dict(body, groupId='00000000-0000-0000-0000-000000000000'))
    assert unknown[0] == 500 and unknown[2].startswith('text/plain')


def test_bulk_license_only_removes_what_the_user_has(cipp):
    user = [u for u in users(cipp) if u['assignedLicenses']][0]
    sku = user['assignedLicenses'][0]['skuId']
    remove = [{'tenantFilter': TENANT, 'userIds': [user['id']], 'LicenseOperation': 'Remove', 'LicensesToRemove': [{'value': sku}]}]
    assert cipp.call('ExecBulkLicense', 'POST', body=remove)[1]['Results'][0].startswith('Successfully set licenses')
    assert cipp.call('ExecBulkLicense', 'POST', body=remove)[1]['Results'] == ['No license changes needed for user %s' % user['userPrincipalName']]


def test_full_licences_refuse_another_seat(cipp):
    licences = cipp.call('ListLicenses', params={'tenantFilter': TENANT})[1]
    full = [lic for lic in licences if lic['CountAvailable'] == 0][0]
    body = {'tenantFilter': TENANT, 'username': 'no.seat', 'Domain': TENANT, 'displayName': 'No Seat', 'usageLocation': 'NL',
            'licenses': [{'value': full['skuId']}]}
    results = cipp.call('AddUser', 'POST', body=body)[1]['Results']
    # Set-CIPPUserLicense reports Graph's refusal as a result line; the user itself was created.
    assert results[0] == 'Created New User.'
    assert results[3] == ('Failed to assign licenses for user no.seat@contoso.com: Subscription with SKU %s does not have any '
                          'available licenses.' % full['skuId'])
    assert users(cipp, graphFilter="userPrincipalName eq 'no.seat@contoso.com'")[0]['assignedLicenses'] == []


def test_graph_request_paging_and_errors(cipp):
    params = {'tenantFilter': TENANT, 'Endpoint': 'users', '$top': '10', 'manualPagination': 'true', '$select': 'id,userPrincipalName'}
    first = cipp.call('ListGraphRequest', params=params)[1]
    assert len(first['Results']) == 10 and first['Metadata']['nextLink'].startswith('https://graph.microsoft.com/')
    assert all(row['Tenant'] == TENANT and row['CippStatus'] == 'Good' for row in first['Results'])
    second = cipp.call('ListGraphRequest', params=dict(params, nextLink=first['Metadata']['nextLink']))[1]
    assert not set(r['id'] for r in first['Results']) & set(r['id'] for r in second['Results'])
    status, body, _ctype = cipp.call('ListGraphRequest', params={'tenantFilter': TENANT, 'Endpoint': 'users/nobody'})
    assert status == 400 and body.startswith('Graph Error: ') and body.endswith('- Endpoint: users/nobody')
