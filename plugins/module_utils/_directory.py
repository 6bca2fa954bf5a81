# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-once views of a tenant's domains, licences, groups and group members for one task (shared by the users of
cipp_users), optionally filled from what the caller read just before (a role's cipp_tenant_info pre-check)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

from ansible_collections.msp.cipp.plugins.module_utils import _api_directory as directory_api
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError


class Directory:
    """Each list is read at most once, and only when something needs it."""

    def __init__(self, client, tenant, tenant_info=None, group_members=False):
        self.client = client
        self.tenant = tenant
        self._cache = {}
        # cipp_users reads through one Directory from several threads: each list is still read once.
        self._locks = dict((name, threading.Lock()) for name in ('domains', 'skus', 'names', 'groups', 'members'))
        # With group_members, a user's membership of a named group is answered from the group's member list (read
        # once per group) instead of the user's memberOf (read once per user): cheaper for a roster (cipp_users).
        self.group_members = group_members
        self._members = {}
        self._member_locks = {}
        if tenant_info:
            self._seed(tenant_info)

    def _seed(self, row):
        """Take the lists a cipp_tenant_info row already holds (its domains_list, licenses and groups), so they are
        not read again; a list the row does not hold is read when needed, as usual."""
        if row.get('domains_list') is not None:
            self._cache['domains'] = row['domains_list']
        if row.get('licenses') is not None:
            # cipp_tenant_info's licences are subscribed_skus rows with ListLicenses' fields added (_tenants.tenant_licences).
            self._cache['skus'] = row['licenses']
            self._cache['names'] = dict((lic['sku_id'], lic['name']) for lic in row['licenses']
                                        if lic.get('name') and not lic.get('excluded_by_cipp'))
        if row.get('groups') is not None:
            self._cache['groups'] = row['groups']

    def _once(self, name, reader):
        with self._locks[name]:
            if name not in self._cache:
                self._cache[name] = reader()
        return self._cache[name]

    # -- domains

    def domains(self):
        """Graph's domain list, with isVerified (ListDomains lists unverified domains too: CONTRACT 0.1 C16)."""
        return self._once('domains', lambda: directory_api.graph_domains(self.client, self.tenant))

    def check_domain(self, domain, option):
        rows = self.domains()
        names = sorted(row['name'] for row in rows)
        row = next((row for row in rows if row['name'] == domain.lower()), None)
        if names and row is None:
            raise CippConfigError('%s: the domain %s is not a domain of tenant %s (its domains: %s)'
                                  % (option, domain, self.tenant, ', '.join(names)))
        if row is not None and row['verified'] is False:
            raise CippConfigError('%s: the domain %s of tenant %s is not verified yet; Entra ID refuses user names on it until '
                                  'it is verified.' % (option, domain, self.tenant))

    # -- licences

    def skus(self):
        """Every SKU of the tenant with its true part number (Graph subscribedSkus: CONTRACT 0.1 C2, C3)."""
        return self._once('skus', lambda: directory_api.subscribed_skus(self.client, self.tenant))

    def skus_loaded(self):
        return 'skus' in self._cache

    def display_names(self):
        """SKU id -> the product name CIPP shows (ListLicenses), read only when a name must be matched or shown."""
        def read():
            return dict((row['sku_id'], row['name']) for row in directory_api.list_licenses(self.client, self.tenant) if row.get('name'))
        return self._once('names', read)

    def resolve_license(self, value):
        """The licence for a SKU id, Microsoft part number (SPB) or the product name CIPP shows."""
        wanted = value.strip().lower()
        for row in self.skus():
            if wanted in (row['sku_id'], str(row.get('part_number') or '').lower()):
                return row
        names = self.display_names()
        for row in self.skus():
            if str(names.get(row['sku_id']) or '').lower() == wanted:
                return row
        known = ', '.join(sorted('%s (%s)' % (row['part_number'], names.get(row['sku_id']) or row['part_number']) for row in self.skus()))
        raise CippConfigError('licenses: %r is not a licence of tenant %s; use a SKU id, a part number or a product name (%s)'
                              % (value, self.tenant, known or 'the tenant has no licences'))

    def license_label(self, sku_id):
        for row in self._cache.get('skus') or []:
            if row['sku_id'] == sku_id.lower():
                return row.get('part_number') or sku_id
        return sku_id

    def labels(self, sku_ids):
        return dict((sku, self.license_label(sku)) for sku in sku_ids)

    def check_seats(self, sku_ids):
        """All new assignments of the task together must fit into the free seats."""
        wanted = {}
        for sku_id in sku_ids:
            wanted[sku_id] = wanted.get(sku_id, 0) + 1
        for sku_id, count in wanted.items():
            row = self.resolve_license(sku_id)
            available = row.get('seats_available')
            if available is not None and available < count:
                raise CippConfigError('licenses: %d new assignment(s) of %s but only %d free seat(s) in tenant %s (%s of %s used)'
                                      % (count, row['part_number'], max(available, 0), self.tenant, row.get('seats_used'),
                                         row.get('seats_total')))

    # -- groups

    def groups(self):
        return self._once('groups', lambda: directory_api.list_groups(self.client, self.tenant))

    def resolve_group(self, value, known=()):
        """The group for an id or display name; ``known`` rows (e.g. current memberships) are tried first,
        so a no-op run does not need the tenant's group list."""
        match = _match_group(known, value, self.tenant)
        if match is None:
            match = _match_group(self.groups(), value, self.tenant)
        if match is None:
            raise CippConfigError('groups: no group %r in tenant %s' % (value, self.tenant))
        return match

    # -- group members

    def is_member(self, group_id, user_id):
        """Whether the user is a direct member of the group, from the group's member list (read once per group)."""
        key = group_id.lower()
        with self._locks['members']:
            lock = self._member_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._members:
                self._members[key] = directory_api.group_member_ids(self.client, self.tenant, group_id)
            return user_id.lower() in self._members[key]

    def note_membership(self, group_id, user_id, member):
        """Our own write changed a membership: the cached member list follows it (it is not read again)."""
        with self._locks['members']:
            members = self._members.get(group_id.lower())
            if members is not None:
                (members.add if member else members.discard)(user_id.lower())


def _match_group(rows, value, tenant):
    wanted = value.strip().lower()
    for row in rows:
        if str(row.get('id', '')).lower() == wanted:
            return row
    by_name = [row for row in rows if row['name'].lower() == wanted]
    if len(by_name) > 1:
        raise CippConfigError('groups: more than one group of tenant %s is named %r (ids: %s); use the id'
                              % (tenant, value, ', '.join(row['id'] for row in by_name)))
    return by_name[0] if by_name else None
