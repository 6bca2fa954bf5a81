"""Contract tests for the emulator's Exchange endpoints (CONTRACT.md 5.10-5.12, 6.2-6.6, and the inbox-rule
endpoints ExecRemoveMailboxRule / ExecSetMailboxRule as read from the CIPP-API source)."""

import re
import time

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


@pytest.fixture
def tenant(api):
    return list(api.emu.state.tenants.values())[0]


def domain(tenant_state):
    return tenant_state.row['defaultDomainName']


def victim(tenant_state):
    return next(u for u in tenant_state.users.values() if u.get('_compromised'))


def licensed(tenant_state, **extra):
    """A plain licensed member with a mailbox (not the compromised one), optionally with extra conditions."""
    for user in tenant_state.users.values():
        if user['id'] in tenant_state.mailboxes and not user.get('_compromised') and user['accountEnabled'] \
                and tenant_state.mailboxes[user['id']]['RecipientTypeDetails'] == 'UserMailbox' \
                and all(user.get(k) == v for k, v in extra.items()):
            return user
    raise AssertionError('no such user in the seed')


def no_internal_keys(value):
    if isinstance(value, dict):
        assert not any(str(k).startswith('_') for k in value), value
        for item in value.values():
            no_internal_keys(item)
    elif isinstance(value, list):
        for item in value:
            no_internal_keys(item)


# ------------------------------------------------------------------ list endpoints

def test_list_mailboxes_has_every_licensed_member_and_the_shared_mailbox(api, tenant):
    status, rows, ctype = api.call('ListMailboxes', params={'tenantFilter': domain(tenant)})
    assert status == 200 and ctype.startswith('application/json')
    by_upn = {r['UPN']: r for r in rows}
    for user in tenant.users.values():
        if user.get('assignedLicenses') and user['userType'] == 'Member':
            assert user['userPrincipalName'] in by_upn
    assert by_upn['info@%s' % domain(tenant)]['recipientTypeDetails'] == 'SharedMailbox'
    compromised = by_upn[victim(tenant)['userPrincipalName']]
    # ForwardingSmtpAddress is stored as smtp:... in EXO; ListMailboxes strips the prefix.
    assert '@' in compromised['ForwardingSmtpAddress'] and not compromised['ForwardingSmtpAddress'].startswith('smtp:')
    no_internal_keys(rows)


def test_list_mailboxes_report_db_and_unknown_tenant(api, tenant):
    status, rows, _unused = api.call('ListMailboxes', params={'tenantFilter': domain(tenant), 'UseReportDB': 'true'})
    assert status == 200 and all('CacheTimestamp' in r for r in rows)
    status, body, _unused = api.call('ListMailboxes', params={'tenantFilter': 'nosuch.example'})
    assert status == 403 and isinstance(body, list) and "not in CIPP's tenant list" in body[0]


def test_mailbox_permissions_live_rows(api, tenant):
    shared = 'info@%s' % domain(tenant)
    status, rows, _unused = api.call('ListmailboxPermissions', params={'tenantFilter': domain(tenant), 'userId': shared})
    assert status == 200
    assert {'User': 'NT AUTHORITY\\SELF', 'Permissions': 'FullAccess, ReadPermission'} in rows
    full = [r for r in rows if r['Permissions'] == 'FullAccess']
    assert len(full) == 3
    # SendAs rows come from Get-RecipientPermission, whose AccessRights CIPP does not join: an array.
    send_as = [r for r in rows if r['Permissions'] == ['SendAs'] and r['User'] != 'NT AUTHORITY\\SELF']
    assert len(send_as) == 1
    # Invoke-ListmailboxPermissions.ps1: New-ExoBulkRequest turns a cmdlet's failure into an {error, target} row, and
    # the handler keeps only permission rows, so an unknown mailbox is an empty 200, not an error.
    status, body, _unused = api.call('ListMailboxPermissions', params={'tenantFilter': domain(tenant), 'userId': 'ghost@nowhere.example'})
    assert status == 200 and body == []


def test_mailbox_permissions_report_by_user(api, tenant):
    holder = tenant.mailboxes[next(uid for uid, m in tenant.mailboxes.items() if m['RecipientTypeDetails'] == 'SharedMailbox')]
    user = holder['Permissions'][0]['User']
    status, rows, _unused = api.call('ListmailboxPermissions', params={'tenantFilter': domain(tenant), 'UseReportDB': 'true',
                                                                       'ByUser': 'true', 'User': user})
    assert status == 200 and len(rows) == 1 and rows[0]['User'] == user
    assert any(p['MailboxUPN'] == 'info@%s' % domain(tenant) for p in rows[0]['Permissions'])
    # Get-CIPPMailboxPermissionReport.ps1 -ByUser: the row's keys, and each permission's Mailbox is the display name.
    assert set(rows[0]) == {'User', 'UserMailboxType', 'MailboxCount', 'Permissions', 'Tenant', 'MailboxCacheTimestamp',
                            'PermissionCacheTimestamp'}
    assert rows[0]['MailboxCount'] == len(rows[0]['Permissions'])
    assert set(rows[0]['Permissions'][0]) == {'Mailbox', 'MailboxUPN', 'AccessRights'}


