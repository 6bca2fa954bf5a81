# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One-shot user actions (CONTRACT 5.20, 5.22, 5.26): revoke sessions, reset password, clear the immutable ID.

Revoking and resetting cannot be read back, so they run every time and report a change. Clearing the
immutable ID is idempotent: a user without one is left alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.module_utils._api_graph import result_text
from ansible_collections.msp.cipp.plugins.module_utils import _api_users as users_api
from ansible_collections.msp.cipp.plugins.module_utils._common import RETURNED_SECRETS
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError
from ansible_collections.msp.cipp.plugins.module_utils._users import require_user

ACTIONS = ('revoke_sessions', 'reset_password', 'clear_immutable_id')


def run_action(client, params, check_mode):
    """Resource function of cipp_user_action."""
    action, tenant = params['action'], params['tenant']
    if params.get('return_password') and action != 'reset_password':
        raise CippConfigError('return_password only applies to action=reset_password.')
    if params.get('must_change_password') is not None and action != 'reset_password':
        raise CippConfigError('must_change_password only applies to action=reset_password.')
    user = require_user(client, tenant, params['user'])
    must_change = True if params.get('must_change_password') is None else bool(params['must_change_password'])
    return act(client, tenant, user, action, must_change=must_change, return_password=params.get('return_password'))


def act(client, tenant, user, action, must_change=True, return_password=False):
    """One action on a resolved user; the result of cipp_user_action."""
    upn = user.get('userPrincipalName')
    result = {'changed': True, 'action': action, 'user': {'id': user['id'], 'userPrincipalName': upn}}
    if action == 'revoke_sessions':
        response = users_api.revoke_sessions(client, tenant, user)
    elif action == 'reset_password':
        # MustChange is explicit: CIPP treats a missing value as false (CONTRACT quirk 9).
        response = users_api.reset_password(client, tenant, user, must_change)
        password = _copy_field(response)
        if user.get('onPremisesSyncEnabled') and response is not None:
            # Set-CIPPResetPassword.ps1: "Password reset accepted ... This user is directory synced": the cloud password
            # changes, but on-premises AD (and password writeback) decides what the user signs in with.
            result['warnings'] = ['%s is synchronised from on-premises AD: CIPP set a cloud password, but on-premises AD may '
                                  'overwrite it at the next sync unless password writeback is on.' % upn]
        if return_password and password:
            result['password'] = password
            result[RETURNED_SECRETS] = ['password']
    else:
        if user.get('onPremisesSyncEnabled'):
            raise CippConfigError('%s is still synchronised from on-premises AD; clear_immutable_id would break the '
                                  'sync link. Stop syncing the user (or delete it on-premises) first.' % upn)
        if not user.get('onPremisesImmutableId'):
            result['changed'] = False
            result['message'] = '%s has no immutable ID; nothing to clear.' % upn
            return result
        result['diff'] = {'before': {'onPremisesImmutableId': user['onPremisesImmutableId']}, 'after': {'onPremisesImmutableId': None}}
        response = users_api.clear_immutable_id(client, tenant, user)

    result['message'] = result_text(response) if response is not None else 'Would run %s for %s (check mode).' % (action, upn)
    return result


def _copy_field(response):
    results = response.get('Results') if isinstance(response, dict) else None
    if isinstance(results, dict):
        return results.get('copyField')
    return None
