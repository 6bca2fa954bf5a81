"""More of the transport contract: input rules, auth corner cases, RBAC, the log, faults, $batch, controls, the CLI."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from conftest import EMULATOR_DIR, DEFAULT_CLIENTS, Client, token_for

from cipp_emulator.server import redact, role_allows  # pylint: disable=import-error
from cipp_emulator.state import DEFAULT_AUTH_TENANT_ID  # pylint: disable=import-error

TENANT = 'contoso.com'
EDITOR = DEFAULT_CLIENTS['editor']


def token_form(client_id=EDITOR['client_id'], secret=EDITOR['client_secret'], scope=None, grant='client_credentials'):
    return {'grant_type': grant, 'client_id': client_id, 'client_secret': secret,
            'scope': 'api://%s/.default' % client_id if scope is None else scope}


def a_user(cipp):
    rows = cipp.call('ListUsers', params={'tenantFilter': TENANT})[1]
    return [u for u in rows if u['userType'] == 'Member' and not u['onPremisesSyncEnabled'] and u['accountEnabled']][0]


# ------------------------------------------------------------------------------------------------ inputs

def test_body_only_endpoints_ignore_the_query(cipp):
    user = a_user(cipp)
    status, body, _ctype = cipp.call('EditUser', 'POST', params={'id': user['id'], 'tenantFilter': TENANT})
    assert (status, body) == (400, {'Results': ['Failed to edit user. No user ID provided']})
    status, body, _ctype = cipp.call('AddUser', 'POST', params={'tenantFilter': TENANT}, body={'username': 'q.only'})
    assert status == 400 and body['Results']['resultText'] == 'tenantFilter is required to create a user.'


def test_query_or_body_endpoints_take_either(cipp):
    user = a_user(cipp)
    status, body, _ctype = cipp.call('ExecDisableUser', 'GET', params={'tenantFilter': TENANT, 'ID': user['id'], 'Enable': 'false'})
    assert status == 200 and body['Results'].startswith('Successfully set account enabled state to False')
    status, body, _ctype = cipp.call('ExecDisableUser', 'POST', body={'tenantFilter': TENANT, 'ID': user['id'], 'Enable': True})
    assert status == 200 and body['Results'].startswith('Successfully set account enabled state to True')


def test_query_only_endpoints_ignore_the_body(cipp):
    """ListUsers reads the query only: a tenantFilter in the body is not seen, the call falls back to the partner
    tenant, which the default tenant mode does not manage, and the answer is an empty list (CONTRACT 0.1 C9, C10)."""
    status, body, _content_type = cipp.call('ListUsers', 'POST', body={'tenantFilter': TENANT})
    assert status == 200 and body == []
    assert cipp.call('ListUsers', 'GET', params={'tenantFilter': TENANT})[1]


def test_a_non_json_content_type_leaves_the_body_unread(cipp):
    raw = json.dumps({'tenantFilter': TENANT, 'username': 'x', 'Domain': TENANT, 'displayName': 'X'})
    status, body, _ctype = cipp.call('AddUser', 'POST', data=raw, headers={'Content-Type': 'text/plain'})
    assert status == 400 and body['Results']['state'] == 'error'
    entry = cipp.log()[-1]
    assert entry['params'] == {'_raw': '<%d characters, not parsed>' % len(raw)}
    status, _body, _ctype = cipp.call('AddUser', 'POST', data=raw)  # no Content-Type at all: parsed as JSON
    assert status == 200


def test_nested_body_keys_are_case_insensitive(cipp):
    body = {'TENANTFILTER': TENANT, 'USERNAME': 'case.test', 'domain': TENANT, 'DisplayName': 'Case Test',
            'usagelocation': {'VALUE': 'NL'}}
    status, answer, _ctype = cipp.call('AddUser', 'POST', body=body)
    assert status == 200 and answer['Results'][1]['copyField'] == 'case.test@contoso.com'
    created = cipp.call('ListUsers', params={'tenantFilter': TENANT, 'UserID': 'case.test@contoso.com'})[1][0]
    assert created['usageLocation'] == 'NL'


# ------------------------------------------------------------------------------------------------ token endpoint and 401

def test_token_endpoint_refuses_what_entra_refuses(emulator):
    wrong_tenant = requests.post('%s/%s/oauth2/v2.0/token' % (emulator.url, '11111111-1111-4111-8111-111111111111'),
                                 data=token_form(), timeout=10)
    assert wrong_tenant.status_code == 400 and 'AADSTS90002' in wrong_tenant.json()['error_description']
    as_get = requests.get(emulator.token_url, params=token_form(), timeout=10)
    assert as_get.status_code == 400 and as_get.json()['error'] == 'invalid_request'
    no_secret = requests.post(emulator.token_url, data=token_form(secret=''), timeout=10)
    assert no_secret.status_code == 401 and no_secret.json()['error_codes'] == [7000216]
    body = requests.post(emulator.token_url, data=token_form(secret='nope'), timeout=10).json()
    assert set(body) >= {'error', 'error_description', 'error_codes', 'timestamp', 'trace_id', 'correlation_id'}


def test_a_bare_guid_audience_token_is_refused_by_easyauth(emulator):
    """Entra issues a token for `{id}/.default`, but its audience is the GUID, which EasyAuth does not accept."""
    answer = requests.post(emulator.token_url, data=token_form(scope='%s/.default' % EDITOR['client_id']), timeout=10)
    assert answer.status_code == 200
    api = requests.get(emulator.url + '/api/ListTenants', headers={'Authorization': 'Bearer ' + answer.json()['access_token']}, timeout=10)
    assert api.status_code == 401 and api.headers['Content-Type'].startswith('text/plain') and 'WWW-Authenticate' in api.headers


def test_a_disabled_client_gets_a_token_but_no_api(emulator, cipp):
    cipp.control('clients', {'appId': 'd15ab1ed-0000-4000-8000-000000000001', 'secret': 'off', 'role': 'editor', 'enabled': False})
    answer = requests.post(emulator.token_url, data=token_form('d15ab1ed-0000-4000-8000-000000000001', 'off'), timeout=10)
    assert answer.status_code == 200
    api = requests.get(emulator.url + '/api/ListTenants', headers={'Authorization': 'Bearer ' + answer.json()['access_token']}, timeout=10)
    assert api.status_code == 401


def test_unknown_paths_need_no_token_but_api_paths_do(emulator):
    assert requests.get(emulator.url + '/elsewhere', timeout=10).status_code == 404
    unauthenticated = requests.get(emulator.url + '/api/ListNothing', timeout=10)
    assert unauthenticated.status_code == 401  # EasyAuth answers before CIPP's router could say 404


def test_tokens_survive_a_reset_but_added_clients_do_not(emulator, cipp):
    cipp.control('clients', {'appId': 'ad0ed000-0000-4000-8000-000000000002', 'secret': 's', 'role': 'editor'})
    added = requests.post(emulator.token_url, data=token_form('ad0ed000-0000-4000-8000-000000000002', 's'), timeout=10).json()
    cipp.control('reset', {})
    assert cipp.call('ListTenants')[0] == 200
    api = requests.get(emulator.url + '/api/ListTenants', headers={'Authorization': 'Bearer ' + added['access_token']}, timeout=10)
    assert api.status_code == 401


# ------------------------------------------------------------------------------------------------ RBAC and IP

def test_built_in_roles_follow_cipp_roles_json():
    assert role_allows('readonly', 'Identity.User.Read') and not role_allows('readonly', 'Identity.User.ReadWrite')
    assert role_allows('editor', 'Exchange.Mailbox.ReadWrite') and not role_allows('editor', 'Tenant.Standards.ReadWrite')
    assert not role_allows('editor', 'CIPP.AppSettings.Read') and not role_allows('readonly', 'CIPP.Admin.Read')
    assert role_allows('admin', 'CIPP.AppSettings.ReadWrite') and not role_allows('admin', 'CIPP.SuperAdmin.ReadWrite')
    assert role_allows('superadmin', 'CIPP.SuperAdmin.ReadWrite')


def test_every_write_is_refused_to_readonly_with_its_role_in_the_text(emulator, cipp):
    from cipp_emulator.registry import ENDPOINTS  # pylint: disable=import-error
    readonly = Client(emulator, 'readonly')
    for spec in ENDPOINTS.values():
        status, body, content_type = readonly.call(spec.name, 'POST', body={})
        if spec.role.endswith('.ReadWrite'):
            assert status == 403 and content_type.startswith('text/plain'), spec.name
            assert body == ("Access to this CIPP API endpoint is not allowed, the 'readonly' base role does not have the required "
                            "permission: %s" % spec.role)
        else:
            assert status != 403 or not str(body).startswith("Access to this CIPP API endpoint is not allowed, the 'readonly'"), spec.name


def test_a_client_without_a_built_in_role_is_refused(emulator, cipp):
    cipp.control('clients', {'appId': 'c0570000-0000-4000-8000-000000000003', 'secret': 's', 'role': ''})
    token = requests.post(emulator.token_url, data=token_form('c0570000-0000-4000-8000-000000000003', 's'), timeout=10).json()
    answer = requests.get(emulator.url + '/api/ListTenants', headers={'Authorization': 'Bearer ' + token['access_token']}, timeout=10)
    assert answer.status_code == 403
    assert answer.text == 'Access to this CIPP API endpoint is not allowed, the user does not have the required permission'


def test_ip_ranges_accept_cidr_single_addresses_ipv6_and_any(emulator, cipp):
    app = '1b000000-0000-4000-8000-000000000004'
    cipp.control('clients', {'appId': app, 'secret': 's', 'role': 'readonly', 'ipRanges': ['192.0.2.7', '2001:db8::/32']})
    token = requests.post(emulator.token_url, data=token_form(app, 's'), timeout=10).json()['access_token']

    def status(forwarded):
        headers = {'Authorization': 'Bearer ' + token}
        if forwarded:
            headers['X-Forwarded-For'] = forwarded
        return requests.get(emulator.url + '/api/ListTenants', headers=headers, timeout=10).status_code

    assert status(None) == 403  # the peer is 127.0.0.1
    assert status('192.0.2.7:443, 10.0.0.1') == 200
    assert status('192.0.2.8') == 403
    assert status('[2001:db8::5]:443') == 200
    assert status('2001:db8::5') == 200
    cipp.control('clients', {'appId': app, 'secret': 's', 'role': 'readonly', 'ipRanges': ['Any']})
    assert status('203.0.113.9') == 200


# ------------------------------------------------------------------------------------------------ the log

def test_log_entries_have_every_field_and_since_works(cipp):
    cipp.control('log/clear')
    cipp.call('ListUsers', params={'tenantFilter': TENANT, 'UserID': 'nobody@contoso.com'})
    cipp.call('ExecPasswordNeverExpires', 'POST', body={'tenantFilter': TENANT, 'userId': a_user(cipp)['id'],
                                                        'PasswordPolicy': 'DisablePasswordExpiration'})
    log = cipp.log()
    first = log[0]
    assert set(first) >= {'seq', 'ts', 'method', 'path', 'endpoint', 'kind', 'tenant', 'params', 'status', 'client_id', 'role',
                          'fault', 'applied'}
    assert (first['endpoint'], first['kind'], first['status'], first['applied'], first['method']) == ('ListUsers', 'read', 500, True, 'GET')
    assert first['path'] == '/api/ListUsers' and first['client_id'] == EDITOR['client_id']
    write = [e for e in log if e['endpoint'] == 'ExecPasswordNeverExpires'][0]
    assert write['kind'] == 'write' and write['params']['PasswordPolicy'] == 'DisablePasswordExpiration'  # not a secret
    later = requests.get('%s/_emulator/log?since=%d' % (cipp.emu.url, first['seq']), timeout=10).json()
    assert [e['seq'] for e in later] == [e['seq'] for e in log[1:]]


def test_log_redacts_secrets_at_any_depth():
    params = {'password': 'p', 'Secret': 's', 'copyField': 'c', 'client_secret': 'x', 'access_token': 't', 'PasswordPolicy': 'None',
              'nested': [{'Password': 'deep'}], 'MustChangePass': True, 'token': ''}
    assert redact(params) == {'password': '***', 'Secret': '***', 'copyField': '***', 'client_secret': '***', 'access_token': '***',
                              'PasswordPolicy': 'None', 'nested': [{'Password': '***'}], 'MustChangePass': True, 'token': ''}


def test_controls_are_not_logged_unless_asked(cipp):
    cipp.control('log/clear')
    cipp.control('health', method='GET')
    assert cipp.log() == []
    cipp.control('log/settings', {'controls': True})
    cipp.control('health', method='GET')
    assert [(e['kind'], e['endpoint']) for e in cipp.log()] == [('control', 'log/settings'), ('control', 'health')]


def test_a_denied_or_unknown_call_is_logged_without_running(emulator, cipp):
    cipp.control('log/clear')
    requests.post(emulator.url + '/api/RemoveUser', json={'tenantFilter': TENANT, 'ID': 'x'}, timeout=10)
    cipp.call('NoSuchEndpoint')
    unauth, unknown = cipp.log()
    assert (unauth['endpoint'], unauth['kind'], unauth['status'], unauth['applied'], unauth['client_id']) == ('RemoveUser', 'write', 401, False, None)
    assert (unknown['endpoint'], unknown['status'], unknown['applied']) == (None, 404, False)


# ------------------------------------------------------------------------------------------------ faults and latency

def test_fault_kinds_500_and_504_and_counts(emulator, cipp):
    token = token_for(emulator)
    cipp.control('faults', [{'endpoint': 'listtenants', 'kind': '500', 'count': 2}, {'endpoint': 'ListTenants', 'kind': '504'}])

    def call():
        return requests.get(emulator.url + '/api/ListTenants', headers={'Authorization': 'Bearer ' + token}, timeout=5)

    first, second, third, fourth = call(), call(), call(), call()
    assert (first.status_code, second.status_code, third.status_code, fourth.status_code) == (500, 500, 504, 200)
    assert first.headers['Content-Type'].startswith('text/plain') and 'Exception' in first.text
    assert third.headers['Content-Type'].startswith('text/html') and '504' in third.text
    other = requests.get(emulator.url + '/api/ListUserCounts', params={'tenantFilter': TENANT},
                         headers={'Authorization': 'Bearer ' + token}, timeout=5)
    assert other.status_code == 200


def test_a_wildcard_fault_leaves_the_token_endpoint_alone_but_token_rules_hit_it(emulator, cipp):
    cipp.control('faults', {'kind': '503', 'endpoint': '*', 'count': 1})
    assert requests.post(emulator.token_url, data=token_form(), timeout=10).status_code == 200
    cipp.control('faults', {'rules': [{'endpoint': 'token', 'kind': '429', 'retry_after': 3}]})
    throttled = requests.post(emulator.token_url, data=token_form(), timeout=10)
    assert throttled.status_code == 429 and throttled.headers['Retry-After'] == '3'
    entry = cipp.log()[-1]
    assert (entry['kind'], entry['fault'], entry['applied']) == ('token', '429', False)


def test_faults_control_validates_and_clears(cipp):
    bad = requests.post(cipp.emu.url + '/_emulator/faults', json={'rules': [{'kind': 'explode'}]}, timeout=10)
    assert bad.status_code == 400
    cipp.control('faults', {'rules': [{'kind': '500'}]})
    assert cipp.control('faults', method='GET')['rules'][0]['count'] == 1
    cleared = requests.delete(cipp.emu.url + '/_emulator/faults', timeout=10).json()
    assert cleared == {'rules': [], 'random': None}
    assert cipp.call('ListTenants')[0] == 200


def test_random_faults_keep_to_their_endpoints(cipp):
    cipp.control('faults', {'probability': 1.0, 'kinds': ['503'], 'seed': 1, 'endpoints': ['ListUserCounts']})
    assert cipp.call('ListTenants')[0] == 200
    assert cipp.call('ListUserCounts', params={'tenantFilter': TENANT})[0] == 503
    cipp.control('faults', {'probability': 1.0, 'kinds': ['500'], 'exclude': ['ListTenants']})
    assert cipp.call('ListTenants')[0] == 200
    assert cipp.call('ListUserCounts', params={'tenantFilter': TENANT})[0] == 500


def test_a_lost_batch_response_still_runs_every_sub_request(emulator, cipp):
    user = a_user(cipp)
    cipp.control('faults', {'rules': [{'endpoint': '$batch', 'kind': 'lost_response'}]})
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(emulator.url + '/api/$batch', headers={'Authorization': 'Bearer ' + token_for(emulator)}, timeout=5,
                      json={'requests': [{'id': '1', 'url': 'ExecDisableUser', 'method': 'POST',
                                          'body': {'tenantFilter': TENANT, 'ID': user['id']}}]})
    assert cipp.call('ListUsers', params={'tenantFilter': TENANT, 'UserID': user['id']})[1][0]['accountEnabled'] is False
    parent = [e for e in cipp.log() if e['kind'] == 'batch'][-1]
    assert parent['fault'] == 'lost_response' and parent['applied'] is True


def test_latency_per_endpoint_overrides_the_global_value(cipp):
    cipp.control('latency', {'ms': 0, 'endpoints': {'ListUserCounts': 250}})
    started = time.time()
    cipp.call('ListTenants')
    fast = time.time() - started
    started = time.time()
    cipp.call('ListUserCounts', params={'tenantFilter': TENANT})
    slow = time.time() - started
    assert slow >= 0.25 and fast < slow


# ------------------------------------------------------------------------------------------------ $batch

def test_batch_sub_requests_are_logged_and_carry_query_and_body(cipp):
    cipp.control('log/clear')
    status, body, _ctype = cipp.call('$batch', 'POST', body={'requests': [
        {'id': 'a', 'url': '/api/ListUsers', 'method': 'GET', 'query': {'tenantFilter': TENANT, 'UserID': 'nobody@contoso.com'}},
        {'id': 'b', 'url': 'AddUser', 'method': 'POST', 'body': {'tenantFilter': TENANT, 'username': 'batched', 'Domain': TENANT,
                                                                 'displayName': 'Batched', 'password': 'Batch-Pass-123'}}]})
    answers = dict((item['id'], item) for item in body['responses'])
    assert status == 200 and answers['a']['status'] == 500 and 'does not exist' in answers['a']['body']
    assert answers['b']['status'] == 200 and answers['b']['body']['Results'][0] == 'Created New User.'
    log = cipp.log()
    subs = [e for e in log if e.get('batched')]
    assert [e['endpoint'] for e in subs] == ['ListUsers', 'AddUser'] and subs[1]['params']['password'] == '***'
    assert log[-1]['kind'] == 'batch' and log[-1]['endpoint'] == '$batch'


def test_batch_needs_a_token_and_a_sane_size(emulator, cipp):
    assert requests.post(emulator.url + '/api/$batch', json={'requests': [{'id': '1', 'url': 'ListTenants'}]}, timeout=10).status_code == 401
    status, body, _ctype = cipp.call('$batch', 'POST', body={'requests': []})
    assert status == 400 and 'error' in body


# ------------------------------------------------------------------------------------------------ controls

def test_state_control_masks_secrets_and_narrows_to_a_tenant(cipp):
    masked = cipp.control('state?tenant=%s' % TENANT, method='GET')
    assert [t['row']['defaultDomainName'] for t in masked['tenants']] == [TENANT]
    user = next(iter(masked['tenants'][0]['users'].values()))
    assert user['_password'] == '***' and all(c['secret'] == '***' for c in masked['api_clients'].values())
    shown = cipp.control('state?secrets=1', method='GET')
    assert len(shown['tenants']) == 5 and shown['api_clients'][EDITOR['client_id']]['secret'] == EDITOR['client_secret']


def test_step_failure_and_clock_controls(cipp):
    answer = cipp.control('step-failure', {'tenant': TENANT, 'upn': 'Someone@contoso.com', 'step': 'RevokeSessions', 'message': 'boom'})
    assert answer == {'ok': True}
    tenant_id = cipp.emu.state.resolve_tenant(TENANT).customer_id
    assert cipp.emu.state.step_failures[(tenant_id, 'someone@contoso.com', 'RevokeSessions')] == 'boom'
    bad = requests.post(cipp.emu.url + '/_emulator/step-failure', json={'tenant': 'nowhere.example', 'upn': 'x', 'step': 'y'}, timeout=10)
    assert bad.status_code == 400
    before = cipp.emu.state.now()
    cipp.control('clock', {'advance': 3600})
    assert cipp.emu.state.now() - before >= 3600


def test_unknown_control_and_bad_seed(cipp):
    assert requests.post(cipp.emu.url + '/_emulator/nothing', timeout=10).status_code == 404
    assert requests.post(cipp.emu.url + '/_emulator/reset', json={'seed': 'huge'}, timeout=10).status_code == 400
    assert cipp.control('health', method='GET')['ok'] is True


def test_reset_to_a_large_seed_and_back(cipp):
    cipp.control('reset', {'seed': 'large:3:6'})
    assert len(cipp.call('ListTenants')[1]) == 3
    cipp.control('reset', {'seed': 'default'})
    assert len(cipp.call('ListTenants')[1]) == 5


# ------------------------------------------------------------------------------------------------ the command line

def test_the_command_line_runs_in_the_foreground_and_stops_on_sigterm(tmp_path):
    port_file = tmp_path / 'port'
    env = dict(os.environ, PYTHONPATH=EMULATOR_DIR)
    process = subprocess.Popen([sys.executable, '-m', 'cipp_emulator', '--port', '0', '--port-file', str(port_file), '--seed', 'large:2:5'],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(tmp_path))
    try:
        for _attempt in range(200):  # up to 10 s on a busy machine
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.05)
        port = int(port_file.read_text())
        health = requests.get('http://127.0.0.1:%d/_emulator/health' % port, timeout=5).json()
        assert health['ok'] and health['seed'] == 'large:2:5'
    finally:
        process.send_signal(signal.SIGTERM)
        out, _err = process.communicate(timeout=10)
    assert process.returncode == 0
    printed = out.decode('utf-8')
    assert 'http://127.0.0.1:%d' % port in printed and EDITOR['client_id'] in printed and DEFAULT_AUTH_TENANT_ID in printed
