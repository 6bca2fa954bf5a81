# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dependencies and build tooling: runtime floors past known CVEs, the EE base image, and the offline get-pip stand-in
kept inside the build tree instead of the user's own ansible-test cache."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import yaml
from packaging.requirements import Requirement
from packaging.version import Version

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
FLOORS = {'requests': Version('2.32.4'), 'urllib3': Version('2.6.0')}
# The last release before each floor (still affected by the CVEs named in requirements.txt) and older ones.
VULNERABLE = {'requests': ['2.32.3', '2.31.0', '2.25.0'], 'urllib3': ['2.5.0', '2.2.1', '1.26.18']}


def _requirements():
    with open(os.path.join(REPO, 'requirements.txt')) as handle:
        return dict((req.name.lower(), req) for req in (Requirement(line.strip()) for line in handle
                                                        if line.strip() and not line.lstrip().startswith('#')))


def test_runtime_floors_exclude_the_known_vulnerable_versions():
    requirements = _requirements()
    for name, floor in FLOORS.items():
        assert name in requirements, name
        specifier = requirements[name].specifier
        assert specifier.contains(str(floor)), (name, str(specifier))
        assert not [old for old in VULNERABLE[name] if specifier.contains(old)], (name, str(specifier))


def test_the_installed_versions_meet_the_floors():
    from importlib.metadata import version
    for name, floor in FLOORS.items():
        assert Version(version(name)) >= floor, name


def test_the_ee_base_image_is_pinned_or_says_why_not():
    path = os.path.join(REPO, 'extras', 'awx', 'execution-environment.yml')
    with open(path) as handle:
        text = handle.read()
    name = yaml.safe_load(text)['images']['base_image']['name']
    assert '@sha256:' in name or ('Not pinned by digest' in text and 'podman image inspect' in text), name


def test_the_get_pip_stand_in_goes_into_the_build_tree_only(tmp_path):
    home = tmp_path / 'home'
    home.mkdir()
    build_home = tmp_path / 'build' / 'ansible-test-home'
    env = dict(os.environ, HOME=str(home))
    script = os.path.join(REPO, 'tests', 'utils', 'install_get_pip_standin.py')
    subprocess.run([sys.executable, script, str(build_home)], check=True, env=env, capture_output=True)
    assert [name for name in os.listdir(str(build_home / '.ansible' / 'test' / 'cache')) if name.startswith('get_pip_')]
    assert os.listdir(str(home)) == []
    refused = subprocess.run([sys.executable, script, str(home)], check=False, env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and 'refusing to write into your own' in refused.stderr
    assert os.listdir(str(home)) == []


def test_the_makefile_installs_the_stand_in_into_the_build_tree():
    with open(os.path.join(REPO, 'Makefile')) as handle:
        recipe = handle.read().split('ansible-test-cache: venv', 1)[1].split('\n\n', 1)[0]
    assert recipe.count('install_get_pip_standin.py $(BUILD)/ansible-test-home') == 2, recipe
