# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration harness: run the real ansible-playbook against the CIPP emulator and inspect what happened.

Fixtures:
  emulator      the in-process CIPP emulator (default seed), started once per test session (per xdist worker)
                and reset before every test that uses it
  cipp_env      CIPP_* variables for the emulator's editor API client, with a token cache private to the test
  run_playbook  run ansible-playbook as a subprocess; returns a PlaybookRun (rc, stdout, stderr, results, ...)
  run_target    run tests/integration/targets/<name>/tasks/main.yml through a one-play wrapper playbook

Every run is self-contained: its own inventory, temp dirs, ANSIBLE_HOME and result file under the test's
tmp_path, the collection from .build/collections (see `make collection`), and the Python that runs pytest
as the module interpreter (interpreter discovery on this kind of machine picks a broken pyenv shim). Which
ansible-core is tested is decided by the venv pytest runs in: .venv (2.19) or .venv-2.21 (2.21).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import subprocess
import sys
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
TARGETS = os.path.join(HERE, 'targets')
CALLBACK_PLUGINS = os.path.join(HERE, 'callback_plugins')
ANSIBLE_CFG = os.path.join(HERE, 'ansible.cfg')
EMULATOR_DIR = os.path.join(REPO, 'tests', 'emulator')
UTILS_DIR = os.path.join(REPO, 'tests', 'utils')
RECORD_FILE_VARIABLE = 'MSP_CIPP_RECORD_FILE'  # read by callback_plugins/msp_cipp_recorder.py

# A stuck play must fail the test, not hang CI. Generous: a module task costs about 0.5-0.7 s here.
PLAYBOOK_TIMEOUT = int(os.environ.get('MSP_CIPP_PLAYBOOK_TIMEOUT', '600'))

# Variables a developer's shell (or CI) might carry that would change what a run does.
_INHERITED_PREFIXES = ('CIPP_', 'ANSIBLE_')

for _directory in (EMULATOR_DIR, UTILS_DIR):
    if _directory not in sys.path:
        sys.path.insert(0, _directory)

# Tests and the resilience suite import these from here too.
from collection_link import (  # noqa: E402  pylint: disable=import-error,wrong-import-position,unused-import
    COLLECTION_LINK, COLLECTIONS_PATH, ensure_collection_link,
)
from emulator_env import cipp_environment  # noqa: E402  pylint: disable=import-error,wrong-import-position

GUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', re.I)


def call_labels(calls):
    """Each call (a module's ``cipp_calls`` or emulator log entries) as ``Endpoint`` or, for CIPP's Graph proxy,
    ``ListGraphRequest:<graph path>`` with object ids shown as ``{id}``: what a reader of the test needs to see."""
    labels = []
    for call in calls:
        params = call.get('params') or {}
        if call.get('endpoint') == 'ListGraphRequest':
            labels.append('ListGraphRequest:%s' % GUID.sub('{id}', str(params.get('Endpoint', ''))))
        else:
            labels.append(call.get('endpoint'))
    return labels


def _http_json(method, url, timeout=30):
    """Call one of the emulator's test controls (no auth) and decode its JSON answer (None when empty)."""
    request = urllib.request.Request(url, method=method, data=b'' if method == 'POST' else None)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec - loopback emulator only
        body = response.read()
    return json.loads(body) if body.strip() else None


class PlaybookRun:
    """What one ansible-playbook run left behind."""

    def __init__(self, command, rc, stdout, stderr, results, api_url=None):
        self.command = command
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.results = results
        self.api_url = api_url

    @property
    def output(self):
        """stdout and stderr together; use as the message of an assert on rc."""
        return 'command: %s\nrc: %s\n--- stdout ---\n%s\n--- stderr ---\n%s' % (
            ' '.join(self.command), self.rc, self.stdout, self.stderr)

    def task_results(self, task, host='localhost', item=False):
        """Recorded results of the task with this name (per-item results only when item=True)."""
        return [r for r in self.results if r['task'] == task and r['host'] == host and r['item'] == item]

    def result(self, task, host='localhost'):
        """The one result dict of a task; fails the test when the task did not run exactly once."""
        found = self.task_results(task, host)
        assert len(found) == 1, 'expected one result for task %r on %s, got %d\n%s' % (
            task, host, len(found), self.output)
        return found[0]['result']

    def status(self, task, host='localhost'):
        """ok, changed, failed, skipped or unreachable, for a task that ran once."""
        self.result(task, host)
        return self.task_results(task, host)[0]['status']

    def emulator_log(self):
        """The emulator's request log (GET {url}/_emulator/log) for the emulator this run talked to."""
        assert self.api_url, 'this run had no CIPP_API_URL in its environment, so there is no emulator log'
        return _http_json('GET', self.api_url.rstrip('/') + '/_emulator/log')


def _read_results(path):
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _write_json(path, data):
    # JSON is YAML, so playbooks, inventories and extra vars can all be written this way without a YAML dumper.
    with open(path, 'w') as handle:
        json.dump(data, handle, indent=2)
    return path


