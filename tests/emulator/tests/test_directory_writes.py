"""Directory writes (CONTRACT 5.1-5.3, 5.17-5.19, 5.28, 6.1) beyond the basics in test_directory.py."""

import pytest

TENANT = 'contoso.com'
SPB = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46'
STANDARD = 'f245ecc8-75af-4f8e-b61f-27d8114de5f3'
LICENCE_OK = 'Successfully set licenses for %s. It may take 2\u20135 minutes before the changes become visible.'


def users(cipp, **params):
    return cipp.call('ListUsers', params=dict({'tenantFilter': TENANT}, **params))[1]


def user(cipp, ident):
    return users(cipp, UserID=ident)[0]


def cloud_users(cipp):
    return [u for u in users(cipp) if u['userType'] == 'Member' and not u['onPremisesSyncEnabled'] and u['accountEnabled']]


def groups(cipp):
    return dict((g['displayName'], g) for g in cipp.call('ListGroups', params={'tenantFilter': TENANT})[1])


def add(cipp, **fields):
    body = dict({'tenantFilter': TENANT, 'Domain': TENANT, 'displayName': fields.get('username', 'x').title()}, **fields)
    return cipp.call('AddUser', 'POST', body=body)


def edit_body(target, **fields):
    return dict({'tenantFilter': TENANT, 'id': target['id'], 'username': target['username'], 'Domain': TENANT,
                 'displayName': target['displayName']}, **fields)


def edit(cipp, target, **fields):
    status, body, _ctype = cipp.call('EditUser', 'POST', body=edit_body(target, **fields))
    assert status == 200  # EditUser answers 200 whatever happened (CONTRACT 5.3)
    return body['Results']


# ------------------------------------------------------------------------------------------------ AddUser

def test_add_user_generates_a_complex_password_and_sets_the_flag(cipp):
    status, body, _ctype = add(cipp, username='gen.pass', MustChangePass=True)
    assert status == 200
    password = body['Results'][2]['copyField']
    assert body['Results'][2]['resultText'] == 'Password: %s' % password and len(password) == 14
    kinds = [any(c.isupper() for c in password), any(c.islower() for c in password), any(c.isdigit() for c in password),
             any(not c.isalnum() for c in password)]
    assert sum(kinds) >= 3  # Entra's complexity rule
    live = cipp.emu.state.resolve_tenant(TENANT).find_user('gen.pass@contoso.com')
    assert live['_password'] == password and live['_forceChangePassword'] is True
    assert body['User']['userPrincipalName'] == 'gen.pass@contoso.com'
    assert body['CopyFrom'] == {'Success': None, 'Error': None, 'Skipped': None}


def test_add_user_graph_refusals_are_500(cipp):
    cases = [({'username': 'weak', 'password': 'abc'}, 'The specified password does not comply with password complexity requirements.'),
             ({'username': 'elsewhere', 'Domain': 'example.org'}, 'The domain portion of the userPrincipalName property is invalid.'),
             ({'username': '', 'mailNickname': 'nick'}, "Invalid value specified for property 'userPrincipalName'"),
             ({'username': 'prim', 'Domain': None, 'PrimDomain': TENANT}, "Invalid value specified for property 'userPrincipalName'")]
    for fields, expected in cases:
        status, body, _ctype = add(cipp, **fields)
        assert status == 500 and body['Results'][0].startswith('Failed to create user. Error:') and expected in body['Results'][0], fields
    status, body, _ctype = add(cipp, username='prim', Domain=None, PrimDomain={'value': 'contoso.co.uk', 'label': 'contoso.co.uk'})
    assert status == 200 and body['Results'][1]['copyField'] == 'prim@contoso.co.uk'


