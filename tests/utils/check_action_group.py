# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check that meta/runtime.yml's action group `cipp` lists exactly the collection's cipp_* modules.

Why: `module_defaults: {group/msp.cipp.cipp: ...}` is how users set the connection options once. A module
missing from the group silently ignores those defaults and then fails for lack of credentials (or worse,
uses other ones from the environment); neither ansible-test nor ansible-lint notices. Run by `make test`.

Usage: python tests/utils/check_action_group.py [COLLECTION_ROOT]
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import yaml


def modules_on_disk(root):
    """Short names of the cipp_* modules under plugins/modules."""
    directory = os.path.join(root, 'plugins', 'modules')
    return sorted(name[:-3] for name in os.listdir(directory)
                  if name.startswith('cipp_') and name.endswith('.py'))


def modules_in_group(root, group='cipp'):
    """The entries of the action group, or None when the group is not defined."""
    with open(os.path.join(root, 'meta', 'runtime.yml')) as handle:
        runtime = yaml.safe_load(handle) or {}
    entries = (runtime.get('action_groups') or {}).get(group)
    if entries is None:
        return None
    # Entries may be short names or FQCNs; metadata dicts (`- metadata: {extend_group: ...}`) are not modules.
    return sorted(entry.rsplit('.', 1)[-1] for entry in entries if isinstance(entry, str))


def problems(root):
    """Human-readable differences between the modules and the group; empty when they agree."""
    on_disk = modules_on_disk(root)
    in_group = modules_in_group(root)
    if in_group is None:
        return ['meta/runtime.yml has no action_groups.cipp']
    found = ['module %s is missing from action_groups.cipp in meta/runtime.yml' % name
             for name in on_disk if name not in in_group]
    found += ['action_groups.cipp lists %s, which is not in plugins/modules' % name
              for name in in_group if name not in on_disk]
    return found


def main(argv):
    root = argv[1] if len(argv) > 1 else os.getcwd()
    found = problems(root)
    for problem in found:
        print('check_action_group: %s' % problem, file=sys.stderr)
    if not found:
        print('check_action_group: action group cipp lists all %d modules' % len(modules_on_disk(root)))
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
