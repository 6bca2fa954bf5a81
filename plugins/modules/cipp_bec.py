#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cipp_bec
short_description: Contain a Business Email Compromise through CIPP
version_added: 0.1.0
description:
  - Runs the containment of a compromised account. Capture the evidence first with M(msp.cipp.cipp_bec_info).
  - O(mode=cipp_bundle) sends CIPP's own remediation (C(ExecBECRemediate)) - reset password, disable sign-in, revoke
    sessions, remove all MFA methods, disable every inbox rule, disable OneDrive sharing - in one call. B(One-shot) - it
    runs every time. A step CIPP reports as failed fails the task with that step's text.
  - O(mode=steps) runs the chosen O(steps) one by one, always in the order revoke sessions, reset password, disable
    sign-in, remove admin roles, remove MFA methods, disable forwarding, remove external-forwarding rules. Revoking
    sessions and resetting the password are B(one-shot) and run every time; the other steps read the state first and do
    nothing when it is already contained.
  - The C(remove_admin_roles) step takes the user out of every directory role it holds (C(ExecRemoveAdminRole), one call
    per role), read from the user's C(memberOf) before and after; the task fails when a role is still held after a
    short wait. It removes active tenant-wide role assignments only - eligible (PIM) assignments, roles scoped to an
    administrative unit and custom roles are not seen and stay. Restoring a role later is a manual step, so it runs only
    when listed in O(steps).
author:
  - msp.cipp contributors (@msp-cipp)
extends_documentation_fragment:
  - msp.cipp.connection
  - msp.cipp.connection.TENANT
attributes:
  check_mode:
    support: full
    description: Reads the state and reports the plan of steps, without writing.
  diff_mode:
    support: none
    description: Each step's result is in RV(steps).
options:
  user:
    description: The compromised user, by user principal name or object ID.
    type: str
    required: true
  mode:
    description: CIPP's one-call bundle, or the step-by-step path.
    type: str
    choices: [cipp_bundle, steps]
    default: steps
  steps:
    description: With O(mode=steps), the steps to run. Default is all of them except C(remove_admin_roles), which runs only when listed.
    type: list
    elements: str
    choices: [revoke_sessions, reset_password, disable_sign_in, remove_admin_roles, remove_mfa_methods, disable_forwarding, remove_external_rules]
  mfa_methods_to_remove:
    description:
      - With the C(remove_mfa_methods) step, remove only these methods (Graph method ids, for example the attacker's -
        M(msp.cipp.cipp_bec_info)'s RV(msp.cipp.cipp_bec_info#module:summary.new_mfa_method_ids)) and keep the user's
        others. One C(ExecResetMFA) C(MethodId) call per method still there; the methods are re-read afterwards. An
        empty list removes none.
      - Without it the step removes every method but the password.
    type: list
    elements: str
  rules_to_remove:
    description: With the C(remove_external_rules) step, names of further inbox rules to remove (for example those the BEC report flagged).
    type: list
    elements: str
  return_password:
    description: Return the new password in RV(password). Set C(no_log) on the task when you use it.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Contain, step by step
  msp.cipp.cipp_bec:
    tenant: contoso.com
    user: jdoe@contoso.com
    rules_to_remove: "{{ bec.summary.suspicious_rules | map(attribute='name') | list }}"
    return_password: true
  no_log: true
  register: containment

- name: CIPP's own one-call remediation
  msp.cipp.cipp_bec:
    tenant: contoso.com
    user: jdoe@contoso.com
    mode: cipp_bundle
'''

RETURN = r'''
user:
  description: C(id) and C(userPrincipalName) of the user.
  returned: always
  type: dict
steps:
  description:
    - One entry per step. With O(mode=steps) - C(step), C(changed), C(state) (C(done), C(already done) or C(planned) in
      check mode), and C(message), C(removed_rules), C(removed_roles) (the names of the directory roles taken away, or in
      check mode those that would be) or C(removed_methods) (with O(mfa_methods_to_remove), the ids removed) where there
      are. With O(mode=cipp_bundle) - CIPP's C(message) and
      C(state) per step; when one of them has C(state=error) the task fails and still returns them all.
  returned: always
  type: list
  elements: dict
password:
  description:
    - The new password (or CIPP's PwPush link), only with O(return_password=true).
    - With O(mode=cipp_bundle) it is returned also when the task fails because a later step of CIPP's bundle failed,
      so the password CIPP already set is never lost.
  returned: when requested and the password was reset
  type: str
cipp_calls:
  description: The CIPP calls the task made, or in check mode the writes it would make, secrets masked.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.msp.cipp.plugins.module_utils._bec import STEPS, remediate_bundle, remediate_steps
from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule


def remediate(client, params, check_mode):
    if params['mode'] == 'cipp_bundle':
        return remediate_bundle(client, params, check_mode)
    return remediate_steps(client, params, check_mode)


ARGUMENT_SPEC = dict(
    tenant=dict(type='str', required=True),
    user=dict(type='str', required=True),
    mode=dict(type='str', choices=['cipp_bundle', 'steps'], default='steps'),
    steps=dict(type='list', elements='str', choices=list(STEPS)),
    mfa_methods_to_remove=dict(type='list', elements='str'),
    rules_to_remove=dict(type='list', elements='str'),
    return_password=dict(type='bool', default=False, no_log=False),
)
MODULE_KWARGS = {}
RESOURCE = remediate


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
