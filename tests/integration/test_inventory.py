# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cipp_tenants inventory plugin through the real command line: ansible-inventory and ansible-playbook.

The inventory source is found the way users find it: by the `auto` plugin reading `plugin:` from a
`*.cipp_tenants.yml` file, with the collection on ANSIBLE_COLLECTIONS_PATH and the connection given as
CIPP_* environment variables (as an AWX/AAP credential would inject them).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
COLLECTIONS_PATH = os.path.join(REPO, '.build', 'collections')  # made by conftest's collection_link fixture
ANSIBLE_INVENTORY = os.path.join(os.path.dirname(sys.executable), 'ansible-inventory')
TIMEOUT = 300
GDAP = 'granularDelegatedAdminPrivileges'
DIRECT = 'directTenant'
KEYED = {'keyed_groups': [{'key': 'cipp_delegated_privilege_status', 'prefix': 'status'}]}


def write_source(tmp_path, config=None):
    source = tmp_path / 'emu.cipp_tenants.yml'
    data = {'plugin': 'msp.cipp.cipp_tenants'}
    data.update(config or {})
    source.write_text(json.dumps(data, indent=2))  # JSON is YAML
    return str(source)


def ansible_inventory(tmp_path, env, *args, **kwargs):
    """Run ansible-inventory on a fresh source; nothing CIPP_*/ANSIBLE_* comes from the caller's shell."""
    environment = dict((k, v) for k, v in os.environ.items() if not k.startswith(('CIPP_', 'ANSIBLE_')))
    environment.update({
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_PATH,
        'ANSIBLE_HOME': str(tmp_path / 'ansible_home'),
        'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'local_tmp'),
        # A source that fails to parse must fail the command, not become a warning and an empty inventory.
        'ANSIBLE_INVENTORY_UNPARSED_FAILED': 'true',
        'ANSIBLE_NOCOLOR': 'true',
    })
    environment.update(env)
    command = [ANSIBLE_INVENTORY, '-i', write_source(tmp_path, kwargs.get('config'))] + list(args)
    return subprocess.run(command, env=environment, cwd=str(tmp_path), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=TIMEOUT, check=False)


def seed_rows(emulator):
    """The emulator's ListTenants rows (its in-memory model; the emulator is reset before every test)."""
    with emulator.state.lock:
        return [dict(tenant.row) for tenant in emulator.state.tenants.values()]


def domains(rows, status=None):
    return sorted(row['defaultDomainName'].lower() for row in rows if status in (None, row['delegatedPrivilegeStatus']))


def parse_graph(text):
    """``ansible-inventory --graph`` output as {group: sorted host names directly in it}."""
    groups, current = {}, None
    for line in text.splitlines():
        name = line.lstrip(' |-').strip()  # '  |  |--contoso.com' -> 'contoso.com'
        if name.startswith('@'):
            current = name[1:].rstrip(':')
            groups.setdefault(current, [])
        elif name and current:
            groups[current].append(name)
    return dict((group, sorted(hosts)) for group, hosts in groups.items())


def plain(value):
    """--list shows strings Ansible would not template as {"__ansible_unsafe": "..."} (ansible-core >= 2.19 / older)."""
    if isinstance(value, dict) and list(value) == ['__ansible_unsafe']:
        return value['__ansible_unsafe']
    return value


def describe(completed):
    return 'rc %s\n--- stdout ---\n%s\n--- stderr ---\n%s' % (completed.returncode, completed.stdout, completed.stderr)


def test_graph_shows_tenants_in_default_and_keyed_groups(tmp_path, emulator, cipp_env):
    rows = seed_rows(emulator)

    completed = ansible_inventory(tmp_path, cipp_env, '--graph', config=KEYED)

    assert completed.returncode == 0, describe(completed)
    graph = parse_graph(completed.stdout)
    assert domains(rows, GDAP) and domains(rows, DIRECT), 'the default seed should have GDAP and direct tenants'
    assert graph['cipp_tenants'] == domains(rows)
    assert graph['cipp_gdap'] == domains(rows, GDAP)
    assert graph['cipp_direct'] == domains(rows, DIRECT)
    assert graph['status_%s' % GDAP] == domains(rows, GDAP)
    assert graph['status_%s' % DIRECT] == domains(rows, DIRECT)


def test_list_gives_hostvars_marked_unsafe(tmp_path, emulator, cipp_env):
    rows = seed_rows(emulator)

    completed = ansible_inventory(tmp_path, cipp_env, '--list', config=KEYED)

    assert completed.returncode == 0, describe(completed)
    inventory = json.loads(completed.stdout)
    assert sorted(inventory['status_%s' % GDAP]['hosts']) == domains(rows, GDAP)
    hostvars = inventory['_meta']['hostvars']
    assert sorted(hostvars) == domains(rows)
    for row in rows:
        host = hostvars[row['defaultDomainName'].lower()]
        # API strings come out marked unsafe (not templatable); on cores before 2.19 they are plain here.
        assert host['cipp_display_name'] in (row['displayName'], {'__ansible_unsafe': row['displayName']})
        assert plain(host['cipp_tenant_id']) == row['customerId']
        assert plain(host['cipp_initial_domain']) == row['initialDomainName']
        assert plain(host['cipp_delegated_privilege_status']) == row['delegatedPrivilegeStatus']
        assert host['cipp_relationship_count'] == row['relationshipCount']
        assert host['cipp_has_auto_extend'] is row['hasAutoExtend']
        assert plain(host['ansible_connection']) == 'local'
        assert host['ansible_python_interpreter'] == '{{ ansible_playbook_python }}'


def test_bad_secret_fails_the_command_without_showing_it(tmp_path, emulator, cipp_env):
    wrong = 'Wr0ng-integration-secret-0042'

    completed = ansible_inventory(tmp_path, dict(cipp_env, CIPP_CLIENT_SECRET=wrong), '--list')

    assert completed.returncode != 0, describe(completed)
    assert 'token endpoint' in completed.stderr and 'invalid_client' in completed.stderr, describe(completed)
    assert wrong not in completed.stdout + completed.stderr
    assert cipp_env['CIPP_CLIENT_SECRET'] not in completed.stdout + completed.stderr


def test_playbook_targets_tenants_from_the_inventory(tmp_path, emulator, cipp_env, run_playbook):
    """End to end: hosts from the inventory, their cipp_default_domain passed to a module as the tenant."""
    rows = seed_rows(emulator)
    play = {'hosts': 'cipp_gdap', 'gather_facts': False,
            'tasks': [{'name': 'Read the tenant', 'msp.cipp.cipp_tenant_info': {'tenant': '{{ cipp_default_domain }}'},
                       'register': 'info'}]}

    run = run_playbook([play], env=cipp_env, inventory=write_source(tmp_path))

    assert run.rc == 0, run.output
    for row in rows:
        host = row['defaultDomainName'].lower()
        results = run.task_results('Read the tenant', host=host)
        if row['delegatedPrivilegeStatus'] != GDAP:
            assert results == [], 'only cipp_gdap hosts should run the play'
            continue
        tenants = run.result('Read the tenant', host=host)['tenants']
        assert [tenant['customerId'] for tenant in tenants] == [row['customerId']]
