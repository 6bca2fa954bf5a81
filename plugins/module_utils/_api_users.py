# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API layer: users (CONTRACT 5, with 0.1 C1, C5, C11-C13).

Users keep Graph's shape (``id``, ``userPrincipalName``, ``accountEnabled``, ``assignedLicenses``, ``manager``, ...):
that is what ListUsers and ListGraphRequest both return. Per-user Graph calls are always made with the object id:
CIPP pastes ``ID``/``UserID``/``graphFilter`` into Graph URLs unencoded, and the ``#`` of a guest's ``#EXT#`` user
name starts a URL fragment there (C5).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.msp.cipp.plugins.module_utils._api_directory import normalise_group
from ansible_collections.msp.cipp.plugins.module_utils._api_graph import graph_get, graph_get_object, graph_request
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError

GUID = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
_DOMAIN = r'[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+'
# Entra ID's user name rules: A-Z a-z 0-9 ' . - _ ! # ^ ~ before the @ (so guests' #EXT# names pass), no period
# right before the @; at most 64 characters before it, 48 after it and 113 in all.
UPN = re.compile(r"^[A-Za-z0-9'._!#^~-]*[A-Za-z0-9'_!#^~-]@" + _DOMAIN + '$')
UPN_MAX_LOCAL, UPN_MAX_DOMAIN, UPN_MAX = 64, 48, 113
# A mail address (forwarding targets may be outside Entra ID): anything but spaces and @ before a domain name.
EMAIL = re.compile(r'^[^@\s]+@' + _DOMAIN + '$')

# What ListUsers selects for one user (Invoke-ListUsers.ps1 $BaseProperties); the guest path asks Graph for the same.
USER_SELECT = ('id,accountEnabled,assignedLicenses,businessPhones,city,companyName,country,createdDateTime,department,displayName,'
               'employeeId,employeeType,givenName,jobTitle,mail,mailNickname,mobilePhone,officeLocation,onPremisesImmutableId,'
               'onPremisesSyncEnabled,otherMails,passwordPolicies,postalCode,preferredLanguage,proxyAddresses,showInAddressList,state,'
               'streetAddress,surname,usageLocation,userPrincipalName,userType')
MANAGER_EXPAND = 'manager($select=id,userPrincipalName,displayName)'
GROUP_SELECT = 'id,displayName,mailEnabled,securityEnabled,groupTypes,onPremisesSyncEnabled,mail,assignedLicenses,membershipRule,roleTemplateId'


def odata_string(value):
    """A string literal for an OData filter: single quotes doubled (O'Brien -> 'O''Brien')."""
    return "'%s'" % value.replace("'", "''")


def is_guid(value):
    return isinstance(value, str) and bool(GUID.match(value))


def check_identity(value, option):
    """Fail early, naming the option, when ``value`` is neither a UPN nor an object id."""
    if value is None:
        return
    if not isinstance(value, str) or not (is_guid(value) or UPN.match(value)):
        raise CippConfigError('%s must be a user principal name (user@domain.com) or an object ID (GUID), got %r'
                              % (option, value))


# ------------------------------------------------------------------------------ reads

def find_user(client, tenant, identity):
    """The user for a UPN or object id, or None when there is no such user.

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ListUsers.ps1``
    (query ``graphFilter`` pasted into ``beta/users?$filter=``, ``$expand=manager``). Existence is always asked with a
    filter, never ``UserID=`` (an unknown id is a 500 there). A UPN with ``#`` (a guest) goes through ListGraphRequest,
    whose ``$filter`` CIPP encodes properly (C5).
    """
    check_identity(identity, 'user')
    graph_filter = _identity_filter(identity)
    if '#' in identity:
        rows = graph_get(client, tenant, 'users', select=USER_SELECT, graph_filter=graph_filter, expand=MANAGER_EXPAND)
    else:
        rows = list_users(client, tenant, graph_filter)
    wanted = identity.lower()
    for row in rows:
        if wanted in ((row.get('id') or '').lower(), (row.get('userPrincipalName') or '').lower()):
            return row
    return None


def _identity_filter(identity):
    field = 'id' if is_guid(identity) else 'userPrincipalName'
    return '%s eq %s' % (field, odata_string(identity))


def find_user_request(identity):
    """The ListUsers read find_user makes for ``identity`` (None for a guest's ``#EXT#`` name: another endpoint)."""
    check_identity(identity, 'user')
    return None if '#' in identity else ('ListUsers', {'graphFilter': _identity_filter(identity)})


def list_users(client, tenant, graph_filter=None):
    """ListUsers rows (all users, or those matching an OData filter).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ListUsers.ps1``.
    """
    if graph_filter and '#' in graph_filter:
        raise CippConfigError("filter: CIPP's ListUsers cannot pass a '#' to Graph (it cuts the URL); look guests up by "
                              'their object id or user principal name instead.')
    params = {'graphFilter': graph_filter} if graph_filter else {}
    rows = client.call('ListUsers', params, tenant=tenant) or []
    return [row for row in rows if isinstance(row, dict) and row.get('id')]


