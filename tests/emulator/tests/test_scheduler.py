"""Contract tests for the emulator's scheduler and offboarding endpoints (CONTRACT.md 7 and 9)."""

import json
import time

import pytest

from conftest import Client, token_for

OFFBOARDING = 'Invoke-CIPPOffboardingJob'


def result_texts(raw):
    """A stored offboarding result: one object for one step (CONTRACT 0.1 C19), an array for several."""
    parsed = json.loads(raw)
    return [parsed['Results']] if isinstance(parsed, dict) else [item['Results'] for item in parsed]


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


def tasks(api, **params):
    status, rows, _unused = api.call('ListScheduledItems', params=params)
    assert status == 200
    return rows


def domain(tenant_state):
    return tenant_state.row['defaultDomainName']


def _plain_member(tenant_state, user):
    mailbox = tenant_state.mailboxes.get(user['id'])
    return bool(mailbox and mailbox['RecipientTypeDetails'] == 'UserMailbox' and user['userType'] == 'Member'
                and user['accountEnabled'] and user.get('assignedLicenses'))


def leaver(tenant_state):
    """A licensed, enabled cloud member (not an admin) with a user mailbox."""
    for user in tenant_state.users.values():
        if _plain_member(tenant_state, user) and not user.get('onPremisesSyncEnabled') and not user.get('_isAdmin'):
            return user
    raise AssertionError('no leaver candidate in the seed')


def offboard(api, tenant_state, upns, **options):
    body = dict({'tenantFilter': {'value': domain(tenant_state), 'label': tenant_state.row['displayName']},
                 'user': [{'value': u, 'label': u} for u in upns]}, **options)
    return api.call('ExecOffboardUser', 'POST', body=body)


def run_until_done(api):
    return api.control('scheduler/run', {'until': 'done'})


def offboarding_task(api, tenant_state, upn):
    rows = tasks(api, Type=OFFBOARDING, tenantFilter=domain(tenant_state), Name='Offboarding: %s' % upn)
    assert len(rows) == 1, rows
    return rows[0]


# ------------------------------------------------------------------ ExecOffboardUser: validation and queuing

@pytest.mark.parametrize('body, expected', [
    ({'user': [{'value': 'a@b.c'}], 'RevokeSessions': True}, "'tenantFilter' is required"),
    ({'tenantFilter': {'value': ''}, 'user': ['a@b.c'], 'RevokeSessions': True}, "'tenantFilter' is required"),
    ({'tenantFilter': 'contoso.com', 'RevokeSessions': True}, "'user' is required and must be a non-empty array"),
    ({'tenantFilter': 'contoso.com', 'user': [{'label': 'no value'}], 'RevokeSessions': True}, "'user' did not resolve to any usable"),
    ({'tenantFilter': 'contoso.com', 'user': ['jdoe', {'value': 'x@y.z'}], 'RevokeSessions': True},
     "These user values do not look like userPrincipalNames (missing '@'): jdoe."),
    ({'tenantFilter': 'contoso.com', 'user': ['a@b.c'], 'RevokeSessions': True, 'Scheduled': {'enabled': True, 'date': 'tomorrow'}},
     "'Scheduled.enabled' is true but 'Scheduled.date' is not a valid Unix timestamp."),
    ({'tenantFilter': 'contoso.com', 'user': ['a@b.c'], 'RevokeSessions': 'yes', 'forward': ''}, 'No offboarding actions were selected.'),
])
def test_offboard_validation_400(api, body, expected):
    status, answer, _unused = api.call('ExecOffboardUser', 'POST', body=body)
    assert status == 400 and any(text.startswith(expected) for text in answer['Results']), answer
    assert api.emu.state.scheduled_tasks == {}


def test_offboard_validation_collects_every_error(api):
    status, answer, _unused = api.call('ExecOffboardUser', 'POST', body={'user': []})
    assert status == 400 and len(answer['Results']) == 3


def test_offboard_run_now_queues_one_task_per_user_and_allows_duplicates(api, tenant):
    one, two = [u['userPrincipalName'] for u in list(tenant.users.values())[4:6]]
    status, answer, _unused = offboard(api, tenant, [one, two], RevokeSessions=True)
    assert status == 200
    assert answer == {'Results': ['Task Offboarding: %s scheduled to run now' % one, 'Task Offboarding: %s scheduled to run now' % two]}
    offboard(api, tenant, [one], RevokeSessions=True)
    rows = tasks(api, Type=OFFBOARDING, tenantFilter=domain(tenant))
    assert sorted(r['Name'] for r in rows) == sorted(['Offboarding: %s' % one] * 2 + ['Offboarding: %s' % two])


