#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cipp_mailbox
short_description: Idempotent Exchange Online mailbox settings and inbox-rule clean-up through CIPP
version_added: 0.1.0
description:
  - Reads the mailbox (C(ListUserMailboxDetails), C(ListOoO), C(ListUserMailboxRules)) and changes only what differs,
    because CIPP's Exchange endpoints re-apply and report success whatever the state.
  - Forwarding (C(ExecEmailForward)) to an address in one of the tenant's domains is set as internal forwarding, any
    other address as external (SMTP) forwarding.
  - Out of office (C(ExecSetOoO)), mailbox type (C(ExecConvertMailbox)), hiding from the address lists
    (C(ExecHideFromGAL)) and the archive (C(ExecEnableArchive)).
  - Inbox rules are removed (C(ExecRemoveMailboxRule)) or disabled (C(ExecSetMailboxRule)) by name, or every rule that
    forwards or redirects outside the tenant is removed. A rule that is already gone or disabled is left alone.
  - Mobile devices (C(ListMailboxMobileDevices)) are removed from the mailbox (C(ExecMailboxMobileDevices)), all of
    them or the ones named; a device that is not there is left alone, and the removal is confirmed by reading the
    devices again. CIPP has no remote wipe for Exchange mobile devices, so this module offers none.
author:
  - msp.cipp contributors (@msp-cipp)
extends_documentation_fragment:
  - msp.cipp.connection
  - msp.cipp.connection.TENANT
attributes:
  check_mode:
    support: full
    description: Reads the mailbox and reports what would change, without writing.
  diff_mode:
    support: full
    description: Before/after of each setting that changes.
options:
  user:
    description: The mailbox owner, by user principal name or object ID.
    type: str
    required: true
  forwarding:
    description:
      - V(disabled) turns forwarding off, or a dict C({to, keep_copy}) forwards to C(to) (an e-mail address),
        keeping a copy in the mailbox when C(keep_copy) is true (default false).
    type: raw
  out_of_office:
    description: Automatic replies.
    type: dict
    suboptions:
      state:
        description: V(enabled), V(disabled), or V(scheduled) between O(out_of_office.start) and O(out_of_office.end).
        type: str
        required: true
        choices: [enabled, disabled, scheduled]
      internal_message:
        description: Reply to senders in the organisation. Left as it is when unset.
        type: str
      external_message:
        description:
          - Reply to external senders.
          - When unset, the internal message is sent for external senders too (CIPP turns replies to outside senders off
            whenever no external message is sent). Set it to a different text for a different external reply.
        type: str
      start:
        description: Start of a scheduled reply, epoch seconds or ISO 8601.
        type: str
      end:
        description: End of a scheduled reply, epoch seconds or ISO 8601.
        type: str
  mailbox_type:
    description: V(shared) converts to a shared mailbox (no licence needed below 50 GB), V(user) back to a user mailbox.
    type: str
    choices: [user, shared]
  hidden_from_gal:
    description: Whether the mailbox is hidden from the global address list.
    type: bool
  archive:
    description: V(true) enables the online archive. CIPP cannot disable an archive, so V(false) is refused.
    type: bool
  inbox_rules:
    description: Inbox rules to clean up.
    type: dict
    suboptions:
      remove:
        description: Names of rules to remove.
        type: list
        elements: str
      disable:
        description: Names of rules to disable (kept for inspection).
        type: list
        elements: str
      remove_external_forwarding:
        description: Remove every rule that forwards or redirects mail outside the tenant's domains.
        type: bool
        default: false
  mobile_devices:
    description:
      - Mobile devices (Exchange ActiveSync and Outlook mobile) to remove from the mailbox. Give exactly one of
        O(mobile_devices.remove) and O(mobile_devices.remove_all).
      - Removing ends the device's partnership with the mailbox; it does not wipe the device.
    type: dict
    suboptions:
      remove:
        description:
          - Devices to remove, each by its C(Guid) or its C(deviceID) as M(msp.cipp.cipp_user_info) with
            C(include=mobile_devices) shows them. A device that is not on the mailbox is already absent.
        type: list
        elements: str
      remove_all:
        description: Remove every mobile device of the mailbox.
        type: bool
        default: false
'''

EXAMPLES = r'''
- name: Forward a leaver's mail to the manager, keep a copy
  msp.cipp.cipp_mailbox:
    tenant: contoso.com
    user: leaver@contoso.com
    forwarding:
      to: manager@contoso.com
      keep_copy: true
    mailbox_type: shared
    hidden_from_gal: true

- name: Contain a compromised mailbox
  msp.cipp.cipp_mailbox:
    tenant: contoso.com
    user: jdoe@contoso.com
    forwarding: disabled
    inbox_rules:
      remove_external_forwarding: true
      remove: ["."]

- name: Remove every phone and tablet of a leaver's mailbox
  msp.cipp.cipp_mailbox:
    tenant: contoso.com
    user: leaver@contoso.com
    mobile_devices:
      remove_all: true

- name: Holiday reply
  msp.cipp.cipp_mailbox:
    tenant: contoso.com
    user: jdoe@contoso.com
    out_of_office:
      state: scheduled
      internal_message: Back on Monday.
      start: "2026-12-24T00:00:00Z"
      end: "2027-01-02T00:00:00Z"
'''

RETURN = r'''
user:
  description: C(id) and C(userPrincipalName) of the mailbox owner.
  returned: always
  type: dict
actions:
  description: The settings that changed (or would change in check mode).
  returned: always
  type: list
  elements: str
removed_rules:
  description: Names of inbox rules removed (or that would be).
  returned: when O(inbox_rules) is set
  type: list
  elements: str
disabled_rules:
  description: Names of inbox rules disabled (or that would be).
  returned: when O(inbox_rules) is set
  type: list
  elements: str
removed_devices:
  description:
    - The mobile devices removed (or that would be in check mode), as C(ListMailboxMobileDevices) shows them (C(Guid),
      C(deviceID), C(deviceFriendlyName), C(deviceModel), C(deviceOS), C(deviceType), C(clientType),
      C(deviceAccessState), C(status), C(firstSync), C(lastSyncAttempt), C(lastSuccessSync)).
  returned: when O(mobile_devices) is set
  type: list
  elements: dict
cipp_calls:
  description: The CIPP calls the task made, or in check mode the writes it would make.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.msp.cipp.plugins.module_utils._mailbox import ensure_mailbox
from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule


ARGUMENT_SPEC = dict(
    tenant=dict(type='str', required=True),
    user=dict(type='str', required=True),
    forwarding=dict(type='raw'),
    out_of_office=dict(type='dict', options=dict(
        state=dict(type='str', required=True, choices=['enabled', 'disabled', 'scheduled']),
        internal_message=dict(type='str'),
        external_message=dict(type='str'),
        start=dict(type='str'),
        end=dict(type='str'),
    )),
    mailbox_type=dict(type='str', choices=['user', 'shared']),
    hidden_from_gal=dict(type='bool'),
    archive=dict(type='bool'),
    inbox_rules=dict(type='dict', options=dict(
        remove=dict(type='list', elements='str'),
        disable=dict(type='list', elements='str'),
        remove_external_forwarding=dict(type='bool', default=False),
    )),
    mobile_devices=dict(type='dict', options=dict(
        remove=dict(type='list', elements='str'),
        remove_all=dict(type='bool', default=False),
    )),
)
MODULE_KWARGS = {}
RESOURCE = ensure_mailbox


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
