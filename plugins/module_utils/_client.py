# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one CIPP client every module and plugin uses.

It owns: transport (one requests.Session per run), Entra ID client-credentials auth with a shared
token cache, bounded retries with jittered backoff that honour Retry-After, lenient response
parsing with CIPP's failure-inside-HTTP-200 detection, typed errors, the write guard (no write in
check mode, no write to AllTenants) and a redacted log of the calls it made or planned.

Nothing here imports Ansible, so the same client runs in a module, an action plugin or a test.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import json
import random
import re
import threading
import time

from urllib.parse import urlsplit

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module through missing_required_lib
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

from ansible_collections.msp.cipp.plugins.module_utils import _endpoints
from ansible_collections.msp.cipp.plugins.module_utils._common import is_secret_key, mask_text, redact
from ansible_collections.msp.cipp.plugins.module_utils._errors import (
    CippAuthError, CippCheckModeError, CippConfigError, CippError, CippGuardError, CippNotFoundError, CippPermissionError,
    CippRequestError, CippResultError, CippServerError, CippTransportError, CippWriteUncertainError,
)
from ansible_collections.msp.cipp.plugins.module_utils._token_cache import TokenCache, resolve_cache_dir

USER_AGENT = 'msp.cipp-ansible/0.1.0'
DEFAULT_TOKEN_URL = 'https://login.microsoftonline.com/{auth_tenant_id}/oauth2/v2.0/token'
ALL_TENANTS = 'alltenants'

# The parameter names that carry the customer tenant of a call (any case; a value may be an autocomplete dict).
TENANT_KEYS = ('tenantfilter', 'tenantid')
# Endpoints that act on CIPP itself, not on one customer tenant, and so need no tenantFilter. Every other endpoint
# must name a tenant: without one CIPP falls back to the partner tenant, i.e. the MSP's own (CONTRACT 0.1 C10).
TENANTLESS = frozenset(name.lower() for name in ('ListTenants', 'me', 'ListCustomRole', 'RemoveScheduledItem', _endpoints.BATCH))
TENANT_FORM = "a customer tenant's default domain (contoso.com, contoso.onmicrosoft.com) or its tenant id"

# What CIPP's own frontend treats as a failure text (CippApiResults.jsx), unless an item has a state.
FAILURE_TEXT = re.compile(r'error|failed|exception|not found|invalid_grant', re.IGNORECASE)
# Test-CIPPAccess.ps1's refusals: "Access to this CIPP API endpoint is not allowed ..." and "Access denied: unable to
# resolve roles for the authenticated principal".
RBAC_TEXT = re.compile(r'^\s*Access (to this |denied)', re.IGNORECASE)
# A 5xx whose text is CIPP's own failure message (a handler that threw, or caught and answered): a verdict on this
# request, not a lost answer (for example ExecSetMailboxRule's plain-text "Could not set mailbox rule ...").
CIPP_VERDICT_TEXT = re.compile(r'^\s*(Failed to |Could not |Error - )', re.IGNORECASE)
SECRET_RESULT_TEXT = re.compile(r'password|passphrase|\bTAP\b|temporary access pass', re.IGNORECASE)

# The keys of CIPP's error row in List answers (ListTenants' "Failed to retrieve tenants"); a data row
# that merely has a Results field (a scheduler task) has many more.
ERROR_ROW_KEYS = frozenset(('Results', 'defaultDomainName', 'displayName', 'customerId', 'Message'))

RETRYABLE_STATUS = (429, 502, 503, 504)
# 429 and 503 are answered before CIPP's handler runs (App Service throttling, feature switch):
# a write that got them was not applied and may be sent again.
WRITE_SAFE_STATUS = (429, 503)
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
RETRY_AFTER_CAP = 120.0
READ_500_RETRIES = 2


