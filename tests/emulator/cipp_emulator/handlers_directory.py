"""Directory endpoints: tenants, users, groups, licences, domains, devices, sign-ins, deleted items, ListGraphRequest,
and the user/group writes (CONTRACT 5.1-5.7, 5.13-5.19, 5.28, 6.1, 10, 3.6).

Message templates and status codes follow CONTRACT.md; where it is silent, README.md says what was assumed.
"""

import copy
import json
import re
import secrets
import string
import uuid
from datetime import datetime, timezone

from .registry import Response, convert_to_bool, endpoint, label_value, ps_bool, ps_bool_text

GRAPH_NOT_FOUND = "Resource '%s' does not exist or one of its queried reference-property objects are not present."
CLEARABLE = ('givenName', 'surname', 'department', 'jobTitle', 'mobilePhone', 'streetAddress', 'city', 'state', 'postalCode',
             'country', 'companyName', 'businessPhones', 'otherMails')
PROFILE = ('displayName', 'givenName', 'surname', 'department', 'jobTitle', 'mobilePhone', 'streetAddress', 'city', 'state',
           'postalCode', 'country', 'companyName')
USERID_SELECT = (
    'id', 'accountEnabled', 'ageGroup', 'assignedLicenses', 'businessPhones', 'city', 'companyName', 'consentProvidedForMinor',
    'country', 'createdDateTime', 'department', 'displayName', 'employeeHireDate', 'employeeId', 'employeeLeaveDateTime',
    'employeeType', 'faxNumber', 'givenName', 'jobTitle', 'lastPasswordChangeDateTime', 'legalAgeGroupClassification', 'mail',
    'mailNickname', 'mobilePhone', 'officeLocation', 'onPremisesDistinguishedName', 'onPremisesImmutableId',
    'onPremisesLastSyncDateTime', 'onPremisesSyncEnabled', 'otherMails', 'postalCode', 'preferredLanguage', 'proxyAddresses',
    'showInAddressList', 'state', 'streetAddress', 'surname', 'usageLocation', 'userPrincipalName', 'userType')
GROUP_LABELS = {'m365': ('m365', 'Microsoft 365'), 'mailsecurity': ('security', 'Mail-Enabled Security'),
                'security': ('generic', 'Security'), 'distribution': ('distributionList', 'Distribution List')}
SIGNIN_TEMPLATE = {
    'additionalDetails': None, 'agent': {'agentSubjectParentId': '', 'agentSubjectType': 'notAgentic', 'agentType': 'notAgentic',
                                         'parentAppId': ''},
    'appliedConditionalAccessPolicies': [], 'appliedEventListeners': [], 'appOwnerTenantId': 'f8cdef31-a31e-4b4a-93e4-5f571e91255a',
    'authenticationAppDeviceDetails': None, 'authenticationAppPolicyEvaluationDetails': [],
    'authenticationContextClassReferences': [], 'authenticationDetails': [], 'authenticationMethodsUsed': [],
    'authenticationProcessingDetails': [], 'authenticationProtocol': 'none', 'authenticationRequirement': 'singleFactorAuthentication',
    'authenticationRequirementPolicies': [], 'autonomousSystemNumber': 1136, 'clientCredentialType': 'none',
    'conditionalAccessAudiences': [], 'correlationId': '', 'crossTenantAccessType': 'none',
    'deviceDetail': {'browser': 'Edge 131.0.0', 'deviceId': '', 'displayName': '', 'isCompliant': False, 'isManaged': False,
                     'operatingSystem': 'Windows10', 'trustType': None},
    'federatedCredentialId': None, 'flaggedForReview': False, 'globalSecureAccessIpAddress': '', 'homeTenantId': '',
    'homeTenantName': '', 'incomingTokenType': 'none', 'ipAddressFromResourceProvider': None, 'isTenantRestricted': False,
    'isThroughGlobalSecureAccess': False, 'managedServiceIdentity': {'associatedResourceId': None, 'federatedTokenId': None,
                                                                     'federatedTokenIssuer': None, 'msiType': 'none'},
    'mfaDetail': None, 'networkLocationDetails': [], 'originalRequestId': '', 'originalTransferMethod': 'none',
    'privateLinkDetails': {'policyId': '', 'policyName': '', 'policyTenantId': None, 'resourceId': ''},
    'processingTimeInMilliseconds': 120, 'resourceId': '00000002-0000-0ff1-ce00-000000000000', 'resourceOwnerTenantId': '',
    'resourceServicePrincipalId': '', 'resourceTenantId': '', 'riskDetail': 'none', 'riskEventTypes_v2': [],
    'riskLevelAggregated': 'none', 'servicePrincipalCredentialKeyId': None, 'servicePrincipalCredentialThumbprint': '',
    'servicePrincipalId': '', 'servicePrincipalName': None, 'sessionId': '', 'sessionLifetimePolicies': [],
    'signInEventTypes': 'interactiveUser', 'signInIdentifier': '', 'signInIdentifierType': None,
    'signInTokenProtectionStatus': 'none', 'tokenIssuerName': '', 'tokenIssuerType': 'AzureAD',
    'tokenProtectionStatusDetails': {'signInSessionStatus': 'unbound', 'signInSessionStatusCode': 0},
    'uniqueTokenIdentifier': '', 'userAgent': 'Mozilla/5.0', 'userType': 'member',
}


# ------------------------------------------------------------------------------------------------ helpers

