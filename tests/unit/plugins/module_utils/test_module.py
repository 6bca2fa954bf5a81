# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module.py: ``finish()`` (what a user finally sees) and CippModule run as a real AnsibleModule.

CippModule tests feed module arguments the way Ansible does (``patch_module_args`` on
ansible-core >= 2.19), let exit_json/fail_json print their JSON, and read that JSON back. The client
inside talks HTTP to the fake CIPP server, so secrets in the output come from real responses.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.msp.cipp.plugins.module_utils._common import MASK, RETURNED_SECRETS
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippResultError
from ansible_collections.msp.cipp.plugins.module_utils._module import CONNECTION_ARGSPEC, CippModule, finish

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19: the documented way was to set basic._ANSIBLE_ARGS
    @contextlib.contextmanager
    def patch_module_args(args):
        old = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = old

TENANT = 'contoso.onmicrosoft.com'
UPN = 'jdoe@contoso.com'
USER_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'
TAP = 'Kp8#mZ2qR9tt'
CONNECTION_ENV = ('CIPP_API_URL', 'CIPP_CLIENT_ID', 'CIPP_CLIENT_SECRET', 'CIPP_AUTH_TENANT_ID', 'CIPP_TOKEN_URL',
                  'CIPP_ACCESS_TOKEN', 'CIPP_VALIDATE_CERTS', 'CIPP_TIMEOUT', 'CIPP_MAX_RETRIES', 'CIPP_TOKEN_CACHE')

TAP_RESPONSE = {'Results': [
    {'resultText': 'The TAP for %s is %s - This TAP is usable for the next 60 minutes' % (UPN, TAP), 'userId': USER_ID,
     'copyField': TAP, 'temporaryAccessPass': TAP, 'lifetimeInMinutes': 60, 'state': 'success'}]}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No CIPP_* variable from the developer's shell may leak into a test."""
    for name in CONNECTION_ENV:
        monkeypatch.delenv(name, raising=False)


def module_args(cipp, **extra):
    args = dict(api_url=cipp.fake.url, client_id=cipp.client_id, client_secret=cipp.client_secret,
                token_url=cipp.fake.token_url, token_cache=cipp.token_dir, tenant=TENANT)
    args.update(extra)
    return args


def run_module(args, resource, capsys, argument_spec=None):
    """Run CippModule(...).run(resource) like Ansible would; return (exit code, parsed JSON output)."""
    spec = argument_spec or dict(tenant=dict(type='str', required=True))
    with patch_module_args(args):
        module = CippModule(argument_spec=spec)
        with pytest.raises(SystemExit) as exited:
            module.run(resource)
    output = capsys.readouterr().out
    return exited.value.code, json.loads(output), output


# ================================================================================== finish()