class CippClient:
    """See the module docstring. ``calls`` is the redacted record of calls (made or planned)."""

    def __init__(self, api_url, client_id=None, client_secret=None, auth_tenant_id=None, token_url=None,
                 access_token=None, validate_certs=True, timeout=60, max_retries=4, token_cache=None,
                 check_mode=False, retry_budget=300, session=None, sleep=time.sleep, managed_tenants=None):
        if not HAS_REQUESTS:
            raise CippConfigError('The Python library requests is required by msp.cipp: %s' % REQUESTS_IMPORT_ERROR)
        self.api_base = _api_base(api_url)
        self.client_id = client_id
        self.client_secret = client_secret
        self.static_token = access_token
        if not access_token:
            if not (client_id and client_secret):
                raise CippConfigError('Authentication needs either access_token (CIPP_ACCESS_TOKEN), or client_id '
                                      '(CIPP_CLIENT_ID) with client_secret (CIPP_CLIENT_SECRET).')
            if not token_url and not auth_tenant_id:
                raise CippConfigError('auth_tenant_id (CIPP_AUTH_TENANT_ID), the tenant ID of the partner tenant that '
                                      'holds the CIPP API client, is required to get a token (or set token_url).')
        self.token_url = token_url or DEFAULT_TOKEN_URL.format(auth_tenant_id=auth_tenant_id)
        if not access_token:
            _require_https(self.token_url, 'token_url')
        self.scope = 'api://%s/.default' % client_id if client_id else None
        self.validate_certs = validate_certs
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        if self.timeout <= 0 or self.max_retries < 0:
            raise CippConfigError('timeout must be a positive number of seconds and max_retries zero or more.')
        self.retry_budget = retry_budget
        self.check_mode = check_mode
        # Said in the task's result: settings that weaken or change what was asked for.
        self.warnings = []
        self.cache = TokenCache(resolve_cache_dir(token_cache))
        if self.cache.problem:
            self.warnings.append(self.cache.problem)
        if not validate_certs:
            self.warnings.append('validate_certs is false: the TLS certificates of %s and of the token endpoint are not checked, '
                                 'so anyone on the network path can pose as CIPP and read the bearer token and the client '
                                 'secret. Use it only against a test instance.' % self.api_base)
        self.session = session or requests.Session()
        # Also given on every request: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session-level
        # verify=False (psf/requests#3829), so validate_certs: false would silently still verify, or the other way round.
        self.session.verify = validate_certs
        self.session.headers.update({'User-Agent': USER_AGENT, 'Accept': 'application/json'})
        self._sleep = sleep
        self._token = access_token
        self.calls = []
        self.token_requests = 0
        # Every secret this client has seen or sent, to mask wherever it might show. cipp_users runs tasks of one
        # client in threads: additions and the copies the maskers read are made under a lock.
        self._secrets = set(s for s in (client_secret, access_token) if s)
        self._secrets_lock = threading.Lock()
        # Tenants CIPP manages (lower-case domains and ids), read once per token and shared through the token cache;
        # ``_tenants_live`` says this client read them itself, so a miss is final. cipp_users writes from threads.
        # managed_tenants(client) -> the names and ids of the tenants CIPP manages. Given by the caller (the module
        # wrapper passes the API layer's ListTenants reader): the transport knows no endpoint's meaning.
        self._list_managed = managed_tenants
        self._managed = None
        self._tenants_live = False
        self._tenant_lock = threading.Lock()
        # Answers read ahead through $batch (prefetch), each kept for the one call that asks for exactly it.
        self._prefetched = {}
        self._prefetch_lock = threading.Lock()

    # ------------------------------------------------------------------ public API

    def call(self, endpoint, params=None, tenant=None, check_results=True):
        """Send one call and return CIPP's parsed body (JSON, or the raw text when it is not JSON).

        Raises a CippError subclass on failure. Writes are refused in check mode and never re-sent
        unless the failure proves they were not applied.
        """
        spec = _endpoints.lookup(endpoint)
        params = self._with_tenant(params, tenant)
        self._guard(spec, params)
        if spec.write and self.check_mode:
            raise CippCheckModeError('Refusing to send %s in check mode. This is a bug in msp.cipp: the module '
                                     'should have planned the call instead.' % spec.name, endpoint=spec.name)
        self._require_managed_tenants(spec, params)
        if not spec.write:
            found, body = self._take_prefetched(spec, params)
            if found:
                self._raise_for_result(spec, 200, body, check_results)
                return body
        self._collect_sent_secrets(params)
        entry = self._record(spec, params, sent=True)
        status, body = self._send(spec, params, entry)
        entry['status'] = status
        self._collect_secrets(body)
        self._raise_for_result(spec, status, body, check_results)
        return body

    def write(self, endpoint, params=None, tenant=None, check_results=True):
        """``call`` for a write, or in check mode only record the call it would make and return None."""
        spec = _endpoints.lookup(endpoint)
        params = self._with_tenant(params, tenant)
        self._guard(spec, params)
        # Checked in check mode too: the plan of a write to a tenant CIPP does not manage would be a false promise.
        self._require_managed_tenants(spec, params)
        if self.check_mode:
            self._record(spec, params, sent=False)
            return None
        return self.call(endpoint, params, check_results=check_results)

    def batch(self, requests_list, tenant=None):
        """Several independent reads through CIPP's ``$batch``, 20 at a time.

        ``requests_list`` holds ``(endpoint, params)`` pairs; returns a list of
        ``{'status': int, 'body': parsed}`` in the same order. Writes are not batched: a lost batch
        response would leave every write in it uncertain.
        """
        for name, params in requests_list:
            spec = _endpoints.lookup(name)
            if spec.write:
                raise CippGuardError('%s is a write; writes are never sent through $batch.' % name, endpoint=name)
            # Every sub-request is checked before the first chunk goes out.
            _require_tenant(spec, self._with_tenant(params, tenant))
        results = []
        for start in range(0, len(requests_list), _endpoints.BATCH_LIMIT):
            chunk = requests_list[start:start + _endpoints.BATCH_LIMIT]
            subs = []
            for index, (name, params) in enumerate(chunk):
                spec = _endpoints.lookup(name)
                params = self._with_tenant(params, tenant)
                self._record(spec, params, sent=True, batched=True)
                subs.append({'id': str(index), 'url': spec.name, 'method': 'GET', 'query': _query_values(params)})
            batch_spec = _endpoints.Endpoint(_endpoints.BATCH, False, 'body')
            entry = self._record(batch_spec, {'requests': len(subs)}, sent=True)
            status, body = self._send(batch_spec, {'requests': subs}, entry)
            entry['status'] = status
            self._raise_for_result(batch_spec, status, body, check_results=False)
            by_id = {}
            for response in (body or {}).get('responses', []) if isinstance(body, dict) else []:
                by_id[str(response.get('id'))] = response
            for index in range(len(chunk)):
                response = by_id.get(str(index), {})
                sub_body = response.get('body')
                if isinstance(sub_body, str):
                    sub_body = _parse_text(sub_body)
                self._collect_secrets(sub_body)
                results.append({'status': response.get('status'), 'body': sub_body})
        return results

    def prefetch(self, requests_list, tenant=None):
        """Make these reads now, together (``batch``: 20 per call), and keep each answer CIPP gave with HTTP 200 for the
        one ``call`` that next asks for exactly that read (same endpoint and parameters): a roster's per-user reads then
        cost one call per 20 users, and the code that reads stays the same. A failed sub-request (or a failed $batch) is
        not kept, so its ``call`` is sent on its own and fails as it always would. Returns the number of answers kept."""
        if not requests_list:
            return 0
        try:
            answers = self.batch(requests_list, tenant=tenant)
        except CippError:
            # Reading ahead only saves calls: when $batch fails, each read is made on its own and says why it fails.
            return 0
        kept = 0
        with self._prefetch_lock:
            for (name, params), answer in zip(requests_list, answers):
                if answer.get('status') == 200:
                    key = self._prefetch_key(_endpoints.lookup(name), self._with_tenant(params, tenant))
                    self._prefetched.setdefault(key, []).append(answer.get('body'))
                    kept += 1
        return kept

    @staticmethod
    def _prefetch_key(spec, params):
        return spec.name.lower(), json.dumps(params, sort_keys=True, default=str)

    def _take_prefetched(self, spec, params):
        with self._prefetch_lock:
            answers = self._prefetched.get(self._prefetch_key(spec, params))
            if answers:
                return True, answers.pop(0)
        return False, None

    def pause(self, attempt):
        """Wait as the client does before its own retry number ``attempt`` (for callers that retry a whole step)."""
        self._sleep(self._backoff(attempt, None))

    @property
    def known_secrets(self):
        """A snapshot of the secrets to mask (safe to iterate while other threads make calls)."""
        with self._secrets_lock:
            return frozenset(self._secrets)

    def _remember(self, secret):
        with self._secrets_lock:
            self._secrets.add(secret)

    def redacted(self, value):
        """``value`` with every secret this client has seen masked."""
        return redact(value, self.known_secrets)

    # ------------------------------------------------------------------ guards and records

    @staticmethod
    def _with_tenant(params, tenant):
        if isinstance(params, list):
            # Array bodies (ExecBulkLicense) carry tenantFilter per item.
            return [dict(item) for item in params]
        params = dict(params or {})
        # An empty tenant is passed on too, so that _require_tenant names it as empty rather than missing.
        if tenant is not None and not any(key.lower() == 'tenantfilter' for key in params):
            params['tenantFilter'] = tenant
        return params

    @staticmethod
    def _guard(spec, params):
        _require_tenant(spec, params)
        if not spec.write:
            return
        for value in _tenants_of(params):
            if isinstance(value, str) and value.strip().lower() == ALL_TENANTS:
                raise CippGuardError('Refusing to send %s to AllTenants: writes must name one customer tenant.'
                                     % spec.name, endpoint=spec.name)

    def _require_managed_tenants(self, spec, params):
        """Before a write: every tenant it names must be one CIPP manages (CONTRACT 0.1 C9).

        CIPP answers a write to a tenant it does not manage (or excludes) with success and does nothing, so the
        check has to happen here. The list is read once per token (ListTenants, kept in the token cache), and once
        more when a tenant is missing from a cached list: it may have been added since.
        """
        if not spec.write:
            return
        for tenant in _tenants_of(params):
            if tenant.strip().lower() == ALL_TENANTS:
                continue  # refused by _guard already
            with self._tenant_lock:
                known = tenant.lower() in self._managed_tenants()
                if not known and not self._tenants_live:
                    known = tenant.lower() in self._managed_tenants(refresh=True)
            if not known:
                raise CippConfigError(
                    'tenant %r is not a tenant CIPP manages (it is not in ListTenants, or CIPP excludes it); refusing to '
                    'send %s. CIPP would answer success and change nothing. Give %s.' % (tenant, spec.name, TENANT_FORM),
                    endpoint=spec.name)

    def _managed_tenants(self, refresh=False):
        if self._managed is not None and (self._tenants_live or not refresh):
            return self._managed
        key = self._cache_key()
        if not refresh:
            cached = self.cache.get_tenants(key, self.api_base)
            if cached is not None:
                self._managed = cached
                return cached
        if self._list_managed is None:
            raise CippGuardError('This client was made without a way to read CIPP\'s tenant list (managed_tenants), so it '
                                 'cannot check the tenant of a write; refusing to send it.')
        managed = set(key.lower() for key in self._list_managed(self))
        self._managed, self._tenants_live = managed, True
        self.cache.put_tenants(key, self.api_base, sorted(managed))
        return managed

    def _record(self, spec, params, sent, batched=False):
        entry = {'endpoint': spec.name, 'method': spec.method, 'write': spec.write,
                 'params': self.redacted(params), 'sent': sent, 'status': None}
        if batched:
            entry['batched'] = True
        self.calls.append(entry)
        return entry

    def _collect_sent_secrets(self, params):
        """Passwords we send are secrets too: CIPP may echo them in a result or an error text."""
        for item in params if isinstance(params, list) else [params]:
            for key, value in item.items():
                if is_secret_key(key) and isinstance(value, str) and value:
                    self._remember(value)

    def _collect_secrets(self, body):
        """Remember generated secrets (passwords, TAPs) so nothing we print later can leak them.

        ``copyField`` also carries harmless identifiers (a new user's UPN, a user id): it counts as a
        secret only when its result text speaks of a password or a pass.
        """
        if isinstance(body, dict):
            secret_copy = bool(SECRET_RESULT_TEXT.search(str(body.get('resultText') or '')))
            for key, value in body.items():
                lowered = key.lower()
                if isinstance(value, str) and value and (lowered in ('temporaryaccesspass', 'password') or
                                                         (lowered == 'copyfield' and secret_copy)):
                    self._remember(value)
                else:
                    self._collect_secrets(value)
        elif isinstance(body, list):
            for item in body:
                self._collect_secrets(item)

    # ------------------------------------------------------------------ transport

    def _send(self, spec, params, entry):
        url = '%s/api/%s' % (self.api_base, spec.name)
        if spec.inputs == 'query':
            kwargs = {'params': _query_values(params)}
        else:
            kwargs = {'data': json.dumps(params), 'headers': {'Content-Type': 'application/json'}}
        started = time.time()
        attempt = 0
        refreshed = False
        read_500s = 0
        while True:
            attempt += 1
            entry['attempts'] = attempt
            token = self._get_token()
            headers = dict(kwargs.get('headers') or {})
            headers['Authorization'] = 'Bearer %s' % token
            retry_after = None
            try:
                response = self.session.request(spec.method, url, headers=headers, timeout=self._timeouts(),
                                                allow_redirects=False, verify=self.validate_certs,
                                                **dict((k, v) for k, v in kwargs.items() if k != 'headers'))
            except requests.exceptions.RequestException as exc:
                not_sent = _proves_not_sent(exc)
                if spec.write and not not_sent:
                    raise CippWriteUncertainError(
                        '%s: the request was sent but no answer came back (%s). It may or may not have been applied; '
                        'it was not sent again.' % (_where(spec), _describe_exception(exc)), endpoint=spec.name)
                failure = CippTransportError('%s: %s' % (_where(spec), _describe_exception(exc)), endpoint=spec.name)
            else:
                status = response.status_code
                if 300 <= status < 400:
                    # Never followed: the token would go along to wherever it points, and a write would be re-sent
                    # (or turned into a GET). CIPP itself never redirects; a login page or a proxy does.
                    raise CippTransportError(
                        '%s answered HTTP %s, a redirect to %s; msp.cipp never follows redirects. Check api_url: it must '
                        'be the CIPP-API Function App URL itself.' % (_where(spec), status, _location(response)),
                        endpoint=spec.name, status=status)
                body = _parse_text(_decode(response))
                if status == 401 and not refreshed and not self.static_token:
                    # EasyAuth answers 401 before CIPP runs: nothing was applied, a fresh token may fix it.
                    refreshed = True
                    self.cache.invalidate(self._cache_key(), token)
                    self._token = None
                    attempt -= 1
                    continue
                if status < 400 and _looks_like_html(response, body):
                    # A front-end error page with status 200 is not CIPP's answer.
                    if spec.write:
                        raise CippWriteUncertainError(
                            '%s returned HTTP %s with an HTML page instead of a CIPP response; the write may or may not '
                            'have been applied and was not sent again.' % (_where(spec), status), endpoint=spec.name, status=status)
                    failure = CippTransportError('%s returned HTTP %s with an HTML page instead of a CIPP response.'
                                                 % (_where(spec), status), endpoint=spec.name, status=status)
                elif status in RETRYABLE_STATUS or (status == 500 and not spec.write and read_500s < READ_500_RETRIES):
                    if status == 500:
                        read_500s += 1
                    if spec.write and status not in WRITE_SAFE_STATUS:
                        # The parsed body goes along: a JSON body is CIPP's handler answering, which the resource
                        # layer treats as CIPP's verdict rather than a lost answer (see converge.py).
                        raise CippWriteUncertainError(
                            '%s failed with HTTP %s (%s). The write may or may not have been applied; it was not sent '
                            'again.' % (_where(spec), status, self._cipp_text(body)), endpoint=spec.name, status=status,
                            cipp_message=self._cipp_text(body),
                            response=self.redacted(body) if isinstance(body, (dict, list)) else None)
                    retry_after = _retry_after(response.headers.get('Retry-After'))
                    failure = self._http_error(spec, status, body)
                else:
                    return status, body
            if attempt > self.max_retries:
                raise failure
            delay = self._backoff(attempt, retry_after)
            if time.time() - started + delay > self.retry_budget:
                raise failure
            self._sleep(delay)

    def _timeouts(self):
        return (min(10.0, self.timeout), self.timeout)

    @staticmethod
    def _backoff(attempt, retry_after):
        if retry_after is not None:
            return min(max(retry_after, 0.0), RETRY_AFTER_CAP)
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2.0, ceiling)

    # ------------------------------------------------------------------ auth

    def _cache_key(self):
        if self.static_token:
            # No token of ours to cache, but the tenant list is kept per API and given token.
            return TokenCache.key(self.api_base, None, None, secret=self.static_token)
        # The secret's hash is part of the key: a token cached for one secret is never served to another.
        return TokenCache.key(self.token_url, self.client_id, self.scope, secret=self.client_secret)

    def _get_token(self):
        if self._token:
            return self._token
        key = self._cache_key()
        token = self.cache.get(key)
        if token is None:
            with self.cache.lock(key):
                token = self.cache.get(key)
                if token is None:
                    token, lifetime = self._request_token()
                    self.cache.put(key, token, lifetime)
        self._token = token
        self._remember(token)
        return token

    def _request_token(self):
        form = {'grant_type': 'client_credentials', 'client_id': self.client_id,
                'client_secret': self.client_secret, 'scope': self.scope}
        attempt = 0
        while True:
            attempt += 1
            self.token_requests += 1
            retry_after = None
            try:
                response = self.session.post(self.token_url, data=form, timeout=self._timeouts(), allow_redirects=False,
                                             verify=self.validate_certs, headers={'Accept': 'application/json'})
            except requests.exceptions.RequestException as exc:
                failure = CippAuthError('Could not reach the token endpoint %s: %s' % (self.token_url, _describe_exception(exc)))
            else:
                if 300 <= response.status_code < 400:
                    # Following it would post the client secret to wherever it points.
                    raise CippAuthError('The token endpoint %s answered HTTP %s, a redirect to %s; msp.cipp never follows '
                                        'redirects. Check token_url / auth_tenant_id.'
                                        % (self.token_url, response.status_code, _location(response)), status=response.status_code)
                body = _parse_text(response.text)
                if response.status_code == 200 and isinstance(body, dict) and body.get('access_token'):
                    try:
                        lifetime = int(body.get('expires_in') or 3599)
                    except (TypeError, ValueError):
                        lifetime = 3599
                    return body['access_token'], lifetime
                detail = self._token_error_text(body)
                failure = CippAuthError('The token endpoint %s refused the request: HTTP %s: %s'
                                        % (self.token_url, response.status_code, detail), status=response.status_code,
                                        cipp_message=detail)
                if response.status_code not in RETRYABLE_STATUS and response.status_code < 500:
                    raise failure
                retry_after = _retry_after(response.headers.get('Retry-After'))
            if attempt > self.max_retries:
                raise failure
            self._sleep(self._backoff(attempt, retry_after))

    def _token_error_text(self, body):
        if isinstance(body, dict):
            text = body.get('error_description') or body.get('error') or json.dumps(body)
            if body.get('error') and body.get('error_description'):
                text = '%s: %s' % (body['error'], body['error_description'])
        else:
            text = str(body)
        # Entra puts trace ids and timestamps on further lines; the first line says what is wrong.
        return mask_text(text.strip().splitlines()[0] if text.strip() else '(empty body)', self.known_secrets)[:500]

    # ------------------------------------------------------------------ response interpretation

    def _cipp_text(self, body):
        return mask_text(result_text(body), self.known_secrets)[:1000]

    def _http_error(self, spec, status, body):
        text = self._cipp_text(body)
        message = '%s failed with HTTP %s: %s' % (_where(spec), status, text or '(empty body)')
        if status == 400:
            return CippRequestError(message, spec.name, status, text)
        if status == 401:
            hint = (' (the access_token given was refused: it may have expired or be meant for another audience)' if self.static_token
                    else ' (the token was refused even after getting a new one: check that the API client is enabled in CIPP '
                    'and saved to Azure, and the scope api://<client_id>)')
            return CippAuthError(message + hint, spec.name, status, text)
        if status == 403 and RBAC_TEXT.match(text or ''):
            return CippPermissionError(message + ' (CIPP refused the call: the API client role lacks this permission)',
                                       spec.name, status, text)
        if status == 404:
            return CippNotFoundError(message + ' (check api_url: it must be the CIPP-API Function App URL)', spec.name, status, text)
        # The parsed body goes along when it is JSON: it shows CIPP's handler answered (see converge.py). So does CIPP's
        # own failure text in a plain-text 5xx (a helper that threw): a verdict on the request, not a lost answer.
        if isinstance(body, (dict, list)):
            response = self.redacted(body)
        else:
            response = {'Results': text} if status >= 500 and CIPP_VERDICT_TEXT.match(text or '') else None
        return CippServerError(message, spec.name, status, text, response=response)

    def _raise_for_result(self, spec, status, body, check_results):
        if status >= 400:
            raise self._http_error(spec, status, body)
        if not check_results:
            return
        failures = find_failures(body, list_endpoint=not spec.write)
        if failures:
            texts = [mask_text(text, self.known_secrets) for text in failures]
            raise CippResultError('%s answered HTTP %s but reported a failure: %s' % (_where(spec), status, '; '.join(texts)),
                                  spec.name, status, '; '.join(texts), response=self.redacted(body), failures=texts)