def test_add_user_follow_up_steps(cipp):
    boss, source = cloud_users(cipp)[:2]
    finance = groups(cipp)['Finance']
    status, body, _ctype = add(cipp, username='full.hire', displayName='Full Hire', licenses=[{'value': SPB, 'label': 'SPB'}, STANDARD],
                               AddToGroups=[{'value': finance['id'], 'label': 'Finance', 'addedFields': {'groupType': 'Security'}}],
                               setManager={'value': boss['userPrincipalName']}, copyFrom={'value': source['id']},
                               businessPhones='+31 20 555 0000', otherMails='a@example.org, b@example.org')
    assert status == 200
    lines = body['Results'][3:]
    # No usage location: CIPP sets its default (US) and assigns again; the bare-GUID licence is ignored.
    assert lines[0] == ('Successfully set licenses for full.hire@contoso.com after setting usage location. It may take 2\u20135 '
                        'minutes before the changes become visible.')
    assert any(line.startswith('Added user to group: ') for line in lines) and body['CopyFrom']['Success']
    assert "Set full.hire@contoso.com's manager to %s" % boss['userPrincipalName'] in lines
    created = user(cipp, 'full.hire@contoso.com')
    assert [l['skuId'] for l in created['assignedLicenses']] == [SPB] and created['usageLocation'] == 'US'
    assert created['manager']['id'] == boss['id'] and created['businessPhones'] == ['+31 20 555 0000']
    assert created['otherMails'] == ['a@example.org', 'b@example.org']
    memberships = [g['DisplayName'] for g in cipp.call('ListUserGroups', params={'tenantFilter': TENANT, 'userId': created['id']})[1]]
    assert 'Finance' in memberships


def test_add_user_scheduled_creates_a_task_even_twice(cipp):
    body = {'tenantFilter': TENANT, 'username': 'later', 'PrimDomain': {'value': TENANT}, 'displayName': 'Later Person',
            'Scheduled': {'Enabled': True, 'date': int(cipp.emu.state.now()) + 86400}}
    first = cipp.call('AddUser', 'POST', body=body)
    second = cipp.call('AddUser', 'POST', body=body)
    expected = {'Results': ['Successfully created scheduled task to create user Later Person']}
    assert first[:2] == (200, expected) and second[:2] == (200, expected)
    tasks = [t for t in cipp.emu.state.scheduled_tasks.values() if t['Name'] == 'New user creation: later@contoso.com']
    assert len(tasks) == 1 and tasks[0]['Command'] == 'New-CIPPUserTask' and tasks[0]['Parameters']['UserObj']['username'] == 'later'
    assert users(cipp, graphFilter="userPrincipalName eq 'later@contoso.com'") == []


def test_a_scheduled_add_user_runs_when_the_scheduler_does(cipp):
    body = {'tenantFilter': TENANT, 'username': 'soon', 'PrimDomain': {'value': TENANT}, 'displayName': 'Soon Person',
            'Scheduled': {'Enabled': True, 'date': int(cipp.emu.state.now()) - 60}}
    assert cipp.call('AddUser', 'POST', body=body)[0] == 200
    cipp.control('scheduler/run', {'until': 'done'})
    task = [t for t in cipp.emu.state.scheduled_tasks.values() if t['Name'] == 'New user creation: soon@contoso.com'][0]
    assert task['TaskState'] == 'Completed' and 'Created New User.' in task['Results']
    assert users(cipp, graphFilter="userPrincipalName eq 'soon@contoso.com'")


@pytest.mark.parametrize('tenant', ['AllTenants', 'stranger.example', '  '])
def test_writes_to_a_tenant_cipp_does_not_manage_answer_success_and_change_nothing(cipp, tenant):
    """CONTRACT 0.1 C9: the Graph helpers only Write-Error on the deny path (New-GraphPOSTRequest.ps1) and the
    handlers do not catch it, so CIPP reports the write as done. A tenant of spaces is such a tenant too (C10)."""
    target = cloud_users(cipp)[0]
    before = len(users(cipp))
    status, body, _ctype = cipp.call('AddUser', 'POST', body={'tenantFilter': tenant, 'username': 'x', 'Domain': TENANT, 'displayName': 'X'})
    assert status == 200 and body['Results'][0] == 'Created New User.' and body['Results'][1]['copyField'] == 'x@%s' % TENANT
    assert body['User'] is None
    status, body, _ctype = cipp.call('ExecDisableUser', 'POST', body={'tenantFilter': tenant, 'ID': target['id']})
    assert (status, body) == (200, {'Results': 'Successfully set account enabled state to False for %s' % target['id']})
    status, body, _ctype = cipp.call('EditUser', 'POST', body=edit_body(target, tenantFilter=tenant, jobTitle='Nope'))
    assert (status, body) == (200, {'Results': ['Success. The user has been edited.']})
    assert user(cipp, target['id'])['accountEnabled'] is True and user(cipp, target['id'])['jobTitle'] == target['jobTitle']
    assert len(users(cipp)) == before


