# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the security suite: emulator controls, request-log filters, an in-process client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import urllib.request

TENANT = 'contoso.com'


def control(emulator_handle, method, path, body=None):
    """Call one of the emulator's /_emulator controls and decode its JSON answer."""
    data = json.dumps(body).encode('utf-8') if body is not None else (b'' if method in ('POST', 'DELETE') else None)
    request = urllib.request.Request('%s/_emulator/%s' % (emulator_handle.url.rstrip('/'), path), data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=120) as response:  # nosec - loopback emulator only
        text = response.read()
    return json.loads(text) if text.strip() else None


def request_log(emulator_handle):
    return control(emulator_handle, 'GET', 'log')


def writes(log):
    """Log entries of write endpoints (sent at all: refused, faulted or applied)."""
    return [entry for entry in log if entry.get('kind') == 'write']


def endpoints(log, kind=None):
    return [entry['endpoint'] for entry in log if kind is None or entry.get('kind') == kind]


def client_for(cipp_env, **options):
    """The collection's own client, in-process, with the connection settings of cipp_env."""
    from ansible_collections.msp.cipp.plugins.module_utils._api_directory import managed_tenant_keys  # pylint: disable=import-error
    from ansible_collections.msp.cipp.plugins.module_utils._client import CippClient  # pylint: disable=import-error
    settings = dict(managed_tenants=managed_tenant_keys, api_url=cipp_env['CIPP_API_URL'], client_id=cipp_env['CIPP_CLIENT_ID'],
                    client_secret=cipp_env['CIPP_CLIENT_SECRET'], token_url=cipp_env['CIPP_TOKEN_URL'],
                    token_cache=cipp_env['CIPP_TOKEN_CACHE'], max_retries=0)
    settings.update(options)
    return CippClient(**settings)


def tenant_of(emulator_handle, domain=TENANT):
    """The emulator's tenant object for a default domain (read or change it under ``emulator_handle.state.lock``)."""
    return next(t for t in emulator_handle.state.tenants.values() if t.default_domain == domain)


def plain_member(emulator_handle, domain=TENANT, index=0):
    """An enabled, licensed, cloud-only member that is neither an admin (by CIPP's flag or a directory role) nor the
    compromised user."""
    with emulator_handle.state.lock:
        tenant = tenant_of(emulator_handle, domain)
        role_holders = set(member for role in tenant.roles.values() for member in role['_members'])
        users = sorted((u for u in tenant.users.values() if u.get('accountEnabled') and u.get('assignedLicenses')
                        and not u.get('_isAdmin') and not u.get('_compromised') and not u.get('onPremisesSyncEnabled')
                        and u.get('userType') == 'Member' and u['id'] not in role_holders),
                       key=lambda u: u['userPrincipalName'])
        return dict(users[index])
