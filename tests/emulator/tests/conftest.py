"""Fixtures for the emulator's contract tests: an in-process emulator and a tiny client for it."""

import os
import sys

import pytest
import requests

EMULATOR_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
if EMULATOR_DIR not in sys.path:
    sys.path.insert(0, EMULATOR_DIR)

from cipp_emulator.server import start_emulator  # noqa: E402  pylint: disable=wrong-import-position
from cipp_emulator.state import DEFAULT_CLIENTS  # noqa: E402  pylint: disable=wrong-import-position

SHAPES_DIR = os.path.abspath(os.path.join(EMULATOR_DIR, '..', '..', '..', 'shared', 'cipp-api', 'shapes'))


def token_for(emu, role='editor'):
    client = DEFAULT_CLIENTS[role]
    answer = requests.post(emu.token_url, data={'grant_type': 'client_credentials', 'client_id': client['client_id'],
                                                'client_secret': client['client_secret'],
                                                'scope': 'api://%s/.default' % client['client_id']}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()['access_token']


class Client:
    """Calls /api/{name} as one of the default API clients; returns (status, parsed body, content type)."""

    def __init__(self, emu, role='editor'):
        self.emu = emu
        self.headers = {'Authorization': 'Bearer ' + token_for(emu, role)}

    def call(self, name, method='GET', params=None, body=None, headers=None, data=None):
        answer = requests.request(method, '%s/api/%s' % (self.emu.url, name), params=params, json=body, data=data,
                                  headers=dict(self.headers, **(headers or {})), timeout=15)
        try:
            parsed = answer.json()
        except ValueError:
            parsed = answer.text
        return answer.status_code, parsed, answer.headers.get('Content-Type', '')

    def control(self, path, body=None, method='POST'):
        answer = requests.request(method, '%s/_emulator/%s' % (self.emu.url, path), json=body, timeout=15)
        return answer.json()

    def log(self):
        return requests.get('%s/_emulator/log' % self.emu.url, timeout=15).json()


@pytest.fixture(scope='session')
def emulator():
    handle = start_emulator(seed='default')
    yield handle
    handle.stop()


@pytest.fixture
def cipp(emulator):
    """An editor client on a freshly reset default estate."""
    requests.post('%s/_emulator/reset' % emulator.url, json={'seed': 'default'}, timeout=15)
    requests.delete('%s/_emulator/faults' % emulator.url, timeout=15)
    requests.post('%s/_emulator/latency' % emulator.url, json={'ms': 0}, timeout=15)
    return Client(emulator)


@pytest.fixture(scope='module')
def reader(emulator):
    """An editor client on an estate reset once per module: for tests that only read (saves a reset per test)."""
    requests.post('%s/_emulator/reset' % emulator.url, json={'seed': 'default'}, timeout=15)
    requests.delete('%s/_emulator/faults' % emulator.url, timeout=15)
    requests.post('%s/_emulator/latency' % emulator.url, json={'ms': 0}, timeout=15)
    return Client(emulator)
