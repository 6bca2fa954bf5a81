# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cipp_tenants inventory plugin, run through Ansible's own InventoryManager against the CIPP emulator.

Nothing is faked: the plugin gets a token from the emulator's token endpoint and reads ListTenants over
HTTP. Expectations come from the emulator's own ListTenants answer (read with the collection's
client), so the tests follow the seed, while still pinning what the default seed is known to hold
(GDAP and direct tenants). Tests that need unusual tenants edit the emulator's in-memory rows and
reset the emulator afterwards.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest
import requests
import yaml

from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.utils.collection_loader import AnsibleCollectionConfig

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
EMULATOR_DIR = os.path.join(REPO, 'tests', 'emulator')
if EMULATOR_DIR not in sys.path:
    sys.path.insert(0, EMULATOR_DIR)

from cipp_emulator import start_emulator  # noqa: E402  (needs the path above)
from cipp_emulator.state import DEFAULT_AUTH_TENANT_ID, DEFAULT_CLIENTS  # noqa: E402

from ansible_collections.msp.cipp.plugins.module_utils._client import CippClient  # noqa: E402
from ansible_collections.msp.cipp.plugins.module_utils._tenants import list_tenants  # noqa: E402

PLUGIN = 'msp.cipp.cipp_tenants'
GDAP = 'granularDelegatedAdminPrivileges'
DIRECT = 'directTenant'
CONNECTION_ENV = ('CIPP_API_URL', 'CIPP_CLIENT_ID', 'CIPP_CLIENT_SECRET', 'CIPP_AUTH_TENANT_ID', 'CIPP_TOKEN_URL',
                  'CIPP_ACCESS_TOKEN', 'CIPP_VALIDATE_CERTS', 'CIPP_TIMEOUT', 'CIPP_MAX_RETRIES', 'CIPP_TOKEN_CACHE')
# The emulator's read-only API client: the plugin documents that CIPP's readonly role is enough.
READER = DEFAULT_CLIENTS['readonly']
HOSTILE_NAME = "Evil {{ lookup('env', 'HOME') }} Ltd"


def _collections_root():
    """The directory above ``ansible_collections`` from which msp.cipp was imported (tests/unit/conftest.py)."""
    import ansible_collections.msp.cipp.plugins.module_utils._client as client_module
    path = os.path.dirname(os.path.abspath(client_module.__file__))
    for _level in range(5):  # module_utils -> plugins -> cipp -> msp -> ansible_collections -> its parent
        path = os.path.dirname(path)
    return path


@pytest.fixture(scope='module', autouse=True)
def collection_loader():
    """InventoryManager finds plugins by FQCN only through Ansible's collection finder; install it once."""
    if AnsibleCollectionConfig.collection_finder is None:
        from ansible.plugins.loader import init_plugin_loader
        init_plugin_loader([_collections_root()])


@pytest.fixture(scope='module')
def emulator():
    handle = start_emulator(seed='default')
    yield handle
    handle.stop()


@pytest.fixture
def fresh_emulator(emulator):
    """The emulator for a test that edits its state: reset to the seed afterwards (and its faults cleared)."""
    yield emulator
    requests.delete('%s/_emulator/faults' % emulator.url, timeout=10).raise_for_status()
    requests.post('%s/_emulator/reset' % emulator.url, timeout=10).raise_for_status()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No CIPP_* or inventory-cache variable from the developer's shell may change a test."""
    for name in CONNECTION_ENV + ('ANSIBLE_INVENTORY_CACHE', 'ANSIBLE_CACHE_PLUGIN', 'ANSIBLE_INVENTORY_CACHE_PLUGIN'):
        monkeypatch.delenv(name, raising=False)


def token_url(emulator):
    return '%s/%s/oauth2/v2.0/token' % (emulator.url, DEFAULT_AUTH_TENANT_ID)


