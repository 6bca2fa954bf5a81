# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put tests/utils/get_pip_standin.py where the ansible-test of this interpreter's venv looks for get-pip.py.

Run with a venv's python (`make ansible-test-cache` does it for .venv and .venv-2.21). Each ansible-core
pins its own pip version and names the cached bootstrap script after it (~/.ansible/test/cache/
get_pip_24_2.py for 2.19, get_pip_25_2.py for 2.21); reading the pin from the installed ansible-test
keeps this right when ansible-core is bumped. If the pin cannot be found, fail loudly rather than let
sanity try to download from a host that is unreachable here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import sys

import ansible_test

STANDIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'get_pip_standin.py')
CACHE = os.path.expanduser('~/.ansible/test/cache')
PIN = re.compile(r"""\bpip\s*=\s*['"]([0-9][0-9.]*)['"]""")


def pinned_pip_version():
    """The pip version this ansible-test bootstraps into its venvs (from get_venv_packages)."""
    source = os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')
    with open(source) as handle:
        match = PIN.search(handle.read())
    if not match:
        raise SystemExit('install_get_pip_standin: no pip pin found in %s; ansible-test changed, update this script'
                         % source)
    return match.group(1)


def main():
    version = pinned_pip_version()
    target = os.path.join(CACHE, 'get_pip_%s.py' % version.replace('.', '_'))
    if not os.path.isdir(CACHE):
        os.makedirs(CACHE)
    shutil.copyfile(STANDIN, target)
    print('install_get_pip_standin: %s (pip %s for ansible-test in %s)' % (target, version, sys.prefix))


if __name__ == '__main__':
    main()