def iso(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def public(obj):
    return dict((key, value) for key, value in obj.items() if not str(key).startswith('_'))


def results(value, status=200):
    return Response.json({'Results': value}, status)


def tenant_of(req, name='tenantFilter', source='qb'):
    value = {'q': req.q, 'b': req.b, 'qb': req.qb}[source](name)
    return req.state.resolve_tenant(label_value(value))


def not_managed(tenant_filter):
    """What the Graph helpers say for a tenant CIPP does not manage (CONTRACT 2.6)."""
    return "Graph request denied for '%s': the tenant is not in CIPP's tenant list." % (label_value(tenant_filter) or '')


def generated_password():
    alphabet = string.ascii_letters + string.digits + '!@#$%&*?'
    while True:
        password = ''.join(secrets.choice(alphabet) for _ in range(14))
        if any(c.isupper() for c in password) and any(c.islower() for c in password) and any(c.isdigit() for c in password):
            return password


def sku_name(tenant, sku_id):
    sku = tenant.skus.get(sku_id)
    return sku['displayName'] if sku else sku_id


def user_view(tenant, user, selected=None):
    """A user as CIPP's ListUsers returns it: Graph properties plus CIPP's additions (CONTRACT 5.4)."""
    view = public(user)
    if selected is not None:
        view = dict((key, view.get(key)) for key in selected)
    view['onPremisesSyncEnabled'] = bool(user.get('onPremisesSyncEnabled'))
    upn = user['userPrincipalName']
    view['username'] = upn.split('@')[0]
    domain = upn.split('@')[-1]
    view['primDomain'] = {'value': domain, 'label': domain}
    view['Aliases'] = ', '.join(user.get('proxyAddresses') or [])
    view['LicJoined'] = ', '.join(sku_name(tenant, lic['skuId']) for lic in user.get('assignedLicenses') or [])
    manager = tenant.users.get(user.get('_managerId') or '')
    if manager:
        view['manager'] = {'id': manager['id'], 'userPrincipalName': manager['userPrincipalName'], 'displayName': manager['displayName']}
    return view


def group_kind(group):
    return group.get('_kind') or ('m365' if 'Unified' in group.get('groupTypes', []) else 'security')


def group_row(tenant, group):
    """A ListGroups row (shapes/ListGroups.json): CIPP joins groupTypes into a string and adds its own type labels."""
    calculated, label = GROUP_LABELS[group_kind(group)]
    members = [tenant.users[m] for m in group['_members'] if m in tenant.users]
    row = public(group)
    row.update({
        'groupTypes': ','.join(group.get('groupTypes') or []), 'calculatedGroupType': calculated, 'groupType': label,
        'dynamicGroupBool': 'DynamicMembership' in (group.get('groupTypes') or []),
        'membersCsv': ','.join(member['userPrincipalName'] for member in members),
        'primDomain': (group.get('mail') or '@%s' % tenant.default_domain).split('@')[-1],
        'SID': 'S-1-12-1-%d' % int(group['id'][:8], 16), 'teamsEnabled': 'Team' in (group.get('resourceProvisioningOptions') or []),
        'description': group.get('description') or '', 'mail': group.get('mail') or '', 'visibility': group.get('visibility') or 'Public',
        'assignedLicenses': group.get('assignedLicenses') or None,
    })
    return row


def membership_row(group):
    calculated, label = GROUP_LABELS[group_kind(group)]
    return {'id': group['id'], 'DisplayName': group['displayName'], 'MailEnabled': group['mailEnabled'], 'Mail': group.get('mail'),
            'SecurityGroup': group['securityEnabled'], 'GroupTypes': ','.join(group.get('groupTypes') or []),
            'OnPremisesSync': bool(group.get('onPremisesSyncEnabled')), 'IsAssignableToRole': group.get('isAssignableToRole', False),
            'calculatedGroupType': calculated, 'groupType': label}


# ------------------------------------------------------------------------------------------------ OData $filter subset

TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>\(|\)|,)|(?P<word>[A-Za-z_][A-Za-z0-9_/.]*)|(?P<num>-?\d+(?:\.\d+)?))")


class FilterError(Exception):
    pass


def parse_filter(text):
    """`eq`, `ne`, `startswith(prop,'x')`, `and`, `or`, `not`, parentheses; string/bool/null/number literals."""
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise FilterError(text)
        pos = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == 'str':
            value = value[1:-1].replace("''", "'")
        tokens.append((kind, value))
    tree, rest = _or(tokens)
    if rest:
        raise FilterError(text)
    return tree


def _or(tokens):
    left, tokens = _and(tokens)
    while tokens and tokens[0] == ('word', 'or'):
        right, tokens = _and(tokens[1:])
        left = ('or', left, right)
    return left, tokens


def _and(tokens):
    left, tokens = _unary(tokens)
    while tokens and tokens[0] == ('word', 'and'):
        right, tokens = _unary(tokens[1:])
        left = ('and', left, right)
    return left, tokens


def _unary(tokens):
    if not tokens:
        raise FilterError('unexpected end')
    if tokens[0] == ('word', 'not'):
        inner, rest = _unary(tokens[1:])
        return ('not', inner), rest
    if tokens[0] == ('op', '('):
        inner, rest = _or(tokens[1:])
        if not rest or rest[0] != ('op', ')'):
            raise FilterError('missing )')
        return inner, rest[1:]
    if tokens[0][0] == 'word' and tokens[0][1].lower() in ('startswith', 'endswith') and len(tokens) > 5:
        func = tokens[0][1].lower()
        if tokens[1] != ('op', '(') or tokens[2][0] != 'word' or tokens[3] != ('op', ',') or tokens[5] != ('op', ')'):
            raise FilterError(func)
        return (func, tokens[2][1], _literal(tokens[4])), tokens[6:]
    if len(tokens) >= 3 and tokens[0][0] == 'word' and tokens[1][0] == 'word' and tokens[1][1].lower() in ('eq', 'ne'):
        return (tokens[1][1].lower(), tokens[0][1], _literal(tokens[2])), tokens[3:]
    raise FilterError(' '.join(str(token[1]) for token in tokens[:3]))


def _literal(token):
    kind, value = token
    if kind == 'str':
        return value
    if kind == 'num':
        return float(value) if '.' in value else int(value)
    if kind == 'word' and value.lower() in ('true', 'false', 'null'):
        return {'true': True, 'false': False, 'null': None}[value.lower()]
    raise FilterError(str(value))


def _value(obj, prop):
    for part in prop.split('/'):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def matches(tree, obj):
    op = tree[0]
    if op == 'or':
        return matches(tree[1], obj) or matches(tree[2], obj)
    if op == 'and':
        return matches(tree[1], obj) and matches(tree[2], obj)
    if op == 'not':
        return not matches(tree[1], obj)
    value, literal = _value(obj, tree[1]), tree[2]
    if isinstance(value, str) and isinstance(literal, str):
        value, literal = value.lower(), literal.lower()
    if op == 'eq':
        return value == literal
    if op == 'ne':
        return value != literal
    if op == 'startswith':
        return isinstance(value, str) and value.startswith(literal)
    return isinstance(value, str) and value.endswith(literal)


def graph_filter(rows, text):
    if not text:
        return rows
    tree = parse_filter(text)
    return [row for row in rows if matches(tree, row)]


def invalid_filter(text):
    return "Invalid filter clause: Syntax error at position %d in '%s'." % (len(text), text)


# ------------------------------------------------------------------------------------------------ tenants