class TestFinish:

    def test_known_secrets_are_masked_everywhere(self, cipp):
        cipp.fake.reply('ExecCreateTAP', cipp.Reply(200, TAP_RESPONSE))
        client = cipp.client()
        body = client.call('ExecCreateTAP', {'ID': UPN}, tenant=TENANT)
        token = cipp.fake.issued_tokens[0]
        result = finish({'changed': True, 'response': body, 'note': 'TAP %s for %s' % (TAP, UPN),
                         'nested': [{'deep': 'token was %s' % token}]}, client, want_diff=False)
        dumped = json.dumps(result)
        assert TAP not in dumped and token not in dumped and cipp.client_secret not in dumped
        assert result['note'] == 'TAP %s for %s' % (MASK, UPN)
        assert result['changed'] is True

    def test_returned_secrets_are_kept_and_the_marker_removed(self, cipp):
        cipp.fake.reply('ExecCreateTAP', cipp.Reply(200, TAP_RESPONSE))
        client = cipp.client()
        client.call('ExecCreateTAP', {'ID': UPN}, tenant=TENANT)
        result = finish({'changed': True, 'temporary_access_pass': TAP, 'message': 'created %s' % TAP,
                         RETURNED_SECRETS: ['temporary_access_pass']}, client, want_diff=False)
        assert result['temporary_access_pass'] == TAP
        assert result['message'] == 'created %s' % MASK
        assert RETURNED_SECRETS not in result

    def test_only_listed_keys_are_kept(self, cipp):
        client = cipp.client(check_mode=True)
        result = finish({'password': 'Pl@in-Passw0rd', 'temporary_access_pass': 'Tap-12345',
                         RETURNED_SECRETS: ['temporary_access_pass']}, client, want_diff=False)
        assert result['password'] == MASK
        assert result['temporary_access_pass'] == 'Tap-12345'

    def test_call_log_is_attached_and_masked(self, cipp):
        cipp.fake.reply('ExecCreateTAP', cipp.Reply(200, TAP_RESPONSE))
        client = cipp.client()
        client.call('ExecCreateTAP', {'ID': UPN}, tenant=TENANT)
        client.call('ListUsers', {'note': 'after %s' % TAP}, tenant=TENANT)
        result = finish({'changed': True}, client, want_diff=False)
        # ListTenants: the tenant is checked before the first write.
        assert [call['endpoint'] for call in result['cipp_calls']] == ['ListTenants', 'ExecCreateTAP', 'ListUsers']
        assert TAP not in json.dumps(result['cipp_calls'])

    def test_diff_only_when_asked(self, cipp):
        client = cipp.client(check_mode=True)
        result = {'changed': True, 'diff': {'before': {'a': 1}, 'after': {'a': 2}}}
        assert 'diff' not in finish(result, client, want_diff=False)
        assert finish(result, client, want_diff=True)['diff'] == {'before': {'a': 1}, 'after': {'a': 2}}
        # finish() works on a copy: the resource's dict is left alone.
        assert 'diff' in result

    def test_changed_defaults_to_false_and_no_client_is_fine(self):
        result = finish({'msg': 'bad option', 'password': 'Pl@in-Passw0rd'}, None, want_diff=False)
        assert result == {'msg': 'bad option', 'password': MASK, 'changed': False}

    def test_graph_fields_that_merely_mention_password_or_token_are_kept(self):
        user = {'userPrincipalName': UPN, 'passwordPolicies': 'DisablePasswordExpiration',
                'refreshTokensValidFromDateTime': '2026-11-20T10:00:00Z'}
        sign_in = {'tokenIssuerType': 'AzureAD', 'incomingTokenType': 'none', 'tokenIssuerName': ''}
        result = finish({'users': [user], 'sign_ins': [sign_in]}, None, want_diff=False)
        assert result['users'] == [user]
        assert result['sign_ins'] == [sign_in]


# ================================================================================== CippModule

