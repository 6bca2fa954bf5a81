# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CippClient against a real local HTTP server (the ``cipp`` fixture in tests/unit/conftest.py).

Each test scripts what the fake CIPP / token endpoint answers, drives the client, and then checks
both what the client returned or raised and what the server actually received: a write that must
not be re-sent is proven by the server's own request count, not by the client's word. Sleeps are
recorded instead of slept, so retry delays are asserted exactly and the suite stays fast.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import json
import time

import pytest

from ansible_collections.msp.cipp.plugins.module_utils import _client as client_module
from ansible_collections.msp.cipp.plugins.module_utils._client import CippClient
from ansible_collections.msp.cipp.plugins.module_utils._common import MASK
from ansible_collections.msp.cipp.plugins.module_utils._errors import (
    CippAuthError, CippCheckModeError, CippConfigError, CippGuardError, CippNotFoundError, CippPermissionError,
    CippRequestError, CippResultError, CippServerError, CippTransportError, CippWriteUncertainError,
)

TENANT = 'contoso.onmicrosoft.com'
USER_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'
UPN = 'jdoe@contoso.com'
STATIC_TOKEN = 'eyJhbGciOi.static-token-for-tests.c2lnbmF0dXJl'
HTML_PAGE = '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>Error 503</body></html>'


def backoff_bounds(attempt):
    """The jittered backoff window the client promises for ``attempt`` (no Retry-After)."""
    ceiling = min(client_module.BACKOFF_CAP, client_module.BACKOFF_BASE * (2 ** (attempt - 1)))
    return ceiling / 2.0, ceiling


# ================================================================================== construction

class TestConstruction:

    def test_default_token_url_is_built_from_auth_tenant_id(self, cipp):
        client = cipp.client(token_url=None, auth_tenant_id='11111111-2222-3333-4444-555555555555')
        assert client.token_url == 'https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token'
        assert client.scope == 'api://%s/.default' % cipp.client_id

    def test_explicit_token_url_wins(self, cipp):
        client = cipp.client(auth_tenant_id='ignored-tenant')
        assert client.token_url == cipp.fake.token_url

    @pytest.mark.parametrize('options, names', [
        (dict(client_id=None, client_secret=None), ['access_token', 'client_id', 'client_secret']),
        (dict(client_secret=None), ['access_token', 'client_secret']),
        (dict(token_url=None, auth_tenant_id=None), ['auth_tenant_id']),
    ])
    def test_missing_auth_options_are_config_errors_naming_the_options(self, cipp, options, names):
        with pytest.raises(CippConfigError) as caught:
            cipp.client(**options)
        for name in names:
            assert name in caught.value.message
        assert cipp.fake.received == []

    @pytest.mark.parametrize('api_url', [None, '', 'cipp-xxxxx.azurewebsites.net', 'ftp://cipp.example.com', 42])
    def test_bad_api_url_is_a_config_error(self, cipp, api_url):
        with pytest.raises(CippConfigError) as caught:
            cipp.client(api_url=api_url)
        assert 'api_url' in caught.value.message

    @pytest.mark.parametrize('options', [dict(timeout=0), dict(timeout=-1), dict(max_retries=-1)])
    def test_nonsense_timeout_or_retries_are_config_errors(self, cipp, options):
        with pytest.raises(CippConfigError):
            cipp.client(**options)

    @pytest.mark.parametrize('suffix', ['', '/', '/api', '/api/', '/API'])
    def test_api_url_with_or_without_api_suffix_reaches_the_same_path(self, cipp, suffix):
        client = cipp.client(api_url=cipp.fake.url + suffix)
        client.call('ListUsers', tenant=TENANT)
        assert [request.path for request in cipp.fake.api_requests] == ['/api/ListUsers']


# ================================================================================== authentication