@endpoint('ListTenants', 'CIPP.Core.Read', any_tenant=True)
def list_tenants(req):
    with req.state.lock:
        tenant_filter = req.q('tenantFilter')
        tenants = sorted(req.state.tenants.values(), key=lambda t: t.row['displayName'].lower())
        rows = []
        if tenant_filter and str(tenant_filter).lower() != 'alltenants':
            tenant = req.state.resolve_tenant(tenant_filter)
            tenants = [tenant] if tenant else []
        for tenant in tenants:
            if tenant.row.get('Excluded'):
                continue
            row = dict(tenant.row)
            if str(req.q('Mode') or '').lower() == 'tenantlist':
                tid = tenant.customer_id
                row.update({'portal_m365': 'https://admin.cloud.microsoft/?delegatedOrg=%s' % tenant.row['initialDomainName'],
                            'portal_exchange': 'https://admin.cloud.microsoft/exchange?delegatedOrg=%s' % tenant.row['initialDomainName'],
                            'portal_entra': 'https://entra.microsoft.com/%s' % tid, 'portal_teams': 'https://admin.teams.microsoft.com/?delegatedOrg=%s' % tid,
                            'portal_azure': 'https://portal.azure.com/%s' % tid, 'portal_intune': 'https://intune.microsoft.com/%s' % tid,
                            'portal_security': 'https://security.microsoft.com/?tid=%s' % tid,
                            'portal_compliance': 'https://purview.microsoft.com/?tid=%s' % tid,
                            'portal_sharepoint': tenant.row.get('SharepointAdminUrl'), 'portal_platform': 'https://admin.powerplatform.microsoft.com/account/login/%s' % tid,
                            'portal_bi': 'https://app.powerbi.com/admin-portal?ctid=%s' % tid})
            if str(req.q('IncludeOffboardingDefaults') or '').lower() == 'true':
                row['offboardingDefaults'] = None
            rows.append(row)
        if str(req.q('AllTenantSelector') or '').lower() == 'true' and (not tenant_filter or str(req.q('Mode') or '').lower() == 'tenantlist'):
            rows.insert(0, {'customerId': 'AllTenants', 'defaultDomainName': 'AllTenants', 'displayName': '*All Tenants',
                            'domains': 'AllTenants', 'GraphErrorCount': 0})
        return Response.json(rows)


@endpoint('ListDomains', 'Tenant.Administration.Read')
def list_domains(req):
    with req.state.lock:
        tenant = tenant_of(req, source='q')
        if tenant is None:
            return Response.text(not_managed(req.q('tenantFilter')), 500)
        return Response.json(copy.deepcopy(tenant.domains))


@endpoint('ListLicenses', 'Tenant.Directory.Read')
def list_licenses(req):
    with req.state.lock:
        tenant = tenant_of(req, source='q')
        if tenant is None:
            return Response.text(not_managed(req.q('tenantFilter')), 500)
        rows = []
        for sku in tenant.skus.values():
            holders = [u for u in tenant.users.values() if any(l['skuId'] == sku['skuId'] for l in u['assignedLicenses'])]
            total = sku['prepaidUnits']['enabled']
            rows.append({
                'Tenant': tenant.default_domain, 'License': sku['displayName'], 'skuId': sku['skuId'], 'skuPartNumber': sku['skuPartNumber'],
                'CountUsed': str(len(holders)), 'CountAvailable': total - len(holders), 'TotalLicenses': str(total),
                'availableUnits': total - len(holders), 'AssignedGroups': None,
                'AssignedUsers': [{'displayName': u['displayName'], 'id': u['id'], 'userPrincipalName': u['userPrincipalName']} for u in holders],
                'ServicePlans': [{'servicePlanId': str(uuid.uuid5(uuid.NAMESPACE_OID, sku['skuId'] + ':exo')), 'servicePlanName': 'EXCHANGE_S_STANDARD',
                                  'provisioningStatus': 'Success', 'appliesTo': 'User', 'servicePlanType': 'Exchange'}],
                'TermInfo': {'CSPSubscriptionId': sku['_subscriptionId'], 'DaysUntilRenew': 120, 'IsTrial': False,
                             'NextLifecycle': '2027-03-01T00:00:00Z', 'OCPSubscriptionId': sku['_subscriptionId'], 'Status': 'Enabled',
                             'SubscriptionId': sku['_subscriptionId'], 'Term': sku['_term'], 'TotalLicenses': total},
            })
        return Response.json(rows)


@endpoint('ListUserCounts', 'Identity.User.Read')
def list_user_counts(req):
    with req.state.lock:
        tenant = tenant_of(req, source='q')
        if tenant is None:
            return Response.text(not_managed(req.q('tenantFilter')), 500)
        users = list(tenant.users.values())
        return Response.json([{'Users': len(users), 'LicUsers': sum(1 for u in users if u['assignedLicenses']),
                               'Gas': sum(1 for u in users if u.get('_isAdmin')),
                               'Guests': sum(1 for u in users if u['userType'] == 'Guest')}])


@endpoint('ListCustomRole', 'CIPP.Admin.Read', any_tenant=True)
def list_custom_role(req):
    return Response.json([{'RoleName': 'cipp-api', 'Type': 'Custom', 'Permissions': '["Identity.User.Read"]', 'AllowedTenants': '["AllTenants"]',
                           'BlockedTenants': None, 'EntraGroup': None, 'EntraGroupId': None, 'IPRange': None}])


@endpoint('me', 'CIPP.Core.Read', any_tenant=True)
def me(req):
    # By code reading, a client with a built-in role fails parameter binding here (CONTRACT 3.6, unverified).
    return Response.text('Access to this CIPP API endpoint is not allowed, the user does not have the required permission', 403)


# ------------------------------------------------------------------------------------------------ users (reads)

@endpoint('ListUsers', 'Identity.User.Read')
def list_users(req):
    with req.state.lock:
        tenant_filter = req.q('tenantFilter')
        if str(tenant_filter or '').lower() == 'alltenants':
            return Response.json([{'Message': 'This function has been deprecated for all users, please use ListGraphRequest instead'}])
        tenant = tenant_of(req, source='q')
        if tenant is None:
            return Response.text(not_managed(tenant_filter), 500)
        user_id = req.q('UserID')
        if user_id:
            user = tenant.find_user(user_id)
            if user is None:
                return Response.text(GRAPH_NOT_FOUND % user_id, 500)
            return Response.json([user_view(tenant, user, USERID_SELECT)])
        rows = [user_view(tenant, user) for user in tenant.users.values()]
        text = req.q('graphFilter')
        try:
            rows = graph_filter(rows, text)
        except FilterError:
            return Response.text(invalid_filter(text), 500)
        return Response.json(rows)


