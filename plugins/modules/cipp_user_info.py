#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cipp_user_info
short_description: Read users of a customer tenant through CIPP
version_added: 0.1.0
description:
  - Reads one user (by user principal name or object ID), the users matching an OData filter, or all users
    of a tenant, through CIPP's C(ListUsers). CIPP follows Graph's paging to the end.
  - One user is looked up with a filter query, so a user that does not exist gives an empty RV(users) list,
    not a failure.
  - O(include) adds related data; each kind adds calls only when asked.
  - Never changes anything; safe in check mode.
author:
  - msp.cipp contributors (@msp-cipp)
extends_documentation_fragment:
  - msp.cipp.connection
  - msp.cipp.connection.TENANT
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Read-only; there is nothing to diff.
options:
  user:
    description:
      - One user, by user principal name (C(jdoe@contoso.com)) or object ID.
      - Mutually exclusive with O(filter).
    type: str
    aliases: [user_principal_name, id]
  filter:
    description:
      - An OData C($filter) passed to Graph through CIPP, for example C(accountEnabled eq false) or
        C(startswith(displayName,'A')).
      - Without O(user) and O(filter), all users of the tenant are returned.
    type: str
  include:
    description:
      - Related data to add to each user.
      - V(groups) adds C(groups), the groups the user is a direct member of, every page (C(ListGraphRequest)
        C(users/{id}/memberOf); CIPP's C(ListUserGroups) stops at the first page of about 100). Each group has
        C(ListUserGroups)' keys (C(DisplayName), C(Mail), C(MailEnabled), C(SecurityGroup), C(GroupTypes),
        C(OnPremisesSync), C(groupType)) and normalised ones (C(id), C(name), C(mail), C(dynamic), C(synced),
        C(mail_enabled), C(security_enabled), C(assigns_licenses), C(group_type)).
      - V(devices) adds C(devices) (C(ListUserDevices)).
      - V(mailbox) adds C(mailbox) (C(ListUserMailboxDetails)).
      - V(mailbox_permissions) adds C(mailbox_permissions), who holds rights on the user's own mailbox
        (C(ListmailboxPermissions), live), each C({User, Permissions}).
      - V(mailbox_access) adds C(mailbox_access), the mailboxes the user can reach, each
        C({mailbox, rights}) with C(rights) among C(FullAccess), C(SendAs), C(SendOnBehalf). It comes from CIPP's
        mailbox permission report (C(ListmailboxPermissions) C(ByUser)), a cache that CIPP's sync jobs fill and its own
        permission changes update; changes made in Exchange directly show only after CIPP's next sync. C(null), with a
        warning, when CIPP has no report for the tenant yet.
      - V(mobile_devices) adds C(mobile_devices), the mailbox's mobile devices (C(ListMailboxMobileDevices)) with C(Guid),
        C(deviceID), C(deviceFriendlyName), C(deviceModel), C(deviceOS), C(deviceType), C(clientType),
        C(deviceAccessState), C(status), C(firstSync), C(lastSyncAttempt), C(lastSuccessSync). C(null), with a warning,
        when Exchange cannot read them (for example a user without a mailbox).
      - V(mfa) adds C(mfa), the user's row of the tenant's MFA report (C(ListMFAUsers), one call per task).
      - V(sign_ins) adds C(sign_ins) (C(ListUserSigninLogs)).
      - V(manager) makes sure C(manager) is present (C(null) when none); C(ListUsers) already expands it,
        so it costs no call.
      - V(roles) adds C(roles), the directory (admin) roles the user holds, each C({id, name, role_template_id}), from
        the same C(memberOf) read as V(groups) (both together cost one call).
    type: list
    elements: str
    choices: [groups, devices, mailbox, mailbox_permissions, mailbox_access, mobile_devices, mfa, sign_ins, manager, roles]
    default: []
'''

EXAMPLES = r'''
- name: Read one user
  msp.cipp.cipp_user_info:
    tenant: contoso.com
    user: jdoe@contoso.com
  register: jdoe

- name: Disabled users with their groups and devices
  msp.cipp.cipp_user_info:
    tenant: contoso.com
    filter: accountEnabled eq false
    include: [groups, devices]
  register: disabled

- name: What a leaver can reach, and their phones
  msp.cipp.cipp_user_info:
    tenant: contoso.com
    user: leaver@contoso.com
    include: [mailbox_access, mobile_devices]
  register: leaver

- name: Every user of the tenant
  msp.cipp.cipp_user_info:
    tenant: contoso.com
  register: everyone
'''

RETURN = r'''
users:
  description:
    - The users, as CIPP's C(ListUsers) returns them (Graph user objects, camelCase), plus what O(include) adds.
    - Main keys are C(id), C(userPrincipalName), C(displayName), C(givenName), C(surname), C(mail),
      C(accountEnabled), C(userType), C(usageLocation), C(jobTitle), C(department), C(assignedLicenses)
      (list of C(skuId)), C(onPremisesSyncEnabled), C(onPremisesImmutableId), and CIPP's additions C(username)
      (the part of the UPN before C(@)), C(primDomain) (C(value)/C(label) of the domain), C(LicJoined)
      (licence names joined), C(Aliases) and C(manager) (C(id), C(userPrincipalName), C(displayName)).
    - Empty when a requested user does not exist.
  returned: always
  type: list
  elements: dict
  sample:
    - id: 5f1d4a0e-3c2b-4a55-9d7e-1b2c3d4e5f60
      userPrincipalName: jdoe@contoso.com
      displayName: Jane Doe
      accountEnabled: true
      usageLocation: US
cipp_calls:
  description: The CIPP calls the task made, with secrets masked.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule
from ansible_collections.msp.cipp.plugins.module_utils._users import INCLUDES, user_info


ARGUMENT_SPEC = dict(
    tenant=dict(type='str', required=True),
    user=dict(type='str', aliases=['user_principal_name', 'id']),
    filter=dict(type='str'),
    include=dict(type='list', elements='str', choices=list(INCLUDES), default=[]),
)
MODULE_KWARGS = dict(mutually_exclusive=[('user', 'filter')])
RESOURCE = user_info


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