class TestAuth:

    def test_client_credentials_form_fields_are_exact(self, cipp):
        cipp.client().call('ListUsers', tenant=TENANT)
        [token_request] = cipp.fake.token_requests
        assert token_request.method == 'POST'
        assert token_request.headers['content-type'].startswith('application/x-www-form-urlencoded')
        assert token_request.form == {
            'grant_type': 'client_credentials',
            'client_id': cipp.client_id,
            'client_secret': cipp.client_secret,
            'scope': 'api://%s/.default' % cipp.client_id,
        }
        # The token call itself must not carry a bearer token (there is none yet; never a stale one).
        assert 'authorization' not in token_request.headers

    def test_api_call_carries_the_issued_token(self, cipp):
        cipp.client().call('ListUsers', tenant=TENANT)
        [api_request] = cipp.fake.api_requests
        assert api_request.bearer == cipp.fake.issued_tokens[0]
        assert api_request.headers['user-agent'].startswith('msp.cipp-ansible/')

    def test_access_token_mode_makes_no_token_call(self, cipp):
        client = cipp.client(client_id=None, client_secret=None, token_url=None, access_token=STATIC_TOKEN)
        client.call('ListUsers', tenant=TENANT)
        client.call('ListTenants')
        assert cipp.fake.token_requests == []
        assert [request.bearer for request in cipp.fake.api_requests] == [STATIC_TOKEN, STATIC_TOKEN]

    def test_token_is_reused_within_a_client(self, cipp):
        client = cipp.client()
        for _unused in range(3):
            client.call('ListUsers', tenant=TENANT)
        assert len(cipp.fake.token_requests) == 1
        assert client.token_requests == 1
        assert len(set(request.bearer for request in cipp.fake.api_requests)) == 1

    def test_401_gets_a_new_token_and_retries_once(self, cipp):
        R = cipp.Reply
        cipp.fake.reply('ListUsers', R(401, ''), R(200, [{'id': USER_ID}]))
        client = cipp.client()
        assert client.call('ListUsers', tenant=TENANT) == [{'id': USER_ID}]
        first, second = cipp.fake.requests_to('ListUsers')
        assert len(cipp.fake.token_requests) == 2
        assert first.bearer == cipp.fake.issued_tokens[0]
        assert second.bearer == cipp.fake.issued_tokens[1]
        # EasyAuth's 401 is not a throttle: no backoff.
        assert cipp.sleeps == []

    def test_401_refresh_also_applies_to_writes(self, cipp):
        # EasyAuth answers 401 before CIPP runs, so re-sending the write is safe.
        R = cipp.Reply
        cipp.fake.reply('ExecDisableUser', R(401, ''), R(200, {'Results': 'Successfully disabled %s' % UPN}))
        cipp.client().call('ExecDisableUser', {'ID': UPN, 'Enable': False}, tenant=TENANT)
        assert len(cipp.fake.requests_to('ExecDisableUser')) == 2

    def test_second_401_is_an_auth_error(self, cipp):
        R = cipp.Reply
        cipp.fake.reply('ListUsers', R(401, 'Unauthorized'), R(401, 'Unauthorized'), R(200, []))
        client = cipp.client()
        with pytest.raises(CippAuthError) as caught:
            client.call('ListUsers', tenant=TENANT)
        assert caught.value.status == 401
        assert caught.value.endpoint == 'ListUsers'
        assert len(cipp.fake.requests_to('ListUsers')) == 2
        assert len(cipp.fake.token_requests) == 2
        for token in cipp.fake.issued_tokens:
            assert token not in str(caught.value)
        assert cipp.client_secret not in str(caught.value)

    def test_401_with_a_static_token_is_not_retried(self, cipp):
        cipp.fake.reply('ListUsers', cipp.Reply(401, ''), cipp.Reply(200, []))
        client = cipp.client(client_id=None, client_secret=None, token_url=None, access_token=STATIC_TOKEN)
        with pytest.raises(CippAuthError):
            client.call('ListUsers', tenant=TENANT)
        assert len(cipp.fake.requests_to('ListUsers')) == 1
        assert cipp.fake.token_requests == []

    def test_token_endpoint_error_shows_aadsts_text_but_not_the_secret(self, cipp):
        # Entra's error_description: the AADSTS line, then trace/correlation lines that help nobody.
        description = ('AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is '
                       'the client secret value, not the client secret ID. Received: %s\r\nTrace ID: 0f0e-trace\r\n'
                       'Correlation ID: 1a1b-corr\r\nTimestamp: 2026-11-22 10:00:00Z' % cipp.client_secret)
        cipp.fake.reply(cipp.fake.token_url[len(cipp.fake.url):],
                        cipp.Reply(401, {'error': 'invalid_client', 'error_description': description}))
        client = cipp.client()
        with pytest.raises(CippAuthError) as caught:
            client.call('ListUsers', tenant=TENANT)
        message = str(caught.value)
        assert 'AADSTS7000215' in message
        assert 'invalid_client' in message
        assert '401' in message
        assert cipp.fake.token_url in message
        assert cipp.client_secret not in message
        assert cipp.client_secret not in (caught.value.cipp_message or '')
        assert 'Trace ID' not in message
        # A refused credential is final: no retry, and nothing sent to the API.
        assert len(cipp.fake.token_requests) == 1
        assert cipp.fake.api_requests == []

    def test_token_endpoint_plain_text_error(self, cipp):
        cipp.fake.reply(cipp.fake.token_url[len(cipp.fake.url):],
                        cipp.Reply(400, 'AADSTS90002: Tenant not found.\nTrace ID: x'))
        with pytest.raises(CippAuthError) as caught:
            cipp.client().call('ListUsers', tenant=TENANT)
        assert 'AADSTS90002: Tenant not found.' in str(caught.value)
        assert 'Trace ID' not in str(caught.value)

    def test_token_endpoint_5xx_is_retried(self, cipp):
        cipp.fake.reply(cipp.fake.token_url[len(cipp.fake.url):],
                        cipp.Reply(503, 'busy', headers={'Retry-After': '2'}))
        assert cipp.client().call('ListUsers', tenant=TENANT) == []
        assert len(cipp.fake.token_requests) == 2
        assert cipp.sleeps == [2.0]

    def test_token_endpoint_200_without_a_token_is_an_auth_error(self, cipp):
        cipp.fake.reply(cipp.fake.token_url[len(cipp.fake.url):], cipp.Reply(200, HTML_PAGE, content_type='text/html'))
        with pytest.raises(CippAuthError):
            cipp.client().call('ListUsers', tenant=TENANT)
        assert cipp.fake.api_requests == []

    def test_unreachable_token_endpoint(self, cipp, closed_port):
        client = cipp.client(token_url='http://127.0.0.1:%d/tid/oauth2/v2.0/token' % closed_port, max_retries=2)
        with pytest.raises(CippAuthError) as caught:
            client.call('ListUsers', tenant=TENANT)
        assert 'Could not reach the token endpoint' in str(caught.value)
        assert 'Connection refused' in str(caught.value)
        assert cipp.client_secret not in str(caught.value)
        assert client.token_requests == 3
        assert len(cipp.sleeps) == 2
        assert cipp.fake.api_requests == []


# ================================================================================== request shapes

class TestRequestShapes:

    def test_read_is_a_get_with_query_values(self, cipp):
        cipp.client().call('ListUsers', {'graphFilter': "userPrincipalName eq 'x@y.z'", 'IncludeLogonDetails': True,
                                         'skipped': None, 'Picked': {'value': 'v1', 'label': 'Label'}}, tenant=TENANT)
        [request] = cipp.fake.api_requests
        assert request.method == 'GET'
        assert request.query == {'tenantFilter': TENANT, 'graphFilter': "userPrincipalName eq 'x@y.z'",
                                 'IncludeLogonDetails': 'true', 'Picked': 'v1'}
        assert request.raw == b''

    def test_write_is_a_post_with_a_json_body(self, cipp):
        cipp.client().call('ExecDisableUser', {'ID': UPN, 'Enable': False}, tenant=TENANT)
        [request] = cipp.fake.requests_to('ExecDisableUser')
        assert request.method == 'POST'
        assert request.headers['content-type'] == 'application/json'
        # Real JSON booleans (CONTRACT quirk 9), tenant added.
        assert request.json == {'ID': UPN, 'Enable': False, 'tenantFilter': TENANT}
        assert request.query == {}

    def test_explicit_tenant_filter_in_params_is_not_overridden(self, cipp):
        cipp.client().call('ListUsers', {'TenantFilter': 'fabrikam.com'}, tenant=TENANT)
        assert cipp.fake.api_requests[0].query == {'TenantFilter': 'fabrikam.com'}

    def test_array_body_is_sent_as_is(self, cipp):
        body = [{'tenantFilter': TENANT, 'userIds': [USER_ID], 'LicenseOperation': 'Add', 'AddLicenses': ['sku']}]
        cipp.client().call('ExecBulkLicense', body, tenant=TENANT)
        assert cipp.fake.requests_to('ExecBulkLicense')[0].json == body

    def test_call_records_status_and_attempts(self, cipp):
        cipp.fake.reply('ListUsers', cipp.Reply(503, 'busy'), cipp.Reply(200, []))
        client = cipp.client()
        client.call('ListUsers', tenant=TENANT)
        assert client.calls == [{'endpoint': 'ListUsers', 'method': 'GET', 'write': False,
                                 'params': {'tenantFilter': TENANT}, 'sent': True, 'status': 200, 'attempts': 2}]


