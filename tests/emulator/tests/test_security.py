"""Contract tests for the emulator's MFA, password, session and BEC endpoints (CONTRACT.md 5.8, 5.9, 5.20-5.27, 8)."""

import pytest

from conftest import Client, token_for


@pytest.fixture
def api(cipp):
    """The conftest's editor client on a freshly reset default estate."""
    return cipp


def advance(api, seconds):
    """Move the emulator's clock; tokens expire with it, so the client gets a fresh one."""
    api.control('clock', {'advance': seconds})
    api.headers = {'Authorization': 'Bearer ' + token_for(api.emu)}


def tenants(api):
    return list(api.emu.state.tenants.values())


@pytest.fixture
def tenant(api):
    return tenants(api)[0]


@pytest.fixture
def ca_tenant(api):
    return next(t for t in tenants(api) if t.ca_policies)


def domain(tenant_state):
    return tenant_state.row['defaultDomainName']


def victim(tenant_state):
    return next(u for u in tenant_state.users.values() if u.get('_compromised'))


def member(tenant_state, predicate=lambda u: True):
    for user in tenant_state.users.values():
        if user['userType'] == 'Member' and user.get('assignedLicenses') and not user.get('_compromised') \
                and not user.get('onPremisesSyncEnabled') and predicate(user):
            return user
    raise AssertionError('no such user in the seed')


def with_push(user):
    return any(m['@odata.type'].endswith('microsoftAuthenticatorAuthenticationMethod') for m in user.get('_mfaMethods') or [])


def synced(tenant_state):
    return next(u for u in tenant_state.users.values() if u.get('onPremisesSyncEnabled'))


# ------------------------------------------------------------------ ListMFAUsers / ListPerUserMFA

def test_mfa_users_three_state_registration(api, tenant):
    status, rows, _unused = api.call('ListMFAUsers', params={'tenantFilter': domain(tenant)})
    assert status == 200 and len(rows) == len(tenant.users)
    by_id = {r['ID']: r for r in rows}
    registered = member(tenant, with_push)
    unregistered = member(tenant, lambda u: u.get('_mfaMethods') == [])
    unlicensed = next(u for u in tenant.users.values() if not u.get('assignedLicenses'))
    assert by_id[registered['id']]['MFARegistration'] is True and 'microsoftAuthenticatorPush' in by_id[registered['id']]['MFAMethods']
    assert by_id[unregistered['id']]['MFARegistration'] is False and by_id[unregistered['id']]['MFAMethods'] == []
    assert by_id[unlicensed['id']]['MFARegistration'] is None and by_id[unlicensed['id']]['MFACapable'] is None
    assert by_id[unlicensed['id']]['isLicensed'] is False
    for row in rows:
        assert row['PerUser'] in ('disabled', 'enabled', 'enforced') and row['PartitionKey'] == 'users'
        assert row['CoveredBySD'] is tenant.security_defaults and row['Tenant'] == domain(tenant)
        assert row['RowKey'] == row['UPN'].replace('#', '')
    admins = {u['id'] for u in tenant.users.values() if u.get('_isAdmin')}
    assert {r['ID'] for r in rows if r['IsAdmin']} == admins


def test_mfa_users_conditional_access_coverage(api, ca_tenant):
    _unused, rows, _unused = api.call('ListMFAUsers', params={'tenantFilter': domain(ca_tenant)})
    all_users = next(p for p in ca_tenant.ca_policies if p['includeUsers'] == ['All'] and p['state'] == 'enabled')
    breakglass = all_users['excludeUsers'][0]
    by_id = {r['ID']: r for r in rows}
    assert by_id[breakglass]['CoveredByCA'] == 'Enforced - Specific Apps'  # only the admin-portals policy applies
    excluded = next(p for p in by_id[breakglass]['CAPolicies'] if p['DisplayName'] == all_users['displayName'])
    assert excluded['UserIncluded'] is False and excluded['AllApps'] is True
    others = [r for r in rows if r['ID'] != breakglass]
    assert others and all(r['CoveredByCA'] == 'Enforced - All Apps' for r in others)
    # Report-only policies are not read (CIPP filters state eq 'enabled').
    assert all(p['PolicyState'] == 'enabled' for r in rows for p in r['CAPolicies'])


def test_mfa_users_unknown_tenant_is_403(api):
    status, body, _unused = api.call('ListMFAUsers', params={'tenantFilter': 'nosuch.example'})
    assert status == 403 and isinstance(body, list) and len(body) == 1


