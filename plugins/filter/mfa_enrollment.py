# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters behind the mfa_enrollment role: who is enrolled, who needs a pass, and the progress report.

They see user names, ids and pass *states* only; never a pass (the modules write passes to files and return none).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

HANDOVER_SUFFIX = re.compile(r'(-\d+)?\.txt$')


def _key(value):
    return str(value or '').strip().lower()


def mfa_enrollment_selection(gap_rows, directory_users, exclude=None, earlier_files=None):
    """Who the role enrols: the gap users (guests and disabled accounts never), less the protected ones - directory role
    holders, users CIPP flags as admins, users whose roles are unknown (fail closed) - and the ``exclude`` list (UPNs or
    ids). ``earlier`` are the users enrolled by an earlier run (their hand-over files) who still exist, for the report.
    Returns ``{candidates, protected, excluded, earlier, watch}`` (UPNs, sorted; ``watch`` = candidates + earlier)."""
    directory = {}
    for user in directory_users or []:
        for key in (user.get('id'), user.get('userPrincipalName')):
            if key:
                directory[_key(key)] = user
    excluded_keys = set(_key(item) for item in exclude or [])
    candidates, protected, excluded = [], [], []
    for row in gap_rows or []:
        upn = row.get('user_principal_name')
        if row.get('gap') is not True or not row.get('account_enabled') or _key(row.get('user_type')) == 'guest':
            continue
        user = directory.get(_key(row.get('id'))) or directory.get(_key(upn))
        if _key(upn) in excluded_keys or _key(row.get('id')) in excluded_keys:
            excluded.append(upn)
        elif user is None or user.get('roles') is None or user.get('roles') or row.get('is_admin'):
            protected.append(upn)
        else:
            candidates.append(upn)
    earlier = []
    for item in earlier_files or []:
        upn = HANDOVER_SUFFIX.sub('', os.path.basename(str(item.get('path') if isinstance(item, dict) else item)))
        user = directory.get(_key(upn))
        if user is not None and upn not in earlier and _key(upn) not in excluded_keys and not user.get('roles'):
            earlier.append(user.get('userPrincipalName') or upn)
    watch = sorted(set(candidates) | set(earlier), key=_key)
    return {'candidates': sorted(candidates, key=_key), 'protected': sorted(protected, key=_key),
            'excluded': sorted(excluded, key=_key), 'earlier': sorted(earlier, key=_key), 'watch': watch}


def _entries(user_methods, names):
    wanted = set(_key(name) for name in names or [])
    return [entry for entry in user_methods or [] if _key(entry.get('user_principal_name')) in wanted]


def mfa_enrollment_needing_tap(user_methods, candidates):
    """UPNs of candidates with no MFA method and no usable (or coming) pass: the only ones who get a pass."""
    return [entry['user_principal_name'] for entry in _entries(user_methods, candidates)
            if not entry.get('mfa_registered') and not entry.get('has_usable_tap')]


def mfa_enrollment_unregistered_ids(user_methods, candidates):
    """Object ids of candidates with no MFA method yet (the registration campaign's targets), sorted."""
    return sorted(entry['id'] for entry in _entries(user_methods, candidates) if not entry.get('mfa_registered'))


def mfa_enrollment_progress(user_methods, selection, tap_results=None):
    """The run's report: ``registered`` (watched users who hold an MFA method now - e.g. since an earlier pass),
    ``holding_tap`` (not registered, a usable pass), ``issued`` (``[{user, handover_file}]`` this run; no file in check
    mode), ``pending`` (not registered, no pass), and the ``protected`` and ``excluded`` users left alone."""
    issued = []
    for result in tap_results or []:
        if result.get('changed') and not result.get('failed'):
            issued.append({'user': result.get('item'), 'handover_file': result.get('handover_file')})
    issued_now = set(_key(item['user']) for item in issued)
    registered, holding, pending = [], [], []
    for entry in _entries(user_methods, (selection or {}).get('watch')):
        upn = entry['user_principal_name']
        if entry.get('mfa_registered'):
            registered.append(upn)
        elif entry.get('has_usable_tap') or _key(upn) in issued_now:
            holding.append(upn)
        else:
            pending.append(upn)
    return {'registered': sorted(registered, key=_key), 'holding_tap': sorted(holding, key=_key), 'issued': issued,
            'pending': sorted(pending, key=_key), 'protected': list((selection or {}).get('protected') or []),
            'excluded': list((selection or {}).get('excluded') or [])}


class FilterModule(object):
    def filters(self):
        return {'mfa_enrollment_selection': mfa_enrollment_selection, 'mfa_enrollment_needing_tap': mfa_enrollment_needing_tap,
                'mfa_enrollment_unregistered_ids': mfa_enrollment_unregistered_ids, 'mfa_enrollment_progress': mfa_enrollment_progress}