def test_offboard_scheduled_relative_time_and_row_shape(api, tenant):
    upn = leaver(tenant)['userPrincipalName']
    when = int(api.emu.state.now()) + 2 * 86400 + 3 * 3600 + 30
    status, answer, _unused = offboard(api, tenant, [upn], HideFromGAL=True, Scheduled={'enabled': True, 'date': when}, reference='TICKET-42',
                                       AccessSendAs=[{'value': 'x@y.z'}], HIDDEN_note='kept as given', postExecution={'webhook': True})
    assert status == 200
    assert answer == {'Results': ['Successfully added task: Offboarding: %s. It will run in 2 days and 3 hours.' % upn]}
    row = offboarding_task(api, tenant, upn)
    assert row['TaskState'] == 'Planned' and row['Results'] == 'Planned' and row['Command'] == OFFBOARDING
    assert row['Tenant'] == {'label': domain(tenant), 'value': domain(tenant), 'type': 'Tenant'}
    assert row['Recurrence'] == 'Once' and row['Reference'] == 'TICKET-42' and row['PostExecution'] == 'Webhook'
    assert row['Hidden'] is False and 'ExecutedTime' not in row
    assert not [key for key in row if key.startswith('_')]
    assert row['ScheduledTime'] == time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(when))
    params = row['Parameters']
    assert params['Username'] == upn and params['APIName'] == 'Scheduled Offboarding' and params['RunScheduled'] is True
    # Options are copied as given, minus user/tenantFilter/Scheduled; ignored options (AccessSendAs) are kept too.
    assert params['options'] == {'HideFromGAL': True, 'reference': 'TICKET-42', 'AccessSendAs': [{'value': 'x@y.z'}],
                                 'HIDDEN_note': 'kept as given', 'postExecution': {'webhook': True}}
    # Not due yet: running the scheduler changes nothing.
    run_until_done(api)
    assert offboarding_task(api, tenant, upn)['TaskState'] == 'Planned'


def test_offboard_past_date_runs_at_the_next_tick(api, tenant):
    upn = leaver(tenant)['userPrincipalName']
    _unused, answer, _unused = offboard(api, tenant, [upn], HideFromGAL=True, Scheduled={'enabled': True, 'date': 1000})
    text = answer['Results'][0]
    assert text.startswith('Successfully added task: Offboarding: %s. It will run in ' % upn)
    assert text.endswith(('minutes.', 'minute.', 'less than a minute.'))


# ------------------------------------------------------------------ execution

def test_polling_sees_planned_processing_completed(api, tenant):
    user = leaver(tenant)
    upn = user['userPrincipalName']
    offboard(api, tenant, [upn], DisableSignIn=True, ResetPass=True, RevokeSessions=True, HideFromGAL=True)
    states = [offboarding_task(api, tenant, upn)['TaskState'] for _unused in range(3)]
    assert states == ['Planned', 'Processing', 'Completed']
    row = offboarding_task(api, tenant, upn)
    assert 'ExecutedTime' in row
    results = json.loads(row['Results'])  # a JSON *string* in ListScheduledItems
    texts = [r['Results'] for r in results]
    # Fixed order of CONTRACT 7.4: sessions, password, sign-in, GAL - not the order the options were sent in.
    assert texts[0] == 'Successfully revoked sessions for %s' % upn
    assert texts[1].startswith('Successfully reset the password for %s, %s. User must change password is set to True.'
                               % (user['displayName'], upn))
    assert texts[2] == 'Successfully set account enabled state to False for %s' % upn
    assert texts[3] == 'Successfully hidden %s from GAL.' % upn
    assert user['accountEnabled'] is False and tenant.mailboxes[user['id']]['HiddenFromAddressListsEnabled'] is True


