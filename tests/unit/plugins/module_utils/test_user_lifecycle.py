# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cipp_user decisions, driven through a scripted client: what is read, what is written, and why.

The client here is a small fake that answers reads from canned data and records writes; the HTTP
behaviour itself is covered by the client tests and by the integration tests against the emulator.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippWriteUncertainError
from ansible_collections.msp.cipp.plugins.module_utils._user_lifecycle import ensure_user

TENANT = 'contoso.com'
E3 = '6fd2c87f-b296-42f0-b197-1e91e994b900'
SPB = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46'
FINANCE = '11111111-2222-4333-8444-555555555555'
SALES = '22222222-2222-4333-8444-555555555555'
DYNAMIC = '33333333-2222-4333-8444-555555555555'

JANE = {
    'id': 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', 'userPrincipalName': 'jdoe@contoso.com', 'displayName': 'Jane Doe',
    'givenName': 'Jane', 'surname': 'Doe', 'jobTitle': 'Accountant', 'department': 'Finance', 'accountEnabled': True,
    'usageLocation': 'US', 'mobilePhone': '+1 555 0100', 'businessPhones': [], 'otherMails': ['Jane@Example.org'],
    'assignedLicenses': [{'skuId': SPB, 'disabledPlans': []}], 'onPremisesSyncEnabled': None,
    'manager': {'id': 'mmmmmmmm-bbbb-4ccc-8ddd-eeeeeeeeeeee', 'userPrincipalName': 'cfo@contoso.com'},
}


class ScriptedClient:
    """Answers reads from ``users``/``reads``; records every write; honours check mode like CippClient."""

    def __init__(self, users=(), check_mode=False, flag=False, uncertain=()):
        self.users = [copy.deepcopy(user) for user in users]
        self.check_mode = check_mode
        self.flag = flag
        self.uncertain = set(uncertain)
        self.reads = []
        self.writes = []
        self.planned = []

    def call(self, endpoint, params=None, tenant=None, check_results=True):
        params = params or {}
        self.reads.append(endpoint)
        if endpoint == 'ListUsers':
            field, _eq, value = params['graphFilter'].split(' ', 2)
            value = value.strip("'").replace("''", "'").lower()
            key = 'id' if field == 'id' else 'userPrincipalName'
            return [user for user in self.users if (user.get(key) or '').lower() == value]
        if endpoint == 'ListGraphRequest':
            return {'Results': self.graph(params), 'Metadata': {}}
        if endpoint == 'ListLicenses':
            # CIPP's overview: display names in skuPartNumber (CONTRACT 0.1 C2).
            return [{'skuId': SPB, 'skuPartNumber': 'Microsoft 365 Business Premium', 'License': 'Microsoft 365 Business Premium',
                     'CountAvailable': 3},
                    {'skuId': E3, 'skuPartNumber': 'Office 365 E3', 'License': 'Office 365 E3', 'CountAvailable': 0,
                     'CountUsed': '25', 'TotalLicenses': '25'}]
        if endpoint == 'ListGroups':
            return [{'id': FINANCE, 'displayName': 'Finance'}, {'id': SALES, 'displayName': 'Sales'},
                    {'id': DYNAMIC, 'displayName': 'All Staff', 'groupTypes': ['DynamicMembership']}]
        raise AssertionError('unexpected read %s' % endpoint)

    def graph(self, params):
        """ListGraphRequest's Results for the Graph endpoints the client reads."""
        endpoint = params['Endpoint']
        if endpoint == 'domains':
            return [{'id': 'contoso.com', 'isDefault': True, 'isVerified': True},
                    {'id': 'contoso.onmicrosoft.com', 'isInitial': True, 'isVerified': True}]
        if endpoint == 'subscribedSkus':
            return [{'skuId': SPB, 'skuPartNumber': 'SPB', 'consumedUnits': 7, 'prepaidUnits': {'enabled': 10}},
                    {'skuId': E3, 'skuPartNumber': 'ENTERPRISEPACK', 'consumedUnits': 25, 'prepaidUnits': {'enabled': 25}}]
        if endpoint == 'users':
            value = params['$filter'].split(' ', 2)[2].strip("'").lower()
            return [user for user in self.users if (user.get('userPrincipalName') or '').lower() == value]
        if endpoint.endswith('/memberOf'):
            return [{'@odata.type': '#microsoft.graph.group', 'id': FINANCE, 'displayName': 'Finance', 'securityEnabled': True}]
        return [{'id': endpoint.split('/')[1], 'passwordProfile': {'forceChangePasswordNextSignIn': self.flag}}]

    def apply(self, endpoint, params):
        """The effect of a write on the scripted tenant, so the re-read after a write sees it."""
        if endpoint == 'EditUser':
            user = next(user for user in self.users if user['id'] == params['id'])
            for key, value in params.items():
                if key not in ('id', 'username', 'Domain', 'MustChangePass', 'password', 'clearProperties', 'defaultAttributes', 'setManager'):
                    user[key] = value
            for name in params.get('clearProperties') or []:
                user[name] = None
            user['userPrincipalName'] = '%s@%s' % (params['username'], params['Domain'])
        elif endpoint == 'ExecBulkLicense':
            for item in params:
                user = next(user for user in self.users if user['id'] == item['userIds'][0])
                skus = [lic['skuId'] for lic in user.get('assignedLicenses') or []]
                removes = [ref['value'] for ref in item.get('LicensesToRemove') or item.get('LicensesToReplace') or []]
                skus = [sku for sku in skus if sku not in removes] + [ref['value'] for ref in item.get('Licenses') or []]
                user['assignedLicenses'] = [{'skuId': sku, 'disabledPlans': []} for sku in skus]
        elif endpoint == 'ExecDisableUser':
            for user in self.users:
                if params['ID'] in (user['id'], user['userPrincipalName']):
                    user['accountEnabled'] = params['Enable']
        elif endpoint == 'AddUser':
            self.users.append({'id': 'ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee', 'userPrincipalName': '%s@%s' % (params['username'], params['Domain']),
                               'accountEnabled': True, 'assignedLicenses': []})
        elif endpoint == 'RemoveUser':
            self.users = [user for user in self.users if user['id'] != params['ID']]

    def write(self, endpoint, params=None, tenant=None, check_results=True):
        if self.check_mode:
            self.planned.append((endpoint, params))
            return None
        if endpoint in self.uncertain:
            self.writes.append((endpoint, params))
            raise CippWriteUncertainError('lost', endpoint=endpoint)
        self.writes.append((endpoint, params))
        self.apply(endpoint, params)
        if endpoint == 'AddUser':
            return {'Results': ['Created New User.', {'resultText': 'Username: x', 'copyField': 'x', 'state': 'success'},
                                {'resultText': 'Password: Gen3rated!Pw', 'copyField': 'Gen3rated!Pw', 'state': 'success'}]}
        return {'Results': ['Success']}