class TestCippModule:

    def test_connection_options_are_merged_and_secrets_no_log(self):
        assert CONNECTION_ARGSPEC['client_secret']['no_log'] is True
        assert CONNECTION_ARGSPEC['access_token']['no_log'] is True

    def test_read_result_with_call_log(self, cipp, capsys):
        cipp.fake.reply('ListUsers', cipp.Reply(200, [{'id': USER_ID, 'userPrincipalName': UPN}]))

        def resource(client, params, check_mode):
            return {'users': client.call('ListUsers', tenant=params['tenant'])}

        code, result, _unused = run_module(module_args(cipp), resource, capsys)
        assert code == 0
        assert result['changed'] is False
        assert result['users'] == [{'id': USER_ID, 'userPrincipalName': UPN}]
        assert [(call['endpoint'], call['sent'], call['status']) for call in result['cipp_calls']] == [('ListUsers', True, 200)]
        assert 'diff' not in result

    def test_check_mode_plans_writes_and_sends_none(self, cipp, capsys):
        def resource(client, params, check_mode):
            assert check_mode is True and client.check_mode is True
            client.call('ListUsers', tenant=params['tenant'])
            client.write('ExecDisableUser', {'ID': UPN, 'Enable': False}, tenant=params['tenant'])
            return {'changed': True, 'diff': {'before': {'enabled': True}, 'after': {'enabled': False}}}

        code, result, _unused = run_module(module_args(cipp, _ansible_check_mode=True, _ansible_diff=True), resource, capsys)
        assert code == 0
        assert result['changed'] is True
        assert result['diff'] == {'before': {'enabled': True}, 'after': {'enabled': False}}
        planned = [(call['endpoint'], call['sent']) for call in result['cipp_calls']]
        assert planned == [('ListUsers', True), ('ListTenants', True), ('ExecDisableUser', False)]
        assert cipp.fake.requests_to('ExecDisableUser') == []

    def test_diff_is_dropped_without_diff_mode(self, cipp, capsys):
        def resource(client, params, check_mode):
            return {'changed': True, 'diff': {'before': {}, 'after': {'x': 1}}}

        _unused, result, _unused = run_module(module_args(cipp), resource, capsys)
        assert 'diff' not in result

    def test_secrets_in_output_are_masked_except_returned_keys(self, cipp, capsys):
        cipp.fake.reply('ExecCreateTAP', cipp.Reply(200, TAP_RESPONSE))

        def resource(client, params, check_mode):
            body = client.call('ExecCreateTAP', {'ID': UPN}, tenant=params['tenant'])
            token = cipp.fake.issued_tokens[0]
            return {'changed': True, 'temporary_access_pass': body['Results'][0]['copyField'],
                    'message': body['Results'][0]['resultText'], 'debug': 'Bearer %s' % token,
                    'token_echo': token, RETURNED_SECRETS: ['temporary_access_pass']}

        code, result, output = run_module(module_args(cipp), resource, capsys)
        assert code == 0
        assert result['temporary_access_pass'] == TAP
        assert TAP not in result['message'] and MASK in result['message']
        token = cipp.fake.issued_tokens[0]
        # The returned TAP appears exactly once in the whole output: under the key the user asked for.
        assert output.count(TAP) == 1
        assert token not in output
        assert cipp.client_secret not in output
        assert RETURNED_SECRETS not in result

    def test_cipp_errors_fail_with_endpoint_status_and_text(self, cipp, capsys):
        rbac = ("Access to this CIPP API endpoint is not allowed, the 'readonly' base role does not have the required "
                "permission: Identity.User.ReadWrite")
        cipp.fake.reply('ExecDisableUser', cipp.Reply(403, rbac))

        def resource(client, params, check_mode):
            client.call('ExecDisableUser', {'ID': UPN, 'Enable': False}, tenant=params['tenant'])
            return {'changed': True}

        code, result, output = run_module(module_args(cipp), resource, capsys)
        assert code == 1
        assert result['failed'] is True
        assert result['changed'] is False
        assert result['endpoint'] == 'ExecDisableUser'
        assert result['status'] == 403
        assert result['cipp_message'] == rbac
        assert 'ExecDisableUser' in result['msg'] and 'HTTP 403' in result['msg'] and rbac in result['msg']
        assert [call['endpoint'] for call in result['cipp_calls']] == ['ListTenants', 'ExecDisableUser']
        assert cipp.fake.issued_tokens[0] not in output
        assert cipp.client_secret not in output

    def test_failure_messages_are_masked_too(self, cipp, capsys):
        cipp.fake.reply('ExecCreateTAP', cipp.Reply(200, TAP_RESPONSE))

        def resource(client, params, check_mode):
            client.call('ExecCreateTAP', {'ID': UPN}, tenant=params['tenant'])
            raise CippResultError('could not store TAP %s' % TAP, 'EditUser', 200, 'TAP %s rejected' % TAP)

        code, result, output = run_module(module_args(cipp), resource, capsys)
        assert code == 1
        assert TAP not in output
        assert result['msg'] == 'could not store TAP %s' % MASK

    def test_missing_credentials_fail_before_any_request(self, cipp, capsys):
        def resource(client, params, check_mode):  # pragma: no cover - must not run
            raise AssertionError('resource ran without credentials')

        args = module_args(cipp, client_id=None, client_secret=None)
        code, result, _unused = run_module(args, resource, capsys)
        assert code == 1
        assert 'access_token' in result['msg'] and 'client_id' in result['msg']
        assert cipp.fake.received == []

    def test_connection_options_come_from_the_environment(self, cipp, capsys, monkeypatch):
        monkeypatch.setenv('CIPP_API_URL', cipp.fake.url)
        monkeypatch.setenv('CIPP_CLIENT_ID', cipp.client_id)
        monkeypatch.setenv('CIPP_CLIENT_SECRET', cipp.client_secret)
        monkeypatch.setenv('CIPP_TOKEN_URL', cipp.fake.token_url)
        monkeypatch.setenv('CIPP_TOKEN_CACHE', cipp.token_dir)
        monkeypatch.setenv('CIPP_MAX_RETRIES', '0')
        cipp.fake.reply('ListUsers', cipp.Reply(503, 'busy'), cipp.Reply(200, []))

        def resource(client, params, check_mode):
            return {'users': client.call('ListUsers', tenant=params['tenant'])}

        code, result, output = run_module({'tenant': TENANT}, resource, capsys)
        # max_retries=0 from the environment: the 503 is not retried.
        assert code == 1 and result['status'] == 503
        assert len(cipp.fake.token_requests) == 1
        assert len(cipp.fake.requests_to('ListUsers')) == 1
        assert cipp.client_secret not in output

    def test_access_token_option(self, cipp, capsys):
        def resource(client, params, check_mode):
            return {'tenants': client.call('ListTenants')}

        args = module_args(cipp, client_id=None, client_secret=None, token_url=None, access_token='static-bearer-token-1')
        code, result, output = run_module(args, resource, capsys)
        assert code == 0
        assert cipp.fake.token_requests == []
        assert cipp.fake.api_requests[0].bearer == 'static-bearer-token-1'
        assert 'static-bearer-token-1' not in output