def test_scheduler_run_control_advances_one_stage_per_call(api, tenant):
    api.control('scheduler/config', {'lazy': False})
    upn = leaver(tenant)['userPrincipalName']
    offboard(api, tenant, [upn], RevokeSessions=True)
    assert offboarding_task(api, tenant, upn)['TaskState'] == 'Planned'
    assert offboarding_task(api, tenant, upn)['TaskState'] == 'Planned'  # lazy advance is off
    api.control('scheduler/run')
    assert offboarding_task(api, tenant, upn)['TaskState'] == 'Processing'
    assert offboarding_task(api, tenant, upn)['Results'] == 'Orchestration in progress'
    api.control('scheduler/run')
    assert offboarding_task(api, tenant, upn)['TaskState'] == 'Completed'


def test_lazy_advance_respects_the_delay(api, tenant):
    api.control('scheduler/config', {'delay': 30})
    upn = leaver(tenant)['userPrincipalName']
    offboard(api, tenant, [upn], RevokeSessions=True)
    for _unused in range(3):
        assert offboarding_task(api, tenant, upn)['TaskState'] == 'Planned'
    advance(api, 31)
    offboarding_task(api, tenant, upn)
    assert offboarding_task(api, tenant, upn)['TaskState'] == 'Processing'


def test_missing_user_fails_the_task(api, tenant):
    offboard(api, tenant, ['ghost@%s' % domain(tenant)], RevokeSessions=True)
    run_until_done(api)
    row = offboarding_task(api, tenant, 'ghost@%s' % domain(tenant))
    assert row['TaskState'] == 'Failed' and row['Results'].startswith('Task Failed: @{Message=')
    assert "Resource 'ghost@%s' does not exist" % domain(tenant) in row['Results']


def test_a_failing_step_does_not_stop_the_rest(api, tenant):
    user = leaver(tenant)
    upn = user['userPrincipalName']
    api.control('step-failure', {'tenant': domain(tenant), 'upn': upn, 'step': 'RevokeSessions', 'message': 'Graph said no'})
    offboard(api, tenant, [upn], RevokeSessions=True, DisableSignIn=True)
    run_until_done(api)
    row = offboarding_task(api, tenant, upn)
    texts = [r['Results'] for r in json.loads(row['Results'])]
    assert row['TaskState'] == 'Completed'
    assert texts == ['Failed to execute Revoke-CIPPSessions : Graph said no',
                     'Successfully set account enabled state to False for %s' % upn]
    assert user['_sessionsRevokedAt'] is None and user['accountEnabled'] is False


def test_mailbox_steps_groups_rules_and_convert(api, tenant):
    user = next(u for u in tenant.users.values() if u.get('_compromised'))
    upn = user['userPrincipalName']
    before = [g for g in tenant.groups.values() if user['id'] in g['_members']]
    offboard(api, tenant, [upn], RemoveGroups=True, RemoveRules=True, ConvertToShared=True, disableForwarding=True,
             OOO='<p>Gone</p>', RemoveMFADevices=True)
    run_until_done(api)
    texts = result_texts(offboarding_task(api, tenant, upn)['Results'])
    dynamic = [g for g in before if g.get('membershipRule')]
    assert any("because it is a Dynamic Group." in t for t in texts) == bool(dynamic)
    assert 'Successfully deleted all rules for %s' % upn in texts
    assert 'Set Out-of-office for %s to Enabled.' % upn in texts
    assert 'Successfully disabled forwarding for %s' % upn in texts
    assert 'Successfully converted %s to a Shared mailbox' % upn in texts
    assert any(t.startswith('Successfully removed MFA methods (') for t in texts)
    order = [texts.index(t) for t in texts if t.startswith(('Successfully deleted all rules', 'Set Out-of-office', 'Successfully disabled'
                                                            ' forwarding', 'Successfully converted'))]
    assert order == sorted(order)
    mailbox = tenant.mailboxes[user['id']]
    assert mailbox['RecipientTypeDetails'] == 'SharedMailbox' and mailbox['ForwardingSmtpAddress'] is None
    assert mailbox['AutoReplyState'] == 'Enabled' and tenant.inbox_rules[user['id']] == []
    assert all(user['id'] not in g['_members'] for g in tenant.groups.values() if not g.get('membershipRule') and not g.get('onPremisesSyncEnabled'))