def test_mfa_users_all_tenants_loads_then_serves_cache(api):
    status, first, _unused = api.call('ListMFAUsers', params={'tenantFilter': 'AllTenants'})
    assert status == 200 and first == [{'UPN': 'Loading data for all tenants. Please check back in a few minutes'}]
    _unused, second, _unused = api.call('ListMFAUsers', params={'tenantFilter': 'AllTenants'})
    assert len(second) == sum(len(t.users) for t in tenants(api))
    assert {r['Tenant'] for r in second} == {domain(t) for t in tenants(api)}
    advance(api, 2 * 3600 + 60)
    _unused, third, _unused = api.call('ListMFAUsers', params={'tenantFilter': 'AllTenants'})
    assert third == first


def test_mfa_users_report_db_all_tenants(api):
    status, rows, _unused = api.call('ListMFAUsers', params={'tenantFilter': 'AllTenants', 'UseReportDB': 'true'})
    assert status == 200 and len(rows) == sum(len(t.users) for t in tenants(api))
    assert all('CacheTimestamp' in r for r in rows)


def test_per_user_mfa_views(api, tenant):
    user = member(tenant)
    status, rows, _unused = api.call('ListPerUserMFA', params={'tenantFilter': domain(tenant), 'userId': user['userPrincipalName']})
    assert status == 200 and rows == [{'PerUserMFAState': user['_perUserMfa'], 'UserPrincipalName': user['userPrincipalName']}]
    _unused, rows, _unused = api.call('ListPerUserMFA', params={'tenantFilter': domain(tenant), 'allUsers': 'true'})
    assert len(rows) == len(tenant.users) and set(rows[0]) == {'userPrincipalName', 'id', 'perUserMfaState'}
    # Without userId the Graph call lists everyone: one row whose state is an array (the captured shape).
    _unused, rows, _unused = api.call('ListPerUserMFA', params={'tenantFilter': domain(tenant), 'allUsers': 'nope'})
    assert len(rows) == 1 and rows[0]['UserPrincipalName'] is None and len(rows[0]['PerUserMFAState']) == len(tenant.users)
    status, body, _unused = api.call('ListPerUserMFA', params={'tenantFilter': domain(tenant), 'userId': 'ghost@x.example'})
    assert status == 500
    assert body[0].startswith('Failed to get MFA State for ghost@x.example : Failed to get MFA State for ghost@x.example : ')


def test_exec_per_user_mfa(api, tenant):
    user = member(tenant, lambda u: u['_perUserMfa'] != 'enforced')
    body = {'tenantFilter': domain(tenant), 'userPrincipalName': user['userPrincipalName'], 'userId': user['id'],
            'State': {'value': 'Enforced', 'label': 'Enforced'}}
    status, answer, _unused = api.call('ExecPerUserMFA', 'POST', body=body)
    assert status == 200 and answer == {'Results': ['Successfully set Per user MFA State for %s' % user['userPrincipalName']]}
    _unused, rows, _unused = api.call('ListPerUserMFA', params={'tenantFilter': domain(tenant), 'userId': user['id']})
    assert rows[0]['PerUserMFAState'] == 'enforced'
    status, answer, _unused = api.call('ExecPerUserMFA', 'POST', body=dict(body, State='sometimes'))
    assert status == 500 and answer['Results'][0].startswith("Cannot validate argument on parameter 'State'")
    # The Graph batch result is never checked: an unknown user still "succeeds".
    status, answer, _unused = api.call('ExecPerUserMFA', 'POST', body=dict(body, userPrincipalName='ghost@x.example', State='disabled'))
    assert status == 200 and answer['Results'] == ['Successfully set Per user MFA State for ghost@x.example']


def test_exec_per_user_mfa_guest_uses_user_id(api, tenant):
    guest = next(u for u in tenant.users.values() if u['userType'] == 'Guest')
    _unused, answer, _unused = api.call('ExecPerUserMFA', 'POST', body={'tenantFilter': domain(tenant), 'userPrincipalName': guest['userPrincipalName'],
                                                                        'userId': guest['id'], 'State': 'enabled'})
    assert answer == {'Results': ['Successfully set Per user MFA State for %s' % guest['id']]}
    assert guest['_perUserMfa'] == 'enabled'


# ------------------------------------------------------------------ MFA methods, push, TAP