def _graph_rows(tenant, path, select):
    """Rows for the Graph paths ListGraphRequest supports here; raises KeyError(text) for Graph errors."""
    parts = [part for part in path.strip('/').split('/') if part]
    if parts[:1] == ['users'] and len(parts) == 1:
        return [user_view(tenant, user) for user in tenant.users.values()]
    if parts[:1] == ['users'] and len(parts) >= 2:
        user = tenant.find_user(parts[1])
        if user is None:
            raise KeyError(GRAPH_NOT_FOUND % parts[1])
        if len(parts) == 2:
            row = user_view(tenant, user)
            if 'passwordProfile' in select:
                # Graph returns the flag (never the password) when passwordProfile is selected.
                row['passwordProfile'] = {'forceChangePasswordNextSignIn': bool(user.get('_forceChangePassword')),
                                          'forceChangePasswordNextSignInWithMfa': False, 'password': None}
            return [row]
        if parts[2] in ('memberOf', 'transitiveMemberOf'):
            return [dict(public(group), **{'@odata.type': '#microsoft.graph.group'}) for group in tenant.groups.values()
                    if user['id'] in group['_members']]
        raise KeyError("Resource not found for the segment '%s'." % parts[2])
    if parts == ['groups']:
        return [public(group) for group in tenant.groups.values()]
    if parts == ['subscribedSkus']:
        return [dict(sku_id=None, **public(sku)) for sku in tenant.skus.values()]
    if parts == ['domains']:
        return copy.deepcopy(tenant.domains)
    raise KeyError("Resource not found for the segment '%s'." % (parts[0] if parts else ''))


@endpoint('ListGraphRequest', 'CIPP.Core.Read')
def list_graph_request(req):
    with req.state.lock:
        tenant_filter, path = req.q('tenantFilter'), req.q('Endpoint') or ''
        ignore = str(req.q('IgnoreErrors') or '').lower() == 'true'
        tenant = tenant_of(req, source='q')
        if tenant is None:
            return Response.text('Graph Error: %s - Endpoint: %s' % (not_managed(tenant_filter), path), 200 if ignore else 400)
        select = [field.split('.')[0] for field in str(req.q('$select') or '').split(',') if field]
        try:
            rows = _graph_rows(tenant, path, select)
            rows = graph_filter(rows, req.q('$filter') or req.q('graphFilter'))
        except KeyError as exc:
            return Response.text('Graph Error: %s - Endpoint: %s' % (exc.args[0], path), 200 if ignore else 400)
        except FilterError:
            return Response.text('Graph Error: %s - Endpoint: %s' % (invalid_filter(req.q('$filter') or ''), path), 200 if ignore else 400)
        if select:
            rows = [dict((key, row.get(key)) for key in select) for row in rows]
        if str(req.q('CountOnly') or '').lower() == 'true':
            return Response.json(len(rows))
        metadata = {'Endpoint': path, 'Parameters': dict(req.query), 'TenantFilter': tenant_filter, 'CippLink': ''}
        page = int(req.q('$top') or 999)
        start = 0
        if req.q('nextLink'):
            match = re.search(r'skiptoken=(\d+)', str(req.q('nextLink')))
            start = int(match.group(1)) if match else 0
        manual = str(req.q('manualPagination') or '').lower() == 'true'
        if str(req.q('NoPagination') or '').lower() == 'true' or manual:
            if start + page < len(rows) and manual:
                metadata['nextLink'] = 'https://graph.microsoft.com/beta/%s?$top=%d&$skiptoken=%d' % (path, page, start + page)
            rows = rows[start:start + page]
        for row in rows:
            row['Tenant'] = tenant_filter
            row['CippStatus'] = 'Good'
        return Response.json({'Results': rows, 'Metadata': metadata})


@endpoint('ListUserGroups', 'Identity.User.Read')
def list_user_groups(req):
    with req.state.lock:
        tenant = tenant_of(req, source='q')
        user = tenant.find_user(req.q('userId')) if tenant else None
        if user is None:
            return Response.text(GRAPH_NOT_FOUND % req.q('userId'), 500)
        groups = sorted((g for g in tenant.groups.values() if user['id'] in g['_members']), key=lambda g: g['displayName'].lower())
        return Response.json([membership_row(group) for group in groups[:100]])


@endpoint('ListUserDevices', 'Identity.User.Read')
def list_user_devices(req):
    with req.state.lock:
        tenant = tenant_of(req, source='q')
        user = tenant.find_user(req.q('UserID')) if tenant else None
        return Response.json(copy.deepcopy(tenant.devices.get(user['id'], [])) if user else [])


@endpoint('ListUserSigninLogs', 'Identity.User.Read')
def list_user_signin_logs(req):
    with req.state.lock:
        tenant = tenant_of(req, source='q')
        user = tenant.find_user(req.q('UserID')) if tenant else None
        if user is None:
            return Response.json(['Failed to retrieve Sign In report for user %s : Error: %s' % (req.q('UserID'), GRAPH_NOT_FOUND % req.q('UserID'))], 500)
        rows = sorted((s for s in tenant.signins if s['userId'] == user['id']), key=lambda s: s['createdDateTime'], reverse=True)
        return Response.json([dict(SIGNIN_TEMPLATE, **row) for row in rows[:int(req.q('top') or 50)]])


@endpoint('ListSignIns', 'Identity.AuditLog.Read')
def list_signins(req):
    with req.state.lock:
        tenant = tenant_of(req, source='q')
        if tenant is None:
            return Response.text(not_managed(req.q('tenantFilter')), 500)
        since = iso(req.state.now() - int(req.q('Days') or 7) * 86400)
        rows = [s for s in tenant.signins if s['createdDateTime'] >= since or str(req.q('Days') or '') == '']
        if str(req.q('failedLogonsOnly') or '').lower() == 'true':
            rows = [s for s in rows if s['status']['errorCode'] == 50126]
        out = []
        for row in rows:
            view = dict(SIGNIN_TEMPLATE, **copy.deepcopy(row))
            view['location'] = dict({'city': '', 'state': '', 'countryOrRegion': '',
                                     'geoCoordinates': {'altitude': None, 'latitude': None, 'longitude': None}}, **view.get('location') or {})
            view['errorCode'] = row['status']['errorCode']
            view['additionalDetails'] = row['status'].get('additionalDetails')
            view['locationcipp'] = '%s - %s' % (row['location']['city'], row['location']['countryOrRegion'])
            out.append(view)
        return Response.json(out)