# ---------------------------------------------------------------------- helpers (pure functions)

def _api_base(api_url):
    if not api_url or not isinstance(api_url, str):
        raise CippConfigError('api_url (CIPP_API_URL) is required: the URL of the CIPP-API Function App, '
                              'for example https://cipp-xxxxx.azurewebsites.net')
    base = api_url.strip().rstrip('/')
    if not re.match(r'^https?://[^/\s]+', base, re.IGNORECASE):
        raise CippConfigError('api_url must be an http(s) URL such as https://cipp-xxxxx.azurewebsites.net, got %r' % api_url)
    _require_https(base, 'api_url')
    if base.lower().endswith('/api'):
        base = base[:-4]
    return base


def _require_https(url, option):
    """Plain http carries the bearer token (api_url) or the client secret (token_url) readable on the wire; only a
    loopback address (a local emulator or tunnel) may use it."""
    parts = urlsplit(url)
    if parts.scheme.lower() == 'https':
        return
    host = (parts.hostname or '').lower()
    if parts.scheme.lower() == 'http' and (host == 'localhost' or host == '::1' or re.match(r'^127\.\d+\.\d+\.\d+$', host)):
        return
    raise CippConfigError('%s must use https (plain http would send the %s unencrypted); only a loopback address '
                          '(localhost, 127.0.0.1, ::1) may use http. Got %r.'
                          % (option, 'bearer token' if option == 'api_url' else 'client secret', url))


