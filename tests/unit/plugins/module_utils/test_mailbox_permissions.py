# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mailbox permissions and mobile devices: read first, write only what differs, confirm by re-reading."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

import pytest

from ansible_collections.msp.cipp.plugins.module_utils import _converge as converge
from ansible_collections.msp.cipp.plugins.module_utils import _mailbox_permissions as permissions
from ansible_collections.msp.cipp.plugins.module_utils import _mobile_devices as mobile
from ansible_collections.msp.cipp.plugins.module_utils._endpoints import lookup
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippResultError, CippServerError
from ansible_collections.msp.cipp.plugins.module_utils._users import user_info

TENANT = 'contoso.com'
USERS = [
    {'id': '11111111-1111-4111-8111-111111111111', 'userPrincipalName': 'info@contoso.com', 'mail': 'info@contoso.com'},
    {'id': '22222222-2222-4222-8222-222222222222', 'userPrincipalName': 'jdoe@contoso.com', 'mail': 'jane.doe@contoso.com',
     'mailNickname': 'jdoe'},
    {'id': '33333333-3333-4333-8333-333333333333', 'userPrincipalName': 'asmith@contoso.com', 'mail': 'asmith@contoso.com'},
]
RIGHT_OF_BUCKET = {'AddFullAccess': ('FullAccess', True), 'AddFullAccessNoAutoMap': ('FullAccess', True),
                   'RemoveFullAccess': ('FullAccess', False), 'AddSendAs': ('SendAs', True), 'RemoveSendAs': ('SendAs', False),
                   'AddSendOnBehalf': ('SendOnBehalf', True), 'RemoveSendOnBehalf': ('SendOnBehalf', False)}


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    quick = functools.partial(converge.confirm, sleep=lambda seconds: None)
    monkeypatch.setattr(permissions, 'confirm', quick)
    monkeypatch.setattr(mobile, 'confirm', quick)


class FakeCipp(object):
    """CIPP as the resources see it: ``grants`` {mailbox: {(User, right)}}; ``applies=False`` makes writes vanish."""

    def __init__(self, grants=None, devices=None, report=None, applies=True, check_mode=False):
        self.grants = dict((mailbox.lower(), set(rows)) for mailbox, rows in (grants or {}).items())
        self.devices = dict((mailbox.lower(), list(rows)) for mailbox, rows in (devices or {}).items())
        self.report, self.applies, self.check_mode = report or [], applies, check_mode
        self.reads, self.writes, self.planned = [], [], []

    def call(self, endpoint, params=None, tenant=None):
        self.reads.append((endpoint, params))
        if endpoint == 'ListUsers':
            field, _eq, value = params['graphFilter'].partition(' eq ')
            return [u for u in USERS if str(u.get(field, '')).lower() == value.strip("'").lower()]
        if endpoint == 'ListUserMailboxDetails':
            return [{'RecipientTypeDetails': 'SharedMailbox'}]
        if endpoint == 'ListmailboxPermissions' and params.get('ByUser'):
            return self.report
        if endpoint == 'ListmailboxPermissions':
            return [{'User': 'NT AUTHORITY\\SELF', 'Permissions': 'FullAccess, ReadPermission'}] + [
                {'User': user, 'Permissions': [right] if right == 'SendAs' else right}
                for user, right in sorted(self.grants.get(params['userId'].lower(), ()))]
        if endpoint == 'ListMailboxMobileDevices':
            return [dict(d) for d in self.devices.get(params['Mailbox'].lower(), [])]
        raise AssertionError('unexpected read %s' % endpoint)

    def write(self, endpoint, params=None, tenant=None):
        if self.check_mode:
            self.planned.append((endpoint, params))
            return None
        self.writes.append((endpoint, params))
        if endpoint == 'ExecEditMailboxPermissions' and self.applies:
            held = self.grants.setdefault(params['userID'].lower(), set())
            for bucket, (right, add) in RIGHT_OF_BUCKET.items():
                for trustee in (params.get(bucket) or {}).get('value', []):
                    (held.add if add else held.discard)((trustee, right))
        if endpoint == 'ExecMailboxMobileDevices' and self.applies:
            for mailbox, rows in self.devices.items():
                self.devices[mailbox] = [d for d in rows if d['Guid'] != params['guid']]
        return {'Results': ['done']}


def ensure(client, **params):
    params = dict({'tenant': TENANT, 'mailbox': 'info@contoso.com', 'state': 'present', 'automap': True}, **params)
    return permissions.ensure_mailbox_permission(client, params, client.check_mode)


