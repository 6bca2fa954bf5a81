# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Transport safety of CippClient: https only (loopback excepted), redirects never followed, certificate checks
that really switch off only when asked (and say so)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippAuthError, CippConfigError, CippTransportError

TENANT = 'contoso.com'


# ================================================================================== plain http

@pytest.mark.parametrize('option', ['api_url', 'token_url'])
@pytest.mark.parametrize('url', ['http://cipp-xxxxx.azurewebsites.net', 'HTTP://cipp.example.com/api', 'http://10.0.0.5:8080',
                                 'http://127.0.0.1.evil.example', 'http://localhost.evil.example'])
def test_plain_http_to_a_remote_host_is_refused(cipp, option, url):
    with pytest.raises(CippConfigError) as caught:
        cipp.client(**{option: url})
    assert caught.value.message.startswith('%s must use https' % option) and repr(url) in caught.value.message
    assert cipp.fake.received == []


@pytest.mark.parametrize('url', ['https://cipp-xxxxx.azurewebsites.net', 'http://127.0.0.1:8787', 'http://127.9.9.9',
                                 'http://localhost:8787/api', 'http://[::1]:8787'])
def test_https_and_loopback_http_are_accepted(cipp, url):
    assert cipp.client(api_url=url).api_base.lower().startswith(url.lower().split('/api')[0].rstrip('/'))


def test_a_static_token_needs_no_token_url_check(cipp):
    # With access_token no token endpoint is used, so its (default) URL is never contacted.
    cipp.client(access_token='eyJ.static.sig', client_id=None, client_secret=None, token_url='http://login.example')


# ================================================================================== redirects

@pytest.mark.parametrize('status', [301, 302, 307, 308])
def test_an_api_redirect_is_an_error_naming_the_location_and_is_not_followed(cipp, status):
    target = cipp.fake.url + '/api/Elsewhere'
    cipp.fake.reply('ExecDisableUser', cipp.Reply(status, '', headers={'Location': target}))
    with pytest.raises(CippTransportError) as caught:
        cipp.client().write('ExecDisableUser', {'ID': 'x@contoso.com'}, tenant=TENANT)
    assert 'HTTP %d, a redirect to %r' % (status, target) in caught.value.message
    assert cipp.fake.requests_to('Elsewhere') == []
    assert len(cipp.fake.requests_to('ExecDisableUser')) == 1


def test_a_read_redirect_to_a_login_page_is_an_error_too(cipp):
    cipp.fake.reply('ListUsers', cipp.Reply(302, '', headers={'Location': 'https://login.microsoftonline.com/x/oauth2'}))
    with pytest.raises(CippTransportError, match='never follows redirects'):
        cipp.client().call('ListUsers', tenant=TENANT)


def test_a_token_endpoint_redirect_is_not_followed_with_the_secret(cipp):
    target = cipp.fake.url + '/stolen/oauth2/v2.0/token'
    cipp.fake.reply(cipp.fake.token_url.replace(cipp.fake.url, ''), cipp.Reply(307, '', headers={'Location': target}))
    with pytest.raises(CippAuthError) as caught:
        cipp.client().call('ListUsers', tenant=TENANT)
    assert 'redirect to %r' % target in caught.value.message
    assert [request.path for request in cipp.fake.received] == [cipp.fake.token_url.replace(cipp.fake.url, '')]
