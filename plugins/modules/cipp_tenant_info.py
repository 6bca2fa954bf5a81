#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cipp_tenant_info
short_description: List the customer tenants CIPP manages, with domains and licences
version_added: 0.1.0
description:
  - Lists the tenants CIPP manages (C(ListTenants)), or one of them.
  - Optionally adds each tenant's domains (Graph's C(domains), with C(isVerified)) and licences with seat counts (Graph's
    C(subscribedSkus), with Microsoft's part numbers, plus CIPP's display names from C(ListLicenses)).
  - Also a cheap check that the connection options and the API client's credentials work; it needs only
    the C(readonly) role.
  - Never changes anything; safe in check mode.
author:
  - msp.cipp contributors (@msp-cipp)
extends_documentation_fragment:
  - msp.cipp.connection
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Read-only; there is nothing to diff.
options:
  tenant:
    description:
      - One tenant, by default domain, C(*.onmicrosoft.com) domain or tenant ID. Without it, all tenants.
      - No match gives an empty RV(tenants) list, not a failure.
    type: str
  include:
    description:
      - Extra details per tenant. Each adds one call per tenant.
      - V(domains) adds RV(tenants[].domains_list) (C(ListGraphRequest) C(domains); CIPP's C(ListDomains) does not say
        whether a domain is verified).
      - V(licenses) adds RV(tenants[].licenses) (C(ListGraphRequest) C(subscribedSkus) and C(ListLicenses)), with seat
        counts as numbers.
      - V(groups) adds RV(tenants[].groups) from C(ListGroups).
    type: list
    elements: str
    choices: [domains, licenses, groups]
    default: []
'''

EXAMPLES = r'''
- name: Check the CIPP connection and list all tenants
  msp.cipp.cipp_tenant_info:
  register: cipp

- name: One tenant with its domains and licence seats
  msp.cipp.cipp_tenant_info:
    tenant: contoso.com
    include: [domains, licenses]
  register: contoso

- name: Fail early when a licence has no free seat
  ansible.builtin.assert:
    that: (contoso.tenants[0].licenses | selectattr('skuPartNumber', 'equalto', 'SPB') | first).seats_available > 0
'''

RETURN = r'''
tenants:
  description:
    - The tenants, as CIPP's C(ListTenants) returns them (one row per tenant, sorted by display name).
    - Main keys are C(customerId) (tenant ID), C(defaultDomainName), C(initialDomainName), C(displayName),
      C(delegatedPrivilegeStatus), C(relationshipEnd), C(GraphErrorCount) and C(LastGraphError).
  returned: always
  type: list
  elements: dict
  contains:
    customerId:
      description: Tenant ID.
      type: str
      returned: always
      sample: 2c5c6e2a-87a3-4f63-9f8e-1a0c1a1d3b11
    defaultDomainName:
      description: Default domain; what other modules accept as O(tenant).
      type: str
      returned: always
      sample: contoso.com
    displayName:
      description: Tenant name.
      type: str
      returned: always
    domains_list:
      description:
        - Domains of the tenant from Graph (C(id), C(isDefault), C(isInitial), C(isVerified)), plus C(name) (lower case),
          C(default), C(initial) and C(verified).
      type: list
      elements: dict
      returned: when O(include) has V(domains)
    licenses:
      description:
        - Every SKU the tenant has (Graph's C(subscribedSkus), free and trial SKUs included), each with C(skuId),
          C(skuPartNumber) (Microsoft's part number such as C(SPB); CIPP's C(ListLicenses) puts the display name there),
          C(sku_id), C(part_number), C(name) (the display name CIPP shows), C(seats_total), C(seats_used) and
          C(seats_available) as integers, C(capability_status), C(excluded_by_cipp) (true when CIPP hides the SKU from
          its licence list, as it does for free and trial SKUs) and, where CIPP lists the SKU, C(ListLicenses)' fields
          (C(License), C(CountUsed), C(TotalLicenses), C(AssignedGroups), ...).
      type: list
      elements: dict
      returned: when O(include) has V(licenses)
    groups:
      description: Groups from C(ListGroups) (C(id), C(displayName), C(groupTypes), C(mailEnabled), C(securityEnabled)...).
      type: list
      elements: dict
      returned: when O(include) has V(groups)
cipp_calls:
  description: The CIPP calls the task made, with secrets masked.
  returned: always
  type: list
  elements: dict
  sample: [{endpoint: ListTenants, method: GET, write: false, sent: true, status: 200, params: {}}]
'''

from ansible_collections.msp.cipp.plugins.module_utils._module import CippModule
from ansible_collections.msp.cipp.plugins.module_utils._tenants import tenant_info


ARGUMENT_SPEC = dict(
    tenant=dict(type='str'),
    include=dict(type='list', elements='str', choices=['domains', 'licenses', 'groups'], default=[]),
)
MODULE_KWARGS = {}
RESOURCE = tenant_info


def main():
    CippModule(ARGUMENT_SPEC, **MODULE_KWARGS).run(RESOURCE)


if __name__ == '__main__':
    main()