def test_mailbox_permission_report_without_cached_data_is_a_500(api, tenant):
    # Get-CIPPMailboxPermissionReport throws "No mailbox data found in reporting database ..."; the handler answers 500.
    status, body, _unused = api.call('ListmailboxPermissions', params={'tenantFilter': 'nosuch.example', 'UseReportDB': 'true',
                                                                       'ByUser': 'true', 'User': 'a@nosuch.example'})
    assert status == 500 and body[0].startswith('Failed to generate mailbox permission report: No mailbox data found')


def test_user_mailbox_rules_show_the_malicious_rules(api, tenant):
    bad = victim(tenant)
    status, rules, _unused = api.call('ListUserMailboxRules', params={'tenantFilter': domain(tenant), 'UserID': bad['userPrincipalName']})
    assert status == 200
    names = [r['Name'] for r in rules]
    assert '.' in names and 'RSS' in names
    dot = next(r for r in rules if r['Name'] == '.')
    assert dot['DeleteMessage'] is True and any(('gmail' in t or 'proton' in t) for t in dot['RedirectTo'])
    invoices = next(r for r in rules if r['Name'] == 'RSS')
    assert invoices['MarkAsRead'] is True and 'invoice' in invoices['SubjectContainsWords']
    # CIPP drops RuleIdentity (Select-Object -ExcludeProperty) and the emulator never leaks its own keys.
    assert all('RuleIdentity' not in r for r in rules)
    no_internal_keys(rules)


def test_user_mailbox_rules_unknown_mailbox(api, tenant):
    status, body, _unused = api.call('ListUserMailboxRules', params={'tenantFilter': domain(tenant), 'UserID': 'ghost@x.example',
                                                                     'userEmail': 'ghost@x.example'})
    assert status == 500
    assert body[0].startswith('Failed to retrieve mailbox rules for ghost@x.example : Error: ')


def test_tenant_wide_rules_load_then_answer_then_expire(api, tenant):
    params = {'tenantFilter': domain(tenant)}
    status, first, _unused = api.call('ListMailboxRules', params=params)
    assert status == 200 and first['Results'] == []
    assert first['Metadata']['QueueMessage'] == 'Loading data for %s. Please check back in 1 minute' % domain(tenant)
    _unused, second, _unused = api.call('ListMailboxRules', params=params)
    assert second['Results'] and all(r['Tenant'] == domain(tenant) for r in second['Results'])
    advance(api, 3700)
    _unused, third, _unused = api.call('ListMailboxRules', params=params)
    assert third['Results'] == [] and 'QueueMessage' in third['Metadata']


def test_tenant_wide_rules_report_db(api, tenant):
    status, rows, _unused = api.call('ListMailboxRules', params={'tenantFilter': domain(tenant), 'UseReportDB': 'true'})
    assert status == 200 and rows
    assert all('CacheTimestamp' in r and r['UserPrincipalName'] for r in rows)


def test_list_ooo_fields_and_errors(api, tenant):
    away_id = next(uid for uid, m in tenant.mailboxes.items() if m['AutoReplyState'] == 'Enabled')
    upn = tenant.users[away_id]['userPrincipalName']
    status, body, ctype = api.call('ListOoO', params={'tenantFilter': domain(tenant), 'userid': upn})
    assert status == 200 and ctype.startswith('application/json')
    assert set(body) == {'AutoReplyState', 'StartTime', 'EndTime', 'InternalMessage', 'ExternalMessage', 'CreateOOFEvent',
                         'OOFEventSubject', 'AutoDeclineFutureRequestsWhenOOF', 'DeclineEventsForScheduledOOF',
                         'DeclineAllEventsForScheduledOOF', 'DeclineMeetingMessage'}
    assert body['AutoReplyState'] == 'Enabled' and 'on leave' in body['InternalMessage']
    status, text, ctype = api.call('ListOoO', params={'tenantFilter': domain(tenant), 'userid': 'ghost@x.example'})
    assert status == 500 and ctype.startswith('text/plain')
    assert text.startswith('Could not retrieve out of office message for ghost@x.example. Error: ')