def test_reset_mfa_all_then_nothing_left(api, tenant):
    user = member(tenant, lambda u: len(u.get('_mfaMethods') or []) >= 2)
    upn = user['userPrincipalName']
    status, answer, _unused = api.call('ExecResetMFA', 'POST', body={'tenantFilter': domain(tenant), 'ID': upn})
    assert status == 200
    assert answer['Results'].startswith('Successfully removed MFA methods (microsoftAuthenticatorMethod, phoneMethod')
    assert answer['Results'].endswith('for user %s. User must supply MFA at next logon' % upn)
    assert user['_mfaMethods'] == []
    _unused, answer, _unused = api.call('ExecResetMFA', 'POST', body={'tenantFilter': domain(tenant), 'ID': upn})
    assert answer == {'Results': 'No MFA methods found for user %s' % upn}


def test_reset_mfa_single_method_and_errors(api, tenant):
    user = member(tenant, lambda u: len(u.get('_mfaMethods') or []) >= 2)
    phone = next(m for m in user['_mfaMethods'] if m['@odata.type'].endswith('phoneAuthenticationMethod'))
    body = {'tenantFilter': domain(tenant), 'ID': user['userPrincipalName'], 'MethodId': phone['id']}
    _unused, answer, _unused = api.call('ExecResetMFA', 'POST', body=body)
    assert answer == {'Results': 'Successfully removed MFA method (phoneMethod) for user %s' % user['userPrincipalName']}
    assert len(user['_mfaMethods']) >= 1 and phone not in user['_mfaMethods']
    _unused, answer, _unused = api.call('ExecResetMFA', 'POST', body=body)
    assert answer['Results'] == 'No removable MFA method with id %s found for user %s' % (phone['id'], user['userPrincipalName'])
    status, answer, _unused = api.call('ExecResetMFA', 'POST', body={'tenantFilter': domain(tenant), 'ID': 'ghost@x.example'})
    assert status == 500 and answer['Results'].startswith('Failed to get MFA methods for user ghost@x.example. Error: ')
    # Body only: a query-string request has no ID.
    status, answer, _unused = api.call('ExecResetMFA', 'POST', params={'tenantFilter': domain(tenant), 'ID': user['userPrincipalName']})
    assert status == 500 and "parameter 'UserPrincipalName'" in answer['Results']


def test_send_push(api, tenant):
    reader = Client(api.emu, 'readonly')  # Identity.User.Read is enough for this one
    pushable = member(tenant, with_push)
    status, answer, _unused = reader.call('ExecSendPush', 'POST', body={'TenantFilter': domain(tenant), 'UserEmail': pushable['userPrincipalName']})
    assert status == 200 and answer['Results']['state'] == 'success'
    assert answer['Results']['resultText'].startswith('Received an MFA confirmation: ')
    unregistered = member(tenant, lambda u: u.get('_mfaMethods') == [])
    status, answer, _unused = reader.call('ExecSendPush', 'POST', body={'TenantFilter': domain(tenant), 'UserEmail': unregistered['userPrincipalName']})
    assert status == 200 and answer['Results']['state'] == 'error'
    assert answer['Results']['resultText'].startswith('Authentication Failed! Does the user have Push/Phone call MFA configured? ErrorCode: ')


def test_create_tap_once_then_refused(api, tenant):
    user = member(tenant)
    status, answer, _unused = api.call('ExecCreateTAP', 'POST', params={'tenantFilter': domain(tenant), 'ID': user['userPrincipalName'],
                                                                        'isUsableOnce': 'true', 'lifetimeInMinutes': '120'})
    assert status == 200
    tap, info = answer['Results']
    assert tap['state'] == 'success' and tap['copyField'] == tap['temporaryAccessPass'] and tap['lifetimeInMinutes'] == 120
    assert tap['resultText'] == ('The TAP for %s is %s - This TAP is usable for the next 120 minutes (one-time use only)'
                                 % (user['userPrincipalName'], tap['temporaryAccessPass']))
    assert info == {'resultText': 'User ID: %s' % user['userPrincipalName'], 'copyField': user['userPrincipalName'], 'state': 'success'}
    status, answer, _unused = api.call('ExecCreateTAP', 'POST', body={'tenantFilter': domain(tenant), 'ID': user['userPrincipalName']})
    assert status == 500 and answer['Results'].startswith('Failed to create Temporary Access Pass (TAP) for %s: ' % user['userPrincipalName'])
    # Once the first pass has expired Graph accepts a new one.
    advance(api, 121 * 60)
    status, answer, _unused = api.call('ExecCreateTAP', 'POST', body={'tenantFilter': domain(tenant), 'ID': user['id'], 'isUsableOnce': 'false'})
    assert status == 200 and answer['Results'][0]['isUsableOnce'] is False and answer['Results'][0]['lifetimeInMinutes'] == 60