def _tenants_of(params):
    """The tenant values a call names (top-level keys; per item for array bodies), autocomplete dicts unwrapped."""
    values = []
    for item in params if isinstance(params, list) else [params]:
        for key, value in item.items():
            if key.lower() in TENANT_KEYS:
                values.append(value.get('value') if isinstance(value, dict) else value)
    return values


def _require_tenant(spec, params):
    """Refuse a call without a tenant, or with an empty or blank one (CONTRACT 0.1 C10), before anything is sent.

    CIPP treats a missing tenantFilter as the partner tenant (the MSP's own) and one of only spaces as an unknown
    tenant that quietly does nothing, so neither may reach it.
    """
    for item in params if isinstance(params, list) else [params]:
        values = _tenants_of(item)
        if not values and spec.name.lower() in TENANTLESS:
            continue
        blank = [value for value in values if not isinstance(value, str) or not value.strip()]
        if not values or blank:
            raise CippConfigError(
                'tenant is %s for %s: give %s. Without one CIPP acts on the partner (MSP) tenant or on nothing.'
                % ('empty (%r)' % blank[0] if blank else 'missing', spec.name, TENANT_FORM), endpoint=spec.name)


def _location(response):
    return repr(response.headers.get('Location') or '(no Location header)')[:300]


def _where(spec):
    return '%s (%s /api/%s)' % (spec.name, spec.method, spec.name)


