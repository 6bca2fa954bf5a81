# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip.py that ansible-test downloads to bootstrap pip.

Why: ``ansible-test sanity`` builds a virtual environment per test and bootstraps pip in it by running
``~/.ansible/test/cache/get_pip_<version>.py`` (downloading it from ci-files.testing.ansible.com first
when it is missing). That host is not reachable here, but PyPI is. ``make`` copies this file to the
cache names the installed ansible-test asks for; it is then run as ``__main__`` by ansible-test's
``quiet_pip.py`` with the arguments get-pip.py would get, e.g.
``--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel``.

What it does: puts the pip bundled with the interpreter in place (``ensurepip``), then lets that pip
install the pinned infrastructure packages ansible-test asked for from the configured index.
``--no-setuptools``/``--no-wheel`` are get-pip.py's own flags (do not add them); pip itself does not
know them, so they are dropped.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import subprocess
import sys

GET_PIP_ONLY_FLAGS = frozenset(('--no-setuptools', '--no-wheel'))


def pip_arguments(argv):
    """The arguments of a get-pip.py call that pip install understands."""
    return [arg for arg in argv if arg not in GET_PIP_ONLY_FLAGS]


def main():
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'])
    # --force-reinstall: ensurepip may have put a newer or older pip in place; ansible-test expects its pin.
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--upgrade', '--force-reinstall']
                          + pip_arguments(sys.argv[1:]))


if __name__ == '__main__':
    main()
