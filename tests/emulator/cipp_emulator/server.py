"""The HTTP side of the emulator: routing, EasyAuth-like bearer check, RBAC, the request log, latency, faults,
the Entra ID token endpoint, `$batch`, and the test controls under /_emulator/.

Order of a CIPP API request, as the real stack runs it: App Service EasyAuth (401) -> CIPP's router (404 for an
unknown function) -> Test-CIPPAccess (IP allow-list and role, 403) -> the handler. Injected faults and latency
happen once a request has passed auth, right before the handler (see README.md, "Faults").
"""

import fnmatch
import ipaddress
import json
import random
import re
import secrets
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .latency import Latency, uneven_settings
from .registry import CONTROL_HOOKS, ENDPOINTS, ConvertBoolError, Request, Response, ci
from .seed import build_state
from .state import DEFAULT_AUTH_TENANT_ID

# Importing the handler modules registers their endpoints. A module another part of the team has not written
# yet may be missing; any other import error is a real bug and must surface.
for _module in ('handlers_directory', 'handlers_exchange', 'handlers_security', 'handlers_scheduler', 'consistency'):
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
ROLE_DENIED = "Access to this CIPP API endpoint is not allowed, the '%s' base role does not have the required permission: %s"
NO_ROLE = 'Access to this CIPP API endpoint is not allowed, the user does not have the required permission'
# EasyAuth's answer to a missing, expired or foreign token (App Service; CIPP code never runs).
EASYAUTH_401 = 'You do not have permission to view this directory or page.'

# Request-log redaction: keys whose values are secrets, compared case-insensitively and exactly
# (a substring rule would also hide harmless values such as ExecPasswordNeverExpires' PasswordPolicy).
SECRET_KEYS = frozenset(('password', 'newpassword', 'secret', 'client_secret', 'clientsecret', 'token', 'access_token',
                         'refresh_token', 'id_token', 'copyfield', 'authorization', 'temporaryaccesspass', 'client_assertion'))
# Keys the state dump masks unless `?secrets=1`.
STATE_SECRET_KEYS = frozenset(('_password', 'secret', 'temporaryaccesspass', 'copyfield'))

FAULT_KINDS = ('429', '500', '502', '503', '504', 'timeout', 'reset', 'html', 'lost_response')
AZURE_FRONT_END_PAGE = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n<body style="font-family:Segoe UI,sans-serif">'
    '<h1>{title}</h1><p>{text}</p><p>Request ID: {request_id}</p></body></html>\n')
FRONT_END_ERRORS = {
    502: ('502 - Web server received an invalid response while acting as a gateway or proxy server.',
          'There is a problem with the page you are looking for, and it cannot be displayed. When the Web server (while acting as '
          'a gateway or proxy) contacted the upstream content server, it received an invalid response from the content server.'),
    504: ('504 - Gateway Timeout', 'The web server did not receive a timely response from the upstream server (Azure Functions host).'),
    200: ('Microsoft Azure App Service - Welcome', 'Your app service is up and running. Time to take the next step and deploy your code.'),
}


def role_allows(role, endpoint_role):
    """Built-in role check: a deny pattern wins over an allow pattern (wildcards over `.ROLE` strings)."""
    allowed, denied = ROLES[str(role).lower()]
    if any(fnmatch.fnmatchcase(endpoint_role, pattern) for pattern in denied):
        return False
    return any(fnmatch.fnmatchcase(endpoint_role, pattern) for pattern in allowed)


def redact(value):
    """A deep copy of request parameters with secret values replaced by "***" (empty values stay visible)."""
    if isinstance(value, dict):
        return dict((key, '***' if str(key).lower() in SECRET_KEYS and value[key] not in (None, '') else redact(value[key]))
                    for key in value)
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def client_address(forwarded, peer):
    """The address CIPP checks: the first X-Forwarded-For entry without its port, or the peer (CONTRACT 3.5)."""
    first = (forwarded or '').split(',')[0].strip()
    if not first:
        return peer
    if first.startswith('['):  # [v6]:port
        return first[1:].split(']')[0]
    if first.count(':') == 1:  # v4:port
        return first.split(':')[0]
    return first


