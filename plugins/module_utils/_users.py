# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cipp_user_info resource, and looking up the user a task acts on (once per task)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.module_utils import _api_exchange as exchange
from ansible_collections.msp.cipp.plugins.module_utils import _api_mfa as mfa_api
from ansible_collections.msp.cipp.plugins.module_utils import _api_users as users_api
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippServerError
from ansible_collections.msp.cipp.plugins.module_utils._mailbox_permissions import access_of
from ansible_collections.msp.cipp.plugins.module_utils._mobile_devices import devices_of

INCLUDES = ('groups', 'devices', 'mailbox', 'mailbox_permissions', 'mailbox_access', 'mobile_devices', 'mfa', 'sign_ins',
            'manager', 'roles')


def _add_includes(client, tenant, users, include, warnings):
    """Each include adds one kind of call, and only when asked (groups and roles share one memberOf read)."""
    mfa_rows = None
    if 'mfa' in include and users:
        # One tenant-wide call (CIPP has no per-user filter here) instead of one per user.
        mfa_rows = dict(((row.get('ID') or '').lower(), row) for row in mfa_api.list_mfa_users(client, tenant) if isinstance(row, dict))
    for user in users:
        user_id = user['id']
        if 'groups' in include or 'roles' in include:
            groups, roles = users_api.user_memberships(client, tenant, user_id)
            if 'groups' in include:
                user['groups'] = groups
            if 'roles' in include:
                user['roles'] = roles
        if 'devices' in include:
            user['devices'] = users_api.user_devices(client, tenant, user_id)
        if 'mailbox' in include:
            user['mailbox'] = exchange.mailbox_details(client, tenant, user) or None
        if 'mailbox_permissions' in include:
            user['mailbox_permissions'] = exchange.mailbox_permissions(client, tenant, user.get('userPrincipalName'))
        if 'mailbox_access' in include:
            try:
                user['mailbox_access'] = access_of(client, tenant, user)
            except CippServerError as exc:
                # CIPP answers 500 until its reporting database holds the tenant's mailbox permissions.
                user['mailbox_access'] = None
                warnings.append('mailbox_access of %s could not be read (%s); has CIPP synced the mailbox permission report?'
                                % (user.get('userPrincipalName'), exc.message))
        if 'mobile_devices' in include:
            try:
                user['mobile_devices'] = devices_of(client, tenant, user)
            except CippServerError as exc:
                # Exchange's failure, e.g. a user without a mailbox, is a 403 with its text.
                user['mobile_devices'] = None
                warnings.append('mobile_devices of %s could not be read (%s); does the user have a mailbox?'
                                % (user.get('userPrincipalName'), exc.message))
        if 'mfa' in include:
            user['mfa'] = mfa_rows.get(user_id.lower())
        if 'sign_ins' in include:
            try:
                user['sign_ins'] = users_api.user_sign_ins(client, tenant, user_id)
            except CippServerError as exc:
                # Graph's sign-in log needs Entra ID P1; without it CIPP answers 500. An optional include must not
                # cost the user the rest of the answer.
                user['sign_ins'] = None
                warnings.append('sign_ins of %s could not be read (%s); is Entra ID P1 licensed in the tenant?'
                                % (user.get('userPrincipalName'), exc.message))
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
        found = users_api.find_user(client, tenant, identity)
        users = [found] if found else []
    else:
        users = users_api.list_users(client, tenant, graph_filter)
    warnings = []
    result = {'changed': False, 'users': _add_includes(client, tenant, users, include, warnings)}
    if warnings:
        result['warnings'] = warnings
    return result


def require_user(client, tenant, identity, option='user'):
    """The user a task acts on; a missing user is an error naming the option."""
    user = users_api.find_user(client, tenant, identity)
    if user is None:
        raise CippConfigError('%s: no user %s in tenant %s' % (option, identity, tenant))
    return user