def test_create_tap_start_time_and_policy_range(api, tenant):
    user = member(tenant)
    status, answer, _unused = api.call('ExecCreateTAP', 'POST', body={'tenantFilter': domain(tenant), 'ID': user['id'], 'startDateTime': 1893456000})
    assert status == 200 and answer['Results'][0]['resultText'].endswith(' starting at 2030-01-01 00:00:00 UTC')
    other = member(tenant, lambda u: u['id'] != user['id'])
    status, answer, _unused = api.call('ExecCreateTAP', 'POST', body={'tenantFilter': domain(tenant), 'ID': other['id'], 'lifetimeInMinutes': 5})
    assert status == 500 and 'lifetimeInMinutes' in answer['Results']


# ------------------------------------------------------------------ password, sessions, immutable id, policy

def test_reset_password_defaults_and_copy_field(api, tenant):
    user = member(tenant)
    status, answer, _unused = api.call('ExecResetPass', 'POST', body={'tenantFilter': domain(tenant), 'ID': user['userPrincipalName'],
                                                                      'displayName': user['displayName']})
    assert status == 200
    item = answer['Results']
    assert item['state'] == 'success' and item['copyField'] == user['_password']
    assert item['resultText'] == ('Successfully reset the password for %s, %s. User must change password is set to False. The new '
                                  'password is %s' % (user['displayName'], user['userPrincipalName'], item['copyField']))
    assert user['_forceChangePassword'] is False
    _unused, answer, _unused = api.call('ExecResetPass', 'POST', params={'tenantFilter': domain(tenant), 'ID': user['id'], 'MustChange': 'TRUE'})
    assert 'must change password is set to True' in answer['Results']['resultText'] and user['_forceChangePassword'] is True
    assert answer['Results']['resultText'].startswith('Successfully reset the password for %s, %s.' % (user['id'], user['id']))


def test_reset_password_errors_and_synced_users(api, tenant):
    status, text, ctype = api.call('ExecResetPass', 'POST', body={'tenantFilter': domain(tenant), 'ID': 'x', 'MustChange': 'maybe'})
    assert status == 500 and ctype.startswith('text/plain') and 'ToBoolean' in text
    status, answer, _unused = api.call('ExecResetPass', 'POST', body={'tenantFilter': domain(tenant), 'ID': 'ghost@x.example'})
    assert status == 500 and answer['Results'].startswith('Failed to reset password for ghost@x.example, ghost@x.example. Error: ')
    ad_user = synced(tenant)
    _unused, answer, _unused = api.call('ExecResetPass', 'POST', body={'tenantFilter': domain(tenant), 'ID': ad_user['userPrincipalName']})
    assert 'directory synced' in answer['Results']['resultText'] and ad_user['_forceChangePassword'] is True


def test_revoke_sessions(api, tenant):
    user = member(tenant)
    status, answer, _unused = api.call('ExecRevokeSessions', 'POST', body={'tenantFilter': domain(tenant), 'id': user['id'],
                                                                           'Username': user['userPrincipalName']})
    assert status == 200 and answer == {'Results': 'Successfully revoked sessions for %s' % user['userPrincipalName']}
    assert user['_sessionsRevokedAt'] is not None
    _unused, answer, _unused = api.call('ExecRevokeSessions', 'POST', params={'tenantFilter': domain(tenant), 'id': user['id']})
    assert answer == {'Results': 'Successfully revoked sessions for '}
    status, answer, _unused = api.call('ExecRevokeSessions', 'POST', body={'tenantFilter': domain(tenant), 'id': 'ghost', 'Username': 'g'})
    assert status == 500 and answer['Results'].startswith('Failed to revoke sessions for g. Error: ')


def test_clear_immutable_id(api, tenant):
    ad_user = synced(tenant)
    status, answer, _unused = api.call('ExecClrImmId', 'POST', body={'tenantFilter': domain(tenant), 'ID': ad_user['id']})
    assert status == 500 and 'on-premises mastered Directory Sync objects' in answer['Results']
    cloud = member(tenant)
    cloud['onPremisesImmutableId'] = 'c29tZXRoaW5n'
    status, answer, _unused = api.call('ExecClrImmId', 'POST', params={'tenantFilter': domain(tenant), 'ID': cloud['id']})
    assert status == 200 and answer == {'Results': 'Successfully cleared immutable ID for user %s' % cloud['id']}
    assert cloud['onPremisesImmutableId'] is None