@pytest.fixture
def connection(emulator, tmp_path):
    """Connection options for the emulator's read-only client, with a token cache private to the test."""
    return {
        'api_url': emulator.url,
        'client_id': READER['client_id'],
        'client_secret': READER['client_secret'],
        'auth_tenant_id': DEFAULT_AUTH_TENANT_ID,
        'token_url': token_url(emulator),
        'token_cache': str(tmp_path / 'tokens'),
    }


def read_rows(emulator, token_dir):
    """ListTenants as the emulator answers it, read with the collection's client (the expectation source)."""
    client = CippClient(api_url=emulator.url, client_id=READER['client_id'], client_secret=READER['client_secret'],
                        token_url=token_url(emulator), token_cache=token_dir)
    return list_tenants(client)


@pytest.fixture(scope='module')
def rows(emulator, tmp_path_factory):
    result = read_rows(emulator, str(tmp_path_factory.mktemp('tokens')))
    assert len(result) >= 2, 'the default seed should have several tenants'
    return result


def seed_row(emulator, default_domain):
    """The emulator's own (mutable) ListTenants row of a tenant; edit it only in tests using fresh_emulator."""
    for tenant in emulator.state.tenants.values():
        if tenant.row['defaultDomainName'] == default_domain:
            return tenant.row
    raise AssertionError('no tenant %s in the seed' % default_domain)


def write_source(tmp_path, config, name='emu.cipp_tenants.yml'):
    path = tmp_path / name
    data = dict(plugin=PLUGIN)
    data.update(config)
    path.write_text(yaml.safe_dump(data))
    return str(path)


def load(tmp_path, config, cache=True):
    """An InventoryManager over one cipp_tenants source; fails the test if the source did not parse.

    (InventoryManager turns a plugin's error into a warning and an empty inventory, so this checks that
    the plugin's own group exists.)
    """
    source = write_source(tmp_path, config)
    manager = InventoryManager(loader=DataLoader(), sources=[source], cache=cache)
    assert 'cipp_tenants' in manager.groups, 'the cipp_tenants source did not parse'
    return manager


def parse_directly(tmp_path, config):
    """Run the plugin's parse() itself, so its errors surface instead of becoming InventoryManager warnings."""
    from ansible.plugins.loader import inventory_loader
    source = write_source(tmp_path, config)
    plugin = inventory_loader.get(PLUGIN)
    assert plugin.verify_file(source)
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), source, cache=False)
    return inventory


def hostnames(manager, group='cipp_tenants'):
    assert group in manager.groups, 'no group %s; groups: %s' % (group, sorted(manager.groups))
    return sorted(host.name for host in manager.groups[group].get_hosts())


def names_of(rows, field='defaultDomainName', where=lambda row: True):
    return sorted(row[field].lower() for row in rows if where(row))


def host_vars(manager, name):
    return manager.get_host(name).get_vars()


def request_log(emulator):
    response = requests.get('%s/_emulator/log' % emulator.url, timeout=10)
    response.raise_for_status()
    return response.json()


def trusted(template):
    """A template as a playbook would hold it (ansible-core >= 2.19 only templates trusted strings)."""
    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core < 2.19: every plain string is a template
        return template
    return trust_as_template(template)


def is_trusted(value):
    """Whether Ansible would template this string: ansible-core >= 2.19 tags trust, older cores mark the opposite."""
    try:
        from ansible.template import is_trusted_as_template
    except ImportError:  # ansible-core < 2.19
        from ansible.utils.unsafe_proxy import AnsibleUnsafe
        return not isinstance(value, AnsibleUnsafe)
    return is_trusted_as_template(value)


# ---------------------------------------------------------------------- hosts and host variables

def test_every_tenant_becomes_a_host_named_by_default_domain(tmp_path, connection, rows):
    manager = load(tmp_path, connection)

    assert hostnames(manager) == names_of(rows)
    assert 'contoso.com' in hostnames(manager)
    assert not [name for name in hostnames(manager) if 'alltenants' in name]


