# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading users (CONTRACT 5.4-5.13).

Existence checks always use a filter query: ``ListUsers?UserID=`` answers HTTP 500 for an unknown
user (CONTRACT quirk 6), which cannot be told apart from a real failure.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError

GUID = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
_DOMAIN = r'[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+'
# Entra ID's user name rules: A-Z a-z 0-9 ' . - _ ! # ^ ~ before the @ (so guests' #EXT# names pass), no period
# right before the @; at most 64 characters before it, 48 after it and 113 in all (the lengths are checked where a
# UPN may be created: an existing user is simply not found).
UPN = re.compile(r"^[A-Za-z0-9'._!#^~-]*[A-Za-z0-9'_!#^~-]@" + _DOMAIN + '$')
UPN_MAX_LOCAL, UPN_MAX_DOMAIN, UPN_MAX = 64, 48, 113
# A mail address (forwarding targets may be outside Entra ID): anything but spaces and @ before a domain name.
EMAIL = re.compile(r'^[^@\s]+@' + _DOMAIN + '$')

INCLUDES = ('groups', 'devices', 'mailbox', 'mailbox_permissions', 'mfa', 'sign_ins', 'manager')


def odata_string(value):
    """A string literal for an OData filter: single quotes doubled (O'Brien -> 'O''Brien')."""
    return "'%s'" % value.replace("'", "''")


def is_guid(value):
    return bool(value) and bool(GUID.match(value))


def check_identity(value, option):
    """Fail early, naming the option, when ``value`` is neither a UPN nor an object id."""
    if value is None:
        return
    if not isinstance(value, str) or not (is_guid(value) or UPN.match(value)):
        raise CippConfigError('%s must be a user principal name (user@domain.com) or an object ID (GUID), got %r'
                              % (option, value))


def find_user(client, tenant, identity):
    """The ListUsers object for a UPN or object id, or None when there is no such user."""
    check_identity(identity, 'user')
    field = 'id' if is_guid(identity) else 'userPrincipalName'
    rows = client.call('ListUsers', {'graphFilter': '%s eq %s' % (field, odata_string(identity))}, tenant=tenant) or []
    rows = [row for row in rows if isinstance(row, dict) and row.get('id')]
    wanted = identity.lower()
    for row in rows:
        if wanted in ((row.get('id') or '').lower(), (row.get('userPrincipalName') or '').lower()):
            return row
    return None


def list_users(client, tenant, graph_filter=None):
    params = {'graphFilter': graph_filter} if graph_filter else {}
    rows = client.call('ListUsers', params, tenant=tenant) or []
    return [row for row in rows if isinstance(row, dict) and row.get('id')]


def _add_includes(client, tenant, users, include):
    """Each include adds one kind of call, and only when asked."""
    mfa_rows = None
    if 'mfa' in include and users:
        # One tenant-wide call (CIPP has no per-user filter here) instead of one per user.
        mfa_rows = dict(((row.get('ID') or '').lower(), row)
                        for row in client.call('ListMFAUsers', tenant=tenant) or [] if isinstance(row, dict))
    for user in users:
        user_id, upn = user['id'], user.get('userPrincipalName')
        if 'groups' in include:
            user['groups'] = client.call('ListUserGroups', {'userId': user_id}, tenant=tenant) or []
        if 'devices' in include:
            user['devices'] = client.call('ListUserDevices', {'UserID': user_id}, tenant=tenant) or []
        if 'mailbox' in include:
            details = client.call('ListUserMailboxDetails', {'UserID': user_id, 'userMail': upn}, tenant=tenant)
            user['mailbox'] = details[0] if isinstance(details, list) and details else details
        if 'mailbox_permissions' in include:
            user['mailbox_permissions'] = client.call('ListmailboxPermissions', {'userId': upn}, tenant=tenant) or []
        if 'mfa' in include:
            user['mfa'] = mfa_rows.get(user_id.lower())
        if 'sign_ins' in include:
            user['sign_ins'] = client.call('ListUserSigninLogs', {'UserID': user_id}, tenant=tenant) or []
        if 'manager' in include:
            # ListUsers already expands the manager ($expand=manager): no extra call.
            user.setdefault('manager', None)
    return users


def user_info(client, params, check_mode):
    """Resource function of cipp_user_info."""
    tenant, identity, graph_filter = params['tenant'], params.get('user'), params.get('filter')
    include = params.get('include') or []
    if identity and graph_filter:
        raise CippConfigError('user and filter are mutually exclusive: give one user, or an OData filter.')
    if identity:
        found = find_user(client, tenant, identity)
        users = [found] if found else []
    else:
        users = list_users(client, tenant, graph_filter)
    return {'changed': False, 'users': _add_includes(client, tenant, users, include)}


def require_user(client, tenant, identity, option='user'):
    """Like find_user, but a missing user is an error naming the option (for actions on existing users)."""
    user = find_user(client, tenant, identity)
    if user is None:
        raise CippConfigError('%s: no user %s in tenant %s' % (option, identity, tenant))
    return user
