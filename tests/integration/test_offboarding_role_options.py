# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The offboarding role passes every cipp_offboard option on: none may be dropped between a leaver's options and the
module (scheduling, notification, reference, cancelling a scheduled job with state: absent, ...).

Each test sets an option only through the role (a leaver's `options`, or the organisation defaults) and finds it
where the module puts it: in the ExecOffboardUser body the emulator received, or in what the module did.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time
import urllib.request

import pytest
import yaml

from conftest import COLLECTIONS_PATH, REPO  # pylint: disable=import-error

TENANT = 'contoso.com'


def _control(emulator, path, body):
    request = urllib.request.Request('%s/_emulator/%s' % (emulator.url, path), data=json.dumps(body).encode(), method='POST',
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec - loopback emulator only
        return json.loads(response.read() or b'{}')


def _leavers(emulator, count=1):
    tenant = next(t for t in emulator.state.tenants.values() if t.default_domain == TENANT)
    with emulator.state.lock:
        users = sorted((u for u in tenant.users.values() if u['assignedLicenses'] and not u.get('_isAdmin') and not u.get('_compromised')
                        and not u.get('onPremisesSyncEnabled') and u['userType'] == 'Member' and u['accountEnabled']
                        and u['id'] in tenant.mailboxes and tenant.mailboxes[u['id']].get('RecipientTypeDetails') == 'UserMailbox'),
                       key=lambda u: u['userPrincipalName'])
        manager = next(u for u in tenant.users.values() if u.get('_isAdmin') and u['userType'] == 'Member')
    return [u['userPrincipalName'] for u in users[:count]], manager['userPrincipalName']


def _play(evidence, leavers, **role_vars):
    role_vars.update({'offboarding_leavers': leavers, 'offboarding_evidence_dir': evidence, 'offboarding_poll_interval': 1,
                      'offboarding_defaults': role_vars.get('offboarding_defaults', {'revoke_sessions': True})})
    return [{'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'msp.cipp.offboarding', 'vars': role_vars}]}]


def _offboard_bodies(run, since=0):
    return [entry['params'] for entry in run.emulator_log()[since:] if entry['endpoint'] == 'ExecOffboardUser']


def _module_result(run):
    """The one leaver's entry in the result of the role's msp.cipp.cipp_leavers task."""
    # One loop item per tenant (one tenant here).
    [result] = [r['result'] for r in run.results if r['action'] == 'msp.cipp.cipp_leavers' and r['item']]
    [leaver] = result['leavers']
    return leaver


def test_the_role_knows_every_option_of_the_module():
    """The role's list of options (outside which it refuses) is cipp_offboard's argument spec, and the leavers' options
    reach msp.cipp.cipp_leavers whole (the filter that merges them is unit tested: test_offboarding_filters.py)."""
    import sys
    if COLLECTIONS_PATH not in sys.path:
        sys.path.insert(0, COLLECTIONS_PATH)
    from ansible_collections.msp.cipp.plugins.modules.cipp_offboard import ARGUMENT_SPEC  # pylint: disable=import-error
    with open(os.path.join(REPO, 'roles', 'offboarding', 'vars', 'main.yml')) as handle:
        listed = yaml.safe_load(handle)['offboarding_module_options']
    assert sorted(listed) == sorted(set(ARGUMENT_SPEC) - {'tenant', 'user'})
    with open(os.path.join(REPO, 'roles', 'offboarding', 'tasks', 'main.yml')) as handle:
        task = next(t for t in yaml.safe_load(handle) if 'msp.cipp.cipp_leavers' in t)
    assert task['msp.cipp.cipp_leavers']['leavers'] == '{{ offboarding_tenant_group.leavers }}'


def test_scheduling_notification_and_reference_reach_cipp(run_playbook, cipp_env, emulator, tmp_path):
    [upn], _manager = _leavers(emulator)
    when = int(time.time()) + 7 * 86400
    leaver = {'user': upn, 'tenant': TENANT, 'options': {
        'scheduled_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(when)), 'notify': ['webhook', 'psa'],
        'reference': 'CHG-0042', 'disable_sign_in': True}}
    run = run_playbook(_play(str(tmp_path / 'evidence'), [leaver]), env=cipp_env)
    assert run.rc == 0, run.output
    [body] = _offboard_bodies(run)
    assert body['Scheduled'] == {'enabled': True, 'date': when}
    assert body['postExecution'] == {'webhook': True, 'email': False, 'psa': True}
    assert body['reference'] == 'CHG-0042'
    assert body['DisableSignIn'] is True and body['RevokeSessions'] is True  # the leaver's options and the defaults
    assert _module_result(run)['job']['state'] == 'Planned'


def test_a_top_level_reference_still_wins(run_playbook, cipp_env, emulator, tmp_path):
    [upn], _manager = _leavers(emulator)
    leaver = {'user': upn, 'tenant': TENANT, 'reference': 'TICKET-1', 'options': {'reference': 'TICKET-2', 'wait': False}}
    run = run_playbook(_play(str(tmp_path / 'evidence'), [leaver]), env=cipp_env)
    assert run.rc == 0, run.output
    assert _offboard_bodies(run)[0]['reference'] == 'TICKET-1'


def test_state_absent_cancels_the_scheduled_job(run_playbook, cipp_env, emulator, tmp_path):
    [upn], _manager = _leavers(emulator)
    evidence = str(tmp_path / 'evidence')
    scheduled = {'user': upn, 'tenant': TENANT, 'options': {'scheduled_at': int(time.time()) + 86400}}
    first = run_playbook(_play(evidence, [scheduled]), env=cipp_env)
    assert first.rc == 0, first.output
    row_key = _module_result(first)['job']['id']
    seen = len(first.emulator_log())

    cancel = {'user': upn, 'tenant': TENANT, 'options': {'state': 'absent'}}
    second = run_playbook(_play(evidence, [cancel]), env=cipp_env)
    assert second.rc == 0, second.output
    result = _module_result(second)
    assert result['changed'] is True and [job['id'] for job in result['cancelled']] == [row_key]
    removed = [entry for entry in second.emulator_log()[seen:] if entry['endpoint'] == 'RemoveScheduledItem']
    assert [entry['params'].get('id') or entry['params'].get('ID') for entry in removed] == [row_key]
    assert _offboard_bodies(second, since=seen) == []


@pytest.mark.parametrize('option, value, body_key, expected', [
    ('reset_password', True, 'ResetPass', True),
    ('cancel_calendar_invites', True, 'removeCalendarInvites', True),
    ('disable_onedrive_sharing', True, 'DisableOneDriveSharing', True),
    ('remove_calendar_permissions', True, 'removeCalendarPermissions', True),
    ('remove_teams_phone', True, 'RemoveTeamsPhoneDID', True),
    ('out_of_office', 'I have left Contoso.', 'OOO', 'I have left Contoso.'),
])
def test_step_options_from_the_organisation_defaults_reach_cipp(run_playbook, cipp_env, emulator, tmp_path,
                                                                option, value, body_key, expected):
    [upn], _manager = _leavers(emulator)
    leaver = {'user': upn, 'tenant': TENANT, 'options': {'wait': False}}
    run = run_playbook(_play(str(tmp_path / 'evidence'), [leaver], offboarding_defaults={option: value}), env=cipp_env)
    assert run.rc == 0, run.output
    [body] = _offboard_bodies(run)
    assert body[body_key] == expected


def test_forwarding_with_a_copy_and_mailbox_access(run_playbook, cipp_env, emulator, tmp_path):
    [upn], manager = _leavers(emulator)
    leaver = {'user': upn, 'tenant': TENANT, 'options': {
        'forward_to': manager, 'keep_copy': True, 'mailbox_access': [{'user': manager, 'automap': False}], 'wait': False}}
    run = run_playbook(_play(str(tmp_path / 'evidence'), [leaver]), env=cipp_env)
    assert run.rc == 0, run.output
    [body] = _offboard_bodies(run)
    assert body['forward'] == {'value': manager, 'label': manager} and body['KeepCopy'] is True
    assert body['AccessNoAutomap'] == [{'value': manager, 'label': manager}]


def test_wait_false_from_the_options_does_not_wait(run_playbook, cipp_env, emulator, tmp_path):
    [upn], _manager = _leavers(emulator)
    _control(emulator, 'scheduler/config', {'lazy': False})
    try:
        run = run_playbook(_play(str(tmp_path / 'evidence'), [{'user': upn, 'tenant': TENANT, 'options': {'wait': False}}]),
                           env=cipp_env)
    finally:
        _control(emulator, 'scheduler/config', {'lazy': True})
    assert run.rc == 0, run.output
    result = _module_result(run)
    assert result['job']['state'] == 'Planned' and 'steps' not in result


def test_an_unknown_option_is_refused_not_dropped(run_playbook, cipp_env, emulator, tmp_path):
    [upn], _manager = _leavers(emulator)
    leaver = {'user': upn, 'tenant': TENANT, 'options': {'scheduled': '2030-01-01T00:00:00Z', 'remove_group': True}}
    run = run_playbook(_play(str(tmp_path / 'evidence'), [leaver]), env=cipp_env)
    assert run.rc != 0
    assert "Unknown offboarding option(s) remove_group, scheduled" in run.output
    assert not [entry for entry in run.emulator_log() if entry['kind'] == 'write']


def test_the_offboard_playbook_passes_the_options_too(run_playbook, cipp_env, emulator, tmp_path):
    [upn], _manager = _leavers(emulator)
    extra = {'cipp_hosts': 'localhost', 'offboarding_evidence_dir': str(tmp_path / 'evidence'), 'offboarding_defaults': {},
             'offboarding_leavers': [{'user': upn, 'tenant': TENANT, 'reference': 'INC-7',
                                      'options': {'scheduled_at': int(time.time()) + 3600, 'notify': ['email'],
                                                  'disable_sign_in': True}}]}
    run = run_playbook('playbooks/offboard.yml', extra_vars=extra, env=cipp_env,
                       inventory={'all': {'hosts': {'localhost': {'ansible_connection': 'local'}}}})
    assert run.rc == 0, run.output
    [body] = _offboard_bodies(run)
    assert body['reference'] == 'INC-7' and body['postExecution']['email'] is True and body['Scheduled']['enabled'] is True
    assert body['DisableSignIn'] is True


def test_remove_admin_roles_and_the_manager_reach_the_module_and_the_summary(run_playbook, cipp_env, emulator, tmp_path):
    """An admin leaver (allowed explicitly) loses its directory role through the role; forwarding goes to `manager`, and
    the summary names the direct reports who need a new manager."""
    tenant = next(t for t in emulator.state.tenants.values() if t.default_domain == TENANT)
    role = next(r for r in tenant.roles.values() if r['displayName'] == 'Exchange Administrator')
    leaver = tenant.users[role['_members'][0]]
    manager = tenant.users[leaver['_managerId']]
    reports = sorted(u['userPrincipalName'] for u in tenant.users.values() if u.get('_managerId') == leaver['id'])
    assert reports
    evidence = str(tmp_path / 'evidence')
    run = run_playbook(_play(evidence, [{'user': leaver['userPrincipalName'], 'tenant': TENANT,
                                         'options': {'remove_admin_roles': True, 'forward_to': 'manager'}}],
                             offboarding_allow_privileged=True), env=cipp_env)
    assert run.rc == 0, run.output
    assert leaver['id'] not in role['_members']
    assert [entry['endpoint'] for entry in run.emulator_log() if entry.get('kind') == 'write'] == ['ExecRemoveAdminRole', 'ExecOffboardUser']
    assert _offboard_bodies(run)[0]['forward']['value'] == manager['userPrincipalName']
    with open(os.path.join(evidence, '%s-offboarding.md' % leaver['userPrincipalName'])) as handle:
        summary = handle.read()
    assert '- Admin roles: Exchange Administrator' in summary
    assert all(upn.replace('.', '\\.') in summary or upn in summary for upn in reports), summary
