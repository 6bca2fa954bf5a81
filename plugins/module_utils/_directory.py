# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Licences and groups by name or id, resolved once per task (ListLicenses, ListGroups, ListDomains)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError


class Directory:
    """Read-once views of a tenant's domains, licences and groups for one task."""

    def __init__(self, client, tenant):
        self.client = client
        self.tenant = tenant
        self._skus = None
        self._groups = None
        self._domains = None
        # cipp_users reads through one Directory from several threads: each list is still read once.
        self._locks = dict((name, threading.Lock()) for name in ('domains', 'skus', 'groups'))

    # -- domains

    def domains(self):
        with self._locks['domains']:
            if self._domains is None:
                rows = self.client.call('ListDomains', tenant=self.tenant) or []
                self._domains = [row for row in rows if isinstance(row, dict) and row.get('id')]
        return self._domains

    def check_domain(self, domain, option):
        names = sorted(row['id'].lower() for row in self.domains())
        if names and domain.lower() not in names:
            raise CippConfigError('%s: the domain %s is not a domain of tenant %s (its domains: %s)'
                                  % (option, domain, self.tenant, ', '.join(names)))

    # -- licences

    def skus(self):
        with self._locks['skus']:
            if self._skus is None:
                rows = self.client.call('ListLicenses', tenant=self.tenant) or []
                self._skus = [row for row in rows if isinstance(row, dict) and row.get('skuId')]
        return self._skus

    def skus_loaded(self):
        return self._skus is not None

    def resolve_license(self, value):
        """The ListLicenses row for a SKU id, part number (SPB) or product name (Microsoft 365 Business Premium)."""
        wanted = value.strip().lower()
        for row in self.skus():
            if wanted in (str(row.get('skuId', '')).lower(), str(row.get('skuPartNumber', '')).lower(),
                          str(row.get('License', '')).lower()):
                return row
        known = ', '.join(sorted(str(row.get('skuPartNumber')) for row in self.skus()))
        raise CippConfigError('licenses: %r is not a licence of tenant %s; use a SKU id or part number (%s)'
                              % (value, self.tenant, known or 'the tenant has no licences'))

    def license_label(self, sku_id):
        for row in self._skus or []:
            if str(row.get('skuId', '')).lower() == sku_id.lower():
                return row.get('skuPartNumber') or sku_id
        return sku_id

    def free_seats(self, sku_id):
        row = self.resolve_license(sku_id)
        available = _to_int(row.get('CountAvailable'))
        if available is None:
            available = (_to_int(row.get('TotalLicenses')) or 0) - (_to_int(row.get('CountUsed')) or 0)
        return available

    def check_seats(self, sku_ids):
        for sku_id in sku_ids:
            row = self.resolve_license(sku_id)
            if self.free_seats(sku_id) < 1:
                raise CippConfigError('licenses: no free seat of %s in tenant %s (%s of %s used)'
                                      % (row.get('skuPartNumber'), self.tenant, row.get('CountUsed'), row.get('TotalLicenses')))

    # -- groups

    def groups(self):
        with self._locks['groups']:
            if self._groups is None:
                rows = self.client.call('ListGroups', tenant=self.tenant) or []
                self._groups = [row for row in rows if isinstance(row, dict) and row.get('id')]
        return self._groups

    def resolve_group(self, value, known=()):
        """The group row for an id or display name; ``known`` rows (e.g. current memberships) are tried first,
        so a no-op run does not need the tenant's group list."""
        match = _match_group(known, value, self.tenant)
        if match is None:
            match = _match_group(self.groups(), value, self.tenant)
        if match is None:
            raise CippConfigError('groups: no group %r in tenant %s' % (value, self.tenant))
        return match


def _match_group(rows, value, tenant):
    wanted = value.strip().lower()
    for row in rows:
        if str(row.get('id', '')).lower() == wanted:
            return row
    by_name = [row for row in rows if _group_name(row).lower() == wanted]
    if len(by_name) > 1:
        raise CippConfigError('groups: more than one group of tenant %s is named %r (ids: %s); use the id'
                              % (tenant, value, ', '.join(row['id'] for row in by_name)))
    return by_name[0] if by_name else None


def group_name(row):
    return _group_name(row)


def _group_name(row):
    # ListGroups returns Graph's displayName; ListUserGroups returns CIPP's DisplayName.
    return row.get('displayName') or row.get('DisplayName') or ''


def group_is_dynamic(row):
    if row.get('dynamicGroupBool'):
        return True
    types = row.get('groupTypes') or row.get('GroupTypes') or []
    if isinstance(types, str):
        types = [part.strip() for part in types.split(',')]
    return 'DynamicMembership' in types or bool(row.get('membershipRule'))


def _to_int(value):
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None