def test_forward_needs_a_value_object(api, tenant):
    user = leaver(tenant)
    target = next(u for u in tenant.users.values() if u['id'] in tenant.mailboxes and u['id'] != user['id'])
    offboard(api, tenant, [user['userPrincipalName']], forward=target['userPrincipalName'])
    run_until_done(api)
    row = offboarding_task(api, tenant, user['userPrincipalName'])
    # A bare string passes validation but the job reads forward.value: nothing is set and no line is written.
    assert row['TaskState'] == 'Completed' and row['Results'] == 'Offboarding completed successfully for %s' % user['userPrincipalName']
    assert tenant.mailboxes[user['id']]['ForwardingAddress'] is None
    api.call('RemoveScheduledItem', 'POST', body={'id': row['RowKey']})
    offboard(api, tenant, [user['userPrincipalName']], forward={'value': target['userPrincipalName']}, KeepCopy=True)
    run_until_done(api)
    texts = result_texts(offboarding_task(api, tenant, user['userPrincipalName'])['Results'])
    assert texts == ['Successfully set forwarding for %s to Internal Address %s with keeping a copy set to True'
                     % (user['userPrincipalName'], target['userPrincipalName'])]
    assert tenant.mailboxes[user['id']]['ForwardingAddress'] == target['mailNickname']


def test_remove_licenses_is_a_separate_task_five_minutes_later(api, tenant):
    user = leaver(tenant)
    upn = user['userPrincipalName']
    offboard(api, tenant, [upn], RemoveLicenses=True)
    run_until_done(api)
    texts = result_texts(offboarding_task(api, tenant, upn)['Results'])
    assert texts[0].startswith('Scheduled license removal for %s. Licenses currently assigned that will be removed: ' % upn)
    assert user['assignedLicenses']  # still licensed
    removal = tasks(api, Name='Remove License: %s' % upn)
    assert len(removal) == 1 and removal[0]['Command'] == 'Remove-CIPPLicense' and removal[0]['TaskState'] == 'Planned'
    run_until_done(api)
    assert user['assignedLicenses'] and tasks(api, Name='Remove License: %s' % upn)[0]['TaskState'] == 'Planned'
    advance(api, 301)
    run_until_done(api)
    row = tasks(api, Name='Remove License: %s' % upn)[0]
    assert row['TaskState'] == 'Completed' and user['assignedLicenses'] == []
    assert json.loads(row['Results'])['Results'].startswith('Removed directly assigned licenses for %s: ' % upn)


def test_delete_user_and_clear_immutable_id_of_a_synced_user(api, tenant):
    ad_user = next(u for u in tenant.users.values() if u.get('onPremisesSyncEnabled'))
    upn = ad_user['userPrincipalName']
    offboard(api, tenant, [upn], ClearImmutableId=True, DeleteUser=True)
    run_until_done(api)
    texts = result_texts(offboarding_task(api, tenant, upn)['Results'])
    assert texts == ['Scheduled Immutable ID clear task for when the user account is no longer synced in the on-premises directory.',
                     "Successfully deleted user with ID: '%s' and Username: '%s'" % (ad_user['id'], upn)]
    assert ad_user['id'] in tenant.deleted and ad_user['id'] not in tenant.users
    assert len(tasks(api, Name='Clear Immutable ID: %s' % upn)) == 1


# ------------------------------------------------------------------ AddScheduledItem and friends

def test_add_scheduled_item_texts(api, tenant):
    task = {'TenantFilter': domain(tenant), 'Name': 'Reset later', 'Command': {'value': 'Set-CIPPSignInState'},
            'Parameters': {'UserID': leaver(tenant)['userPrincipalName'], 'AccountEnabled': False},
            'ScheduledTime': int(api.emu.state.now()) + 14 * 60 + 10}
    status, answer, _unused = api.call('AddScheduledItem', 'POST', body=task)
    assert status == 200 and answer == {'Results': 'Successfully added task: Reset later. It will run in about 14 minutes.'}
    _unused, answer, _unused = api.call('AddScheduledItem', 'POST', params={'DisallowDuplicateName': 'true'}, body=task)
    assert answer == {'Results': 'Task with name Reset later already exists'}
    _unused, answer, _unused = api.call('AddScheduledItem', 'POST', body=dict(task, Command='Get-GraphToken'))
    assert answer == {'Results': "Error - The command 'Get-GraphToken' is not permitted to run as a scheduled task."}
    _unused, answer, _unused = api.call('AddScheduledItem', 'POST', body=dict(task, Command={'value': 'Invoke-Nothing'}))
    assert answer == {'Results': "Error - The command 'Invoke-Nothing' does not exist and cannot be scheduled."}
    _unused, answer, _unused = api.call('AddScheduledItem', 'POST', body=dict(task, Name='Now please', RunNow=True))
    assert answer == {'Results': 'Task Now please scheduled to run now'}


