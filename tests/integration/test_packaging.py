# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as a product: the tarball, the AWX execution environment definition, the plugin docs.

Everything runs offline with the tools of the venv that runs pytest. ansible-builder and ansible-runner are in both
venvs; antsibull-docs only in .venv (requirements-dev.txt), so the docs tests skip under .venv-2.21.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import filecmp
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

from conftest import COLLECTION_LINK, COLLECTIONS_PATH, REPO  # pylint: disable=import-error

BIN = os.path.dirname(sys.executable)
EE_DIR = os.path.join(REPO, 'extras', 'awx')
TIMEOUT = 120

# Present in the work tree, never wanted in the published tarball, and not all of them gitignored.
DEV_ONLY = ('.git/', '.ci/', '.venv', '.build/', 'tests/output/', '__pycache__/', '.pytest_cache/', '.hypothesis/',
            '.ansible/', 'Makefile', 'requirements-dev', '.ansible-lint', '.gitignore')
PRODUCT = ('MANIFEST.json', 'FILES.json', 'README.md', 'meta/runtime.yml', 'meta/execution-environment.yml', 'requirements.txt',
           'plugins/modules/cipp_user.py', 'plugins/action/cipp_user.py', 'plugins/inventory/cipp_tenants.py',
           'plugins/filter/onboarding.py', 'roles/onboarding/tasks/main.yml', 'roles/onboarding/meta/argument_specs.yml',
           'playbooks/onboard.yml', 'extras/awx/credential_type.yml', 'docs/awx.md')


def _run(command, **options):
    """Run a tool, return its CompletedProcess (text output) without raising: the tests assert on it."""
    options.setdefault('timeout', TIMEOUT)
    if 'input' not in options:
        options['stdin'] = subprocess.DEVNULL
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False,
                          **options)


def _tool_env(tmp_path):
    """The caller's environment minus ANSIBLE_*, with the venv first on PATH and a private ANSIBLE_HOME."""
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith('ANSIBLE_'))
    env.update({'PATH': BIN + os.pathsep + env.get('PATH', ''), 'ANSIBLE_HOME': str(tmp_path / 'ansible_home')})
    return env


def _galaxy_version():
    with open(os.path.join(REPO, 'galaxy.yml')) as handle:
        return yaml.safe_load(handle)['version']


def _tarball_name():
    return 'msp-cipp-%s.tar.gz' % _galaxy_version()


def _build(dest, env):
    completed = _run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path', str(dest), REPO],
                     env=env)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    path = os.path.join(str(dest), _tarball_name())
    assert os.path.isfile(path), os.listdir(str(dest))
    return path


@pytest.fixture(scope='module')
def tarball(tmp_path_factory):
    """One build for the module, into a directory of its own (never the work tree's .build)."""
    tmp_path = tmp_path_factory.mktemp('galaxy_build')
    return _build(tmp_path / 'out', _tool_env(tmp_path))


def _git_ignored(names):
    """The names git would ignore in this work tree (None when this is not a git checkout)."""
    if not os.path.isdir(os.path.join(REPO, '.git')) or shutil.which('git') is None:
        return None
    completed = _run(['git', '-C', REPO, 'check-ignore', '--no-index', '--stdin'], input='\n'.join(names) + '\n')
    assert completed.returncode in (0, 1), completed.stderr  # 1: nothing ignored
    return [line for line in completed.stdout.splitlines() if line]


def test_the_tarball_holds_the_product_and_no_development_files(tarball):
    with tarfile.open(tarball) as archive:
        members = archive.getmembers()
    names = [member.name + ('/' if member.isdir() else '') for member in members]
    missing = [name for name in PRODUCT if name not in names]
    assert not missing, 'missing from %s: %s' % (os.path.basename(tarball), missing)
    unwanted = sorted(name for name in names for pattern in DEV_ONLY if name.startswith(pattern) or '/' + pattern in name)
    assert not unwanted, 'development files in the tarball: %s' % unwanted[:20]
    assert not [name for name in names if name.endswith(('.pyc', '.tar.gz'))]
    # Anything git ignores is build or test output by definition (.gitignore lists them); none of it ships.
    ignored = _git_ignored([name.rstrip('/') for name in names if name not in ('MANIFEST.json', 'FILES.json')])
    assert not ignored, 'gitignored files in the tarball: %s' % ignored[:20]
    assert not [m.name for m in members if m.issym() or m.islnk()], 'links in the tarball'


def test_the_tarball_installs_offline_and_declares_requests_for_the_ee(tarball, tmp_path):
    pytest.importorskip('ansible_builder', reason='ansible-builder is not installed in this venv (requirements-dev.txt pins it)')
    env = _tool_env(tmp_path)
    target = tmp_path / 'installed'
    completed = _run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--offline', '-p', str(target), tarball],
                     env=env)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert (target / 'ansible_collections' / 'msp' / 'cipp' / 'MANIFEST.json').is_file()
    # What ansible-builder's builder stage runs on the collections installed in the image.
    completed = _run([os.path.join(BIN, 'ansible-builder'), 'introspect', '--sanitize', str(target)], env=env)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    found = yaml.safe_load(completed.stdout.split('---', 1)[-1])
    assert [line for line in found['python'] if line.startswith('requests') and 'msp.cipp' in line], completed.stdout