def test_only_missing_grants_are_written_in_one_call_and_a_second_run_writes_nothing():
    client = FakeCipp({'info@contoso.com': {('jdoe@contoso.com', 'FullAccess')}})
    result = ensure(client, trustees=['jdoe@contoso.com', 'asmith@contoso.com'], rights=['full_access', 'send_as'], automap=False)
    assert result['changed'] is True
    assert result['granted'] == [{'trustee': 'jdoe@contoso.com', 'right': 'send_as'}, {'trustee': 'asmith@contoso.com', 'right': 'full_access'},
                                 {'trustee': 'asmith@contoso.com', 'right': 'send_as'}]
    (endpoint, body), = client.writes
    assert endpoint == 'ExecEditMailboxPermissions' and body['userID'] == 'info@contoso.com'
    assert body['AddFullAccessNoAutoMap'] == {'value': ['asmith@contoso.com']} and 'AddFullAccess' not in body
    assert body['AddSendAs'] == {'value': ['jdoe@contoso.com', 'asmith@contoso.com']}
    assert result['diff'] == {'before': {'jdoe@contoso.com': ['full_access'], 'asmith@contoso.com': []},
                              'after': {'jdoe@contoso.com': ['full_access', 'send_as'], 'asmith@contoso.com': ['full_access', 'send_as']}}
    again = ensure(client, trustees=['jdoe@contoso.com', 'asmith@contoso.com'], rights=['full_access', 'send_as'], automap=True)
    assert again['changed'] is False and len(client.writes) == 1 and 'diff' not in again


def test_absent_removes_only_what_is_held_and_check_mode_sends_nothing():
    grants = {'info@contoso.com': {('jdoe@contoso.com', 'SendAs'), ('asmith@contoso.com', 'FullAccess')}}
    preview = FakeCipp(grants, check_mode=True)
    result = ensure(preview, trustees=['jdoe@contoso.com'], rights=['send_as', 'full_access'], state='absent')
    assert result['changed'] and result['removed'] == [{'trustee': 'jdoe@contoso.com', 'right': 'send_as'}]
    assert preview.writes == [] and [p[1].get('RemoveSendAs') for p in preview.planned] == [{'value': ['jdoe@contoso.com']}]
    client = FakeCipp(grants)
    ensure(client, trustees=['jdoe@contoso.com'], rights=['send_as', 'full_access'], state='absent')
    assert client.grants['info@contoso.com'] == {('asmith@contoso.com', 'FullAccess')}


def test_a_send_on_behalf_delegate_named_by_alias_is_recognised():
    # GrantSendOnBehalfTo carries Exchange's identity, not necessarily the UPN.
    client = FakeCipp({'info@contoso.com': {('jdoe', 'SendOnBehalf')}})
    assert ensure(client, trustees=['jdoe@contoso.com'], rights=['send_on_behalf'])['changed'] is False
    assert client.writes == []


def test_a_write_that_does_not_show_fails_naming_it_after_the_wait():
    client = FakeCipp(applies=False)
    with pytest.raises(CippResultError, match='does not show granted SendAs for asmith@contoso.com on info@contoso.com'):
        ensure(client, trustees=['asmith@contoso.com'], rights=['send_as'])
    assert len(client.writes) == 1  # never sent twice


def test_an_unknown_trustee_fails_naming_it_before_any_write():
    client = FakeCipp()
    with pytest.raises(CippConfigError, match='trustees: no user or mailbox ghost@contoso.com'):
        ensure(client, trustees=['asmith@contoso.com', 'ghost@contoso.com'], rights=['full_access'])
    assert client.writes == []


def test_a_trustee_by_mail_address_is_found_and_counted_once():
    client = FakeCipp()
    result = ensure(client, trustees=['jane.doe@contoso.com', 'JDoe@contoso.com'], rights=['full_access'])
    assert result['granted'] == [{'trustee': 'jdoe@contoso.com', 'right': 'full_access'}]
    assert client.writes[0][1]['AddFullAccess'] == {'value': ['jdoe@contoso.com']}


@pytest.mark.parametrize('params, message', [
    ({'mailbox': 'info', 'trustees': ['jdoe@contoso.com'], 'rights': ['send_as']}, 'mailbox must be'),
    ({'trustees': ['jdoe'], 'rights': ['send_as']}, "trustees must be .* got 'jdoe'"),
    ({'trustees': [], 'rights': ['send_as']}, 'trustees must list'),
    ({'trustees': ['info@contoso.com'], 'rights': ['send_as']}, 'is the mailbox itself'),
    ({'trustees': ['jdoe@contoso.com'], 'rights': []}, 'rights must name'),
])
def test_bad_input_fails_before_any_call(params, message):
    client = FakeCipp()
    with pytest.raises(CippConfigError, match=message):
        ensure(client, **params)
    assert client.reads == [] and client.writes == []


REPORT = [{'User': 'jdoe@contoso.com', 'MailboxCount': 3, 'Permissions': [
    {'Mailbox': 'Info', 'MailboxUPN': 'info@contoso.com', 'AccessRights': 'FullAccess'},
    {'Mailbox': 'Info', 'MailboxUPN': 'info@contoso.com', 'AccessRights': 'SendAs'},
    {'Mailbox': 'A Smith', 'MailboxUPN': 'asmith@contoso.com', 'AccessRights': 'SendOnBehalf'}]}]


