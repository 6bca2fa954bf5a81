# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each row of CONTRACT 0.1 (how real CIPP differs from the notes), met through the modules as a user runs them.

The emulator follows the CIPP-API 10.8.2 source on every row (its own tests: tests/emulator/tests/test_contract_rows.py);
these tests show what the collection does about it, on the results and on the emulator's request log. C9/C10 (unknown
and empty tenants) are in tests/security/.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import urllib.request

from conftest import call_labels  # pylint: disable=import-error
from test_user_lifecycle import writes  # pylint: disable=import-error

CONTOSO, WOOD = 'contoso.com', 'woodgrovebakery.com'
HELPDESK_ID = '0c1e0000-0000-4000-8000-0000000000c1'


def _play(*tasks):
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': list(tasks)}]


def _task(name, module, ignore_errors=False, **args):
    task = {'name': name, 'msp.cipp.%s' % module: args}
    if ignore_errors:
        task['ignore_errors'] = True
    return task


def _tenant(emulator, domain=CONTOSO):
    return next(t for t in emulator.state.tenants.values() if t.default_domain == domain)


def _consumed(tenant, sku_id):
    return sum(1 for u in tenant.users.values() for lic in u['assignedLicenses'] if lic['skuId'] == sku_id)


def _cloud_members(tenant):
    return sorted((u for u in tenant.users.values() if u['userType'] == 'Member' and not u.get('onPremisesSyncEnabled')
                   and u.get('accountEnabled') and not u.get('_isAdmin') and not u.get('_compromised') and '#' not in u['userPrincipalName']),
                  key=lambda u: u['userPrincipalName'])


def _sent(log, endpoint):
    return [entry for entry in log if entry.get('endpoint') == endpoint]


def test_c1_a_licence_swap_is_one_replace_item(run_playbook, cipp_env, emulator):
    tenant = _tenant(emulator)
    user = next(u for u in _cloud_members(tenant) if len(u['assignedLicenses']) == 1 and u.get('usageLocation'))
    held = user['assignedLicenses'][0]['skuId']
    free = next(sku for sku in tenant.skus.values() if sku['skuId'] != held and sku['prepaidUnits']['enabled'] > _consumed(tenant, sku['skuId']))
    run = run_playbook(_play(_task('Swap', 'cipp_user', tenant=CONTOSO, user_principal_name=user['userPrincipalName'],
                                   licenses={'set': [free['skuPartNumber']]})), env=cipp_env)
    assert run.rc == 0, run.output
    (bulk,) = _sent(writes(run.emulator_log()), 'ExecBulkLicense')
    (item,) = bulk['params']['_body']
    assert item['LicenseOperation'] == 'Replace' and [ref['value'] for ref in item['LicensesToReplace']] == [held]
    assert [lic['skuId'] for lic in tenant.users[user['id']]['assignedLicenses']] == [free['skuId']]


def test_c2_c3_licences_by_part_number_and_product_name_and_free_skus_cipp_hides(run_playbook, cipp_env, emulator):
    tenant = _tenant(emulator, WOOD)
    flow_free, e3 = 'f30db892-07e9-47e9-837c-80727f46fd3d', '6fd2c87f-b296-42f0-b197-1e91e994b900'
    user = next(u for u in _cloud_members(tenant) if u.get('usageLocation') and any(lic['skuId'] == e3 for lic in u['assignedLicenses'])
                and not any(lic['skuId'] == flow_free for lic in u['assignedLicenses']))
    run = run_playbook(_play(
        # Power Automate Free is on CIPP's exclusion list: never in ListLicenses, only in Graph's subscribedSkus.
        _task('By part number', 'cipp_user', tenant=WOOD, user_principal_name=user['userPrincipalName'], licenses={'add': ['FLOW_FREE']}),
        # The name CIPP shows (ListLicenses' skuPartNumber is it, C2) for a licence the user already has.
        _task('By product name', 'cipp_user', tenant=WOOD, user_principal_name=user['userPrincipalName'],
              licenses={'add': ['Office 365 E3']})), env=cipp_env)
    assert run.rc == 0, run.output
    first, second = run.result('By part number'), run.result('By product name')
    assert first['changed'] is True and second['changed'] is False
    assert 'ListGraphRequest:subscribedSkus' in call_labels(first['cipp_calls']) and 'ListLicenses' not in call_labels(first['cipp_calls'])
    assert 'ListLicenses' in call_labels(second['cipp_calls'])
    assert flow_free in [lic['skuId'] for lic in tenant.users[user['id']]['assignedLicenses']]