def user_memberships(client, tenant, user_id):
    """(groups, directory_roles) the user is a direct member of, every page (C13: ListUserGroups stops at ~100).

    ListGraphRequest ``users/{id}/memberOf`` (see _api_graph). Groups are normalised as ListGroups' rows are, and
    carry ``assignedLicenses`` (C8); roles are ``{id, name, role_template_id}``.
    """
    groups, roles = [], []
    for row in graph_get(client, tenant, 'users/%s/memberOf' % user_id, select=GROUP_SELECT):
        kind = str(row.get('@odata.type') or '').lower()
        if kind.endswith('directoryrole'):
            roles.append({'id': row.get('id'), 'name': row.get('displayName'), 'role_template_id': row.get('roleTemplateId')})
        elif kind.endswith('.group') or (not kind and 'securityEnabled' in row):
            groups.append(user_group_row(row))
    return groups, roles


def memberships_request(user_id):
    """The read user_memberships makes, as ``(endpoint name, parameters)`` for read_together."""
    return graph_request('users/%s/memberOf' % user_id, select=GROUP_SELECT)


def user_group_row(row):
    """A Graph group as ListUserGroups shows it (its field names), plus the normalised keys."""
    group = normalise_group(row)
    group.update({'DisplayName': group['name'], 'MailEnabled': row.get('mailEnabled'), 'Mail': row.get('mail'),
                  'SecurityGroup': row.get('securityEnabled'), 'GroupTypes': ','.join(row.get('groupTypes') or []),
                  'OnPremisesSync': row.get('onPremisesSyncEnabled'), 'groupType': group['group_type']})
    return group


def direct_reports(client, tenant, user_id):
    """The people who report to the user, ``[{id, userPrincipalName, displayName, accountEnabled}]``, every page.

    ListGraphRequest ``users/{id}/directReports`` (see _api_graph; Graph returns directoryObjects, users in practice).
    """
    rows = graph_get(client, tenant, 'users/%s/directReports' % user_id, select='id,userPrincipalName,displayName,accountEnabled')
    return [{'id': row.get('id'), 'userPrincipalName': row.get('userPrincipalName'), 'displayName': row.get('displayName'),
             'accountEnabled': row.get('accountEnabled')} for row in rows if row.get('id')]


def password_profile(client, tenant, user_id):
    """``{force_change, password_policies}`` from Graph (None values when Graph does not say).

    ListGraphRequest ``users/{id}`` with ``$select=id,passwordProfile,passwordPolicies`` (single-object answer, C18).
    """
    row = graph_get_object(client, tenant, 'users/%s' % user_id, select='id,passwordProfile,passwordPolicies') or {}
    profile = row.get('passwordProfile')
    flag = profile.get('forceChangePasswordNextSignIn') if isinstance(profile, dict) else None
    return {'force_change': None if flag is None else bool(flag), 'password_policies': row.get('passwordPolicies')}


def user_devices(client, tenant, user_id):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ListUserDevices.ps1``
    (query ``UserID``; errors give [])."""
    return client.call('ListUserDevices', {'UserID': user_id}, tenant=tenant) or []


def user_sign_ins(client, tenant, user_id):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ListUserSigninLogs.ps1``
    (query ``UserID``, ``top``)."""
    return client.call('ListUserSigninLogs', {'UserID': user_id}, tenant=tenant) or []


# ------------------------------------------------------------------------------ writes

def add_user(client, tenant, body):
    """Create a user. Returns CIPP's answer (None in check mode).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-AddUser.ps1``
    -> ``Modules/CIPPCore/Public/New-CIPPUserTask.ps1``
    and ``Modules/CIPPCore/Public/New-CippUser.ps1``. Body only: ``username``, ``Domain``, ``displayName``, profile fields, ``password``,
    ``MustChangePass``, ``licenses`` and ``AddToGroups`` as autocomplete items, ``setManager``. Results are texts:
    ``Created New User.``, ``Username: ...``, ``Password: ...``, then licence/group texts (C12).
    """
    return client.write('AddUser', body, tenant=tenant)


def edit_user(client, tenant, body):
    """Edit a user. Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-EditUser.ps1``
    -> ``Modules/CIPPCore/Public/Set-CIPPUser.ps1``.

    ``id``, ``username`` and ``Domain`` on every call (else the UPN becomes ``@``); CIPP also sets ``mailNickname`` to
    ``username`` and ``forceChangePasswordNextSignIn`` to ``[bool]MustChangePass`` on every edit (C11). Failures come
    back as HTTP 200 texts.
    """
    return client.write('EditUser', body, tenant=tenant)


def set_account_enabled(client, tenant, user_id, enabled):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecDisableUser.ps1``
    -> ``Set-CIPPSignInState``; ``Enable`` is sent always
    (a missing one means disable)."""
    return client.write('ExecDisableUser', {'ID': user_id, 'Enable': bool(enabled)}, tenant=tenant)


def remove_user(client, tenant, user):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-RemoveUser.ps1``
    -> ``Remove-CIPPUser`` (``ID``, ``userPrincipalName``)."""
    return client.write('RemoveUser', {'ID': user['id'], 'userPrincipalName': user.get('userPrincipalName')}, tenant=tenant)