# ================================================================================== retries

class TestRetries:

    def test_429_retry_after_seconds_is_honoured(self, cipp):
        R = cipp.Reply
        cipp.fake.reply('ListUsers', R(429, 'Too many requests', headers={'Retry-After': '7'}), R(200, [{'id': USER_ID}]))
        assert cipp.client().call('ListUsers', tenant=TENANT) == [{'id': USER_ID}]
        assert cipp.sleeps == [7.0]
        assert len(cipp.fake.requests_to('ListUsers')) == 2

    def test_429_retry_after_http_date_is_honoured(self, cipp):
        when = email.utils.formatdate(time.time() + 60, usegmt=True)
        R = cipp.Reply
        cipp.fake.reply('ListUsers', R(429, '', headers={'Retry-After': when}), R(200, []))
        cipp.client().call('ListUsers', tenant=TENANT)
        [delay] = cipp.sleeps
        # The date has whole seconds, and a little time passes before the client reads it.
        assert 57.0 <= delay <= 60.0

    def test_retry_after_in_the_past_means_now(self, cipp):
        when = email.utils.formatdate(time.time() - 3600, usegmt=True)
        cipp.fake.reply('ListUsers', cipp.Reply(503, '', headers={'Retry-After': when}), cipp.Reply(200, []))
        cipp.client().call('ListUsers', tenant=TENANT)
        assert cipp.sleeps == [0.0]

    def test_retry_after_is_capped(self, cipp):
        cipp.fake.reply('ListUsers', cipp.Reply(429, '', headers={'Retry-After': '86400'}), cipp.Reply(200, []))
        cipp.client(retry_budget=100000).call('ListUsers', tenant=TENANT)
        # A day-long Retry-After would hang the play: wait two minutes at most, then try.
        assert cipp.sleeps == [120.0]

    @pytest.mark.parametrize('status', [502, 503, 504])
    def test_gateway_errors_on_reads_are_retried_with_backoff(self, cipp, status):
        R = cipp.Reply
        cipp.fake.reply('ListUsers', R(status, HTML_PAGE, content_type='text/html'), R(status, ''), R(200, [{'id': 'u'}]))
        assert cipp.client().call('ListUsers', tenant=TENANT) == [{'id': 'u'}]
        assert len(cipp.fake.requests_to('ListUsers')) == 3
        assert len(cipp.sleeps) == 2
        for attempt, delay in enumerate(cipp.sleeps, start=1):
            low, high = backoff_bounds(attempt)
            assert low <= delay <= high

    def test_retries_are_bounded_by_max_retries(self, cipp):
        cipp.fake.reply('ListUsers', *[cipp.Reply(503, 'This feature has been disabled: Users') for _unused in range(10)])
        with pytest.raises(CippServerError) as caught:
            cipp.client(max_retries=2).call('ListUsers', tenant=TENANT)
        assert caught.value.status == 503
        assert 'This feature has been disabled: Users' in str(caught.value)
        assert len(cipp.fake.requests_to('ListUsers')) == 3
        assert len(cipp.sleeps) == 2

    def test_max_retries_zero_means_one_attempt(self, cipp):
        cipp.fake.reply('ListUsers', cipp.Reply(503, ''), cipp.Reply(200, []))
        with pytest.raises(CippServerError):
            cipp.client(max_retries=0).call('ListUsers', tenant=TENANT)
        assert len(cipp.fake.requests_to('ListUsers')) == 1
        assert cipp.sleeps == []

    def test_a_delay_beyond_the_retry_budget_is_not_waited_for(self, cipp):
        cipp.fake.reply('ListUsers', cipp.Reply(429, '', headers={'Retry-After': '30'}), cipp.Reply(200, []))
        with pytest.raises(CippServerError) as caught:
            cipp.client(retry_budget=10).call('ListUsers', tenant=TENANT)
        assert caught.value.status == 429
        assert cipp.sleeps == []
        assert len(cipp.fake.requests_to('ListUsers')) == 1

    def test_retry_budget_counts_the_time_already_spent(self, cipp, monkeypatch):
        class Clock:
            """Virtual time: sleeping advances it, so the budget is checked against slept time."""
            now = time.time()

            def time(self):
                return self.now

            def sleep(self, seconds):
                cipp.sleeps.append(seconds)
                self.now += seconds

        clock = Clock()
        monkeypatch.setattr(client_module, 'time', clock)
        cipp.fake.reply('ListUsers', *[cipp.Reply(503, '', headers={'Retry-After': '2'}) for _unused in range(10)])
        with pytest.raises(CippServerError):
            cipp.client(retry_budget=5, max_retries=10, sleep=clock.sleep).call('ListUsers', tenant=TENANT)
        # 0+2 <= 5: wait; 2+2 <= 5: wait; 4+2 > 5: give up.
        assert cipp.sleeps == [2.0, 2.0]
        assert len(cipp.fake.requests_to('ListUsers')) == 3

    def test_500_on_a_read_is_retried_a_little(self, cipp):
        cipp.fake.reply('ListUsers', *[cipp.Reply(500, 'Could not find user') for _unused in range(5)])
        with pytest.raises(CippServerError) as caught:
            cipp.client(max_retries=4).call('ListUsers', {'UserID': 'nobody'}, tenant=TENANT)
        # A 500 on a read may be a passing Graph hiccup, but also CIPP's answer to an unknown UserID
        # (CONTRACT quirk 6): two more tries, not max_retries.
        assert len(cipp.fake.requests_to('ListUsers')) == 3
        assert caught.value.status == 500

    def test_connection_refused_on_a_read_is_retried(self, cipp, closed_port):
        client = cipp.client(api_url='http://127.0.0.1:%d' % closed_port, client_id=None, client_secret=None,
                             token_url=None, access_token=STATIC_TOKEN, max_retries=3)
        with pytest.raises(CippTransportError) as caught:
            client.call('ListUsers', tenant=TENANT)
        assert not isinstance(caught.value, CippWriteUncertainError)
        assert 'Connection refused' in str(caught.value)
        assert client.calls[-1]['attempts'] == 4
        assert len(cipp.sleeps) == 3

    def test_connection_refused_on_a_write_is_retried_too(self, cipp, closed_port):
        # Refused means the request never left: re-sending a write cannot apply it twice.
        client = cipp.client(api_url='http://127.0.0.1:%d' % closed_port, client_id=None, client_secret=None,
                             token_url=None, access_token=STATIC_TOKEN, max_retries=2)
        with pytest.raises(CippTransportError) as caught:
            client.call('ExecDisableUser', {'ID': UPN}, tenant=TENANT)
        assert not isinstance(caught.value, CippWriteUncertainError)
        assert client.calls[-1]['attempts'] == 3
        assert len(cipp.sleeps) == 2
        assert STATIC_TOKEN not in str(caught.value)

    def test_read_timeout_on_a_read_is_retried(self, cipp):
        R = cipp.Reply
        cipp.fake.reply('ListUsers', R(200, [{'id': 'late'}], delay=1.0), R(200, [{'id': 'fresh'}]))
        client = cipp.client(timeout=0.3, max_retries=1)
        assert client.call('ListUsers', tenant=TENANT) == [{'id': 'fresh'}]
        assert len(cipp.fake.requests_to('ListUsers')) == 2
        assert len(cipp.sleeps) == 1

    def test_connection_reset_on_a_read_is_retried(self, cipp):
        cipp.fake.reply('ListUsers', cipp.Reply(action='reset'), cipp.Reply(200, [{'id': 'ok'}]))
        assert cipp.client().call('ListUsers', tenant=TENANT) == [{'id': 'ok'}]
        assert len(cipp.fake.requests_to('ListUsers')) == 2

    @pytest.mark.parametrize('reply, expected', [
        (dict(body={'Results': 'Successfully disabled'}, delay=1.0), CippWriteUncertainError),  # read timeout
        (dict(action='reset'), CippWriteUncertainError),
        (dict(action='close'), CippWriteUncertainError),  # connection closed, no answer
        (dict(status=502, body=HTML_PAGE, content_type='text/html'), CippWriteUncertainError),
        (dict(status=504, body=''), CippWriteUncertainError),
        (dict(status=500, body={'Results': 'Failed to disable user. Error: Insufficient privileges'}), CippServerError),
    ], ids=['read-timeout', 'reset', 'closed', '502', '504', '500'])
    def test_a_write_that_may_have_been_applied_is_never_resent(self, cipp, reply, expected):
        R = cipp.Reply
        cipp.fake.reply('ExecDisableUser', R(**reply), R(200, {'Results': 'Successfully disabled'}))
        client = cipp.client(timeout=0.3, max_retries=4)
        with pytest.raises(expected) as caught:
            client.call('ExecDisableUser', {'ID': UPN, 'Enable': False}, tenant=TENANT)
        assert caught.type is expected
        assert caught.value.endpoint == 'ExecDisableUser'
        assert len(cipp.fake.requests_to('ExecDisableUser')) == 1
        assert cipp.sleeps == []
        for token in cipp.fake.issued_tokens:
            assert token not in str(caught.value)

    def test_uncertain_write_message_says_it_was_not_resent(self, cipp):
        cipp.fake.reply('ExecDisableUser', cipp.Reply(502, 'Bad Gateway'))
        with pytest.raises(CippWriteUncertainError) as caught:
            cipp.client().call('ExecDisableUser', {'ID': UPN}, tenant=TENANT)
        assert caught.value.status == 502
        assert 'not sent again' in str(caught.value)
        assert 'ExecDisableUser' in str(caught.value)

    @pytest.mark.parametrize('status', [429, 503])
    def test_write_refused_before_cipp_ran_is_resent(self, cipp, status):
        R = cipp.Reply
        cipp.fake.reply('ExecDisableUser', R(status, '', headers={'Retry-After': '1'}), R(200, {'Results': 'Successfully disabled'}))
        body = cipp.client().call('ExecDisableUser', {'ID': UPN, 'Enable': False}, tenant=TENANT)
        assert body == {'Results': 'Successfully disabled'}
        assert len(cipp.fake.requests_to('ExecDisableUser')) == 2
        assert cipp.sleeps == [1.0]


