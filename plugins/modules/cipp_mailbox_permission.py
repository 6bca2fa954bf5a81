#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cipp_mailbox_permission
short_description: Grant or remove FullAccess, SendAs and SendOnBehalf on an Exchange Online mailbox through CIPP
version_added: 0.1.0
description:
  - Reads who holds which rights on the mailbox (C(ListmailboxPermissions), live from Exchange) and writes only the
    missing grants or the present removals (C(ExecEditMailboxPermissions)), because CIPP and Exchange report success
    whether or not anything changed. After a write the rights are read again, with a short bounded wait, and the task
    fails naming what did not show.
  - The mailbox and every trustee are looked up first (by user principal name, then by primary mail address); one
    that does not exist fails the task, naming it, before anything is written.
  - Automapping cannot be read back (neither Exchange's C(Get-MailboxPermission) nor CIPP returns it). It applies only
    when a FullAccess grant is written; an existing grant is never compared on it, so changing O(automap) alone
    changes nothing. To change it, remove the grant and grant it again.
  - To see what one user can reach, use M(msp.cipp.cipp_user_info) with C(include=mailbox_access).
author:
  - msp.cipp contributors (@msp-cipp)
extends_documentation_fragment:
  - msp.cipp.connection
  - msp.cipp.connection.TENANT
attributes:
  check_mode:
    support: full
    description: Reads the rights and reports what would be granted or removed, without writing.
  diff_mode:
    support: full
    description: Before/after of the requested rights for each trustee.
options:
  mailbox:
    description: The mailbox (a user or shared mailbox), by user principal name or primary mail address.
    type: str
    required: true
  trustees:
    description: The users who get or lose the rights, by user principal name or primary mail address.
    type: list
    elements: str
    required: true
  rights:
    description:
      - V(full_access) opens the mailbox (read and manage its content), V(send_as) sends as the mailbox,
        V(send_on_behalf) sends on behalf of it.
    type: list
    elements: str
    required: true
    choices: [full_access, send_as, send_on_behalf]
  state:
    description: V(present) grants each right to each trustee that lacks it; V(absent) removes it from each trustee who holds it.
    type: str
    choices: [present, absent]
    default: present
  automap:
    description:
      - Whether a FullAccess grant opens the mailbox automatically in the trustee's Outlook.
      - Applies only when a grant is written; never read back or compared (see the description).
    type: bool
    default: true
notes:
  - Which form Exchange gives a SendOnBehalf delegate in (C(GrantSendOnBehalfTo)) is not settled by CIPP's code; the
    module matches the trustee's object ID, user principal name, mail, alias and proxy addresses, never the display name.
seealso:
  - module: msp.cipp.cipp_user_info
  - module: msp.cipp.cipp_mailbox
'''

EXAMPLES = r'''
- name: The team gets into the shared mailbox, without it appearing in their Outlook
  msp.cipp.cipp_mailbox_permission:
    tenant: contoso.com
    mailbox: info@contoso.com
    trustees: [jdoe@contoso.com, asmith@contoso.com]
    rights: [full_access, send_as]
    automap: false

- name: A leaver's manager keeps sending on behalf of the leaver's mailbox
  msp.cipp.cipp_mailbox_permission:
    tenant: contoso.com
    mailbox: leaver@contoso.com
    trustees: [manager@contoso.com]
    rights: [send_on_behalf]

- name: Take the rights away again
  msp.cipp.cipp_mailbox_permission:
    tenant: contoso.com
    mailbox: info@contoso.com
    trustees: [jdoe@contoso.com]
    rights: [full_access, send_as, send_on_behalf]
    state: absent
'''

RETURN = r'''
mailbox:
  description: C(id) and C(userPrincipalName) of the mailbox.
  returned: always
  type: dict
  sample: {id: 5f1d4a0e-3c2b-4a55-9d7e-1b2c3d4e5f60, userPrincipalName: info@contoso.com}
granted:
  description: The rights granted (or that would be in check mode), each C({trustee, right}) with C(right) as in O(rights).
  returned: always
  type: list
  elements: dict
  sample: [{trustee: jdoe@contoso.com, right: full_access}]
removed:
  description: The rights removed (or that would be in check mode), each C({trustee, right}).
  returned: always
  type: list
  elements: dict
  sample: []
cipp_calls:
  description: The CIPP calls the task made, or in check mode the writes it would make.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.msp.cipp.plugins.module_utils._mailbox_permissions import RIGHTS, ensure_mailbox_permission
from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule


ARGUMENT_SPEC = dict(
    tenant=dict(type='str', required=True),
    mailbox=dict(type='str', required=True),
    trustees=dict(type='list', elements='str', required=True),
    rights=dict(type='list', elements='str', required=True, choices=sorted(RIGHTS)),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    automap=dict(type='bool', default=True),
)
MODULE_KWARGS = {}
RESOURCE = ensure_mailbox_permission


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
