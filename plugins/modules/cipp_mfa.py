#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cipp_mfa
short_description: Manage a user's MFA through CIPP - per-user state, registered methods, Temporary Access Pass, push
version_added: 0.1.0
description:
  - O(per_user_state) is idempotent. The current state is read (C(ListPerUserMFA)) and written (C(ExecPerUserMFA)) only
    when it differs.
  - O(methods=absent) removes every registered MFA method except the password (C(ExecResetMFA)), so the user registers
    again at next sign-in. The methods are read from Graph (C(ListGraphRequest) C(users/{id}/authentication/methods)),
    which works in every tenant; CIPP's MFA report cannot be used for this, because in tenants without Entra ID P1 its
    C(MFARegistration) is C(null) for everyone. A user with no method but the password is left alone (no write); after
    the removal the methods are read again and the task fails if any is still there.
  - O(temporary_access_pass) creates a Temporary Access Pass (C(ExecCreateTAP)). B(One-shot) - runs on every run and
    reports C(changed=true). Entra ID allows one TAP per user, so a second one fails while the first is valid.
  - O(send_push) sends an MFA push to the user's device (C(ExecSendPush)) and returns CIPP's result. B(One-shot).
author:
  - msp.cipp contributors (@msp-cipp)
extends_documentation_fragment:
  - msp.cipp.connection
  - msp.cipp.connection.TENANT
attributes:
  check_mode:
    support: full
    description: Reads the current state and reports what would change or run, without writing.
  diff_mode:
    support: full
    description: Before/after of the per-user state and the registered methods. A TAP never appears.
options:
  user:
    description: The user, by user principal name or object ID. Must exist.
    type: str
    required: true
  per_user_state:
    description: Legacy per-user MFA state.
    type: str
    choices: [disabled, enabled, enforced]
  methods:
    description: V(absent) removes all registered MFA methods (see the description for how "unknown" is handled).
    type: str
    choices: [absent]
  temporary_access_pass:
    description: Create a Temporary Access Pass. B(One-shot).
    type: dict
    suboptions:
      lifetime_minutes:
        description: Minutes the pass is valid, 10 to 43200. Default is the tenant's TAP policy.
        type: int
      usable_once:
        description: Whether the pass can be used once only.
        type: bool
        default: false
      start:
        description: When the pass becomes valid, as epoch seconds or ISO 8601. Default is now.
        type: str
  return_secret:
    description:
      - Return the Temporary Access Pass in the C(pass) key of RV(temporary_access_pass). Set C(no_log) on the task when you use it.
    type: bool
    default: false
  send_push:
    description: Send an MFA push notification to the user. B(One-shot).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Enforce per-user MFA
  msp.cipp.cipp_mfa:
    tenant: contoso.com
    user: jdoe@contoso.com
    per_user_state: enforced

- name: Remove methods an attacker may have registered
  msp.cipp.cipp_mfa:
    tenant: contoso.com
    user: jdoe@contoso.com
    methods: absent

- name: One-time TAP for the new hire's first sign-in
  msp.cipp.cipp_mfa:
    tenant: contoso.com
    user: new.hire@contoso.com
    temporary_access_pass:
      lifetime_minutes: 480
      usable_once: true
    return_secret: true
  no_log: true
  register: tap
'''

RETURN = r'''
user:
  description: C(id) and C(userPrincipalName) of the user.
  returned: always
  type: dict
actions:
  description: What ran (or would run in check mode) - C(per_user_state), C(methods_removed), C(temporary_access_pass), C(send_push).
  returned: always
  type: list
  elements: str
methods_message:
  description: CIPP's answer to the method removal.
  returned: when O(methods=absent) was sent
  type: str
temporary_access_pass:
  description: C(lifetime_minutes), C(usable_once), C(start) of the new pass, and C(pass) only with O(return_secret=true).
  returned: when a pass was created
  type: dict
push_result:
  description: CIPP's answer to the push.
  returned: when O(send_push=true), not in check mode
  type: str
cipp_calls:
  description: The CIPP calls the task made, or in check mode the writes it would make, secrets masked.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.msp.cipp.plugins.module_utils._mfa import PER_USER_STATES, ensure_mfa
from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule


ARGUMENT_SPEC = dict(
    tenant=dict(type='str', required=True),
    user=dict(type='str', required=True),
    per_user_state=dict(type='str', choices=list(PER_USER_STATES)),
    methods=dict(type='str', choices=['absent']),
    temporary_access_pass=dict(type='dict', no_log=False, options=dict(
        lifetime_minutes=dict(type='int'),
        usable_once=dict(type='bool', default=False),
        start=dict(type='str'),
    )),
    return_secret=dict(type='bool', default=False, no_log=False),
    send_push=dict(type='bool', default=False),
)
MODULE_KWARGS = {}
RESOURCE = ensure_mfa


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