# ================================================================================== response handling

class TestResponses:

    def test_json_sent_as_text_plain_is_parsed(self, cipp):
        cipp.fake.reply('ListUsers', cipp.Reply(200, '[{"id": "%s", "displayName": "J\\u00fcrgen"}]' % USER_ID,
                                                content_type='text/plain; charset=utf-8'))
        assert cipp.client().call('ListUsers', tenant=TENANT) == [{'id': USER_ID, 'displayName': u'J\u00fcrgen'}]

    def test_json_with_a_byte_order_mark_is_parsed(self, cipp):
        cipp.fake.reply('ListUsers', cipp.Reply(200, u'\ufeff[{"id": "x"}]', content_type='application/json; charset=utf-8'))
        assert cipp.client().call('ListUsers', tenant=TENANT) == [{'id': 'x'}]

    def test_plain_text_body_is_kept(self, cipp):
        cipp.fake.reply('ExecRevokeSessions', cipp.Reply(200, 'Successfully revoked sessions for %s' % UPN))
        assert cipp.client().call('ExecRevokeSessions', {'id': UPN}, tenant=TENANT) == 'Successfully revoked sessions for %s' % UPN

    def test_empty_body_is_none(self, cipp):
        cipp.fake.reply('ListUsers', cipp.Reply(200, ''))
        assert cipp.client().call('ListUsers', tenant=TENANT) is None

    def test_html_page_on_a_read_is_a_transport_error(self, cipp):
        cipp.fake.reply('ListUsers', *[cipp.Reply(200, HTML_PAGE, content_type='text/html') for _unused in range(3)])
        with pytest.raises(CippTransportError) as caught:
            cipp.client(max_retries=1).call('ListUsers', tenant=TENANT)
        assert not isinstance(caught.value, CippWriteUncertainError)
        assert 'HTML page' in str(caught.value)
        assert len(cipp.fake.requests_to('ListUsers')) == 2

    def test_html_content_type_alone_is_enough(self, cipp):
        # Front-end error pages do not always start with a doctype.
        cipp.fake.reply('ListUsers', cipp.Reply(200, '<head><title>Bad gateway</title></head>', content_type='text/html'))
        with pytest.raises(CippTransportError):
            cipp.client(max_retries=0).call('ListUsers', tenant=TENANT)

    def test_html_page_without_html_content_type_is_still_detected(self, cipp):
        cipp.fake.reply('ListUsers', cipp.Reply(200, '<html><body>Sign in</body></html>', content_type='text/plain'))
        with pytest.raises(CippTransportError):
            cipp.client(max_retries=0).call('ListUsers', tenant=TENANT)

    def test_html_page_on_a_write_is_uncertain(self, cipp):
        cipp.fake.reply('ExecDisableUser', cipp.Reply(200, HTML_PAGE, content_type='text/html'))
        with pytest.raises(CippWriteUncertainError):
            cipp.client().call('ExecDisableUser', {'ID': UPN}, tenant=TENANT)
        assert len(cipp.fake.requests_to('ExecDisableUser')) == 1

    @pytest.mark.parametrize('endpoint, body, failure', [
        ('EditUser', {'Results': ['Success. The user has been edited.', 'Failed to set manager: Resource not found']},
         'Failed to set manager: Resource not found'),
        ('AddScheduledItem', {'Results': "Error - The command 'Get-Nothing' does not exist and cannot be scheduled."},
         "Error - The command 'Get-Nothing' does not exist and cannot be scheduled."),
        ('ExecSendPush', {'Results': {'resultText': 'Authentication Failed! Does the user have Push/Phone call MFA '
                                                    'configured? ErrorCode: 0', 'state': 'error'}},
         'Authentication Failed! Does the user have Push/Phone call MFA configured? ErrorCode: 0'),
        ('AddUser', {'Results': ['Created New User.',
                                 {'resultText': 'Username: %s' % UPN, 'copyField': UPN, 'state': 'success'},
                                 'Failed to assign the license. No licenses available']},
         'Failed to assign the license. No licenses available'),
        ('ExecBECRemediate', {'Results': [{'resultText': 'Disabled inbox rules', 'state': 'success'},
                                          {'resultText': 'Could not revoke sessions', 'state': 'error'}]},
         'Could not revoke sessions'),
    ], ids=['EditUser-list', 'AddScheduledItem-Error-dash', 'ExecSendPush-state', 'AddUser-mixed', 'BEC-items'])
    def test_failure_inside_http_200_raises_result_error(self, cipp, endpoint, body, failure):
        cipp.fake.reply(endpoint, cipp.Reply(200, body))
        with pytest.raises(CippResultError) as caught:
            cipp.client().call(endpoint, {'id': USER_ID}, tenant=TENANT)
        error = caught.value
        assert error.endpoint == endpoint
        assert error.status == 200
        assert failure in error.cipp_message
        assert error.failures == [failure]
        assert endpoint in str(error) and 'HTTP 200' in str(error) and failure in str(error)
        # The body is kept (redacted) for callers that report partial results.
        assert error.response is not None
        # Failures inside 200 are final answers: never re-sent.
        assert len(cipp.fake.requests_to(endpoint)) == 1

    @pytest.mark.parametrize('body', [
        {'Results': 'Successfully removed MFA method (error-prone authenticator) for user %s' % UPN},
        {'Results': ['Success. The user has been edited.', 'Successfully set error reporting preference']},
        {'Results': {'resultText': 'Successfully reset the password. Error count cleared.', 'state': 'success'}},
        # An item's state decides, whatever its text says.
        {'Results': [{'resultText': 'Could not find an existing TAP; created a new one', 'state': 'warning'},
                     {'resultText': 'Failed over to backup method', 'state': 'info'}]},
        {'Results': 'No MFA methods found for user %s' % UPN},
        {'Results': []},
        {'SomethingElse': 'Failed but not in Results'},
    ])
    def test_success_texts_are_not_failures(self, cipp, body):
        cipp.fake.reply('EditUser', cipp.Reply(200, body))
        assert cipp.client().call('EditUser', {'id': USER_ID}, tenant=TENANT) == body

    def test_check_results_false_returns_the_failure_body(self, cipp):
        body = {'Results': ['Failed to set manager']}
        cipp.fake.reply('EditUser', cipp.Reply(200, body))
        assert cipp.client().call('EditUser', {'id': USER_ID}, tenant=TENANT, check_results=False) == body

    def test_list_tenants_error_row_is_a_result_error(self, cipp):
        row = {'Results': 'Failed to retrieve tenants: Could not get a token for the partner tenant',
               'defaultDomainName': '', 'displayName': 'Failed to retrieve tenants. Perform a permission check.',
               'customerId': ''}
        cipp.fake.reply('ListTenants', cipp.Reply(200, [row]))
        with pytest.raises(CippResultError) as caught:
            cipp.client().call('ListTenants')
        assert 'Failed to retrieve tenants' in caught.value.cipp_message
        assert caught.value.endpoint == 'ListTenants'

    def test_list_rows_whose_fields_mention_errors_are_data(self, cipp):
        rows = [{'customerId': 'c1', 'displayName': 'Contoso', 'LastGraphError': 'Failed to get token', 'GraphErrorCount': 2},
                {'customerId': 'c2', 'displayName': 'Fabrikam', 'LastGraphError': '', 'GraphErrorCount': 0}]
        cipp.fake.reply('ListTenants', cipp.Reply(200, rows))
        assert cipp.client().call('ListTenants') == rows

    def test_one_scheduled_task_with_failed_results_is_data(self, cipp):
        row = {'RowKey': 'b7c1', 'Name': 'Offboarding: %s' % UPN, 'Command': 'Invoke-CIPPOffboardingJob',
               'TaskState': 'Failed', 'Results': 'Task Failed: @{Message=User not found; NormalizedError=User not found}'}
        cipp.fake.reply('ListScheduledItems', cipp.Reply(200, [row]))
        assert cipp.client().call('ListScheduledItems', {'Id': 'b7c1'}, tenant=TENANT) == [row]

    @pytest.mark.parametrize('endpoint, status, body, expected, requests', [
        ('ListGraphRequest', 400, 'Graph Error: Invalid filter clause', CippRequestError, 1),
        ('ListUsers', 403, 'Access to this CIPP API endpoint is not allowed, the \'readonly\' base role does not have '
                           'the required permission: Identity.User.ReadWrite', CippPermissionError, 1),
        ('ExecDisableUser', 403, 'Access to this tenant is not allowed', CippPermissionError, 1),
        ('ListMFAUsers', 403, 'Failed to retrieve MFA users: Insufficient privileges to complete the operation.',
         CippServerError, 1),
        ('ListUsers', 404, 'Endpoint not found', CippNotFoundError, 1),
        ('ExecDisableUser', 500, {'Results': 'Failed to disable user. Error: Resource does not exist'}, CippServerError, 1),
        ('ListUsers', 500, 'Could not find user with ID nobody', CippServerError, 3),
        ('AddUser', 400, {'Results': {'resultText': 'tenantFilter is required to create a user.', 'state': 'error'}},
         CippRequestError, 1),
    ], ids=['400', '403-rbac', '403-tenant', '403-graph', '404', '500-write', '500-read', '400-item'])
    def test_http_errors_map_to_types_with_endpoint_status_and_text(self, cipp, endpoint, status, body, expected, requests):
        cipp.fake.reply(endpoint, *[cipp.Reply(status, body) for _unused in range(5)])
        with pytest.raises(expected) as caught:
            cipp.client().call(endpoint, {'ID': UPN}, tenant=TENANT)
        error = caught.value
        assert caught.type is expected
        text = body if isinstance(body, str) else (body['Results'] if isinstance(body['Results'], str)
                                                   else body['Results']['resultText'])
        assert error.endpoint == endpoint and error.status == status and error.cipp_message == text
        message = str(error)
        assert endpoint in message and 'HTTP %d' % status in message and text in message
        assert len(cipp.fake.requests_to(endpoint)) == requests
        assert error.to_result() == {'endpoint': endpoint, 'status': status, 'cipp_message': text}

    def test_404_hints_at_api_url(self, cipp):
        cipp.fake.reply('ListUsers', cipp.Reply(404, 'Endpoint not found'))
        with pytest.raises(CippNotFoundError) as caught:
            cipp.client().call('ListUsers', tenant=TENANT)
        assert 'api_url' in str(caught.value)

    def test_error_text_never_contains_the_secret_or_the_bearer_token(self, cipp):
        client = cipp.client()
        client.call('ListTenants')  # obtain a token first
        token = cipp.fake.issued_tokens[0]
        echo = 'Failed to disable user. Error: request with Authorization Bearer %s and secret %s was rejected' % (
            token, cipp.client_secret)
        cipp.fake.reply('ExecDisableUser', cipp.Reply(500, {'Results': echo}))
        with pytest.raises(CippServerError) as caught:
            client.call('ExecDisableUser', {'ID': UPN}, tenant=TENANT)
        for text in (str(caught.value), caught.value.cipp_message, json.dumps(caught.value.to_result())):
            assert token not in text
            assert cipp.client_secret not in text
        assert 'Failed to disable user' in caught.value.cipp_message


