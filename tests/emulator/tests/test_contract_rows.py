"""One contract test per row of CONTRACT.md section 0.1 (C1-C19), each as the CIPP-API 10.8.2 source behaves, plus
ListGraphRequest's Graph objects and the eventual-consistency knob.

Paths in the docstrings are relative to the backend repository: HTTP/ = Modules/CIPPHTTP/Public/Entrypoints/HTTP
Functions/, Core/ = Modules/CIPPCore/Public/, Activity/ = Modules/CIPPActivityTriggers/Public/Entrypoints/Activity Triggers/.
"""

import json

import requests

from conftest import Client

TENANT = 'contoso.com'
WOOD = 'woodgrovebakery.com'
PARTNER = '5e1f0000-0000-4000-8000-00000000aa01'
SPB, STANDARD, EXO1 = ('cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46', 'f245ecc8-75af-4f8e-b61f-27d8114de5f3',
                       '4b9405b0-7788-4568-add1-99614e613b69')
E3, FLOW_FREE, TEAMS_EXPLORATORY = ('6fd2c87f-b296-42f0-b197-1e91e994b900', 'f30db892-07e9-47e9-837c-80727f46fd3d',
                                    '710779e8-3d4a-4c88-adb9-386c958d1fdf')
GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10'
PASSWORD_METHOD_ID = '28c10230-6103-485e-b985-444c60001490'


def tenant_state(cipp, domain=TENANT):
    return cipp.emu.state.resolve_tenant(domain)


def graph(client, tenant=TENANT, **params):
    return client.call('ListGraphRequest', params=dict({'tenantFilter': tenant}, **params))


def list_users(cipp, tenant=TENANT, **params):
    return cipp.call('ListUsers', params=dict({'tenantFilter': tenant}, **params))


def members_with_mailbox(cipp, domain=TENANT):
    state = tenant_state(cipp, domain)
    return [u for u in state.users.values() if u['id'] in state.mailboxes and u['userType'] == 'Member'
            and not u.get('onPremisesSyncEnabled') and u['accountEnabled']]


def guest(cipp, domain=TENANT):
    return next(u for u in tenant_state(cipp, domain).users.values() if '#EXT#' in u['userPrincipalName'])


def run_scheduler(cipp, advance=0):
    if advance:
        cipp.control('clock', {'advance': advance})
    return cipp.control('scheduler/run', {'until': 'done'})


def task_named(cipp, name):
    found = [t for t in cipp.emu.state.scheduled_tasks.values() if t['Name'] == name]
    assert len(found) == 1, [t['Name'] for t in cipp.emu.state.scheduled_tasks.values()]
    return found[0]


def offboard(cipp, tenant, upn, **options):
    body = dict({'tenantFilter': tenant, 'user': [{'value': upn}]}, **options)
    status, answer, _ctype = cipp.call('ExecOffboardUser', 'POST', body=body)
    assert status == 200, answer
    run_scheduler(cipp)
    return task_named(cipp, 'Offboarding: %s' % upn)


def texts(stored):
    parsed = json.loads(stored)
    return [parsed['Results']] if isinstance(parsed, dict) else [item['Results'] for item in parsed]


def licences(cipp, user_id, tenant=TENANT):
    row = graph(cipp, tenant, Endpoint='users/%s' % user_id, **{'$select': 'id,assignedLicenses'})[1]['Results'][0]
    return [lic['skuId'] for lic in row['assignedLicenses']]


# ------------------------------------------------------------------------------------------------ C1

def test_c1_bulk_licence_is_one_batch_keyed_by_user_id(cipp):
    """HTTP/Identity/Administration/Users/Invoke-ExecBulkLicense.ps1, Core/Set-CIPPUserLicense.ps1,
    Core/GraphHelper/New-GraphBulkRequest.ps1: every item of a tenant becomes a request of ONE $batch with the user id
    as its id. An Add and a Remove for the same user repeat the id; Graph refuses the batch, CIPP answers 200 with
    its failure text, and nothing changes. A Replace item removes only SKUs the user holds."""
    user = next(u for u in tenant_state(cipp).users.values() if u['_directLicenses'] == [SPB] and u['userType'] == 'Member')
    both = [{'tenantFilter': TENANT, 'userIds': [user['id']], 'LicenseOperation': 'Add', 'Licenses': [{'value': STANDARD}]},
            {'tenantFilter': TENANT, 'userIds': [user['id']], 'LicenseOperation': 'Remove', 'LicensesToRemove': [{'value': SPB}]}]
    status, body, _ctype = cipp.call('ExecBulkLicense', 'POST', body=both)
    assert (status, body) == (200, {'Results': ['Failed to process bulk license operation for tenant %s. Error: Request Id %s has '
                                                'to be unique in a batch.' % (TENANT, user['id'])]})
    assert licences(cipp, user['id']) == [SPB]
    swap = [{'tenantFilter': TENANT, 'userIds': [user['id']], 'LicenseOperation': 'Replace', 'ReplaceAllLicenses': False,
             'Licenses': [{'value': STANDARD}], 'LicensesToReplace': [{'value': SPB}, {'value': EXO1}]}]
    status, body, _ctype = cipp.call('ExecBulkLicense', 'POST', body=swap)
    assert status == 200 and body['Results'] == ['Successfully set licenses for %s. It may take 2\u20135 minutes before the changes '
                                                 'become visible.' % user['userPrincipalName']]
    assert licences(cipp, user['id']) == [STANDARD]


# ------------------------------------------------------------------------------------------------ C2, C3

