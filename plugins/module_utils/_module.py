# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CippModule: the thin AnsibleModule wrapper every msp.cipp module uses.

It merges the connection options into the module's argument spec, builds the client, runs the
resource function, and exits with a result that carries ``cipp_calls`` and has every secret the
client saw masked (except the keys a resource explicitly returns at the user's request).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from collections.abc import Mapping

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.msp.cipp.plugins.module_utils._api_directory import managed_tenant_keys
from ansible_collections.msp.cipp.plugins.module_utils._client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, TENANT_FORM, CippClient
from ansible_collections.msp.cipp.plugins.module_utils._common import RETURNED_SECRETS, redact
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippError
from ansible_collections.msp.cipp.plugins.module_utils._files import private_dir

CONNECTION_ARGSPEC = dict(
    api_url=dict(type='str', fallback=(env_fallback, ['CIPP_API_URL'])),
    client_id=dict(type='str', fallback=(env_fallback, ['CIPP_CLIENT_ID'])),
    client_secret=dict(type='str', no_log=True, fallback=(env_fallback, ['CIPP_CLIENT_SECRET'])),
    auth_tenant_id=dict(type='str', fallback=(env_fallback, ['CIPP_AUTH_TENANT_ID'])),
    token_url=dict(type='str', no_log=False, fallback=(env_fallback, ['CIPP_TOKEN_URL'])),
    access_token=dict(type='str', no_log=True, fallback=(env_fallback, ['CIPP_ACCESS_TOKEN'])),
    validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['CIPP_VALIDATE_CERTS'])),
    timeout=dict(type='int', default=60, fallback=(env_fallback, ['CIPP_TIMEOUT'])),
    max_retries=dict(type='int', default=4, fallback=(env_fallback, ['CIPP_MAX_RETRIES'])),
    token_cache=dict(type='str', no_log=False, fallback=(env_fallback, ['CIPP_TOKEN_CACHE'])),
)


def check_params(params, check_mode=False):
    """Checks every module makes, on both execution paths, before a client exists or anything is sent."""
    tenant = params.get('tenant')
    if tenant is not None and not str(tenant).strip():
        # CIPP would act on the partner (MSP) tenant, or quietly on nothing (CONTRACT 0.1 C10).
        raise CippConfigError('tenant is empty (%r): give %s.' % (tenant, TENANT_FORM))
    # Where files will be written is settled before the first write to CIPP: a user created before the hand-over
    # directory turns out unusable would have a first credential nobody can read.
    if params.get('handover_dir'):
        params['handover_dir'] = private_dir(params['handover_dir'], 'handover_dir', create=not check_mode)
    if params.get('evidence_path'):
        path = os.path.abspath(os.path.expanduser(params['evidence_path']))
        private_dir(os.path.dirname(path), 'evidence_path', create=False)


def client_from_params(params, check_mode):
    """A CippClient from module (or action plugin) parameters, after check_params."""
    check_params(params, check_mode)
    return CippClient(
        api_url=params.get('api_url'),
        client_id=params.get('client_id'),
        client_secret=params.get('client_secret'),
        auth_tenant_id=params.get('auth_tenant_id'),
        token_url=params.get('token_url'),
        access_token=params.get('access_token'),
        validate_certs=params.get('validate_certs', True),
        timeout=60 if params.get('timeout') is None else params['timeout'],  # 0 is an error, not "the default"
        max_retries=4 if params.get('max_retries') is None else params['max_retries'],
        token_cache=params.get('token_cache'),
        check_mode=check_mode,
        managed_tenants=managed_tenant_keys,
    )


