#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cipp_registration_campaign
short_description: The MFA registration campaign (the Authenticator "nudge") of a customer tenant, through CIPP
version_added: 0.1.0
description:
  - The registration campaign is a B(tenant-wide) setting of the Entra ID authentication methods policy - it prompts
    users who have not registered the targeted method to register it at sign-in.
  - Idempotent. The current campaign is read first (C(ListGraphRequest) C(policies/authenticationMethodsPolicy), beta -
    the object CIPP's C(Set-CIPPRegistrationCampaign) reads before it writes), compared with the options you set, and
    written (C(ExecRegistrationCampaign)) only when something differs; then read again (with a short bounded wait) and
    the task fails when the change does not show.
  - Options you leave out keep the tenant's value, as CIPP does. O(include_users)/O(include_groups) B(replace) the include
    targets; O(exclude_users)/O(exclude_groups) replace the exclusions. The targeted method applies to every include target.
author:
  - msp.cipp contributors (@msp-cipp)
extends_documentation_fragment:
  - msp.cipp.connection
  - msp.cipp.connection.TENANT
attributes:
  check_mode:
    support: full
    description: Reads the campaign and reports what would change, without writing.
  diff_mode:
    support: full
    description: Before/after of the campaign.
options:
  state:
    description: V(enabled) runs the campaign, V(disabled) stops it, V(default) leaves it to Microsoft.
    type: str
    choices: [default, enabled, disabled]
  targeted_method:
    description: The method users are asked to register.
    type: str
    choices: [microsoftAuthenticator, fido2]
  snooze_days:
    description: Days a user may postpone the prompt, 0 to 14.
    type: int
  enforce_after_snoozes:
    description: Whether the user must register after the allowed snoozes (three).
    type: bool
  include_all_users:
    description: Target all users. Not with O(include_users) or O(include_groups).
    type: bool
  include_users:
    description: The users to target (user principal name or object ID); replaces the include targets.
    type: list
    elements: str
  include_groups:
    description: Group object IDs to target; replaces the include targets (with O(include_users)).
    type: list
    elements: str
  exclude_users:
    description: Users never targeted (user principal name or object ID); replaces the exclusions. V([]) clears them.
    type: list
    elements: str
  exclude_groups:
    description: Group object IDs never targeted; replaces the exclusions (with O(exclude_users)).
    type: list
    elements: str
'''

EXAMPLES = r'''
- name: Nudge every user without the Authenticator app, three days' snooze
  msp.cipp.cipp_registration_campaign:
    tenant: contoso.com
    state: enabled
    targeted_method: microsoftAuthenticator
    include_all_users: true
    snooze_days: 3

- name: Nudge two users only, never the break-glass account
  msp.cipp.cipp_registration_campaign:
    tenant: contoso.com
    state: enabled
    include_users: [jdoe@contoso.com, asmith@contoso.com]
    exclude_users: [breakglass@contoso.onmicrosoft.com]
'''

RETURN = r'''
campaign:
  description:
    - The campaign after the task (in check mode, as it would be) - C(state), C(targeted_method), C(snooze_days),
      C(enforce_after_snoozes), C(include) and C(exclude) (lists of C({id, type}), C(type) C(user) or C(group); C(all_users)
      is the group of all users).
  returned: always
  type: dict
message:
  description: CIPP's answer to the change.
  returned: when the campaign was changed, not in check mode
  type: str
cipp_calls:
  description: The CIPP calls the task made, or in check mode the writes it would make.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.msp.cipp.plugins.module_utils._mfa import CAMPAIGN_METHODS, CAMPAIGN_STATES, ensure_registration_campaign
from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule


ARGUMENT_SPEC = dict(
    tenant=dict(type='str', required=True),
    state=dict(type='str', choices=list(CAMPAIGN_STATES)),
    targeted_method=dict(type='str', choices=list(CAMPAIGN_METHODS)),
    snooze_days=dict(type='int'),
    enforce_after_snoozes=dict(type='bool'),
    include_all_users=dict(type='bool'),
    include_users=dict(type='list', elements='str'),
    include_groups=dict(type='list', elements='str'),
    exclude_users=dict(type='list', elements='str'),
    exclude_groups=dict(type='list', elements='str'),
)
MODULE_KWARGS = {}
RESOURCE = ensure_registration_campaign


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