def test_c2_list_licenses_sku_part_number_is_the_product_name(reader):
    """Core/Get-CIPPLicenseOverview.ps1: `License` and `skuPartNumber` are both the pretty name (admin portal or the
    licensing CSV), not Graph's part number; Graph's subscribedSkus (through ListGraphRequest) has the real one."""
    rows = reader.call('ListLicenses', params={'tenantFilter': TENANT})[1]
    premium = next(row for row in rows if row['skuId'] == SPB)
    assert premium['skuPartNumber'] == premium['License'] == 'Microsoft 365 Business Premium'
    assert [row['License'] for row in rows] == sorted(row['License'] for row in rows)
    assert isinstance(premium['TermInfo'], list) and premium['TermInfo'][0]['Term'] in ('Yearly', 'Monthly')
    skus = graph(reader, Endpoint='subscribedSkus')[1]['Results']
    assert {sku['skuPartNumber'] for sku in skus} >= {'SPB', 'O365_BUSINESS_PREMIUM', 'O365_BUSINESS_ESSENTIALS', 'EXCHANGESTANDARD'}
    graph_spb = next(sku for sku in skus if sku['skuId'] == SPB)
    assert graph_spb['skuPartNumber'] == 'SPB' and str(graph_spb['consumedUnits']) == premium['CountUsed']
    assert graph_spb['prepaidUnits']['enabled'] == int(premium['TotalLicenses']) and graph_spb['servicePlans']


def test_c3_excluded_free_skus_never_in_list_licenses_but_in_subscribed_skus(reader):
    """Config/ExcludeSkuList.JSON + Core/Get-CIPPLicenseOverview.ps1: an excluded SKU is skipped unless IncludeExcluded AND
    its row has ShowInLicenseDropdown, which no default row has. Graph's subscribedSkus still lists it."""
    for params in ({'tenantFilter': WOOD}, {'tenantFilter': WOOD, 'IncludeExcluded': 'true'}):
        ids = {row['skuId'] for row in reader.call('ListLicenses', params=params)[1]}
        assert E3 in ids and FLOW_FREE not in ids and TEAMS_EXPLORATORY not in ids
    skus = dict((sku['skuPartNumber'], sku) for sku in graph(reader, WOOD, Endpoint='subscribedSkus')[1]['Results'])
    assert skus['FLOW_FREE']['skuId'] == FLOW_FREE and skus['FLOW_FREE']['consumedUnits'] > 0
    holders = [u for u in list_users(reader, WOOD)[1] if any(l['skuId'] == FLOW_FREE for l in u['assignedLicenses'])]
    assert holders and 'Microsoft Power Automate Free' in holders[0]['LicJoined']


# ------------------------------------------------------------------------------------------------ C4, C17

def bec_check(cipp, tenant, user, **extra):
    return cipp.call('ExecBECCheck', params=dict({'tenantFilter': tenant, 'userid': user['id'], 'userName': user['userPrincipalName']},
                                                 **extra))[1]


def test_c4_a_failed_bec_run_returns_results_exception_extracted_at(cipp):
    """Activity/BEC/Push-BECRun.ps1: the outer catch stores {Results: <normalized error>, Exception: Get-CippException,
    ExtractedAt}, which the poll (HTTP/.../Invoke-ExecBECCheck.ps1) returns as it is. Seeded: one Woodgrove user whose
    report is too big for the table row; injectable with POST /_emulator/bec/failure."""
    seeded_id = next(iter(cipp.emu.state.bec_failures))
    seeded = tenant_state(cipp, WOOD).users[seeded_id]
    injected = members_with_mailbox(cipp)[0]
    cipp.control('bec/failure', {'userid': injected['id'], 'message': 'Required license not available for this tenant'})
    for domain, user, message in ((WOOD, seeded, 'One of the values exceeds the maximum allowed size (64KB).'),
                                  (TENANT, injected, 'Required license not available for this tenant')):
        assert bec_check(cipp, domain, user) == {'GUID': user['id']}
        cipp.control('bec/finish', {'userid': user['id']})
        report = cipp.call('ExecBECCheck', params={'GUID': user['id']})[1]
        assert set(report) == {'Results', 'Exception', 'ExtractedAt'} and report['Results'] == message
        assert report['Exception']['NormalizedError'] == message and 'NewRules' not in report


def test_c17_bec_check_rewrites_the_cached_row_only_on_a_first_or_overwrite_call(cipp):
    """HTTP/Identity/Administration/Users/Invoke-ExecBECCheck.ps1: with no cached result (or overwrite=true) the row is
    rewritten to Waiting (the old report is gone) and a run starts; a call with a cached report and no overwrite starts
    nothing and answers {GUID}. The tenant itself is not changed."""
    user = next(u for u in tenant_state(cipp).users.values() if u['_compromised'])
    rules_before = json.dumps(tenant_state(cipp).inbox_rules.get(user['id']), sort_keys=True, default=str)
    assert bec_check(cipp, TENANT, user) == {'GUID': user['id']}
    assert cipp.call('ExecBECCheck', params={'GUID': user['id']})[1] == {'Waiting': True}
    report = cipp.call('ExecBECCheck', params={'GUID': user['id']})[1]
    assert report['NewRules'] and report['ExtractResult'] == 'Successfully extracted logs from auditlog'
    assert bec_check(cipp, TENANT, user) == {'GUID': user['id']}  # cached: nothing is started
    assert cipp.call('ExecBECCheck', params={'GUID': user['id']})[1] == report
    assert bec_check(cipp, TENANT, user, overwrite='true') == {'GUID': user['id']}
    assert cipp.call('ExecBECCheck', params={'GUID': user['id']})[1] == {'Waiting': True}  # the old report was replaced
    assert json.dumps(tenant_state(cipp).inbox_rules.get(user['id']), sort_keys=True, default=str) == rules_before