def test_list_mailbox_cas_and_forwarding(api, tenant):
    status, rows, _unused = api.call('ListMailboxCAS', params={'TenantFilter': domain(tenant)})
    assert status == 200 and rows and all(r['owaenabled'] is True for r in rows)
    status, rows, _unused = api.call('ListMailboxForwarding', params={'tenantFilter': domain(tenant)})
    assert status == 200
    bad = next(r for r in rows if r['UPN'] == victim(tenant)['userPrincipalName'])
    assert bad['ForwardingType'] == 'External' and bad['ForwardTo'] == bad['ForwardingSmtpAddress']
    internal = [r for r in rows if r['ForwardingType'] == 'Internal']
    assert internal and all(r['ForwardingSmtpAddress'] == '' and r['InternalForwardingAddress'] for r in internal)


def test_user_mailbox_details(api, tenant):
    bad = victim(tenant)
    status, body, _unused = api.call('ListUserMailboxDetails', params={'tenantFilter': domain(tenant), 'UserID': bad['id'],
                                                                       'userMail': bad['userPrincipalName']})
    assert status == 200 and len(body) == 1
    details = body[0]
    assert details['ForwardingAddress'] == tenant.mailboxes[bad['id']]['ForwardingSmtpAddress'][5:]
    assert details['RecipientTypeDetails'] == 'UserMailbox' and details['ArchiveMailBox'] is False
    assert details['MailboxActionsData']['UPN'] == bad['userPrincipalName']
    no_internal_keys(body)
    # EXO failures are written non-terminally: an unknown mailbox still answers 200, with empty values.
    status, body, _unused = api.call('ListUserMailboxDetails', params={'tenantFilter': domain(tenant), 'UserID': 'ghost@x.example'})
    assert status == 200 and body[0]['RecipientTypeDetails'] is None and body[0]['Permissions'] == []


# ------------------------------------------------------------------ forwarding, OOO, convert, archive, GAL

def _details(api, tenant, upn):
    return api.call('ListUserMailboxDetails', params={'tenantFilter': domain(tenant), 'UserID': upn})[1][0]


def test_email_forward_internal_external_disabled(api, tenant):
    user = licensed(tenant)
    target = next(u for u in tenant.users.values() if u['id'] in tenant.mailboxes and u['id'] != user['id'])
    base = {'tenantFilter': domain(tenant), 'userID': user['userPrincipalName']}
    status, body, _unused = api.call('ExecEmailForward', 'POST', body=dict(base, forwardOption='internalAddress',
                                                                           ForwardInternal={'value': target['userPrincipalName']},
                                                                           KeepCopy='true'))
    assert status == 200
    assert body == {'Results': ['Successfully set forwarding for %s to Internal Address %s with keeping a copy set to True'
                                % (user['userPrincipalName'], target['userPrincipalName'])]}
    details = _details(api, tenant, user['userPrincipalName'])
    assert details['ForwardingAddress'] == target['userPrincipalName'] and details['ForwardAndDeliver'] is True
    status, body, _unused = api.call('ExecEmailForward', 'POST', body=dict(base, forwardOption='ExternalAddress',
                                                                           ForwardExternal='someone@outside.example'))
    assert body['Results'][0].endswith('to External Address someone@outside.example with keeping a copy set to False')
    details = _details(api, tenant, user['userPrincipalName'])
    assert details['ForwardingAddress'] == 'someone@outside.example' and details['ForwardAndDeliver'] is False
    status, body, _unused = api.call('ExecEmailForward', 'POST', body=dict(base, ForwardOption='DISABLED'))
    assert status == 200 and body == {'Results': ['Successfully disabled forwarding for %s' % user['userPrincipalName']]}
    assert _details(api, tenant, user['userPrincipalName'])['ForwardingAddress'] is None


def test_email_forward_errors(api, tenant):
    user = licensed(tenant)
    # Body only: the same fields in the query leave forwardOption unset, which falls out of the switch -> router 500.
    status, body, _unused = api.call('ExecEmailForward', 'POST', params={'tenantFilter': domain(tenant), 'userID': user['id'],
                                                                         'forwardOption': 'disabled'})
    assert status == 500 and body == {'error': {'code': 'InternalServerError', 'message': 'An error occurred processing the request'}}
    status, body, _unused = api.call('ExecEmailForward', 'POST', body={'tenantFilter': domain(tenant), 'userID': user['id'],
                                                                       'forwardOption': 'toTheMoon'})
    assert status == 500 and 'error' in body
    status, body, _unused = api.call('ExecEmailForward', 'POST', body={'tenantFilter': domain(tenant), 'userID': user['userPrincipalName'],
                                                                       'forwardOption': 'internalAddress', 'ForwardInternal': 'nobody@x.example'})
    assert status == 500
    assert body['Results'][0].startswith('Failed to set forwarding for %s. Error: Couldn\'t find object "nobody@x.example"'
                                         % user['userPrincipalName'])