def test_add_user_bulk(cipp):
    status, body, _ctype = cipp.call('AddUserBulk', 'POST', body={
        'tenantFilter': TENANT, 'usageLocation': {'value': 'NL'}, 'licenses': [{'value': SPB}],
        'BulkUser': [{'mailNickName': 'bulk.one', 'domain': TENANT, 'givenName': 'Bulk', 'surname': 'One'},
                     {'mailNickName': 'bulk.two', 'displayName': 'Bulk Two'},
                     {'mailNickName': 'bulk.one', 'domain': TENANT, 'displayName': 'Bulk Again'}]})
    assert status == 200
    one, missing, duplicate = body['Results']
    assert one['state'] == 'success' and one['resultText'] == 'Created user for Bulk One with username bulk.one@contoso.com'
    assert one['username'] == 'bulk.one@contoso.com' and len(one['copyField']) >= 8
    assert missing == {'resultText': 'Required fields missing for Bulk Two: domain', 'state': 'error'}
    assert duplicate['state'] == 'error' and 'Another object with the same value' in duplicate['resultText']
    created = user(cipp, 'bulk.one@contoso.com')
    assert created['usageLocation'] == 'NL' and [l['skuId'] for l in created['assignedLicenses']] == [SPB]
    assert cipp.emu.state.resolve_tenant(TENANT).find_user('bulk.one@contoso.com')['_forceChangePassword'] is True
    assert cipp.call('AddUserBulk', 'POST', body={'tenantFilter': TENANT})[1] == {
        'Results': {'resultText': 'No users specified to import', 'state': 'error'}}


# ------------------------------------------------------------------------------------------------ EditUser

def test_edit_user_password_lines(cipp):
    target = cloud_users(cipp)[0]
    assert edit(cipp, target, password='New-Secret-123', MustChangePass=True) == [
        'Success. The user has been edited.', 'Success. The password has been set to New-Secret-123']
    live = cipp.emu.state.resolve_tenant(TENANT).users[target['id']]
    assert live['_password'] == 'New-Secret-123' and live['_forceChangePassword'] is True
    assert edit(cipp, target, password='weak') == [
        'Success. The user has been edited.',
        'Failed to edit user. The specified password does not comply with password complexity requirements. Please provide a different password.']
    assert cipp.log()[-1]['params']['password'] == '***'


def test_edit_user_licence_comparison_rule(cipp):
    target = [u for u in cloud_users(cipp) if [l['skuId'] for l in u['assignedLicenses']] == [SPB]][0]
    upn = target['userPrincipalName']
    assert edit(cipp, target, licenses=[{'value': SPB}], removeLicenses=False)[1:] == ['Success. User license is already correct.']
    # removeLicenses missing: the comparison fails and the licences are set again (noisy but harmless).
    assert edit(cipp, target, licenses=[{'value': SPB}])[1:] == [LICENCE_OK % upn]
    assert edit(cipp, target, licenses=[{'value': STANDARD}], removeLicenses=False)[1:] == [LICENCE_OK % upn]
    assert [l['skuId'] for l in user(cipp, target['id'])['assignedLicenses']] == [STANDARD]
    assert edit(cipp, target, removeLicenses=True)[1:] == [LICENCE_OK % upn]
    assert user(cipp, target['id'])['assignedLicenses'] == []
    assert edit(cipp, target)[1:] == []  # no licence fields: no licence step