def test_generic_task_runs_and_stores_its_result(api, tenant):
    user = leaver(tenant)
    api.call('AddScheduledItem', 'POST', body={'TenantFilter': domain(tenant), 'Name': 'Block now', 'Command': 'Set-CIPPSignInState',
                                               'Parameters': {'UserID': user['userPrincipalName'], 'AccountEnabled': False}})
    api.control('scheduler/run')
    assert tasks(api, Name='Block now')[0]['TaskState'] == 'Running'
    api.control('scheduler/run')
    row = tasks(api, Name='Block now')[0]
    assert row['TaskState'] == 'Completed' and user['accountEnabled'] is False
    assert json.loads(row['Results']) == {'Results': 'Successfully set account enabled state to False for %s' % user['userPrincipalName']}


def test_list_filters(api, tenant):
    other = list(api.emu.state.tenants.values())[1]
    offboard(api, tenant, [leaver(tenant)['userPrincipalName']], RevokeSessions=True)
    offboard(api, other, [leaver(other)['userPrincipalName']], RevokeSessions=True)
    api.call('AddScheduledItem', 'POST', params={'hidden': 'false'},  # present at all = hidden
             body={'TenantFilter': tenant.row['customerId'], 'Name': 'Hidden job', 'Command': 'Set-CIPPSignInState',
                   'ScheduledTime': int(api.emu.state.now()) + 3600})
    api.control('scheduler/config', {'lazy': False})
    assert len(tasks(api, )) == 2
    assert [r['Tenant']['value'] for r in tasks(api, tenantFilter=tenant.row['customerId'])] == [domain(tenant)]
    assert len(tasks(api, tenantFilter=domain(other).upper())) == 1
    assert len(tasks(api, SearchTitle='*offboarding*')) == 2 and tasks(api, SearchTitle='Offboarding') == []
    assert tasks(api, Name='offboarding: %s' % leaver(tenant)['userPrincipalName']) == []  # Name is exact
    hidden = tasks(api, ShowHidden='true')
    assert [r['Name'] for r in hidden] == ['Hidden job']  # only hidden tasks
    # The stored customerId is shown as the tenant's domain, and tenantFilter by domain finds it too.
    assert hidden[0]['Tenant']['value'] == domain(tenant)
    assert [r['Name'] for r in tasks(api, ShowHidden='true', tenantFilter=domain(tenant))] == ['Hidden job']
    assert [r['Name'] for r in tasks(api, Id=hidden[0]['RowKey'])] == ['Hidden job']  # Id ignores the hidden filter


def test_details_and_remove(api, tenant):
    upn = leaver(tenant)['userPrincipalName']
    offboard(api, tenant, [upn], RevokeSessions=True)
    run_until_done(api)
    row = offboarding_task(api, tenant, upn)
    status, text, ctype = api.call('ListScheduledItemDetails')
    assert status == 400 and ctype.startswith('text/plain') and text == "Required parameter 'RowKey' is missing"
    status, text, _unused = api.call('ListScheduledItemDetails', params={'RowKey': 'nope'})
    assert status == 404 and text == "Task with RowKey 'nope' not found"
    status, details, _unused = api.call('ListScheduledItemDetails', params={'RowKey': row['RowKey']})
    assert status == 200 and details['Task']['TaskState'] == 'Completed'
    assert details['Details'][0]['Results'] == [{'Results': 'Successfully revoked sessions for %s' % upn}]
    status, answer, _unused = api.call('RemoveScheduledItem', 'POST', params={'id': row['RowKey']})
    assert status == 200 and answer == {'Results': 'Task removed successfully.'}
    assert tasks(api, Id=row['RowKey']) == []
    status, answer, _unused = api.call('RemoveScheduledItem', 'POST', body={'id': 'does-not-exist'})
    assert status == 200
    status, answer, _unused = api.call('RemoveScheduledItem', 'POST')
    assert status == 400 and answer == {'Results': 'Task removed successfully.'}


def test_scheduler_roles(api, tenant):
    reader = Client(api.emu, 'readonly')
    status, _unused, _unused = reader.call('ListScheduledItems')
    assert status == 200
    status, text, _unused = reader.call('ExecOffboardUser', 'POST', body={'tenantFilter': domain(tenant), 'user': ['a@b.c'], 'ResetPass': True})
    assert status == 403 and text.endswith('Identity.User.ReadWrite')