@endpoint('ListInactiveAccounts', 'Tenant.Directory.Read')
def list_inactive_accounts(req):
    with req.state.lock:
        tenant = tenant_of(req, source='q')
        if tenant is None:
            return Response.json([])
        days = int(req.q('InactiveDays') or 180)
        now = req.state.now()
        rows = []
        for user in tenant.users.values():
            if not user['accountEnabled'] or user['userType'] == 'Guest':
                continue
            last = max((s['createdDateTime'] for s in tenant.signins if s['userId'] == user['id']), default=None)
            if last and last >= iso(now - days * 86400):
                continue
            rows.append({'tenantId': req.q('tenantFilter'), 'tenantDisplayName': tenant.row['displayName'], 'azureAdUserId': user['id'],
                         'userPrincipalName': user['userPrincipalName'], 'displayName': user['displayName'], 'userType': user['userType'],
                         'createdDateTime': user['createdDateTime'], 'lastSignInDateTime': last, 'lastNonInteractiveSignInDateTime': None,
                         'lastRefreshedDateTime': iso(now - 3600), 'numberOfAssignedLicenses': len(user['assignedLicenses']),
                         'daysSinceLastSignIn': None, 'accountEnabled': True})
        return Response.json(rows)


@endpoint('ListDeletedItems', 'Tenant.Directory.Read')
def list_deleted_items(req):
    with req.state.lock:
        tenant = tenant_of(req, source='q')
        if tenant is None:
            return Response.json([])
        return Response.json([dict(public(item), TargetType='User') for item in tenant.deleted.values()])


@endpoint('ListUserConditionalAccessPolicies', 'Identity.User.Read')
def list_user_ca_policies(req):
    with req.state.lock:
        tenant = tenant_of(req, source='q')
        if tenant is None or tenant.find_user(req.q('UserID')) is None:
            return Response.json([{}])
        return Response.json([{'id': str(uuid.uuid5(uuid.NAMESPACE_OID, p['displayName'])), 'displayName': p['displayName'],
                               'state': p.get('state', 'enabled')} for p in tenant.ca_policies])


@endpoint('ListGroups', 'Identity.Group.Read')
def list_groups(req):
    with req.state.lock:
        tenant = tenant_of(req, source='q')
        if tenant is None:
            return Response.json([not_managed(req.q('tenantFilter'))], 403)
        group_id = req.q('groupID')
        if (str(req.q('members') or '').lower() == 'true' or str(req.q('owners') or '').lower() == 'true') and not group_id:
            return Response.json({'Results': 'groupID is required when members or owners are requested'}, 400)
        if group_id:
            group = tenant.groups.get(str(group_id).lower()) or tenant.groups.get(group_id)
            if group is None:
                return Response.json([GRAPH_NOT_FOUND % group_id], 403)
            row = group_row(tenant, group)
            if str(req.q('members') or '').lower() == 'true':
                return Response.json([user_view(tenant, tenant.users[m]) for m in group['_members'] if m in tenant.users])
            if str(req.q('owners') or '').lower() == 'true':
                return Response.json([user_view(tenant, tenant.users[m]) for m in group['_owners'] if m in tenant.users])
            return Response.json(row)
        return Response.json([group_row(tenant, group) for group in sorted(tenant.groups.values(), key=lambda g: g['displayName'].lower())])


@endpoint('ListGlobalAddressList', 'Exchange.Mailbox.Read')
def list_global_address_list(req):
    with req.state.lock:
        tenant = tenant_of(req, source='q')
        if tenant is None:
            return Response.json([])
        rows = []
        for user in tenant.users.values():
            mailbox = tenant.mailboxes.get(user['id'])
            if not mailbox or mailbox.get('HiddenFromAddressListsEnabled'):
                continue
            rows.append({'Identity': user['id'], 'Alias': user['mailNickname'], 'DisplayName': user['displayName'],
                         'PrimarySmtpAddress': user['userPrincipalName'], 'EmailAddresses': user.get('proxyAddresses') or [],
                         'ExternalDirectoryObjectId': user['id'], 'HiddenFromAddressListsEnabled': False,
                         'IsDirSynced': bool(user.get('onPremisesSyncEnabled')), 'RecipientType': 'UserMailbox',
                         'RecipientTypeDetails': mailbox.get('RecipientTypeDetails', 'UserMailbox'),
                         'AddressListMembership': ['\\Default Global Address List', '\\All Users'], 'SKUAssigned': None})
        return Response.json(rows)


# ------------------------------------------------------------------------------------------------ users (writes)

def _licence_failure(tenant, sku_ids):
    """Graph's answer when a SKU has no free seat, or None when all can be assigned."""
    for sku_id in sku_ids:
        sku = tenant.skus.get(sku_id)
        if sku is None:
            return 'License %s does not correspond to a valid company License.' % sku_id
        used = sum(1 for u in tenant.users.values() if any(l['skuId'] == sku_id for l in u['assignedLicenses']))
        if used >= sku['prepaidUnits']['enabled']:
            return 'License assignment failed because the subscription %s does not have any available licenses.' % sku['skuPartNumber']
    return None


def _set_licences(tenant, user, wanted):
    """Assign exactly ``wanted`` (list of sku ids); returns an error text or None."""
    current = [l['skuId'] for l in user['assignedLicenses']]
    failure = _licence_failure(tenant, [sku for sku in wanted if sku not in current])
    if failure:
        return failure
    user['assignedLicenses'] = [{'disabledPlans': [], 'skuId': sku} for sku in wanted]
    return None


def _add_to_group(tenant, user, group_ref):
    group_id = label_value(group_ref)
    group = tenant.groups.get(str(group_id))
    if group is None:
        return False, "Failed to add member %s to %s. Error: %s" % (user['displayName'], group_id, GRAPH_NOT_FOUND % group_id)
    if user['id'] in group['_members']:
        return False, 'Failed to add member %s to %s. Error: This user is already a member of this group.' % (user['displayName'], group['displayName'])
    if 'DynamicMembership' in group.get('groupTypes', []):
        return False, 'Failed to add member %s to %s. Error: Insufficient privileges to complete the operation.' % (user['displayName'], group['displayName'])
    group['_members'].append(user['id'])
    return True, group['displayName']


def _upn_domain_ok(tenant, domain):
    return any(row['id'].lower() == str(domain).lower() for row in tenant.domains)