def ip_allowed(ranges, address):
    if not ranges or any(str(item).strip().lower() == 'any' for item in ranges):
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for item in ranges:
        try:
            if ip in ipaddress.ip_network(str(item).strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def entra_error(error, code, description, status):
    """An Entra ID token-endpoint error body (the fields login.microsoftonline.com returns)."""
    now = datetime.now(timezone.utc)
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    text = 'AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s' % (code, description, trace, correlation,
                                                                           now.strftime('%Y-%m-%d %H:%M:%SZ'))
    return Response.json({'error': error, 'error_description': text, 'error_codes': [code],
                          'timestamp': now.strftime('%Y-%m-%d %H:%M:%SZ'), 'trace_id': trace, 'correlation_id': correlation,
                          'error_uri': 'https://login.microsoftonline.com/error?code=%d' % code}, status)


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
        """The next fault for this endpoint (rules first, in order, each `count` times; then the random mode), or None.

        A "*" rule matches API endpoints only: token requests are faulted by rules naming `token` explicitly,
        so a wildcard rule does not silently hit a client's first sign-in."""
        state = self.state
        lower = str(endpoint_name).lower()
        with state.lock:
            for rule in state.fault_rules:
                if rule.get('count', 1) <= 0:
                    continue
                target = str(rule.get('endpoint', '*')).lower()
                if target == lower or (target == '*' and lower != 'token'):
                    rule['count'] = rule.get('count', 1) - 1
                    return rule
            chaos = state.fault_random
            if chaos and lower != 'token' and self.chaos_covers(chaos, lower) and chaos['_rng'].random() < float(chaos.get('probability', 0.1)):
                return {'kind': chaos['_rng'].choice(chaos.get('kinds') or list(FAULT_KINDS)),
                        'retry_after': chaos.get('retry_after', 1), 'seconds': chaos.get('seconds', 5)}
        return None

    @staticmethod
    def chaos_covers(chaos, lower):
        """The random mode's optional `endpoints` (only these) and `exclude` (not these) lists."""
        only = [str(name).lower() for name in chaos.get('endpoints') or []]
        return (not only or lower in only) and lower not in [str(name).lower() for name in chaos.get('exclude') or []]

    def delay(self, endpoint_name, entry):
        """Wait the latency chosen for this request (steady or uneven, latency.py) and log it as `latency_ms`."""
        with self.state.lock:
            ms = self.state.latency.choose(endpoint_name)
        entry['latency_ms'] = round(ms, 1)
        if ms:
            time.sleep(ms / 1000.0)

    def inject(self, endpoint_name, entry):
        """Latency, then a pre-handler fault (raised). Returns the `lost_response` rule, if that is the fault."""
        self.delay(endpoint_name, entry)
        fault = self.pick_fault(endpoint_name)
        if fault is None:
            return None
        entry['fault'] = fault['kind']
        if fault['kind'] != 'lost_response':
            raise Fault(fault['kind'], fault)
        return fault

    # ---------------------------------------------------------------- API requests

    def authenticate(self, headers, peer):
        """(client dict, None) or (None, Response) as EasyAuth and CIPP's IP check would answer."""
        header = headers.get('Authorization') or ''
        token = header[7:].strip() if header.lower().startswith('bearer ') else None
        with self.state.lock:
            record = self.state.tokens.get(token) if token else None
            client = self.state.api_clients.get(record['appId']) if record else None
            valid = (record is not None and record['expires'] > self.state.now() and client is not None
                     and client.get('enabled', True) and record['aud'] == 'api://%s' % client['appId'])
        if not valid:
            # A v2 token for the bare client id (aud = GUID) is refused here too (CONTRACT 3.2).
            return None, Response.text(EASYAUTH_401, 401, {'WWW-Authenticate': 'Bearer realm="%s"' % (headers.get('Host') or '')})
        if not ip_allowed(client.get('ipRanges'), client_address(headers.get('X-Forwarded-For'), peer)):
            return None, Response.text(IP_DENIED, 403)
        return client, None

    def authorize(self, client, spec, query=None, body=None):
        """Test-CIPPAccess for an API client; None when allowed. A built-in role is checked against its include/exclude
        patterns; any other role name is a CIPP custom role (POST /_emulator/custom-roles): its permissions are matched
        with `$Perm -match $APIRole` (a regex, so `Identity.User.ReadWrite` also grants `Identity.User.Read`), then its
        blocked endpoints and its tenant scope. A client with no role has the custom role `cipp-api`."""
        role = str(client.get('role') or '') or 'cipp-api'
        if role.lower() in ROLES:
            if not role_allows(role, spec.role):
                return Response.text(ROLE_DENIED % (role, spec.role), 403)
            return None
        with self.state.lock:
            custom = self.state.custom_roles.get(role.lower())
        if custom is None:
            return Response.text(NO_ROLE, 403)  # Get-CIPPRolePermissions throws "Role ... not found."
        if not any(re.search(spec.role, str(perm), re.IGNORECASE) for perm in custom.get('Permissions') or []):
            return Response.text('Access to this CIPP API endpoint is not allowed, you do not have the required permission: %s'
                                 % spec.role, 403)
        if spec.name in (custom.get('BlockedEndpoints') or []):
            return Response.text("Access to this CIPP API endpoint is not allowed, the custom role '%s' has blocked this endpoint: %s"
                                 % (custom['Role'], spec.name), 403)
        if not self.tenant_allowed(custom, spec, query or {}, body) and not spec.any_tenant:
            return Response.text('Access to this tenant is not allowed', 403)
        return None

    def tenant_allowed(self, custom, spec, query, body):
        body = body if isinstance(body, dict) else {}
        wrapped = body.get('tenantFilter')
        tenant_filter = (query.get('tenantFilter') or (wrapped.get('value') if isinstance(wrapped, dict) else None) or wrapped
                         or query.get('tenantId') or body.get('tenantId') or DEFAULT_AUTH_TENANT_ID)
        allowed, blocked = list(custom.get('AllowedTenants') or []), list(custom.get('BlockedTenants') or [])
        if not blocked and 'AllTenants' in allowed:
            return True
        if str(tenant_filter) == 'AllTenants':
            return not spec.role.endswith('Write')
        tenant = self.state.resolve_tenant(tenant_filter)
        if tenant is None:
            return True  # a tenant CIPP does not know is not refused here
        ids = [t.customer_id for t in self.state.tenants.values()] if 'AllTenants' in allowed else allowed
        return tenant.customer_id in ids and tenant.customer_id not in blocked

    def dispatch(self, method, name, headers, query, raw_body, content_type, peer, entry, faults=True):
        """The Response for /api/{name}; fills the log entry. May raise Fault for connection-level faults."""
        spec = ENDPOINTS.get(name.lower())  # a trailing slash or a sub-path never matches a function name
        if spec is not None:
            entry['endpoint'] = spec.name
            entry['kind'] = 'write' if spec.write else 'read'
        body = self.parse_body(raw_body, content_type)
        entry['params'] = self.log_params(query, body)
        entry['tenant'] = self.tenant_as_sent(query, body)
        client, denied = self.authenticate(headers, peer)
        if denied is not None:
            return denied
        entry['client_id'] = client['appId']
        entry['role'] = client.get('role')
        if spec is None:
            return Response.text('Endpoint not found', 404)
        denied = self.authorize(client, spec, query, body)
        if denied is not None:
            return denied
        lost = self.inject(spec.name, entry) if faults else None
        request = Request(method, '/api/' + name, headers, query, body, self.state, client)
        entry['applied'] = True
        response = self.run_handler(spec, request)
        if lost is not None:
            entry['status'] = response.status
            raise Fault('lost_response', lost)
        return response

    @staticmethod
    def run_handler(spec, request):
        try:
            return spec.func(request)
        except ConvertBoolError as exc:
            return Response.text(str(exc), 500)
        # CIPP's router turns any throw into a 500 whose text/plain body is the exception message.
        except Exception as exc:  # pylint: disable=broad-except
            traceback.print_exc(file=sys.stderr)
            return Response.text(str(exc), 500)

    @staticmethod
    def parse_body(raw_body, content_type):
        """$Request.Body as the Functions worker builds it: parsed JSON only for a missing or JSON content type."""
        if not raw_body:
            return None
        text = raw_body.decode('utf-8', 'replace')
        media = (content_type or '').split(';')[0].strip().lower()
        if media not in ('', 'application/json'):
            return text
        try:
            return ci(json.loads(text))
        except ValueError:
            return text

    @staticmethod
    def log_params(query, body):
        params = dict(query)
        if isinstance(body, dict):
            params.update(body)
        elif isinstance(body, list):
            params['_body'] = body
        elif isinstance(body, str):
            params['_raw'] = '<%d characters, not parsed>' % len(body)  # not JSON: kept out of the log, it may hold secrets
        return redact(params)

    @staticmethod
    def tenant_as_sent(query, body):
        if query.get('tenantFilter') is not None:
            return query.get('tenantFilter')
        if isinstance(body, dict):
            return body.get('tenantFilter')
        if isinstance(body, list) and body and isinstance(body[0], dict):
            return body[0].get('tenantFilter')
        return None

    def batch(self, headers, raw_body, content_type, peer, parent):
        """POST /api/$batch (CONTRACT 2.7): every sub-request runs through auth, RBAC and its handler."""
        parent.update(endpoint='$batch', kind='batch')
        client, denied = self.authenticate(headers, peer)
        if denied is not None:
            return denied
        parent.update(client_id=client['appId'], role=client.get('role'))
        body = self.parse_body(raw_body, content_type)
        subs = body.get('requests') if isinstance(body, dict) else None
        if not isinstance(subs, list) or not subs or len(subs) > 20:
            return Response.json({'error': {'message': 'A batch must contain between 1 and 20 requests.'}}, 400)
        lost = self.inject('$batch', parent)
        parent['applied'] = True
        responses = [self.batch_one(sub if isinstance(sub, dict) else {}, headers, peer) for sub in subs]
        response = Response.json({'responses': responses})
        if lost is not None:
            parent['status'] = response.status
            raise Fault('lost_response', lost)
        return response

    def batch_one(self, sub, headers, peer):
        url = str(sub.get('url') or '').lstrip('/')
        if url.lower().startswith('api/'):
            url = url[4:]
        name, _sep, query_text = url.partition('?')
        query = ci(dict((k, v[-1]) for k, v in urllib.parse.parse_qs(query_text, keep_blank_values=True).items()))
        for key, value in (sub.get('query') or {}).items():
            query[key] = value if isinstance(value, str) else json.dumps(value)
        method = str(sub.get('method') or 'GET').upper()
        body = sub.get('body')
        entry = self.new_entry(method, '/api/' + name, 'read')
        entry['batched'] = True
        raw = json.dumps(body).encode('utf-8') if body is not None else b''
        response = self.dispatch(method, name, headers, query, raw, 'application/json', peer, entry, faults=False)
        entry['status'] = response.status
        self.state.append_log(entry)
        try:
            parsed = json.loads(response.body) if response.body else None
        except ValueError:
            parsed = response.body
        return {'id': sub.get('id'), 'status': response.status, 'body': parsed}

    # ---------------------------------------------------------------- the token endpoint

    def token(self, method, auth_tenant, raw_body, entry):
        """Entra ID's client-credentials grant for the emulator's API clients (CONTRACT 3.1)."""
        form = dict((k, v[-1]) for k, v in urllib.parse.parse_qs(raw_body.decode('utf-8', 'replace')).items())
        entry['params'] = redact(form)
        entry['client_id'] = form.get('client_id')
        if method != 'POST':
            return entra_error('invalid_request', 900561, 'The endpoint only accepts POST, OPTIONS requests. Received a %s request.'
                               % method, 400)
        if auth_tenant.lower() != DEFAULT_AUTH_TENANT_ID:
            return entra_error('invalid_request', 90002, "Tenant '%s' not found. Check to make sure you have the correct tenant ID "
                               'and are signing into the correct cloud.' % auth_tenant, 400)
        if form.get('grant_type') != 'client_credentials':
            return entra_error('unsupported_grant_type', 70003, 'The app requested an unsupported grant type.', 400)
        client_id = str(form.get('client_id') or '').lower()
        with self.state.lock:
            client = self.state.api_clients.get(client_id)
        if client is None:
            return entra_error('unauthorized_client', 700016, "Application with identifier '%s' was not found in the directory "
                               "'%s'." % (form.get('client_id'), DEFAULT_AUTH_TENANT_ID), 400)
        entry['role'] = client.get('role')
        if not form.get('client_secret'):
            return entra_error('invalid_client', 7000216, "'client_assertion', 'client_secret' or 'request' is required for the "
                               "'client_credentials' grant type.", 401)
        if form['client_secret'] != client['secret']:
            return entra_error('invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the '
                               'request is the client secret value, not the client secret ID, for a secret added to app '
                               "'%s'." % client['appId'], 401)
        audience = self.audience(client, form.get('scope'))
        if audience is None:
            return entra_error('invalid_scope', 70011, "The provided request must include a 'scope' input parameter. The provided "
                               "value for the input parameter 'scope' is not valid. The scope %s is not valid." % form.get('scope'), 400)
        token = 'emu.' + secrets.token_urlsafe(32)
        with self.state.lock:
            lifetime = self.state.token_lifetime
            self.state.tokens[token] = {'appId': client['appId'], 'aud': audience, 'expires': self.state.now() + lifetime}
        return Response.json({'token_type': 'Bearer', 'expires_in': lifetime, 'ext_expires_in': lifetime, 'access_token': token})

    @staticmethod
    def audience(client, scope):
        """The token audience for a scope: `api://{id}/.default` (what CIPP accepts) or `{id}/.default` (a bare-GUID
        audience that Entra issues but EasyAuth refuses); None for any other scope."""
        text = str(scope or '').strip().lower()
        if text == 'api://%s/.default' % client['appId']:
            return 'api://%s' % client['appId']
        if text == '%s/.default' % client['appId']:
            return client['appId']
        return None

    # ---------------------------------------------------------------- test controls

    def control(self, method, path, query, raw_body):
        """The /_emulator/ test controls (no auth). Every answer is JSON."""
        try:
            body = json.loads(raw_body.decode('utf-8')) if raw_body else {}
        except ValueError:
            return Response.json({'error': 'control bodies are JSON'}, 400)
        handler = CONTROLS.get(path)
        if handler is not None:
            try:
                return handler(self, method, query, body)
            except (KeyError, TypeError, ValueError) as exc:
                return Response.json({'error': 'bad control request: %s' % exc}, 400)
        hook = CONTROL_HOOKS.get(path)
        if hook is not None:
            try:
                if getattr(hook, 'wants_method', False):
                    return Response.json(hook(self.state, body, method=method) or {})
                return Response.json(hook(self.state, body) or {})
            except (KeyError, TypeError, ValueError) as exc:
                return Response.json({'error': 'bad control request: %s' % exc}, 400)
        return Response.json({'error': 'unknown control %s' % path}, 404)

    def ctl_health(self, _method, _query, _body):
        return Response.json({'ok': True, 'seed': self.state.seed_name, 'endpoints': sorted(e.name for e in ENDPOINTS.values())})

    def ctl_reset(self, _method, _query, body):
        try:
            self.reseed(body.get('seed') or self.state.seed_name)
        except ValueError as exc:
            return Response.json({'error': str(exc)}, 400)
        return Response.json({'reset': True, 'seed': self.state.seed_name})

    def ctl_log(self, method, query, _body):
        if method == 'DELETE':
            return self.ctl_log_clear(method, query, _body)
        since = int(query.get('since') or 0)
        with self.state.lock:
            return Response.json([entry for entry in self.state.log if entry['seq'] > since])

    def ctl_log_clear(self, _method, _query, _body):
        with self.state.lock:
            self.state.log = []
        return Response.json({'cleared': True})

    def ctl_log_settings(self, _method, _query, body):
        with self.state.lock:
            self.state.log_controls = bool(body.get('controls'))
        return Response.json({'controls': self.state.log_controls})

    def ctl_state(self, _method, query, _body):
        text = json.dumps(self.dump_state(query.get('tenant'), query.get('secrets') == '1'), default=str)
        return Response(200, text, 'application/json; charset=utf-8')

    def ctl_latency(self, method, _query, body):
        """POST replaces the latency: {"ms", "endpoints": {name: ms}, "uneven": true | {sigma, cold_probability,
        cold_ms, seed}} (no `uneven`: steady); a new setting restarts the uneven draws from its seed. GET shows it."""
        if method != 'GET':
            try:
                latency = Latency(body.get('ms'), body.get('endpoints'), body.get('uneven'))
            except (TypeError, ValueError) as exc:
                return Response.json({'error': str(exc)}, 400)
            with self.state.lock:
                self.state.latency = latency
        with self.state.lock:
            return Response.json(self.state.latency.describe())

    def ctl_faults(self, method, _query, body):
        """POST replaces the fault set; DELETE clears it; GET shows what is left. Accepted bodies: a list of rules,
        one rule, {"rules": [...], "random": {...}}, or a random mode {"probability", "kinds", "seed"}."""
        state = self.state
        with state.lock:
            if method == 'DELETE':
                state.fault_rules, state.fault_random = [], None
            elif method != 'GET':
                rules, chaos = self.fault_spec(body)
                state.fault_rules = rules
                state.fault_random = dict(chaos, _rng=random.Random(chaos.get('seed', 42))) if chaos else None
            shown = None if state.fault_random is None else dict((k, v) for k, v in state.fault_random.items() if k != '_rng')
            return Response.json({'rules': state.fault_rules, 'random': shown})

    @staticmethod
    def fault_spec(body):
        if isinstance(body, list):
            rules, chaos = body, None
        elif 'probability' in body:
            rules, chaos = [], body
        elif 'kind' in body:
            rules, chaos = [body], None
        else:
            rules, chaos = body.get('rules') or [], body.get('random')
        clean = []
        for rule in rules:
            kind = str(rule.get('kind'))
            if kind not in FAULT_KINDS:
                raise ValueError('unknown fault kind %r; kinds: %s' % (kind, ', '.join(FAULT_KINDS)))
            clean.append(dict(rule, kind=kind, endpoint=rule.get('endpoint', '*'), count=int(rule.get('count', 1))))
        for kind in (chaos or {}).get('kinds') or []:
            if str(kind) not in FAULT_KINDS:
                raise ValueError('unknown fault kind %r' % kind)
        if chaos:
            chaos = dict(chaos, kinds=[str(k) for k in chaos.get('kinds') or FAULT_KINDS])
        return clean, chaos

    def ctl_token_lifetime(self, _method, _query, body):
        with self.state.lock:
            self.state.token_lifetime = int(body.get('seconds') or 3599)
        return Response.json({'seconds': self.state.token_lifetime})

    def ctl_clients(self, method, _query, body):
        """Add or replace an API client ({appId, secret, role, ipRanges, enabled}); GET lists them (secrets masked)."""
        with self.state.lock:
            if method != 'GET':
                app_id = str(body.get('appId') or body.get('client_id')).lower()
                self.state.api_clients[app_id] = {'appId': app_id, 'secret': body.get('secret', body.get('client_secret', '')),
                                                  'role': body.get('role', ''), 'ipRanges': list(body.get('ipRanges') or []),
                                                  'enabled': bool(body.get('enabled', True))}
            return Response.json([dict(c, secret='***') for c in self.state.api_clients.values()])

    def ctl_clock(self, _method, _query, body):
        with self.state.lock:
            self.state.clock_offset += float(body.get('advance') or 0)
            return Response.json({'offset': self.state.clock_offset, 'now': self.state.now()})

    def ctl_step_failure(self, method, _query, body):
        """Make one offboarding step fail for one user ({tenant, upn, step, message}); DELETE clears them all."""
        state = self.state
        if method == 'DELETE':
            with state.lock:
                state.step_failures = {}
            return Response.json({'cleared': True})
        tenant = state.resolve_tenant(body.get('tenant'))
        if tenant is None:
            return Response.json({'error': 'unknown tenant %r' % body.get('tenant')}, 400)
        with state.lock:
            key = (tenant.customer_id, str(body['upn']).lower(), str(body['step']))
            state.step_failures[key] = body.get('message') or 'The emulator was told to fail this step.'
        return Response.json({'ok': True})

    def ctl_custom_roles(self, method, _query, body):
        """CIPP custom roles for API clients: POST {"name", "permissions": [...], "allowedTenants": ["AllTenants"],
        "blockedTenants": [], "blockedEndpoints": []} adds or replaces one; DELETE removes them all; GET lists them."""
        with self.state.lock:
            if method == 'DELETE':
                self.state.custom_roles = {}
            elif method != 'GET':
                name = str(body['name'])
                self.state.custom_roles[name.lower()] = {
                    'Role': name, 'Permissions': list(body.get('permissions') or []),
                    'AllowedTenants': list(body.get('allowedTenants') or ['AllTenants']),
                    'BlockedTenants': list(body.get('blockedTenants') or []), 'BlockedEndpoints': list(body.get('blockedEndpoints') or [])}
            return Response.json(list(self.state.custom_roles.values()))

    def dump_state(self, tenant_filter, show_secrets):
        def clean(obj):
            if isinstance(obj, dict):
                return dict((str(k) if not isinstance(k, tuple) else '|'.join(k),
                             '***' if not show_secrets and str(k).lower() in STATE_SECRET_KEYS and v else clean(v))
                            for k, v in obj.items() if k != '_rng' and not callable(v))
            if isinstance(obj, (list, tuple, set)):
                return [clean(v) for v in obj]
            return obj
        state = self.state
        with state.lock:
            tenants = [state.resolve_tenant(tenant_filter)] if tenant_filter else list(state.tenants.values())
            return clean({
                'seed': state.seed_name, 'now': state.now(), 'clock_offset': state.clock_offset,
                'tenants': [vars(tenant) for tenant in tenants if tenant],
                'scheduled_tasks': state.scheduled_tasks, 'bec_cache': state.bec_cache, 'api_clients': state.api_clients,
                'step_failures': state.step_failures, 'latency': state.latency.describe(),
                'fault_rules': state.fault_rules, 'fault_random': state.fault_random, 'token_lifetime': state.token_lifetime,
            })

    @staticmethod
    def new_entry(method, path, kind):
        return {'ts': time.time(), 'method': method, 'path': path, 'endpoint': None, 'kind': kind, 'tenant': None,
                'params': {}, 'status': None, 'client_id': None, 'role': None, 'fault': None, 'applied': False,
                'latency_ms': None}


CONTROLS = {
    'health': Emulator.ctl_health, 'reset': Emulator.ctl_reset, 'log': Emulator.ctl_log, 'log/clear': Emulator.ctl_log_clear,
    'log/settings': Emulator.ctl_log_settings, 'state': Emulator.ctl_state, 'latency': Emulator.ctl_latency,
    'faults': Emulator.ctl_faults, 'token-lifetime': Emulator.ctl_token_lifetime, 'clients': Emulator.ctl_clients,
    'clock': Emulator.ctl_clock, 'step-failure': Emulator.ctl_step_failure, 'custom-roles': Emulator.ctl_custom_roles,
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'Kestrel'  # what an Azure Functions host answers with
    sys_version = ''

    def log_message(self, *args):  # keep test output quiet; the request log is the record
        return

    def do_GET(self):  # pylint: disable=invalid-name
        self.handle_any()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET  # the HTTP method is never checked (CONTRACT 2.1)

    def handle_any(self):
        parsed = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parsed.path)
        length = int(self.headers.get('Content-Length') or 0)
        raw_body = self.rfile.read(length) if length else b''
        query = ci(dict((k, v[-1]) for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()))
        if path.startswith('/_emulator/'):
            self.handle_control(path[len('/_emulator/'):].strip('/'), query, raw_body)
        elif path.endswith('/oauth2/v2.0/token') and path.count('/') == 4:
            self.handle_token(path.split('/')[1], raw_body)
        elif path.startswith('/api/'):
            self.handle_api(path[len('/api/'):], query, raw_body)
        else:
            self.send(Response.text('Endpoint not found', 404))

    def handle_control(self, name, query, raw_body):
        emulator = self.server.emulator
        response = emulator.control(self.command, name, query, raw_body)
        if emulator.state.log_controls:
            entry = emulator.new_entry(self.command, self.path, 'control')
            entry.update(endpoint=name, status=response.status, applied=True)
            emulator.state.append_log(entry)
        self.send(response)

    def handle_token(self, auth_tenant, raw_body):
        emulator = self.server.emulator
        entry = emulator.new_entry(self.command, urllib.parse.urlsplit(self.path).path, 'token')
        entry['endpoint'] = 'token'
        try:
            lost = emulator.inject('token', entry)
            entry['applied'] = True
            response = emulator.token(self.command, auth_tenant, raw_body, entry)
            if lost is not None:
                entry['status'] = response.status
                raise Fault('lost_response', lost)
        except Fault as fault:
            self.fail(fault, entry)
            return
        entry['status'] = response.status
        emulator.state.append_log(entry)
        self.send(response)

    def handle_api(self, name, query, raw_body):
        emulator = self.server.emulator
        entry = emulator.new_entry(self.command, urllib.parse.urlsplit(self.path).path, 'read')
        content_type = self.headers.get('Content-Type')
        try:
            if name == '$batch':
                response = emulator.batch(self.headers, raw_body, content_type, self.client_address[0], entry)
            else:
                response = emulator.dispatch(self.command, name, self.headers, query, raw_body, content_type, self.client_address[0], entry)
        except Fault as fault:
            self.fail(fault, entry)
            return
        entry['status'] = response.status
        emulator.state.append_log(entry)
        self.send(response)

    def send(self, response):
        data = response.body.encode('utf-8') if isinstance(response.body, str) else (response.body or b'')
        self.send_response(response.status)
        self.send_header('Content-Type', response.content_type)
        self.send_header('Content-Length', str(len(data)))
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    def fail(self, fault, entry):
        """Misbehave as the fault says, and log it."""
        kind, rule = fault.kind, fault.rule
        if kind in ('429', '500', '502', '503', '504', 'html'):
            entry['status'] = 200 if kind == 'html' else int(kind)
        elif kind != 'lost_response':
            entry['status'] = None  # nothing was sent
        self.server.emulator.state.append_log(entry)
        if kind == '429':
            self.send(Response.text('Too many requests. Please retry later.', 429, {'Retry-After': str(rule.get('retry_after', 1))}))
        elif kind == '500':
            self.send(Response.text("Exception of type 'System.OutOfMemoryException' was thrown.", 500))
        elif kind in ('502', '504', 'html'):
            status = 200 if kind == 'html' else int(kind)
            title, text = FRONT_END_ERRORS[status]
            page = AZURE_FRONT_END_PAGE.format(title=title, text=text, request_id=uuid.uuid4())
            self.send(Response(status, page, 'text/html'))
        elif kind == '503':
            self.send(Response.text('The service is unavailable.', 503))
        elif kind == 'timeout':
            time.sleep(float(rule.get('seconds', 30)))
            self.abort()
        else:  # reset, lost_response
            self.abort()

    def abort(self):
        """Close the socket at once with an RST (SO_LINGER 0), sending nothing."""
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

    def handle_error(self, request, client_address):
        """A client that went away mid-answer (or a fault that closed the socket) is not an error worth printing."""
        if isinstance(sys.exc_info()[1], (ConnectionError, OSError)):
            return
        super().handle_error(request, client_address)


class EmulatorHandle:
    """A running emulator: ``url``, ``state``, ``token_url``, ``auth_tenant_id``, ``stop()``."""

    def __init__(self, server, thread, emulator):
        self.server = server
        self.thread = thread
        self.emulator = emulator
        host, port = server.server_address[:2]
        self.url = 'http://%s:%d' % (host, port)
        self.auth_tenant_id = DEFAULT_AUTH_TENANT_ID

    @property
    def state(self):
        return self.emulator.state  # replaced on every reset, so always read it through the handle

    @property
    def token_url(self):
        return '%s/%s/oauth2/v2.0/token' % (self.url, self.auth_tenant_id)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def make_server(seed='default', host='127.0.0.1', port=0, latency_ms=0, consistency=None, latency_uneven=None):
    """(EmulatorServer, Emulator) bound to host:port (0 = a free port), not yet serving. `consistency`:
    {"reads": N, "seconds": S} starts every state (and every reset) with Graph's eventual consistency on.
    `latency_uneven` (true or a dict of latency.UNEVEN_DEFAULTS overrides) makes the start latency uneven; every
    reset starts its draws again from the seed."""
    latency_uneven = uneven_settings(latency_uneven)  # a bad setting fails here, not at the first reset

    def fresh(name):
        state = build_state(name)
        state.latency = Latency(latency_ms, None, latency_uneven)
        if consistency:
            state.consistency = {'reads': int(consistency.get('reads') or 0), 'seconds': float(consistency.get('seconds') or 0)}
        return state

    emulator = Emulator(fresh(seed), None)

    def reseed(name):
        # Issued access tokens stay valid: resetting the directory does not sign anyone out of Entra ID. A token whose
        # client is gone after the reset (one added through /_emulator/clients) still fails, as the client is unknown.
        state = fresh(name)
        with emulator.state.lock:
            state.tokens = dict(emulator.state.tokens)
        emulator.state = state

    emulator.reseed = reseed
    return EmulatorServer((host, port), emulator), emulator


def start_emulator(seed='default', host='127.0.0.1', port=0, latency_ms=0, consistency=None, latency_uneven=None):
    """Start the emulator in a background thread and return its handle (``.url``, ``.state``, ``.stop()``)."""
    server, emulator = make_server(seed, host, port, latency_ms, consistency, latency_uneven)
    thread = threading.Thread(target=server.serve_forever, name='cipp-emulator', daemon=True)
    thread.start()
    return EmulatorHandle(server, thread, emulator)


__all__ = ['start_emulator', 'make_server', 'EmulatorHandle', 'Emulator']