# ================================================================================== check mode

class TestCheckMode:

    @pytest.mark.parametrize('endpoint', ['ExecDisableUser', 'AddUser', 'ExecOffboardUser', 'ExecSomethingNew'])
    def test_call_of_a_write_in_check_mode_raises_and_sends_nothing(self, cipp, endpoint):
        client = cipp.client(check_mode=True)
        with pytest.raises(CippCheckModeError) as caught:
            client.call(endpoint, {'ID': UPN}, tenant=TENANT)
        assert caught.value.endpoint == endpoint
        # Nothing at all: not the write, and not even a token request.
        assert cipp.fake.received == []
        assert client.calls == []

    def test_write_in_check_mode_records_a_planned_call_and_sends_nothing(self, cipp):
        client = cipp.client(check_mode=True)
        assert client.write('ExecDisableUser', {'ID': UPN, 'Enable': False}, tenant=TENANT) is None
        # Only the read of the tenants CIPP manages (check mode checks the tenant as a real run would).
        assert [request.path for request in cipp.fake.api_requests] == ['/api/ListTenants']
        assert client.calls[-1:] == [{'endpoint': 'ExecDisableUser', 'method': 'POST', 'write': True,
                                      'params': {'ID': UPN, 'Enable': False, 'tenantFilter': TENANT},
                                      'sent': False, 'status': None}]

    def test_reads_still_work_in_check_mode(self, cipp):
        cipp.fake.reply('ListUsers', cipp.Reply(200, [{'id': USER_ID}]))
        client = cipp.client(check_mode=True)
        assert client.call('ListUsers', tenant=TENANT) == [{'id': USER_ID}]
        # ExecBECCheck only starts CIPP's read-only investigation: allowed, so evidence comes first.
        client.call('ExecBECCheck', {'userid': USER_ID}, tenant=TENANT)
        client.call('ListNewThing', tenant=TENANT)  # unknown List* names count as reads
        assert [request.path for request in cipp.fake.api_requests] == ['/api/ListUsers', '/api/ExecBECCheck',
                                                                        '/api/ListNewThing']
        assert [call['sent'] for call in client.calls] == [True, True, True]

    def test_write_outside_check_mode_is_sent_and_recorded(self, cipp):
        cipp.fake.reply('ExecDisableUser', cipp.Reply(200, {'Results': 'Successfully disabled %s' % UPN}))
        client = cipp.client()
        assert client.write('ExecDisableUser', {'ID': UPN}, tenant=TENANT) == {'Results': 'Successfully disabled %s' % UPN}
        assert len(cipp.fake.requests_to('ExecDisableUser')) == 1
        [entry] = [call for call in client.calls if call['write']]
        assert entry['sent'] is True and entry['status'] == 200 and entry['write'] is True

    def test_endpoint_names_are_looked_up_case_insensitively(self, cipp):
        client = cipp.client(check_mode=True)
        with pytest.raises(CippCheckModeError):
            client.call('execdisableuser', {'ID': UPN}, tenant=TENANT)
        client.write('execdisableuser', {'ID': UPN}, tenant=TENANT)
        # The catalogue's spelling is what the log and the URL use.
        assert client.calls[-1]['endpoint'] == 'ExecDisableUser'