def test_clear_immutable_id_restores_a_deleted_user(api, tenant):
    deleted_id, deleted = next(iter(tenant.deleted.items()))
    status, answer, _unused = api.call('ExecClrImmId', 'POST', body={'tenantFilter': domain(tenant), 'ID': deleted_id})
    assert status == 200 and answer == {'Results': 'Successfully cleared immutable ID for user %s' % deleted_id}
    assert deleted_id not in tenant.deleted and deleted_id in tenant.users
    # Graph drops its id prefix from the UPN on restore.
    assert tenant.users[deleted_id]['userPrincipalName'] == deleted['userPrincipalName'][len(deleted_id.replace('-', '')):]


def test_password_never_expires(api, tenant):
    user = member(tenant)
    body = {'tenantFilter': domain(tenant), 'userId': user['id'], 'userPrincipalName': user['userPrincipalName'],
            'PasswordPolicy': {'value': 'DisablePasswordExpiration', 'label': 'Never expire'}}
    status, answer, _unused = api.call('ExecPasswordNeverExpires', 'POST', body=body)
    assert status == 200 and answer == {'Results': ['Successfully set PasswordPolicy for user %s to Never expire' % user['userPrincipalName']]}
    assert user['passwordPolicies'] == 'DisablePasswordExpiration'
    body.pop('PasswordPolicy')
    _unused, answer, _unused = api.call('ExecPasswordNeverExpires', 'POST', body=body)
    # The policy defaults to None; the message shows the (missing) name.
    assert user['passwordPolicies'] == 'None' and answer['Results'][0].endswith(' to ')
    status, answer, _unused = api.call('ExecPasswordNeverExpires', 'POST', body=dict(body, PasswordPolicy='Forever'))
    assert status == 500 and "Invalid value specified for property 'passwordPolicies'" in answer['Results'][0]
    status, text, _unused = api.call('ExecPasswordNeverExpires', 'POST', body={'tenantFilter': domain(tenant), 'userId': ' '})
    assert status == 200 and text == ''


# ------------------------------------------------------------------ BEC

def _start_bec(api, tenant_state, user, **extra):
    params = dict({'tenantFilter': domain(tenant_state), 'userid': user['id'], 'userName': user['userPrincipalName']}, **extra)
    return api.call('ExecBECCheck', params=params)


def test_bec_check_polls_then_reports(api, tenant):
    bad = victim(tenant)
    status, answer, _unused = _start_bec(api, tenant, bad)
    assert status == 200 and answer == {'GUID': bad['id']}
    _unused, answer, _unused = api.call('ExecBECCheck', params={'GUID': bad['id'], 'tenantFilter': domain(tenant)})
    assert answer == {'Waiting': True}
    _unused, report, ctype = api.call('ExecBECCheck', params={'GUID': bad['id'], 'tenantFilter': domain(tenant)})
    assert ctype.startswith('application/json')
    assert set(report) >= {'AddedApps', 'SuspectUserMailboxLogons', 'LastSuspectUserLogon', 'SuspectUserDevices', 'NewRules',
                           'InboxRuleChanges', 'SentMessages', 'MailboxPermissionChanges', 'NewUsers', 'MFADevices',
                           'ChangedPasswords', 'IntuneDevices', 'ExtractedAt', 'ExtractResult'}
    assert report['ExtractResult'] == 'Successfully extracted logs from auditlog'
    rules = {r['Name']: r for r in report['NewRules']}
    assert rules['.']['RecentlyChanged'] is True and rules['RSS']['RecentlyChanged'] is True
    assert any(c['RuleName'] == '.' and c['Operation'] == 'New-InboxRule' for c in report['InboxRuleChanges'])
    assert any(m.get('phoneType') == 'alternateMobile' for m in report['MFADevices'])
    assert all('password' not in m['@odata.type'].lower() for m in report['MFADevices'])
    last = report['LastSuspectUserLogon'][0]
    assert last['Status'] == 'Success' and last['IPAddress'] in {s['ipAddress'] for s in tenant.signins if s['userId'] == bad['id']}
    assert report['AddedApps'] and report['SentMessages'] and report['MailboxPermissionChanges']
    assert len(report['SuspectUserMailboxLogons']) <= 50