def test_hostvars_carry_the_tenant_and_relationship_data(tmp_path, connection, rows):
    manager = load(tmp_path, connection)

    for row in rows:
        hostvars = host_vars(manager, row['defaultDomainName'].lower())
        assert hostvars['cipp_tenant_id'] == row['customerId']
        assert hostvars['cipp_display_name'] == row['displayName']
        assert hostvars['cipp_default_domain'] == row['defaultDomainName']
        assert hostvars['cipp_initial_domain'] == row['initialDomainName']
        assert hostvars['cipp_delegated_privilege_status'] == row['delegatedPrivilegeStatus']
        assert hostvars['cipp_relationship_end'] == row['relationshipEnd']
        assert hostvars['cipp_relationship_count'] == row['relationshipCount']
        assert hostvars['cipp_has_auto_extend'] is row['hasAutoExtend']
        assert hostvars['cipp_graph_error_count'] == row['GraphErrorCount']
        assert hostvars['cipp_last_graph_error'] == row['LastGraphError']
        assert hostvars['ansible_connection'] == 'local'
        assert hostvars['ansible_python_interpreter'] == '{{ ansible_playbook_python }}'


def test_hostvars_are_normalised_from_loose_table_values(tmp_path, connection, fresh_emulator):
    """Azure table entities may carry numbers and booleans as strings, and empty dates as ''."""
    row = seed_row(fresh_emulator, 'contoso.com')
    row.update(relationshipCount='2', hasAutoExtend='False', GraphErrorCount='3', relationshipEnd='', LastGraphError=None)

    hostvars = host_vars(load(tmp_path, connection), 'contoso.com')

    assert hostvars['cipp_relationship_count'] == 2
    assert hostvars['cipp_has_auto_extend'] is False
    assert hostvars['cipp_graph_error_count'] == 3
    assert hostvars['cipp_relationship_end'] is None
    assert hostvars['cipp_last_graph_error'] == ''


def test_python_interpreter_is_templated_to_the_controller_python(tmp_path, connection):
    hostvars = host_vars(load(tmp_path, connection), 'contoso.com')

    assert is_trusted(hostvars['ansible_python_interpreter'])
    templar = Templar(loader=DataLoader(), variables=dict(hostvars, ansible_playbook_python=sys.executable))
    # No trusted() here: the plugin itself must have marked its interpreter template as trusted.
    assert templar.template(hostvars['ansible_python_interpreter']) == sys.executable


def test_python_interpreter_can_be_left_alone(tmp_path, connection):
    manager = load(tmp_path, dict(connection, set_python_interpreter=False))

    assert 'ansible_python_interpreter' not in host_vars(manager, 'contoso.com')


def test_api_strings_are_marked_unsafe_and_never_templated(tmp_path, connection, fresh_emulator):
    """A display name holding Jinja must come out literally: it is data from an API, not a template."""
    seed_row(fresh_emulator, 'contoso.com')['displayName'] = HOSTILE_NAME

    hostvars = host_vars(load(tmp_path, connection), 'contoso.com')

    assert hostvars['cipp_display_name'] == HOSTILE_NAME
    for name, value in hostvars.items():
        if name.startswith('cipp_') and isinstance(value, str):
            assert not is_trusted(value), '%s is trusted as a template' % name
    templar = Templar(loader=DataLoader(), variables=hostvars)
    assert templar.template(trusted('{{ cipp_display_name }}')) == HOSTILE_NAME


# ---------------------------------------------------------------------- groups and constructed options

def test_default_groups_follow_the_delegation_type(tmp_path, connection, rows):
    manager = load(tmp_path, connection)

    gdap = names_of(rows, where=lambda row: row['delegatedPrivilegeStatus'] == GDAP)
    direct = names_of(rows, where=lambda row: row['delegatedPrivilegeStatus'] == DIRECT)
    assert gdap and direct, 'the default seed should have both GDAP and direct tenants'
    assert hostnames(manager, 'cipp_gdap') == gdap
    assert hostnames(manager, 'cipp_direct') == direct


