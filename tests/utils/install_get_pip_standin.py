# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put tests/utils/get_pip_standin.py where the ansible-test of this interpreter's venv looks for get-pip.py.

Run with a venv's python and the home directory ansible-test will run with (`make ansible-test-cache` does it for
.venv and .venv-2.21 with .build/ansible-test-home). ansible-test reads its bootstrap script from
$HOME/.ansible/test/cache/get_pip_<pin>.py (get_pip_24_2.py for 2.19, get_pip_25_2.py for 2.21). The stand-in goes
into that home inside the build tree only: the user's own ~/.ansible/test/cache (shared with every other project
on the machine, which would otherwise bootstrap pip with our stand-in instead of the real get-pip) is never
written. ansible-test must therefore run with HOME set to the same directory. Reading the pin from the installed
ansible-test keeps this right when ansible-core is bumped; without a pin it fails loudly rather than let sanity
try to download from a host that is unreachable here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import sys

import ansible_test

STANDIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'get_pip_standin.py')
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


def main(argv):
    if len(argv) != 2:
        raise SystemExit('usage: install_get_pip_standin.py HOME_FOR_ANSIBLE_TEST (a directory inside the build tree)')
    home = os.path.abspath(argv[1])
    if os.path.realpath(home) == os.path.realpath(os.path.expanduser('~')):
        raise SystemExit('install_get_pip_standin: refusing to write into your own ~/.ansible/test/cache; give a directory '
                         'inside the build tree and run ansible-test with HOME set to it')
    cache = os.path.join(home, '.ansible', 'test', 'cache')
    version = pinned_pip_version()
    target = os.path.join(cache, 'get_pip_%s.py' % version.replace('.', '_'))
    if not os.path.isdir(cache):
        os.makedirs(cache)
    shutil.copyfile(STANDIN, target)
    print('install_get_pip_standin: %s (pip %s for ansible-test in %s)' % (target, version, sys.prefix))


if __name__ == '__main__':
    main(sys.argv)
