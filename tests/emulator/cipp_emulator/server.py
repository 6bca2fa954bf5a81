"""The HTTP side of the emulator: routing, EasyAuth-like bearer check, RBAC, the request log, latency, faults,
the Entra ID token endpoint, `$batch`, and the test controls under /_emulator/.
"""

import fnmatch
import ipaddress
import json
import random
import secrets
import socket
import struct
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import registry
from .registry import CONTROL_HOOKS, ENDPOINTS, ConvertBoolError, Request, Response, ci
from .state import DEFAULT_AUTH_TENANT_ID

# Importing the handler modules registers their endpoints. A module another part of the team has not written
# yet may be missing; any other import error is a real bug and must surface.
for _module in ('handlers_directory', 'handlers_exchange', 'handlers_security', 'handlers_scheduler'):
    try:
        __import__('%s.%s' % (__package__, _module))
    except ModuleNotFoundError as exc:
        if exc.name != '%s.%s' % (__package__, _module):
            raise

# CIPP's built-in roles (Config/cipp-roles.json, CONTRACT 3.3): allowed and denied patterns over endpoint roles.
ROLES = {
    'readonly': (['*.Read'], ['CIPP.SuperAdmin.*', 'CIPP.Admin.*', 'CIPP.AppSettings.*']),
    'editor': (['*.Read', '*.ReadWrite'], ['CIPP.SuperAdmin.*', 'CIPP.Admin.*', 'CIPP.AppSettings.*', 'Tenant.Standards.ReadWrite']),
    'admin': (['*'], ['CIPP.SuperAdmin.*']),
    'superadmin': (['*'], []),
}
IP_DENIED = 'Access to this CIPP API endpoint is not allowed, the API Client does not have the required permission'
SECRET_KEYS = ('password', 'secret', 'token', 'copyfield', 'authorization', 'temporaryaccesspass')
FAULT_KINDS = ('429', '500', '502', '503', '504', 'timeout', 'reset', 'html', 'lost_response')
HTML_ERROR = ('<!DOCTYPE html><html><head><title>502 - Web server received an invalid response</title></head><body>'
              '<h1>Server Error</h1><h2>502 - Web server received an invalid response while acting as a gateway or proxy '
              'server.</h2></body></html>')


def role_allows(role, endpoint_role):
    allowed, denied = ROLES.get(str(role).lower(), ([], []))
    if any(fnmatch.fnmatchcase(endpoint_role, pattern) for pattern in denied):
        return False
    return any(fnmatch.fnmatchcase(endpoint_role, pattern) for pattern in allowed)


def redact(value):
    if isinstance(value, dict):
        return dict((key, '***' if any(s in str(key).lower() for s in SECRET_KEYS) and not isinstance(item, bool)
                     and item not in (None, '') else redact(item)) for key, item in value.items())
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def ip_allowed(ranges, address):
    if not ranges or any(str(item).lower() == 'any' for item in ranges):
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for item in ranges:
        try:
            if ip in ipaddress.ip_network(str(item), strict=False):
                return True
        except ValueError:
            continue
    return False


class Fault(Exception):
    """Raised inside request handling to make the connection misbehave."""

    def __init__(self, kind, rule):
        super().__init__(kind)
        self.kind = kind
        self.rule = rule