def test_set_ooo_enabled_then_disabled_keeps_messages(api, tenant):
    user = licensed(tenant)
    upn = user['userPrincipalName']
    status, body, _unused = api.call('ExecSetOoO', 'POST', body={'tenantFilter': domain(tenant), 'userId': upn,
                                                                 'AutoReplyState': {'value': 'Enabled', 'label': 'Enabled'},
                                                                 'input': 'Away until Monday'})
    assert status == 200 and body == {'Results': 'Set Out-of-office for %s to Enabled.' % upn}
    mailbox = tenant.mailboxes[user['id']]
    assert mailbox['InternalMessage'] == 'Away until Monday' and mailbox['ExternalAudience'] == 'All'
    # Blank messages are left out, so disabling keeps the text; ExternalAudience falls back to None.
    status, body, _unused = api.call('ExecSetOoO', 'POST', body={'tenantFilter': domain(tenant), 'userId': upn, 'AutoReplyState': 'Disabled',
                                                                 'InternalMessage': '  ', 'ExternalMessage': ''})
    assert body == {'Results': 'Set Out-of-office for %s to Disabled.' % upn}
    _unused, ooo, _unused = api.call('ListOoO', params={'tenantFilter': domain(tenant), 'userid': upn})
    assert ooo['AutoReplyState'] == 'Disabled' and ooo['InternalMessage'] == 'Away until Monday'
    assert tenant.mailboxes[user['id']]['ExternalAudience'] == 'None'


def test_set_ooo_scheduled_and_invalid_state(api, tenant):
    upn = licensed(tenant)['userPrincipalName']
    start, end = 1893456000, 1894060800  # 2030-01-01 and 2030-01-08, 00:00 UTC
    status, body, _unused = api.call('ExecSetOoO', 'POST', body={'tenantFilter': domain(tenant), 'userId': upn, 'AutoReplyState': 'Scheduled',
                                                                 'input': 'Holiday', 'StartTime': str(start), 'EndTime': end})
    assert status == 200
    assert body == {'Results': 'Scheduled Out-of-office for %s between 01/01/2030 00:00:00 and 01/08/2030 00:00:00' % upn}
    _unused, ooo, _unused = api.call('ListOoO', params={'tenantFilter': domain(tenant), 'userid': upn})
    assert ooo['StartTime'] == '2030-01-01 00:00' and ooo['EndTime'] == '2030-01-08 00:00'
    status, body, _unused = api.call('ExecSetOoO', 'POST', body={'tenantFilter': domain(tenant), 'userId': upn, 'AutoReplyState': 'Sometimes'})
    assert status == 500
    assert body['Results'].startswith("Could not set Out of Office for user: %s. Error: Cannot validate argument on parameter 'State'" % upn)


def test_convert_mailbox(api, tenant):
    user = licensed(tenant)
    status, body, _unused = api.call('ExecConvertMailbox', 'POST', body={'tenantFilter': domain(tenant), 'ID': user['userPrincipalName'],
                                                                         'MailboxType': 'Shared'})
    assert status == 200 and body == {'Results': 'Successfully converted %s to a Shared mailbox' % user['userPrincipalName']}
    assert tenant.mailboxes[user['id']]['RecipientTypeDetails'] == 'SharedMailbox'
    status, body, _unused = api.call('ExecConvertMailbox', 'POST', body={'tenantFilter': domain(tenant), 'ID': user['userPrincipalName'],
                                                                         'MailboxType': 'Teams'})
    assert status == 500 and "does not belong to the set \"Shared,Regular,Room,Equipment\"" in body['Results']
    status, body, _unused = api.call('ExecConvertMailbox', 'POST', body={'tenantFilter': domain(tenant), 'ID': 'ghost@x.example',
                                                                         'MailboxType': 'Regular'})
    assert status == 500 and body['Results'].startswith('Failed to convert ghost@x.example to a Regular mailbox. Error: ')