def test_c4_a_failed_bec_run_fails_the_task(run_playbook, cipp_env, emulator):
    tenant = _tenant(emulator, WOOD)
    victim = next(u for u in tenant.users.values() if u['id'].lower() in emulator.state.bec_failures)
    run = run_playbook(_play(_task('Check', 'cipp_bec_info', ignore_errors=True, tenant=WOOD, user=victim['userPrincipalName'],
                                   poll_interval=1, wait_timeout=60)), env=cipp_env)
    assert run.status('Check') == 'failed'
    assert 'maximum allowed size' in run.result('Check')['msg'] and 'report' not in run.result('Check')


def test_c5_a_guest_by_upn_is_found_through_graphs_filter_and_acted_on_by_id(run_playbook, cipp_env, emulator):
    tenant = _tenant(emulator)
    guest = next(u for u in tenant.users.values() if '#EXT#' in u['userPrincipalName'] and u.get('accountEnabled'))
    run = run_playbook(_play(
        _task('Read', 'cipp_user_info', tenant=CONTOSO, user=guest['userPrincipalName'], include=['groups']),
        _task('Disable', 'cipp_user', tenant=CONTOSO, user_principal_name=guest['userPrincipalName'], account_enabled=False)), env=cipp_env)
    assert run.rc == 0, run.output
    assert run.result('Read')['users'][0]['id'] == guest['id'] and tenant.users[guest['id']]['accountEnabled'] is False
    for entry in run.emulator_log():
        params = entry.get('params') or {}
        assert '#' not in str(params.get('Endpoint', '')) and '#' not in str(params.get('graphFilter', '')), entry
        assert '#' not in str(params.get('ID', '')) and '#' not in str(params.get('UserID', '')), entry


def test_c6_external_forwarding_is_refused_in_offboarding_before_any_write(run_playbook, cipp_env, emulator):
    leaver = _cloud_members(_tenant(emulator))[0]
    run = run_playbook(_play(_task('Offboard', 'cipp_offboard', ignore_errors=True, tenant=CONTOSO, user=leaver['userPrincipalName'],
                                   disable_sign_in=True, forward_to='someone@example.net')), env=cipp_env)
    assert run.status('Offboard') == 'failed' and 'cipp_mailbox' in run.result('Offboard')['msg']
    assert writes(run.emulator_log()) == []


def test_c7_mfa_methods_are_removed_and_verified_without_entra_p1(run_playbook, cipp_env, emulator):
    tenant = _tenant(emulator, WOOD)
    user = next(u for u in _cloud_members(tenant) if len(u.get('_mfaMethods') or []) > 1)
    play = _play(_task('Remove', 'cipp_mfa', tenant=WOOD, user=user['userPrincipalName'], methods='absent'))
    first = run_playbook(play, env=cipp_env)
    assert first.rc == 0, first.output
    assert first.result('Remove')['changed'] is True and not tenant.users[user['id']]['_mfaMethods']
    before = len(first.emulator_log())
    second = run_playbook(play, env=cipp_env)
    assert second.rc == 0 and second.result('Remove')['changed'] is False
    assert writes(second.emulator_log()[before:]) == []


def test_c8_groups_that_assign_licences_are_left_to_cipps_licence_step_and_a_rerun_queues_nothing(run_playbook, cipp_env, emulator):
    tenant = _tenant(emulator, WOOD)
    licence_group = next(g for g in tenant.groups.values() if g.get('_assignedLicenses') and g['_members'])
    leaver = next(u for u in _cloud_members(tenant) if u['id'] in licence_group['_members'] and u['id'] in tenant.mailboxes)
    play = _play(_task('Offboard', 'cipp_offboard', tenant=WOOD, user=leaver['userPrincipalName'], remove_groups=True,
                       disable_sign_in=True, poll_interval=1, wait_timeout=120))
    first = run_playbook(play, env=cipp_env)
    assert first.rc == 0, first.output
    plan = dict((entry['step'], entry) for entry in first.result('Offboard')['plan'])
    assert licence_group['displayName'] in plan['remove_groups']['cipp_leaves']
    before = len(first.emulator_log())
    second = run_playbook(play, env=cipp_env)
    assert second.rc == 0, second.output
    assert second.result('Offboard')['changed'] is False and writes(second.emulator_log()[before:]) == []


