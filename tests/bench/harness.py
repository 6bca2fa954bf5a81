# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark plumbing: an emulator process with injected latency, ansible-playbook runs, and what they cost.

What a run costs is read from the emulator's request log, not from the collection's own bookkeeping, so
the baseline (plain ansible.builtin.uri) and the collection are measured the same way:
  api_calls      HTTP requests to /api/* (a $batch counts once; its sub-requests are `batched_calls`)
  writes         write endpoints whose handler ran (kind "write", applied)
  write_attempts write endpoints called at all (refused or faulted ones included)
  tokens         requests to the Entra token endpoint
Task outcomes come from the bench_stats callback plugin (callback_plugins/bench_stats.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
EMULATOR_DIR = os.path.join(REPO, 'tests', 'emulator')
UTILS_DIR = os.path.join(REPO, 'tests', 'utils')
CALLBACK_DIR = os.path.join(HERE, 'callback_plugins')
STATS_FILE_VARIABLE = 'MSP_CIPP_BENCH_STATS'  # read by callback_plugins/bench_stats.py

if UTILS_DIR not in sys.path:
    sys.path.insert(0, UTILS_DIR)

# run.py calls harness.ensure_collection_link().
from collection_link import (  # noqa: E402  pylint: disable=import-error,wrong-import-position,unused-import
    COLLECTIONS_PATH, ensure_collection_link,
)
from emulator_env import cipp_environment  # noqa: E402  pylint: disable=import-error,wrong-import-position

# A run that hangs must end the benchmark, not the machine's afternoon.
PLAYBOOK_TIMEOUT = int(os.environ.get('MSP_CIPP_BENCH_TIMEOUT', '1800'))


# ---------------------------------------------------------------------------------------------- the emulator

# The uneven latency every EmulatorProcess starts with (None: steady). run.py sets it around a scenario run with
# uneven_latency(), so a scenario runs steady or uneven without knowing which (the hook for any scenario: add its
# name to scenarios.UNEVEN). Settings: cipp_emulator/latency.py UNEVEN_DEFAULTS (sigma, cold_probability, cold_ms, seed).
UNEVEN = None
UNEVEN_OPTIONS = (('sigma', '--latency-sigma'), ('cold_probability', '--cold-start-probability'), ('cold_ms', '--cold-start-ms'),
                  ('seed', '--latency-seed'))


class uneven_latency:  # pylint: disable=invalid-name
    """`with uneven_latency(settings):` emulators started inside have uneven latency (settings None: steady)."""

    def __init__(self, settings):
        self.settings = settings

    def __enter__(self):
        global UNEVEN  # pylint: disable=global-statement
        self.saved, UNEVEN = UNEVEN, self.settings
        return self.settings

    def __exit__(self, *_exc):
        global UNEVEN  # pylint: disable=global-statement
        UNEVEN = self.saved


def latency_arguments(latency_ms, uneven):
    """The emulator's start options for this latency."""
    arguments = ['--latency-ms', str(latency_ms)]
    if uneven is not None:
        arguments.append('--latency-uneven')
        for key, option in UNEVEN_OPTIONS:
            if key in uneven:
                arguments += [option, str(uneven[key])]
    return arguments


class EmulatorProcess:
    """`python -m cipp_emulator` on a free loopback port, in its own process (so it never competes with the
    benchmark's own Python for the GIL). Stop it with stop(); it is also a context manager."""

    def __init__(self, workdir, seed='default', latency_ms=100, uneven='inherit'):
        self.workdir = workdir
        self.seed = seed
        self.latency_ms = latency_ms
        self.uneven = UNEVEN if uneven == 'inherit' else uneven  # 'inherit': what run.py chose (uneven_latency)
        self.process = None
        self.url = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *_exc):
        self.stop()

    def start(self, startup_timeout=120):
        port_file = os.path.join(self.workdir, 'emulator.port')
        self._log = open(os.path.join(self.workdir, 'emulator.log'), 'w')
        environment = dict(os.environ, PYTHONPATH=EMULATOR_DIR)
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'cipp_emulator', '--host', '127.0.0.1', '--port', '0', '--port-file', port_file,
             '--seed', self.seed] + latency_arguments(self.latency_ms, self.uneven),
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment)
        deadline = time.time() + startup_timeout  # the 500 x 50 seed takes a few seconds to build
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('the emulator exited (rc %s); see %s' % (self.process.returncode, self._log.name))
            if os.path.exists(port_file):
                with open(port_file) as handle:
                    port = handle.read().strip()
                if port:
                    self.url = 'http://127.0.0.1:%s' % port
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError('the emulator did not listen within %d s' % startup_timeout)

    def stop(self):
        # Only the process this object started, by its handle.
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if getattr(self, '_log', None):
            self._log.close()

    def control(self, method, path, body=None, timeout=300):
        data = json.dumps(body).encode('utf-8') if body is not None else (b'' if method in ('POST', 'DELETE') else None)
        request = urllib.request.Request('%s/_emulator/%s' % (self.url, path), data=data, method=method,
                                         headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec - loopback emulator only
            text = response.read()
        return json.loads(text) if text.strip() else None

    def reset(self, seed=None):
        """Fresh data, log and faults; the latency goes back to the start value."""
        self.control('POST', 'reset', {'seed': seed or self.seed})

    def log(self):
        return self.control('GET', 'log')

    def clear_log(self):
        self.control('POST', 'log/clear')

    def state(self, tenant=None):
        return self.control('GET', 'state' + ('?tenant=%s' % tenant if tenant else ''))

    def cold_ms(self):
        """What a cold start adds in this emulator's current latency (None when steady)."""
        uneven = self.control('GET', 'latency').get('uneven')
        return uneven['cold_ms'] if uneven else None

    def environment(self, token_cache, role='editor'):
        return cipp_environment(self.url, token_cache, role=role)


def log_entries(log):
    """The entries of a /_emulator/log answer (a list, or an object holding one)."""
    if isinstance(log, dict):
        for key in ('entries', 'log', 'requests'):
            if isinstance(log.get(key), list):
                return log[key]
    return list(log or [])


def cost_of(log, cold_ms=None):
    """What a run cost the API, from the emulator's request log. `latency_s` is the delay the emulator gave the
    run's requests (summed, so overlapping calls count each); `cold_starts` the requests that waited `cold_ms` or
    more (a cold start adds cold_ms to a normal draw, so only uneven runs have any)."""
    entries = log_entries(log)
    given = [e.get('latency_ms') or 0 for e in entries if e.get('kind') != 'control' and not e.get('batched')]
    api = [e for e in entries if e.get('kind') in ('read', 'write', 'batch') and not e.get('batched')]
    unknown = [e for e in entries if e.get('kind') not in ('read', 'write', 'batch', 'token', 'control') and not e.get('batched')]
    writes = [e for e in entries if e.get('kind') == 'write']
    per_endpoint = {}
    for entry in api:
        name = entry.get('endpoint') or entry.get('path')
        per_endpoint[name] = per_endpoint.get(name, 0) + 1
    return {
        'api_calls': len(api) + len(unknown),
        'batched_calls': sum(1 for e in entries if e.get('batched')),
        'writes': sum(1 for e in writes if e.get('applied')),
        'write_attempts': len(writes),
        'tokens': sum(1 for e in entries if e.get('kind') == 'token'),
        'http_errors': sum(1 for e in api if (e.get('status') or 0) >= 400),
        'latency_s': round(sum(given) / 1000.0, 2),
        'cold_starts': sum(1 for ms in given if cold_ms and ms >= cold_ms),
        'per_endpoint': dict(sorted(per_endpoint.items())),
    }


# ---------------------------------------------------------------------------------------------- ansible-playbook

class Run:
    """One ansible-playbook run: wall time, exit code, task outcomes and the API cost."""

    def __init__(self, label, wall, rc, stats, cost, output_path):
        self.label, self.wall, self.rc, self.stats, self.cost, self.output_path = label, wall, rc, stats, cost, output_path

    def as_dict(self):
        data = {'label': self.label, 'wall_s': round(self.wall, 2), 'rc': self.rc, 'output': self.output_path}
        data.update(self.stats)
        data.update(self.cost)
        return data


def _base_environment():
    # Nothing CIPP_*/ANSIBLE_* from the caller's shell: a benchmark states everything it relies on.
    return dict((k, v) for k, v in os.environ.items() if not k.startswith(('CIPP_', 'ANSIBLE_')))


