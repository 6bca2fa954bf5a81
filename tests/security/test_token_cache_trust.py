# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The token cache never vouches for a secret: a wrong or rotated client secret must fail at the token endpoint even
while a token issued for the right one sits in the cache; and the cache only trusts files of the running user."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from security_utils import TENANT, client_for, endpoints, request_log  # pylint: disable=import-error

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippAuthError


def _play():
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Tenant', 'msp.cipp.cipp_tenant_info': {'tenant': TENANT}, 'ignore_errors': True}]}]


def test_a_wrong_secret_fails_although_a_good_token_is_cached(cipp_env, emulator):
    client_for(cipp_env).call('ListUsers', tenant=TENANT)
    with pytest.raises(CippAuthError, match='AADSTS7000215'):
        client_for(cipp_env, client_secret='a-wrong-secret').call('ListUsers', tenant=TENANT)
    assert endpoints(request_log(emulator)) == ['token', 'ListUsers', 'token']


def test_a_wrong_secret_in_a_later_task_fails_on_both_paths(run_playbook, path_env, emulator):
    first = run_playbook(_play(), env=path_env)
    assert first.status('Tenant') == 'ok', first.output
    second = run_playbook(_play(), env=dict(path_env, CIPP_CLIENT_SECRET='a-wrong-secret'))
    assert second.status('Tenant') == 'failed' and 'AADSTS7000215' in second.result('Tenant')['msg']


def test_a_cache_file_others_can_read_is_replaced_not_used(run_playbook, path_env, emulator):
    first = run_playbook(_play(), env=path_env)
    assert first.status('Tenant') == 'ok', first.output
    cache = path_env['CIPP_TOKEN_CACHE']
    [name] = [n for n in os.listdir(cache) if n.endswith('.json')]
    os.chmod(os.path.join(cache, name), 0o644)
    before = len(request_log(emulator))
    second = run_playbook(_play(), env=path_env)
    assert second.status('Tenant') == 'ok', second.output
    assert 'token' in endpoints(request_log(emulator)[before:])
    assert oct(os.stat(os.path.join(cache, name)).st_mode & 0o777) == oct(0o600)
