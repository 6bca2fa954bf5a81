# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the roles use before they write files on the controller: the same rules as the modules (_files.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError
from ansible_collections.msp.cipp.plugins.module_utils._files import check_name, directory_problem as _directory_problem


def file_name_part(value, option='value'):
    """``value`` when it can be part of a file name (no path separators, '..', markup), else an error naming ``option``."""
    try:
        return check_name(value, option)
    except CippConfigError as exc:
        raise AnsibleFilterError(exc.message)


def directory_problem(path):
    """Why the existing directory ``path`` must not hold our files (another user's, or writable by others), or ''.

    A path that does not exist yet has no problem: the role creates it, 0700.
    """
    path = os.path.abspath(os.path.expanduser(str(path)))
    if not os.path.lexists(path):
        return ''
    problem = _directory_problem(path)
    return '%s %s' % (path, problem) if problem else ''


class FilterModule(object):
    def filters(self):
        return {'file_name_part': file_name_part, 'directory_problem': directory_problem}
