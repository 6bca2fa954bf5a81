#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cipp_users
short_description: Create and update many Microsoft 365 users of one tenant in one task, in parallel
version_added: 0.1.0
description:
  - Makes every user in O(users) look the way its entry says, exactly as M(msp.cipp.cipp_user) would for each one
    (same options, same reads and writes per user, same rules), but in one task and O(parallel) users at a time.
    Use it instead of a loop of M(msp.cipp.cipp_user) for a roster, such as onboarding a batch of hires.
  - Before any write, every entry is checked and every user is looked up, and the list is checked as a whole
    (unknown licences, missing usage locations, domains that are not the tenant's, and enough free seats for all the
    new licence assignments together). A list with problems changes nothing.
  - The tenant's domains, licences and groups are read once for the whole list (or taken from O(tenant_info)).
  - A list of 10 users or more is looked up with one read of all the tenant's users (CIPP follows Graph's pages) instead
    of one look-up per user, and the memberships of its O(users[].groups) C(add)/C(remove) groups are read once per
    group (the group's members) instead of once per user. Users who need a group change (and C(set) lists) are still
    read the way M(msp.cipp.cipp_user) reads them, so the change and the diff are the same. Shorter lists are looked up
    user by user, which costs less in a tenant with many users.
  - A new user's first credential - the password CIPP generated (or the one given), or with O(first_credential=tap) a
    one-time Temporary Access Pass - is written to a file of its own in O(handover_dir), readable by its owner only,
    and never appears in the result unless O(return_credentials=true). Users that already existed get nothing.
  - When one user fails, the others are still done; the task then fails and its message names each failed user.
  - Only creates and updates; delete users with M(msp.cipp.cipp_user) O(msp.cipp.cipp_user#module:state=absent).
author:
  - msp.cipp contributors (@msp-cipp)
extends_documentation_fragment:
  - msp.cipp.connection
  - msp.cipp.connection.TENANT
attributes:
  check_mode:
    support: full
    description:
      - Looks everybody up, checks the list, reports what would change and the writes it would make (RV(cipp_calls)),
        and sends no write. No Temporary Access Pass is created and no hand-over file is written.
  diff_mode:
    support: full
    description: RV(diff) shows C(before) and C(after) per changed user, keyed by user principal name. Passwords never appear.
options:
  users:
    description:
      - The users, one dict each, with the options M(msp.cipp.cipp_user) takes for one user (except O(msp.cipp.cipp_user#module:id),
        O(msp.cipp.cipp_user#module:state), O(msp.cipp.cipp_user#module:update_password) and
        O(msp.cipp.cipp_user#module:return_password)). Only the options an entry sets are compared.
      - Each user principal name may appear once; at most 1000 users in one task (split a bigger roster over tasks).
    type: list
    elements: dict
    required: true
    suboptions:
      user_principal_name:
        description: The user's UPN; identifies the user, and is the UPN a new user gets.
        type: str
        required: true
        aliases: [upn]
      account_enabled:
        description: Whether the user may sign in.
        type: bool
      manager:
        description: The manager's user principal name or object ID.
        type: str
      password:
        description:
          - Password for a new user (otherwise CIPP generates one). Never changes an existing user's password.
          - Must meet Entra ID's rule - 8 to 256 characters, with three of lower case, upper case, digits and symbols.
          - A string; anything else (a number, a list, a dict) is refused rather than turned into its text.
        type: raw
      must_change_password:
        description: Whether the user must change the password at the next sign-in (new users default to true).
        type: bool
      licenses:
        description: Licences (SKU id, part number such as V(SPB), or product name), as M(msp.cipp.cipp_user)'s O(msp.cipp.cipp_user#module:licenses).
        type: dict
        suboptions:
          add:
            description: Licences the user must have.
            type: list
            elements: str
          remove:
            description: Licences the user must not have.
            type: list
            elements: str
          set:
            description: Exactly these licences.
            type: list
            elements: str
      groups:
        description: Groups (id or display name), as M(msp.cipp.cipp_user)'s O(msp.cipp.cipp_user#module:groups). Dynamic groups are refused.
        type: dict
        suboptions:
          add:
            description: Groups the user must be a member of.
            type: list
            elements: str
          remove:
            description: Groups the user must not be a member of.
            type: list
            elements: str
          set:
            description: Exactly these groups.
            type: list
            elements: str
      display_name:
        description: Display name (a new user without one gets "given_name surname", or the user name).
        type: str
      given_name:
        description: First name.
        type: str
      surname:
        description: Last name.
        type: str
      job_title:
        description: Job title.
        type: str
      department:
        description: Department.
        type: str
      company_name:
        description: Company name.
        type: str
      office_location:
        description: Office.
        type: str
      street_address:
        description: Street address.
        type: str
      city:
        description: City.
        type: str
      state_or_province:
        description: State or province.
        type: str
      postal_code:
        description: Postal code.
        type: str
      country:
        description: Country or region (free text).
        type: str
      mobile_phone:
        description: Mobile phone number.
        type: str
      business_phones:
        description: Business phone numbers.
        type: list
        elements: str
      other_mails:
        description: Other e-mail addresses.
        type: list
        elements: str
      usage_location:
        description: Usage location, an ISO 3166-1 alpha-2 country code such as V(US); needed before licences can be assigned.
        type: str
  existing_users:
    description:
      - The tenant's users as RV(msp.cipp.cipp_user_info#module:users) returned them just before, in the same play (for
        example in a role's own checks) - then this task reads no user itself. Without it, the task reads them.
      - It must hold every user of the tenant (M(msp.cipp.cipp_user_info) with only O(tenant)) - an entry whose user is
        not in it is created, and CIPP refuses to create a user principal name that exists.
      - Users are matched by user principal name, without regard to case.
    type: list
    elements: dict
  tenant_info:
    description:
      - The tenant's row as RV(msp.cipp.cipp_tenant_info#module:tenants) returned it just before (with
        O(msp.cipp.cipp_tenant_info#module:include=[domains, licenses, groups])) - its domains, licences (with their seats)
        and groups are used instead of reading them again. A list the row does not hold is read when needed.
      - It must be the row of O(tenant).
    type: dict
  parallel:
    description:
      - How many users are looked up and changed at the same time (1 to 10). CIPP answers 429 when it is too busy; the
        client then waits as told and tries again.
    type: int
    default: 8
  first_credential:
    description:
      - What a user created by this task gets as first credential, for the hand-over.
      - V(password) - the password CIPP generated, or the one the entry gave.
      - V(tap) - a one-time Temporary Access Pass (C(ExecCreateTAP)), created right after the user. Needs O(handover_dir)
        or O(return_credentials).
    type: str
    choices: [password, tap]
    default: password
  tap_lifetime_minutes:
    description: Lifetime of the Temporary Access Pass (10 to 43200).
    type: int
    default: 480
  handover_dir:
    description:
      - Directory for the hand-over files, one C(<user principal name>.txt) per new user, holding its first credential.
        Created with mode 0700 when missing; the files are written with mode 0600.
      - On the controller, unless the task runs on another host.
    type: path
  return_credentials:
    description: Also return the new users' first credentials in RV(credentials). Mark the task C(no_log) if you use it.
    type: bool
    default: false
notes:
  - An identical second run reads each user (one C(ListUsers) query per user, plus one C(memberOf) read per user whose
    entry has groups, and the tenant's SKUs once when entries name licences), writes nothing and
    reports C(changed=false). It writes no hand-over file and creates no Temporary Access Pass.
seealso:
  - module: msp.cipp.cipp_user
  - module: msp.cipp.cipp_mfa
'''

EXAMPLES = r'''
- name: Onboard this week's hires, each new user's password in a 0600 file
  msp.cipp.cipp_users:
    tenant: contoso.com
    handover_dir: /srv/onboarding/handover
    users:
      - user_principal_name: ada.byron@contoso.com
        given_name: Ada
        surname: Byron
        job_title: Analyst
        usage_location: GB
        licenses:
          add: [SPB]
        groups:
          add: [Finance]
      - user_principal_name: alan.turing@contoso.com
        given_name: Alan
        surname: Turing
        usage_location: GB
        licenses:
          add: [SPB]
        manager: ada.byron@contoso.com

- name: One-time Temporary Access Passes instead of passwords, returned to the play
  msp.cipp.cipp_users:
    tenant: contoso.com
    first_credential: tap
    tap_lifetime_minutes: 120
    return_credentials: true
    users: "{{ hires }}"
  register: onboarded
  no_log: true
'''

RETURN = r'''
users:
  description: One entry per user, in the order of O(users).
  returned: always
  type: list
  elements: dict
  contains:
    user_principal_name:
      description: The user, as given.
      type: str
    changed:
      description: Whether this user was (or in check mode would be) created or changed.
      type: bool
    created:
      description: Whether this user was (or would be) created by this task.
      type: bool
    user:
      description: The user as C(ListUsers) returns it after the change, as it is when nothing changed, or predicted in check mode.
      type: dict
    failed:
      description: Present and true when this user failed; RV(users[].msg) says why.
      type: bool
    msg:
      description: Why this user failed.
      type: str
  sample:
    - {user_principal_name: ada.byron@contoso.com, changed: true, created: true, user: {userPrincipalName: ada.byron@contoso.com}}
created:
  description: The users this task created (or would create, in check mode).
  returned: always
  type: list
  elements: str
  sample: [ada.byron@contoso.com]
handover_files:
  description: The hand-over files written by this run (none in check mode and on a re-run).
  returned: always
  type: list
  elements: str
  sample: [/srv/onboarding/handover/ada.byron@contoso.com.txt]
credentials:
  description: The first credential of each user created by this run.
  returned: when O(return_credentials=true)
  type: list
  elements: dict
  contains:
    user:
      description: The user principal name.
      type: str
    kind:
      description: V(Password) or V(Temporary Access Pass).
      type: str
    secret:
      description: The password or pass.
      type: str
diff:
  description: C(before) and C(after) per changed user, keyed by user principal name, in M(msp.cipp.cipp_user)'s option names.
  returned: when diff mode is on
  type: dict
  sample: {before: {ada.byron@contoso.com: {state: absent}}, after: {ada.byron@contoso.com: {state: present, job_title: Analyst}}}
cipp_calls:
  description: The CIPP calls the task made, or in check mode the writes it would make (C(sent=false)), secrets masked.
  returned: always
  type: list
  elements: dict
  sample:
    - {endpoint: ListUsers, method: GET, write: false, sent: true, status: 200, params: {tenantFilter: contoso.com}}
    - {endpoint: AddUser, method: POST, write: true, sent: true, status: 200, params: {username: ada.byron, Domain: contoso.com}}
'''

from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule
from ansible_collections.msp.cipp.plugins.module_utils._user_bulk import ensure_users, entry_argspec


ARGUMENT_SPEC = dict(
    tenant=dict(type='str', required=True),
    users=dict(type='list', elements='dict', required=True, options=entry_argspec()),
    existing_users=dict(type='list', elements='dict'),
    tenant_info=dict(type='dict'),
    parallel=dict(type='int', default=8),
    first_credential=dict(type='str', choices=['password', 'tap'], default='password', no_log=False),
    tap_lifetime_minutes=dict(type='int', default=480),
    handover_dir=dict(type='path'),
    return_credentials=dict(type='bool', default=False, no_log=False),
)
MODULE_KWARGS = dict()
RESOURCE = ensure_users


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
