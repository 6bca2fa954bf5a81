# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API layer: tenants, domains, licences and groups, each answer normalised once.

A licence is ``{sku_id, part_number, name, seats_total, seats_used, seats_available}``; a group is CIPP's row plus
``{id, name, mail, dynamic, synced, mail_enabled, security_enabled, assigns_licenses, group_type}``; a domain is
``{name, default, initial, verified}`` (``verified`` None when the source does not say).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.module_utils._api_graph import graph_get

ALL_TENANTS = 'AllTenants'


# ------------------------------------------------------------------------------ tenants

def list_tenants(client, tenant=None):
    """ListTenants rows, all or narrowed to one tenant (by default domain, initial domain or id).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Tenant/Administration/Tenant/Invoke-ListTenants.ps1``
    (query ``tenantFilter``; a bare array; CIPP's own ``AllTenants`` row and error rows have no customerId).
    """
    params = {}
    if tenant and tenant.lower() != ALL_TENANTS.lower():
        # Lower case: CIPP's table lookup is case-sensitive, and a miss makes it rebuild its whole tenant list.
        params['tenantFilter'] = tenant.lower()
    rows = client.call('ListTenants', params) or []
    rows = [row for row in rows if isinstance(row, dict) and row.get('customerId') not in (None, '', ALL_TENANTS)]
    # A name lookup can return an excluded tenant: Get-Tenants.ps1's table filter "Excluded eq false and
    # defaultDomainName eq 'x' or initialDomainName eq 'x'" has no brackets. CIPP does not manage excluded tenants.
    rows = [row for row in rows if str(row.get('Excluded')).lower() != 'true']
    if params:
        wanted = tenant.lower()
        rows = [row for row in rows if wanted in tenant_keys(row)]
    return rows


def managed_tenant_keys(client):
    """Every name and id (lower case) by which a tenant CIPP manages can be given: what the client checks writes against."""
    keys = set()
    for row in list_tenants(client):
        keys.update(tenant_keys(row))
    return keys


def tenant_keys(row):
    return set(str(row.get(key) or '').lower() for key in ('defaultDomainName', 'initialDomainName', 'customerId')) - {''}


# ------------------------------------------------------------------------------ domains

def list_domains(client, tenant):
    """The tenant's domains as CIPP lists them, verified or not (CONTRACT 0.1 C16).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Tenant/Administration/Domains/Invoke-ListDomains.ps1``
    (Graph ``beta/domains`` reduced to ``id, isDefault, isInitial``; no ``isVerified``).
    """
    rows = client.call('ListDomains', tenant=tenant) or []
    domains = []
    for row in rows:
        if isinstance(row, dict) and row.get('id'):
            # CIPP selects "id, isdefault, isinitial": read the flags whatever their case.
            flags = dict((str(key).lower(), value) for key, value in row.items())
            domains.append(dict(row, name=str(row['id']).lower(), default=bool(flags.get('isdefault')),
                                initial=bool(flags.get('isinitial')), verified=None))
    return domains


def graph_domains(client, tenant):
    """The tenant's domains from Graph, with ``isVerified`` (ListGraphRequest ``domains``; see _api_graph)."""
    rows = graph_get(client, tenant, 'domains', select='id,isDefault,isInitial,isVerified')
    return [dict(row, name=str(row['id']).lower(), default=bool(row.get('isDefault')), initial=bool(row.get('isInitial')),
                 verified=row.get('isVerified')) for row in rows if row.get('id')]


# ------------------------------------------------------------------------------ licences

def subscribed_skus(client, tenant):
    """Every SKU the tenant has, with Microsoft's true part numbers (``SPB``), free and trial SKUs included.

    ListGraphRequest ``subscribedSkus`` (see _api_graph). ListLicenses cannot be used for this: its
    ``skuPartNumber`` is the product's display name and it hides CIPP's excluded SKUs (CONTRACT 0.1 C2, C3).
    """
    licences = []
    for row in graph_get(client, tenant, 'subscribedSkus'):
        if not row.get('skuId'):
            continue
        total = _to_int((row.get('prepaidUnits') or {}).get('enabled'))
        used = _to_int(row.get('consumedUnits'))
        licences.append({'sku_id': str(row['skuId']).lower(), 'part_number': row.get('skuPartNumber'),
                         'name': row.get('skuPartNumber'), 'seats_total': total, 'seats_used': used,
                         'seats_available': None if total is None or used is None else total - used,
                         'capability_status': row.get('capabilityStatus')})
    return licences


def list_licenses(client, tenant):
    """CIPP's licence overview: display names and seat counts, excluded SKUs left out.

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Tenant/Reports/Invoke-ListLicenses.ps1`` ->
    ``Modules/CIPPCore/Public/Get-CIPPLicenseOverview.ps1``: ``License`` and ``skuPartNumber`` both hold the product's
    display name; ``CountUsed``/``TotalLicenses`` are strings.
    """
    rows = client.call('ListLicenses', tenant=tenant) or []
    licences = []
    for row in rows:
        if not isinstance(row, dict) or not row.get('skuId'):
            continue
        total, used = _to_int(row.get('TotalLicenses')), _to_int(row.get('CountUsed'))
        available = _to_int(row.get('CountAvailable'))
        if available is None and total is not None and used is not None:
            available = total - used
        licences.append(dict(row, sku_id=str(row['skuId']).lower(), part_number=None, name=row.get('License') or row.get('skuPartNumber'),
                             seats_total=total, seats_used=used, seats_available=available))
    return licences