# ------------------------------------------------------------------------------------------------ C5

def test_c5_a_hash_in_an_unencoded_graph_url_cuts_the_path(cipp):
    """HTTP/.../Invoke-ListUsers.ps1 (users/$UserID and $filter=$GraphFilter pasted into the URL), Core/Set-CIPPResetPassword.ps1,
    Core/Get-CIPPPerUserMFA.ps1, Core/New-CIPPTAP.ps1: `#` starts the URI fragment. Core/Remove-CIPPUserMFA.ps1 encodes
    (EscapeDataString) and says why. ListGraphRequest's $filter goes through a query-string collection that encodes."""
    visitor = guest(cipp)
    upn, cut = visitor['userPrincipalName'], visitor['userPrincipalName'].split('#')[0]
    status, body, ctype = list_users(cipp, UserID=upn)
    assert (status, body) == (500, "Resource '%s' does not exist or one of its queried reference-property objects are not present." % cut)
    assert ctype.startswith('text/plain')
    status, body, _ctype = list_users(cipp, graphFilter="userPrincipalName eq '%s'" % upn)
    assert status == 500 and body.startswith('Invalid filter clause: There is an unterminated string literal')
    assert [u['id'] for u in list_users(cipp, UserID=visitor['id'])[1]] == [visitor['id']]
    found = graph(cipp, Endpoint='users', **{'$filter': "userPrincipalName eq '%s'" % upn})[1]['Results']
    assert [u['id'] for u in found] == [visitor['id']]
    status, body, ctype = graph(cipp, Endpoint='users/%s' % upn)
    assert status == 400 and ctype.startswith('text/plain') and "Resource '%s' does not exist" % cut in body
    status, body, _ctype = cipp.call('ExecResetPass', 'POST', body={'tenantFilter': TENANT, 'ID': upn})
    assert status == 500 and "Resource '%s' does not exist" % cut in body['Results']
    status, body, _ctype = cipp.call('ListPerUserMFA', params={'tenantFilter': TENANT, 'userId': upn})
    assert status == 500 and cut in body[0]
    status, body, _ctype = cipp.call('ExecCreateTAP', 'POST', body={'tenantFilter': TENANT, 'ID': upn})
    assert status == 500 and "Resource '%s' does not exist" % cut in body['Results']
    status, body, _ctype = cipp.call('ExecResetMFA', 'POST', body={'tenantFilter': TENANT, 'ID': upn})
    assert status == 200 and body['Results'] == 'No MFA methods found for user %s' % upn  # encoded: the guest is found


# ------------------------------------------------------------------------------------------------ C6

def test_c6_offboarding_forward_is_internal_only(cipp):
    """Core/Invoke-CIPPOffboardingJob.ps1 passes `Forward = $Options.forward.value` to Core/Set-CIPPForwarding.ps1, which sets
    ForwardingAddress (a recipient in the tenant) and clears ForwardingSMTPAddress: an external address fails that step."""
    leaver, colleague = members_with_mailbox(cipp)[5:7]
    task = offboard(cipp, TENANT, leaver['userPrincipalName'], forward={'value': 'someone@gmail.com'})
    assert task['TaskState'] == 'Completed'
    assert texts(task['Results']) == ['Failed to execute Set-CIPPForwarding : Failed to set forwarding for %s. Error: Couldn\'t find '
                                      'object "someone@gmail.com". Please make sure that it was spelled correctly or specify a '
                                      'different object.' % leaver['userPrincipalName']]
    assert tenant_state(cipp).mailboxes[leaver['id']]['ForwardingSmtpAddress'] in (None, '')
    task = offboard(cipp, TENANT, colleague['userPrincipalName'], forward={'value': leaver['userPrincipalName']})
    assert texts(task['Results'])[0].startswith('Successfully set forwarding for %s to Internal Address' % colleague['userPrincipalName'])


# ------------------------------------------------------------------------------------------------ C7

def test_c7_no_entra_p1_means_null_mfa_registration_even_with_methods(reader):
    """Core/Get-CIPPMFAState.ps1: the userRegistrationDetails report fails without Entra ID P1 and every row gets
    MFARegistration/MFACapable null. The methods themselves are readable through ListGraphRequest in any tenant."""
    rows = reader.call('ListMFAUsers', params={'tenantFilter': WOOD})[1]
    assert rows and all(row['MFARegistration'] is None and row['MFACapable'] is None for row in rows)
    assert all(row['CoveredByCA'] == 'MFA registration not available - licensing required for Conditional Access reporting' for row in rows)
    registered = next(u for u in reader.emu.state.resolve_tenant(WOOD).users.values() if u.get('_mfaMethods'))
    methods = graph(reader, WOOD, Endpoint='users/%s/authentication/methods' % registered['id'])[1]['Results']
    assert len(methods) > 1 and methods[0]['@odata.type'] == '#microsoft.graph.passwordAuthenticationMethod'
    contoso = reader.call('ListMFAUsers', params={'tenantFilter': TENANT})[1]
    assert any(row['MFARegistration'] is True for row in contoso)  # a P1 tenant does have the report


# ------------------------------------------------------------------------------------------------ C8

