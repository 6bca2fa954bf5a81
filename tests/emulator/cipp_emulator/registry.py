"""The endpoint registry and the request/response types every handler uses, plus PowerShell-like value helpers.

CIPP's router turns the request into a PowerShell object before dispatching, so field names are case-insensitive
everywhere (CONTRACT 2.2); booleans are parsed three different ways depending on the handler (CONTRACT 2.3, quirk 9).
"""

import json

ENDPOINTS = {}          # lower-case endpoint name -> Endpoint
CONTROL_HOOKS = {}      # control path (e.g. "scheduler/run") -> fn(state, body) -> dict


class Endpoint:
    """One CIPP HTTP function: canonical name, `.ROLE`, whether it writes, whether it needs no tenant, the handler."""

    def __init__(self, name, role, write, any_tenant, func):
        self.name = name
        self.role = role
        self.write = write
        self.any_tenant = any_tenant
        self.func = func


def endpoint(name, role, write=False, any_tenant=False):
    """Register ``func(req) -> Response`` as ``/api/{name}`` (matched case-insensitively)."""
    def register(func):
        ENDPOINTS[name.lower()] = Endpoint(name, role, write, any_tenant, func)
        return func
    return register


class CIDict(dict):
    """A dict whose keys are looked up case-insensitively (the first spelling is kept)."""

    def __init__(self, data=None):
        super().__init__()
        self._keys = {}
        for key, value in (data or {}).items():
            self[key] = value

    def __setitem__(self, key, value):
        lower = str(key).lower()
        if lower in self._keys:
            key = self._keys[lower]
        else:
            self._keys[lower] = key
        super().__setitem__(key, value)

    def __getitem__(self, key):
        return super().__getitem__(self._keys.get(str(key).lower(), key))

    def __contains__(self, key):
        return str(key).lower() in self._keys

    def get(self, key, default=None):
        real = self._keys.get(str(key).lower())
        return super().get(real, default) if real is not None else default

    def pop(self, key, *default):
        real = self._keys.pop(str(key).lower(), key)
        return super().pop(real, *default)


def ci(value):
    """Deep-convert parsed JSON so every dict is a CIDict (PowerShell property access ignores case)."""
    if isinstance(value, dict):
        return CIDict(dict((key, ci(item)) for key, item in value.items()))
    if isinstance(value, list):
        return [ci(item) for item in value]
    return value


class Request:
    """What a handler sees: CIPP's `$Request.Query` / `$Request.Body`, plus the emulator state and the calling API client."""

    def __init__(self, method, path, headers, query, body, state, client):
        self.method = method
        self.path = path
        self.headers = headers
        self.query = query
        self.body = body
        self.state = state
        self.client = client

    def q(self, name, default=None):
        value = self.query.get(name)
        return default if value is None else value

    def b(self, name, default=None):
        if not isinstance(self.body, dict):
            return default
        value = self.body.get(name)
        return default if value is None else value

    def qb(self, name, default=None):
        value = self.q(name)
        if value is None or value == '':
            value = self.b(name)
        return default if value is None else value


class Response:
    def __init__(self, status, body, content_type, headers=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = dict(headers or {})  # extra response headers (e.g. Retry-After, WWW-Authenticate)

    @staticmethod
    def json(obj, status=200, headers=None):
        return Response(status, json.dumps(obj, default=_json_default), 'application/json; charset=utf-8', headers)

    @staticmethod
    def text(text, status=200, headers=None):
        return Response(status, str(text), 'text/plain; charset=utf-8', headers)

    @staticmethod
    def empty(status=200):
        """The handlers that call `exit` produce no body (CONTRACT 5.18; the exact answer is unverified)."""
        return Response(status, '', 'text/plain; charset=utf-8')


def _json_default(value):
    if isinstance(value, set):
        return sorted(value)
    raise TypeError('not JSON serialisable: %r' % type(value))


class ConvertBoolError(Exception):
    """[System.Convert]::ToBoolean refused the value; the router answers 500 with this text."""

    def __init__(self, value):
        super().__init__('Exception calling "ToBoolean" with "1" argument(s): "String \'%s\' was not recognized as a valid Boolean."' % value)


def label_value(value):
    """{"value": v, "label": ...} -> v (CIPP reads .value of autocomplete objects); anything else as it is."""
    if isinstance(value, dict):
        return value.get('value')
    return value


def convert_to_bool(value):
    """[System.Convert]::ToBoolean: missing -> False; JSON bools; "true"/"false" in any case; anything else throws."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text == 'true':
        return True
    if text == 'false':
        return False
    raise ConvertBoolError(value)


def eq_true(value):
    """`$x -eq $true`: JSON true, or the string "true" in any case."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() == 'true'


def ps_bool(value):
    """`[bool]$x`: any non-empty string (even "false") is True; None, 0, "" and False are False."""
    if isinstance(value, str):
        return value != ''
    return bool(value)


def ps_bool_text(value):
    return 'True' if value else 'False'