def set_licences(client, tenant, user_id, adds, removes, labels):
    """Assign and/or remove SKUs of one user in ONE item (C1: two items for one user collide in CIPP's Graph batch).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecBulkLicense.ps1``
    -> ``Modules/CIPPCore/Public/Set-CIPPUserLicense.ps1``. A body array
    of ``{tenantFilter, userIds, LicenseOperation: Add|Remove|Replace, Licenses, LicensesToRemove, LicensesToReplace,
    RemoveAllLicenses, ReplaceAllLicenses}``; Remove/Replace only remove SKUs the user holds. ``labels`` maps SKU id to
    a display label.
    """
    item = {'tenantFilter': tenant, 'userIds': [user_id]}

    def refs(skus):
        return [{'value': sku, 'label': labels.get(sku, sku)} for sku in skus]

    if adds and removes:
        item.update({'LicenseOperation': 'Replace', 'Licenses': refs(adds), 'LicensesToReplace': refs(removes), 'ReplaceAllLicenses': False})
    elif adds:
        item.update({'LicenseOperation': 'Add', 'Licenses': refs(adds)})
    else:
        item.update({'LicenseOperation': 'Remove', 'LicensesToRemove': refs(removes), 'RemoveAllLicenses': False})
    return client.write('ExecBulkLicense', [item], tenant=None)


def reset_password(client, tenant, user, must_change):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecResetPass.ps1``
    -> ``Set-CIPPResetPassword`` (``ID`` as the object id, ``MustChange``
    explicit: a missing one means false). Answer ``{"Results": {resultText, copyField: <password>, state}}``."""
    return client.write('ExecResetPass', {'ID': user['id'], 'displayName': user.get('displayName') or user.get('userPrincipalName'),
                                          'MustChange': bool(must_change)}, tenant=tenant)


def revoke_sessions(client, tenant, user):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecRevokeSessions.ps1``
    -> ``Revoke-CIPPSessions`` (``id``, ``Username``)."""
    return client.write('ExecRevokeSessions', {'id': user['id'], 'Username': user.get('userPrincipalName')}, tenant=tenant)


def clear_immutable_id(client, tenant, user):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecClrImmId.ps1`` (``ID``)."""
    return client.write('ExecClrImmId', {'ID': user['id']}, tenant=tenant)


def remove_admin_role(client, tenant, user, role):
    """Take ``user`` out of one directory role (``role`` as user_memberships() gives it: ``{id, name, role_template_id}``).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecRemoveAdminRole.ps1``.
    Body only: ``tenantFilter``, ``RoleId`` (the directoryRole instance id memberOf lists; CIPP deletes
    ``directoryRoles/{RoleId}/members/{id}/$ref``), ``RoleName``, ``Users`` as ``[{value: <object id>, label}]``. Answers
    ``{"Results": [text]}``: HTTP 200 ``Successfully removed ...``, HTTP 500 ``Failed to remove ...`` with Graph's error,
    HTTP 400 when an id is missing.
    """
    label = user.get('userPrincipalName') or user['id']
    return client.write('ExecRemoveAdminRole', {'RoleId': role['id'], 'RoleName': role.get('name') or role['id'],
                                                'Users': [{'value': user['id'], 'label': label,
                                                           'addedFields': {'userPrincipalName': label}}]}, tenant=tenant)


# ------------------------------------------------------------------------------ reading AddUser's answer

def result_lines(response):
    """CIPP's result texts of an AddUser/EditUser/ExecBulkLicense answer, as strings."""
    results = response.get('Results') if isinstance(response, dict) else None
    if isinstance(results, (str, dict)):
        results = [results]
    lines = []
    for item in results or []:
        lines.append(str(item.get('resultText') or '') if isinstance(item, dict) else str(item))
    return lines


def created_password(response):
    """The password AddUser reports (an item ``{resultText: 'Password...', copyField}``, or a ``Password: x`` text)."""
    results = response.get('Results') if isinstance(response, dict) else None
    for item in results or []:
        if isinstance(item, dict) and str(item.get('resultText', '')).lower().startswith('password'):
            return item.get('copyField')
        if isinstance(item, str) and item.lower().startswith('password: '):
            return item[len('password: '):]
    return None


def user_was_created(response):
    lines = result_lines(response)
    return bool(lines) and lines[0].lower().startswith('created new user')


PENDING_GROUP = re.compile(r'^Could not add (?P<user>\S+) to (?P<group>.+) yet \(Exchange replication delay\)', re.IGNORECASE)


def pending_groups(response):
    """Groups AddUser could not add yet and scheduled a retry for (C12): not done, whatever CIPP's tone."""
    return [match.group('group') for match in (PENDING_GROUP.match(line) for line in result_lines(response)) if match]