def test_c8_remove_groups_skips_licence_groups_and_remove_license_handles_them(cipp):
    """Core/Remove-CIPPGroups.ps1 skips groups with assignedLicenses ("Skipping removal ..."); Core/Remove-CIPPLicense.ps1
    (scheduled 5 minutes later by Core/Invoke-CIPPOffboardingJob.ps1) removes the user from licence groups, then the
    direct licences, and reports group-inherited ones as going away when Graph processes the membership change."""
    state = tenant_state(cipp, WOOD)
    group = next(g for g in state.groups.values() if g.get('_assignedLicenses') == [E3])
    leaver = next(u for u in state.users.values() if u['id'] in group['_members'] and FLOW_FREE in u['_directLicenses'])
    upn = leaver['userPrincipalName']
    task = offboard(cipp, WOOD, upn, RemoveGroups=True, RemoveLicenses=True)
    results = texts(task['Results'])
    assert ("Skipping removal of %s from group '%s' because it has assigned licenses. This group will be handled during the "
            "license removal step." % (upn, group['displayName'])) in results
    assert any(line.startswith('Scheduled license removal for %s. Licenses currently assigned that will be removed:' % upn) for line in results)
    left = [g['displayName'] for g in graph(cipp, WOOD, Endpoint='users/%s/memberOf' % leaver['id'])[1]['Results']
            if g['@odata.type'] == '#microsoft.graph.group']
    assert group['displayName'] in left and set(left) <= {group['displayName'], 'All Staff'}  # All Staff is dynamic: refused
    run_scheduler(cipp, advance=301)
    removal = task_named(cipp, 'Remove License: %s' % upn)
    assert removal['TaskState'] == 'Completed'
    assert texts(removal['Results']) == [
        'Removed %s from license group %s' % (leaver['displayName'], group['displayName']),
        'Removed directly assigned licenses for %s: Microsoft Power Automate Free. Group-inherited licenses (Office 365 E3) will be '
        'removed automatically when group membership changes are processed.' % upn]
    assert group['displayName'] not in [g['displayName'] for g in graph(cipp, WOOD, Endpoint='users/%s/memberOf' % leaver['id'])[1]['Results']]
    assert licences(cipp, leaver['id'], WOOD) == []


# ------------------------------------------------------------------------------------------------ C9, C10

def test_c9_unknown_tenant_answers_success_or_empty_and_nothing_happens(cipp):
    """Core/GraphHelper/New-GraphGetRequest.ps1, New-GraphPOSTRequest.ps1, New-GraphBulkRequest.ps1, New-ExoRequest.ps1 only
    Write-Error (Get-AuthorisedRequestError) on the deny path; HTTP/.../Invoke-AddUser.ps1 and the others do not catch it.
    HTTP/CIPP/Core/Invoke-ListGraphRequest.ps1 calls with -ErrorAction Stop: 400 Graph Error."""
    stranger = 'stranger.example'
    before = sum(len(t.users) for t in cipp.emu.state.tenants.values())
    status, body, _ctype = cipp.call('AddUser', 'POST', body={'tenantFilter': stranger, 'username': 'ghost', 'Domain': TENANT,
                                                              'displayName': 'Ghost', 'licenses': [{'value': SPB}]})
    assert status == 200 and body['Results'][:2] == ['Created New User.', {'resultText': 'Username: ghost@contoso.com',
                                                                           'copyField': 'ghost@contoso.com', 'state': 'success'}]
    assert sum(len(t.users) for t in cipp.emu.state.tenants.values()) == before
    assert list_users(cipp, stranger) == (200, [], 'application/json; charset=utf-8')
    assert cipp.call('ListDomains', params={'tenantFilter': stranger})[1] == []
    assert cipp.call('ListLicenses', params={'tenantFilter': stranger})[1] == []
    target = members_with_mailbox(cipp)[0]
    status, body, _ctype = cipp.call('ExecResetPass', 'POST', body={'tenantFilter': stranger, 'ID': target['id']})
    assert status == 200 and body['Results']['resultText'].startswith('Successfully reset the password for')
    assert cipp.call('ExecResetMFA', 'POST', body={'tenantFilter': stranger, 'ID': target['id']})[1] == {
        'Results': 'No MFA methods found for user %s' % target['id']}
    status, body, ctype = graph(cipp, stranger, Endpoint='users')
    assert status == 400 and ctype.startswith('text/plain') and body.startswith('Graph Error: ')
    assert body.endswith("Graph request denied for '%s': the tenant is not in CIPP's tenant list. - Endpoint: users" % stranger)


def test_c10_no_tenant_is_the_partner_tenant_and_blank_is_unknown(cipp):
    """Core/GraphHelper/Get-GraphToken.ps1 and Get-AuthorisedRequest.ps1 fall back to $env:TenantID without a tenant;
    in the default tenant mode (HTTP/CIPP/Settings/Invoke-ExecPartnerMode.ps1) the partner tenant is not in the list,
    so the call is denied quietly like any unknown tenant. A tenant of spaces counts as set and is unknown."""
    assert cipp.call('ListUsers')[:2] == (200, [])
    status, body, _ctype = cipp.call('ListGraphRequest', params={'Endpoint': 'users'})
    assert status == 400 and "Graph request denied for '%s'" % PARTNER in body
    status, body, _ctype = graph(cipp, '  ', Endpoint='users')
    assert status == 400 and "Graph request denied for '  '" in body
    assert list_users(cipp, '  ')[:2] == (200, [])
    status, body, _ctype = cipp.call('AddUser', 'POST', body={'tenantFilter': '  ', 'username': 'blank', 'Domain': TENANT,
                                                              'displayName': 'Blank'})
    assert status == 200 and body['Results'][0] == 'Created New User.' and tenant_state(cipp).find_user('blank@contoso.com') is None
    status, body, _ctype = cipp.call('AddUser', 'POST', body={'username': 'none', 'Domain': TENANT, 'displayName': 'None'})
    assert status == 400 and body['Results']['resultText'] == 'tenantFilter is required to create a user.'