def test_enable_archive_once_then_refused(api, tenant):
    user = licensed(tenant)
    params = {'tenantFilter': domain(tenant), 'id': user['userPrincipalName'], 'username': user['displayName']}
    status, body, _unused = api.call('ExecEnableArchive', 'POST', params=params)
    assert status == 200 and body == {'Results': 'Successfully set archive for %s to True' % user['displayName']}
    assert _details(api, tenant, user['userPrincipalName'])['ArchiveMailBox'] is True
    status, body, _unused = api.call('ExecEnableArchive', 'POST', body=params)
    assert status == 500 and body['Results'].startswith('Failed to set archive for %s. Error: ' % user['displayName'])


def test_enable_archive_synced_user_refused(api, tenant):
    synced = next(u for u in tenant.users.values() if u.get('onPremisesSyncEnabled') and u['id'] in tenant.mailboxes)
    status, body, _unused = api.call('ExecEnableArchive', 'POST', body={'tenantFilter': domain(tenant), 'id': synced['userPrincipalName']})
    assert status == 500 and 'synchronized with the on-premises directory' in body['Results']


def test_hide_from_gal(api, tenant):
    user = licensed(tenant)
    status, body, _unused = api.call('ExecHideFromGAL', 'POST', params={'tenantFilter': domain(tenant), 'ID': user['userPrincipalName'],
                                                                        'HideFromGAL': 'TRUE'})
    assert status == 200 and body == {'Results': 'Successfully hidden %s from GAL.' % user['userPrincipalName']}
    assert tenant.mailboxes[user['id']]['HiddenFromAddressListsEnabled'] is True
    # Missing HideFromGAL converts to false: unhide.
    status, body, _unused = api.call('ExecHideFromGAL', 'POST', body={'tenantFilter': domain(tenant), 'ID': user['userPrincipalName']})
    assert body == {'Results': 'Successfully unhidden %s from GAL.' % user['userPrincipalName']}
    status, text, ctype = api.call('ExecHideFromGAL', 'POST', body={'tenantFilter': domain(tenant), 'ID': user['userPrincipalName'],
                                                                    'HideFromGAL': 'yes'})
    assert status == 500 and ctype.startswith('text/plain') and "String 'yes' was not recognized as a valid Boolean." in text
    status, body, _unused = api.call('ExecHideFromGAL', 'POST', body={'tenantFilter': domain(tenant), 'ID': 'ghost@x.example',
                                                                      'HideFromGAL': True})
    assert status == 403 and body['Results'].startswith('Failed to set ghost@x.example to hidden in GAL. Error: ')


# ------------------------------------------------------------------ inbox-rule endpoints

def _rules(api, tenant, upn):
    return api.call('ListUserMailboxRules', params={'tenantFilter': domain(tenant), 'UserID': upn})[1]


def test_remove_mailbox_rule_by_identity(api, tenant):
    bad = victim(tenant)
    dot = next(r for r in _rules(api, tenant, bad['userPrincipalName']) if r['Name'] == '.')
    body = {'TenantFilter': domain(tenant), 'ruleId': dot['Identity'], 'ruleName': '.', 'userPrincipalName': bad['userPrincipalName']}
    status, answer, _unused = api.call('ExecRemoveMailboxRule', 'POST', body=body)
    assert status == 200 and answer == {'Results': 'Successfully deleted mailbox rule . for %s' % bad['userPrincipalName']}
    assert '.' not in [r['Name'] for r in _rules(api, tenant, bad['userPrincipalName'])]
    status, answer, _unused = api.call('ExecRemoveMailboxRule', 'POST', params=body)
    assert status == 500 and answer['Results'].startswith('Failed to delete rule for %s. Error: ' % bad['userPrincipalName'])


def test_remove_mailbox_rule_falls_back_to_the_mailbox_in_the_identity(api, tenant):
    bad = victim(tenant)
    rule = next(r for r in _rules(api, tenant, bad['userPrincipalName']) if r['Name'] == 'RSS')
    # A wrong UPN anchor: CIPP retries anchored on the mailbox id taken from the Identity, and succeeds.
    status, answer, _unused = api.call('ExecRemoveMailboxRule', 'POST', body={'TenantFilter': domain(tenant), 'ruleId': rule['Identity'],
                                                                              'ruleName': 'RSS', 'userPrincipalName': 'wrong@x.example'})
    assert status == 200 and answer['Results'] == 'Successfully deleted mailbox rule RSS for wrong@x.example'


def test_remove_mailbox_rule_without_rule_id(api, tenant):
    status, text, ctype = api.call('ExecRemoveMailboxRule', 'POST', body={'TenantFilter': domain(tenant), 'ruleName': 'x'})
    assert status == 500 and ctype.startswith('text/plain') and text == 'You cannot call a method on a null-valued expression.'