@endpoint('AddUser', 'Identity.User.ReadWrite', write=True)
def add_user(req):
    body = req.body if isinstance(req.body, dict) else {}
    if not req.b('tenantFilter'):
        return Response.json({'Results': {'resultText': 'tenantFilter is required to create a user.', 'state': 'error'}}, 400)
    with req.state.lock:
        tenant = tenant_of(req, source='b')
        if tenant is None:
            return results(['Failed to create user. Error:%s' % not_managed(req.b('tenantFilter'))], 500)
        domain = req.b('Domain') or label_value(req.b('PrimDomain') if isinstance(req.b('PrimDomain'), dict) else None) or ''
        username = req.b('username') or ''
        upn = '%s@%s' % (username, domain)
        if req.b('Scheduled') and ps_bool((req.b('Scheduled') or {}).get('Enabled')):
            return _schedule(req, 'New user creation: %s@%s' % (username, label_value(req.b('PrimDomain')) or ''), 'New-CIPPUserTask',
                             body, 'Successfully created scheduled task to create user %s' % req.b('displayName'))
        if not username or not domain or not _upn_domain_ok(tenant, domain):
            reason = ('The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain '
                      'names in your organization.') if username and domain else "Invalid value specified for property 'userPrincipalName' of resource 'User'."
            return results(['Failed to create user. Error:%s' % reason], 500)
        if tenant.find_user(upn) is not None:
            return results(['Failed to create user. Error:Another object with the same value for property userPrincipalName already exists.'], 500)
        if not req.b('displayName'):
            return results(["Failed to create user. Error:Invalid value specified for property 'displayName' of resource 'User'."], 500)
        from .seed import new_user  # shared constructor keeps every ListUsers key present
        password = req.b('password') or generated_password()
        fields = dict((key, req.b(key)) for key in PROFILE if req.b(key))
        phones = req.b('businessPhones')
        fields['businessPhones'] = phones if isinstance(phones, list) else [phones] if phones else []
        others = req.b('otherMails')
        fields['otherMails'] = others if isinstance(others, list) else [m.strip() for m in str(others).split(',') if m.strip()] if others else []
        usage = label_value(req.b('usageLocation'))
        fields['usageLocation'] = usage or None
        for name, wrapped in (req.b('defaultAttributes') or {}).items():
            fields[name] = label_value(wrapped)
        now = req.state.now()
        user = new_user(tenant, upn, req.b('displayName'), fields.pop('givenName', None), fields.pop('surname', None),
                        created=datetime.fromtimestamp(now, timezone.utc), **fields)
        user['_password'] = password
        user['_forceChangePassword'] = ps_bool(req.b('MustChangePass'))
        lines = ['Created New User.', {'resultText': 'Username: %s' % upn, 'copyField': upn, 'state': 'success'},
                 {'resultText': 'Password: %s' % password, 'copyField': password, 'state': 'success'}]
        wanted = [label_value(item) for item in req.b('licenses') or [] if isinstance(item, dict)]
        if wanted:
            failure = _set_licences(tenant, user, wanted) if usage else 'Cannot assign a license to a user with no usage location.'
            lines.append('Failed to assign the license. %s' % failure if failure else
                         'Successfully set licenses for %s. It may take 2-5 minutes before the changes become visible.' % upn)
        for group_ref in req.b('AddToGroups') or []:
            added, text = _add_to_group(tenant, user, group_ref)
            lines.append('Successfully added user %s to group %s.' % (upn, text) if added else text)
        manager_ref = label_value(req.b('setManager'))
        if manager_ref:
            manager = tenant.find_user(manager_ref)
            if manager:
                user['_managerId'] = manager['id']
                lines.append("Set %s's manager to %s" % (upn, manager['displayName']))
            else:
                lines.append("Failed to set %s's manager: %s" % (upn, GRAPH_NOT_FOUND % manager_ref))
        return Response.json({'Results': lines, 'CopyFrom': {'Success': [], 'Error': [], 'Skipped': []},
                              'User': {'id': user['id'], 'userPrincipalName': upn, 'displayName': user['displayName'], 'accountEnabled': True}})


def _schedule(req, name, command, parameters, message):
    tasks = req.state.scheduled_tasks
    if any(task.get('Name') == name for task in tasks.values()):
        return results([message])  # duplicate-name protection, still reported as success (CONTRACT 5.1)
    row_key = str(uuid.uuid4())
    tenant = req.state.resolve_tenant(label_value(req.b('tenantFilter')))
    scheduled = (req.b('Scheduled') or {}).get('date')
    tasks[row_key] = {'RowKey': row_key, 'PartitionKey': 'ScheduledTask', 'Name': name, 'Command': command,
                      'Parameters': json.loads(json.dumps(parameters)), 'Tenant': {'label': tenant.row['displayName'],
                                                                                   'value': tenant.default_domain, 'type': 'Tenant'} if tenant else None,
                      'TaskState': 'Planned', 'ScheduledTime': int(scheduled or req.state.now()), 'Recurrence': 'Once',
                      'PostExecution': '', 'Reference': req.b('reference') or '', 'Results': 'Planned', 'Hidden': False,
                      'AdditionalProperties': '{}', 'excludedTenants': '', 'Timestamp': iso(req.state.now())}
    return results([message])


@endpoint('AddUserBulk', 'Identity.User.ReadWrite', write=True)
def add_user_bulk(req):
    bulk = req.b('BulkUser')
    if not bulk:
        return Response.json({'Results': {'resultText': 'No users specified to import', 'state': 'error'}})
    lines = []
    with req.state.lock:
        tenant = tenant_of(req, source='b')
        from .seed import new_user
        for item in bulk:
            nickname, domain = item.get('mailNickName'), item.get('domain')
            name = item.get('displayName') or ' '.join(p for p in (item.get('givenName'), item.get('surname')) if p)
            if not nickname or not domain or not name:
                lines.append({'resultText': 'Required fields missing for %s: mailNickName, domain' % (name or nickname), 'state': 'error'})
                continue
            upn = '%s@%s' % (nickname, domain)
            if tenant is None or tenant.find_user(upn) or not _upn_domain_ok(tenant, domain):
                lines.append({'resultText': 'Failed to create user %s. Error: Another object with the same value for property '
                              'userPrincipalName already exists.' % upn, 'state': 'error'})
                continue
            password = item.get('password') or generated_password()
            user = new_user(tenant, upn, name, item.get('givenName'), item.get('surname'), usageLocation=label_value(req.b('usageLocation')))
            user['_password'], user['_forceChangePassword'] = password, True
            lines.append({'resultText': 'Created user for %s with username %s' % (name, upn), 'state': 'success', 'copyField': password,
                          'username': upn})
    return Response.json({'Results': lines})