# ------------------------------------------------------------------------------------------------ C11

def test_c11_edit_user_resets_mail_nickname_and_force_change_on_every_edit(cipp):
    """Core/Set-CIPPUser.ps1: the PATCH body always has mailNickname = username and passwordProfile.forceChangePasswordNextSignIn
    = [bool]MustChangePass ([bool]'false' is $true)."""
    tom = tenant_state(cipp, WOOD).find_user('tom.baker@%s' % WOOD)
    assert tom['mailNickname'] == 'tbaker'
    tom['_forceChangePassword'] = True
    body = {'tenantFilter': WOOD, 'id': tom['id'], 'username': 'tom.baker', 'Domain': WOOD, 'displayName': 'Tom Baker',
            'jobTitle': 'Head Baker'}
    assert cipp.call('EditUser', 'POST', body=body)[1] == {'Results': ['Success. The user has been edited.']}
    row = graph(cipp, WOOD, Endpoint='users/%s' % tom['id'], **{'$select': 'mailNickname,passwordProfile'})[1]['Results'][0]
    assert row['mailNickname'] == 'tom.baker' and row['passwordProfile']['forceChangePasswordNextSignIn'] is False
    cipp.call('EditUser', 'POST', body=dict(body, MustChangePass='false'))
    row = graph(cipp, WOOD, Endpoint='users/%s' % tom['id'], **{'$select': 'passwordProfile'})[1]['Results'][0]
    assert row['passwordProfile']['forceChangePasswordNextSignIn'] is True


# ------------------------------------------------------------------------------------------------ C12

def test_c12_add_user_exchange_group_failures_become_a_scheduled_retry(cipp):
    """Core/New-CIPPUserTask.ps1 + Core/Add-CIPPGroupMember.ps1: a distribution list or mail-enabled security group (or an
    untyped group) that fails right after creation gets a retry task 15 minutes later and the retry text; other failures
    read `Failed to add to group {label}: {Add-CIPPGroupMember's text}`."""
    groups = dict((g['displayName'], g) for g in tenant_state(cipp).groups.values())
    add = [{'value': groups['Office Announcements']['id'], 'label': 'Office Announcements', 'addedFields': {'groupType': 'Distribution List'}},
           {'value': groups['Mail Admins']['id'], 'label': 'Mail Admins'},
           {'value': groups['Finance']['id'], 'label': 'Finance', 'addedFields': {'groupType': 'Security'}},
           {'value': groups['All Staff']['id'], 'label': 'All Staff', 'addedFields': {'groupType': 'Security'}}]
    status, body, _ctype = cipp.call('AddUser', 'POST', body={'tenantFilter': TENANT, 'username': 'new.baker', 'Domain': TENANT,
                                                              'displayName': 'New Baker', 'AddToGroups': add})
    upn = 'new.baker@contoso.com'
    assert status == 200 and body['Results'][3:] == [
        'Could not add %s to Office Announcements yet (Exchange replication delay). A retry has been scheduled in 15 minutes.' % upn,
        'Could not add %s to Mail Admins yet (Exchange replication delay). A retry has been scheduled in 15 minutes.' % upn,
        'Successfully added user %s to group Finance.' % upn,
        'Failed to add to group All Staff: Failed to add user %s to group All Staff - Failed to add %s (Insufficient privileges to '
        'complete the operation.).' % (upn, upn)]
    user_id = body['User']['id']
    assert user_id not in groups['Office Announcements']['_members']
    retry = task_named(cipp, 'Retry Add Group Member: %s -> Office Announcements' % upn)
    assert retry['Command'] == 'Add-CIPPGroupMember' and retry['TaskState'] == 'Planned'
    run_scheduler(cipp, advance=901)
    assert task_named(cipp, retry['Name'])['TaskState'] == 'Completed'
    assert user_id in groups['Office Announcements']['_members'] and user_id in groups['Mail Admins']['_members']


# ------------------------------------------------------------------------------------------------ C13

def test_c13_list_user_groups_is_one_page_list_graph_request_pages_through(reader):
    """HTTP/Identity/Administration/Users/Invoke-ListUserGroups.ps1 calls with -noPagination $true: Graph's first page (100).
    ListGraphRequest (Core/GraphRequests/Get-GraphRequestList.ps1) follows every nextLink unless NoPagination/manualPagination."""
    lena = reader.emu.state.resolve_tenant(WOOD).find_user('lena.vogel@%s' % WOOD)
    assert len(reader.call('ListUserGroups', params={'tenantFilter': WOOD, 'userId': lena['id']})[1]) == 100
    every = graph(reader, WOOD, Endpoint='users/%s/memberOf' % lena['id'])[1]
    assert len(every['Results']) == 121 and 'nextLink' not in every['Metadata']
    page = graph(reader, WOOD, Endpoint='users/%s/memberOf' % lena['id'], NoPagination='true')[1]
    assert len(page['Results']) == 100 and page['Metadata']['nextLink'].startswith('https://graph.microsoft.com/beta/users/')


# ------------------------------------------------------------------------------------------------ C14

