# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cipp_mfa method by method: what is removed, when a pass is created, and that CIPP's word alone is not success."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

import pytest

from ansible_collections.msp.cipp.plugins.module_utils import _mfa
from ansible_collections.msp.cipp.plugins.module_utils._api_mfa import method_short_type
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippResultError

TENANT = 'contoso.com'
USER = {'id': 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', 'userPrincipalName': 'jdoe@contoso.com'}
PASSWORD = {'@odata.type': '#microsoft.graph.passwordAuthenticationMethod', 'id': '28c10230-6103-485e-b985-444c60001490'}


def phone(method_id='p1'):
    return {'@odata.type': '#microsoft.graph.phoneAuthenticationMethod', 'id': method_id, 'phoneNumber': '+31 6 1', 'phoneType': 'mobile'}


def app(method_id='a1'):
    return {'@odata.type': '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod', 'id': method_id, 'displayName': 'iPhone'}


def tap(method_id='t1', usable=True, reason='EnabledByPolicy'):
    return {'@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethod', 'id': method_id, 'isUsable': usable,
            'methodUsabilityReason': reason, 'lifetimeInMinutes': 60, 'isUsableOnce': True, 'startDateTime': '2026-01-01T00:00:00Z'}


class FakeMfa(object):
    """Graph's methods and signInPreferences of one user; writes recorded, applied only when ``applies``."""

    def __init__(self, methods, preferences=None, applies=True, check_mode=False):
        self.methods = [PASSWORD] + list(methods)
        self.preferences = dict(preferences or {})
        self.applies, self.check_mode, self.writes, self.max_retries = applies, check_mode, [], 0

    def call(self, endpoint, params=None, tenant=None):
        assert endpoint == 'ListGraphRequest'
        if params['Endpoint'].endswith('/authentication/methods'):
            return {'Results': [dict(row) for row in self.methods]}
        assert params['Endpoint'].endswith('/authentication/signInPreferences') and params['Version'] == 'beta'
        return {'Results': [dict(self.preferences)]}

    def write(self, endpoint, params=None, tenant=None):
        if self.check_mode:
            return None
        self.writes.append((endpoint, dict(params)))
        if not self.applies:
            return {'Results': 'Successfully did %s' % endpoint}
        if endpoint == 'ExecResetMFA':
            self.methods = [row for row in self.methods if row['id'] != params['MethodId']]
        elif endpoint == 'ExecSetDefaultMFAMethod':
            self.preferences['userPreferredMethodForSecondaryAuthentication'] = params['MethodType']
        elif endpoint == 'ExecCreateTAP':
            self.methods.append(tap('t-new'))
            return {'Results': [{'temporaryAccessPass': 'S3cret!x', 'lifetimeInMinutes': 60, 'isUsableOnce': True, 'state': 'success'},
                                {'resultText': 'User ID: x'}]}
        return {'Results': 'Successfully did %s' % endpoint}


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(_mfa, 'confirm', functools.partial(_mfa.confirm, sleep=lambda seconds: None))


@pytest.mark.parametrize('odata, short', [
    ('#microsoft.graph.phoneAuthenticationMethod', 'phone'),
    ('#microsoft.graph.microsoftAuthenticatorAuthenticationMethod', 'microsoftAuthenticator'),
    ('#microsoft.graph.windowsHelloForBusinessAuthenticationMethod', 'windowsHelloForBusiness'),
    ('#microsoft.graph.temporaryAccessPassAuthenticationMethod', 'temporaryAccessPass'),
    ('#microsoft.graph.qrCodePinMethod', 'qrCodePinMethod'),
    ('', None),
])
def test_short_type_names(odata, short):
    assert method_short_type(odata) == short


def test_methods_by_type_and_id_one_call_each():
    client = FakeMfa([phone('p1'), phone('p2'), app('a1'), app('a2')])
    outcome = _mfa.remove_selected_methods(client, TENANT, USER, [{'type': 'PHONE'}, {'id': 'A2'}])
    assert outcome['changed'] and sorted(m['id'] for m in outcome['removed']) == ['a2', 'p1', 'p2']
    assert sorted(params['MethodId'] for _endpoint, params in client.writes) == ['a2', 'p1', 'p2']
    assert [row['id'] for row in client.methods] == [PASSWORD['id'], 'a1']


def test_nothing_to_remove_is_no_write():
    client = FakeMfa([app('a1')])
    outcome = _mfa.remove_selected_methods(client, TENANT, USER, [{'type': 'phone'}, {'id': PASSWORD['id']}])
    assert outcome == {'changed': False, 'removed': []} and client.writes == []


def test_a_method_that_stays_fails_the_task_without_sending_twice():
    client = FakeMfa([phone('p1')], applies=False)
    with pytest.raises(CippResultError, match='does not show the methods p1'):
        _mfa.remove_selected_methods(client, TENANT, USER, [{'type': 'phone'}])
    assert len(client.writes) == 1


@pytest.mark.parametrize('items, message', [
    ([{'id': 'x', 'type': 'phone'}], r'absent_methods\[0\] must be'),
    ([{}], r'absent_methods\[0\] must be'),
    (['phone'], r'absent_methods\[0\] must be'),
    ([{'type': 'Password'}], 'password method cannot be removed'),
])
def test_bad_absent_methods_fail_before_any_call(items, message):
    with pytest.raises(CippConfigError, match=message):
        _mfa.ensure_mfa(None, {'tenant': TENANT, 'user': 'x', 'absent_methods': items}, False)


def test_default_method_same_value_no_write_and_system_preferred_warns():
    client = FakeMfa([app()], {'userPreferredMethodForSecondaryAuthentication': 'push',
                               'isSystemPreferredAuthenticationMethodEnabled': True, 'systemPreferredAuthenticationMethod': 'Fido2'})
    outcome = _mfa.set_default_method(client, TENANT, USER, 'push')
    assert not outcome['changed'] and client.writes == [] and 'Fido2' in outcome['warning']
    client.preferences['isSystemPreferredAuthenticationMethodEnabled'] = False
    outcome = _mfa.set_default_method(client, TENANT, USER, 'sms')
    assert outcome['changed'] and outcome['warning'] is None
    assert client.writes == [('ExecSetDefaultMFAMethod', {'ID': USER['id'], 'MethodType': 'sms'})]


def test_default_method_that_does_not_show_fails():
    client = FakeMfa([app()], applies=False)
    with pytest.raises(CippResultError, match='default MFA method push'):
        _mfa.set_default_method(client, TENANT, USER, 'push')


@pytest.mark.parametrize('existing', [tap(usable=True), tap(usable=False, reason='NotYetValid')])
def test_a_usable_or_coming_pass_is_kept(existing):
    client = FakeMfa([existing])
    outcome = _mfa.ensure_tap(client, TENANT, USER, {}, False)
    assert not outcome['changed'] and client.writes == [] and outcome['details']['id'] == 't1'
    assert '_pass' not in outcome['details']


def test_an_expired_pass_is_removed_then_a_new_one_created_and_read_back():
    client = FakeMfa([app(), tap('t-old', usable=False, reason='Expired')])
    outcome = _mfa.ensure_tap(client, TENANT, USER, {'lifetime_minutes': 60, 'usable_once': True}, False)
    assert outcome['changed'] and outcome['created']
    assert [(endpoint, params.get('MethodId')) for endpoint, params in client.writes] == [('ExecResetMFA', 't-old'), ('ExecCreateTAP', None)]
    assert outcome['details']['id'] == 't-new' and outcome['details']['_pass'] == 'S3cret!x'


def test_check_mode_sends_no_write_for_a_new_pass():
    client = FakeMfa([tap('t-old', usable=False, reason='Expired')], check_mode=True)
    outcome = _mfa.ensure_tap(client, TENANT, USER, {}, True)
    assert outcome['changed'] and client.writes == []


def test_a_pass_is_returned_only_when_asked_and_only_by_the_task_that_created_it(monkeypatch):
    monkeypatch.setattr(_mfa, 'require_user', lambda client, tenant, identity: dict(USER))
    params = {'tenant': TENANT, 'user': USER['userPrincipalName'], 'temporary_access_pass': {'state': 'present'}, 'return_secret': True}
    created = _mfa.ensure_mfa(FakeMfa([]), dict(params, temporary_access_pass={'state': 'present'}), False)
    assert created['temporary_access_pass']['pass'] == 'S3cret!x' and created['_returned_secrets'] == ['temporary_access_pass']
    kept = _mfa.ensure_mfa(FakeMfa([tap()]), dict(params, temporary_access_pass={'state': 'present'}), False)
    assert not kept['changed'] and 'pass' not in kept['temporary_access_pass'] and '_returned_secrets' not in kept
    hidden = _mfa.ensure_mfa(FakeMfa([]), dict(params, return_secret=False, temporary_access_pass={'state': 'present'}), False)
    assert 'pass' not in hidden['temporary_access_pass'] and 'S3cret!x' not in repr(hidden)


def test_user_methods_registration_ignores_pass_and_email():
    email = {'@odata.type': '#microsoft.graph.emailAuthenticationMethod', 'id': 'e1', 'emailAddress': 'j@x.example'}
    entry = _mfa.user_methods(FakeMfa([email, tap()]), TENANT, USER)
    assert entry['mfa_registered'] is False and entry['has_usable_tap'] is True
    assert [m['type'] for m in entry['methods']] == ['email', 'temporaryAccessPass']
    assert entry['temporary_access_pass']['is_usable'] is True and 'temporaryAccessPass' not in entry['temporary_access_pass']
    assert _mfa.user_methods(FakeMfa([app()]), TENANT, USER)['mfa_registered'] is True


class FakeCampaign(object):
    """The tenant's authenticationMethodsPolicy; ExecRegistrationCampaign applied as Set-CIPPRegistrationCampaign does
    (only when ``applies``)."""

    def __init__(self, applies=True, check_mode=False):
        self.campaign = {'state': 'default', 'snoozeDurationInDays': 1, 'enforceRegistrationAfterAllowedSnoozes': True,
                         'includeTargets': [{'id': 'all_users', 'targetType': 'group', 'targetedAuthenticationMethod': 'microsoftAuthenticator'}],
                         'excludeTargets': []}
        self.applies, self.check_mode, self.writes, self.max_retries = applies, check_mode, [], 0

    def call(self, endpoint, params=None, tenant=None):
        assert params['Endpoint'] == 'policies/authenticationMethodsPolicy'
        return {'Results': [{'registrationEnforcement': {'authenticationMethodsRegistrationCampaign': dict(self.campaign)}}]}

    def write(self, endpoint, params=None, tenant=None):
        if self.check_mode:
            return None
        self.writes.append((endpoint, dict(params)))
        if self.applies:
            if 'state' in params:
                self.campaign['state'] = params['state']
            if 'includeUsers' in params:
                self.campaign['includeTargets'] = [{'id': i, 'targetType': 'user', 'targetedAuthenticationMethod': 'microsoftAuthenticator'}
                                                   for i in params['includeUsers']]
        return {'Results': 'Set the registration campaign state to ...'}


USER_ID = 'bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee'


def test_campaign_writes_only_what_differs_and_sends_only_what_was_set():
    client = FakeCampaign()
    params = {'tenant': TENANT, 'state': 'enabled', 'include_users': [USER_ID.upper()]}
    outcome = _mfa.ensure_registration_campaign(client, params, False)
    assert outcome['changed'] and client.writes == [('ExecRegistrationCampaign', {'state': 'enabled', 'includeUsers': [USER_ID.upper()]})]
    again = _mfa.ensure_registration_campaign(client, params, False)
    assert not again['changed'] and len(client.writes) == 1  # ids compared without case


def test_campaign_that_does_not_show_fails():
    with pytest.raises(CippResultError, match='registration campaign'):
        _mfa.ensure_registration_campaign(FakeCampaign(applies=False), {'tenant': TENANT, 'state': 'enabled'}, False)


def test_campaign_check_mode_writes_nothing():
    client = FakeCampaign(check_mode=True)
    outcome = _mfa.ensure_registration_campaign(client, {'tenant': TENANT, 'state': 'disabled'}, True)
    assert outcome['changed'] and outcome['campaign']['state'] == 'disabled' and client.writes == []


@pytest.mark.parametrize('params, message', [
    ({}, 'Nothing to do'),
    ({'snooze_days': 15}, 'snooze_days'),
    ({'include_all_users': True, 'include_users': ['x']}, 'include_all_users'),
    ({'include_groups': ['Sales']}, 'group object IDs'),
    ({'include_users': []}, 'include_all_users'),
])
def test_campaign_bad_input_fails_before_any_write(params, message):
    client = FakeCampaign()
    with pytest.raises(CippConfigError, match=message):
        _mfa.ensure_registration_campaign(client, dict(params, tenant=TENANT), False)
    assert client.writes == []


def test_a_pass_whose_answer_was_lost_is_removed_not_adopted():
    from ansible_collections.msp.cipp.plugins.module_utils._errors import CippWriteUncertainError

    class LostAnswer(FakeMfa):
        def write(self, endpoint, params=None, tenant=None):
            answer = super(LostAnswer, self).write(endpoint, params, tenant)
            if endpoint == 'ExecCreateTAP':
                raise CippWriteUncertainError('ExecCreateTAP: no answer (timeout)', 'ExecCreateTAP')
            return answer

    client = LostAnswer([])
    with pytest.raises(CippResultError, match='removed again, since nobody holds it'):
        _mfa.ensure_tap(client, TENANT, USER, {}, False)
    assert [(endpoint, params.get('MethodId')) for endpoint, params in client.writes] == [('ExecCreateTAP', None), ('ExecResetMFA', 't-new')]
    assert not any(row.get('isUsable') for row in client.methods)


def _no_space(*_args):
    raise OSError(28, 'No space left on device')


def test_a_pass_that_cannot_be_handed_over_is_removed(monkeypatch, tmp_path):
    monkeypatch.setattr(_mfa, 'require_user', lambda client, tenant, identity: dict(USER))
    monkeypatch.setattr(_mfa, 'write_handover', _no_space)
    client = FakeMfa([])
    params = {'tenant': TENANT, 'user': USER['userPrincipalName'], 'temporary_access_pass': {'state': 'present'},
              'handover_dir': str(tmp_path)}
    with pytest.raises(CippConfigError, match='handover_dir: .* could not be written .*No space left on device.*removed again'):
        _mfa.ensure_mfa(client, params, False)
    assert [endpoint for endpoint, _params in client.writes] == ['ExecCreateTAP', 'ExecResetMFA']
