"""The emulator's transport contract: routing, auth, RBAC, the request log, latency, faults, $batch, controls."""

import socket
import time

import requests

from conftest import DEFAULT_CLIENTS, Client, token_for


def test_any_method_and_any_case_reach_the_handler(cipp):
    for method, name in (('GET', 'ListTenants'), ('POST', 'listtenants'), ('PATCH', 'LISTTENANTS')):
        status, body, _ctype = cipp.call(name, method)
        assert status == 200 and len(body) == 5, (method, name)


def test_field_names_are_case_insensitive(cipp):
    for key in ('tenantFilter', 'TenantFilter', 'tenantfilter'):
        status, body, _ctype = cipp.call('ListUsers', params={key: 'contoso.com'})
        assert status == 200 and len(body) > 20, key


def test_unknown_endpoint_and_trailing_slash_are_404_text(cipp):
    for name in ('ListNothing', 'ListUsers/'):
        status, body, content_type = cipp.call(name)
        assert (status, body) == (404, 'Endpoint not found') and content_type.startswith('text/plain')


def test_listmailboxpermissions_answers_in_either_spelling(cipp):
    assert cipp.call('ListmailboxPermissions', params={'tenantFilter': 'contoso.com'})[0] != 404
    assert cipp.call('ListMailboxPermissions', params={'tenantFilter': 'contoso.com'})[0] != 404


def test_no_or_bad_token_is_401_before_anything_else(emulator):
    for headers in ({}, {'Authorization': 'Bearer nope'}, {'Authorization': 'Basic abc'}):
        answer = requests.get(emulator.url + '/api/ListNothing', headers=headers, timeout=10)
        assert answer.status_code == 401


def test_an_expired_token_is_401(emulator, cipp):
    cipp.control('token-lifetime', {'seconds': 60})
    client = Client(emulator)
    assert client.call('ListTenants')[0] == 200
    cipp.control('clock', {'advance': 61})
    assert client.call('ListTenants')[0] == 401
    cipp.control('token-lifetime', {'seconds': 3599})


def test_token_endpoint_answers_like_entra(emulator):
    editor = DEFAULT_CLIENTS['editor']
    form = {'grant_type': 'client_credentials', 'client_id': editor['client_id'], 'client_secret': editor['client_secret'],
            'scope': 'api://%s/.default' % editor['client_id']}
    good = requests.post(emulator.token_url, data=form, timeout=10).json()
    assert good['token_type'] == 'Bearer' and good['expires_in'] == 3599 and good['access_token']
    bad_secret = requests.post(emulator.token_url, data=dict(form, client_secret='wrong'), timeout=10)
    assert bad_secret.status_code == 401 and 'AADSTS7000215' in bad_secret.json()['error_description']
    unknown = requests.post(emulator.token_url, data=dict(form, client_id='00000000-0000-0000-0000-000000000000'), timeout=10)
    assert unknown.status_code == 400 and 'AADSTS700016' in unknown.json()['error_description']
    bad_scope = requests.post(emulator.token_url, data=dict(form, scope='https://graph.microsoft.com/.default'), timeout=10)
    assert bad_scope.status_code == 400 and bad_scope.json()['error'] == 'invalid_scope'
    grant = requests.post(emulator.token_url, data=dict(form, grant_type='password'), timeout=10)
    assert grant.json()['error'] == 'unsupported_grant_type'


def test_readonly_can_read_but_not_write(emulator, cipp):
    readonly = Client(emulator, 'readonly')
    assert readonly.call('ListTenants')[0] == 200
    status, body, content_type = readonly.call('ExecDisableUser', 'POST', body={'tenantFilter': 'contoso.com', 'ID': 'x', 'Enable': False})
    assert status == 403 and content_type.startswith('text/plain')
    assert body == ("Access to this CIPP API endpoint is not allowed, the 'readonly' base role does not have the required "
                    "permission: Identity.User.ReadWrite")
    entry = cipp.log()[-1]
    assert entry['endpoint'] == 'ExecDisableUser' and entry['status'] == 403 and entry['applied'] is False


