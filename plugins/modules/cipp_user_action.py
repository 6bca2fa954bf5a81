#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cipp_user_action
short_description: One-shot user actions through CIPP - revoke sessions, reset password, clear immutable ID
version_added: 0.1.0
description:
  - Runs one action on an existing user of a customer tenant.
  - V(revoke_sessions) invalidates all refresh tokens and session cookies (C(ExecRevokeSessions)). B(One-shot) -
    it cannot be read back, so it runs on every run and reports C(changed=true).
  - V(reset_password) sets a new password that CIPP generates (C(ExecResetPass)). B(One-shot) - it runs on every run
    and reports C(changed=true). The new password is returned only with O(return_password=true).
  - V(clear_immutable_id) clears C(onPremisesImmutableId) (C(ExecClrImmId)), to turn a formerly synchronised user
    into a cloud user. Idempotent - a user without an immutable ID is left alone. Refused while the user is still
    synchronised. Note CIPP restores a soft-deleted user as a side effect of this call.
author:
  - msp.cipp contributors (@msp-cipp)
extends_documentation_fragment:
  - msp.cipp.connection
  - msp.cipp.connection.TENANT
attributes:
  check_mode:
    support: full
    description: Reads the user and reports the action it would run, without running it.
  diff_mode:
    support: partial
    description: Only V(clear_immutable_id) has a before/after.
options:
  user:
    description: The user, by user principal name or object ID. Must exist.
    type: str
    required: true
  action:
    description: The action to run.
    type: str
    required: true
    choices: [revoke_sessions, reset_password, clear_immutable_id]
  must_change_password:
    description: With V(reset_password), whether the user must change the new password at next sign-in.
    type: bool
  return_password:
    description:
      - With V(reset_password), return the new password in RV(password). Set C(no_log) on the task when you use it.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Kick an attacker out of every session
  msp.cipp.cipp_user_action:
    tenant: contoso.com
    user: jdoe@contoso.com
    action: revoke_sessions

- name: Reset the password and keep it for the hand-over file
  msp.cipp.cipp_user_action:
    tenant: contoso.com
    user: jdoe@contoso.com
    action: reset_password
    must_change_password: true
    return_password: true
  no_log: true
  register: reset
'''

RETURN = r'''
action:
  description: The action that ran (or would run in check mode).
  returned: always
  type: str
user:
  description: C(id) and C(userPrincipalName) of the user.
  returned: always
  type: dict
message:
  description: CIPP's answer, with any password masked.
  returned: always
  type: str
password:
  description: The new password. Only with O(action=reset_password) and O(return_password=true), not in check mode.
  returned: when requested
  type: str
cipp_calls:
  description: The CIPP calls the task made, or in check mode the write it would make, secrets masked.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule
from ansible_collections.msp.cipp.plugins.module_utils._user_actions import ACTIONS, run_action


ARGUMENT_SPEC = dict(
    tenant=dict(type='str', required=True),
    user=dict(type='str', required=True),
    action=dict(type='str', required=True, choices=list(ACTIONS)),
    must_change_password=dict(type='bool', no_log=False),
    return_password=dict(type='bool', default=False, no_log=False),
)
MODULE_KWARGS = {}
RESOURCE = run_action


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
