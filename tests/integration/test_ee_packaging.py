# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as a product: the tarball holds no development files, and the EE build context is valid."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys
import tarfile

from conftest import REPO  # pylint: disable=import-error

BIN = os.path.dirname(sys.executable)


def _build(dest):
    completed = subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path', dest, REPO],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    return os.path.join(dest, 'msp-cipp-0.1.0.tar.gz')


def test_the_tarball_has_the_product_and_no_dev_files(tmp_path):
    with tarfile.open(_build(str(tmp_path))) as archive:
        names = archive.getnames()
    for wanted in ('MANIFEST.json', 'plugins/modules/cipp_user.py', 'plugins/action/cipp_user.py',
                   'roles/bec_response/meta/argument_specs.yml', 'meta/runtime.yml', 'README.md'):
        assert wanted in names or any(name.endswith(wanted) for name in names), wanted
    for unwanted in ('.venv', '.build', 'tests/output', '__pycache__', '.pyc', 'Makefile', '.ci/'):
        assert not [name for name in names if unwanted in name], unwanted


def test_ansible_builder_creates_the_ee_build_context(tmp_path):
    builder = os.path.join(BIN, 'ansible-builder')
    assert os.path.exists(builder), 'ansible-builder is pinned in requirements-dev.txt'
    _build(os.path.join(REPO, '.build'))  # extras/awx/execution-environment.yml takes the tarball from .build/
    context = str(tmp_path / 'ee')
    completed = subprocess.run([builder, 'create', '-f', os.path.join(REPO, 'extras', 'awx', 'execution-environment.yml'), '-c', context,
                                '--output-filename', 'Containerfile'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    with open(os.path.join(context, 'Containerfile')) as handle:
        containerfile = handle.read()
    assert 'FROM' in containerfile
    assert os.path.exists(os.path.join(context, '_build', 'collections', 'msp-cipp-0.1.0.tar.gz'))