def test_keyed_groups_on_delegation_status(tmp_path, connection, rows):
    config = dict(connection, keyed_groups=[{'key': 'cipp_delegated_privilege_status', 'prefix': 'status'}])

    manager = load(tmp_path, config)

    for status in (GDAP, DIRECT):
        expected = names_of(rows, where=lambda row, status=status: row['delegatedPrivilegeStatus'] == status)
        assert expected
        assert hostnames(manager, 'status_%s' % status) == expected


def test_compose_and_conditional_groups(tmp_path, connection, rows):
    config = dict(connection,
                  compose={'tenant': 'cipp_default_domain', 'label': "cipp_display_name ~ ' (' ~ cipp_tenant_id ~ ')'"},
                  groups={'renewing': 'cipp_has_auto_extend'})

    manager = load(tmp_path, config)

    for row in rows:
        hostvars = host_vars(manager, row['defaultDomainName'].lower())
        assert hostvars['tenant'] == row['defaultDomainName']
        assert hostvars['label'] == '%s (%s)' % (row['displayName'], row['customerId'])
    assert hostnames(manager, 'renewing') == names_of(rows, where=lambda row: row['hasAutoExtend'])


def test_strict_turns_a_broken_compose_into_an_error(tmp_path, connection):
    config = dict(connection, strict=True, compose={'broken': 'no_such_variable.attribute'})

    with pytest.raises(AnsibleError, match='no_such_variable'):
        parse_directly(tmp_path, config)


def test_without_strict_a_broken_compose_is_skipped(tmp_path, connection, rows):
    manager = load(tmp_path, dict(connection, compose={'broken': 'no_such_variable.attribute'}))

    assert hostnames(manager) == names_of(rows)
    assert 'broken' not in host_vars(manager, 'contoso.com')


# ---------------------------------------------------------------------- filters and host names

def test_include_patterns_match_any_name_or_id_without_case(tmp_path, connection, rows):
    first, second, third = rows[0], rows[1], rows[2]
    patterns = [first['displayName'].upper(),                       # display name, other case
                second['customerId'][:8].upper() + '*',             # tenant id prefix
                '%s*' % third['initialDomainName'].split('.')[0]]   # initial domain wildcard

    manager = load(tmp_path, dict(connection, include_tenants=patterns))

    assert hostnames(manager) == names_of([first, second, third])


def test_exclude_wins_over_include(tmp_path, connection, rows):
    excluded = rows[0]
    config = dict(connection, include_tenants=['*'], exclude_tenants=[excluded['initialDomainName'].upper()])

    manager = load(tmp_path, config)

    assert hostnames(manager) == names_of(rows[1:])


def test_exclude_with_graph_errors(tmp_path, connection, fresh_emulator):
    row = seed_row(fresh_emulator, 'contoso.com')
    row.update(GraphErrorCount=4, LastGraphError='AADSTS50020: no GDAP relationship')
    rows = read_rows(fresh_emulator, str(tmp_path / 'expect-tokens'))

    kept = load(tmp_path, connection)
    left_out = load(tmp_path, dict(connection, exclude_with_graph_errors=True))

    assert host_vars(kept, 'contoso.com')['cipp_last_graph_error'] == 'AADSTS50020: no GDAP relationship'
    assert hostnames(left_out) == names_of(rows, where=lambda row: row['defaultDomainName'] != 'contoso.com')


@pytest.mark.parametrize('choice, field', [('default_domain', 'defaultDomainName'),
                                           ('initial_domain', 'initialDomainName'),
                                           ('tenant_id', 'customerId')])
