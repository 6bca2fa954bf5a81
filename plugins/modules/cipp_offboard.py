#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cipp_offboard
short_description: Offboard a leaver through CIPP - plan first, queue only what is needed, wait, verify
version_added: 0.1.0
description:
  - CIPP's offboarding (C(ExecOffboardUser)) only queues a scheduler job, returns no job id, accepts duplicate jobs and
    reports each step later. This module plans first, queues only the steps still needed in one call, finds the job,
    waits for it and verifies every step.
  - B(Plan.) For each requested step the module decides whether it is already done. Steps with a readable post-condition
    (disabled, hidden, no removable groups left, no inbox rules, shared mailbox, forwarding to the target, no licences,
    no MFA methods, no immutable ID, out of office on) are checked against the user and mailbox. One-shot steps (revoke
    sessions, reset password, cancel invites, remove mobile devices, grant access, remove permissions, Teams phone,
    OneDrive sharing) count as done when an earlier B(completed) offboarding job for this user ran them without a failure -
    CIPP's scheduler is the record. Nothing needed means C(changed=false) and no write.
  - B(No duplicate jobs.) If an offboarding job for the user is already planned or running, no new job is queued; the
    module waits on that one (or reports it with O(wait=false)).
  - B(Wait and verify.) With O(wait=true) the scheduler is polled until the job is completed or failed, CIPP's per-step
    results are parsed, the user is read again, and each step is reported as C(done), C(skipped (already done)),
    C(failed) (with CIPP's text) or C(unverified). A failed step fails the task; a re-run queues only what is left.
  - CIPP's C(RemoveLicenses) only schedules a separate licence-removal task five minutes later; until it runs the step is
    reported as C(scheduled by CIPP (separate task)).
  - With O(scheduled_at) the job is scheduled instead of run now; an identical scheduled job is found, not duplicated, and
    O(state=absent) cancels a pending scheduled offboarding of the user.
  - B(Admin roles.) CIPP's offboarding job has no step for directory roles. O(remove_admin_roles) is run by this module
    itself, at once and before the job is queued - C(ExecRemoveAdminRole) once per role the leaver holds (read from its
    C(memberOf)), then re-read until none is left. Only active tenant-wide assignments are seen; eligible (PIM)
    assignments, roles scoped to an administrative unit and custom roles stay.
  - B(The manager.) O(forward_to), O(onedrive_access) and O(mailbox_access) accept V(manager) for the leaver's manager in
    Entra ID; the task fails before any write when the leaver has none. The leaver's direct reports are returned in
    RV(direct_reports) and written to the evidence.
author:
  - msp.cipp contributors (@msp-cipp)
extends_documentation_fragment:
  - msp.cipp.connection
  - msp.cipp.connection.TENANT
attributes:
  check_mode:
    support: full
    description: Reads the state and returns the plan (RV(plan)) and the exact call it would send (RV(request)); queues nothing.
  diff_mode:
    support: full
    description: Before/after of the verifiable post-conditions.
options:
  user:
    description: The leaver, by user principal name or object ID.
    type: str
    required: true
  state:
    description: V(present) offboards; V(absent) cancels a pending (planned) offboarding job of the user.
    type: str
    choices: [present, absent]
    default: present
  remove_admin_roles:
    description:
      - Take the leaver out of every directory (admin) role it holds, at once (see the description), verified by re-reading.
      - Cannot be combined with O(scheduled_at) - CIPP's scheduler has no such step.
    type: bool
    default: false
  revoke_sessions:
    description: Revoke all sessions and refresh tokens. One-shot.
    type: bool
    default: false
  reset_password:
    description: Reset the password to a random one (never returned). One-shot.
    type: bool
    default: false
  disable_sign_in:
    description: Block sign-in.
    type: bool
    default: false
  hide_from_gal:
    description: Hide the mailbox from the global address list.
    type: bool
    default: false
  remove_groups:
    description: Remove the user from every group CIPP can (not dynamic or on-premises groups).
    type: bool
    default: false
  remove_inbox_rules:
    description: Delete all inbox rules.
    type: bool
    default: false
  remove_mobile_devices:
    description: Remove mobile devices from the mailbox. One-shot.
    type: bool
    default: false
  cancel_calendar_invites:
    description: Cancel the meetings the user organised. One-shot.
    type: bool
    default: false
  out_of_office:
    description: Turn on automatic replies with this message (internal and external). At most 65536 characters.
    type: str
  forward_to:
    description:
      - Forward mail to this user of the tenant (a user principal name or e-mail address; nothing else in the value), or
        V(manager) for the leaver's manager.
      - CIPP's offboarding job can only forward inside the tenant; an address outside it is refused before anything is
        sent, naming M(msp.cipp.cipp_mailbox), which can forward externally.
    type: str
  keep_copy:
    description: With O(forward_to), keep a copy in the mailbox.
    type: bool
    default: false
  disable_forwarding:
    description: Turn off any forwarding.
    type: bool
    default: false
  onedrive_access:
    description:
      - Users (user principal names, or V(manager)) to make site collection admins of the leaver's OneDrive. One-shot. At most 500.
    type: list
    elements: str
  disable_onedrive_sharing:
    description: Disable sharing of the leaver's OneDrive. One-shot.
    type: bool
    default: false
  mailbox_access:
    description:
      - Users to grant FullAccess to the mailbox, each C({user, automap}) with C(user) a user principal name (or
        V(manager)) and C(automap) true or false (default true); other keys are refused. One-shot. At most 500.
    type: list
    elements: dict
  remove_mailbox_permissions:
    description: Remove the leaver's permissions on other mailboxes (from CIPP's cached report). One-shot.
    type: bool
    default: false
  remove_calendar_permissions:
    description: Remove the leaver's calendar permissions. One-shot.
    type: bool
    default: false
  convert_to_shared:
    description: Convert the mailbox to a shared mailbox.
    type: bool
    default: false
  remove_mfa_methods:
    description: Remove all MFA methods.
    type: bool
    default: false
  remove_teams_phone:
    description: Remove Teams phone numbers. One-shot.
    type: bool
    default: false
  remove_licenses:
    description: Remove all licences (CIPP schedules this as a separate task five minutes later).
    type: bool
    default: false
  clear_immutable_id:
    description: Clear the on-premises immutable ID.
    type: bool
    default: false
  delete_user:
    description: Delete the user (soft delete).
    type: bool
    default: false
  force:
    description: Allow contradictory combinations such as O(delete_user) with O(convert_to_shared) or O(forward_to).
    type: bool
    default: false
  wait:
    description: Wait for the job and verify the steps.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the job.
    type: int
    default: 900
  poll_interval:
    description: Seconds between two polls of the scheduler.
    type: int
    default: 10
  scheduled_at:
    description: Run the offboarding at this time (epoch seconds or ISO 8601) instead of now. The module does not wait.
    type: str
  notify:
    description: Notifications CIPP sends when the job completes.
    type: list
    elements: str
    choices: [webhook, email, psa]
  reference:
    description: A reference, such as the ticket number, stored with the job.
    type: str
  evidence_path:
    description:
      - Before any write, save the leaver's groups, directory roles, licences (SKU ids and names), manager, direct reports,
        mailbox type, forwarding and permissions, devices and MFA methods as JSON (mode 0600) with its SHA-256 next to it -
        the record a rehire needs.
    type: path
