# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CIPP_* connection variables for the emulator's seeded API clients: one place for tests, demo and sandbox.

As a module: `cipp_environment(url, token_cache, role='editor')` returns a dict (used by the integration
harness). As a script: `python tests/utils/emulator_env.py URL TOKEN_CACHE [ROLE]` prints `export` lines
for a shell (used by `make demo` and `make sandbox`). The client ids, secrets and the auth tenant come
from the emulator package itself, so they cannot drift from its seed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

from shlex import quote

EMULATOR_DIR = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'emulator'))


def _seeded_client(role):
    """(client_id, client_secret, auth_tenant_id) of the emulator's default API client with this role."""
    if EMULATOR_DIR not in sys.path:
        sys.path.insert(0, EMULATOR_DIR)
    import cipp_emulator  # pylint: disable=import-error
    client = cipp_emulator.DEFAULT_CLIENTS[role]
    return client['client_id'], client['client_secret'], cipp_emulator.DEFAULT_AUTH_TENANT_ID


def cipp_environment(url, token_cache, role='editor'):
    """CIPP_* variables that point the collection's client at the emulator at `url`."""
    url = url.rstrip('/')
    client_id, client_secret, auth_tenant_id = _seeded_client(role)
    return {
        'CIPP_API_URL': url,
        'CIPP_CLIENT_ID': client_id,
        'CIPP_CLIENT_SECRET': client_secret,
        'CIPP_AUTH_TENANT_ID': auth_tenant_id,
        # The emulator serves Entra ID's token endpoint itself, under the same host.
        'CIPP_TOKEN_URL': '%s/%s/oauth2/v2.0/token' % (url, auth_tenant_id),
        'CIPP_TOKEN_CACHE': token_cache,
    }


def main(argv):
    if len(argv) not in (3, 4):
        print('usage: emulator_env.py URL TOKEN_CACHE [ROLE]', file=sys.stderr)
        return 2
    environment = cipp_environment(argv[1], argv[2], *argv[3:])
    for name in sorted(environment):
        print('export %s=%s' % (name, quote(environment[name])))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
