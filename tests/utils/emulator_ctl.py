# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start and stop a CIPP emulator in the background, for callers that cannot hold a process (molecule).

    python tests/utils/emulator_ctl.py start DIR [--seed SEED]   start one on a free port; wait until it listens
    python tests/utils/emulator_ctl.py ensure DIR [--seed SEED]  start one unless the one of DIR still runs
                                                                  (prints "started URL" or "running URL")
    python tests/utils/emulator_ctl.py stop DIR                    stop the one started in DIR (if it still runs)

DIR gets `emulator.log`, `emulator.pid` and `connection.json`: the msp.cipp connection options for the emulator's
editor client (api_url, client_id, client_secret, token_url, auth_tenant_id, token_cache), ready for
`module_defaults`. A second start in the same DIR stops the first emulator before starting a new one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR_DIR = os.path.join(HERE, '..', 'emulator')
sys.path.insert(0, HERE)

from emulator_env import cipp_environment  # noqa: E402  pylint: disable=import-error,wrong-import-position

CONNECTION_OPTIONS = {'CIPP_API_URL': 'api_url', 'CIPP_CLIENT_ID': 'client_id', 'CIPP_CLIENT_SECRET': 'client_secret',
                      'CIPP_TOKEN_URL': 'token_url', 'CIPP_AUTH_TENANT_ID': 'auth_tenant_id', 'CIPP_TOKEN_CACHE': 'token_cache'}


def _ours(pid):
    """Whether ``pid`` is a cipp_emulator process (never signal a recycled pid that belongs to something else)."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            return b'cipp_emulator' in handle.read()
    except (IOError, OSError):
        return False


def stop(directory):
    pid_file = os.path.join(directory, 'emulator.pid')
    try:
        with open(pid_file) as handle:
            pid = int(handle.read().strip())
    except (IOError, OSError, ValueError):
        return 0
    if _ours(pid):
        os.kill(pid, signal.SIGTERM)
        for _attempt in range(50):
            if not _ours(pid):
                break
            time.sleep(0.1)
    os.remove(pid_file)
    return 0


def start(directory, seed):
    os.makedirs(directory, mode=0o700, exist_ok=True)
    stop(directory)
    port_file = os.path.join(directory, 'emulator.port')
    if os.path.exists(port_file):
        os.remove(port_file)
    env = dict(os.environ, PYTHONPATH=os.path.abspath(EMULATOR_DIR))
    with open(os.path.join(directory, 'emulator.log'), 'ab') as log:
        process = subprocess.Popen([sys.executable, '-m', 'cipp_emulator', '--host', '127.0.0.1', '--port', '0',
                                    '--port-file', port_file, '--seed', seed], stdout=log, stderr=log, env=env,
                                   start_new_session=True)
    with open(os.path.join(directory, 'emulator.pid'), 'w') as handle:
        handle.write(str(process.pid))
    deadline = time.time() + 30
    while not (os.path.exists(port_file) and open(port_file).read().strip()):
        if process.poll() is not None or time.time() > deadline:
            print('emulator_ctl: the emulator did not start; see %s' % os.path.join(directory, 'emulator.log'), file=sys.stderr)
            return 1
        time.sleep(0.1)
    port = open(port_file).read().strip().rsplit(':', 1)[-1]
    environment = cipp_environment('http://127.0.0.1:%s' % port, os.path.join(directory, 'tokens'))
    connection = dict((option, environment[name]) for name, option in CONNECTION_OPTIONS.items())
    path = os.path.join(directory, 'connection.json')
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, 'O_NOFOLLOW', 0), 0o600)
    with os.fdopen(descriptor, 'w') as handle:
        json.dump(connection, handle)
    print(connection['api_url'])
    return 0


def running(directory):
    """The URL of the emulator started in ``directory`` when it still runs, else None."""
    try:
        with open(os.path.join(directory, 'emulator.pid')) as handle:
            pid = int(handle.read().strip())
        with open(os.path.join(directory, 'connection.json')) as handle:
            url = json.load(handle)['api_url']
    except (IOError, OSError, ValueError, KeyError):
        return None
    return url if _ours(pid) else None


def main(argv):
    if len(argv) < 3 or argv[1] not in ('start', 'ensure', 'stop'):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == 'stop':
        return stop(argv[2])
    seed = argv[argv.index('--seed') + 1] if '--seed' in argv else 'default'
    if argv[1] == 'ensure':
        url = running(argv[2])
        if url:
            print('running %s' % url)
            return 0
        sys.stdout.write('started ')
    return start(argv[2], seed)


if __name__ == '__main__':
    sys.exit(main(sys.argv))