def test_hostname_choices(tmp_path, connection, rows, choice, field):
    manager = load(tmp_path, dict(connection, hostname=choice))

    assert hostnames(manager) == names_of(rows, field)
    row = rows[0]
    assert host_vars(manager, row[field].lower())['cipp_tenant_id'] == row['customerId']


def test_hostname_falls_back_when_the_tenant_lacks_the_chosen_name(tmp_path, connection, fresh_emulator):
    row = seed_row(fresh_emulator, 'contoso.com')
    initial = row['initialDomainName']
    row['defaultDomainName'] = ''

    manager = load(tmp_path, connection)

    assert host_vars(manager, initial.lower())['cipp_initial_domain'] == initial


def test_hostnames_are_lower_case(tmp_path, connection, fresh_emulator):
    seed_row(fresh_emulator, 'contoso.com')['defaultDomainName'] = 'Contoso.COM'

    manager = load(tmp_path, connection)

    assert 'contoso.com' in hostnames(manager)
    assert host_vars(manager, 'contoso.com')['cipp_default_domain'] == 'Contoso.COM'


def test_two_tenants_with_one_host_name_keep_the_first(tmp_path, connection, fresh_emulator):
    seed_row(fresh_emulator, 'fabrikam.onmicrosoft.com')['defaultDomainName'] = 'contoso.com'
    contoso_id = next(tenant.customer_id for tenant in fresh_emulator.state.tenants.values()
                      if tenant.row['displayName'] == 'Contoso Ltd')

    manager = load(tmp_path, connection)

    assert len(hostnames(manager)) == len(fresh_emulator.state.tenants) - 1
    assert host_vars(manager, 'contoso.com')['cipp_tenant_id'] == contoso_id  # CIPP sorts by display name


def test_no_tenants_is_an_empty_inventory_with_a_warning(tmp_path, connection, fresh_emulator, capfd):
    with fresh_emulator.state.lock:
        fresh_emulator.state.tenants.clear()

    manager = load(tmp_path, connection)

    assert hostnames(manager) == []
    assert 'CIPP returned no tenants' in capfd.readouterr().err


# ---------------------------------------------------------------------- cache

def test_second_load_from_cache_sends_no_request(tmp_path, connection, emulator, rows):
    config = dict(connection, cache=True, cache_plugin='ansible.builtin.jsonfile',
                  cache_connection=str(tmp_path / 'inventory-cache'), cache_timeout=600)

    seen = len(request_log(emulator))
    first = load(tmp_path, config)
    log = request_log(emulator)
    assert [entry['endpoint'] for entry in log[seen:] if entry['kind'] != 'token'] == ['ListTenants']
    assert os.listdir(str(tmp_path / 'inventory-cache')), 'the tenant list should have been written to the cache'

    seen = len(log)
    second = load(tmp_path, config)
    assert len(request_log(emulator)) == seen, 'a cached inventory must not send any HTTP request'
    assert hostnames(second) == hostnames(first) == names_of(rows)
    assert hostnames(second, 'cipp_gdap') == hostnames(first, 'cipp_gdap')
    assert host_vars(second, 'contoso.com') == host_vars(first, 'contoso.com')

    # Filters apply after the cache: a narrower inventory from the same cache, still without a request.
    narrow = load(tmp_path, dict(config, include_tenants=['contoso.com']))
    assert hostnames(narrow) == ['contoso.com']
    assert len(request_log(emulator)) == seen

    # --flush-cache / meta: refresh_inventory reads CIPP again (and rewrites the cache).
    load(tmp_path, config, cache=False)
    assert [entry['endpoint'] for entry in request_log(emulator)[seen:] if entry['kind'] != 'token'] == ['ListTenants']