# ================================================================================== AllTenants guard

ALL_TENANTS_FORMS = [
    (dict(tenant='AllTenants'), {'ID': UPN}),
    (dict(), {'ID': UPN, 'tenantFilter': 'alltenants'}),
    (dict(), {'ID': UPN, 'TenantFilter': '  ALLTENANTS '}),
    (dict(), {'ID': UPN, 'tenantFilter': {'value': 'AllTenants', 'label': '*All Tenants'}}),
    (dict(), {'ID': UPN, 'tenantId': 'AllTenants'}),
    (dict(tenant=TENANT), [{'tenantFilter': 'AllTenants', 'userIds': [USER_ID]}]),
]
ALL_TENANTS_IDS = ['tenant-arg', 'lower', 'upper-padded', 'label-value', 'tenantId', 'array-body']


class TestAllTenantsGuard:

    @pytest.mark.parametrize('kwargs, params', ALL_TENANTS_FORMS, ids=ALL_TENANTS_IDS)
    @pytest.mark.parametrize('how', ['call', 'write', 'write-check-mode'])
    def test_writes_to_all_tenants_are_refused_before_any_request(self, cipp, kwargs, params, how):
        client = cipp.client(check_mode=(how == 'write-check-mode'))
        send = client.call if how == 'call' else client.write
        endpoint = 'ExecBulkLicense' if isinstance(params, list) else 'ExecDisableUser'
        with pytest.raises(CippGuardError) as caught:
            send(endpoint, params, **kwargs)
        assert 'AllTenants' in str(caught.value)
        assert cipp.fake.received == []
        assert client.calls == []

    def test_guard_comes_before_the_check_mode_error(self, cipp):
        # A write to AllTenants is refused on principle, which says more than "bug: write in check mode".
        with pytest.raises(CippGuardError):
            cipp.client(check_mode=True).call('ExecDisableUser', {'ID': UPN}, tenant='AllTenants')

    def test_reads_may_use_all_tenants(self, cipp):
        cipp.client().call('ListUsers', tenant='AllTenants')
        cipp.client().call('ListMFAUsers', {'tenantFilter': {'value': 'AllTenants'}})
        assert [request.query['tenantFilter'] for request in cipp.fake.api_requests] == ['AllTenants', 'AllTenants']

    def test_all_tenants_elsewhere_in_a_write_is_not_a_tenant(self, cipp):
        cipp.client().call('EditUser', {'id': USER_ID, 'displayName': 'AllTenants', 'tenantFilter': TENANT})
        assert len(cipp.fake.requests_to('EditUser')) == 1


