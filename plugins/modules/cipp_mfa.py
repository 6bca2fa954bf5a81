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
  - O(absent_methods) removes single methods, named by C(id) or C(type) (C(ExecResetMFA) with C(MethodId), one call per
    method). The methods are read first - nothing to remove means no write and C(changed=false). They are read again
    afterwards (with a short bounded wait) and the task fails when one is still there. The password is never removed.
  - O(default_method) sets the default second factor (C(ExecSetDefaultMFAMethod), which PATCHes Graph beta
    C(signInPreferences)). The current value is read first (C(ListGraphRequest) C(users/{id}/authentication/signInPreferences),
    beta) and written only when it differs, then re-read. While system-preferred MFA is enabled for the user, Entra ID
    ignores the default method at sign-in; the task then warns.
  - O(temporary_access_pass) with O(temporary_access_pass.state=present) makes sure the user holds a usable Temporary
    Access Pass. Idempotent - a usable pass (or one not yet valid) is kept and never replaced, whatever its lifetime;
    a pass that cannot be used any more (expired, used) is removed first, because Entra ID allows one pass per user;
    then one is created (C(ExecCreateTAP)) and read back. O(temporary_access_pass.state=absent) removes the user's pass.
    The pass itself is never returned unless O(return_secret=true); with O(handover_dir) it is written to a file.
    When CIPP's answer to the creation is lost, or the hand-over file cannot be written, the new pass is removed again
    and the task fails - a pass nobody holds would otherwise count as usable and block the next one.
  - O(temporary_access_pass) without O(temporary_access_pass.state) keeps the behaviour of earlier releases, B(one-shot) -
    a pass is created on every run and C(changed=true) reported (and it fails while the user holds a valid pass).
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
    description: Before/after of the per-user state, the registered methods, the default method and whether a pass is there. A TAP never appears.
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
  absent_methods:
    description:
      - Methods that must be gone, each C({id}) (a method ID from M(msp.cipp.cipp_mfa_info)'s C(user_methods)) or C({type})
        (every method of that type - C(phone), C(email), C(fido2), C(microsoftAuthenticator), C(softwareOath),
        C(windowsHelloForBusiness), C(temporaryAccessPass), ...). Not with O(methods=absent).
    type: list
    elements: dict
    suboptions:
      id:
        description: The method's ID.
        type: str
      type:
        description: The method type, as M(msp.cipp.cipp_mfa_info) names it. V(password) is refused.
        type: str
  default_method:
    description:
      - The default second factor. Ignored by Entra ID while system-preferred MFA is enabled for the user.
    type: str
    choices: [push, oath, voiceMobile, voiceAlternateMobile, voiceOffice, sms]
  temporary_access_pass:
    description: A Temporary Access Pass - see O(temporary_access_pass.state).
    type: dict
    suboptions:
      state:
        description:
          - V(present) - the user holds a usable pass afterwards; one is created only when none is there (idempotent).
          - V(absent) - the user holds no pass afterwards.
          - Unset - B(one-shot), as in earlier releases - a new pass on every run.
          - O(temporary_access_pass.lifetime_minutes), O(temporary_access_pass.usable_once) and O(temporary_access_pass.start)
            apply to a pass that is created; an existing usable pass is kept as it is.
        type: str
        choices: [present, absent]
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
      - Return a Temporary Access Pass the task created in the C(pass) key of RV(temporary_access_pass). Set C(no_log) on
        the task when you use it.
    type: bool
    default: false
  handover_dir:
    description:
      - Write a Temporary Access Pass the task created to C(<handover_dir>/<user principal name>.txt), readable by its
        owner only (0600), without returning it. An existing file is never overwritten - the next free
        C(<upn>-2.txt) ... is used - and the name written is returned in RV(handover_file).
      - The directory is created 0700 when missing; an existing one must belong to you and not be writable by others.
    type: path
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

- name: Remove a lost phone and a stale authenticator, by type and by id
  msp.cipp.cipp_mfa:
    tenant: contoso.com
    user: jdoe@contoso.com
    absent_methods:
      - type: phone
      - id: 6d8a3ba4-1c0d-4c1b-9d0e-4f1d5b0e3a11

- name: Prompt for the Authenticator app first
  msp.cipp.cipp_mfa:
    tenant: contoso.com
    user: jdoe@contoso.com
    default_method: push

- name: A usable pass, only when the user has none; the pass goes into a 0600 file
  msp.cipp.cipp_mfa:
    tenant: contoso.com
    user: new.hire@contoso.com
    temporary_access_pass:
      state: present
      lifetime_minutes: 480
      usable_once: true
    handover_dir: /srv/mfa/handover
  register: tap_state

- name: No pass any more
  msp.cipp.cipp_mfa:
    tenant: contoso.com
    user: new.hire@contoso.com
    temporary_access_pass:
      state: absent

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
  description:
    - What ran (or would run in check mode) - C(per_user_state), C(methods_removed), C(absent_methods), C(default_method),
      C(temporary_access_pass), C(send_push).
  returned: always
  type: list
  elements: str
methods_message:
  description: CIPP's answer to the method removal.
  returned: when O(methods=absent) was sent
  type: str
removed_methods:
  description: The methods O(absent_methods) removed (or would remove), each as M(msp.cipp.cipp_mfa_info) returns a method.
  returned: when O(absent_methods) is set
  type: list
  elements: dict
default_method:
  description: The default method after the task.
  returned: when O(default_method) is set
  type: str
temporary_access_pass:
  description:
    - One-shot (no O(temporary_access_pass.state)) - C(lifetime_minutes), C(usable_once), C(start) of the new pass.
    - O(temporary_access_pass.state=present) - the pass the user holds afterwards - C(id), C(created_date_time), C(start),
      C(lifetime_minutes), C(usable_once), C(is_usable), C(usability_reason) (not in check mode when one would be created).
    - C(pass) only with O(return_secret=true) and only when the task created the pass.
  returned: when a pass was created or, with O(temporary_access_pass.state=present), is there
  type: dict
handover_file:
  description: The file the new pass was written to.
  returned: when O(handover_dir) is set and a pass was created
  type: str
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

from ansible_collections.msp.cipp.plugins.module_utils._mfa import DEFAULT_METHODS, PER_USER_STATES, TAP_STATES, ensure_mfa
from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule


ARGUMENT_SPEC = dict(
    tenant=dict(type='str', required=True),
    user=dict(type='str', required=True),
    per_user_state=dict(type='str', choices=list(PER_USER_STATES)),
    methods=dict(type='str', choices=['absent']),
    absent_methods=dict(type='list', elements='dict', options=dict(
        id=dict(type='str'),
        type=dict(type='str'),
    )),
    default_method=dict(type='str', choices=list(DEFAULT_METHODS)),
    temporary_access_pass=dict(type='dict', no_log=False, options=dict(
        state=dict(type='str', choices=list(TAP_STATES)),
        lifetime_minutes=dict(type='int'),
        usable_once=dict(type='bool', default=False),
        start=dict(type='str'),
    )),
    return_secret=dict(type='bool', default=False, no_log=False),
    handover_dir=dict(type='path'),
    send_push=dict(type='bool', default=False),
)
MODULE_KWARGS = {}
RESOURCE = ensure_mfa


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
