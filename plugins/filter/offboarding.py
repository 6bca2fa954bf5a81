# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters behind the offboarding role: the role stays a list of tasks, the logic lives here (and is unit tested)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError


def _belongs(leaver, host_names):
    return not host_names or str(leaver.get('tenant') or '').lower() in host_names


def offboarding_roster(leavers, defaults=None, overrides=None, host_names=None):
    """The leavers of this tenant host, grouped by tenant: ``[{tenant, leavers: [{user, <options>}]}]``.

    Each leaver's options are the organisation ``defaults``, then the tenant's ``overrides``, then the leaver's own
    ``options``; a top-level ``reference`` wins. ``host_names`` (the host's default domain, initial domain and
    tenant id; empty on a host that is not a tenant) keeps only the leavers whose ``tenant`` names this host.
    """
    names = set(str(name).lower() for name in host_names or [] if name)
    groups, order = {}, []
    for index, leaver in enumerate(leavers or []):
        if not isinstance(leaver, dict) or not leaver.get('user') or not leaver.get('tenant'):
            raise AnsibleFilterError('offboarding_leavers[%d] must be a dict with user and tenant, got %r' % (index, leaver))
        if not _belongs(leaver, names):
            continue
        entry = dict(defaults or {})
        entry.update(overrides or {})
        entry.update(leaver.get('options') or {})
        if leaver.get('reference'):
            entry['reference'] = leaver['reference']
        entry['user'] = leaver['user']
        tenant = str(leaver['tenant'])
        if tenant.lower() not in groups:
            groups[tenant.lower()] = {'tenant': tenant, 'leavers': []}
            order.append(tenant.lower())
        groups[tenant.lower()]['leavers'].append(entry)
    return [groups[key] for key in order]


class FilterModule(object):
    def filters(self):
        return {'offboarding_roster': offboarding_roster}
