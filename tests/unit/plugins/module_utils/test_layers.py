# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layers of plugins/module_utils import one way, and only the API layer talks to CIPP.

transport (_client and what it needs) -> API layer (_api_*: one function per CIPP endpoint) -> resources (one per
module family) -> the module wrapper (_module) and the modules/action plugins. A resource that called the client
itself would bring back the duplicated, differently-broken reads the API layer replaced (issue 11).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os
import re

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..', '..', '..'))
MODULE_UTILS = os.path.join(REPO, 'plugins', 'module_utils')
DOCS_TABLE = os.path.join(REPO, 'docs', 'cipp-api.md')

TRANSPORT = {'_client', '_token_cache', '_endpoints', '_errors', '_common', '_iso3166'}
WRAPPER = {'_module'}
# The client's request methods; only the API layer may call them.
REQUEST_METHODS = {'call', 'write', 'batch', 'prefetch'}


def _names():
    return sorted(name[:-3] for name in os.listdir(MODULE_UTILS) if name.endswith('.py') and name != '__init__.py')


def _layer(name):
    if name in TRANSPORT:
        return 'transport'
    if name.startswith('_api_'):
        return 'api'
    if name in WRAPPER:
        return 'wrapper'
    return 'resource'


def _tree(path):
    with open(path) as handle:
        return ast.parse(handle.read(), path)


def _imported_utils(tree):
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and 'module_utils' in node.module:
            tail = node.module.split('module_utils', 1)[1].lstrip('.')
            if tail:
                found.add(tail.split('.')[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def _client_requests(tree):
    """Calls of the form <anything>.client.call(...) / client.write(...) / self.client.batch(...)."""
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in REQUEST_METHODS:
            target = node.func.value
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, 'id', '')
            if 'client' in str(name).lower():
                calls.append('%s.%s (line %d)' % (name, node.func.attr, node.lineno))
    return calls


ALLOWED = {
    'transport': {'transport'},
    'api': {'transport', 'api'},
    'resource': {'transport', 'api', 'resource'},
    'wrapper': {'transport', 'api', 'resource', 'wrapper'},
}


@pytest.mark.parametrize('name', _names())
def test_imports_go_one_way(name):
    tree = _tree(os.path.join(MODULE_UTILS, name + '.py'))
    layer = _layer(name)
    wrong = sorted(other for other in _imported_utils(tree) - {name}
                   if other in _names() and _layer(other) not in ALLOWED[layer])
    assert wrong == [], '%s (%s layer) imports %s' % (name, layer, ', '.join('%s (%s)' % (w, _layer(w)) for w in wrong))


def _plugin_files():
    for root, _dirs, files in os.walk(os.path.join(REPO, 'plugins')):
        for filename in files:
            if filename.endswith('.py'):
                yield os.path.join(root, filename)


def test_only_the_api_layer_calls_the_clients_request_methods():
    offenders = {}
    for path in _plugin_files():
        name = os.path.basename(path)[:-3]
        if os.path.dirname(path) == MODULE_UTILS and _layer(name) in ('api', 'transport'):
            continue
        calls = _client_requests(_tree(path))
        if calls:
            offenders[os.path.relpath(path, REPO)] = calls
    assert offenders == {}


def test_the_detector_sees_a_direct_call():
    """The check above would catch a resource that sends a request itself."""
    assert _client_requests(ast.parse("self.client.call('ListUsers', tenant=t)\nclient.write('AddUser', {})"))


def api_endpoints():
    """Every CIPP endpoint (and Graph path through ListGraphRequest) the API layer uses."""
    endpoints, paths = set(), set()
    for name in _names():
        if _layer(name) != 'api':
            continue
        with open(os.path.join(MODULE_UTILS, name + '.py')) as handle:
            source = handle.read()
        endpoints.update(re.findall(r"client\.(?:call|write|batch)\(\s*'(\w+)'", source))
        for path in re.findall(r"graph_get(?:_object)?\(client, tenant, '([^']+)'", source):
            paths.add(path.replace('%s', '{id}'))
    return endpoints, paths


def _doc_rows():
    with open(DOCS_TABLE) as handle:
        rows = [line for line in handle if line.startswith('|') and not line.startswith('|---')]
    cells = [[cell.strip() for cell in row.strip().strip('|').split('|')] for row in rows if not row.startswith('| Endpoint ')]
    return [row for row in cells if len(row) == 6]  # the endpoint tables (Endpoint, source, send, read, emulator, tests)


def test_every_endpoint_of_the_api_layer_is_in_docs_cipp_api_md():
    first_cells = set(cells[0].replace('`', '').strip() for cells in _doc_rows())
    endpoints, paths = api_endpoints()
    assert len(endpoints) > 30 and paths  # the scan itself works
    # ListGraphRequest has a row per Graph path it is used for.
    missing = sorted(e for e in endpoints - {'ListGraphRequest'} if e not in first_cells)
    missing += sorted('ListGraphRequest %s' % p for p in paths if 'ListGraphRequest %s' % p not in first_cells)
    assert missing == [], 'docs/cipp-api.md has no row for: %s' % ', '.join(missing)


def test_the_emulator_handlers_and_sources_named_in_docs_cipp_api_md_exist():
    """A row pointing at a handler or test file that is not there would be a claim nobody checked."""
    emulator = os.path.join(REPO, 'tests', 'emulator', 'cipp_emulator')
    wrong = []
    for cells in _doc_rows():
        handler = cells[4].split('→')[0].strip().strip('`')
        module, _dot, function = handler.partition('.')
        path = os.path.join(emulator, 'handlers_%s.py' % module)
        if not os.path.exists(path) or not re.search(r'^def %s\(' % re.escape(function), open(path).read(), re.M):
            wrong.append('%s: handler %s' % (cells[0], handler))
        for test_file in re.findall(r'(test_\w+\.py)', cells[5]):
            places = [os.path.join(REPO, 'tests', 'integration', test_file), os.path.join(REPO, 'tests', 'emulator', 'tests', test_file)]
            if not any(os.path.exists(place) for place in places):
                wrong.append('%s: test file %s' % (cells[0], test_file))
    assert wrong == []
