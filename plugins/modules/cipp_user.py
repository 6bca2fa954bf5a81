#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cipp_user
short_description: Create, change, disable and delete Microsoft 365 users through CIPP
version_added: 0.1.0
description:
  - Makes a user of a customer tenant look the way the task says, through the CIPP API.
  - Reads the user first (one C(ListUsers) filter query) and sends only what differs. A run with nothing to
    change sends reads only and reports C(changed=false).
  - Only the options you set are compared; an option left out is left as it is.
  - Creates with C(AddUser) (licences, groups and manager in the same call), changes with C(EditUser),
    enables/disables with C(ExecDisableUser), changes licences with C(ExecBulkLicense), group memberships with
    C(EditGroup) (one call per group), deletes with C(RemoveUser) (a soft delete; Entra ID keeps the user 30 days).
  - "How C(EditUser)'s password flag is handled: CIPP's C(EditUser) rewrites the user's \"must change password at next sign-in\"
    flag on every call (to false unless told otherwise). Before any C(EditUser) call this module reads the current flag
    (C(ListGraphRequest) C(users/{id}?$select=passwordProfile)) and sends it back unchanged, unless
    O(must_change_password) is set, in which case that value is sent. So a profile edit never silently clears a pending
    password change. If CIPP does not return the flag, the module warns and sends O(must_change_password) (false when unset)."
author:
  - msp.cipp contributors (@msp-cipp)
extends_documentation_fragment:
  - msp.cipp.connection
  - msp.cipp.connection.TENANT
attributes:
  check_mode:
    support: full
    description: Reads the user, reports the change and the calls it would make (RV(cipp_calls)), and sends no write.
  diff_mode:
    support: full
    description: RV(diff) shows C(before) and C(after) of the options that change. Passwords never appear.