def test_set_mailbox_rule_disable_enable(api, tenant):
    bad = victim(tenant)
    upn = bad['userPrincipalName']
    rule = next(r for r in _rules(api, tenant, upn) if r['Name'] == '.')
    body = {'TenantFilter': domain(tenant), 'ruleId': rule['Identity'], 'ruleName': '.', 'userPrincipalName': upn}
    # `-as [bool]`: the string "false" is still true, so this DISABLES the rule.
    status, answer, _unused = api.call('ExecSetMailboxRule', 'POST', body=dict(body, Disable='false'))
    assert status == 200 and answer == {'Results': 'Successfully set mailbox rule . for %s to Disabled' % upn}
    assert next(r for r in _rules(api, tenant, upn) if r['Name'] == '.')['Enabled'] is False
    status, answer, _unused = api.call('ExecSetMailboxRule', 'POST', body=dict(body, Enable=True))
    assert answer == {'Results': 'Successfully set mailbox rule . for %s to Enabled' % upn}
    assert next(r for r in _rules(api, tenant, upn) if r['Name'] == '.')['Enabled'] is True


def test_set_mailbox_rule_errors_are_plain_500s(api, tenant):
    upn = victim(tenant)['userPrincipalName']
    status, text, ctype = api.call('ExecSetMailboxRule', 'POST', body={'TenantFilter': domain(tenant), 'ruleId': 'x',
                                                                       'userPrincipalName': upn})
    assert status == 500 and ctype.startswith('text/plain') and text == 'No state provided for mailbox rule'
    # Body only: query fields are ignored.
    status, text, _unused = api.call('ExecSetMailboxRule', 'POST', params={'TenantFilter': domain(tenant), 'ruleId': 'x', 'Enable': 'true'})
    assert status == 500 and text == 'No state provided for mailbox rule'
    status, text, ctype = api.call('ExecSetMailboxRule', 'POST', body={'TenantFilter': domain(tenant), 'ruleId': 'nope', 'ruleName': 'N',
                                                                       'userPrincipalName': upn, 'Enable': True})
    assert status == 500 and ctype.startswith('text/plain')
    assert text.startswith('Could not set mailbox rule N for %s to Enabled. Error: ' % upn)


def test_readonly_client_can_list_but_not_change(api, tenant):
    reader = Client(api.emu, 'readonly')
    status, _unused, _unused = reader.call('ListMailboxes', params={'tenantFilter': domain(tenant)})
    assert status == 200
    status, text, _unused = reader.call('ExecHideFromGAL', 'POST', body={'tenantFilter': domain(tenant), 'ID': 'x', 'HideFromGAL': True})
    assert status == 403 and text.endswith('Exchange.Mailbox.ReadWrite')


# ------------------------------------------------------------------ the seed (seed_exchange)

def test_seed_has_one_compromised_user_per_tenant_with_a_bec_footprint(api):
    now = api.emu.state.now()
    for tenant_state in api.emu.state.tenants.values():
        bad = [u for u in tenant_state.users.values() if u.get('_compromised')]
        assert len(bad) == 1 and not bad[0]['_isAdmin']
        bad = bad[0]
        mailbox = tenant_state.mailboxes[bad['id']]
        external = mailbox['ForwardingSmtpAddress'][5:]
        assert external.split('@')[1] not in {d['id'] for d in tenant_state.domains}
        assert any(r['_malicious'] and (r['RedirectTo'] or r['ForwardTo']) and r['DeleteMessage'] for r in tenant_state.inbox_rules[bad['id']])
        assert any(r['_malicious'] and r['MarkAsRead'] and 'invoice' in r['SubjectContainsWords'] for r in tenant_state.inbox_rules[bad['id']])
        newest = max(m['createdDateTime'] for m in bad['_mfaMethods'])
        assert newest >= time_text(now - 2 * 86400)
        countries = {s['location']['countryOrRegion'] for s in tenant_state.signins if s['userId'] == bad['id']}
        assert countries - {'NL', 'GB', 'US', 'DE', 'BE'}
        assert any(a['createdDateTime'] >= time_text(now - 2 * 86400) for a in tenant_state.apps)