# ================================================================================== redaction

class TestRedaction:

    def test_call_log_masks_secret_params(self, cipp):
        client = cipp.client(check_mode=True)
        client.write('ExecSomething', {'ID': UPN, 'password': 'Pl@in-Passw0rd', 'client_secret': 'abcd-secret',
                                       'access_token': 'abcd-token', 'copyField': 'abcd-copy', 'Authorization': 'Bearer x',
                                       'tap': 'TAP12345', 'forceChangePasswordNextSignIn': True,
                                       'nested': {'newPassword': 'Other-Passw0rd'}, 'displayName': 'Jane'}, tenant=TENANT)
        params = client.calls[-1]['params']
        for key in ('password', 'client_secret', 'access_token', 'copyField', 'Authorization', 'tap'):
            assert params[key] == MASK, key
        assert params['nested'] == {'newPassword': MASK}
        # Booleans carry no secret and say something useful.
        assert params['forceChangePasswordNextSignIn'] is True
        assert params['displayName'] == 'Jane' and params['ID'] == UPN

    def test_call_log_is_a_copy(self, cipp):
        params = {'ID': UPN, 'password': 'Pl@in-Passw0rd'}
        client = cipp.client(check_mode=True)
        client.write('ExecSomething', params, tenant=TENANT)
        assert params == {'ID': UPN, 'password': 'Pl@in-Passw0rd'}

    def test_tap_seen_in_a_response_is_masked_later_everywhere(self, cipp):
        tap = 'Kp8#mZ2qR9'
        cipp.fake.reply('ExecCreateTAP', cipp.Reply(200, {'Results': [
            {'resultText': 'The TAP for %s is %s - This TAP is usable for the next 60 minutes' % (UPN, tap),
             'userId': USER_ID, 'copyField': tap, 'temporaryAccessPass': tap, 'lifetimeInMinutes': 60, 'state': 'success'}]}))
        client = cipp.client()
        body = client.call('ExecCreateTAP', {'ID': UPN}, tenant=TENANT)
        # The caller gets the real value (it may return it when the user asked) ...
        assert body['Results'][0]['copyField'] == tap
        assert tap in client.known_secrets
        # ... but any later text, log entry or error that carries it is masked.
        assert client.redacted('handed over %s to the user' % tap) == 'handed over %s to the user' % MASK
        client.call('ListUsers', {'note': 'tap was %s' % tap}, tenant=TENANT)
        assert client.calls[-1]['params']['note'] == 'tap was %s' % MASK
        cipp.fake.reply('EditUser', cipp.Reply(200, {'Results': ['Failed to note TAP %s in the ticket' % tap]}))
        with pytest.raises(CippResultError) as caught:
            client.call('EditUser', {'id': USER_ID}, tenant=TENANT)
        assert tap not in str(caught.value) and tap not in json.dumps(caught.value.response)

    def test_generated_password_is_masked_later(self, cipp):
        password = 'Xy7$kL9!pQ2w'
        cipp.fake.reply('ExecResetPass', cipp.Reply(200, {'Results': {
            'resultText': 'Successfully reset the password for Jane, %s. User must change password is set to True. '
                          'The new password is %s' % (UPN, password), 'copyField': password, 'state': 'success'}}))
        client = cipp.client()
        client.call('ExecResetPass', {'ID': UPN, 'MustChange': True}, tenant=TENANT)
        assert client.redacted({'summary': 'new password %s sent' % password}) == {'summary': 'new password %s sent' % MASK}

    def test_password_from_add_user_is_masked_later(self, cipp):
        password = 'Qw3rty!Zx9#v'
        cipp.fake.reply('AddUser', cipp.Reply(200, {'Results': [
            'Created New User.',
            {'resultText': 'Username: %s' % UPN, 'copyField': UPN, 'state': 'success'},
            {'resultText': 'Password: %s' % password, 'copyField': password, 'state': 'success'}]}))
        client = cipp.client()
        client.call('AddUser', {'username': 'jdoe', 'Domain': 'contoso.com'}, tenant=TENANT)
        assert password not in json.dumps(client.redacted({'text': 'password is %s' % password}))

    @pytest.mark.parametrize('endpoint, item, identifier', [
        ('AddUser', {'resultText': 'Username: %s' % UPN, 'copyField': UPN, 'state': 'success'}, UPN),
        ('ExecCreateTAP', {'resultText': 'User ID: %s' % USER_ID, 'copyField': USER_ID, 'state': 'success'}, USER_ID),
    ])
    def test_identifiers_in_copy_field_are_not_secrets(self, cipp, endpoint, item, identifier):
        # copyField also carries plain identifiers (CONTRACT 5.1, 5.25); masking them would hide the new
        # user's UPN / id in every later text, the call log and the module result.
        cipp.fake.reply(endpoint, cipp.Reply(200, {'Results': ['Created New User.', item]}))
        client = cipp.client()
        client.call(endpoint, {'ID': UPN}, tenant=TENANT)
        assert client.redacted({'userPrincipalName': UPN, 'id': USER_ID})[
            'userPrincipalName' if identifier == UPN else 'id'] == identifier

    def test_bearer_token_is_a_known_secret(self, cipp):
        client = cipp.client()
        client.call('ListTenants')
        token = cipp.fake.issued_tokens[0]
        assert client.redacted('sent %s' % token) == 'sent %s' % MASK
        assert client.redacted(cipp.client_secret) == MASK


# ================================================================================== $batch