'''

EXAMPLES = r'''
- name: Offboard a leaver and keep the mailbox for the manager
  msp.cipp.cipp_offboard:
    tenant: contoso.com
    user: leaver@contoso.com
    revoke_sessions: true
    disable_sign_in: true
    remove_groups: true
    convert_to_shared: true
    forward_to: manager@contoso.com
    keep_copy: true
    remove_licenses: true
    reference: TICKET-4711
    evidence_path: /srv/offboarding/leaver@contoso.com.json
  register: offboarding

- name: Schedule for the last working day
  msp.cipp.cipp_offboard:
    tenant: contoso.com
    user: leaver@contoso.com
    disable_sign_in: true
    revoke_sessions: true
    scheduled_at: "2026-12-31T17:00:00Z"
    notify: [email, psa]
'''

RETURN = r'''
plan:
  description:
    - One entry per requested step - C(step), C(needed), C(reason).
    - For O(remove_groups), also C(cipp_leaves) (the groups CIPP's group removal skips because they assign licences;
      CIPP's licence removal takes the user out of them when O(remove_licenses) is set) and C(note) saying so.
  returned: always
  type: list
  elements: dict
request:
  description: The ExecOffboardUser body sent (or that would be sent in check mode).
  returned: when a job is (or would be) queued
  type: dict
job:
  description: The scheduler job - C(id), C(name), C(state), C(scheduled_time), C(executed_time), C(reference).
  returned: when a job was queued or found
  type: dict
job_results:
  description: CIPP's per-step result texts, secrets masked.
  returned: when the job was waited for
  type: list
  elements: str
steps:
  description:
    - Verification per step - C(step), C(state) (C(done), C(skipped (already done)), C(failed), C(unverified), C(planned) in
      check mode), C(message).
  returned: when the job was waited for, and always with O(remove_admin_roles)
  type: list
  elements: dict
evidence:
  description: C(path), C(sha256) and C(hash_path) of the evidence file.
  returned: when O(evidence_path) is set and a job is queued or admin roles are removed
  type: dict
admin_roles:
  description: With O(remove_admin_roles) - C(before), the directory roles the leaver held, and C(removed), those taken away
    (or that would be, in check mode).
  returned: when O(remove_admin_roles) is set
  type: dict
direct_reports:
  description:
    - The people who report to the leaver, each C(id), C(userPrincipalName), C(displayName), C(accountEnabled) (Graph
      C(users/{id}/directReports)). C({error}) with the reason when they could not be read.
  returned: when a job is queued or admin roles are removed (also in check mode)
  type: list
  elements: dict
manager:
  description: The user principal name that V(manager) stood for.
  returned: when an option names V(manager)
  type: str
cancelled:
  description: Jobs cancelled with O(state=absent).
  returned: when O(state=absent)
  type: list
  elements: dict
cipp_calls:
  description: The CIPP calls the task made, or in check mode the write it would make, secrets masked.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule
from ansible_collections.msp.cipp.plugins.module_utils._offboarding import offboard, offboard_argspec


ARGUMENT_SPEC = dict(tenant=dict(type='str', required=True), **offboard_argspec())
MODULE_KWARGS = {}
RESOURCE = offboard


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