def test_c14_out_of_office_audience_time_format_and_html(cipp):
    """Core/Set-CIPPOutOfoffice.ps1 sends ExternalAudience 'None' unless ExternalMessage is bound ('All' then);
    HTTP/Email-Exchange/Administration/Invoke-ExecSetOoO.ps1 binds a message only when it is not blank; Core/Get-CIPPOutOfOffice.ps1
    (ListOoO) returns times as 'yyyy-MM-dd HH:mm' and no ExternalAudience. Messages are kept as posted."""
    user = members_with_mailbox(cipp)[1]
    mailbox = tenant_state(cipp).mailboxes[user['id']]
    html = '<p>Back on <b>Monday</b></p>'
    cipp.call('ExecSetOoO', 'POST', body={'tenantFilter': TENANT, 'userId': user['userPrincipalName'], 'AutoReplyState': 'Enabled',
                                          'InternalMessage': html, 'ExternalMessage': ' '})
    assert mailbox['ExternalAudience'] == 'None'
    cipp.call('ExecSetOoO', 'POST', body={'tenantFilter': TENANT, 'userId': user['userPrincipalName'], 'AutoReplyState': 'Scheduled',
                                          'ExternalMessage': html, 'StartTime': 1893456000, 'EndTime': 1893542400})
    assert mailbox['ExternalAudience'] == 'All'
    shown = cipp.call('ListOoO', params={'tenantFilter': TENANT, 'userid': user['userPrincipalName']})[1]
    assert (shown['StartTime'], shown['EndTime']) == ('2030-01-01 00:00', '2030-01-02 00:00')
    assert shown['InternalMessage'] == html and shown['ExternalMessage'] == html and 'ExternalAudience' not in shown


# ------------------------------------------------------------------------------------------------ C15

def test_c15_forwarding_address_is_the_raw_identity_when_unresolvable(reader):
    """HTTP/Identity/Administration/Users/Invoke-ListUserMailboxDetails.ps1: a ForwardingAddress without '@' is matched
    to a user (id or mailNickname), then to a contact (displayName / mailNickname); otherwise the raw EXO identity."""
    state = reader.emu.state.resolve_tenant(WOOD)
    by_forward = dict((m.get('ForwardingAddress'), uid) for uid, m in state.mailboxes.items())
    to_group, to_contact = by_forward['Office Announcements'], by_forward['Woodgrove Accountants']
    details = reader.call('ListUserMailboxDetails', params={'tenantFilter': WOOD, 'UserID': to_group})[1][0]
    assert details['ForwardingAddress'] == 'Office Announcements' and details['ForwardAndDeliver'] is True
    details = reader.call('ListUserMailboxDetails', params={'tenantFilter': WOOD, 'UserID': to_contact})[1][0]
    assert details['ForwardingAddress'] == 'books@woodgrove-accountants.example'


# ------------------------------------------------------------------------------------------------ C16

def test_c16_list_domains_lists_unverified_domains_without_saying_so(cipp):
    """HTTP/Tenant/Administration/Domains/Invoke-ListDomains.ps1: beta/domains | Select-Object id, isdefault, isinitial;
    an unverified domain is there, AddUser with it fails as Graph does; ListGraphRequest `domains` has isVerified."""
    rows = cipp.call('ListDomains', params={'tenantFilter': WOOD})[1]
    assert all(set(row) == {'id', 'isDefault', 'isInitial'} for row in rows) and rows[0]['isDefault'] is True
    assert 'woodgrovebakery.co.uk' in [row['id'] for row in rows]
    verified = dict((d['id'], d['isVerified']) for d in graph(cipp, WOOD, Endpoint='domains')[1]['Results'])
    assert verified['woodgrovebakery.co.uk'] is False and verified[WOOD] is True
    status, body, _ctype = cipp.call('AddUser', 'POST', body={'tenantFilter': WOOD, 'username': 'x', 'Domain': 'woodgrovebakery.co.uk',
                                                              'displayName': 'X'})
    assert (status, body) == (500, {'Results': ['Failed to create user. Error:The domain portion of the userPrincipalName property is '
                                                'invalid. You must use one of the verified domain names in your organization.']})


# ------------------------------------------------------------------------------------------------ C18

def test_c18_list_graph_request_role_errors_and_single_objects(cipp):
    """HTTP/CIPP/Core/Invoke-ListGraphRequest.ps1: .ROLE CIPP.Core.Read (Core/Authentication/Test-CIPPAccess.ps1 matches a
    custom role's permissions with -match); errors are 400 text/plain `Graph Error: {message} - Endpoint: {endpoint}`;
    a single-object endpoint comes back as a one-element Results list with Tenant and CippStatus."""
    cipp.control('custom-roles', {'name': 'helpdesk', 'permissions': ['Identity.User.ReadWrite']})
    cipp.control('clients', {'appId': '0c1e0000-0000-4000-8000-0000000000c1', 'secret': 'helpdesk-secret', 'role': 'helpdesk'})
    answer = requests.post(cipp.emu.token_url, data={'grant_type': 'client_credentials', 'client_id': '0c1e0000-0000-4000-8000-0000000000c1',
                                                     'client_secret': 'helpdesk-secret',
                                                     'scope': 'api://0c1e0000-0000-4000-8000-0000000000c1/.default'}, timeout=10)
    helpdesk = Client.__new__(Client)
    helpdesk.emu, helpdesk.headers = cipp.emu, {'Authorization': 'Bearer ' + answer.json()['access_token']}
    assert helpdesk.call('ListUsers', params={'tenantFilter': TENANT})[0] == 200  # ReadWrite -match Read
    status, body, ctype = graph(helpdesk, Endpoint='users')
    assert (status, body) == (403, 'Access to this CIPP API endpoint is not allowed, you do not have the required permission: CIPP.Core.Read')
    assert ctype.startswith('text/plain')
    status, body, ctype = graph(cipp, Endpoint='users', **{'$select': 'id,shoeSize'})
    assert status == 400 and ctype.startswith('text/plain')
    assert body.startswith('Graph Error: ') and body.endswith("Could not find a property named 'shoeSize' on type "
                                                              "'Microsoft.DirectoryServices.User'. - Endpoint: users")
    someone = members_with_mailbox(cipp)[0]
    single = graph(cipp, Endpoint='users/%s' % someone['id'], **{'$select': 'id,displayName,aboutMe'})[1]
    assert single['Results'] == [{'id': someone['id'], 'displayName': someone['displayName'], 'aboutMe': None,
                                  'Tenant': TENANT, 'CippStatus': 'Good'}]
    assert single['Metadata']['Parameters'] == {'$select': 'id,displayName,aboutMe'}