def test_seed_mailboxes_mfa_and_policies(api):
    states = list(api.emu.state.tenants.values())
    for tenant_state in states:
        shared = [(uid, m) for uid, m in tenant_state.mailboxes.items() if m['RecipientTypeDetails'] == 'SharedMailbox']
        assert shared and tenant_state.users[shared[0][0]]['accountEnabled'] is False
        for user in tenant_state.users.values():
            if not user.get('assignedLicenses'):
                assert user['_mfaMethods'] is None
        licensed_users = [u for u in tenant_state.users.values() if u.get('assignedLicenses') and u['userType'] == 'Member']
        assert any(u['_mfaMethods'] == [] for u in licensed_users) and any(u['_mfaMethods'] for u in licensed_users)
        mailboxes = tenant_state.mailboxes.values()
        assert any(m['ArchiveStatus'] == 'Active' for m in mailboxes) and any(m['HiddenFromAddressListsEnabled'] for m in mailboxes)
        assert any(m['AutoReplyState'] == 'Enabled' for m in mailboxes) and any(m['ForwardingAddress'] for m in mailboxes)
        assert len(tenant_state.inbox_rules) >= 3 and tenant_state.mobile_devices
    assert any(t.ca_policies for t in states) and any(not t.ca_policies for t in states)
    for tenant_state in (t for t in states if t.ca_policies):
        assert tenant_state.security_defaults is False
        everyone = next(p for p in tenant_state.ca_policies if p['includeUsers'] == ['All'] and p['state'] == 'enabled')
        assert len(everyone['excludeUsers']) == 1 and tenant_state.users[everyone['excludeUsers'][0]]['_isAdmin']


def test_large_seed_keeps_the_invariants():
    from cipp_emulator.seed import build_state  # pylint: disable=import-outside-toplevel
    state = build_state('large:12:8')
    for tenant_state in state.tenants.values():
        assert sum(1 for u in tenant_state.users.values() if u.get('_compromised')) == 1
        assert tenant_state.mailboxes


def time_text(epoch):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))


# ------------------------------------------------------------------ mailbox permissions (ExecEditMailboxPermissions)
# Invoke-ExecEditMailboxPermissions.ps1 -> Set-CIPPMailboxPermission.ps1 (execute mode), and its Pester test
# Tests/Endpoint/Invoke-ExecEditMailboxPermissions.Tests.ps1: body userID/tenantfilter, buckets {value: [...]}.

def _edit(api, tenant, mailbox, **buckets):
    body = dict({'tenantFilter': domain(tenant), 'userID': mailbox}, **dict((k, {'value': v}) for k, v in buckets.items()))
    return api.call('ExecEditMailboxPermissions', method='POST', body=body)


def _live(api, tenant, mailbox):
    _status, rows, _unused = api.call('ListmailboxPermissions', params={'tenantFilter': domain(tenant), 'userId': mailbox})
    return rows


def test_edit_mailbox_permissions_grants_each_right_with_cipps_texts(api, tenant):
    owner, trustee = licensed(tenant)['userPrincipalName'], 'info@%s' % domain(tenant)
    other = next(u['userPrincipalName'] for u in tenant.users.values() if u['id'] in tenant.mailboxes and u['userPrincipalName'] != owner)
    status, body, _unused = _edit(api, tenant, owner, AddFullAccessNoAutoMap=[other], AddSendAs=[other], AddSendOnBehalf=[other])
    assert status == 200
    assert body['Results'] == ['Granted %s FullAccess to %s with automapping False' % (other, owner),
                               'Granted %s SendAs permissions to %s' % (other, owner),
                               'Granted %s SendOnBehalf permissions to %s' % (other, owner)]
    rows = _live(api, tenant, owner)
    assert {'User': other, 'Permissions': 'FullAccess'} in rows and {'User': other, 'Permissions': ['SendAs']} in rows
    assert {'User': other, 'Permissions': 'SendOnBehalf'} in rows
    # Automapping is not part of what Get-MailboxPermission returns.
    assert not any('automap' in str(row).lower() for row in rows)
    assert trustee  # the shared mailbox exists for the next test


def test_edit_mailbox_permissions_re_applies_quietly_and_removes(api, tenant):
    owner = licensed(tenant)['userPrincipalName']
    other = next(u['userPrincipalName'] for u in tenant.users.values() if u['id'] in tenant.mailboxes and u['userPrincipalName'] != owner)
    _edit(api, tenant, owner, AddFullAccess=[other])
    status, body, _unused = _edit(api, tenant, owner, AddFullAccess=[other])
    assert status == 200 and body['Results'] == ['Granted %s FullAccess to %s with automapping True' % (other, owner)]
    assert [r for r in _live(api, tenant, owner) if r['User'] == other] == [{'User': other, 'Permissions': 'FullAccess'}]
    status, body, _unused = _edit(api, tenant, owner, RemoveFullAccess=[other], RemoveSendAs=[other])
    assert body['Results'] == ['Removed %s FullAccess from %s' % (other, owner), 'Removed %s SendAs permissions from %s' % (other, owner)]
    assert not [r for r in _live(api, tenant, owner) if r['User'] == other]


