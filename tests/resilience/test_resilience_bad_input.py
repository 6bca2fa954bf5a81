# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad module arguments, generated: every case must end in a clean failure that names the option, with no
traceback and no write sent to CIPP.

The real action plugins run in-process (the controller fast path: ArgumentSpecValidator, then the resource
function, exactly as a task would), against the emulator over HTTP. An ansible-playbook run per example would
take half a second; this takes a few milliseconds, so hypothesis can try hundreds of inputs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import os
import tempfile
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from emulator_env import cipp_environment  # pylint: disable=import-error
from resilience_utils import api_writes, control  # pylint: disable=import-error

from ansible_collections.msp.cipp.plugins.module_utils._iso3166 import ALPHA2

TENANT = 'contoso.com'
SETTINGS = settings(max_examples=int(os.environ.get('MSP_CIPP_HYPOTHESIS_EXAMPLES', '150')), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# ------------------------------------------------------------------------------------------- running a task in-process


def run_task(module, args, connection):
    """What the task `msp.cipp.<module>: args` returns on the fast path (the real action plugin, no worker)."""
    plugin_module = importlib.import_module('ansible_collections.msp.cipp.plugins.action.%s' % module)
    task = SimpleNamespace(args=dict(connection, **args), async_val=0, check_mode=False, action='msp.cipp.%s' % module)
    connection_plugin = SimpleNamespace(_load_name='local', _shell=SimpleNamespace(tmpdir=tempfile.gettempdir()))
    play_context = SimpleNamespace(check_mode=False, diff=False)
    plugin = plugin_module.ActionModule(task, connection_plugin, play_context, loader=None, templar=None)
    return plugin.run(task_vars={})


@pytest.fixture(scope='module')
def target(emulator_session, tmp_path_factory):
    """The emulator (reset once: bad input must not change it) and the connection options of its editor client."""
    control(emulator_session, 'POST', 'reset')
    environment = cipp_environment(emulator_session.url, str(tmp_path_factory.mktemp('tokens')))
    connection = {'api_url': environment['CIPP_API_URL'], 'client_id': environment['CIPP_CLIENT_ID'],
                  'client_secret': environment['CIPP_CLIENT_SECRET'], 'token_url': environment['CIPP_TOKEN_URL'],
                  'token_cache': environment['CIPP_TOKEN_CACHE'], 'max_retries': 0}
    with emulator_session.state.lock:
        tenant = next(t for t in emulator_session.state.tenants.values() if t.default_domain == TENANT)
        user = sorted((u for u in tenant.users.values() if u.get('accountEnabled') and u.get('assignedLicenses')
                       and not u.get('onPremisesSyncEnabled') and not u.get('_isAdmin')), key=lambda u: u['userPrincipalName'])[0]
    return SimpleNamespace(emulator=emulator_session, connection=connection, upn=user['userPrincipalName'])


def assert_clean_failure(target, module, args, options):
    """Run the task; it must fail with a message naming one of ``options``, send no write, and not crash."""
    control(target.emulator, 'POST', 'log/clear')
    try:
        result = run_task(module, args, target.connection)  # anything but a clean result raises here, with its traceback
    finally:
        written = api_writes(control(target.emulator, 'GET', 'log'))
        if written:
            # Undo it, so hypothesis shrinks this failure instead of tripping over its leftovers.
            control(target.emulator, 'POST', 'reset')
    message = str(result.get('msg'))
    assert result.get('failed') is True, (module, args, result)
    assert any(option in message for option in options), 'the message does not name %s: %s' % (' or '.join(options), message)
    assert 'Traceback' not in message and 'exception' not in result, result
    assert written == [], 'bad input reached CIPP as a write: %s' % [(e['endpoint'], e['params']) for e in written]


# ------------------------------------------------------------------------------------------- what bad input looks like

LOCAL = st.text(alphabet='abcdefghijklmnopqrstuvwxyz0123456789.-_', min_size=1, max_size=20).filter(
    lambda s: not s.startswith('.') and not s.endswith('.') and '..' not in s)
NOT_ASCII = st.characters(min_codepoint=0x80, max_codepoint=0x2FFF, blacklist_categories=('Cs', 'Cc', 'Zs', 'Zl', 'Zp'))

MALFORMED_UPNS = st.one_of(
    st.text(max_size=40).filter(lambda s: '@' not in s),                                  # no @ at all
    st.builds('{}@{}@{}'.format, LOCAL, LOCAL, st.just(TENANT)),                          # two @
    st.builds('{} {}@{}'.format, LOCAL, LOCAL, st.just(TENANT)),                          # a space
    st.builds('{}@'.format, LOCAL),                                                       # no domain
    st.builds('@{}'.format, st.just(TENANT)),                                             # no user name
    st.builds('{}@{}'.format, LOCAL, st.sampled_from(['contoso', '-contoso.com', 'contoso..com', 'contoso.com.', '.com'])),
    st.builds('{}{}{}@{}'.format, LOCAL, NOT_ASCII, LOCAL, st.just(TENANT)),              # unicode in the user name
    st.builds('{}.@{}'.format, LOCAL, st.just(TENANT)),                                   # a dot right before @
    st.builds('{}@{}'.format, st.text(alphabet='abc', min_size=65, max_size=300), st.just(TENANT)),  # too long
    st.builds('{}{}@{}'.format, LOCAL, st.sampled_from(list('()<>[]\\,;:"%&*+=?/{}|$ ')), st.just(TENANT)),
)
BAD_COUNTRIES = st.one_of(
    st.text(min_size=1, max_size=6),
    st.sampled_from(['USA', 'UK', 'XX', 'ZZ', 'EU', 'United Kingdom', 'G B', '12', 'NLD']),
).filter(lambda s: s.strip() and s.upper() not in ALPHA2)
HUGE = st.text(min_size=257, max_size=2000).filter(lambda s: s.strip())
PROFILE_TEXT = st.sampled_from(['display_name', 'given_name', 'surname', 'job_title', 'department', 'company_name', 'city',
                                'street_address', 'postal_code', 'country', 'mobile_phone', 'office_location'])
NOT_BOOL = st.one_of(st.sampled_from(['maybe', 'enabled?', '2', 'ja', 'nope', '']), st.lists(st.booleans(), min_size=1, max_size=3),
                     st.dictionaries(st.text(max_size=3), st.booleans(), min_size=1, max_size=2))
NOT_DICT = st.one_of(st.text(alphabet='abcdefghij ', min_size=1, max_size=20).filter(lambda s: '=' not in s and s.strip()),
                     st.lists(st.text(max_size=5), min_size=1, max_size=3), st.integers())
NOT_INT = st.one_of(st.text(alphabet='abcxyz!', min_size=1, max_size=8), st.lists(st.integers(), min_size=1, max_size=2))


# ------------------------------------------------------------------------------------------- cipp_user

@SETTINGS
@given(upn=MALFORMED_UPNS)
def test_malformed_user_principal_names(target, upn):
    assert_clean_failure(target, 'cipp_user', {'tenant': TENANT, 'user_principal_name': upn, 'display_name': 'X'},
                         ['user_principal_name'])


@SETTINGS
@given(country=BAD_COUNTRIES, new=st.booleans())
def test_bad_usage_locations(target, country, new):
    upn = 'brand.new@contoso.com' if new else target.upn
    assert_clean_failure(target, 'cipp_user', {'tenant': TENANT, 'user_principal_name': upn, 'usage_location': country},
                         ['usage_location'])


@SETTINGS
@given(option=PROFILE_TEXT, value=HUGE, new=st.booleans())
def test_huge_strings(target, option, value, new):
    upn = 'brand.new@contoso.com' if new else target.upn
    assert_clean_failure(target, 'cipp_user', {'tenant': TENANT, 'user_principal_name': upn, option: value}, [option])


# A no_log value is masked wherever it appears in the output, the message included (as AnsibleModule does): a
# password such as 'o' or 'ss' turns the word "password" itself into asterisks. Such passwords fail cleanly too,
# but the message cannot be checked for the option's name, so they are left out.
WEAK_PASSWORDS = st.one_of(
    st.text(max_size=7),                                                        # too short
    st.text(min_size=257, max_size=400),                                        # too long
    st.text(alphabet='abcdefghijklmnop', min_size=8, max_size=40),              # one kind of character
    st.text(alphabet='abcdefgh12345678', min_size=8, max_size=40),              # two kinds
).filter(lambda password: password not in 'password')


@SETTINGS
@given(password=WEAK_PASSWORDS, new=st.booleans())
def test_passwords_entra_would_refuse(target, password, new):
    upn = 'brand.new@contoso.com' if new else target.upn
    args = {'tenant': TENANT, 'user_principal_name': upn, 'password': password, 'update_password': 'always'}
    assert_clean_failure(target, 'cipp_user', args, ['password'])


@SETTINGS
@given(case=st.one_of(
    st.tuples(st.just('account_enabled'), NOT_BOOL),
    st.tuples(st.just('must_change_password'), NOT_BOOL),
    st.tuples(st.just('licenses'), NOT_DICT),
    st.tuples(st.just('groups'), NOT_DICT),
    st.tuples(st.just('state'), st.text(max_size=10).filter(lambda s: s not in ('present', 'absent'))),
    st.tuples(st.just('update_password'), st.text(max_size=10).filter(lambda s: s not in ('on_create', 'always'))),
    st.tuples(st.just('timeout'), NOT_INT),
))
def test_wrong_types(target, case):
    option, value = case
    assert_clean_failure(target, 'cipp_user', {'tenant': TENANT, 'user_principal_name': target.upn, option: value}, [option])


@SETTINGS
@given(case=st.one_of(
    st.tuples(st.just('cipp_mfa'), st.just('temporary_access_pass'),
              st.one_of(st.integers(), st.floats(), st.booleans(), st.lists(st.integers(), min_size=1))),
    st.tuples(st.just('cipp_mfa'), st.just('send_push'), NOT_BOOL),
    st.tuples(st.just('cipp_mailbox'), st.just('out_of_office'), NOT_DICT),
    st.tuples(st.just('cipp_mailbox'), st.just('inbox_rules'), NOT_DICT),
    st.tuples(st.just('cipp_mailbox'), st.just('hidden_from_gal'), NOT_BOOL),
    st.tuples(st.just('cipp_offboard'), st.just('poll_interval'), NOT_INT),
    st.tuples(st.just('cipp_offboard'), st.just('notify'), st.lists(st.text(max_size=8).filter(
        lambda s: s not in ('webhook', 'email', 'psa')), min_size=1, max_size=3)),
))
def test_wrong_types_in_other_modules(target, case):
    module, option, value = case
    args = {'cipp_mfa': {'per_user_state': 'enforced'}, 'cipp_mailbox': {'archive': True},
            'cipp_offboard': {'disable_sign_in': True}}[module]
    assert_clean_failure(target, module, dict(args, tenant=TENANT, user=target.upn, **{option: value}), [option])


CONTRADICTIONS = [
    ('cipp_user', {'state': 'absent', 'job_title': 'Leaver'}, ['job_title']),
    ('cipp_user', {'state': 'absent', 'licenses': {'add': ['SPB']}}, ['licenses']),
    ('cipp_user', {'update_password': 'always'}, ['password']),
    ('cipp_user', {'licenses': {}}, ['licenses']),
    ('cipp_user', {'groups': {'add': None}}, ['groups']),
    ('cipp_user', {'manager': ''}, ['manager']),
    ('cipp_user', {'manager': 'not a user'}, ['manager']),
    ('cipp_user', {'display_name': ''}, ['display_name']),
    ('cipp_user', {'id': 'not-a-guid'}, ['id']),
    ('cipp_offboard', {'delete_user': True, 'convert_to_shared': True}, ['delete_user']),
    ('cipp_offboard', {'forward_to': 'boss@contoso.com', 'disable_forwarding': True}, ['forward_to']),
    ('cipp_offboard', {'keep_copy': True, 'disable_sign_in': True}, ['keep_copy']),
    ('cipp_offboard', {'forward_to': 'nobody', 'disable_sign_in': True}, ['forward_to']),
    ('cipp_offboard', {'disable_sign_in': True, 'wait_timeout': 0}, ['wait_timeout']),
    ('cipp_offboard', {'disable_sign_in': True, 'scheduled_at': 'next tuesday'}, ['scheduled_at']),
    ('cipp_offboard', {}, ['step', 'disable_sign_in']),
    ('cipp_mfa', {'return_secret': True}, ['return_secret']),
    ('cipp_mfa', {}, ['per_user_state']),
    ('cipp_mfa', {'temporary_access_pass': {'lifetime_minutes': 5}}, ['lifetime_minutes']),
    ('cipp_mfa', {'temporary_access_pass': {'lifetime_minutes': 60, 'start': 'soon'}}, ['start']),
    ('cipp_mfa', {'per_user_state': 'Sometimes'}, ['per_user_state']),
    ('cipp_user_action', {'action': 'revoke_sessions', 'return_password': True}, ['return_password']),
    ('cipp_user_action', {'action': 'explode'}, ['action']),
    ('cipp_mailbox', {'mailbox_type': 'shared', 'out_of_office': {'state': 'scheduled'}}, ['out_of_office', 'start']),
]


@pytest.mark.parametrize('module,args,options', CONTRADICTIONS, ids=['%s-%s' % (m, '-'.join(sorted(a)) or 'nothing') for m, a, _o in CONTRADICTIONS])
def test_contradictory_or_incomplete_options(target, module, args, options):
    identity = {'user_principal_name': target.upn} if module == 'cipp_user' else {'user': target.upn}
    if 'id' in args:
        identity = {}
    assert_clean_failure(target, module, dict(identity, tenant=TENANT, **args), options)


@SETTINGS
@given(module=st.sampled_from(['cipp_mfa', 'cipp_offboard', 'cipp_user_action', 'cipp_mailbox', 'cipp_bec']), upn=MALFORMED_UPNS)
def test_malformed_user_identities_in_other_modules(target, module, upn):
    args = {'cipp_mfa': {'per_user_state': 'enforced'}, 'cipp_offboard': {'disable_sign_in': True},
            'cipp_user_action': {'action': 'revoke_sessions'}, 'cipp_mailbox': {'hidden_from_gal': True},
            'cipp_bec': {'steps': ['disable_sign_in']}}[module]
    assert_clean_failure(target, module, dict(args, tenant=TENANT, user=upn), ['user'])


# ------------------------------------------------------------------------------------------- cipp_users

@SETTINGS
@given(position=st.integers(min_value=0, max_value=3), case=st.one_of(
    st.tuples(st.just('user_principal_name'), MALFORMED_UPNS),
    st.tuples(st.just('usage_location'), BAD_COUNTRIES),
    st.tuples(st.just('licenses'), NOT_DICT),
    st.tuples(st.just('account_enabled'), NOT_BOOL),
    st.tuples(st.just('password'), WEAK_PASSWORDS),
))
def test_one_bad_entry_in_a_roster_stops_the_whole_roster(target, position, case):
    """Bad input anywhere in the list: the task fails naming that entry's option, and nobody is created."""
    option, value = case
    users = [{'user_principal_name': 'roster.%d@contoso.com' % number, 'usage_location': 'GB'} for number in range(4)]
    users[position][option] = value
    assert_clean_failure(target, 'cipp_users', {'tenant': TENANT, 'users': users}, [option])
