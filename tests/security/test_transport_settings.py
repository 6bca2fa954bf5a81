# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Transport settings as a task sees them, on both execution paths: validate_certs: false is said out loud in the
result, and plain http to anything but loopback is refused before anything is sent."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from security_utils import TENANT  # pylint: disable=import-error


def _play(**options):
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Tenant', 'msp.cipp.cipp_tenant_info': dict({'tenant': TENANT}, **options), 'ignore_errors': True}]}]


@pytest.mark.parametrize('how', ['option', 'environment'])
def test_validate_certs_false_warns_in_the_task_result(run_playbook, path_env, emulator, how):
    options, env = ({'validate_certs': False}, path_env) if how == 'option' else ({}, dict(path_env, CIPP_VALIDATE_CERTS='false'))
    run = run_playbook(_play(**options), env=env)
    assert run.status('Tenant') == 'ok', run.output
    warnings = run.result('Tenant').get('warnings') or []
    assert [w for w in warnings if w.startswith('validate_certs is false')], run.result('Tenant')
    assert 'validate_certs is false' in run.output  # shown to whoever runs the play, not only recorded


def test_no_warning_with_certificates_checked(run_playbook, path_env, emulator):
    run = run_playbook(_play(), env=path_env)
    assert run.status('Tenant') == 'ok', run.output
    assert not [w for w in run.result('Tenant').get('warnings') or [] if 'validate_certs' in w]


@pytest.mark.parametrize('option', ['api_url', 'token_url'])
def test_plain_http_to_a_remote_host_fails_the_task_before_anything_is_sent(run_playbook, path_env, emulator, option):
    run = run_playbook(_play(**{option: 'http://cipp.example.com'}), env=path_env)
    assert run.status('Tenant') == 'failed'
    assert run.result('Tenant')['msg'].startswith('%s must use https' % option)
    assert run.emulator_log() == []
