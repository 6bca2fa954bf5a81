#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cipp_bec_info
short_description: Run CIPP's Business Email Compromise check on a user and wait for the report
version_added: 0.1.0
description:
  - Starts CIPP's BEC investigation of a user (C(ExecBECCheck)) and polls until the report is ready.
  - CIPP caches one report per user. With O(refresh=true) (the default) a new report is made; with V(false) CIPP's
    cached report is returned if there is one (or the running check is waited for).
  - Adds a short RV(summary) - inbox rules that forward outside the tenant, delete, or hide mail; mailbox forwarding
    (read from C(ListUserMailboxDetails)); MFA methods registered in the last 7 days; recently added apps; sign-in IPs.
  - With O(evidence_path), writes the whole report and the summary as JSON (mode 0600) and its SHA-256 next to it, on the
    host that runs the module (normally the controller). This happens in check mode too - capture evidence before
    changing anything.
  - Changes nothing in the tenant; CIPP's check itself only reads logs. Safe in check mode.
author:
  - msp.cipp contributors (@msp-cipp)
extends_documentation_fragment:
  - msp.cipp.connection
  - msp.cipp.connection.TENANT
attributes:
  check_mode:
    support: full
    description: Runs the same in check mode, including writing the evidence file.
  diff_mode:
    support: none
    description: Read-only.
options:
  user:
    description: The user, by user principal name or object ID. Must exist.
    type: str
    required: true
  refresh:
    description:
      - Make a new report instead of returning CIPP's cached one.
      - A new report rewrites CIPP's cached one and starts a run in CIPP (the tenant itself is not changed). In check
        mode the cached report is read instead, whatever this says; when CIPP has none yet it starts a first run anyway.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the report before failing. CIPP keeps running the check after a timeout.
    type: int
    default: 600
  poll_interval:
    description: Seconds between two polls (CIPP's own UI polls every 10 seconds).
    type: int
    default: 10
  evidence_path:
    description: File to write the report to (JSON), with its SHA-256 in C(<evidence_path>.sha256).
    type: path
'''

EXAMPLES = r'''
- name: Capture the BEC report before containment
  msp.cipp.cipp_bec_info:
    tenant: contoso.com
    user: jdoe@contoso.com
    evidence_path: "/srv/incidents/INC-1234/jdoe-bec-report.json"
  register: bec

- name: Stop if nothing looks compromised
  ansible.builtin.debug:
    msg: "{{ bec.summary.compromise_indicators }} indicators; rules {{ bec.summary.suspicious_rules | map(attribute='name') | list }}"
'''

RETURN = r'''
user:
  description: C(id) and C(userPrincipalName) of the user.
  returned: always
  type: dict
report:
  description:
    - CIPP's report as it returns it - C(NewRules), C(InboxRuleChanges), C(MFADevices), C(AddedApps), C(NewUsers),
      C(ChangedPasswords), C(SuspectUserMailboxLogons), C(LastSuspectUserLogon), C(SentMessages),
      C(MailboxPermissionChanges), C(IntuneDevices), C(ExtractedAt), C(ExtractResult).
  returned: always
  type: dict
summary:
  description: What stands out.
  returned: always
  type: dict
  contains:
    suspicious_rules:
      description: Inbox rules with C(name), C(identity), C(enabled), C(reasons) and C(external_targets).
      type: list
      elements: dict
      returned: always
    forwarding:
      description: Mailbox-level forwarding (C(address), C(external), C(keep_copy)), or C(null).
      type: dict
      returned: always
    new_mfa_methods:
      description: MFA methods registered in the last 7 days.
      type: list
      elements: dict
      returned: always
    mfa_methods_told_apart:
      description:
        - Whether the methods registered in the last 7 days can be told from the user's own - some are new and the
          others older. Then the new ones (RV(summary.new_mfa_method_ids)) are what a responder removes.
      type: bool
      returned: always
    new_mfa_method_ids:
      description: The Graph ids of RV(summary.new_mfa_methods), for M(msp.cipp.cipp_bec)'s O(msp.cipp.cipp_bec#module:mfa_methods_to_remove).
      type: list
      elements: str
      returned: always
    mailbox_permission_changes:
      description:
        - Mailbox and folder permission changes of the last 7 days from the audit log, each C(operation)
          (C(Add-MailboxPermission), C(Remove-MailboxPermission), C(UpdateCalendarDelegation), C(AddFolderPermissions)),
          C(by) (who made it), C(object) (the mailbox or folder) and C(rights).
      type: list
      elements: dict
      returned: always
    new_apps:
      description: Apps added to the tenant recently.
      type: list
      elements: str
      returned: always
    mfa_methods:
      description: Number of MFA methods in CIPP's report.
      type: int
      returned: always
    sign_in_ips:
      description: IP addresses of the user's suspect mailbox sign-ins in the report.
      type: list
      elements: str
      returned: always
    new_users:
      description: User principal names of users created in the tenant recently.
      type: list
      elements: str
      returned: always
    changed_passwords:
      description: Users whose password was changed recently.
      type: list
      elements: str
      returned: always
    extract_result:
      description: CIPP's word on the audit-log search (C(ExtractResult)).
      type: str
      returned: always
    extracted_at:
      description: When CIPP ran the check (C(ExtractedAt)).
      type: str
      returned: always
    complete:
      description:
        - Whether CIPP could search the audit log. CIPP turns every section it could not read into an empty list, so
          when this is false an empty section does not mean nothing happened.
      type: bool
      returned: always
    limitations:
      description: What the report may be missing and why (empty when RV(summary.complete) is true).
      type: list
      elements: str
      returned: always
    compromise_indicators:
      description: Number of suspicious rules plus 1 for external mailbox forwarding.
      type: int
      returned: always
evidence:
  description: C(path), C(sha256) and C(hash_path) of the evidence file.
  returned: when O(evidence_path) is set
  type: dict
cipp_calls:
  description: The CIPP calls the task made.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.msp.cipp.plugins.module_utils._bec import bec_info
from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule


ARGUMENT_SPEC = dict(
    tenant=dict(type='str', required=True),
    user=dict(type='str', required=True),
    refresh=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=600),
    poll_interval=dict(type='int', default=10),
    evidence_path=dict(type='path'),
)
MODULE_KWARGS = {}
RESOURCE = bec_info


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
