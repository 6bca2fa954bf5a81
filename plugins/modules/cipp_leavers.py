#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cipp_leavers
short_description: Offboard many leavers of one tenant in one task, their CIPP jobs overlapping
version_added: 0.1.0
description:
  - Offboards every leaver in O(leavers) exactly as M(msp.cipp.cipp_offboard) would offboard each one (same options,
    same plan, the same single job per leaver, the same wait and verification), but in one task and O(parallel) leavers
    at a time, so that CIPP's offboarding jobs run side by side instead of one after another. Use it instead of a loop
    of M(msp.cipp.cipp_offboard) for several leavers of a tenant; the C(msp.cipp.offboarding) role does.
  - Before any write, every leaver's options are checked (with M(msp.cipp.cipp_offboard)'s rules), and the leavers and
    what each plan needs to know (groups, roles, mailbox, MFA methods, ...) are read for all of them together through
    CIPP's C($batch), 20 reads per call. CIPP's scheduler is read once for all leavers, after each round of writes and
    in each poll round, not once per leaver.
  - With O(refuse_privileged=true), a leaver who holds a directory (admin) role, or whose roles cannot be read, stops the
    task before anything is changed for anybody.
  - When one leaver fails, the others are still done; the task then fails and its message names each failed leaver.
    A re-run queues only what is left.
author:
  - msp.cipp contributors (@msp-cipp)
extends_documentation_fragment:
  - msp.cipp.connection
  - msp.cipp.connection.TENANT
attributes:
  check_mode:
    support: full
    description: Reads, plans and reports, per leaver, the plan and the request it would send; queues nothing, removes no role.
  diff_mode:
    support: full
    description: RV(diff) shows C(before) and C(after) of the verifiable post-conditions per leaver, keyed by each leaver's C(user).
options:
  leavers:
    description:
      - The leavers. Each is a dict with C(user) (user principal name or object ID) and any option of
        M(msp.cipp.cipp_offboard) except C(tenant); C(wait), C(wait_timeout) and C(poll_interval) default to this task's.
        Unknown options and bad values are refused, naming the entry, before anything is read.
      - A leaver may appear once. At most 500.
    type: list
    elements: dict
    required: true
  parallel:
    description: How many leavers are handled at a time, 1 to 10.
    type: int
    default: 8
  refuse_privileged:
    description: Refuse, before any write, to offboard anybody when a leaver holds a directory role or its roles cannot be read.
    type: bool
    default: false
  evidence_dir:
    description:
      - Directory on the controller for each leaver's files - C(<user>-audit.json), the leaver as this task first found
        it (written once, never replaced), and C(<user>-offboarding-evidence.json) with its C(.sha256), the evidence
        M(msp.cipp.cipp_offboard) O(msp.cipp.cipp_offboard#module:evidence_path) writes before any write (unless the
        leaver sets its own C(evidence_path)), and C(<user>-offboarding.md), a Markdown summary (what the leaver had,
        the plan, the verified result), rewritten by each run that changes the leaver (not in check mode).
      - Created 0700 when missing; an existing directory must belong to you and not be writable by others. Each
        C(user) must be usable as a file name.
    type: path
  wait:
    description: Wait for the jobs and verify the steps.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for each leaver's job.
    type: int
    default: 900
  poll_interval:
    description: Seconds between two reads of CIPP's scheduler (one read for all leavers).
    type: int
    default: 10
notes:
  - Runs on the controller by default (the action plugin), or as a module with C(CIPP_EXECUTION=module).
seealso:
  - module: msp.cipp.cipp_offboard
'''

EXAMPLES = r'''
- name: Offboard this week's leavers of Contoso together
  msp.cipp.cipp_leavers:
    tenant: contoso.com
    evidence_dir: /srv/offboarding/contoso
    refuse_privileged: true
    leavers:
      - user: ann.lee@contoso.com
        disable_sign_in: true
        revoke_sessions: true
        convert_to_shared: true
        forward_to: manager
        reference: TICKET-4711
      - user: bob.ray@contoso.com
        disable_sign_in: true
        remove_licenses: true
        scheduled_at: "2026-12-31T17:00:00Z"
  register: offboarding
'''

RETURN = r'''
leavers:
  description:
    - One entry per leaver, in the order of O(leavers). Each has C(user) (as given), C(tenant), C(changed), and the keys
      M(msp.cipp.cipp_offboard) returns for one leaver - C(plan), C(request), C(job), C(job_results), C(steps),
      C(evidence), C(admin_roles), C(direct_reports), C(manager), C(msg), C(warnings), C(cancelled) where it returns
      them - with C(leaver) for its C(user) (C(id) and C(userPrincipalName)).
    - C(audit_path), the audit file this task wrote for the leaver, when it wrote one; C(summary_path), the summary
      it wrote, when it wrote one.
    - C(before), the record written to the evidence file (the leaver's user, groups, admin roles, licences, mailbox,
      devices, MFA methods, direct reports), when one was written.
    - A leaver that failed has C(failed=true), C(msg) with the reason, and C(steps) when its job reported them.
  returned: always
  type: list
  elements: dict
diff:
  description: C(before) and C(after) per changed leaver, keyed by each leaver's C(user).
  returned: when a leaver changed, with --diff
  type: dict
cipp_calls:
  description: The CIPP calls the task made, or in check mode the writes it would make, secrets masked.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule
from ansible_collections.msp.cipp.plugins.module_utils._offboarding_roster import DEFAULT_PARALLEL, offboard_leavers


ARGUMENT_SPEC = dict(
    tenant=dict(type='str', required=True),
    leavers=dict(type='list', elements='dict', required=True),
    parallel=dict(type='int', default=DEFAULT_PARALLEL),
    refuse_privileged=dict(type='bool', default=False),
    evidence_dir=dict(type='path'),
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=900),
    poll_interval=dict(type='int', default=10),
)
MODULE_KWARGS = {}
RESOURCE = offboard_leavers


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