def _query_values(params):
    values = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = 'true' if value else 'false'
        elif isinstance(value, dict):
            value = value.get('value')
        values[key] = value
    return values


def _decode(response):
    """The body as text: UTF-8 unless the server names another charset (requests would guess Latin-1 for text/plain)."""
    if 'charset=' in response.headers.get('Content-Type', '').lower():
        return response.text
    return response.content.decode('utf-8', 'replace')


def _parse_text(text):
    """JSON when it parses (whatever the Content-Type says), else the raw text."""
    if text is None:
        return None
    stripped = text.lstrip('\ufeff').strip()
    if not stripped:
        return None
    if stripped[0] in '{["' or stripped in ('true', 'false', 'null') or stripped[0].isdigit():
        try:
            return json.loads(stripped)
        except ValueError:
            pass
    return text


def _looks_like_html(response, body):
    if not isinstance(body, str):
        return False
    content_type = response.headers.get('Content-Type', '')
    return 'html' in content_type.lower() or body.lstrip()[:15].lower().startswith(('<!doctype', '<html'))


def _retry_after(value):
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _proves_not_sent(exc):
    """True when the request never reached the server (so even a write may be sent again)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    seen = set()
    current = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        if name in ('NewConnectionError', 'ConnectTimeoutError', 'NameResolutionError'):
            return True
        text = str(current)
        if 'Connection refused' in text or 'Failed to establish a new connection' in text:
            return True
        nested = current.args[0] if getattr(current, 'args', None) and isinstance(current.args[0], BaseException) else None
        current = nested or getattr(current, 'reason', None) or current.__cause__ or current.__context__
    return False


def _describe_exception(exc):
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return 'connection timed out'
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return 'no answer within the timeout'
    if isinstance(exc, requests.exceptions.SSLError):
        return 'TLS error (%s); set validate_certs only if you trust this endpoint' % type(exc).__name__
    if isinstance(exc, requests.exceptions.ConnectionError):
        return 'connection failed (%s)' % _root_reason(exc)
    return '%s' % type(exc).__name__


def _root_reason(exc):
    text = str(exc)
    for marker in ('Connection refused', 'Connection reset', 'Connection aborted', 'RemoteDisconnected',
                   'Name or service not known', 'timed out'):
        if marker in text:
            return marker
    return type(exc).__name__


def result_text(body):
    """CIPP's message from any of its body shapes (a string, result items, lists of them), as one line."""
    if body is None:
        return ''
    if isinstance(body, str):
        text = body.strip()
        if text[:15].lower().startswith(('<!doctype', '<html')):
            return 'an HTML page, not a CIPP response'
        return text
    if isinstance(body, dict):
        if 'Results' in body:
            return result_text(body['Results'])
        if isinstance(body.get('error'), dict):
            return str(body['error'].get('message') or body['error'].get('code') or '')
        if 'resultText' in body:
            return str(body['resultText'])
        if 'Message' in body:
            return str(body['Message'])
        return json.dumps(body)[:500]
    if isinstance(body, list):
        return '; '.join(part for part in (result_text(item) for item in body) if part)
    return str(body)