def test_edit_mailbox_permissions_failures_are_texts_in_a_200(api, tenant):
    owner = licensed(tenant)['userPrincipalName']
    status, body, _unused = _edit(api, tenant, owner, AddSendAs=['ghost@%s' % domain(tenant)])
    assert status == 200 and body['Results'][0].startswith('Failed to Add SendAs for ghost@%s on %s: ' % (domain(tenant), owner))
    status, body, _unused = _edit(api, tenant, 'nobody@%s' % domain(tenant), AddFullAccess=[owner])
    assert status == 200 and body['Results'][0].startswith('Failed to Add FullAccess for %s on nobody@' % owner)
    assert "couldn't be found" in body['Results'][0]


def test_edit_mailbox_permissions_reads_the_body_only(api, tenant):
    owner = licensed(tenant)['userPrincipalName']
    status, body, _unused = api.call('ExecEditMailboxPermissions', params={'tenantFilter': domain(tenant), 'userID': owner,
                                                                           'AddSendAs': owner})
    # No body userID: `exit` without an answer, an empty 200 as for RemoveUser (CONTRACT 5.18); nothing was granted.
    assert status == 200 and body == '' and owner not in tenant.mailboxes[licensed(tenant)['id']]['SendAs']


# ------------------------------------------------------------------ mobile devices
# Invoke-ListMailboxMobileDevices.ps1; Invoke-ExecMailboxMobileDevices.ps1 -> Set-CIPPMobileDevice.ps1 (query only).

def _with_device(tenant):
    user_id = next(uid for uid, devices in tenant.mobile_devices.items() if devices)
    return tenant.users[user_id], tenant.mobile_devices[user_id][0]


def test_list_mailbox_mobile_devices_shape_and_errors(api, tenant):
    user, device = _with_device(tenant)
    status, rows, _unused = api.call('ListMailboxMobileDevices', params={'tenantFilter': domain(tenant), 'Mailbox': user['userPrincipalName']})
    assert status == 200 and len(rows) == len(tenant.mobile_devices[user['id']])
    assert set(rows[0]) == {'clientType', 'clientVersion', 'deviceAccessState', 'deviceFriendlyName', 'deviceModel', 'deviceOS',
                            'deviceType', 'firstSync', 'lastSyncAttempt', 'lastSuccessSync', 'status', 'deviceID', 'Guid'}
    assert rows[0]['Guid'] == device['Guid'] and rows[0]['deviceID'] == device['DeviceId']
    assert re.match(r'^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d$', rows[0]['firstSync'])  # [DateTime].ToString(), invariant culture
    status, body, _unused = api.call('ListMailboxMobileDevices', params={'tenantFilter': domain(tenant), 'Mailbox': 'ghost@%s' % domain(tenant)})
    assert status == 403 and "couldn't be found" in body[0]


def test_exec_mailbox_mobile_devices_deletes_by_guid_from_the_query(api, tenant):
    user, device = _with_device(tenant)
    query = {'tenantFilter': domain(tenant), 'Userid': user['userPrincipalName'], 'guid': device['Guid'], 'Delete': 'true'}
    status, body, _unused = api.call('ExecMailboxMobileDevices', method='POST', params=query)
    assert status == 200 and body == {'Results': 'Deleted Active Sync Device for %s' % user['userPrincipalName']}
    assert not any(d['Guid'] == device['Guid'] for d in tenant.mobile_devices[user['id']])
    # Again: Remove-MobileDevice cannot find it; Set-CIPPMobileDevice returns the failure text, still HTTP 200.
    status, body, _unused = api.call('ExecMailboxMobileDevices', method='POST', params=query)
    assert status == 200 and body['Results'].startswith('Failed to delete Mobile Device %s: ' % device['Guid'])


def test_exec_mailbox_mobile_devices_ignores_the_body_and_needs_delete(api, tenant):
    user, device = _with_device(tenant)
    body = {'tenantFilter': domain(tenant), 'Userid': user['userPrincipalName'], 'guid': device['Guid'], 'Delete': 'true'}
    status, answer, _unused = api.call('ExecMailboxMobileDevices', method='POST', params={'tenantFilter': domain(tenant)}, body=body)
    assert status == 200 and answer == {'Results': None}
    without_delete = {'tenantFilter': domain(tenant), 'Userid': user['userPrincipalName'], 'guid': device['Guid']}
    status, answer, _unused = api.call('ExecMailboxMobileDevices', method='POST', params=without_delete)
    assert answer == {'Results': None} and any(d['Guid'] == device['Guid'] for d in tenant.mobile_devices[user['id']])
