# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""validate_certs against a real TLS server with a self-signed certificate, with and without REQUESTS_CA_BUNDLE.

requests lets REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE) override a session's verify=False, so validate_certs: false
used to keep verifying whenever the variable was set; it must really switch the check off, and say so.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import ssl
import subprocess
import threading

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.msp.cipp.plugins.module_utils._client import CippClient
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippAuthError

TENANT = 'contoso.com'


def _certificate(directory, name):
    key, cert = os.path.join(directory, name + '.key'), os.path.join(directory, name + '.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
                    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
                   check=True, capture_output=True)
    return key, cert


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, body):
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length') or 0))
        self._answer({'access_token': 'tls-token', 'expires_in': 3599})

    def do_GET(self):
        self._answer([{'id': 'u1'}])


@pytest.fixture(scope='module')
def tls_server(tmp_path_factory):
    try:
        subprocess.run(['openssl', 'version'], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip('openssl is needed to make a test certificate')
    directory = str(tmp_path_factory.mktemp('tls'))
    key, cert = _certificate(directory, 'server')
    _other_key, other = _certificate(directory, 'unrelated')
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.01})
    thread.daemon = True
    thread.start()
    url = 'https://127.0.0.1:%d' % server.server_address[1]
    yield {'url': url, 'cert': cert, 'unrelated_bundle': other}
    server.shutdown()
    server.server_close()


def _client(server, tmp_path, **options):
    return CippClient(api_url=server['url'], client_id='c', client_secret='s', token_url=server['url'] + '/t/oauth2/v2.0/token',
                      token_cache=str(tmp_path / 'tokens'), max_retries=0, sleep=lambda _s: None, **options)


@pytest.mark.parametrize('variable', ['REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'])
def test_validate_certs_false_applies_even_with_a_ca_bundle_in_the_environment(tls_server, tmp_path, monkeypatch, variable):
    monkeypatch.setenv(variable, tls_server['unrelated_bundle'])
    client = _client(tls_server, tmp_path, validate_certs=False)
    assert client.call('ListUsers', tenant=TENANT) == [{'id': 'u1'}]
    assert len(client.warnings) == 1 and client.warnings[0].startswith('validate_certs is false')


def test_certificates_are_checked_by_default(tls_server, tmp_path, monkeypatch):
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)
    client = _client(tls_server, tmp_path)
    with pytest.raises(CippAuthError, match='TLS error'):
        client.call('ListUsers', tenant=TENANT)
    assert client.warnings == []


def test_a_ca_bundle_in_the_environment_is_still_honoured_when_checking(tls_server, tmp_path, monkeypatch):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', tls_server['cert'])
    assert _client(tls_server, tmp_path).call('ListUsers', tenant=TENANT) == [{'id': 'u1'}]
