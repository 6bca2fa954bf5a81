# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security suite: what the collection refuses, hides and protects (docs/security.md is the threat model).

Playbook runs use the integration harness as it is (tests/integration/conftest.py: emulator, cipp_env,
run_playbook, the result recorder), loaded here under another name, as tests/resilience does. In-process tests
import the collection from .build/collections (`make collection`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
_HARNESS_PATH = os.path.join(HERE, '..', 'integration', 'conftest.py')
_spec = importlib.util.spec_from_file_location('msp_cipp_security_harness', _HARNESS_PATH)
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)

# The harness's fixtures, re-exported so pytest finds them for this directory too.
collection_link = harness.collection_link
emulator_session = harness.emulator_session
emulator = harness.emulator
cipp_env = harness.cipp_env
run_playbook = harness.run_playbook

if harness.COLLECTIONS_PATH not in sys.path:
    sys.path.insert(0, harness.COLLECTIONS_PATH)
harness.ensure_collection_link()

# Both execution paths, side by side: the controller fast path (action plugin in-process) and the module.
EXECUTIONS = ('controller', 'module')


@pytest.fixture(params=EXECUTIONS)
def execution(request):
    """The value of CIPP_EXECUTION a test runs with; every test using it runs once per path."""
    return request.param


@pytest.fixture
def path_env(cipp_env, execution):
    """cipp_env on the execution path of this test run."""
    return dict(cipp_env, CIPP_EXECUTION=execution)