def params(**overrides):
    base = dict(tenant=TENANT, user_principal_name='jdoe@contoso.com', id=None, state='present', account_enabled=None,
                manager=None, password=None, update_password='on_create', must_change_password=None, return_password=False,
                licenses=None, groups=None)
    for option in ('display_name', 'given_name', 'surname', 'job_title', 'department', 'company_name', 'office_location',
                   'street_address', 'city', 'state_or_province', 'postal_code', 'country', 'mobile_phone',
                   'business_phones', 'other_mails', 'usage_location'):
        base[option] = None
    base.update(overrides)
    return base


def test_an_up_to_date_user_costs_one_read_and_no_write():
    client = ScriptedClient([JANE])
    result = ensure_user(client, params(job_title='Accountant', department='Finance', usage_location='us',
                                        other_mails=['jane@example.org'], licenses={'add': [SPB]}), False)
    assert result['changed'] is False
    assert client.reads == ['ListUsers']
    assert client.writes == []


def test_an_edit_sends_only_what_differs_and_keeps_the_pending_password_flag():
    client = ScriptedClient([JANE], flag=True)
    result = ensure_user(client, params(job_title='Senior Accountant', department='Finance'), False)
    assert result['changed'] is True
    assert [name for name, _body in client.writes] == ['EditUser']
    body = client.writes[0][1]
    assert body['jobTitle'] == 'Senior Accountant'
    assert 'department' not in body
    # CIPP rebuilds the UPN from username + Domain on every EditUser and rewrites the flag.
    assert (body['id'], body['username'], body['Domain']) == (JANE['id'], 'jdoe', 'contoso.com')
    assert body['MustChangePass'] is True
    assert result['diff'] == {'before': {'state': 'present', 'job_title': 'Accountant'},
                              'after': {'state': 'present', 'job_title': 'Senior Accountant'}}


def test_an_empty_string_clears_through_clear_properties():
    client = ScriptedClient([JANE])
    ensure_user(client, params(mobile_phone='', other_mails=[]), False)
    body = client.writes[0][1]
    assert sorted(body['clearProperties']) == ['mobilePhone', 'otherMails']
    assert 'mobilePhone' not in body


@pytest.mark.parametrize('option', ['display_name', 'usage_location', 'office_location'])
def test_fields_cipp_cannot_clear_fail_before_any_call(option):
    client = ScriptedClient([JANE])
    with pytest.raises(CippConfigError, match=option):
        ensure_user(client, params(**{option: ''}), False)
    assert client.reads == [] and client.writes == []