def test_ip_allow_list(emulator, cipp):
    cipp.control('clients', {'appId': 'a1a1a1a1-0000-4000-8000-000000000009', 'secret': 's', 'role': 'editor',
                             'ipRanges': ['10.0.0.0/8']})
    form = {'grant_type': 'client_credentials', 'client_id': 'a1a1a1a1-0000-4000-8000-000000000009', 'client_secret': 's',
            'scope': 'api://a1a1a1a1-0000-4000-8000-000000000009/.default'}
    token = requests.post(emulator.token_url, data=form, timeout=10).json()['access_token']
    denied = requests.get(emulator.url + '/api/ListTenants', headers={'Authorization': 'Bearer ' + token}, timeout=10)
    assert denied.status_code == 403 and 'the API Client does not have the required permission' in denied.text
    allowed = requests.get(emulator.url + '/api/ListTenants', timeout=10,
                           headers={'Authorization': 'Bearer ' + token, 'X-Forwarded-For': '10.1.2.3:5555'})
    assert allowed.status_code == 200


def test_the_log_records_every_call_with_secrets_redacted(cipp):
    cipp.call('AddUser', 'POST', body={'tenantFilter': 'contoso.com', 'username': 'log.test', 'Domain': 'contoso.com',
                                       'displayName': 'Log Test', 'password': 'Hunter2-Hunter2'})
    entry = cipp.log()[-1]
    assert entry['endpoint'] == 'AddUser' and entry['kind'] == 'write' and entry['status'] == 200 and entry['applied']
    assert entry['params']['password'] == '***' and entry['tenant'] == 'contoso.com' and entry['role'] == 'editor'
    tokens = [e for e in cipp.log() if e['kind'] == 'token']
    assert tokens and all(e['params'].get('client_secret') == '***' for e in tokens)


def test_latency_is_applied(cipp):
    cipp.control('latency', {'ms': 150})
    started = time.time()
    cipp.call('ListTenants')
    assert time.time() - started >= 0.15


def _raw_get(emulator, token, name='ListTenants', timeout=5):
    return requests.get('%s/api/%s' % (emulator.url, name), headers={'Authorization': 'Bearer ' + token}, timeout=timeout)


def test_http_faults_happen_before_the_handler(emulator, cipp):
    token = token_for(emulator)
    cipp.control('faults', {'rules': [{'endpoint': 'ListTenants', 'kind': '429', 'retry_after': 7, 'count': 1},
                                      {'endpoint': 'ListTenants', 'kind': '502', 'count': 1},
                                      {'endpoint': 'ListTenants', 'kind': '503', 'count': 1},
                                      {'endpoint': 'ListTenants', 'kind': 'html', 'count': 1}]})
    throttled = _raw_get(emulator, token)
    assert throttled.status_code == 429 and throttled.headers['Retry-After'] == '7'
    gateway = _raw_get(emulator, token)
    assert gateway.status_code == 502 and gateway.text.startswith('<!DOCTYPE html>')
    assert _raw_get(emulator, token).status_code == 503
    html = _raw_get(emulator, token)
    assert html.status_code == 200 and 'html' in html.headers['Content-Type']
    assert _raw_get(emulator, token).status_code == 200  # the rules are used up
    faulted = [e for e in cipp.log() if e.get('fault')]
    assert [e['fault'] for e in faulted] == ['429', '502', '503', 'html'] and not any(e['applied'] for e in faulted)


def test_reset_and_timeout_faults_drop_the_connection(emulator, cipp):
    token = token_for(emulator)
    cipp.control('faults', {'rules': [{'endpoint': '*', 'kind': 'reset', 'count': 1},
                                      {'endpoint': '*', 'kind': 'timeout', 'seconds': 2, 'count': 1}]})
    for expected in (requests.exceptions.ConnectionError, (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError)):
        try:
            _raw_get(emulator, token, timeout=1)
        except expected:
            continue
        raise AssertionError('the connection was not dropped')