# ------------------------------------------------------------------------------ groups

def list_groups(client, tenant):
    """The tenant's groups, normalised (see the module docstring).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Groups/Invoke-ListGroups.ps1``
    (Graph ``beta/groups`` with ``assignedLicenses``, ``membershipRule``, ``onPremisesSyncEnabled``; CIPP adds
    ``groupType``, ``calculatedGroupType``, ``dynamicGroupBool``).
    """
    rows = client.call('ListGroups', tenant=tenant) or []
    return [normalise_group(row) for row in rows if isinstance(row, dict) and row.get('id')]


def group_member_ids(client, tenant, group_id):
    """The object ids (lower case) of the group's direct members, every page.

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/CIPP/Core/Invoke-ListGraphRequest.ps1`` with
    ``Endpoint=groups/{id}/members`` and ``$select=id`` (``Get-GraphRequestList.ps1`` follows every ``@odata.nextLink``
    unless ``NoPagination``; Graph's page is 100 members). Members are directoryObjects: users, but also devices,
    contacts and nested groups, all with an id. The group id goes into the URL path, so it must be a GUID (it is:
    it comes from ListGroups).
    """
    rows = graph_get(client, tenant, 'groups/%s/members' % group_id, select='id')
    return set(str(row['id']).lower() for row in rows if row.get('id'))


def normalise_group(row):
    """CIPP's or Graph's group row with the normalised keys added (both spellings of ListGroups/ListUserGroups/memberOf)."""
    types = row.get('groupTypes') if row.get('groupTypes') is not None else row.get('GroupTypes')
    if isinstance(types, str):
        types = [part.strip() for part in types.split(',') if part.strip()]
    types = list(types or [])
    mail_enabled = _first(row, 'mailEnabled', 'MailEnabled')
    security_enabled = _first(row, 'securityEnabled', 'SecurityGroup')
    licences = row.get('assignedLicenses')
    group = dict(row)
    group.update({
        'id': row['id'],
        'name': row.get('displayName') or row.get('DisplayName') or '',
        'mail': row.get('mail') or row.get('Mail'),
        'dynamic': 'DynamicMembership' in types or bool(row.get('dynamicGroupBool')) or bool(row.get('membershipRule')),
        'synced': bool(_first(row, 'onPremisesSyncEnabled', 'OnPremisesSync')),
        'mail_enabled': bool(mail_enabled),
        'security_enabled': bool(security_enabled),
        # None: this answer does not carry assignedLicenses (ListUserGroups), so it is unknown.
        'assigns_licenses': bool(licences) if licences is not None or 'assignedLicenses' in row else None,
        'group_type': row.get('groupType') or group_type(types, mail_enabled, security_enabled),
    })
    return group


def group_type(types, mail_enabled, security_enabled):
    """CIPP's label for a group (the same rule as ListGroups/ListUserGroups)."""
    if 'Unified' in types:
        return 'Microsoft 365'
    if mail_enabled and security_enabled:
        return 'Mail-Enabled Security'
    if not mail_enabled and security_enabled:
        return 'Security'
    if not types and mail_enabled and not security_enabled:
        return 'Distribution List'
    return None


def edit_group_members(client, tenant, group, user, action):
    """Add or remove one member (``action`` AddMember or RemoveMember).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Groups/Invoke-EditGroup.ps1``
    (body ``groupId`` as ``{value, label, addedFields.groupType}``, ``AddMember``/``RemoveMember`` as autocomplete items;
    always HTTP 200 once the group is found, failures as ``Error - ...`` texts).
    """
    member = {'value': user['id'], 'label': user.get('userPrincipalName'),
              'addedFields': {'userPrincipalName': user.get('userPrincipalName')}}
    return client.write('EditGroup', {'groupId': group_ref(group), action: [member], 'groupName': group['name']}, tenant=tenant)


def group_ref(group):
    """CIPP's autocomplete shape for a group, as AddUser's AddToGroups and EditGroup's groupId read it.

    ``addedFields.groupType`` is CIPP's label (``Distribution List``, ``Mail-Enabled Security``, ...): Invoke-EditGroup.ps1
    and ``Modules/CIPPCore/Public/New-CIPPUserTask.ps1`` compare it with those labels to choose Exchange or Graph.
    """
    return {'value': group['id'], 'label': group['name'],
            'addedFields': {'groupType': group.get('group_type')}}


def _first(row, *keys):
    for key in keys:
        if row.get(key) is not None:
            return row.get(key)
    return None


def _to_int(value):
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None