@endpoint('EditUser', 'Identity.User.ReadWrite', write=True)
def edit_user(req):
    user_ref = req.b('id')
    if not user_ref or not str(user_ref).strip():
        return results(['Failed to edit user. No user ID provided'], 400)
    with req.state.lock:
        tenant = tenant_of(req, source='b')
        user = tenant.find_user(user_ref) if tenant else None
        if user is None:
            return results(['Failed to edit user. %s' % GRAPH_NOT_FOUND % user_ref])
        if req.b('Scheduled') and ps_bool((req.b('Scheduled') or {}).get('Enabled')):
            return _schedule(req, 'Edit user: %s' % (req.b('displayName') or user['displayName']), 'Set-CIPPUser', req.body,
                             'Successfully created scheduled task to edit user %s' % (req.b('displayName') or user['displayName']))
        username = req.b('username') or ''
        domain = req.b('Domain') or label_value(req.b('primDomain')) or ''
        upn = '%s@%s' % (username, domain)  # always rebuilt (CONTRACT 5.3, quirk 5)
        lines = []
        if not username or not domain or not _upn_domain_ok(tenant, domain):
            lines.append("Failed to edit user. Invalid value specified for property 'userPrincipalName' of resource 'User'.")
        elif upn.lower() != user['userPrincipalName'].lower() and tenant.find_user(upn) is not None:
            lines.append('Failed to edit user. Another object with the same value for property userPrincipalName already exists.')
        elif user.get('onPremisesSyncEnabled') and any(req.b(key) for key in PROFILE):
            lines.append('Failed to edit user. Unable to update the specified properties for on-premises mastered Directory Sync objects '
                         'or objects currently undergoing migration.')
        else:
            if upn != user['userPrincipalName']:
                user['userPrincipalName'] = upn
                user['mail'] = upn
                user['proxyAddresses'] = ['SMTP:%s' % upn] + ['smtp:%s' % a.split(':', 1)[1] for a in user.get('proxyAddresses') or []
                                                              if a.split(':', 1)[1].lower() != upn.lower()]
            user['mailNickname'] = username or req.b('mailNickname') or user['mailNickname']
            for key in PROFILE:
                value = req.b(key)
                if value is not None and str(value).strip():
                    user[key] = value
            for key in ('businessPhones', 'otherMails'):
                value = req.b(key)
                if value:
                    user[key] = value if isinstance(value, list) else [v.strip() for v in str(value).split(',') if v.strip()]
            usage = label_value(req.b('usageLocation'))
            if usage:
                user['usageLocation'] = usage
            for name, wrapped in (req.b('defaultAttributes') or {}).items():
                if label_value(wrapped) not in (None, ''):
                    user[name] = label_value(wrapped)
            for key in req.b('clearProperties') or []:
                match = next((c for c in CLEARABLE if c.lower() == str(key).lower()), None)
                if match:
                    user[match] = [] if match in ('businessPhones', 'otherMails') else None
            user['_forceChangePassword'] = ps_bool(req.b('MustChangePass'))  # rewritten on every call (quirk 5)
            lines.append('Success. The user has been edited.')
        if req.b('password') and lines[-1].startswith('Success'):
            user['_password'] = req.b('password')
            lines.append('Success. The password has been set to %s' % req.b('password'))
        lines.extend(_edit_licences(req, tenant, user))
        for group_ref in req.b('AddToGroups') or []:
            added, text = _add_to_group(tenant, user, group_ref)
            lines.append('Success. %s has been added to %s' % (user['displayName'], text) if added else text)
        for group_ref in req.b('RemoveFromGroups') or []:
            group = tenant.groups.get(str(label_value(group_ref)))
            if group and user['id'] in group['_members']:
                group['_members'].remove(user['id'])
                lines.append('Success. %s has been removed from %s' % (user['displayName'], group['displayName']))
            else:
                lines.append('Failed to remove member %s from %s. Error: %s' % (user['displayName'], label_value(group_ref),
                                                                               GRAPH_NOT_FOUND % user['id']))
        manager_ref = label_value(req.b('setManager'))
        if manager_ref:
            manager = tenant.find_user(manager_ref)
            if manager:
                user['_managerId'] = manager['id']
                lines.append("Set %s's manager to %s" % (user['userPrincipalName'], manager['displayName']))
            else:
                lines.append("Failed to set %s's manager: %s" % (user['userPrincipalName'], GRAPH_NOT_FOUND % manager_ref))
        return results(lines)


def _edit_licences(req, tenant, user):
    if req.b('licenses') is None and not req.b('removeLicenses'):
        return []
    if req.b('removeLicenses') is True or str(req.b('removeLicenses')).lower() == 'true':
        user['assignedLicenses'] = []
        return ['Successfully set licenses for %s. It may take 2-5 minutes before the changes become visible.' % user['userPrincipalName']]
    wanted = [label_value(item) for item in req.b('licenses') or []]
    current = [lic['skuId'] for lic in user['assignedLicenses']]
    if ','.join(current) == ','.join(wanted) and req.b('removeLicenses') is False:
        return ['Success. User license is already correct.']
    failure = _set_licences(tenant, user, wanted)
    if failure:
        return ['Failed to assign licenses for user %s: %s' % (user['userPrincipalName'], failure)]
    return ['Successfully set licenses for %s. It may take 2-5 minutes before the changes become visible.' % user['userPrincipalName']]


@endpoint('ExecDisableUser', 'Identity.User.ReadWrite', write=True)
def exec_disable_user(req):
    ident = req.qb('ID')
    enable = convert_to_bool(req.qb('Enable'))  # missing means false: disable (quirk 9)
    with req.state.lock:
        tenant = tenant_of(req)
        user = tenant.find_user(ident) if tenant else None
        if user is None:
            return results('Failed to set sign-in state for %s. Error: %s' % (ident, GRAPH_NOT_FOUND % ident), 500)
        user['accountEnabled'] = enable
        if user.get('onPremisesSyncEnabled'):
            return results('Failed to set sign-in state for %s. Error: WARNING: User %s is AD Sync enabled. Please enable/disable in the '
                           'local AD.' % (ident, ident), 500)
        return results('Successfully set account enabled state to %s for %s' % (ps_bool_text(enable), ident))


