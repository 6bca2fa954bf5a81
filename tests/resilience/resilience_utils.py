# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the resilience tests: emulator controls and request-log filters."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import urllib.request


def control(emulator_handle, method, path, body=None):
    """Call one of the emulator's /_emulator controls and decode its JSON answer."""
    data = json.dumps(body).encode('utf-8') if body is not None else (b'' if method in ('POST', 'DELETE') else None)
    request = urllib.request.Request('%s/_emulator/%s' % (emulator_handle.url.rstrip('/'), path), data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=120) as response:  # nosec - loopback emulator only
        text = response.read()
    return json.loads(text) if text.strip() else None


def api_writes(log):
    """Log entries of write endpoints (sent at all: refused, faulted or applied)."""
    return [entry for entry in log if entry.get('kind') == 'write']


def applied_writes(log):
    """Log entries of write endpoints whose handler ran."""
    return [entry for entry in api_writes(log) if entry.get('applied')]


def tenant_of(emulator_handle, domain):
    """The emulator's tenant object for a default domain (read it under ``emulator_handle.state.lock``)."""
    return next(t for t in emulator_handle.state.tenants.values() if t.default_domain == domain)


def licensed_members(emulator_handle, domain):
    """(tenant, users): the tenant's enabled, licensed, cloud-only members that are neither admins nor the
    compromised user, sorted by UPN: the people a test can offboard, change or enforce MFA on."""
    with emulator_handle.state.lock:
        tenant = tenant_of(emulator_handle, domain)
        users = sorted((u for u in tenant.users.values() if u.get('accountEnabled') and u.get('assignedLicenses')
                        and not u.get('_isAdmin') and not u.get('_compromised') and not u.get('onPremisesSyncEnabled')),
                       key=lambda u: u['userPrincipalName'])
    return tenant, users
