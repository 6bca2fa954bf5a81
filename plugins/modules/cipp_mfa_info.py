#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cipp_mfa_info
short_description: MFA report of one tenant or of every tenant, with registration in three states
version_added: 0.1.0
description:
  - Reads CIPP's MFA report (C(ListMFAUsers)) of one tenant, or of every tenant with O(tenant=AllTenants) (one call per
    tenant, grouped 20 at a time through CIPP's C($batch)).
  - Registration has three states - C(registered), C(not_registered), and C(unknown) when CIPP reports C(null)
    (usually unlicensed users that Microsoft does not report on). Unknown is never counted as registered.
  - A user has a C(gap) when the account is enabled and either nothing enforces MFA (per-user state, a Conditional Access
    policy for all or specific apps, or security defaults) or the user has not registered. When something enforces MFA
    but registration is unknown, C(gap) is C(null).
  - A tenant that fails is reported in RV(tenants) and RV(failed_tenants); it never aborts the rest of the portfolio.
  - With O(users), each listed user's registered methods, default method and Temporary Access Pass are read from Graph
    (C(ListGraphRequest) C(users/{id}/authentication/methods) and, beta, C(users/{id}/authentication/signInPreferences);
    two calls per user) and returned in RV(user_methods). These work in every tenant, with or without Entra ID P1.
  - Never changes anything.
author:
  - msp.cipp contributors (@msp-cipp)
extends_documentation_fragment:
  - msp.cipp.connection
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Read-only.
options:
  tenant:
    description: The customer tenant (default domain, initial domain or tenant ID), or V(AllTenants).
    type: str
    required: true
  only_gaps:
    description: Return only users with C(gap=true).
    type: bool
    default: false
  exclude_guests:
    description: Leave out guest users.
    type: bool
    default: false
  exclude_disabled:
    description: Leave out disabled accounts.
    type: bool
    default: false
  users:
    description:
      - Users (user principal name or object ID) whose methods to read into RV(user_methods); one user or many.
      - Needs one tenant (not V(AllTenants)). A user that is not in the tenant fails the task, naming it.
    type: list
    elements: str
'''

EXAMPLES = r'''
- name: MFA gaps of one customer
  msp.cipp.cipp_mfa_info:
    tenant: contoso.com
    only_gaps: true
    exclude_guests: true
  register: gaps

- name: The registered methods of two users
  msp.cipp.cipp_mfa_info:
    tenant: contoso.com
    users: [jdoe@contoso.com, asmith@contoso.com]
  register: mfa

- name: Show each user's methods by type
  ansible.builtin.debug:
    msg: "{{ item.user_principal_name }}: {{ item.methods | map(attribute='type') | list }}"
  loop: "{{ mfa.user_methods }}"

- name: Portfolio report
  msp.cipp.cipp_mfa_info:
    tenant: AllTenants
  register: portfolio
'''

RETURN = r'''
users:
  description: One row per user (after the filters).
  returned: always
  type: list
  elements: dict
  contains:
    tenant:
      description: The tenant the row belongs to.
      type: str
      returned: always
    user_principal_name:
      description: UPN.
      type: str
      returned: always
    registration:
      description: C(registered), C(not_registered) or C(unknown).
      type: str
      returned: always
    methods:
      description: Registered method types as CIPP reports them.
      type: list
      elements: str
      returned: always
    per_user_state:
      description: C(disabled), C(enabled) or C(enforced).
      type: str
      returned: always
    enforced_by:
      description: What enforces MFA - C(per_user), C(conditional_access), C(security_defaults).
      type: list
      elements: str
      returned: always
    gap:
      description: C(true), C(false), or C(null) when unknown.
      type: bool
      returned: always
    is_admin:
      description: Whether the user holds an admin role.
      type: bool
      returned: always
tenants:
  description: Per tenant - C(users), C(registered), C(not_registered), C(unknown), C(gaps), C(gaps_unknown), C(error).
  returned: always
  type: list
  elements: dict
user_methods:
  description: One entry per user in O(users), in that order.
  returned: when O(users) is set
  type: list
  elements: dict
  contains:
    id:
      description: Object ID.
      type: str
      returned: always
    user_principal_name:
      description: UPN.
      type: str
      returned: always
    methods:
      description:
        - The registered methods, the password excepted. Each has C(id), C(type) (C(phone), C(email), C(fido2),
          C(microsoftAuthenticator), C(softwareOath), C(windowsHelloForBusiness), C(temporaryAccessPass), ... - Graph's
          type without C(AuthenticationMethod)), C(created_date_time), C(display_name) (the device or key name; Graph's
          C(deviceTag) when there is no name), C(phone_number) and C(phone_type) (phone methods), C(email_address)
          (email method), and for a pass C(temporary_access_pass) (as RV(user_methods[].temporary_access_pass)).
      type: list
      elements: dict
      returned: always
    mfa_registered:
      description: Whether the user holds a method other than a pass or an email address (which do not count as MFA).
      type: bool
      returned: always
    default_method:
      description: The default second factor (C(userPreferredMethodForSecondaryAuthentication)), or C(null).
      type: str
      returned: always
    system_preferred_enabled:
      description: Whether system-preferred MFA is on for the user; then Entra ID ignores RV(user_methods[].default_method).
      type: bool
      returned: always
    system_preferred_method:
      description: The method system-preferred MFA picks, or C(null).
      type: str
      returned: always
    temporary_access_pass:
      description:
        - The user's pass, or C(null) - C(id), C(created_date_time), C(start), C(lifetime_minutes), C(usable_once),
          C(is_usable), C(usability_reason) (Graph's C(methodUsabilityReason), e.g. C(EnabledByPolicy), C(Expired),
          C(NotYetValid)). Never the pass itself.
      type: dict
      returned: always
    has_usable_tap:
      description: Whether the user holds a pass that is usable now or becomes usable (C(NotYetValid)).
      type: bool
      returned: always
failed_tenants:
  description: Tenants whose report could not be read.
  returned: always
  type: list
  elements: str
cipp_calls:
  description: The CIPP calls the task made.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.msp.cipp.plugins.module_utils._mfa import mfa_report
from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule


ARGUMENT_SPEC = dict(
    tenant=dict(type='str', required=True),
    only_gaps=dict(type='bool', default=False),
    exclude_guests=dict(type='bool', default=False),
    exclude_disabled=dict(type='bool', default=False),
    users=dict(type='list', elements='str'),
)
MODULE_KWARGS = {}
RESOURCE = mfa_report


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
