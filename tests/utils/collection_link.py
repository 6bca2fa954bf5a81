# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where ansible-playbook finds msp.cipp in tests and benchmarks: .build/collections, a symlink to the work tree."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
COLLECTIONS_PATH = os.path.join(REPO, '.build', 'collections')
COLLECTION_LINK = os.path.join(COLLECTIONS_PATH, 'ansible_collections', 'msp', 'cipp')


def ensure_collection_link():
    """Make msp.cipp importable by ansible-playbook from .build/collections (what `make collection` also does).

    A symlink to the work tree, so a run always sees the current code without a copy step. xdist workers may
    get here at the same moment: the link is made under a unique name and renamed into place.
    """
    if os.path.isfile(os.path.join(COLLECTION_LINK, 'galaxy.yml')):
        return
    os.makedirs(os.path.dirname(COLLECTION_LINK), exist_ok=True)
    temporary = '%s.%d.tmp' % (COLLECTION_LINK, os.getpid())
    os.symlink(os.path.relpath(REPO, os.path.dirname(COLLECTION_LINK)), temporary)
    os.replace(temporary, COLLECTION_LINK)