def test_c11_an_edit_shows_the_alias_cipp_will_reset(run_playbook, cipp_env, emulator):
    """Tom's Exchange alias is tbaker; CIPP's EditUser sets it to the UPN prefix on any edit, so the diff says so."""
    tom = next(u for u in _tenant(emulator, WOOD).users.values() if u['userPrincipalName'].startswith('tom.baker@'))
    run = run_playbook(_play(_task('Edit', 'cipp_user', tenant=WOOD, user_principal_name=tom['userPrincipalName'], job_title='Master Baker')),
                       env=cipp_env, check=True, diff=True)
    assert run.rc == 0, run.output
    diff = run.result('Edit')['diff']
    assert (diff['before']['mail_nickname'], diff['after']['mail_nickname']) == ('tbaker', 'tom.baker')
    assert writes(run.emulator_log()) == []


def test_c12_a_group_cipp_only_scheduled_a_retry_for_is_reported_not_done(run_playbook, cipp_env, emulator):
    tenant = _tenant(emulator)
    distribution = next(g for g in tenant.groups.values() if g['_kind'] == 'distribution')
    run = run_playbook(_play(_task('Create', 'cipp_user', tenant=CONTOSO, user_principal_name='c12.hire@contoso.com', given_name='New',
                                   surname='Hire', groups={'add': [distribution['displayName']]})), env=cipp_env)
    result = run.result('Create')
    pending = ' '.join(result.get('warnings') or []) + ' ' + str(result.get('msg', ''))
    assert distribution['displayName'] in pending and ('retry' in pending or 'not done' in pending or 'not yet' in pending), result


def test_c13_every_group_of_a_user_in_more_than_a_hundred(run_playbook, cipp_env, emulator):
    tenant = _tenant(emulator, WOOD)
    many = next(u for u in tenant.users.values() if u['userPrincipalName'].startswith('lena.vogel@'))
    expected = sorted(g['displayName'] for g in tenant.groups.values() if many['id'] in g['_members'])
    run = run_playbook(_play(_task('Read', 'cipp_user_info', tenant=WOOD, user=many['userPrincipalName'], include=['groups'])), env=cipp_env)
    assert run.rc == 0, run.output
    assert len(expected) > 100 and sorted(g['name'] for g in run.result('Read')['users'][0]['groups']) == expected
    assert 'ListUserGroups' not in call_labels(run.result('Read')['cipp_calls'])


def test_c14_an_internal_only_reply_still_answers_outside_senders(run_playbook, cipp_env, emulator):
    user = next(u for u in _cloud_members(_tenant(emulator)) if u['id'] in _tenant(emulator).mailboxes)
    run = run_playbook(_play(_task('Away', 'cipp_mailbox', tenant=CONTOSO, user=user['userPrincipalName'],
                                   out_of_office={'state': 'enabled', 'internal_message': 'Away until Monday'})), env=cipp_env)
    assert run.rc == 0, run.output
    (sent,) = _sent(writes(run.emulator_log()), 'ExecSetOoO')
    assert sent['params']['ExternalMessage'] == 'Away until Monday'


def test_c15_forwarding_to_a_raw_exchange_identity_is_not_a_change(run_playbook, cipp_env, emulator):
    tenant = _tenant(emulator)
    nicknames = dict((u.get('mailNickname'), u) for u in tenant.users.values() if u.get('mailNickname'))
    source_id, mailbox = next((uid, m) for uid, m in tenant.mailboxes.items()
                              if m.get('ForwardingAddress') in nicknames and m.get('DeliverToMailboxAndForward'))
    target = nicknames[mailbox['ForwardingAddress']]
    run = run_playbook(_play(_task('Forward', 'cipp_mailbox', tenant=CONTOSO, user=tenant.users[source_id]['userPrincipalName'],
                                   forwarding={'to': target['userPrincipalName'], 'keep_copy': True})), env=cipp_env)
    assert run.rc == 0, run.output
    assert run.result('Forward')['changed'] is False and writes(run.emulator_log()) == []