def finish(result, client, want_diff):
    """The result a user sees: calls attached, diff only when asked, secrets masked."""
    result = dict(result)
    returned = result.pop(RETURNED_SECRETS, None) or []
    if not want_diff:
        result.pop('diff', None)
    kept = dict((key, result.pop(key)) for key in returned if key in result)
    if client is not None:
        result['cipp_calls'] = client.calls
        known = client.known_secrets
        if client.warnings:
            result['warnings'] = list(result.get('warnings') or []) + [w for w in client.warnings if w not in (result.get('warnings') or [])]
    else:
        known = ()
    result = redact(result, known)
    result.update(kept)
    result.setdefault('changed', False)
    return result


class CippModule:
    """Usage: ``CippModule(argument_spec=..., ...).run(resource_function)``.

    ``resource_function(client, params, check_mode)`` returns a plain result dict and raises
    CippError subclasses on failure.
    """

    def __init__(self, argument_spec, supports_check_mode=True, **kwargs):
        spec = dict(CONNECTION_ARGSPEC)
        spec.update(argument_spec)
        _refuse_unstructured_options(spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib('requests'), exception=str(REQUESTS_IMPORT_ERROR))
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.client = None

    def run(self, resource_function):
        try:
            self.client = client_from_params(self.params, self.check_mode)
            result = resource_function(self.client, self.params, self.check_mode)
        except CippError as exc:
            self.fail(exc)
        if result.get('failed'):
            # A resource that did part of its work (cipp_users) fails with what it did.
            self.module.fail_json(**finish(result, self.client, self.module._diff))
        self.module.exit_json(**finish(result, self.client, self.module._diff))

    def fail(self, exc):
        result = {'msg': exc.message}
        result.update(exc.to_result())
        self.module.fail_json(**finish(result, self.client, False))


def _refuse_unstructured_options(spec):
    """Fail cleanly, naming the option, where AnsibleModule's own validation would crash on the same input."""
    # ansible-core caches what it read, so AnsibleModule reads the same arguments again. Looked up on the module at
    # call time, so tools that replace it (ansible-test's validate-modules) are honoured.
    problems = unstructured_options(spec, basic._load_params() or {})  # pylint: disable=protected-access
    if not problems:
        return
    # A spec without sub-options accepts any value, so AnsibleModule can be built just to fail. The message shows only
    # the wrong values (numbers, booleans; never a string, so never a secret); the arguments are neither logged
    # (no_log=True) nor echoed (an empty invocation), as some of them may be no_log sub-options.
    safe = dict((name, dict(type='raw', aliases=list(options.get('aliases') or []), no_log=bool(options.get('no_log'))))
                for name, options in spec.items())
    AnsibleModule(argument_spec=safe, supports_check_mode=True, no_log=True).fail_json(
        msg='; '.join(problems), invocation={'module_args': {}})


def unstructured_options(spec, args, prefix=''):
    """Options with sub-options given something that is neither a dict nor a string (e.g. ``licenses: 0``), at any depth
    (``users[2].licenses``).

    ansible-core's ArgumentSpecValidator raises TypeError on those instead of reporting them, which would end
    the task with a traceback that does not name the option. Strings are left to the validator: it parses
    ``key=value`` and JSON, and reports what it cannot parse.
    """
    problems = []
    for name, options in spec.items():
        if not options.get('options'):
            continue
        is_list = options.get('type') == 'list'
        for key in [name] + list(options.get('aliases') or []):
            value = args.get(key)
            if value is None:
                continue
            items = value if isinstance(value, list) else [value]
            wrong = [item for item in items if not isinstance(item, (Mapping, str))]
            if wrong:
                # Only the wrong items are shown (numbers, booleans...): the rest may hold no_log values.
                problems.append('%s%s must be %s with some of the keys %s, got %s'
                                % (prefix, key, 'a list of dicts' if is_list else 'a dict', ', '.join(sorted(options['options'])),
                                   ', '.join('%s %r' % (type(item).__name__, item) for item in wrong)))
                continue
            for index, item in enumerate(items):
                if isinstance(item, Mapping):
                    where = '%s%s%s.' % (prefix, key, '[%d]' % index if is_list else '')
                    problems.extend(unstructured_options(options['options'], item, where))
    return problems