def _base_environment():
    """os.environ without CIPP_* / ANSIBLE_* from the caller's shell: a test states everything it relies on."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}


def _ansible_environment(workdir, record_file):
    return {
        'ANSIBLE_CONFIG': ANSIBLE_CFG,
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_PATH,
        'ANSIBLE_CALLBACK_PLUGINS': CALLBACK_PLUGINS,
        'ANSIBLE_HOME': os.path.join(workdir, 'ansible_home'),
        # Module temp files follow the passwd home, not $HOME; keep them under the test's tmp dir.
        'ANSIBLE_LOCAL_TEMP': os.path.join(workdir, 'local_tmp'),
        'ANSIBLE_REMOTE_TMP': os.path.join(workdir, 'remote_tmp'),
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        RECORD_FILE_VARIABLE: record_file,
    }


def _playbook_path(playbook, workdir):
    """A path as given (relative to the repository root) or, for plays given as data, a file written for them."""
    if isinstance(playbook, (list, tuple)):
        return _write_json(os.path.join(workdir, 'playbook.yml'), list(playbook))
    path = os.fspath(playbook)
    return path if os.path.isabs(path) else os.path.join(REPO, path)


def _inventory_path(inventory, workdir):
    if inventory is None:
        inventory = {'all': {'hosts': {'localhost': {'ansible_connection': 'local'}}}}
    if isinstance(inventory, dict):
        return _write_json(os.path.join(workdir, 'inventory.yml'), inventory)
    return os.fspath(inventory)


def _command(playbook_path, inventory_path, extra_vars_path, check, diff, verbosity, forks):
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
               '-i', inventory_path, playbook_path]
    if extra_vars_path:
        command += ['-e', '@' + extra_vars_path]
    if check:
        command.append('--check')
    if diff:
        command.append('--diff')
    if verbosity:
        command.append('-' + 'v' * verbosity)
    if forks:
        command += ['--forks', str(forks)]
    return command


@pytest.fixture(scope='session', autouse=True)
def collection_link():
    ensure_collection_link()


@pytest.fixture(scope='session')
def emulator_session():
    # tests/emulator is on sys.path (top of this file).
    from cipp_emulator import start_emulator  # pylint: disable=import-error
    handle = start_emulator(seed='default')
    yield handle
    handle.stop()


@pytest.fixture
def emulator(emulator_session):
    """The emulator, reset to its seed so no test sees another's changes (one server per session saves start-up)."""
    _http_json('POST', emulator_session.url.rstrip('/') + '/_emulator/reset')
    return emulator_session


@pytest.fixture
def cipp_env(emulator, tmp_path):
    """Connection settings for the emulator's editor API client, as the modules read them from the environment.

    The token cache is private to the test, so one test's cached token never serves another's emulator state.
    MSP_CIPP_TEST_EXECUTION=module runs every test on the classic module path instead of the controller fast path.
    """
    environment = cipp_environment(emulator.url, str(tmp_path / 'tokens'), role='editor')
    if os.environ.get('MSP_CIPP_TEST_EXECUTION'):
        environment['CIPP_EXECUTION'] = os.environ['MSP_CIPP_TEST_EXECUTION']
    return environment


@pytest.fixture
def run_playbook(tmp_path):
    """run_playbook(playbook, extra_vars=None, check=False, diff=False, verbosity=0, forks=None, env=None, inventory=None)

    playbook: a path (relative paths are from the repository root) or a list of plays as data.
    inventory: None for localhost with a local connection, a dict (YAML inventory as data) or a path.
    env: extra environment, e.g. cipp_env; nothing CIPP_*/ANSIBLE_* is inherited from the caller's shell.
    Each call gets its own directory, so a test may run several playbooks (e.g. a change, then its re-run).
    """
    runs = []

    def run(playbook, extra_vars=None, check=False, diff=False, verbosity=0, forks=None, env=None, inventory=None):
        workdir = str(tmp_path / ('run%d' % len(runs)))
        os.makedirs(workdir)
        record_file = os.path.join(workdir, 'results.jsonl')
        environment = _base_environment()
        environment.update(_ansible_environment(workdir, record_file))
        environment.update(env or {})
        extra_vars_path = _write_json(os.path.join(workdir, 'extra_vars.json'), extra_vars) if extra_vars else None
        command = _command(_playbook_path(playbook, workdir), _inventory_path(inventory, workdir),
                           extra_vars_path, check, diff, verbosity, forks)
        completed = subprocess.run(command, cwd=workdir, env=environment, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                                   timeout=PLAYBOOK_TIMEOUT, check=False)
        outcome = PlaybookRun(command, completed.returncode, completed.stdout, completed.stderr,
                              _read_results(record_file), api_url=environment.get('CIPP_API_URL'))
        runs.append(outcome)
        return outcome

    return run


@pytest.fixture
def run_target(run_playbook):
    """run_target(name, **run_playbook_options): run targets/<name>/tasks/main.yml on localhost.

    The wrapper play has no fact gathering (it costs ~1.6 s and no target needs facts). Targets see the
    variable `target_dir` (their own directory) for files they ship.
    """
    def run(name, extra_vars=None, **options):
        tasks = os.path.join(TARGETS, name, 'tasks', 'main.yml')
        assert os.path.exists(tasks), 'no integration target %s (%s)' % (name, tasks)
        play = {
            'name': 'Integration target %s' % name,
            'hosts': 'localhost',
            'gather_facts': False,
            'vars': {'target_dir': os.path.join(TARGETS, name)},
            'tasks': [{'name': 'Run target %s' % name, 'ansible.builtin.include_tasks': tasks}],
        }
        return run_playbook([play], extra_vars=extra_vars, **options)

    return run