options:
  user_principal_name:
    description:
      - The user's UPN, C(username@domain). Identifies the user, and is the UPN a new user gets.
      - The domain must be one of the tenant's domains.
      - "Entra ID's rules are checked before anything is sent: only letters, digits and C(' . - _ ! # ^ ~) before the C(@),
        no period right before it, at most 64 characters before it, 48 after it and 113 in all."
      - With O(id) as well, a different value renames the user (changes the UPN). A rename happens only then.
    type: str
    aliases: [upn]
  id:
    description:
      - The user's object ID. Identifies an existing user; a user cannot be created from an id alone.
    type: str
    aliases: [object_id]
  state:
    description:
      - V(present) creates the user when missing and changes what differs.
      - V(absent) deletes the user; a user that does not exist is left alone (no change).
    type: str
    choices: [present, absent]
    default: present
  account_enabled:
    description:
      - Whether the user can sign in. Sent as an explicit C(Enable) value, and only when it differs
        (CIPP treats a missing value as "disable").
      - Users synchronised from on-premises AD cannot be changed here; the task fails before any write.
    type: bool
  display_name:
    description:
      - Display name. Cannot be cleared. A new user without it gets O(given_name) O(surname), or the username.
    type: str
  given_name:
    description: First name. An empty string clears it.
    type: str
  surname:
    description: Last name. An empty string clears it.
    type: str
  job_title:
    description: Job title. An empty string clears it.
    type: str
  department:
    description: Department. An empty string clears it.
    type: str
  company_name:
    description: Company name. An empty string clears it.
    type: str
  office_location:
    description:
      - Office location, sent through CIPP's C(defaultAttributes). Cannot be cleared through CIPP.
    type: str
  street_address:
    description: Street address. An empty string clears it.
    type: str
  city:
    description: City. An empty string clears it.
    type: str
  state_or_province:
    description: State or province (Graph's C(state)). An empty string clears it.
    type: str
  postal_code:
    description: Postal code. An empty string clears it.
    type: str
  country:
    description: Country or region, free text (Graph's C(country)). An empty string clears it.
    type: str
  mobile_phone:
    description: Mobile phone number. An empty string clears it.
    type: str
  business_phones:
    description: Business phone numbers (Entra ID keeps one). An empty list clears them.
    type: list
    elements: str
  other_mails:
    description: Alternative e-mail addresses, compared case-insensitively and in any order. An empty list clears them.
    type: list
    elements: str
  usage_location:
    description:
      - Two-letter ISO 3166-1 country code (V(US), V(GB), V(NL)...), checked before anything is sent.
      - Required before licences can be assigned. Cannot be cleared.
    type: str
  manager:
    description: The manager, by UPN or object ID. Must exist in the tenant. Cannot be cleared through CIPP.
    type: str
  password:
    description:
      - Password for a new user, or a new password with O(update_password=always).
      - Without it, CIPP generates a password for a new user; see O(return_password).
      - Must meet Entra ID's rule for cloud accounts, checked before anything is sent - 8 to 256 characters, with at least
        three of lower case letters, upper case letters, digits and symbols.
      - A string; anything else (a number, a list, a dict) is refused rather than turned into its text.
    type: raw
  update_password:
    description:
      - V(on_create) sets O(password) only when the user is created, so re-runs stay unchanged.
      - V(always) sets O(password) on every run (Graph cannot tell whether it differs), so the task always reports a change.
    type: str
    choices: [on_create, always]
    default: on_create
  must_change_password:
    description:
      - Whether the user must change the password at next sign-in.
      - For a new user it defaults to V(true). For an existing user it is compared with the current flag and changed
        only when it differs; when unset, the current flag is kept.
    type: bool
  return_password:
    description:
      - Return the password CIPP set for a new user (generated or given) in RV(password).
      - Set C(no_log) on the task when you use this, so Ansible does not print the result.
    type: bool
    default: false
  licenses:
    description:
      - Licences, by SKU id, Microsoft part number (V(SPB), V(O365_BUSINESS_ESSENTIALS)) or the product name CIPP shows
        (V(Microsoft 365 Business Premium)), checked against every SKU of the tenant (Graph's C(subscribedSkus) through
        C(ListGraphRequest); free and trial SKUs included) before any write. Adding one needs a free seat and a usage
        location. Product names cost one more read (C(ListLicenses)).
      - A swap (C(set), or C(add) with C(remove)) is one C(ExecBulkLicense) item with C(LicenseOperation=Replace), so
        the user is never left without a licence in between.
      - C(set) is the complete list (wins over C(add) and C(remove)); C(set=[]) removes all. C(add) and C(remove) change
        only the ones named.
    type: dict
    suboptions:
      add:
        description: Licences to assign.
        type: list
        elements: str
      remove:
        description: Licences to remove.
        type: list
        elements: str
      set:
        description: The complete list of licences.
        type: list
        elements: str
  groups:
    description:
      - Group memberships, by display name or object ID, checked against the tenant's groups before any write.
      - Same contract as O(licenses). Dynamic groups cannot be changed. CIPP lists only the first 100 or so memberships
        of a user, so C(set) is only reliable below that.
    type: dict
    suboptions:
      add:
        description: Groups to join.
        type: list
        elements: str
      remove:
        description: Groups to leave.
        type: list
        elements: str
      set:
        description: The complete list of groups.
        type: list
        elements: str
notes:
  - Idempotent. A second identical run reports C(changed=false) and sends no write, except with O(update_password=always).
'''

EXAMPLES = r'''
- name: Onboard a new hire with licence and groups
  msp.cipp.cipp_user:
    tenant: contoso.com
    user_principal_name: jdoe@contoso.com
    display_name: Jane Doe
    given_name: Jane
    surname: Doe
    job_title: Accountant
    department: Finance
    usage_location: US
    licenses:
      add: [SPB]
    groups:
      add: [Finance, All Staff]
    manager: cfo@contoso.com
    return_password: true
  no_log: true
  register: new_hire

- name: Preview a change (run with --check --diff)
  msp.cipp.cipp_user:
    tenant: contoso.com
    user_principal_name: jdoe@contoso.com
    job_title: Senior Accountant
    mobile_phone: ""

- name: Block sign-in
  msp.cipp.cipp_user:
    tenant: contoso.com
    user_principal_name: jdoe@contoso.com
    account_enabled: false

- name: Rename (change the UPN)
  msp.cipp.cipp_user:
    tenant: contoso.com
    id: 5f1d4a0e-3c2b-4a55-9d7e-1b2c3d4e5f60
    user_principal_name: jane.doe@contoso.com

- name: Exactly these licences, nothing else
  msp.cipp.cipp_user:
    tenant: contoso.com
    upn: jdoe@contoso.com
    licenses:
      set: [SPB]

- name: Delete
  msp.cipp.cipp_user:
    tenant: contoso.com
    upn: jdoe@contoso.com
    state: absent
'''

RETURN = r'''
user:
  description:
    - The user as CIPP's C(ListUsers) returns it after the change (read again), the user as it is when nothing changed,
      or the predicted user in check mode. C(null) after a delete.
    - See M(msp.cipp.cipp_user_info) for the main keys.
  returned: always
  type: dict
password:
  description: The password CIPP set for the new user. Only when O(return_password=true) and the user was created.
  returned: when requested and the user was created
  type: str
diff:
  description: C(before) and C(after) of the options that changed, in the module's option names.
  returned: when diff mode is on
  type: dict
  sample: {before: {state: present, job_title: Accountant}, after: {state: present, job_title: Senior Accountant}}
cipp_calls:
  description: The CIPP calls the task made, or in check mode the writes it would make (C(sent=false)), secrets masked.
  returned: always
  type: list
  elements: dict
  sample:
    - {endpoint: ListUsers, method: GET, write: false, sent: true, status: 200, params: {tenantFilter: contoso.com}}
    - {endpoint: EditUser, method: POST, write: true, sent: false, status: null, params: {id: "5f1d...", jobTitle: Senior Accountant}}
'''

from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule
from ansible_collections.msp.cipp.plugins.module_utils._user_fields import user_argspec
from ansible_collections.msp.cipp.plugins.module_utils._user_lifecycle import ensure_user


ARGUMENT_SPEC = dict(
    tenant=dict(type='str', required=True),
    user_principal_name=dict(type='str', aliases=['upn']),
    id=dict(type='str', aliases=['object_id']),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    update_password=dict(type='str', choices=['on_create', 'always'], default='on_create', no_log=False),
    return_password=dict(type='bool', default=False, no_log=False),
)
ARGUMENT_SPEC.update(user_argspec())
MODULE_KWARGS = dict(required_one_of=[('user_principal_name', 'id')])
RESOURCE = ensure_user


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