def _write_json(path, data):
    with open(path, 'w') as handle:  # JSON is YAML
        json.dump(data, handle, indent=2)
    return path


def run_playbook(emulator, label, playbook, workdir, inventory=None, extra_vars=None, env=None, forks=None, check=False,
                 clear_log=True):
    """Run ansible-playbook against the emulator and measure it. The emulator's log is cleared first (unless
    told otherwise) and read afterwards, so the cost is this run's alone."""
    run_dir = _run_dir(workdir, label)
    stats_file = os.path.join(run_dir, 'stats.json')
    environment = _ansible_environment(run_dir, env)
    environment[STATS_FILE_VARIABLE] = stats_file
    if inventory is None:
        inventory = {'all': {'hosts': {'localhost': {'ansible_connection': 'local'}}}}
    if isinstance(inventory, dict):
        inventory = _write_json(os.path.join(run_dir, 'inventory.yml'), inventory)
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inventory, playbook]
    if extra_vars:
        command += ['-e', '@' + _write_json(os.path.join(run_dir, 'extra_vars.json'), extra_vars)]
    if forks:
        command += ['--forks', str(forks)]
    if check:
        command.append('--check')
    wall, rc, output_path = _timed(emulator, command, run_dir, environment, clear_log)
    stats = {'tasks_ok': 0, 'tasks_changed': 0, 'tasks_failed': 0, 'tasks_skipped': 0}
    if os.path.exists(stats_file):
        with open(stats_file) as handle:
            stats = json.load(handle)
    return Run(label, wall, rc, stats, cost_of(emulator.log(), emulator.cold_ms()), output_path)


