# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenants, their domains and licences (CONTRACT 10, ListDomains, ListLicenses)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError

ALL_TENANTS = 'AllTenants'


def list_tenants(client, tenant=None):
    """ListTenants rows, all or narrowed to one tenant (by default domain, initial domain or id)."""
    params = {}
    if tenant and tenant.lower() != ALL_TENANTS.lower():
        params['tenantFilter'] = tenant
    rows = client.call('ListTenants', params) or []
    # CIPP answers [] or the full list when it cannot narrow: match ourselves as well.
    rows = [row for row in rows if isinstance(row, dict) and row.get('customerId') not in (None, '', ALL_TENANTS)]
    if params:
        wanted = tenant.lower()
        rows = [row for row in rows if wanted in tenant_keys(row)]
    return rows


def tenant_keys(row):
    return set(str(row.get(key) or '').lower() for key in ('defaultDomainName', 'initialDomainName', 'customerId')) - {''}


def list_domains(client, tenant):
    return client.call('ListDomains', tenant=tenant) or []


def domain_names(client, tenant):
    """The tenant's domain names, lower-case."""
    return set(str(row.get('id')).lower() for row in list_domains(client, tenant) if isinstance(row, dict) and row.get('id'))


def list_licenses(client, tenant):
    """ListLicenses rows with seat counts as numbers (CIPP sends CountUsed/TotalLicenses as strings)."""
    rows = client.call('ListLicenses', tenant=tenant) or []
    for row in rows:
        if isinstance(row, dict):
            row['seats_total'] = _to_int(row.get('TotalLicenses'))
            row['seats_used'] = _to_int(row.get('CountUsed'))
            row['seats_available'] = _to_int(row.get('CountAvailable'))
    return rows


def _to_int(value):
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def tenant_info(client, params, check_mode):
    """Resource function of cipp_tenant_info."""
    include = params.get('include') or []
    unknown = sorted(set(include) - {'domains', 'licenses', 'groups'})
    if unknown:
        raise CippConfigError('include accepts domains, licenses and groups, got: %s' % ', '.join(unknown))
    tenants = list_tenants(client, params.get('tenant'))
    for row in tenants:
        tenant_filter = row.get('defaultDomainName') or row.get('customerId')
        if 'domains' in include:
            row['domains_list'] = list_domains(client, tenant_filter)
        if 'licenses' in include:
            row['licenses'] = list_licenses(client, tenant_filter)
        if 'groups' in include:
            row['groups'] = [group for group in client.call('ListGroups', tenant=tenant_filter) or [] if isinstance(group, dict)]
    return {'changed': False, 'tenants': tenants}