# ------------------------------------------------------------------------------------------------ C19

def test_c19_one_step_offboarding_is_one_object_and_failed_add_user_task_is_completed(cipp):
    """Activity/Push-CIPPOffboardingComplete.ps1: one result is one hashtable, stored as {"Results": "..."}; several are an
    array. Activity/Push-ExecScheduledCommand.ps1: a command that throws is stored as `Task Failed: ...` and the one-off task
    is Completed (New-CIPPUserTask throws a hashtable, whose message is its type name)."""
    leaver = members_with_mailbox(cipp)[2]
    task = offboard(cipp, TENANT, leaver['userPrincipalName'], RevokeSessions=True)
    assert json.loads(task['Results']) == {'Results': 'Successfully revoked sessions for %s' % leaver['userPrincipalName']}
    second = members_with_mailbox(cipp)[3]
    task = offboard(cipp, TENANT, second['userPrincipalName'], RevokeSessions=True, DisableSignIn=True)
    assert isinstance(json.loads(task['Results']), list) and len(json.loads(task['Results'])) == 2
    existing = members_with_mailbox(cipp)[4]
    body = {'tenantFilter': TENANT, 'username': existing['userPrincipalName'].split('@')[0], 'PrimDomain': {'value': TENANT},
            'displayName': 'Duplicate', 'Scheduled': {'Enabled': True, 'date': int(cipp.emu.state.now()) - 60}}
    assert cipp.call('AddUser', 'POST', body=body)[0] == 200
    run_scheduler(cipp)
    task = task_named(cipp, 'New user creation: %s' % existing['userPrincipalName'])
    assert task['TaskState'] == 'Completed' and json.loads(task['Results']) == {'Results': 'Task Failed: System.Collections.Hashtable'}


# ------------------------------------------------------------------------------------------------ ListGraphRequest objects

def test_graph_authentication_methods_follow_the_mfa_writes(cipp):
    """Graph's users/{id}/authentication/methods, read by Core/Remove-CIPPUserMFA.ps1 (which HTTP/.../Invoke-ExecResetMFA.ps1
    calls, with MethodId for a single method): the password method (fixed id) is always there and never removed; a TAP
    made by ExecCreateTAP shows up (without the pass itself); ExecResetMFA with MethodId removes only that method."""
    user = next(u for u in tenant_state(cipp, WOOD).users.values()
                if any(m['@odata.type'].endswith('fido2AuthenticationMethod') for m in u.get('_mfaMethods') or []))
    methods = graph(cipp, WOOD, Endpoint='users/%s/authentication/methods' % user['id'])[1]['Results']
    kinds = [m['@odata.type'].split('.')[-1] for m in methods]
    assert kinds[0] == 'passwordAuthenticationMethod' and methods[0]['id'] == PASSWORD_METHOD_ID
    assert {'fido2AuthenticationMethod', 'emailAuthenticationMethod', 'softwareOathAuthenticationMethod'} <= set(kinds)
    authenticator = next(m for m in methods if m['@odata.type'].endswith('fido2AuthenticationMethod'))
    someone = next(u for u in tenant_state(cipp, WOOD).users.values() if u.get('_mfaMethods') and
                   u['_mfaMethods'][0]['@odata.type'].endswith('microsoftAuthenticatorAuthenticationMethod'))
    app = graph(cipp, WOOD, Endpoint='users/%s/authentication/methods' % someone['id'])[1]['Results'][1]
    assert {'displayName', 'deviceTag', 'phoneAppVersion', 'createdDateTime'} <= set(app) and '_owner' not in str(app)
    status, body, _ctype = cipp.call('ExecCreateTAP', 'POST', body={'tenantFilter': WOOD, 'ID': user['id']})
    assert status == 200
    tap = next(m for m in graph(cipp, WOOD, Endpoint='users/%s/authentication/methods' % user['id'])[1]['Results']
               if m['@odata.type'] == '#microsoft.graph.temporaryAccessPassAuthenticationMethod')
    assert tap['isUsable'] is True and tap['methodUsabilityReason'] == 'EnabledByPolicy' and tap['temporaryAccessPass'] is None
    assert tap['lifetimeInMinutes'] == 60 and tap['isUsableOnce'] is False and tap['startDateTime']
    answer = cipp.call('ExecResetMFA', 'POST', body={'tenantFilter': WOOD, 'ID': user['userPrincipalName'], 'MethodId': authenticator['id']})[1]
    assert answer == {'Results': 'Successfully removed MFA method (fido2Method) for user %s' % user['userPrincipalName']}
    left = [m['id'] for m in graph(cipp, WOOD, Endpoint='users/%s/authentication/methods' % user['id'])[1]['Results']]
    assert authenticator['id'] not in left and PASSWORD_METHOD_ID in left and tap['id'] in left
    cipp.call('ExecResetMFA', 'POST', body={'tenantFilter': WOOD, 'ID': user['userPrincipalName']})
    assert [m['id'] for m in graph(cipp, WOOD, Endpoint='users/%s/authentication/methods' % user['id'])[1]['Results']] == [PASSWORD_METHOD_ID]