class TestBatch:

    def test_reads_go_in_chunks_of_twenty_and_come_back_in_order(self, cipp):
        reads = [('ListUserGroups', {'userId': 'user-%02d' % index}) for index in range(45)]
        client = cipp.client()
        results = client.batch(reads, tenant=TENANT)
        posts = cipp.fake.requests_to('/api/$batch')
        assert [request.method for request in posts] == ['POST'] * 3
        assert [len(request.json['requests']) for request in posts] == [20, 20, 5]
        first = posts[0].json['requests'][0]
        assert first == {'id': '0', 'url': 'ListUserGroups', 'method': 'GET',
                         'query': {'userId': 'user-00', 'tenantFilter': TENANT}}
        # The fake answers each batch in reverse order; results still follow the input order.
        assert [result['body'][0]['query']['userId'] for result in results] == ['user-%02d' % index for index in range(45)]
        assert all(result['status'] == 200 for result in results)
        assert len(cipp.fake.api_requests) == 3  # nothing was sent outside $batch
        assert sum(1 for call in client.calls if call.get('batched')) == 45

    def test_sub_response_json_strings_are_parsed(self, cipp):
        cipp.fake.reply('/api/$batch', cipp.Reply(200, {'responses': [
            {'id': '0', 'status': 200, 'body': '[{"id": "g1"}]'},
            {'id': '1', 'status': 403, 'body': 'Access to this tenant is not allowed'},
            {'id': '2', 'status': 200, 'body': {'Results': {'resultText': 'Password: Batch-Secret-1',
                                                            'copyField': 'Batch-Secret-1'}}}]}))
        client = cipp.client()
        results = client.batch([('ListUserGroups', {'userId': 'a'}), ('ListUserGroups', {'userId': 'b'}),
                                ('ListUserGroups', {'userId': 'c'})], tenant=TENANT)
        assert results[:2] == [{'status': 200, 'body': [{'id': 'g1'}]},
                               {'status': 403, 'body': 'Access to this tenant is not allowed'}]
        # Secrets inside sub-responses are remembered like any other.
        assert client.redacted('Batch-Secret-1') == MASK

    def test_writes_are_refused(self, cipp):
        client = cipp.client()
        with pytest.raises(CippGuardError) as caught:
            client.batch([('ExecDisableUser', {'ID': UPN}), ('ListUsers', {})], tenant=TENANT)
        assert 'ExecDisableUser' in str(caught.value)
        assert cipp.fake.received == []

    def test_a_write_anywhere_refuses_the_whole_batch_up_front(self, cipp):
        reads = [('ListUserGroups', {'userId': 'user-%02d' % index}) for index in range(25)]
        reads.append(('ExecDisableUser', {'ID': UPN}))
        client = cipp.client()
        with pytest.raises(CippGuardError):
            client.batch(reads, tenant=TENANT)
        assert cipp.fake.api_requests == []
        assert client.calls == []

    def test_batch_works_in_check_mode(self, cipp):
        results = cipp.client(check_mode=True).batch([('ListUsers', {})], tenant=TENANT)
        assert len(results) == 1
        assert len(cipp.fake.requests_to('/api/$batch')) == 1

    def test_batch_http_error_raises(self, cipp):
        cipp.fake.reply('/api/$batch', cipp.Reply(400, {'error': {'message': 'Too many requests in batch'}}))
        with pytest.raises(CippRequestError) as caught:
            cipp.client().batch([('ListUsers', {})], tenant=TENANT)
        assert 'Too many requests in batch' in str(caught.value)


# ================================================================================== pure helpers

class TestHelpers:

    def test_proves_not_sent_only_for_connection_failures(self):
        requests = client_module.requests
        assert client_module._proves_not_sent(requests.exceptions.ConnectTimeout('connect timed out'))
        refused = requests.exceptions.ConnectionError(ConnectionRefusedError(111, 'Connection refused'))
        assert client_module._proves_not_sent(refused)
        assert not client_module._proves_not_sent(requests.exceptions.ReadTimeout('read timed out'))
        reset = requests.exceptions.ConnectionError(ConnectionResetError(104, 'Connection reset by peer'))
        assert not client_module._proves_not_sent(reset)

    @pytest.mark.parametrize('value, expected', [
        (None, None), ('', None), ('5', 5.0), (' 2.5 ', 2.5), ('-3', 0.0), ('soon', None),
    ])
    def test_retry_after_values(self, value, expected):
        assert client_module._retry_after(value) == expected

    def test_client_needs_no_ansible(self):
        # The same client runs in modules, action plugins and the inventory plugin.
        import sys
        source = open(client_module.__file__).read()
        assert 'import ansible.' not in source and 'from ansible.' not in source
        assert CippClient.__module__ in sys.modules


# ================================================================================== prefetch (read ahead through $batch)

class TestPrefetch:

    def test_a_read_ahead_answer_serves_the_one_matching_call_then_the_network_again(self, cipp):
        cipp.fake.reply('/api/$batch', cipp.Reply(200, {'responses': [
            {'id': '0', 'status': 200, 'body': [{'id': 'g1'}]},
            {'id': '1', 'status': 500, 'body': 'Graph Error: boom'}]}))
        client = cipp.client()
        kept = client.prefetch([('ListUserGroups', {'userId': 'a'}), ('ListUserGroups', {'userId': 'b'})], tenant=TENANT)
        assert kept == 1
        assert client.call('ListUserGroups', {'userId': 'a'}, tenant=TENANT) == [{'id': 'g1'}]
        assert cipp.fake.requests_to('/api/ListUserGroups') == []  # answered from the read-ahead
        # The failed sub-request was not kept: its call goes out on its own; and a kept answer serves one call only.
        client.call('ListUserGroups', {'userId': 'b'}, tenant=TENANT)
        client.call('ListUserGroups', {'userId': 'a'}, tenant=TENANT)
        assert [request.query['userId'] for request in cipp.fake.requests_to('/api/ListUserGroups')] == ['b', 'a']

    def test_a_failed_batch_only_means_no_read_ahead(self, cipp):
        cipp.fake.reply('/api/$batch', cipp.Reply(400, {'error': {'message': 'A batch must contain between 1 and 20 requests.'}}))
        client = cipp.client()
        assert client.prefetch([('ListUsers', {'graphFilter': "id eq 'x'"})], tenant=TENANT) == 0
        client.call('ListUsers', {'graphFilter': "id eq 'x'"}, tenant=TENANT)
        assert len(cipp.fake.requests_to('/api/ListUsers')) == 1

    def test_a_read_ahead_never_answers_another_tenant(self, cipp):
        client = cipp.client()
        client.prefetch([('ListUsers', {})], tenant=TENANT)
        client.call('ListUsers', {}, tenant='fabrikam.com')
        assert len(cipp.fake.requests_to('/api/ListUsers')) == 1