def test_edit_user_groups_and_manager(cipp):
    target, manager = cloud_users(cipp)[5:7]
    all_groups = groups(cipp)
    announce, finance = all_groups['Office Announcements'], all_groups['Finance']
    shown = target['displayName']
    add_both = [{'value': announce['id'], 'label': 'Office Announcements'}, {'value': finance['id'], 'label': 'Finance'}]
    lines = edit(cipp, target, AddToGroups=add_both, setManager={'value': manager['userPrincipalName']})
    upn = target['userPrincipalName']
    expected_add = ['Success. %s has been added to Office Announcements' % shown if target['userPrincipalName'] not in announce['membersCsv']
                    else 'Failed to add member %s to Office Announcements. Error: The recipient "%s" is already a member of the group '
                         '"Office Announcements".' % (shown, upn),
                    'Success. %s has been added to Finance' % shown if upn not in finance['membersCsv']
                    else 'Failed to add member %s to Finance. Error: This user is already a member of this group.' % shown]
    assert lines[1:] == expected_add + ["Set %s's manager to %s" % (upn, manager['userPrincipalName'])]
    again = edit(cipp, target, AddToGroups=[{'value': finance['id'], 'label': 'Finance'}])
    assert again[1:] == ['Failed to add member %s to Finance. Error: This user is already a member of this group.' % shown]
    removed = edit(cipp, target, RemoveFromGroups=add_both)
    assert removed[1:] == ['Success. %s has been removed from Office Announcements' % shown, 'Success. %s has been removed from Finance' % shown]
    twice = edit(cipp, target, RemoveFromGroups=[{'value': finance['id'], 'label': 'Finance'}])
    assert twice[1:] == ["Failed to remove member %s from Finance. Error: Resource '%s' does not exist or one of its queried "
                         "reference-property objects are not present." % (shown, target['id'])]
    assert user(cipp, target['id'])['manager']['id'] == manager['id']


def test_edit_user_synced_and_unknown_users(cipp):
    synced = [u for u in users(cipp) if u['onPremisesSyncEnabled']][0]
    assert edit(cipp, synced, jobTitle='Cloud Title')[0].startswith('Failed to edit user. Unable to update the specified properties')
    assert edit(cipp, synced, usageLocation='GB') == ['Success. The user has been edited.']  # cloud-mastered property
    ghost = {'id': '00000000-0000-4000-8000-00000000dead', 'username': 'ghost', 'displayName': 'Ghost'}
    lines = edit(cipp, ghost, licenses=[{'value': SPB}], AddToGroups=[{'value': 'g', 'label': 'G'}])
    missing = "Resource '%s' does not exist or one of its queried reference-property objects are not present." % ghost['id']
    assert lines == ['Failed to edit user. %s' % missing, "We've failed to assign the license. %s" % missing,
                     'Failed to add member Ghost to G. Error: %s' % missing]


def test_edit_user_conflicting_upn_and_aliases(cipp):
    first, second = cloud_users(cipp)[:2]
    assert edit(cipp, first, username=second['username'])[0] == (
        'Failed to edit user. Another object with the same value for property userPrincipalName already exists.')
    assert edit(cipp, first, AddedAliases='first.alias@contoso.co.uk\nsecond.alias@contoso.com')[1:] == ['Success. Added aliases to user.']
    addresses = user(cipp, first['id'])['proxyAddresses']
    assert 'smtp:first.alias@contoso.co.uk' in addresses and 'SMTP:%s' % first['userPrincipalName'] in addresses


def test_edit_user_scheduled(cipp):
    target = cloud_users(cipp)[0]
    later = {'Enabled': True, 'date': int(cipp.emu.state.now()) + 3600}
    status, body, _ctype = cipp.call('EditUser', 'POST', body=edit_body(target, jobTitle='Tomorrow', Scheduled=later))
    assert (status, body) == (200, {'Results': ['Successfully created scheduled task to edit user %s' % target['displayName']]})
    assert user(cipp, target['id'])['jobTitle'] == target['jobTitle']
    assert [t['Command'] for t in cipp.emu.state.scheduled_tasks.values() if t['Name'] == 'Edit user: %s' % target['displayName']] == [
        'Set-CIPPUser']


# ------------------------------------------------------------------------------------------------ other writes

def test_remove_user_without_id_exits_with_an_empty_answer(cipp):
    status, body, _ctype = cipp.call('RemoveUser', 'POST', body={'tenantFilter': TENANT})
    assert (status, body) == (200, '')


def test_restore_conflict_and_permanent_delete(cipp):
    deleted = cipp.call('ListDeletedItems', params={'tenantFilter': TENANT})[1]
    gone = deleted[0]
    original = gone['userPrincipalName'][32:]
    assert add(cipp, username=original.split('@')[0], displayName='Taken')[0] == 200
    status, body, _ctype = cipp.call('ExecRestoreDeleted', 'POST', body={'tenantFilter': TENANT, 'ID': gone['id'], 'displayName': 'X'})
    assert status == 500 and 'Another object with the same value' in body['Results'] and "Display Name: 'X'" in body['Results']
    status, body, _ctype = cipp.call('RemoveDeletedObject', 'POST', body={'tenantFilter': TENANT, 'ID': gone['id']})
    assert (status, body) == (200, {'Results': "Successfully permanently deleted item with ID: '%s'" % gone['id']})
    status, body, _ctype = cipp.call('RemoveDeletedObject', 'POST', params={'tenantFilter': TENANT, 'ID': gone['id']})
    assert status == 500 and body['Results'].startswith("Failed to permanently delete item with ID: '%s'" % gone['id'])


