# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared set-up for the unit tests.

1. Imports: the code imports ``ansible_collections.msp.cipp...``, and the repository root *is* the
   collection root. Unless a sys.path entry already provides it (``PYTHONPATH=.build/collections`` as
   the Makefile does, or ansible-test's own layout), a symlink
   ``.build/pytest-unit/ansible_collections/msp/cipp -> <repo>`` is made and its top directory put first
   on ``sys.path``. Ansible's collection loader is then installed over that path. This runs at conftest
   import time, before any test module is collected.
2. ``FakeCipp``: a scriptable HTTP server (stdlib, a thread, 127.0.0.1 on a free port) that plays
   both the Entra token endpoint and the CIPP API. Tests queue canned replies per path and read back
   every request it received. The client under test talks real HTTP through ``requests`` to it, so
   retries, timeouts, resets and content types are exercised for real instead of being mocked.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import json
import os
import socket
import struct
import sys
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def _collections_root():
    """The directory that holds ``ansible_collections/msp/cipp`` for this checkout."""
    parent, name = os.path.split(REPO)
    grandparent, namespace = os.path.split(parent)
    top, marker = os.path.split(grandparent)
    if (marker, namespace, name) == ('ansible_collections', 'msp', 'cipp'):
        return top
    root = os.path.join(REPO, '.build', 'pytest-unit')
    link = os.path.join(root, 'ansible_collections', 'msp', 'cipp')
    if os.path.realpath(link) != os.path.realpath(REPO):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        # Other test runs (xdist workers, other checkouts' helpers) may race here: build the link
        # under a unique name and rename it into place, which is atomic.
        tmp_link = '%s.%d.tmp' % (link, os.getpid())
        if os.path.lexists(tmp_link):  # left by a run that died here with the same pid
            os.unlink(tmp_link)
        os.symlink(REPO, tmp_link)
        os.replace(tmp_link, link)
    return root


def _path_entry():
    """The sys.path entry that provides this checkout as msp.cipp, adding one when there is none."""
    for path in sys.path:
        if os.path.realpath(os.path.join(path or '.', 'ansible_collections', 'msp', 'cipp')) == os.path.realpath(REPO):
            return path or '.'
    root = _collections_root()
    sys.path.insert(0, root)
    return root


def _install_collection_loader(root):
    """Let Ansible's collection finder own ``ansible_collections`` before any test imports from it.

    Modules imported through plain sys.path first leave msp.cipp without collection metadata, and
    Ansible then refuses to load its plugins by FQCN (the inventory plugin tests need that). Under
    ansible-test the finder is already installed, and is left alone.
    """
    from ansible.utils.collection_loader import AnsibleCollectionConfig
    if AnsibleCollectionConfig.collection_finder is None:
        from ansible.plugins.loader import init_plugin_loader
        init_plugin_loader([os.path.abspath(root)])


_install_collection_loader(_path_entry())


# ---------------------------------------------------------------------------------------------
# The fake CIPP / Entra server
# ---------------------------------------------------------------------------------------------

TOKEN_PATH = '/partner-tenant-id/oauth2/v2.0/token'
# What the fake's ListTenants answers by default (queue a reply for ListTenants to answer something else).
MANAGED_TENANTS = (
    {'customerId': '7d3c0000-0000-4000-8000-000000000001', 'defaultDomainName': 'contoso.com',
     'initialDomainName': 'contoso.onmicrosoft.com'},
    {'customerId': '7d3c0000-0000-4000-8000-000000000002', 'defaultDomainName': 'fabrikam.com',
     'initialDomainName': 'fabrikam.onmicrosoft.com'},
)


class Reply:
    """One canned answer.

    ``body``: a str is sent as-is (``text/plain`` unless ``content_type`` says otherwise), anything
    else as JSON. ``delay``: seconds to wait before answering (to provoke read timeouts).
    ``action``: ``'reset'`` aborts the connection with a TCP RST, ``'close'`` closes it without
    answering; either way the request has reached the server and is recorded.
    """

    def __init__(self, status=200, body=None, content_type=None, headers=None, delay=0.0, action=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = dict(headers or {})
        self.delay = delay
        self.action = action

    def encoded(self):
        if self.body is None:
            return b'', self.content_type or 'text/plain; charset=utf-8'
        if isinstance(self.body, bytes):
            return self.body, self.content_type or 'application/octet-stream'
        if isinstance(self.body, str):
            return self.body.encode('utf-8'), self.content_type or 'text/plain; charset=utf-8'
        return json.dumps(self.body).encode('utf-8'), self.content_type or 'application/json; charset=utf-8'


class Recorded:
    """What the fake received: method, path (decoded, no query), query/form values, JSON body, headers."""

    def __init__(self, method, path, query, headers, raw):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.raw = raw
        self.form = None
        self.json = None
        content_type = headers.get('content-type', '')
        if 'application/x-www-form-urlencoded' in content_type:
            self.form = dict((key, values[0]) for key, values in parse_qs(raw.decode('utf-8'), keep_blank_values=True).items())
        elif raw:
            try:
                self.json = json.loads(raw.decode('utf-8'))
            except ValueError:
                self.json = None

    @property
    def bearer(self):
        value = self.headers.get('authorization', '')
        return value[len('Bearer '):] if value.startswith('Bearer ') else None

    def __repr__(self):
        return '<%s %s>' % (self.method, self.path)


class FakeCipp:
    """Scriptable stand-in for CIPP and its token endpoint. See the module docstring."""

    def __init__(self, token_delay=0.0):
        self._lock = threading.Lock()
        self._replies = collections.defaultdict(collections.deque)
        self.received = []
        self.issued_tokens = []
        self.token_delay = token_delay
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), _handler_for(self))
        self.server.daemon_threads = True
        # A handler still sleeping on a delayed reply must not hold up stop().
        self.server.block_on_close = False
        self.server.handle_error = lambda request, address: None
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self.token_url = self.url + TOKEN_PATH
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={'poll_interval': 0.01})
        self._thread.daemon = True
        self._thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # -- scripting
    def reply(self, path, *replies):
        """Queue replies for ``path`` ('/api/ListUsers', or 'ListUsers' for short); used once each, in order."""
        path = _api_path(path)
        with self._lock:
            self._replies[path].extend(replies)

    # -- inspection
    def requests_to(self, path):
        path = _api_path(path)
        with self._lock:
            return [entry for entry in self.received if entry.path == path]

    @property
    def api_requests(self):
        with self._lock:
            return [entry for entry in self.received if entry.path.startswith('/api/')]

    @property
    def token_requests(self):
        with self._lock:
            return [entry for entry in self.received if entry.path.endswith('/oauth2/v2.0/token')]

    # -- serving
    def _next_reply(self, request):
        with self._lock:
            self.received.append(request)
            queue = self._replies.get(request.path)
            if queue:
                return queue.popleft()
        return self._default_reply(request)

    def _default_reply(self, request):
        if request.path.endswith('/oauth2/v2.0/token'):
            with self._lock:
                token = 'eyJ0eXAi.fake-token-%d.sig%s' % (len(self.issued_tokens) + 1, os.urandom(4).hex())
                self.issued_tokens.append(token)
            return Reply(body={'token_type': 'Bearer', 'expires_in': 3599, 'ext_expires_in': 3599, 'access_token': token},
                         delay=self.token_delay)
        if request.path == '/api/ListTenants':
            # The tenants the unit tests write to, so the client's managed-tenant check before a write passes.
            return Reply(body=[dict(row, displayName=row['defaultDomainName']) for row in MANAGED_TENANTS])
        if request.path == '/api/$batch':
            # Like CIPP: always 200, one response per sub-request; the body echoes what was asked.
            subs = (request.json or {}).get('requests', [])
            return Reply(body={'responses': [{'id': sub.get('id'), 'status': 200,
                                              'body': [{'url': sub.get('url'), 'query': sub.get('query')}]}
                                             for sub in reversed(subs)]})
        return Reply(body=[])


