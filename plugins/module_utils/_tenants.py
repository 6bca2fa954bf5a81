# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cipp_tenant_info resource: tenants, with their domains, licences and groups on request."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.module_utils import _api_directory as directory_api
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError

ALL_TENANTS = directory_api.ALL_TENANTS
list_tenants = directory_api.list_tenants


def tenant_licences(client, tenant):
    """Every SKU of the tenant (Graph's subscribedSkus, true part numbers), with the name and CIPP's fields from
    ListLicenses where CIPP lists the SKU (it hides its excluded SKUs there)."""
    cipp_rows = dict((row['sku_id'], row) for row in directory_api.list_licenses(client, tenant))
    licences = []
    for sku in directory_api.subscribed_skus(client, tenant):
        row = dict(cipp_rows.get(sku['sku_id']) or {'skuId': sku['sku_id']})
        row.update(sku)
        row['skuPartNumber'] = sku['part_number']  # Microsoft's, not CIPP's display name (CONTRACT 0.1 C2)
        row['name'] = (cipp_rows.get(sku['sku_id']) or {}).get('name') or sku['part_number']
        row['excluded_by_cipp'] = sku['sku_id'] not in cipp_rows
        licences.append(row)
    return licences


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
            row['domains_list'] = directory_api.graph_domains(client, tenant_filter)
        if 'licenses' in include:
            row['licenses'] = tenant_licences(client, tenant_filter)
        if 'groups' in include:
            row['groups'] = directory_api.list_groups(client, tenant_filter)
    return {'changed': False, 'tenants': tenants}