def test_cache_is_not_shared_between_different_cipp_instances(tmp_path, connection, emulator):
    """Same inventory file, another CIPP (here: another spelling of its URL): the cached list must not be reused."""
    config = dict(connection, cache=True, cache_plugin='ansible.builtin.jsonfile',
                  cache_connection=str(tmp_path / 'inventory-cache'))
    load(tmp_path, config)
    seen = len(request_log(emulator))

    load(tmp_path, dict(config, api_url=emulator.url + '/api'))

    assert [entry['endpoint'] for entry in request_log(emulator)[seen:] if entry['kind'] != 'token'] == ['ListTenants']


# ---------------------------------------------------------------------- configuration and errors

def test_connection_from_environment_only(tmp_path, connection, monkeypatch, rows):
    for option, value in connection.items():
        monkeypatch.setenv('CIPP_%s' % option.upper(), value)

    manager = load(tmp_path, {})

    assert hostnames(manager) == names_of(rows)


def test_file_options_override_the_environment(tmp_path, connection, monkeypatch, rows):
    monkeypatch.setenv('CIPP_API_URL', 'http://127.0.0.1:9')  # nothing listens there
    monkeypatch.setenv('CIPP_CLIENT_SECRET', 'not-the-secret')

    manager = load(tmp_path, connection)

    assert hostnames(manager) == names_of(rows)


def test_bad_credentials_fail_clearly_without_the_secret(tmp_path, connection):
    wrong = 'Wr0ng-S3cret-value-that-must-not-leak'

    with pytest.raises(AnsibleError) as info:
        parse_directly(tmp_path, dict(connection, client_secret=wrong))

    message = str(info.value)
    assert 'msp.cipp.cipp_tenants' in message
    assert 'token endpoint' in message and 'HTTP 401' in message and 'invalid_client' in message
    assert wrong not in message
    assert READER['client_secret'] not in message


def test_a_role_without_tenant_access_is_reported(tmp_path, connection, fresh_emulator):
    client = {'appId': '0c1e0000-0000-4000-8000-0000000000ff', 'secret': 'no-role-secret', 'role': 'none'}
    requests.post('%s/_emulator/clients' % fresh_emulator.url, json=client, timeout=10).raise_for_status()

    with pytest.raises(AnsibleError) as info:
        parse_directly(tmp_path, dict(connection, client_id=client['appId'], client_secret=client['secret']))

    message = str(info.value)
    assert 'ListTenants' in message and 'HTTP 403' in message and 'lacks this permission' in message
    assert client['secret'] not in message


def test_cipp_failure_is_an_error_not_an_empty_inventory(tmp_path, connection, fresh_emulator):
    rule = {'endpoint': 'ListTenants', 'kind': '500', 'count': 1}
    requests.post('%s/_emulator/faults' % fresh_emulator.url, json={'rules': [rule]}, timeout=10).raise_for_status()

    with pytest.raises(AnsibleError, match='ListTenants .*HTTP 500'):
        parse_directly(tmp_path, dict(connection, max_retries=0))


def test_missing_api_url_names_the_option_and_variable(tmp_path, connection):
    config = dict(connection)
    del config['api_url']

    with pytest.raises(AnsibleError, match='api_url.*CIPP_API_URL'):
        parse_directly(tmp_path, config)


@pytest.mark.parametrize('name, claimed', [
    ('prod.cipp_tenants.yml', True), ('prod.cipp_tenants.yaml', True), ('cipp_tenants.yml', True),
    ('prod.aws_ec2.yml', False), ('mycipp_tenants.yml', False), ('prod.cipp_tenants.yml.bak', False),
])
def test_verify_file(tmp_path, name, claimed):
    from ansible.plugins.loader import inventory_loader
    path = tmp_path / name
    path.write_text('plugin: %s\n' % PLUGIN)

    assert inventory_loader.get(PLUGIN).verify_file(str(path)) is claimed


def test_verify_file_rejects_a_missing_file(tmp_path):
    from ansible.plugins.loader import inventory_loader

    assert inventory_loader.get(PLUGIN).verify_file(str(tmp_path / 'absent.cipp_tenants.yml')) is False