def test_bec_cache_is_keyed_by_user_only(api, tenant):
    bad = victim(tenant)
    _start_bec(api, tenant, bad)
    api.control('bec/finish')
    _unused, report, _unused = api.call('ExecBECCheck', params={'GUID': bad['id']})
    # A second check (even naming another tenant) starts nothing and the old report is served.
    other = tenants(api)[1]
    _unused, answer, _unused = _start_bec(api, other, bad)
    assert answer == {'GUID': bad['id']}
    _unused, again, _unused = api.call('ExecBECCheck', params={'GUID': bad['id'], 'tenantFilter': domain(other)})
    assert again == report
    # overwrite=true starts a fresh run.
    _unused, answer, _unused = _start_bec(api, tenant, bad, overwrite='true')
    assert answer == {'GUID': bad['id']}
    _unused, answer, _unused = api.call('ExecBECCheck', params={'GUID': bad['id']})
    assert answer == {'Waiting': True}


def test_bec_config_and_unknown_guid(api, tenant):
    api.control('bec/config', {'polls': 1})
    bad = victim(tenant)
    _start_bec(api, tenant, bad)
    _unused, report, _unused = api.call('ExecBECCheck', params={'GUID': bad['id']})
    assert 'NewRules' in report
    _unused, answer, _unused = api.call('ExecBECCheck', params={'GUID': 'never-started'})
    assert answer == {'GUID': None}


def test_bec_remediate_six_steps(api, tenant):
    bad = victim(tenant)
    upn = bad['userPrincipalName']
    status, answer, _unused = api.call('ExecBECRemediate', 'POST', body={'tenantFilter': domain(tenant), 'userid': bad['id'], 'username': upn})
    assert status == 200
    items = answer['Results']
    texts = [i['resultText'] for i in items]
    assert texts[0].startswith('Successfully reset the password for , %s.' % upn) and items[0]['copyField'] == bad['_password']
    assert texts[1] == 'Successfully set account enabled state to False for %s' % upn
    assert texts[2] == 'Successfully revoked sessions for %s' % upn
    assert texts[3].startswith('Successfully removed MFA methods (') and items[3]['state'] == 'success'
    assert texts[4].startswith('Successfully disabled ') and texts[4].endswith(' inbox rules for %s' % upn)
    assert texts[5].startswith("Successfully set OneDrive sharing to 'Disabled' for %s (https://" % upn)
    assert bad['accountEnabled'] is False and bad['_mfaMethods'] == [] and bad['_sessionsRevokedAt']
    # Rules are disabled, not deleted.
    rules = tenant.inbox_rules[bad['id']]
    assert rules and all(r['Enabled'] is False for r in rules)


def test_bec_remediate_synced_user_and_no_rules(api, tenant):
    ad_user = synced(tenant)
    tenant.inbox_rules.pop(ad_user['id'], None)
    _unused, answer, _unused = api.call('ExecBECRemediate', 'POST', body={'tenantFilter': domain(tenant), 'userid': ad_user['id'],
                                                                          'username': ad_user['userPrincipalName']})
    items = answer['Results']
    assert items[1]['state'] == 'error' and 'AD Sync enabled' in items[1]['resultText']
    assert items[1]['resultText'].startswith('Failed to disable account: Failed to set sign-in state for ')
    assert ad_user['accountEnabled'] is False  # the PATCH went through before the warning
    assert {'resultText': 'No Inbox Rules found for %s.' % ad_user['userPrincipalName'], 'state': 'info'} in items


def test_bec_can_finish_by_time(api, tenant):
    api.control('bec/config', {'polls': 50, 'seconds': 20})
    bad = victim(tenant)
    _start_bec(api, tenant, bad)
    _unused, answer, _unused = api.call('ExecBECCheck', params={'GUID': bad['id']})
    assert answer == {'Waiting': True}
    advance(api, 21)
    _unused, report, _unused = api.call('ExecBECCheck', params={'GUID': bad['id']})
    assert 'ExtractResult' in report