def test_a_lost_response_is_applied_but_never_answered(emulator, cipp):
    token = token_for(emulator)
    cipp.control('faults', {'rules': [{'endpoint': 'ExecDisableUser', 'kind': 'lost_response', 'count': 1}]})
    user = cipp.call('ListUsers', params={'tenantFilter': 'contoso.com'})[1][5]
    try:
        requests.post(emulator.url + '/api/ExecDisableUser', headers={'Authorization': 'Bearer ' + token}, timeout=5,
                      json={'tenantFilter': 'contoso.com', 'ID': user['id'], 'Enable': not user['accountEnabled']})
    except requests.exceptions.ConnectionError:
        pass
    else:
        raise AssertionError('a response came back')
    after = cipp.call('ListUsers', params={'tenantFilter': 'contoso.com', 'UserID': user['id']})[1][0]
    assert after['accountEnabled'] is (not user['accountEnabled'])
    entry = cipp.log()[-2]
    assert entry['fault'] == 'lost_response' and entry['applied'] is True


def test_random_faults_are_deterministic_and_bounded(emulator, cipp):
    cipp.control('faults', {'random': {'probability': 0.5, 'kinds': ['503'], 'seed': 7, 'endpoints': ['ListTenants']}})
    token = token_for(emulator)
    first = [_raw_get(emulator, token).status_code for _attempt in range(20)]
    cipp.control('faults', {'random': {'probability': 0.5, 'kinds': ['503'], 'seed': 7, 'endpoints': ['ListTenants']}})
    second = [_raw_get(emulator, token).status_code for _attempt in range(20)]
    assert first == second and set(first) == {200, 503}


def test_batch_runs_each_request_through_the_router(emulator, cipp):
    status, body, _ctype = cipp.call('$batch', 'POST', body={'requests': [
        {'id': '1', 'url': 'ListTenants', 'method': 'GET'},
        {'id': '2', 'url': 'ListUsers?tenantFilter=contoso.com', 'method': 'GET'},
        {'id': '3', 'url': 'ListNothing', 'method': 'GET'}]})
    assert status == 200
    answers = dict((item['id'], item) for item in body['responses'])
    assert answers["1"]["status"] == 200 and len(answers["1"]["body"]) == 5
    assert answers['2']['status'] == 200 and len(answers['2']['body']) > 20
    assert answers['3']['status'] == 404
    too_many = cipp.call('$batch', 'POST', body={'requests': [{'id': str(n), 'url': 'ListTenants'} for n in range(21)]})
    assert too_many[0] == 400
    readonly = Client(emulator, 'readonly')
    denied = readonly.call('$batch', 'POST', body={'requests': [{'id': '1', 'url': 'ExecDisableUser', 'method': 'POST',
                                                                 'body': {'tenantFilter': 'contoso.com', 'ID': 'x'}}]})
    assert denied[1]['responses'][0]['status'] == 403


def test_reset_restores_the_seed(cipp):
    cipp.call('RemoveUser', 'POST', body={'tenantFilter': 'contoso.com', 'ID': cipp.call('ListUsers', params={'tenantFilter': 'contoso.com'})[1][3]['id']})
    before = len(cipp.call('ListUsers', params={'tenantFilter': 'contoso.com'})[1])
    cipp.control('reset', {'seed': 'default'})
    assert len(cipp.call('ListUsers', params={'tenantFilter': 'contoso.com'})[1]) == before + 1


def test_large_estate_builds_fast():
    from cipp_emulator.seed import build_state  # pylint: disable=import-error
    started = time.time()
    state = build_state('large:500:50')
    assert len(state.tenants) == 500 and all(len(t.users) >= 50 for t in state.tenants.values())
    assert time.time() - started < 20


def test_the_server_listens_on_loopback_only(emulator):
    assert emulator.url.startswith('http://127.0.0.1:')
    host, port = emulator.server.server_address[:2]
    with socket.create_connection((host, port), timeout=2):
        pass
