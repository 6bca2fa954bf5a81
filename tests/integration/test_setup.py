# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make test` on a machine without Python 3.12: the 2.21 leg is found wherever it is, or skipped and named."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import pytest

from conftest import REPO  # pylint: disable=import-error

FINDER = os.path.join(REPO, 'tests', 'utils', 'find_python312.sh')
STAGE = os.path.join(REPO, 'tests', 'utils', 'stage.sh')


def _bare_environment(tmp_path, **extra):
    """No pyenv, no python3.12 on PATH: what a fresh machine with only the system Python looks like."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    for tool in ('bash', 'env', 'ls', 'grep', 'sort', 'head', 'cat', 'mktemp', 'rm', 'date', 'mkdir', 'dirname', 'printf',
                 'tee', 'awk', 'sha256sum', 'cut', 'column', 'make', 'python3'):
        path = subprocess.run(['bash', '-c', 'command -v %s' % tool], check=False, stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
        if path.startswith('/') and not (bin_dir / tool).exists():
            (bin_dir / tool).symlink_to(path)
    env = {'PATH': str(bin_dir), 'HOME': str(tmp_path), 'PYENV_ROOT': str(tmp_path / 'no-pyenv')}
    env.update(extra)
    return env


def _find(env):
    return subprocess.run([FINDER], env=env, check=False, stdout=subprocess.PIPE, universal_newlines=True)


def test_a_broken_python312_is_not_taken_for_one(tmp_path):
    shim = tmp_path / 'bin' / 'python3.12'
    env = _bare_environment(tmp_path)
    shim.write_text('#!/bin/sh\necho "pyenv: python3.12: command not found" >&2\nexit 127\n')
    shim.chmod(0o755)
    found = _find(env)
    if os.path.exists('/usr/bin/python3.12') or os.path.exists('/usr/local/bin/python3.12'):
        assert found.stdout.strip() != str(shim)
    else:
        assert found.returncode == 1 and found.stdout == ''


def test_python312_is_found_through_the_variable_or_pyenv(tmp_path):
    real = _find(dict(os.environ)).stdout.strip()
    if not real:
        pytest.skip('this machine has no Python 3.12; the test above covers that side')
    assert _find(_bare_environment(tmp_path, PYTHON312=real)).stdout.strip() == real
    versions = tmp_path / 'pyenv' / 'versions' / '3.12.9' / 'bin'
    versions.mkdir(parents=True)
    (versions / 'python3.12').symlink_to(real)
    assert _find(_bare_environment(tmp_path, PYENV_ROOT=str(tmp_path / 'pyenv'))).stdout.strip() == str(versions / 'python3.12')


def test_without_python312_the_21_stage_is_skipped_and_says_why(tmp_path):
    log = tmp_path / 'stages.txt'
    env = dict(os.environ, STAGE_LOG=str(log))
    env.pop('CI', None)
    run = subprocess.run([STAGE, 'unit-2.21', 'make', '-s', '-C', REPO, 'unit-2.21', 'PYTHON312='], env=env, check=False,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert run.returncode == 0, run.stdout
    assert 'SKIPPED (no Python 3.12 found: unit-2.21 skipped)' in log.read_text(), run.stdout


def test_in_ci_a_missing_python312_fails_the_stage(tmp_path):
    env = dict(os.environ, STAGE_LOG=str(tmp_path / 'stages.txt'), CI='true')
    run = subprocess.run(['make', '-s', '-C', REPO, 'venv-2.21', 'PYTHON312='], env=env, check=False,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert run.returncode != 0 and 'CI must run the 2.21 leg' in run.stdout