def _api_path(path):
    return path if path.startswith('/') else '/api/' + path


def _handler_for(fake):

    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.0'

        def log_message(self, *args):  # keep pytest output clean
            pass

        def _handle(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get('Content-Length') or 0)
            raw = self.rfile.read(length) if length else b''
            query = dict((key, values[0]) for key, values in parse_qs(parts.query, keep_blank_values=True).items())
            headers = dict((key.lower(), value) for key, value in self.headers.items())
            request = Recorded(self.command, unquote(parts.path), query, headers, raw)
            reply = fake._next_reply(request)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.action == 'reset':
                # SO_LINGER 0 turns close() into a RST: the client sees "Connection reset by peer".
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                self.rfile.close()
                self.connection.close()
                self.close_connection = True
                return
            if reply.action == 'close':
                self.close_connection = True
                return
            payload, content_type = reply.encoded()
            try:
                self.send_response(reply.status)
                self.send_header('Content-Type', content_type)
                self.send_header('Content-Length', str(len(payload)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test); nothing to do

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    return Handler


CLIENT_ID = '3f1c8a52-7d4e-4b9a-9c61-0a2b3c4d5e6f'
CLIENT_SECRET = 'Q7x8Q~s3cr3t.V4lue_that-must~never.leak'


class CippRig:
    """One test's fake server, token cache directory, recorded sleeps and a client factory."""

    client_id = CLIENT_ID
    client_secret = CLIENT_SECRET
    Reply = Reply  # so test modules need not import conftest

    def __init__(self, fake, token_dir):
        self.fake = fake
        self.token_dir = token_dir
        self.sleeps = []

    def client(self, **overrides):
        """A CippClient for the fake, with client credentials, a private cache and recorded (not real) sleeps."""
        from ansible_collections.msp.cipp.plugins.module_utils._api_directory import managed_tenant_keys
        from ansible_collections.msp.cipp.plugins.module_utils._client import CippClient
        options = dict(api_url=self.fake.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                       token_url=self.fake.token_url, token_cache=self.token_dir, sleep=self.sleeps.append,
                       managed_tenants=managed_tenant_keys)
        options.update(overrides)
        return CippClient(**options)


@pytest.fixture
def fake_cipp():
    fake = FakeCipp()
    yield fake
    fake.stop()


@pytest.fixture
def cipp(fake_cipp, tmp_path):
    return CippRig(fake_cipp, str(tmp_path / 'tokens'))


@pytest.fixture
def closed_port():
    """A local port nobody listens on: connecting to it is refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def isolated_cache_home(tmp_path, monkeypatch):
    """XDG_CACHE_HOME pointed at a temp dir, so the default token cache never touches ~/.cache."""
    home = tmp_path / 'xdg-cache'
    monkeypatch.setenv('XDG_CACHE_HOME', str(home))
    return home