def test_access_of_merges_the_report_per_mailbox():
    client = FakeCipp(report=REPORT)
    assert permissions.access_of(client, TENANT, USERS[1]) == [{'mailbox': 'asmith@contoso.com', 'rights': ['SendOnBehalf']},
                                                               {'mailbox': 'info@contoso.com', 'rights': ['FullAccess', 'SendAs']}]
    (endpoint, params), = client.reads
    assert params == {'UseReportDB': 'true', 'ByUser': 'true', 'User': 'jdoe@contoso.com'}


def test_user_info_without_a_permission_report_warns_and_keeps_the_user():
    class NoReport(FakeCipp):
        def call(self, endpoint, params=None, tenant=None):
            if endpoint == 'ListmailboxPermissions' and params.get('ByUser'):
                raise CippServerError('ListmailboxPermissions failed with HTTP 500: Failed to generate mailbox permission report',
                                      endpoint, 500, 'Failed to generate mailbox permission report')
            return super(NoReport, self).call(endpoint, params, tenant)

    result = user_info(NoReport(), {'tenant': TENANT, 'user': 'jdoe@contoso.com', 'include': ['mailbox_access']}, False)
    assert result['users'][0]['mailbox_access'] is None and result['users'][0]['userPrincipalName'] == 'jdoe@contoso.com'
    assert 'has CIPP synced the mailbox permission report' in result['warnings'][0]


def test_remove_access_removes_what_is_still_held_and_confirms_live():
    # The report is a cache: SendOnBehalf on asmith@ is already gone in Exchange.
    client = FakeCipp({'info@contoso.com': {('jdoe@contoso.com', 'FullAccess'), ('jdoe@contoso.com', 'SendAs')}}, report=REPORT)
    grants = permissions.access_of(client, TENANT, USERS[1])
    outcome = permissions.remove_access(client, TENANT, USERS[1], grants, False)
    assert outcome['removed'] == [{'mailbox': 'info@contoso.com', 'rights': ['FullAccess', 'SendAs']}]
    (endpoint, body), = client.writes
    assert body['RemoveFullAccess'] == body['RemoveSendAs'] == {'value': ['jdoe@contoso.com']}
    assert client.grants['info@contoso.com'] == set()
    assert permissions.remove_access(client, TENANT, USERS[1], grants, False)['changed'] is False and len(client.writes) == 1


def test_remove_access_in_check_mode_never_sends_even_with_a_live_client():
    client = FakeCipp({'info@contoso.com': {('jdoe@contoso.com', 'FullAccess')}})
    outcome = permissions.remove_access(client, TENANT, USERS[1], [{'mailbox': 'info@contoso.com', 'rights': ['FullAccess']}], True)
    assert outcome['changed'] and client.writes == []


DEVICES = {'jdoe@contoso.com': [{'Guid': 'g-1', 'deviceID': 'ABC', 'deviceFriendlyName': 'iPhone'},
                                {'Guid': 'g-2', 'deviceID': 'DEF', 'deviceFriendlyName': 'Pixel'}]}


def test_remove_all_devices_then_nothing_to_do():
    client = FakeCipp(devices=DEVICES)
    outcome = mobile.remove_devices(client, TENANT, USERS[1])
    assert [d['Guid'] for d in outcome['removed']] == ['g-1', 'g-2'] and outcome['diff']['after'] == []
    sent = [(endpoint, params['guid'], params['Delete']) for endpoint, params in client.writes]
    assert sent == [('ExecMailboxMobileDevices', 'g-1', 'true'), ('ExecMailboxMobileDevices', 'g-2', 'true')]
    assert mobile.remove_devices(client, TENANT, USERS[1])['changed'] is False and len(client.writes) == 2


def test_remove_named_devices_by_device_id_or_guid_and_absent_ones_are_left():
    client = FakeCipp(devices=DEVICES)
    outcome = mobile.remove_devices(client, TENANT, USERS[1], ['def', 'no-such-device'])
    assert [d['Guid'] for d in outcome['removed']] == ['g-2'] and outcome['diff']['after'] == ['iPhone (g-1)']


def test_a_device_that_stays_fails_the_removal_and_check_mode_sends_nothing():
    with pytest.raises(CippResultError, match=r'removal of iPhone \(g-1\)'):
        mobile.remove_devices(FakeCipp(devices=DEVICES, applies=False), TENANT, USERS[1], ['g-1'])
    client = FakeCipp(devices=DEVICES)
    assert mobile.remove_devices(client, TENANT, USERS[1], None, check_mode=True)['changed'] and client.writes == []


def test_the_mobile_device_write_goes_in_the_query_of_a_post():
    # Invoke-ExecMailboxMobileDevices.ps1 reads $Request.Query only; a write is never a GET.
    spec = lookup('ExecMailboxMobileDevices')
    assert spec.write and spec.inputs == 'query' and spec.method == 'POST'
    assert lookup('ListMailboxMobileDevices').method == 'GET' and lookup('ExecEditMailboxPermissions').inputs == 'body'