@pytest.mark.parametrize('overrides, option', [
    (dict(usage_location='USA'), 'usage_location'),
    (dict(user_principal_name='not-an-upn'), 'user_principal_name'),
    (dict(id='1234'), 'id'),
    (dict(manager='nobody'), 'manager'),
    (dict(update_password='always'), 'update_password'),
    (dict(state='absent', job_title='x'), 'state=absent'),
    (dict(licenses={'add': None, 'remove': None, 'set': None}), 'licenses'),
])
def test_bad_input_names_the_option_and_sends_nothing(overrides, option):
    client = ScriptedClient([JANE])
    with pytest.raises(CippConfigError, match=option):
        ensure_user(client, params(**overrides), False)
    assert client.reads == [] and client.writes == []


CFO = {'id': 'mmmmmmmm-bbbb-4ccc-8ddd-eeeeeeeeeeee', 'userPrincipalName': 'cfo@contoso.com', 'displayName': 'The CFO'}


def test_create_sends_one_add_user_with_licences_groups_and_manager():
    client = ScriptedClient([JANE, CFO])
    result = ensure_user(client, params(user_principal_name='new.hire@contoso.com', given_name='New', surname='Hire',
                                        usage_location='gb', licenses={'add': ['spb']}, groups={'add': ['Sales']},
                                        manager='cfo@contoso.com', return_password=True), False)
    assert result['changed'] is True
    assert [name for name, _body in client.writes] == ['AddUser']
    body = client.writes[0][1]
    assert (body['username'], body['Domain'], body['displayName']) == ('new.hire', 'contoso.com', 'New Hire')
    assert body['usageLocation'] == 'GB'
    assert body['licenses'] == [{'value': SPB, 'label': 'SPB'}]
    assert body['AddToGroups'][0]['value'] == SALES
    assert body['MustChangePass'] is True
    # The manager by object id: Set-CIPPManager pastes it into a Graph URL (a guest's '#' would cut a UPN there).
    assert body['setManager'] == {'value': CFO['id'], 'label': 'cfo@contoso.com'}
    assert result['password'] == 'Gen3rated!Pw'
    assert result['_returned_secrets'] == ['password']


def test_create_on_a_foreign_domain_fails_before_any_write():
    client = ScriptedClient([])
    with pytest.raises(CippConfigError, match='fabrikam.com is not a domain'):
        ensure_user(client, params(user_principal_name='x@fabrikam.com'), False)
    assert client.writes == []


def test_licences_need_a_usage_location_and_a_free_seat():
    nowhere = dict(JANE, usageLocation=None, assignedLicenses=[])
    with pytest.raises(CippConfigError, match='usage location'):
        ensure_user(ScriptedClient([nowhere]), params(licenses={'add': ['SPB']}), False)
    with pytest.raises(CippConfigError, match=r'new assignment\(s\) of ENTERPRISEPACK but only 0 free seat'):
        ensure_user(ScriptedClient([JANE]), params(licenses={'add': ['ENTERPRISEPACK']}), False)


def test_licence_set_adds_and_removes_in_one_bulk_call():
    client = ScriptedClient([JANE])
    result = ensure_user(client, params(licenses={'set': []}), False)
    assert [name for name, _body in client.writes] == ['ExecBulkLicense']
    (remove,) = client.writes[0][1]
    assert remove['LicenseOperation'] == 'Remove' and remove['LicensesToRemove'][0]['value'] == SPB
    assert result['diff']['after']['licenses'] == []


def test_group_changes_go_through_edit_group_and_dynamic_groups_are_refused():
    client = ScriptedClient([JANE])
    ensure_user(client, params(groups={'set': ['Sales']}), False)
    assert [(name, sorted(body)) for name, body in client.writes] == [
        ('EditGroup', ['AddMember', 'groupId', 'groupName']), ('EditGroup', ['RemoveMember', 'groupId', 'groupName'])]
    with pytest.raises(CippConfigError, match='dynamic group'):
        ensure_user(ScriptedClient([JANE]), params(groups={'add': ['All Staff']}), False)


def test_check_mode_plans_the_same_writes_and_sends_none():
    client = ScriptedClient([JANE], check_mode=True)
    result = ensure_user(client, params(job_title='CFO', account_enabled=False), True)
    assert client.writes == []
    assert [name for name, _body in client.planned] == ['EditUser', 'ExecDisableUser']
    assert result['user']['jobTitle'] == 'CFO' and result['user']['accountEnabled'] is False