def test_scheduled_add_user_runs_when_due(api, tenant):
    body = {'tenantFilter': domain(tenant), 'username': 'future.hire', 'Domain': domain(tenant),
            'PrimDomain': {'value': domain(tenant), 'label': domain(tenant)}, 'displayName': 'Future Hire',
            'Scheduled': {'Enabled': True, 'date': int(api.emu.state.now()) + 600}}
    status, answer, _unused = api.call('AddUser', 'POST', body=body)
    assert status == 200, answer
    row = tasks(api, Type='New-CIPPUserTask')[0]
    assert row['TaskState'] == 'Planned' and row['Name'] == 'New user creation: future.hire@%s' % domain(tenant)
    advance(api, 601)
    run_until_done(api)
    row = tasks(api, Type='New-CIPPUserTask')[0]
    assert row['TaskState'] == 'Completed', row
    assert tenant.find_user('future.hire@%s' % domain(tenant)) is not None
    assert json.loads(row['Results'])[0] == {'Results': 'Created New User.'}


def test_scheduled_edit_user_runs_when_due(api, tenant):
    user = leaver(tenant)
    username, user_domain = user['userPrincipalName'].split('@')
    body = {'tenantFilter': domain(tenant), 'id': user['id'], 'username': username, 'Domain': user_domain,
            'displayName': user['displayName'], 'jobTitle': 'Chief Emulation Officer',
            'Scheduled': {'Enabled': True, 'date': int(api.emu.state.now()) + 60}}
    status, answer, _unused = api.call('EditUser', 'POST', body=body)
    assert status == 200, answer
    assert user['jobTitle'] != 'Chief Emulation Officer'
    advance(api, 61)
    run_until_done(api)
    row = tasks(api, Type='Set-CIPPUser')[0]
    assert row['TaskState'] == 'Completed', row
    assert user['jobTitle'] == 'Chief Emulation Officer'
    assert {'Results': 'Success. The user has been edited.'} in json.loads(row['Results'])


def test_a_throwing_command_still_completes_with_task_failed_text(api, tenant):
    # Push-ExecScheduledCommand catches the throw, stores "Task Failed: ..." and marks a one-off task Completed.
    api.call('AddScheduledItem', 'POST', body={'TenantFilter': domain(tenant), 'Name': 'Block a ghost', 'Command': 'Set-CIPPSignInState',
                                               'Parameters': {'UserID': 'ghost@%s' % domain(tenant), 'AccountEnabled': False}})
    run_until_done(api)
    row = tasks(api, Name='Block a ghost')[0]
    assert row['TaskState'] == 'Completed'
    assert json.loads(row['Results'])['Results'].startswith('Task Failed: Failed to set sign-in state for ghost@%s. Error: ' % domain(tenant))


def test_recurring_task_is_planned_again(api, tenant):
    user = leaver(tenant)
    api.call('AddScheduledItem', 'POST', body={'TenantFilter': domain(tenant), 'Name': 'Nightly revoke', 'Command': 'Revoke-CIPPSessions',
                                               'Parameters': {'UserID': user['id'], 'Username': user['userPrincipalName']},
                                               'Recurrence': {'value': '1d', 'label': 'Every day'}})
    run_until_done(api)
    row = tasks(api, Name='Nightly revoke')[0]
    assert row['TaskState'] == 'Planned' and row['Recurrence'] == '1d' and user['_sessionsRevokedAt']
    assert json.loads(row['Results']) == {'Results': 'Successfully revoked sessions for %s' % user['userPrincipalName']}


def test_scheduled_add_user_that_fails_shows_the_hashtable(api, tenant):
    taken = leaver(tenant)['userPrincipalName'].split('@')[0]
    body = {'tenantFilter': domain(tenant), 'username': taken, 'Domain': domain(tenant), 'displayName': 'Clash',
            'PrimDomain': {'value': domain(tenant)}, 'Scheduled': {'Enabled': True, 'date': int(api.emu.state.now()) + 60}}
    api.call('AddUser', 'POST', body=body)
    advance(api, 61)
    run_until_done(api)
    row = tasks(api, Type='New-CIPPUserTask')[0]
    assert row['TaskState'] == 'Completed'
    assert json.loads(row['Results']) == {'Results': 'Task Failed: System.Collections.Hashtable'}