def test_graph_member_of_has_groups_and_directory_roles_and_select_is_per_type(reader):
    """Graph's users/{id}/memberOf holds groups and directory roles; `$select` is checked against what Graph knows about
    the type (a known property no object carries is null, not an error)."""
    admin = next(u for u in reader.emu.state.resolve_tenant(TENANT).users.values() if u['_isAdmin'] and 'breakglass' in u['userPrincipalName'])
    rows = graph(reader, Endpoint='users/%s/memberOf' % admin['id'])[1]['Results']
    role = next(r for r in rows if r['@odata.type'] == '#microsoft.graph.directoryRole')
    assert role['displayName'] == 'Global Administrator' and role['roleTemplateId'] == GLOBAL_ADMIN
    group = next(r for r in rows if r['@odata.type'] == '#microsoft.graph.group')
    assert {'id', 'displayName', 'mail', 'mailEnabled', 'securityEnabled', 'groupTypes', 'onPremisesSyncEnabled', 'membershipRule',
            'assignedLicenses'} <= set(group)
    picked = graph(reader, Endpoint='users/%s/memberOf' % admin['id'], **{'$select': 'id,displayName,roleTemplateId,mailEnabled'})[1]['Results']
    assert all(set(r) == {'id', 'displayName', 'roleTemplateId', 'mailEnabled', '@odata.type', 'Tenant', 'CippStatus'} for r in picked)
    assert next(r for r in picked if r['@odata.type'].endswith('group'))['roleTemplateId'] is None
    status, body, _ctype = graph(reader, Endpoint='users/%s/memberOf' % admin['id'], **{'$select': 'id,shoeSize'})
    assert status == 400 and "type 'Microsoft.DirectoryServices.DirectoryObject'" in body
    groups_only = graph(reader, Endpoint='users/%s/memberOf/microsoft.graph.group' % admin['id'])[1]['Results']
    assert groups_only and all(r['@odata.type'] == '#microsoft.graph.group' for r in groups_only)
    status, body, _ctype = graph(reader, Endpoint='subscribedSkus', **{'$select': 'skuId,skuPartNumber,shoe'})
    assert status == 400 and "type 'Microsoft.DirectoryServices.SubscribedSku'" in body


# ------------------------------------------------------------------------------------------------ eventual consistency

def test_eventual_consistency_knob_hides_new_users_and_shows_old_state(cipp):
    """Opt-in (POST /_emulator/consistency): for N reads a created user is absent and an edited user shows its old state,
    as Graph's replicas lag; default off."""
    body = {'tenantFilter': TENANT, 'username': 'lagging', 'Domain': TENANT, 'displayName': 'Lagging'}
    assert cipp.call('AddUser', 'POST', body=body)[0] == 200
    assert list_users(cipp, graphFilter="userPrincipalName eq 'lagging@contoso.com'")[1]  # off by default: visible at once
    assert cipp.control('consistency', {'reads': 2}) == {'reads': 2, 'seconds': 0.0, 'lagging': {}}
    assert cipp.call('AddUser', 'POST', body=dict(body, username='late', displayName='Late'))[0] == 200
    late = tenant_state(cipp).find_user('late@contoso.com')
    assert graph(cipp, Endpoint='users/%s' % late['id'])[0] == 400  # read 1: not there yet
    assert not list_users(cipp, graphFilter="userPrincipalName eq 'late@contoso.com'")[1]  # read 2
    assert list_users(cipp, UserID=late['id'])[1][0]['id'] == late['id']  # read 3: replicated
    edit = {'tenantFilter': TENANT, 'id': late['id'], 'username': 'late', 'Domain': TENANT, 'displayName': 'Late', 'jobTitle': 'Baker'}
    assert cipp.call('EditUser', 'POST', body=edit)[1] == {'Results': ['Success. The user has been edited.']}
    assert list_users(cipp, UserID=late['id'])[1][0]['jobTitle'] is None  # the old state
    assert graph(cipp, Endpoint='users/%s' % late['id'], **{'$select': 'jobTitle'})[1]['Results'][0]['jobTitle'] is None
    assert list_users(cipp, UserID=late['id'])[1][0]['jobTitle'] == 'Baker'
    cipp.control('consistency', {'seconds': 30})
    cipp.call('EditUser', 'POST', body=dict(edit, jobTitle='Head Baker'))
    assert list_users(cipp, UserID=late['id'])[1][0]['jobTitle'] == 'Baker'
    cipp.control('clock', {'advance': 31})
    assert list_users(cipp, UserID=late['id'])[1][0]['jobTitle'] == 'Head Baker'
    assert requests.delete('%s/_emulator/consistency' % cipp.emu.url, timeout=10).json() == {'reads': 0, 'seconds': 0.0, 'lagging': {}}