@endpoint('RemoveUser', 'Identity.User.ReadWrite', write=True)
def remove_user(req):
    ident, upn = req.qb('ID'), req.qb('userPrincipalName')
    if not ident:
        return Response.empty()
    suffix = " and Username: '%s'" % upn if upn else ''
    with req.state.lock:
        tenant = tenant_of(req)
        user = tenant.find_user(ident) if tenant else None
        if user is None:
            return results("Failed to delete user with ID: '%s'. Error: %s%s" % (ident, GRAPH_NOT_FOUND % ident, suffix), 500)
        del tenant.users[user['id']]
        for group in tenant.groups.values():
            if user['id'] in group['_members']:
                group['_members'].remove(user['id'])
        user['deletedDateTime'] = iso(req.state.now())
        user['_originalUpn'] = user['userPrincipalName']
        user['userPrincipalName'] = user['id'].replace('-', '') + user['userPrincipalName']
        tenant.deleted[user['id']] = user
        return results("Successfully deleted user with ID: '%s'%s" % (ident, suffix))


@endpoint('ExecRestoreDeleted', 'Tenant.Directory.ReadWrite', write=True)
def exec_restore_deleted(req):
    ident = req.qb('ID')
    extra = ''.join(part for part in (" User Principal Name: '%s'" % req.b('userPrincipalName') if req.b('userPrincipalName') else '',
                                      " Display Name: '%s'" % req.b('displayName') if req.b('displayName') else ''))
    with req.state.lock:
        tenant = tenant_of(req)
        item = tenant.deleted.pop(str(ident), None) if tenant else None
        if item is None:
            return results("Failed to restore deleted item with ID: '%s'%s Error: %s" % (ident, extra, GRAPH_NOT_FOUND % ident), 500)
        item['deletedDateTime'] = None
        item['userPrincipalName'] = item.pop('_originalUpn', item['userPrincipalName'][32:])
        tenant.users[item['id']] = item
        return results("Successfully restored deleted item with ID: '%s'%s" % (ident, extra))


@endpoint('RemoveDeletedObject', 'Tenant.Directory.ReadWrite', write=True)
def remove_deleted_object(req):
    ident = req.qb('ID')
    with req.state.lock:
        tenant = tenant_of(req)
        item = tenant.deleted.pop(str(ident), None) if tenant else None
        if item is None:
            return results("Failed to permanently delete item with ID: '%s'. Error: %s" % (ident, GRAPH_NOT_FOUND % ident), 500)
        return results("Successfully permanently deleted item with ID: '%s'" % ident)


@endpoint('EditGroup', 'Identity.Group.ReadWrite', write=True)
def edit_group(req):
    group_ref = label_value(req.b('groupId'))
    with req.state.lock:
        tenant = req.state.resolve_tenant(label_value(req.b('tenantFilter') or req.b('tenantId')))
        group = tenant.groups.get(str(group_ref)) if tenant else None
        if group is None:
            return Response.text(GRAPH_NOT_FOUND % group_ref, 500)  # the lookup is outside any try (CONTRACT 6.1)
        name = group['displayName']
        lines = []
        if group_kind(group) in ('distribution', 'mailsecurity') and (req.b('displayName') or req.b('description')):
            lines.append('Error - Cannot Update a mail-enabled security groups and or distribution list.')
        for member in req.b('AddMember') or []:
            user = tenant.find_user(label_value(member))
            if user is None:
                lines.append('Error - %s' % GRAPH_NOT_FOUND % label_value(member))
            elif user['id'] in group['_members']:
                lines.append('Error - This user is already a member of this group.')
            elif 'DynamicMembership' in group.get('groupTypes', []):
                lines.append('Error - Insufficient privileges to complete the operation.')
            else:
                group['_members'].append(user['id'])
                lines.append('Success - Added member %s to %s group' % (user['userPrincipalName'], name))
        for member in req.b('RemoveMember') or []:
            user = tenant.find_user(label_value(member))
            if user is None or user['id'] not in group['_members']:
                lines.append("Error - One or more removed object references do not exist for the following modified properties: 'members'.")
            else:
                group['_members'].remove(user['id'])
                lines.append('Success - Removed member %s from %s group' % (user['userPrincipalName'], name))
        for owner in req.b('AddOwner') or []:
            user = tenant.find_user(label_value(owner))
            if user and user['id'] not in group['_owners']:
                group['_owners'].append(user['id'])
                lines.append('Success - Added owner %s to %s group' % (user['userPrincipalName'], name))
        for owner in req.b('RemoveOwner') or []:
            user = tenant.find_user(label_value(owner))
            if user and user['id'] in group['_owners']:
                if len(group['_owners']) == 1:
                    lines.append('Error - The group must have at least one owner.')
                else:
                    group['_owners'].remove(user['id'])
                    lines.append('Success - Removed owner %s from %s group' % (user['userPrincipalName'], name))
        return results(lines)


@endpoint('ExecBulkLicense', 'Identity.User.ReadWrite', write=True)
def exec_bulk_license(req):
    items = req.body if isinstance(req.body, list) else [req.body] if isinstance(req.body, dict) else []
    lines = []
    with req.state.lock:
        for item in items:
            tenant = req.state.resolve_tenant(label_value(item.get('tenantFilter')))
            ids = item.get('userIds')
            for user_id in ids if isinstance(ids, list) else [ids]:
                user = tenant.find_user(user_id) if tenant else None
                if user is None:
                    lines.append('User %s not found in tenant %s' % (user_id, label_value(item.get('tenantFilter'))))
                    continue
                current = [lic['skuId'] for lic in user['assignedLicenses']]
                operation = str(item.get('LicenseOperation') or 'Add').lower()
                adds = [label_value(l) for l in item.get('Licenses') or []] if operation in ('add', 'replace') else []
                if operation == 'remove':
                    removes = current if item.get('RemoveAllLicenses') else [label_value(l) for l in item.get('LicensesToRemove') or []]
                elif operation == 'replace':
                    removes = current if item.get('ReplaceAllLicenses') else [label_value(l) for l in item.get('LicensesToReplace') or []]
                else:
                    removes = []
                removes = [sku for sku in removes if sku in current]  # only what the user has (CONTRACT 5.28)
                adds = [sku for sku in adds if sku not in current]
                if not adds and not removes:
                    lines.append('No license changes needed for user %s' % user['userPrincipalName'])
                    continue
                failure = _set_licences(tenant, user, [sku for sku in current if sku not in removes] + adds)
                if failure:
                    lines.append('Failed to assign licenses for user %s: %s' % (user['userPrincipalName'], failure))
                else:
                    lines.append('Successfully set licenses for %s. It may take 2-5 minutes before the changes become visible.'
                                 % user['userPrincipalName'])
    return results(lines)