def test_bec_unknown_tenant_completes_with_an_empty_report(api):
    """Push-BECRun.ps1: New-ExoRequest / New-GraphGetRequest / New-GraphBulkRequest only Write-Error for a tenant CIPP
    does not manage, nothing throws, and the run completes with empty sections (CONTRACT 0.1 C9)."""
    user = member(tenants(api)[0])
    api.call('ExecBECCheck', params={'tenantFilter': 'nosuch.example', 'userid': user['id'], 'userName': user['userPrincipalName']})
    assert api.control('bec/finish', {'userid': user['id']}) == {'finished': [user['id']]}
    _unused, report, _unused = api.call('ExecBECCheck', params={'GUID': user['id']})
    assert report['NewRules'] == [] and report['MFADevices'] == [] and 'Results' not in report
    assert report['IntuneDevicesError'] == 'Intune device query did not return a response'


# ------------------------------------------------------------------ single methods, default method (Invoke-ExecResetMFA,
# Remove-CIPPUserMFA, Invoke-ExecSetDefaultMFAMethod, signInPreferences through ListGraphRequest)

PASSWORD_METHOD_ID = '28c10230-6103-485e-b985-444c60001490'


def test_reset_mfa_never_removes_the_password_method(api, tenant):
    """Remove-CIPPUserMFA drops the password method before it matches MethodId: its id finds nothing removable."""
    user = member(tenant, lambda u: len(u.get('_mfaMethods') or []) >= 1)
    before = list(user['_mfaMethods'])
    body = {'tenantFilter': domain(tenant), 'ID': user['id'], 'MethodId': PASSWORD_METHOD_ID}
    status, answer, _unused = api.call('ExecResetMFA', 'POST', body=body)
    assert status == 200
    assert answer['Results'] == 'No removable MFA method with id %s found for user %s' % (PASSWORD_METHOD_ID, user['id'])
    assert user['_mfaMethods'] == before


def test_reset_mfa_removes_a_tap_by_its_id(api, tenant):
    user = member(tenant)
    status, answer, _unused = api.call('ExecCreateTAP', 'POST', body={'tenantFilter': domain(tenant), 'ID': user['id']})
    assert status == 200
    tap_id = user['_taps'][0]['id']
    body = {'tenantFilter': domain(tenant), 'ID': user['id'], 'MethodId': tap_id}
    _unused, answer, _unused = api.call('ExecResetMFA', 'POST', body=body)
    assert answer == {'Results': 'Successfully removed MFA method (temporaryAccessPassMethod) for user %s' % user['id']}
    assert user['_taps'] == []


def _preferences(api, tenant, user, **extra):
    params = dict({'tenantFilter': domain(tenant), 'Endpoint': 'users/%s/authentication/signInPreferences' % user['id']}, **extra)
    return api.call('ListGraphRequest', 'GET', params=params)


def test_sign_in_preferences_are_beta_only_and_version_is_validated(api, tenant):
    user = member(tenant)
    status, answer, _unused = _preferences(api, tenant, user)  # Get-GraphRequestList's default Version is beta
    assert status == 200
    assert answer['Results'][0]['userPreferredMethodForSecondaryAuthentication'] is None
    assert answer['Results'][0]['isSystemPreferredAuthenticationMethodEnabled'] is False
    status, answer, _unused = _preferences(api, tenant, user, Version='beta')
    assert status == 200 and len(answer['Results']) == 1
    status, answer, _unused = _preferences(api, tenant, user, Version='v1.0')
    assert status == 400 and "segment 'signInPreferences'" in answer
    status, answer, _unused = _preferences(api, tenant, user, Version='v2')
    assert status == 400 and answer.startswith('Graph Error: ') and "parameter 'Version'" in answer


def test_set_default_mfa_method_validates_then_patches_sign_in_preferences(api, tenant):
    user = member(tenant)

    def call(**body):
        return api.call('ExecSetDefaultMFAMethod', 'POST', body=dict({'tenantFilter': domain(tenant)}, **body))

    status, answer, _unused = call(ID=user['id'])
    assert status == 400 and answer == {'Results': ['tenantFilter, ID and MethodType are required']}
    status, answer, _unused = call(ID=user['id'], MethodType='fido2')
    assert status == 400 and answer['Results'][0].startswith("'fido2' is not a valid default MFA method. Valid values are: push, oath")
    status, answer, _unused = call(ID='ghost@x.example', MethodType='push')
    assert status == 500 and answer['Results'][0].startswith('Failed to set the default MFA method for user ghost@x.example. Error: ')
    status, answer, _unused = call(ID=user['id'], MethodType={'value': 'sms', 'label': 'SMS'})  # the UI's {value, label}
    assert status == 200 and answer == {'Results': ['Successfully set the default MFA method to sms for user %s' % user['id']]}
    _unused, answer, _unused = _preferences(api, tenant, user)
    assert answer['Results'][0]['userPreferredMethodForSecondaryAuthentication'] == 'sms'
    # Body only: a query-string request has nothing to read.
    query = {'tenantFilter': domain(tenant), 'ID': user['id'], 'MethodType': 'push'}
    status, _unused, _unused = api.call('ExecSetDefaultMFAMethod', 'POST', params=query)
    assert status == 400