def _result_items(results):
    """(text, state) pairs for every result item inside a CIPP ``Results`` value."""
    if results is None:
        return
    if isinstance(results, str):
        yield results, None
    elif isinstance(results, list):
        for item in results:
            yield from _result_items(item)
    elif isinstance(results, dict):
        if 'resultText' in results or 'state' in results:
            yield str(results.get('resultText') or ''), results.get('state')
        elif 'Results' in results:
            yield from _result_items(results['Results'])


def is_failure_text(text, state=None):
    if state is not None:
        return str(state).lower() == 'error'
    stripped = (text or '').strip()
    if stripped.lower().startswith('success'):
        return False
    return bool(FAILURE_TEXT.search(stripped))


def find_failures(body, list_endpoint=False):
    """Failure texts hidden in an HTTP 200 body (CONTRACT quirk 1). Empty list = success."""
    if list_endpoint:
        # List endpoints answer arrays of data; only CIPP's error rows count, e.g. ListTenants'
        # [{"Results": "Failed to retrieve tenants: ...", "customerId": ""}].
        if isinstance(body, list) and len(body) == 1 and isinstance(body[0], dict) and isinstance(body[0].get('Results'), str) \
                and set(body[0]) <= ERROR_ROW_KEYS:
            text = body[0]['Results']
            return [text] if is_failure_text(text) else []
        return []
    if isinstance(body, dict) and 'Results' in body:
        return [text for text, state in _result_items(body['Results']) if is_failure_text(text, state)]
    return []