def test_deleting_a_manager_clears_the_reports_manager(cipp):
    report = [u for u in cloud_users(cipp) if u.get('manager')][0]
    manager_id = report['manager']['id']
    assert cipp.call('RemoveUser', 'POST', body={'tenantFilter': TENANT, 'ID': manager_id})[0] == 200
    assert 'manager' not in user(cipp, report['id'])


def test_edit_group_owners_distribution_lists_and_properties(cipp):
    target = cloud_users(cipp)[8]
    all_groups = groups(cipp)
    announce = all_groups['Office Announcements']
    member = {'value': target['id'], 'label': target['displayName'], 'addedFields': {'userPrincipalName': target['userPrincipalName']}}
    body = {'tenantFilter': TENANT, 'groupId': {'value': announce['id'], 'label': 'Announcements'}, 'RemoveMember': [member],
            'displayName': 'Renamed DL'}
    lines = cipp.call('EditGroup', 'POST', body=body)[1]['Results']
    assert lines[0] == 'Error - Cannot Update a mail-enabled security groups and or distribution list.'
    if target['userPrincipalName'] in announce['membersCsv']:
        assert lines[1] == 'Success - Removed member %s from Announcements group' % target['userPrincipalName']
    else:
        assert lines[1] == 'Error - The recipient "%s" isn\'t a member of the group "Office Announcements".' % target['userPrincipalName']
    finance = all_groups['Finance']
    owners = {'tenantFilter': TENANT, 'groupId': finance['id'], 'AddOwner': [target['userPrincipalName']], 'description': 'Money'}
    assert cipp.call('EditGroup', 'POST', body=owners)[1]['Results'] == [
        'Success - Edited group properties for Finance group', 'Success - Added owner %s to Finance group' % target['userPrincipalName']]
    solo = all_groups['Engineering']
    only_owner = cipp.call('ListGroups', params={'tenantFilter': TENANT, 'groupID': solo['id'], 'owners': 'true'})[1]
    refused = cipp.call('EditGroup', 'POST', body={'tenantFilter': TENANT, 'groupId': solo['id'], 'RemoveOwner': [{'value': only_owner[0]['id']}]})
    assert refused[1]['Results'] == ['Error - The group must have at least one owner.']
    dynamic = all_groups['All Staff']
    assert cipp.call('EditGroup', 'POST', body={'tenantFilter': TENANT, 'groupId': dynamic['id'], 'AddMember': [member]})[1]['Results'][0].startswith(
        'Error - ')


def test_bulk_license_add_replace_and_refusals(cipp):
    """Invoke-ExecBulkLicense.ps1: only the FIRST id of an item's userIds is processed; an id Graph does not have is
    'not found'; a value that is not an object id fails the users lookup and so the whole call (400)."""
    unlicensed = [u for u in cloud_users(cipp) if not u['assignedLicenses'] and u['usageLocation']][0]
    licensed = [u for u in cloud_users(cipp) if [l['skuId'] for l in u['assignedLicenses']] == [SPB]][0]
    ghost = '00000000-0000-4000-8000-00000000dead'
    body = [{'tenantFilter': TENANT, 'userIds': unlicensed['id'], 'LicenseOperation': 'Add', 'Licenses': [{'value': SPB}]},
            {'tenantFilter': TENANT, 'userIds': [licensed['id'], unlicensed['id']], 'LicenseOperation': 'Replace',
             'ReplaceAllLicenses': True, 'Licenses': [{'value': STANDARD}]},
            {'tenantFilter': TENANT, 'userIds': [ghost], 'LicenseOperation': 'Add', 'Licenses': [{'value': SPB}]}]
    status, answer, _ctype = cipp.call('ExecBulkLicense', 'POST', body=body)
    assert status == 200
    assert answer['Results'] == ['User %s not found in tenant %s' % (ghost, TENANT), LICENCE_OK % unlicensed['userPrincipalName'],
                                 LICENCE_OK % licensed['userPrincipalName']]
    assert [l['skuId'] for l in user(cipp, licensed['id'])['assignedLicenses']] == [STANDARD]
    full = [{'tenantFilter': TENANT, 'userIds': [licensed['id']], 'LicenseOperation': 'Add',
             'Licenses': [{'value': '3b555118-da6a-4418-894f-7df1e2096870'}]}]
    assert 'does not have any available licenses' in cipp.call('ExecBulkLicense', 'POST', body=full)[1]['Results'][0]
    status, answer, _ctype = cipp.call('ExecBulkLicense', 'POST', body=[dict(body[0], userIds=['nobody'])])
    assert (status, answer) == (400, {'Results': ["Failed to process bulk license operation: Failed to fetch users for chunk "
                                                  "UserLookup0: Invalid object identifier 'nobody'."]})
    status, answer, _ctype = cipp.call('ExecBulkLicense', 'POST', body=[dict(body[0], tenantFilter='stranger.example')])
    assert (status, answer) == (200, {'Results': ['User %s not found in tenant stranger.example' % unlicensed['id']]})