# ------------------------------------------------------------------ registration campaign (Invoke-ExecRegistrationCampaign,
# Set-CIPPRegistrationCampaign; the policy read through ListGraphRequest policies/authenticationMethodsPolicy)

def _campaign(api, tenant):
    status, answer, _unused = api.call('ListGraphRequest', 'GET', params={'tenantFilter': domain(tenant),
                                                                          'Endpoint': 'policies/authenticationMethodsPolicy'})
    assert status == 200 and len(answer['Results']) == 1
    return answer['Results'][0]['registrationEnforcement']['authenticationMethodsRegistrationCampaign']


def test_registration_campaign_keeps_what_is_not_given(api, tenant):
    assert _campaign(api, tenant)['state'] == 'default'
    user = member(tenant)
    body = {'tenantFilter': domain(tenant), 'state': 'enabled', 'includeUsers': [user['id']], 'snoozeDurationInDays': 3}
    status, answer, _unused = api.call('ExecRegistrationCampaign', 'POST', body=body)
    assert status == 200
    assert answer == {'Results': 'Set the registration campaign state to enabled targeting microsoftAuthenticator with a snooze '
                                 'duration of 3 day(s), 1 include target(s) and 0 exclude target(s)'}
    campaign = _campaign(api, tenant)
    assert campaign['includeTargets'] == [{'id': user['id'], 'targetType': 'user', 'targetedAuthenticationMethod': 'microsoftAuthenticator'}]
    assert campaign['enforceRegistrationAfterAllowedSnoozes'] is True  # not given: kept
    # Only the state: the targets and the snooze stay.
    status, _unused, _unused = api.call('ExecRegistrationCampaign', 'POST', body={'tenantFilter': domain(tenant), 'state': 'disabled'})
    campaign = _campaign(api, tenant)
    assert status == 200 and campaign['state'] == 'disabled' and campaign['snoozeDurationInDays'] == 3
    assert [t['id'] for t in campaign['includeTargets']] == [user['id']]
    # An empty include list falls back to all users.
    api.call('ExecRegistrationCampaign', 'POST', body={'tenantFilter': domain(tenant), 'includeUsers': []})
    assert [t['id'] for t in _campaign(api, tenant)['includeTargets']] == ['all_users']


def test_registration_campaign_errors(api, tenant):
    def call(body):
        return api.call('ExecRegistrationCampaign', 'POST', body=body)

    assert call({'state': 'enabled'})[:2] == (400, {'Results': 'Error: tenantFilter is required'})
    assert call({'tenantFilter': domain(tenant), 'snoozeDurationInDays': 15})[:2] == (
        400, {'Results': 'Error: snoozeDurationInDays must be between 0 and 14'})
    status, answer, _unused = call({'tenantFilter': domain(tenant), 'state': 'on'})
    assert status == 500 and answer == {'Results': "State must be one of 'default', 'enabled' or 'disabled'"}
    status, answer, _unused = call({'tenantFilter': domain(tenant), 'targetedAuthenticationMethod': 'sms'})
    assert status == 500 and 'microsoftAuthenticator' in answer['Results']
    status, answer, _unused = call({'tenantFilter': 'nobody.example', 'state': 'enabled'})
    assert status == 500 and answer['Results'].startswith('Could not get the current registration campaign.')
    assert _campaign(api, tenant)['state'] == 'default'


def test_mfa_register_control_adds_an_authenticator_the_report_counts(api, tenant):
    user = member(tenant, lambda u: u.get('_mfaMethods') == [])
    answer = api.control('mfa/register', {'tenant': domain(tenant), 'user': user['userPrincipalName']})
    assert user['_mfaMethods'][-1]['id'] == answer['id']
    status, rows, _unused = api.call('ListMFAUsers', 'GET', params={'tenantFilter': domain(tenant)})
    assert status == 200 and next(r for r in rows if r['ID'] == user['id'])['MFARegistration'] is True
