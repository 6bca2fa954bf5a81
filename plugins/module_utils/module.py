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

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.msp.cipp.plugins.module_utils.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, CippClient
from ansible_collections.msp.cipp.plugins.module_utils.common import RETURNED_SECRETS, redact
from ansible_collections.msp.cipp.plugins.module_utils.errors import CippError

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


def client_from_params(params, check_mode):
    """A CippClient from module (or action plugin) parameters."""
    return CippClient(
        api_url=params.get('api_url'),
        client_id=params.get('client_id'),
        client_secret=params.get('client_secret'),
        auth_tenant_id=params.get('auth_tenant_id'),
        token_url=params.get('token_url'),
        access_token=params.get('access_token'),
        validate_certs=params.get('validate_certs', True),
        timeout=params.get('timeout') or 60,
        max_retries=4 if params.get('max_retries') is None else params['max_retries'],
        token_cache=params.get('token_cache'),
        check_mode=check_mode,
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
        self.module.exit_json(**finish(result, self.client, self.module._diff))

    def fail(self, exc):
        result = {'msg': exc.message}
        result.update(exc.to_result())
        self.module.fail_json(**finish(result, self.client, False))