def test_c16_a_user_on_an_unverified_domain_is_refused_before_adduser(run_playbook, cipp_env, emulator):
    tenant = _tenant(emulator, WOOD)
    unverified = next(d['id'] for d in tenant.domains if not d.get('isVerified'))
    run = run_playbook(_play(_task('Create', 'cipp_user', ignore_errors=True, tenant=WOOD, user_principal_name='new.baker@%s' % unverified,
                                   given_name='New', surname='Baker')), env=cipp_env)
    assert run.status('Create') == 'failed' and 'not verified' in run.result('Create')['msg']
    assert writes(run.emulator_log()) == []


def test_c17_check_mode_reads_the_cached_bec_report_without_starting_a_run(run_playbook, cipp_env, emulator):
    tenant = _tenant(emulator)
    victim = next(u for u in tenant.users.values() if u.get('_compromised'))
    play = _play(_task('Check', 'cipp_bec_info', tenant=CONTOSO, user=victim['userPrincipalName'], poll_interval=1, wait_timeout=60))
    assert run_playbook(play, env=cipp_env).rc == 0  # a cached report now exists
    preview = run_playbook(play, env=cipp_env, check=True)
    assert preview.rc == 0, preview.output
    started = [entry for entry in _sent(preview.emulator_log(), 'ExecBECCheck') if str((entry.get('params') or {}).get('overwrite')).lower() == 'true']
    assert len(started) == 1  # the first, non-check run only


def _control(emulator, path, body):
    request = urllib.request.Request('%s/_emulator/%s' % (emulator.url, path), data=json.dumps(body).encode(), method='POST',
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b'{}')


def test_c18_a_role_without_cipp_core_read_is_told_which_role_graph_reads_need(run_playbook, cipp_env, emulator):
    _control(emulator, 'custom-roles', {'name': 'helpdesk', 'permissions': ['Identity.User.ReadWrite']})
    _control(emulator, 'clients', {'appId': HELPDESK_ID, 'secret': 'helpdesk-secret', 'role': 'helpdesk'})
    someone = _cloud_members(_tenant(emulator))[0]
    env = dict(cipp_env, CIPP_CLIENT_ID=HELPDESK_ID, CIPP_CLIENT_SECRET='helpdesk-secret')
    run = run_playbook(_play(_task('Read', 'cipp_user_info', ignore_errors=True, tenant=CONTOSO, user=someone['userPrincipalName'],
                                   include=['groups'])), env=env)
    message = run.result('Read')['msg']
    assert run.status('Read') == 'failed'
    assert 'ListGraphRequest' in message and '403' in message and 'CIPP.Core.Read' in message, message


def test_c18_a_graph_error_names_the_endpoint_the_status_and_graphs_text(run_playbook, cipp_env):
    run = run_playbook(_play(_task('Read', 'cipp_user_info', ignore_errors=True, tenant=CONTOSO,
                                   filter="nonsenseProperty eq 'x'")), env=cipp_env)
    message = run.result('Read')['msg']
    assert run.status('Read') == 'failed'
    assert 'ListUsers' in message and 'HTTP 500' in message and 'nonsenseProperty' in message, message


def test_c19_a_one_step_offboarding_reads_cipps_single_result_object(run_playbook, cipp_env, emulator):
    leaver = _cloud_members(_tenant(emulator))[2]
    run = run_playbook(_play(_task('Offboard', 'cipp_offboard', tenant=CONTOSO, user=leaver['userPrincipalName'], revoke_sessions=True,
                                   poll_interval=1, wait_timeout=120)), env=cipp_env)
    assert run.rc == 0, run.output
    result = run.result('Offboard')
    assert [step['state'] for step in result['steps']] == ['done'] and result['job_results']
