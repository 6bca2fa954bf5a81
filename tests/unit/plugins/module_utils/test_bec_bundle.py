# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cipp_bec mode=cipp_bundle reads ExecBECRemediate's answer as Invoke-ExecBECRemediate.ps1 writes it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.module_utils._bec import remediate_bundle
from ansible_collections.msp.cipp.plugins.module_utils._common import RETURNED_SECRETS

USER = {'id': 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', 'userPrincipalName': 'synced@contoso.com', 'accountEnabled': True}


class Bundle(object):
    def __init__(self, results):
        self.results = results

    def call(self, endpoint, params=None, tenant=None, **_kwargs):
        assert endpoint == 'ListUsers'
        return [USER]

    def write(self, endpoint, params=None, tenant=None, **_kwargs):
        assert endpoint == 'ExecBECRemediate'
        return {'Results': self.results}


PARAMS = {'tenant': 'contoso.com', 'user': 'synced@contoso.com', 'return_password': True}


def test_a_synced_users_new_password_is_returned():
    results = [{'resultText': 'Password reset accepted for synced@contoso.com. The new password is X. This user is directory synced',
                'state': 'success', 'copyField': 'N3w-Passw0rd!'}, {'resultText': 'Disabled sign-in', 'state': 'success'}]
    result = remediate_bundle(Bundle(results), dict(PARAMS), False)
    assert result['password'] == 'N3w-Passw0rd!' and result[RETURNED_SECRETS] == ['password'] and not result.get('failed')


def test_a_failed_later_step_fails_the_task_but_keeps_the_password():
    results = [{'resultText': 'Successfully reset the password for synced@contoso.com. The new password is X', 'state': 'success',
                'copyField': 'N3w-Passw0rd!'},
               {'resultText': 'Failed to set OneDrive sharing for synced@contoso.com. Error: no OneDrive', 'state': 'error'}]
    result = remediate_bundle(Bundle(results), dict(PARAMS), False)
    assert result['failed'] is True and 'Failed to set OneDrive sharing' in result['msg']
    assert result['password'] == 'N3w-Passw0rd!' and len(result['steps']) == 2
