# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the client knows about each CIPP endpoint (CONTRACT.md section 1).

``write`` decides whether check mode may send the call. ``inputs`` says where parameters go:
``query`` (a query string: GET for a read, POST without a body for a write), ``body`` (POST with a JSON body) or ``both`` (CIPP reads the
query first, then the body: we send a JSON body). Unknown endpoints count as writes unless their
name starts with ``List``: in check mode, guessing "write" is the safe mistake.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class Endpoint:
    __slots__ = ('name', 'write', 'inputs')

    def __init__(self, name, write, inputs):
        self.name = name
        self.write = write
        self.inputs = inputs

    @property
    def method(self):
        # A write is never a GET (intermediaries may repeat GETs), even when CIPP reads it from the query string.
        return 'GET' if self.inputs == 'query' and not self.write else 'POST'


_READS_QUERY = (
    'ListTenants', 'ListUsers', 'ListGraphRequest', 'ListUserGroups', 'ListUserDevices', 'ListMFAUsers',
    'ListPerUserMFA', 'ListUserMailboxDetails', 'ListmailboxPermissions', 'ListUserMailboxRules', 'ListMailboxRules',
    'ListSignIns', 'ListUserSigninLogs', 'ListUserConditionalAccessPolicies', 'ListInactiveAccounts',
    'ListDeletedItems', 'ListGroups', 'ListMailboxes', 'ListLicenses', 'ListDomains', 'ListUserCounts',
    'ListScheduledItems', 'ListScheduledItemDetails', 'ListOoO', 'ListMailboxCAS', 'ListMailboxForwarding',
    'ListGlobalAddressList', 'ListCustomRole', 'ListMailboxMobileDevices', 'me',
    # ExecBECCheck only starts CIPP's own read-only investigation (query only, role Identity.User.Read).
    # It changes nothing in the tenant, so check mode may run it: evidence is captured before any change.
    'ExecBECCheck',
)

_WRITES_BODY = (
    'AddUser', 'AddUserBulk', 'EditUser', 'ExecResetMFA', 'ExecPerUserMFA', 'ExecSendPush',
    'ExecPasswordNeverExpires', 'ExecEmailForward', 'ExecSetOoO', 'ExecConvertMailbox', 'EditGroup',
    'ExecBulkLicense', 'ExecOffboardUser', 'ExecBECRemediate', 'AddScheduledItem',
    'ExecRemoveMailboxRule', 'ExecSetMailboxRule', 'ExecEditMailboxPermissions',
    'ExecSetDefaultMFAMethod', 'ExecRegistrationCampaign',
    # Reads only Request.Body (Invoke-ExecRemoveAdminRole.ps1).
    'ExecRemoveAdminRole',
)

# Writes whose handler reads only the query string (Invoke-ExecMailboxMobileDevices.ps1 reads $Request.Query.*).
_WRITES_QUERY = (
    'ExecMailboxMobileDevices',
)

_WRITES_BOTH = (
    'ExecDisableUser', 'RemoveUser', 'ExecRestoreDeleted', 'RemoveDeletedObject', 'ExecResetPass',
    'ExecRevokeSessions', 'ExecCreateTAP', 'ExecClrImmId', 'ExecEnableArchive', 'ExecHideFromGAL',
    'RemoveScheduledItem',
)

ENDPOINTS = {}
for _name in _READS_QUERY:
    ENDPOINTS[_name.lower()] = Endpoint(_name, False, 'query')
for _name in _WRITES_BODY:
    ENDPOINTS[_name.lower()] = Endpoint(_name, True, 'body')
for _name in _WRITES_BOTH:
    ENDPOINTS[_name.lower()] = Endpoint(_name, True, 'both')
for _name in _WRITES_QUERY:
    ENDPOINTS[_name.lower()] = Endpoint(_name, True, 'query')

BATCH = '$batch'
BATCH_LIMIT = 20


def lookup(name):
    """The catalogue entry for ``name`` (any case), or a conservative guess for unknown names."""
    known = ENDPOINTS.get(name.lower())
    if known is not None:
        return known
    if name.lower().startswith('list'):
        return Endpoint(name, False, 'query')
    return Endpoint(name, True, 'body')