def _ee_definition():
    with open(os.path.join(EE_DIR, 'execution-environment.yml')) as handle:
        return yaml.safe_load(handle)


def _tested_pins():
    """name -> version pinned in the requirements-dev files (what `make test` runs)."""
    pins = {}
    for name in ('requirements-dev.txt', 'requirements-dev-2.21.txt'):
        with open(os.path.join(REPO, name)) as handle:
            for line in handle:
                match = re.match(r'^([A-Za-z0-9_.-]+)==(\S+)', line.strip())
                if match:
                    pins.setdefault(match.group(1).lower(), set()).add(match.group(2))
    return pins


def test_the_ee_definition_names_this_version_and_the_tested_tools():
    definition = _ee_definition()
    sources = [entry['src'] for entry in definition.get('additional_build_files') or []]
    assert [os.path.basename(src) for src in sources if src.endswith('.tar.gz')] == [_tarball_name()], (
        'extras/awx/execution-environment.yml must take %s (galaxy.yml version)' % _tarball_name())
    with open(os.path.join(EE_DIR, definition['dependencies']['galaxy'])) as handle:
        galaxy_requirements = yaml.safe_load(handle)
    # additional_build_files land in _build/<dest>/, which the galaxy stage copies to /build.
    assert galaxy_requirements['collections'] == [{'name': '/build/collections/' + _tarball_name(), 'type': 'file'}]
    pins = _tested_pins()
    for tool in ('ansible_core', 'ansible_runner'):
        name, _sep, version = definition['dependencies'][tool]['package_pip'].partition('==')
        assert version in pins.get(name.lower(), set()), '%s in the EE is not a version the tests run' % name


def test_ansible_builder_creates_the_ee_build_context(tarball, tmp_path):
    pytest.importorskip('ansible_builder', reason='ansible-builder is not installed in this venv (requirements-dev.txt pins it)')
    # The definition as committed, in a copy of its surroundings: extras/awx/ next to .build/ with the fresh tarball,
    # so its relative paths resolve as they do in the work tree without writing to the work tree's .build.
    root = tmp_path / 'tree'
    shutil.copytree(EE_DIR, str(root / 'extras' / 'awx'))
    (root / '.build').mkdir()
    shutil.copy(tarball, str(root / '.build'))
    context = tmp_path / 'context'
    completed = _run([os.path.join(BIN, 'ansible-builder'), 'create', '-f', str(root / 'extras' / 'awx' / 'execution-environment.yml'),
                      '-c', str(context), '--output-filename', 'Containerfile'], env=_tool_env(tmp_path))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    containerfile = (context / 'Containerfile').read_text()
    definition = _ee_definition()
    assert 'ARG EE_BASE_IMAGE="%s"' % definition['images']['base_image']['name'] in containerfile
    assert 'ARG PYCMD="%s"' % definition['dependencies']['python_interpreter']['python_path'] in containerfile
    assert 'COPY _build /build' in containerfile
    assert 'ansible-galaxy collection install' in containerfile and '-r requirements.yml' in containerfile
    copied = context / '_build' / 'collections' / _tarball_name()
    assert filecmp.cmp(str(copied), tarball, shallow=False), 'the build context holds another tarball than the one built'
    assert filecmp.cmp(str(context / '_build' / 'requirements.yml'), os.path.join(EE_DIR, 'requirements.yml'), shallow=False)


def _antsibull_docs():
    path = os.path.join(BIN, 'antsibull-docs')
    if not os.path.exists(path):
        pytest.skip('antsibull-docs is only in .venv (requirements-dev.txt); this venv is %s' % os.path.dirname(BIN))
    return path


def test_plugin_docs_pass_antsibull_docs_lint(tmp_path):
    antsibull_docs = _antsibull_docs()
    env = dict(_tool_env(tmp_path), ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH)
    # --plugin-docs: render every module, plugin, filter and role page and validate schema, markup and references.
    completed = _run([antsibull_docs, 'lint-collection-docs', '--plugin-docs', '--validate-collection-refs', 'all',
                      '--disallow-unknown-collection-refs', COLLECTION_LINK], env=env)
    assert completed.returncode == 0 and not completed.stdout.strip(), completed.stdout + completed.stderr


def test_rendered_docs_in_the_tree_are_current(tmp_path):
    _antsibull_docs()
    fresh = tmp_path / 'docs'
    completed = _run([os.path.join(REPO, 'tests', 'utils', 'render_docs.sh'), str(fresh)],
                     env=dict(_tool_env(tmp_path), VENV=os.path.dirname(BIN)))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    committed = os.path.join(REPO, 'docs', 'collection')
    stale = _differences(filecmp.dircmp(str(fresh), committed))
    assert not stale, 'docs/collection is out of date (run `make docs`): %s' % stale


def _differences(comparison, prefix=''):
    found = ['%s%s' % (prefix, name) for name in comparison.left_only + comparison.right_only + comparison.diff_files]
    for name, sub in comparison.subdirs.items():
        found += _differences(sub, '%s%s/' % (prefix, name))
    return found
