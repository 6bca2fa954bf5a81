# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""User lifecycle against the emulator through real ansible-playbook runs: results and the request log."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import sys
import urllib.request

import pytest

from conftest import COLLECTIONS_PATH, call_labels  # pylint: disable=import-error


@pytest.fixture
def cipp_client(cipp_env):
    """The collection's own client, in-process, to find test data in the emulator the way a user would."""
    if COLLECTIONS_PATH not in sys.path:
        sys.path.insert(0, COLLECTIONS_PATH)
    from ansible_collections.msp.cipp.plugins.module_utils._client import CippClient  # pylint: disable=import-error
    return CippClient(api_url=cipp_env['CIPP_API_URL'], client_id=cipp_env['CIPP_CLIENT_ID'],
                      client_secret=cipp_env['CIPP_CLIENT_SECRET'], token_url=cipp_env.get('CIPP_TOKEN_URL'),
                      auth_tenant_id=cipp_env.get('CIPP_AUTH_TENANT_ID'), token_cache='off')


def writes(log):
    return [entry for entry in log if entry.get('kind') == 'write']


def test_cipp_user_story(run_target, cipp_env, emulator):
    """check -> apply -> check -> apply -> change -> delete, asserted inside the target on results and the log."""
    run = run_target('module_cipp_user', env=dict(cipp_env, CIPP_EMULATOR_URL=emulator.url))
    assert run.rc == 0, run.output
    # What reached the emulator, in order: one AddUser, then the change and the delete, nothing twice.
    sent = [entry['endpoint'] for entry in writes(run.emulator_log())]
    assert sent == ['AddUser', 'EditUser', 'ExecDisableUser', 'ExecBulkLicense', 'EditGroup', 'EditUser', 'RemoveUser'], sent


def _roster_play(tenant, domain, sku, group, count):
    hires = [{'upn': 'hire%02d@%s' % (index, domain), 'given': 'Hire', 'surname': 'Number %02d' % index} for index in range(count)]
    return [{
        'name': 'Roster', 'hosts': 'localhost', 'gather_facts': False,
        'tasks': [{
            'name': 'Create the roster',
            'msp.cipp.cipp_user': {
                'tenant': tenant, 'user_principal_name': '{{ item.upn }}', 'given_name': '{{ item.given }}',
                'surname': '{{ item.surname }}', 'job_title': 'New hire', 'usage_location': 'GB',
                'licenses': {'add': [sku]}, 'groups': {'add': [group]},
            },
            'loop': hires,
        }],
    }]


def test_roster_of_30_runs_twice_30_changes_then_none(run_playbook, cipp_env, emulator, cipp_client):
    tenant, sku, group = _roster_targets(cipp_client)
    first = run_playbook(_roster_play(tenant, tenant, sku, group, 30), env=cipp_env)
    assert first.rc == 0, first.output
    items = first.task_results('Create the roster', item=True)
    assert len(items) == 30 and all(item['status'] == 'changed' for item in items)
    log_after_first = first.emulator_log()
    assert [entry['endpoint'] for entry in writes(log_after_first)] == ['AddUser'] * 30

    second = run_playbook(_roster_play(tenant, tenant, sku, group, 30), env=cipp_env)
    assert second.rc == 0, second.output
    items = second.task_results('Create the roster', item=True)
    assert len(items) == 30 and not any(item['status'] == 'changed' for item in items)
    new_entries = second.emulator_log()[len(log_after_first):]
    assert writes(new_entries) == [], json.dumps(writes(new_entries))[:500]
    # Reads only, three per hire: the user (filter query), the tenant's SKUs (true part numbers), the user's groups.
    reads = call_labels(entry for entry in new_entries if entry['kind'] == 'read')
    assert sorted(set(reads)) == ['ListGraphRequest:subscribedSkus', 'ListGraphRequest:users/{id}/memberOf', 'ListUsers'], reads
    assert len(reads) == 90, reads


def _roster_targets(client):
    tenants = client.call('ListTenants')
    for row in tenants:
        tenant = row['defaultDomainName']
        skus = client.call('ListGraphRequest', {'Endpoint': 'subscribedSkus'}, tenant=tenant)['Results']
        licences = [sku for sku in skus if sku['prepaidUnits']['enabled'] - sku['consumedUnits'] >= 30]
        groups = [g for g in client.call('ListGroups', tenant=tenant)
                  if g.get('calculatedGroupType') == 'generic' and not g.get('dynamicGroupBool') and not g.get('assignedLicenses')]
        if licences and groups:
            return tenant, licences[0]['skuPartNumber'], groups[0]['displayName']
    raise AssertionError('the default seed has no tenant with a licence of 30 free seats and a plain security group')


def test_check_diff_shows_the_change_and_writes_nothing(run_playbook, cipp_env, cipp_client):
    tenant = cipp_client.call('ListTenants')[0]['defaultDomainName']
    user = [u for u in cipp_client.call('ListUsers', tenant=tenant)
            if u.get('accountEnabled') and not u.get('onPremisesSyncEnabled') and u.get('userType') == 'Member'][0]
    play = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [{
        'name': 'Preview', 'msp.cipp.cipp_user': {'tenant': tenant, 'user_principal_name': user['userPrincipalName'],
                                                  'job_title': 'Chief Preview Officer', 'account_enabled': False}}]}]
    before = len(cipp_client_log(cipp_env))
    run = run_playbook(play, env=cipp_env, check=True, diff=True)
    assert run.rc == 0, run.output
    result = run.result('Preview')
    assert result['changed'] is True
    assert result['diff']['before'] == {'state': 'present', 'job_title': user.get('jobTitle'), 'account_enabled': True}
    assert result['diff']['after'] == {'state': 'present', 'job_title': 'Chief Preview Officer', 'account_enabled': False}
    assert [c['endpoint'] for c in result['cipp_calls'] if c['write']] == ['EditUser', 'ExecDisableUser']
    assert not any(c['sent'] for c in result['cipp_calls'] if c['write'])
    assert writes(run.emulator_log()[before:]) == []
    assert 'Chief Preview Officer' in run.stdout  # the diff is printed


def cipp_client_log(cipp_env):
    with urllib.request.urlopen(cipp_env['CIPP_API_URL'].rstrip('/') + '/_emulator/log', timeout=10) as response:
        return json.loads(response.read())