# ------------------------------------------------------------------------------------------------ ExecRemoveAdminRole

def role_holders(cipp, name):
    tenant = cipp.emu.state.resolve_tenant(TENANT)
    return next(role for role in tenant.roles.values() if role['displayName'] == name)


def remove_role(cipp, **body):
    status, answer, _ctype = cipp.call('ExecRemoveAdminRole', 'POST', body=dict({'tenantFilter': TENANT}, **body))
    return status, answer['Results']


def test_remove_admin_role_takes_the_user_out_of_the_role_by_instance_id(cipp):
    role = role_holders(cipp, 'Exchange Administrator')
    holder = role['_members'][0]
    status, lines = remove_role(cipp, RoleId=role['id'], RoleName='Exchange Administrator',
                                Users=[{'value': holder, 'label': 'x', 'addedFields': {'userPrincipalName': 'olivia@contoso.com'}}])
    assert (status, lines) == (200, ['Successfully removed olivia@contoso.com from admin role Exchange Administrator.'])
    assert holder not in role['_members']
    # Graph's DELETE .../members/{id}/$ref for someone who is not a member: 404, and CIPP answers 500 with the text.
    status, lines = remove_role(cipp, RoleId=role['id'], RoleName='Exchange Administrator', Users=[{'value': holder}])
    assert status == 500
    assert lines == ["Failed to remove %s from admin role Exchange Administrator. One or more removed object references do not exist "
                     "for the following modified properties: 'members'." % holder]


def test_remove_admin_role_by_template_id_says_when_the_role_is_not_activated(cipp):
    role = role_holders(cipp, 'User Administrator')
    holder = role['_members'][0]
    status, lines = remove_role(cipp, RoleTemplateId={'value': role['roleTemplateId']}, RoleName={'label': 'User Administrator'},
                                Users=[holder])
    assert (status, lines) == (200, ['Successfully removed %s from admin role User Administrator.' % holder])
    status, lines = remove_role(cipp, RoleTemplateId='00000000-1111-2222-3333-444444444444', RoleName='Nope', Users=[holder])
    assert status == 500 and lines[0].endswith('The role may not be activated in this tenant.')


def test_remove_admin_role_without_ids_is_400(cipp):
    assert remove_role(cipp, RoleName='Global Administrator', Users=[{'value': 'x'}]) == (
        400, ['TenantFilter, RoleId or RoleTemplateId, and Users are required to remove an admin role assignment.'])
    role = role_holders(cipp, 'Global Administrator')
    assert remove_role(cipp, RoleId=role['id'], Users=[])[0] == 400


def test_direct_reports_are_the_users_whose_manager_the_user_is(cipp):
    tenant = cipp.emu.state.resolve_tenant(TENANT)
    manager_id = next(u['_managerId'] for u in tenant.users.values() if u.get('_managerId'))
    expected = sorted(u['id'] for u in tenant.users.values() if u.get('_managerId') == manager_id)
    status, body, _ctype = cipp.call('ListGraphRequest', params={'tenantFilter': TENANT, 'Endpoint': 'users/%s/directReports' % manager_id,
                                                                 '$select': 'id,userPrincipalName,displayName,accountEnabled'})
    assert status == 200
    assert sorted(row['id'] for row in body['Results']) == expected