class Emulator:
    """Owns the state and decides what every request gets. One per server."""

    def __init__(self, state, reseed):
        self.state = state
        self.reseed = reseed

    # ---------------------------------------------------------------- faults and latency

    def pick_fault(self, endpoint_name):
        state = self.state
        with state.lock:
            for rule in state.fault_rules:
                if rule.get('count', 1) <= 0:
                    continue
                if rule.get('endpoint', '*') in ('*', endpoint_name) or str(rule.get('endpoint')).lower() == str(endpoint_name).lower():
                    rule['count'] = rule.get('count', 1) - 1
                    return rule
            chaos = state.fault_random
            scope = [str(name).lower() for name in chaos.get('endpoints') or []] if chaos else []
            if chaos and str(endpoint_name).lower() not in [str(n).lower() for n in chaos.get('exclude', [])] and \
                    (not scope or str(endpoint_name).lower() in scope):
                if chaos['_rng'].random() < chaos.get('probability', 0.1):
                    return {'kind': chaos['_rng'].choice(chaos.get('kinds') or list(FAULT_KINDS)),
                            'retry_after': chaos.get('retry_after', 1), 'seconds': chaos.get('seconds', 5)}
        return None

    def delay(self, endpoint_name):
        with self.state.lock:
            ms = self.state.latency_per_endpoint.get(str(endpoint_name).lower(), self.state.latency_ms)
        if ms:
            time.sleep(ms / 1000.0)

    # ---------------------------------------------------------------- API requests

    def authenticate(self, headers, address):
        """(client dict, None) or (None, Response) as EasyAuth and CIPP's IP check would answer."""
        header = headers.get('Authorization') or ''
        token = header[7:].strip() if header.lower().startswith('bearer ') else None
        with self.state.lock:
            record = self.state.tokens.get(token) if token else None
            if record is None or record['expires'] <= self.state.now():
                return None, Response.text('You do not have permission to view this directory or page.', 401)
            client = self.state.api_clients.get(record['appId'])
        if client is None or not client.get('enabled', True):
            return None, Response.text('You do not have permission to view this directory or page.', 401)
        forwarded = (headers.get('X-Forwarded-For') or '').split(',')[0].strip()
        source = forwarded.rsplit(':', 1)[0] if forwarded.count(':') == 1 else forwarded
        if not ip_allowed(client.get('ipRanges'), source or address):
            return None, Response.text(IP_DENIED, 403)
        return client, None

    def dispatch(self, method, name, headers, query, raw_body, content_type, address, entry):
        """The Response for /api/{name}; fills the log entry. May raise Fault for connection-level faults."""
        client, denied = self.authenticate(headers, address)
        if denied is not None:
            return denied
        entry['client_id'] = client['appId']
        entry['role'] = client['role']
        spec = ENDPOINTS.get(name.lower())
        if spec is None or name.endswith('/'):
            return Response.text('Endpoint not found', 404)
        entry['endpoint'] = spec.name
        entry['kind'] = 'write' if spec.write else 'read'
        if not role_allows(client['role'], spec.role):
            return Response.text("Access to this CIPP API endpoint is not allowed, the '%s' base role does not have the required "
                                 "permission: %s" % (client['role'], spec.role), 403)
        body = self.parse_body(raw_body, content_type)
        params = dict(query)
        if isinstance(body, dict):
            params.update(body)
        entry['params'] = redact(params) if isinstance(body, (dict, type(None))) else redact({'_body': body})
        entry['tenant'] = query.get('tenantFilter') or (body.get('tenantFilter') if isinstance(body, dict) else None)
        self.delay(spec.name)
        fault = self.pick_fault(spec.name)
        if fault and fault['kind'] != 'lost_response':
            entry['fault'] = fault['kind']
            raise Fault(fault['kind'], fault)
        request = Request(method, '/api/' + name, headers, query, body, self.state, client)
        entry['applied'] = True
        try:
            response = spec.func(request)
        except ConvertBoolError as exc:
            response = Response.text(str(exc), 500)
        except Exception as exc:  # pylint: disable=broad-except  (the router turns any throw into a 500 text)
            traceback.print_exc()
            response = Response.text('%s' % exc, 500)
        if fault and fault['kind'] == 'lost_response':
            entry['fault'] = 'lost_response'
            entry['status'] = response.status
            raise Fault('lost_response', fault)
        return response

    @staticmethod
    def parse_body(raw_body, content_type):
        if not raw_body:
            return None
        text = raw_body.decode('utf-8', 'replace')
        media = (content_type or '').split(';')[0].strip().lower()
        if media not in ('', 'application/json'):
            return text  # the Functions worker leaves such bodies as a raw string (CONTRACT 2.3)
        try:
            return ci(json.loads(text))
        except ValueError:
            return text

    def batch(self, headers, raw_body, content_type, address, parent):
        body = self.parse_body(raw_body, content_type)
        requests_list = body.get('requests') if isinstance(body, dict) else None
        if not isinstance(requests_list, list) or not requests_list or len(requests_list) > 20:
            return Response.json({'error': {'message': 'The batch must contain between 1 and 20 requests.'}}, 400)
        client, denied = self.authenticate(headers, address)
        if denied is not None:
            return denied
        parent.update(client_id=client['appId'], role=client['role'], endpoint='$batch', kind='batch')
        responses = []
        for sub in requests_list:
            url = str(sub.get('url') or '').lstrip('/')
            if url.lower().startswith('api/'):
                url = url[4:]
            name, _sep, query_text = url.partition('?')
            query = ci(dict((k, v[-1]) for k, v in urllib.parse.parse_qs(query_text, keep_blank_values=True).items()))
            for key, value in (sub.get('query') or {}).items():
                query[key] = value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value).lower() if isinstance(value, bool) else str(value)
            sub_body = sub.get('body')
            entry = self.new_entry(sub.get('method') or 'GET', '/api/' + name, 'read')
            entry['batched'] = True
            try:
                response = self.dispatch(sub.get('method') or 'GET', name, headers, query,
                                         json.dumps(sub_body).encode() if sub_body is not None else b'', 'application/json',
                                         address, entry)
            except Fault as fault:
                response = Response.text('Sub-request failed (%s)' % fault.kind, 500)
            entry['status'] = response.status
            self.state.append_log(entry)
            try:
                parsed = json.loads(response.body) if response.body else None
            except ValueError:
                parsed = response.body
            responses.append({'id': sub.get('id'), 'status': response.status, 'body': parsed})
        return Response.json({'responses': responses})

    # ---------------------------------------------------------------- the token endpoint

    def token(self, raw_body, entry):
        form = dict((k, v[-1]) for k, v in urllib.parse.parse_qs(raw_body.decode('utf-8', 'replace')).items())
        entry['params'] = redact(form)
        entry['client_id'] = form.get('client_id')
        if form.get('grant_type') != 'client_credentials':
            return Response.json({'error': 'unsupported_grant_type', 'error_description': 'AADSTS70003: The app requested an '
                                  'unsupported grant type.'}, 400)
        with self.state.lock:
            client = self.state.api_clients.get(form.get('client_id'))
        if client is None:
            return Response.json({'error': 'unauthorized_client', 'error_description': "AADSTS700016: Application with "
                                  "identifier '%s' was not found in the directory." % form.get('client_id')}, 400)
        if form.get('client_secret') != client['secret']:
            return Response.json({'error': 'invalid_client', 'error_description': 'AADSTS7000215: Invalid client secret '
                                  'provided. Ensure the secret being sent in the request is the client secret value, not the '
                                  'client secret ID.'}, 401)
        if form.get('scope') != 'api://%s/.default' % client['appId']:
            return Response.json({'error': 'invalid_scope', 'error_description': "AADSTS70011: The provided request must "
                                  "include a 'scope' input parameter. The provided value for the input parameter 'scope' is not "
                                  "valid. The scope %s is not valid." % form.get('scope')}, 400)
        token = 'emu.' + secrets.token_urlsafe(32)
        with self.state.lock:
            lifetime = self.state.token_lifetime
            self.state.tokens[token] = {'appId': client['appId'], 'expires': self.state.now() + lifetime}
        return Response.json({'token_type': 'Bearer', 'expires_in': lifetime, 'ext_expires_in': lifetime, 'access_token': token})

    # ---------------------------------------------------------------- test controls

    def control(self, method, path, query, raw_body):
        body = {}
        if raw_body:
            try:
                body = json.loads(raw_body.decode('utf-8'))
            except ValueError:
                return Response.json({'error': 'control bodies are JSON'}, 400)
        state = self.state
        if path == 'health':
            return Response.json({'ok': True})
        if path == 'reset':
            self.reseed(body.get('seed') or state.seed_name)
            return Response.json({'reset': True, 'seed': state.seed_name})
        if path == 'log' and method == 'GET':
            since = int(query.get('since') or 0)
            with state.lock:
                return Response.json([entry for entry in state.log if entry['seq'] > since])
        if path == 'log/clear':
            with state.lock:
                state.log = []
            return Response.json({'cleared': True})
        if path == 'state':
            return Response.json(self.dump_state(query.get('tenant'), query.get('secrets') == '1'))
        if path == 'latency':
            with state.lock:
                state.latency_ms = int(body.get('ms') or 0)
                state.latency_per_endpoint = dict((str(k).lower(), int(v)) for k, v in (body.get('endpoints') or {}).items())
            return Response.json({'latency_ms': state.latency_ms})
        if path == 'faults':
            with state.lock:
                if method == 'DELETE':
                    state.fault_rules, state.fault_random = [], None
                else:
                    state.fault_rules = [dict(rule) for rule in body.get('rules') or []]
                    chaos = body.get('random')
                    state.fault_random = dict(chaos, _rng=random.Random(chaos.get('seed', 42))) if chaos else None
            return Response.json({'rules': len(state.fault_rules), 'random': bool(state.fault_random)})
        if path == 'token-lifetime':
            with state.lock:
                state.token_lifetime = int(body.get('seconds') or 3599)
            return Response.json({'seconds': state.token_lifetime})
        if path == 'clients':
            with state.lock:
                state.api_clients[body['appId']] = {'appId': body['appId'], 'secret': body.get('secret', ''),
                                                    'role': body.get('role', ''), 'ipRanges': body.get('ipRanges') or [],
                                                    'enabled': body.get('enabled', True)}
            return Response.json({'appId': body['appId']})
        if path == 'clock':
            with state.lock:
                state.clock_offset += float(body.get('advance') or 0)
            return Response.json({'offset': state.clock_offset})
        if path == 'step-failure':
            tenant = state.resolve_tenant(body.get('tenant'))
            if tenant is None:
                return Response.json({'error': 'unknown tenant'}, 400)
            with state.lock:
                state.step_failures[(tenant.customer_id, str(body.get('upn')).lower(), str(body.get('step')))] = body.get(
                    'message', 'The emulator was told to fail this step.')
            return Response.json({'ok': True})
        hook = CONTROL_HOOKS.get(path)
        if hook is not None:
            return Response.json(hook(state, body) or {})
        return Response.json({'error': 'unknown control %s' % path}, 404)

    def dump_state(self, tenant_filter, show_secrets):
        def clean(obj):
            if isinstance(obj, dict):
                return dict((k, '***' if not show_secrets and k in ('_password',) else clean(v)) for k, v in obj.items()
                            if not callable(v))
            if isinstance(obj, (list, tuple, set)):
                return [clean(v) for v in obj]
            return obj
        with self.state.lock:
            tenants = [self.state.resolve_tenant(tenant_filter)] if tenant_filter else list(self.state.tenants.values())
            return clean({
                'tenants': [dict((key, value) for key, value in vars(tenant).items()) for tenant in tenants if tenant],
                'scheduled_tasks': self.state.scheduled_tasks,
                'bec_cache': self.state.bec_cache,
            })

    @staticmethod
    def new_entry(method, path, kind):
        return {'ts': time.time(), 'method': method, 'path': path, 'endpoint': None, 'kind': kind, 'tenant': None,
                'params': {}, 'status': None, 'client_id': None, 'role': None, 'fault': None, 'applied': False}


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'cipp-emulator'

    def log_message(self, *args):  # keep test output quiet
        return

    def do_GET(self):
        self.handle_any()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def handle_any(self):
        emulator = self.server.emulator
        parsed = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parsed.path)
        length = int(self.headers.get('Content-Length') or 0)
        raw_body = self.rfile.read(length) if length else b''
        query = ci(dict((k, v[-1]) for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()))
        if path.startswith('/_emulator/'):
            self.send(emulator.control(self.command, path[len('/_emulator/'):].strip('/'), query, raw_body))
            return
        if path.endswith('/oauth2/v2.0/token'):
            entry = emulator.new_entry(self.command, path, 'token')
            entry['endpoint'] = 'token'
            try:
                emulator.delay('token')
                fault = emulator.pick_fault('token')
                if fault and fault['kind'] != 'lost_response':
                    entry['fault'] = fault['kind']
                    raise Fault(fault['kind'], fault)
                response = emulator.token(raw_body, entry)
                entry['applied'] = True
            except Fault as fault:
                self.fail(fault, entry)
                return
            entry['status'] = response.status
            emulator.state.append_log(entry)
            self.send(response)
            return
        if not path.startswith('/api/'):
            self.send(Response.text('Endpoint not found', 404))
            return
        name = path[len('/api/'):]
        entry = emulator.new_entry(self.command, path, 'read')
        try:
            if name == '$batch':
                response = emulator.batch(self.headers, raw_body, self.headers.get('Content-Type'), self.client_address[0], entry)
            else:
                response = emulator.dispatch(self.command, name, self.headers, query, raw_body, self.headers.get('Content-Type'),
                                             self.client_address[0], entry)
        except Fault as fault:
            self.fail(fault, entry)
            return
        entry['status'] = response.status
        emulator.state.append_log(entry)
        self.send(response)

    def send(self, response):
        data = response.body.encode('utf-8') if isinstance(response.body, str) else response.body
        self.send_response(response.status)
        self.send_header('Content-Type', response.content_type)
        self.send_header('Content-Length', str(len(data)))
        for key, value in getattr(response, 'headers', {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def fail(self, fault, entry):
        """Misbehave as the fault says, and log it."""
        kind, rule = fault.kind, fault.rule
        entry['status'] = entry.get('status') if kind == 'lost_response' else None
        if kind in ('429', '500', '502', '503', '504', 'html'):
            entry['status'] = 200 if kind == 'html' else int(kind)
        self.server.emulator.state.append_log(entry)
        if kind == '429':
            response = Response.text('Too many requests', 429)
            response.headers = {'Retry-After': str(rule.get('retry_after', 1))}
            self.send(response)
        elif kind == '500':
            self.send(Response.text('Exception of type \'System.OutOfMemoryException\' was thrown.', 500))
        elif kind in ('502', '504'):
            response = Response(int(kind), HTML_ERROR, 'text/html')
            self.send(response)
        elif kind == '503':
            self.send(Response.text('The service is unavailable.', 503))
        elif kind == 'html':
            self.send(Response(200, HTML_ERROR.replace('502 - ', ''), 'text/html'))
        elif kind == 'timeout':
            time.sleep(float(rule.get('seconds', 30)))
            self.close_connection = True
            self.abort()
        else:  # reset, lost_response
            self.abort()

    def abort(self):
        """Close the socket at once with an RST, sending nothing."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, emulator):
        super().__init__(address, Handler)
        self.emulator = emulator


class EmulatorHandle:
    """A running emulator: ``url``, ``state``, ``stop()``."""

    def __init__(self, server, thread, emulator):
        self.server = server
        self.thread = thread
        self.emulator = emulator
        host, port = server.server_address[:2]
        self.url = 'http://%s:%d' % (host, port)
        self.auth_tenant_id = DEFAULT_AUTH_TENANT_ID

    @property
    def state(self):
        return self.emulator.state

    @property
    def token_url(self):
        return '%s/%s/oauth2/v2.0/token' % (self.url, self.auth_tenant_id)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def make_server(seed='default', host='127.0.0.1', port=0, latency_ms=0):
    from .seed import build_state  # imported late: the seed imports the handlers' helpers
    holder = {}

    def reseed(name):
        fresh = build_state(name)
        fresh.latency_ms = latency_ms
        if 'emulator' in holder:
            # A reset restores the tenants, not the sign-ins: issued tokens and API clients stay valid.
            old = holder['emulator'].state
            fresh.tokens, fresh.api_clients = old.tokens, old.api_clients
            holder['emulator'].state = fresh
        return fresh

    emulator = Emulator(build_state(seed), reseed)
    emulator.state.latency_ms = latency_ms
    holder['emulator'] = emulator
    return EmulatorServer((host, port), emulator), emulator


def start_emulator(seed='default', host='127.0.0.1', port=0, latency_ms=0):
    server, emulator = make_server(seed, host, port, latency_ms)
    thread = threading.Thread(target=server.serve_forever, name='cipp-emulator', daemon=True)
    thread.start()
    return EmulatorHandle(server, thread, emulator)


__all__ = ['start_emulator', 'make_server', 'registry']