def run_inventory(emulator, label, source, workdir, env=None):
    """`ansible-inventory -i SOURCE --list` against the emulator, measured like a playbook run; stats: `hosts`
    (every host of the listed inventory), or None when its output is not JSON."""
    run_dir = _run_dir(workdir, label)
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', source, '--list',
               '--output', os.path.join(run_dir, 'inventory.json')]
    wall, rc, output_path = _timed(emulator, command, run_dir, _ansible_environment(run_dir, env), True)
    hosts = None
    try:
        with open(os.path.join(run_dir, 'inventory.json')) as handle:
            hosts = len((json.load(handle).get('_meta') or {}).get('hostvars') or {})
    except (OSError, ValueError):
        pass
    return Run(label, wall, rc, {'hosts': hosts}, cost_of(emulator.log(), emulator.cold_ms()), output_path)


def _run_dir(workdir, label):
    run_dir = os.path.join(workdir, label.replace(' ', '_').replace('/', '_'))
    os.makedirs(run_dir, exist_ok=True)
    return run_dir


def _timed(emulator, command, run_dir, environment, clear_log):
    """Run one ansible command with its output in run_dir/output.txt: (wall seconds, rc, output path). The emulator's
    log is cleared first unless told otherwise."""
    if clear_log:
        emulator.clear_log()
    output_path = os.path.join(run_dir, 'output.txt')
    with open(output_path, 'w') as output:
        started = time.time()
        completed = subprocess.run(command, cwd=run_dir, env=environment, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, timeout=PLAYBOOK_TIMEOUT, check=False)
        return time.time() - started, completed.returncode, output_path


def _ansible_environment(run_dir, env):
    environment = _base_environment()
    environment.update({
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_PATH,
        'ANSIBLE_CALLBACK_PLUGINS': CALLBACK_DIR,
        'ANSIBLE_CALLBACKS_ENABLED': 'bench_stats',
        'ANSIBLE_HOME': os.path.join(run_dir, 'ansible_home'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(run_dir, 'local_tmp'),
        'ANSIBLE_REMOTE_TMP': os.path.join(run_dir, 'remote_tmp'),
        # Interpreter discovery picks a broken pyenv shim on this kind of machine (TOOLCHAIN.md).
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_GATHERING': 'explicit',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ANSIBLE_NOCOLOR': 'true',
        'ANSIBLE_HOST_KEY_CHECKING': 'false',
    })
    environment.update(env or {})
    return environment


# ---------------------------------------------------------------------------------------------- reporting

def machine():
    """What the figures were measured on."""
    try:
        core = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible'), '--version'], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, universal_newlines=True, timeout=60, check=False).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        core = 'unknown'
    return {'date': time.strftime('%Y-%m-%d %H:%M %Z'), 'nproc': os.cpu_count(), 'python': platform.python_version(),
            'ansible_core': core, 'platform': platform.platform(), 'load_avg_1m': round(os.getloadavg()[0], 2)}


COLUMNS = (('label', 'run', '%s'), ('wall_s', 'wall s', '%.1f'), ('rc', 'rc', '%s'), ('tasks_changed', 'changed', '%s'),
           ('tasks_failed', 'failed', '%s'), ('api_calls', 'API calls', '%s'), ('writes', 'writes', '%s'),
           ('tokens', 'tokens', '%s'), ('http_errors', 'HTTP>=400', '%s'), ('latency_s', 'latency s', '%.1f'),
           ('cold_starts', 'cold starts', '%s'))


def table(rows):
    """Runs as a fixed-width text table."""
    cells = [[title for _key, title, _fmt in COLUMNS]]
    for row in rows:
        cells.append([(fmt % row[key]) if row.get(key) is not None else '-' for key, _title, fmt in COLUMNS])
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = ['  '.join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in enumerate(zip(line, widths)))
             for line in cells]
    lines.insert(1, '  '.join('-' * width for width in widths))
    return '\n'.join(lines)


class Workdir:
    """A scratch directory for one benchmark, removed afterwards unless asked to keep it."""

    def __init__(self, keep=False):
        self.keep = keep
        self.path = tempfile.mkdtemp(prefix='msp-cipp-bench-')

    def __enter__(self):
        return self.path

    def __exit__(self, *_exc):
        if self.keep:
            print('kept the work directory: %s' % self.path)
        else:
            shutil.rmtree(self.path, ignore_errors=True)