def test_disable_sends_an_explicit_enable_false():
    client = ScriptedClient([JANE])
    ensure_user(client, params(account_enabled=False), False)
    assert client.writes == [('ExecDisableUser', {'ID': JANE['id'], 'Enable': False})]


def test_synced_users_are_refused_before_any_write():
    synced = dict(JANE, onPremisesSyncEnabled=True)
    client = ScriptedClient([synced])
    with pytest.raises(CippConfigError, match='on-premises Active Directory'):
        ensure_user(client, params(account_enabled=False), False)
    assert client.writes == []


def test_rename_needs_id_and_a_tenant_domain():
    client = ScriptedClient([JANE])
    result = ensure_user(client, params(id=JANE['id'], user_principal_name='jane.doe@contoso.com'), False)
    assert client.writes[0][1]['username'] == 'jane.doe'
    assert result['diff']['after']['user_principal_name'] == 'jane.doe@contoso.com'


def test_absent_is_a_no_op_for_a_missing_user_and_one_remove_otherwise():
    client = ScriptedClient([])
    assert ensure_user(client, params(state='absent'), False)['changed'] is False
    client = ScriptedClient([JANE])
    assert ensure_user(client, params(state='absent'), False)['changed'] is True
    assert client.writes == [('RemoveUser', {'ID': JANE['id'], 'userPrincipalName': 'jdoe@contoso.com'})]


def test_a_lost_add_user_answer_is_resolved_by_reading_not_by_sending_again():
    class LostButApplied(ScriptedClient):
        def write(self, endpoint, params=None, tenant=None, check_results=True):
            if endpoint == 'AddUser':
                self.users.append({'id': 'cccccccc-bbbb-4ccc-8ddd-eeeeeeeeeeee', 'userPrincipalName': 'new@contoso.com'})
            return super(LostButApplied, self).write(endpoint, params, tenant, check_results)

    client = LostButApplied([], uncertain=['AddUser'])
    result = ensure_user(client, params(user_principal_name='new@contoso.com'), False)
    assert result['changed'] is True
    assert [name for name, _body in client.writes] == ['AddUser']
    assert 'answer was lost' in result['warnings'][0]


@pytest.mark.parametrize('upn', [
    'jdoe@contoso.com', "o'brien@contoso.com", 'first.last-2_x@sub.contoso.co.uk', 'a!b#c^d~e@contoso.com',
    'guest_example.org#EXT#@contoso.onmicrosoft.com', 'x' * 64 + '@contoso.com',
])
def test_upns_entra_accepts_pass_validation(upn):
    client = ScriptedClient([dict(JANE, userPrincipalName=upn)])
    assert ensure_user(client, params(user_principal_name=upn), False)['changed'] is False


@pytest.mark.parametrize('upn, why', [
    ('jdoe.@contoso.com', 'period right before'),
    ('j doe@contoso.com', 'only letters'),
    ('j+doe@contoso.com', 'only letters'),
    ('jdoe@contoso@com', 'look like'),
    ('jdoe@localhost', 'look like'),
    ('jdoe@-contoso.com', 'look like'),
    ('jöe@contoso.com', 'only letters'),
    ('x' * 65 + '@contoso.com', '64 characters before'),
    ('jdoe@' + 'a' * 45 + '.com', '48 after'),
])
def test_upns_entra_refuses_fail_before_any_call(upn, why):
    client = ScriptedClient([JANE])
    with pytest.raises(CippConfigError, match='user_principal_name') as caught:
        ensure_user(client, params(user_principal_name=upn), False)
    assert why in caught.value.message
    assert client.reads == [] and client.writes == []


@pytest.mark.parametrize('password, ok', [
    ('Sh0rt!', False), ('alllowercaseletters', False), ('lowerUPPER', False), ('lower1234', False),
    ('lowerUPPER12', True), ('lower-1234', True), ('UPPER#1234', True), ('Päss wört 9', True), ('Aa1!' * 65, False),
])
def test_passwords_below_entras_rule_fail_before_any_call(password, ok):
    client = ScriptedClient([])
    wanted = params(user_principal_name='new@contoso.com', password=password)
    if ok:
        assert ensure_user(client, wanted, False)['changed'] is True
    else:
        with pytest.raises(CippConfigError, match='password') as caught:
            ensure_user(client, wanted, False)
        assert password not in caught.value.message  # the refused password is not echoed
        assert client.writes == []


def test_a_dynamic_group_is_refused_before_add_user_creates_anybody():
    client = ScriptedClient([])
    with pytest.raises(CippConfigError, match='All Staff is a dynamic group'):
        ensure_user(client, params(user_principal_name='new@contoso.com', groups={'add': ['Finance', 'All Staff']}), False)
    assert client.writes == []
