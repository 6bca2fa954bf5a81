"""Directory endpoints: tenants, users, groups, licences, domains, devices, sign-ins, deleted items, ListGraphRequest,
and the user/group writes (CONTRACT 5.1-5.7, 5.13-5.19, 5.28, 6.1, 10, 3.6).

Message templates and status codes follow CONTRACT.md; where it is silent, README.md says what was assumed.
A tenant CIPP does not manage (or `AllTenants` on a write) fails each call through that endpoint's own error
channel with the text CIPP's Graph helper writes (the real helper only Write-Errors and carries on; see README).
"""

import base64
import copy
import json
import re
import secrets
import string
import urllib.parse
from datetime import datetime, timezone

from .state import DEFAULT_AUTH_TENANT_ID
from .registry import CIDict, Response, ci, convert_to_bool, endpoint, label_value, ps_bool, ps_bool_text
from . import consistency
from .graph_schema import ENTITIES, authentication_methods, authentication_methods_policy, sign_in_preferences
from .seed import SIGNIN_DEFAULTS, SKU_BY_ID, new_user, set_licenses, sync_group_licences, uid

GRAPH_NOT_FOUND = "Resource '%s' does not exist or one of its queried reference-property objects are not present."
UPN_EXISTS = 'Another object with the same value for property userPrincipalName already exists.'
UPN_INVALID = "Invalid value specified for property 'userPrincipalName' of resource 'User'."
UPN_DOMAIN = ('The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names '
              'in your organization.')
WEAK_PASSWORD = 'The specified password does not comply with password complexity requirements. Please provide a different password.'
SYNCED_READONLY = ('Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently '
                   'undergoing migration.')
ALREADY_MEMBER = 'This user is already a member of this group.'  # Get-NormalizedError's wording for Graph's duplicate-reference error
DYNAMIC_GROUP = 'Insufficient privileges to complete the operation.'
MAIL_GROUP_VIA_GRAPH = 'Cannot Update a mail-enabled security groups and or distribution list.'
LICENCE_OK = 'Successfully set licenses for %s. It may take 2\u20135 minutes before the changes become visible.'
LICENCE_OK_AFTER_LOCATION = ('Successfully set licenses for %s after setting usage location. It may take 2\u20135 minutes before the '
                             'changes become visible.')
DEFAULT_USAGE_LOCATION = 'US'  # Set-CIPPUserLicense's fallback when CIPP's user settings name none
GRAPH_HELPER = '/home/site/wwwroot/Modules/CIPPCore/Public/GraphHelper/Get-GraphRequestList.ps1:437'
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
GUID_TEXT = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
GRAPH_PAGE_DEFAULT = 100  # Graph's page size for directory objects when no $top is given
BUILT_IN_ROLES = ('readonly', 'editor', 'admin', 'superadmin')


# ------------------------------------------------------------------------------------------------ helpers

def iso(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def epoch_of(text):
    return datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=timezone.utc).timestamp()


def public(obj):
    """A stored object without the emulator's `_` bookkeeping keys (what Graph would return)."""
    return dict((key, value) for key, value in obj.items() if not str(key).startswith('_'))


def results(value, status=200):
    return Response.json({'Results': value}, status)


def not_managed(tenant_filter, context='Graph request'):
    """What CIPP's Graph helpers write for a tenant it does not manage (CONTRACT 2.6)."""
    return "%s denied for '%s': the tenant is not in CIPP's tenant list." % (context, label_value(tenant_filter) or '')


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def text(value):
    """A value as PowerShell interpolates it into a message ($null -> '')."""
    return '' if value is None else str(value)


def body_dict(req):
    return req.body if isinstance(req.body, dict) else CIDict()


def generated_password():
    """New-passwordString's classic form: 14 characters from letters, digits and a few symbols."""
    alphabet = string.ascii_letters + string.digits + '!@#$%&*?'
    while True:
        password = ''.join(secrets.choice(alphabet) for _position in range(14))
        if password_ok(password):
            return password


def password_ok(password):
    """Entra's complexity rule: 8-256 characters and three of lower, upper, digit, symbol."""
    password = str(password)
    kinds = sum(1 for test in (str.islower, str.isupper, str.isdigit) if any(test(c) for c in password))
    kinds += 1 if any(not c.isalnum() for c in password) else 0
    return 8 <= len(password) <= 256 and kinds >= 3


def sku_name(tenant, sku_id):
    sku = tenant.skus.get(sku_id)
    return sku['displayName'] if sku else sku_id


def consumed(tenant, sku_id):
    return sum(1 for user in tenant.users.values() for lic in user['assignedLicenses'] if lic['skuId'] == sku_id)


def verified_domain(tenant, domain):
    return any(row['id'].lower() == str(domain).lower() and row.get('isVerified') for row in tenant.domains)


def graph_user(tenant, user, expand_manager=False):
    """The Graph (beta) user object; `manager` only when expanded."""
    row = public(user)
    manager = tenant.users.get(user.get('_managerId') or '') if expand_manager else None
    if manager:
        row['manager'] = {'id': manager['id'], 'userPrincipalName': manager['userPrincipalName'], 'displayName': manager['displayName']}
    return row


def user_view(tenant, user, selected=None):
    """A user as CIPP's ListUsers returns it: Graph properties plus CIPP's additions (CONTRACT 5.4)."""
    view = graph_user(tenant, user, expand_manager=True)
    if selected is not None:
        view = dict((key, view.get(key)) for key in tuple(selected) + (('manager',) if 'manager' in view else ()))
    view['onPremisesSyncEnabled'] = bool(user.get('onPremisesSyncEnabled'))
    upn = user['userPrincipalName']
    view['username'] = upn.split('@')[0]
    domain = upn.split('@')[-1]
    view['primDomain'] = {'value': domain, 'label': domain}
    view['Aliases'] = ', '.join(user.get('proxyAddresses') or [])
    view['LicJoined'] = ', '.join(sku_name(tenant, lic['skuId']) for lic in user.get('assignedLicenses') or [])
    return view


def group_kind(group):
    if group.get('_kind'):
        return group['_kind']
    if 'Unified' in (group.get('groupTypes') or []):
        return 'm365'
    if group.get('mailEnabled'):
        return 'mailsecurity' if group.get('securityEnabled') else 'distribution'
    return 'security'


def is_dynamic(group):
    return 'DynamicMembership' in (group.get('groupTypes') or [])


def group_row(tenant, group):
    """A ListGroups row (shapes/ListGroups.json): CIPP joins groupTypes into a string and adds its own type labels."""
    calculated, label = GROUP_LABELS[group_kind(group)]
    members = [tenant.users[m] for m in group['_members'] if m in tenant.users]
    row = public(group)
    row.update({
        'groupTypes': ','.join(group.get('groupTypes') or []), 'calculatedGroupType': calculated, 'groupType': label,
        'dynamicGroupBool': is_dynamic(group), 'membersCsv': ','.join(member['userPrincipalName'] for member in members),
        'primDomain': (group.get('mail') or '@%s' % tenant.default_domain).split('@')[-1],
        'SID': 'S-1-12-1-%d' % int(group['id'][:8], 16), 'teamsEnabled': 'Team' in (group.get('resourceProvisioningOptions') or []),
        'description': group.get('description') or '', 'mail': group.get('mail') or '', 'visibility': group.get('visibility') or 'Public',
        'assignedLicenses': group.get('assignedLicenses') or None,
        'resourceProvisioningOptions': group.get('resourceProvisioningOptions') or None,
    })
    return row


def membership_row(group):
    calculated, label = GROUP_LABELS[group_kind(group)]
    return {'id': group['id'], 'DisplayName': group['displayName'], 'MailEnabled': group['mailEnabled'], 'Mail': group.get('mail'),
            'SecurityGroup': group['securityEnabled'], 'GroupTypes': ','.join(group.get('groupTypes') or []),
            'OnPremisesSync': group.get('onPremisesSyncEnabled'), 'IsAssignableToRole': group.get('isAssignableToRole'),
            'calculatedGroupType': calculated, 'groupType': label}


def member_row(user):
    return dict(public(user), **{'@odata.type': '#microsoft.graph.user'})


# ------------------------------------------------------------------------------------------------ OData $filter subset

TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>\(|\)|,|:)|(?P<dt>\d{4}-\d\d-\d\dT[\d:.]+Z?)|(?P<num>-?\d+(?:\.\d+)?(?![\w-]))"
                   r"|(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
                   r"|(?P<word>[A-Za-z_$@][A-Za-z0-9_/.$@]*))")
COMPARISONS = ('eq', 'ne', 'gt', 'ge', 'lt', 'le')


class FilterError(Exception):
    """A `$filter` Graph would refuse; str() is Graph's message."""


def tokenize(text):
    tokens, pos = [], 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = TOKEN.match(text, pos)
        if not match:
            raise FilterError("Invalid filter clause: Syntax error at position %d in '%s'." % (pos, text))
        kind = match.lastgroup
        value = match.group(kind)
        if kind == 'str':
            value = value[1:-1].replace("''", "'")
        tokens.append((kind, value, match.start(kind)))
        pos = match.end()
    return tokens


class FilterParser:
    """Recursive descent over: or / and / not / ( ) / prop op literal / startswith|endswith(prop, 'x') /
    prop in ('a', 'b') / coll/any(x: x op literal) and coll/any(x: x/sub op literal). Case-insensitive strings."""

    def __init__(self, text):
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def fail(self):
        at = self.tokens[self.pos][2] if self.pos < len(self.tokens) else len(self.text)
        raise FilterError("Invalid filter clause: Syntax error at position %d in '%s'." % (at, self.text))

    def peek(self, offset=0):
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else (None, None, None)

    def take(self, kind=None, value=None):
        token = self.peek()
        if token[0] is None or (kind and token[0] != kind) or (value and str(token[1]).lower() != value):
            self.fail()
        self.pos += 1
        return token

    def parse(self):
        if not self.tokens:
            self.fail()
        tree = self.disjunction()
        if self.pos != len(self.tokens):
            self.fail()
        return tree

    def disjunction(self):
        left = self.conjunction()
        while self.peek()[0] == 'word' and self.peek()[1].lower() == 'or':
            self.pos += 1
            left = ('or', left, self.conjunction())
        return left

    def conjunction(self):
        left = self.unary()
        while self.peek()[0] == 'word' and self.peek()[1].lower() == 'and':
            self.pos += 1
            left = ('and', left, self.unary())
        return left

    def unary(self):
        kind, value, _at = self.peek()
        if kind == 'word' and value.lower() == 'not':
            self.pos += 1
            return ('not', self.unary())
        if kind == 'op' and value == '(':
            self.pos += 1
            inner = self.disjunction()
            self.take('op')
            return inner
        if kind == 'word' and value.lower() in ('startswith', 'endswith') and self.peek(1)[1] == '(':
            self.pos += 2
            prop = self.take('word')[1]
            self.take('op')
            literal = self.literal()
            self.take('op')
            return (value.lower(), prop, literal)
        if kind == 'word':
            return self.comparison()
        return self.fail()

    def comparison(self):
        prop = self.take('word')[1]
        if prop.lower().endswith('/any') and self.peek()[1] == '(':
            return self.lambda_any(prop[:-4])
        op = self.take('word')[1].lower()
        if op == 'in':
            self.take('op')
            values = [self.literal()]
            while self.peek()[1] == ',':
                self.pos += 1
                values.append(self.literal())
            self.take('op')
            return ('in', prop, values)
        if op not in COMPARISONS:
            self.pos -= 1
            self.fail()
        return (op, prop, self.literal())

    def lambda_any(self, collection):
        self.take('op')
        var = self.take('word')[1]
        self.take('op')
        inner = self.disjunction()
        self.take('op')
        return ('any', collection, var, inner)

    def literal(self):
        kind, value, _at = self.take()
        if kind in ('str', 'guid', 'dt'):
            return value
        if kind == 'num':
            return float(value) if '.' in value else int(value)
        if kind == 'word' and value.lower() in ('true', 'false', 'null'):
            return {'true': True, 'false': False, 'null': None}[value.lower()]
        self.pos -= 1
        return self.fail()


def _value(obj, prop, env):
    parts = prop.split('/')
    if parts[0] in env:
        obj, parts = env[parts[0]], parts[1:]
    for part in parts:
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _compare(op, value, literal):
    if isinstance(value, str) and isinstance(literal, str):
        value, literal = value.lower(), literal.lower()
    if op == 'eq':
        return value == literal
    if op == 'ne':
        return value != literal
    if value is None or literal is None or isinstance(value, (dict, list)):
        return False
    try:
        return {'gt': value > literal, 'ge': value >= literal, 'lt': value < literal, 'le': value <= literal}[op]
    except TypeError:
        return False


def matches(tree, obj, env=None):
    env = env or {}
    op = tree[0]
    if op == 'or':
        return matches(tree[1], obj, env) or matches(tree[2], obj, env)
    if op == 'and':
        return matches(tree[1], obj, env) and matches(tree[2], obj, env)
    if op == 'not':
        return not matches(tree[1], obj, env)
    if op == 'any':
        items = _value(obj, tree[1], env) or []
        return any(matches(tree[3], obj, dict(env, **{tree[2]: item})) for item in items)
    value = _value(obj, tree[1], env)
    if op in ('startswith', 'endswith'):
        if not isinstance(value, str) or not isinstance(tree[2], str):
            return False
        return getattr(value.lower(), op)(tree[2].lower())
    if op == 'in':
        return any(_compare('eq', value, literal) for literal in tree[2])
    return _compare(op, value, tree[2])


def _properties(tree, env=()):
    """The top-level properties a filter names (lambda variables excluded)."""
    op = tree[0]
    if op in ('or', 'and'):
        return _properties(tree[1], env) | _properties(tree[2], env)
    if op == 'not':
        return _properties(tree[1], env)
    if op == 'any':
        return {tree[1].split('/')[0]} | _properties(tree[3], tuple(env) + (tree[2],))
    first = tree[1].split('/')[0]
    return set() if first in env else {first}


def graph_filter(rows, text, entity='user'):
    """Rows matching an OData `$filter` (Graph semantics: unknown properties are an error, not a non-match).

    Properties are checked against Graph's schema of the entity type (graph_schema.ENTITIES) when the emulator has
    one, else against the keys the rows carry (sign-ins)."""
    if not text:
        return rows
    _unterminated(str(text))
    tree = FilterParser(str(text)).parse()
    if entity in ENTITIES:
        known, type_name = ENTITIES[entity]
    else:
        known, type_name = set(), 'Microsoft.DirectoryServices.%s' % entity[:1].upper() + entity[1:]
        for row in rows[:1] or [{}]:
            known.update(row)
        if not rows:
            return rows
    for prop in _properties(tree):
        if prop not in known:
            raise FilterError("Could not find a property named '%s' on type '%s'." % (prop, type_name))
    return [row for row in rows if matches(tree, row)]


def _unterminated(text):
    """An odd number of quotes (a value cut short, e.g. at a `#` in an unencoded URL): OData's lexer error."""
    if text.count("'") % 2:
        raise FilterError("Invalid filter clause: There is an unterminated string literal at position %d in '%s'."
                          % (len(text), text))


# ------------------------------------------------------------------------------------------------ tenants

PORTALS = (('portal_m365', 'https://admin.cloud.microsoft/?delegatedOrg={initial}'),
           ('portal_exchange', 'https://admin.cloud.microsoft/exchange?delegatedOrg={initial}'),
           ('portal_entra', 'https://entra.microsoft.com/{tid}'), ('portal_teams', 'https://admin.teams.microsoft.com/?delegatedOrg={initial}'),
           ('portal_azure', 'https://portal.azure.com/{tid}'), ('portal_intune', 'https://intune.microsoft.com/{tid}'),
           ('portal_security', 'https://security.microsoft.com/?tid={tid}'), ('portal_compliance', 'https://purview.microsoft.com/?tid={tid}'),
           ('portal_sharepoint', '{sharepoint}'), ('portal_platform', 'https://admin.powerplatform.microsoft.com/account/login/{tid}'),
           ('portal_bi', 'https://app.powerbi.com/admin-portal?ctid={tid}'))


def tenant_list_row(tenant, mode_list, offboarding_defaults):
    row = dict(tenant.row)
    if mode_list:
        values = {'initial': tenant.row['initialDomainName'], 'tid': tenant.customer_id, 'sharepoint': tenant.row.get('SharepointAdminUrl')}
        row.update((key, template.format(**values)) for key, template in PORTALS)
    if offboarding_defaults:
        row['offboardingDefaults'] = None  # no per-tenant offboarding defaults are configured in the emulator
    return row


@endpoint('ListTenants', 'CIPP.Core.Read', any_tenant=True)
def list_tenants(req):
    if ps_bool(req.b('ClearCache')):
        return Response.json({'Results': [{'Results': 'Cache has been cleared and a tenant refresh is queued.'}],
                              'Metadata': {'Details': 'The emulator has no cache; nothing was cleared.'}})
    tenant_filter = req.q('tenantFilter')
    mode_list = str(req.q('Mode') or '').lower() == 'tenantlist'
    with req.state.lock:
        tenants = sorted(req.state.tenants.values(), key=lambda t: t.row['displayName'].lower())
        if tenant_filter and str(tenant_filter).lower() != 'alltenants':
            tenant = req.state.resolve_tenant(tenant_filter)
            tenants = [tenant] if tenant else []
        defaults = str(req.q('IncludeOffboardingDefaults') or '').lower() == 'true'
        rows = [tenant_list_row(t, mode_list, defaults) for t in tenants if not t.row.get('Excluded')]
    if str(req.q('AllTenantSelector') or '').lower() == 'true' and (not tenant_filter or mode_list):
        rows.insert(0, {'customerId': 'AllTenants', 'defaultDomainName': 'AllTenants', 'displayName': '*All Tenants',
                        'domains': 'AllTenants', 'GraphErrorCount': 0})
    return Response.json(rows)


@endpoint('ListDomains', 'Tenant.Administration.Read')
def list_domains(req):
    """Invoke-ListDomains: GET beta/domains | Select-Object id, isdefault, isinitial | Sort-Object isdefault -Descending.
    Unverified domains are listed too, and nothing says which they are (CONTRACT 0.1 C16); a tenant CIPP does not
    manage gives [] (the helper only Write-Errors, C9)."""
    with req.state.lock:
        tenant = req.state.resolve_tenant(req.q('tenantFilter') or DEFAULT_AUTH_TENANT_ID)
        if tenant is None:
            return Response.json([])
        rows = [{'id': d['id'], 'isDefault': d['isDefault'], 'isInitial': d['isInitial']} for d in tenant.domains]
        return Response.json(sorted(rows, key=lambda row: not row['isDefault']))  # a stable sort, as Sort-Object is


# Config/ExcludeSkuList.JSON (CIPP-API 10.8.2): seeded into the ExcludedLicenses table on first use. No default row has
# ShowInLicenseDropdown, so `IncludeExcluded=true` shows none of them either (Get-CIPPLicenseOverview).
EXCLUDED_SKUS = frozenset((
    '90d8b3f8-712e-4f7b-aa1e-62e7ae6cbe96', 'f30db892-07e9-47e9-837c-80727f46fd3d', '16ddbbfc-09ea-4de2-b1d7-312db6112d70',
    'a403ebcc-fae0-4ca2-8c8c-7a907fd6c235', '61e6bd70-fbdb-4deb-82ea-912842f39431', 'bc946dac-7877-4271-b2f7-99d2db13cd2c',
    '338148b6-1b11-4102-afb9-f92b6cdc0f8d', 'fcecd1f9-a91e-488d-a918-a96cdb6ce2b0', 'dcb1a3ae-b33f-4487-846a-a640262fadf4',
    '74fbf1bb-47c6-4796-9623-77dc7371723b', '606b54a9-78d8-4298-ad8b-df6ef4481c80', '1f2f344a-700d-42c9-9427-5cea1d5d7ba6',
    '6470687e-a428-4b7a-bef2-8a291ad947c9', '710779e8-3d4a-4c88-adb9-386c958d1fdf', '8c4ce438-32a7-4ac5-91a6-e22ae08d9c8b',
    '093e8d14-a334-43d9-93e3-30589a8b47d0', '5b631642-bd26-49fe-bd20-1daaa972ef80', '6a4a1628-9b9a-424d-bed5-4118f0ede3fd',
    '6ec92958-3cc1-49db-95bd-bc6b3798df71', '3f9f06f5-3c31-472c-985f-62d9c10ec167', '9c7bff7a-3715-4da7-88d3-07f57f8d0fb6',
    '8f0c5670-4e56-4892-b06d-91c085d7004f', '87bbbc60-4754-4998-8c88-227dca264858', 'e5788282-6381-469f-84f0-3d7d4021d34d',
    '99049c9c-6011-4908-bf17-15f496e6519d', '47794cd0-f0e5-45c5-9033-2eb6b5fc84e0'))
TERM_NAMES = {'Annual': 'Yearly', 'Monthly': 'Monthly'}


def pretty_sku_name(sku_id, part_number):
    """The admin portal's / Microsoft's licensing CSV's product name (Config/ConversionTable.csv), else the part number."""
    known = SKU_BY_ID.get(sku_id)
    return known[2] if known else part_number


def _group_type_label(group):
    if 'Unified' in (group.get('groupTypes') or []):
        return 'Microsoft 365'
    if group.get('mailEnabled') and group.get('securityEnabled'):
        return 'Mail-Enabled Security'
    if group.get('securityEnabled'):
        return 'Security'
    return 'Distribution List' if group.get('mailEnabled') else None


def licence_row(tenant, tenant_filter, sku, now):
    """One Get-CIPPLicenseOverview row. `License` AND `skuPartNumber` are the product name (not Graph's part number:
    CONTRACT 0.1 C2); counts come from Graph's consumedUnits/prepaidUnits."""
    used = consumed(tenant, sku['skuId'])
    total = sku['prepaidUnits']['enabled']
    holders = sorted((u for u in tenant.users.values() if any(lic['skuId'] == sku['skuId'] for lic in u['assignedLicenses'])),
                     key=lambda u: str(u.get('displayName') or '').lower())
    groups = sorted((g for g in tenant.groups.values() if sku['skuId'] in (g.get('_assignedLicenses') or [])),
                    key=lambda g: g['displayName'].lower())
    name = pretty_sku_name(sku['skuId'], sku['skuPartNumber'])
    created = now - 200 * 86400
    renews = now + 120 * 86400
    return {
        'Tenant': tenant_filter, 'License': name, 'CountUsed': str(used), 'CountAvailable': total - used, 'TotalLicenses': str(total),
        'skuId': sku['skuId'], 'skuPartNumber': name, 'availableUnits': total - used,
        'TermInfo': [{'Status': 'Enabled', 'Term': TERM_NAMES.get(sku['_term'], 'Term unknown or non-NCE license'), 'TotalLicenses': total,
                      'DaysUntilRenew': 120, 'NextLifecycle': iso(renews), 'CreatedDateTime': iso(created), 'IsTrial': False,
                      'SubscriptionId': sku['_subscriptionId'], 'CSPSubscriptionId': sku['_subscriptionId'],
                      'OCPSubscriptionId': sku['_subscriptionId']}],
        'AssignedUsers': [{'displayName': u['displayName'], 'userPrincipalName': u['userPrincipalName'], 'id': u['id']} for u in holders] or None,
        'AssignedGroups': [{'displayName': g['displayName'], 'calculatedGroupType': _group_type_label(g), 'id': g['id'],
                            'onPremisesSyncEnabled': bool(g.get('onPremisesSyncEnabled'))} for g in groups] or None,
        'ServicePlans': subscribed_sku(tenant, sku)['servicePlans'],
    }


def _sku_plans(sku_id):
    return SKU_BY_ID.get(sku_id, (None, None, None, []))[3]


@endpoint('ListLicenses', 'Tenant.Directory.Read')
def list_licenses(req):
    """Invoke-ListLicenses -> Get-CIPPLicenseOverview: SKUs on CIPP's exclusion list are never listed (C3), sorted by
    License; a tenant CIPP does not manage gives [] (C9)."""
    tenant_filter = req.q('tenantFilter')
    with req.state.lock:
        tenant = req.state.resolve_tenant(tenant_filter or DEFAULT_AUTH_TENANT_ID)
        if tenant is None:
            return Response.json([])
        rows = [licence_row(tenant, tenant_filter, sku, req.state.now()) for sku in tenant.skus.values()
                if sku['skuId'] not in EXCLUDED_SKUS]
        return Response.json(sorted(rows, key=lambda row: row['License'].lower()))


@endpoint('ListUserCounts', 'Identity.User.Read')
def list_user_counts(req):
    with req.state.lock:
        tenant = req.state.resolve_tenant(req.q('tenantFilter'))
        if tenant is None:
            return Response.text(not_managed(req.q('tenantFilter')), 500)
        users = list(tenant.users.values())
        return Response.json([{'Users': len(users), 'LicUsers': sum(1 for u in users if u['assignedLicenses']),
                               'Gas': sum(1 for u in users if u.get('_isAdmin')),
                               'Guests': sum(1 for u in users if u['userType'] == 'Guest')}])


@endpoint('ListCustomRole', 'CIPP.Core.Read', any_tenant=True)
def list_custom_role(_req):
    """The built-in roles (the emulator has no custom roles), as CIPP lists them."""
    return Response.json([{'RoleName': role, 'Type': 'Built-In', 'Permissions': '', 'AllowedTenants': ['AllTenants'],
                           'BlockedTenants': [], 'EntraGroup': None, 'EntraGroupId': None, 'IPRange': []} for role in BUILT_IN_ROLES])


@endpoint('me', 'CIPP.Core.Read', any_tenant=True)
def me(_req):
    # By code reading, an API client with a built-in role fails inside Get-CippAllowedPermissions (CONTRACT 3.6, unverified).
    return Response.text('Access to this CIPP API endpoint is not allowed, the user does not have the required permission', 403)


# ------------------------------------------------------------------------------------------------ users (reads)

def logon_details(tenant, user, now):
    """IncludeLogonDetails: the user's last sign-in within 7 days (CIPP reads the audit log)."""
    recent = [s for s in tenant.signins if s['userId'] == user['id'] and epoch_of(s['createdDateTime']) >= now - 7 * 86400]
    last = max(recent, key=lambda s: s['createdDateTime']) if recent else None
    if last is None:
        return {'LastSigninApplication': None, 'LastSigninDate': None, 'LastSigninStatus': None, 'LastSigninResult': None,
                'LastSigninFailureReason': None}
    failed = last['status']['errorCode'] != 0
    return {'LastSigninApplication': last['appDisplayName'], 'LastSigninDate': last['createdDateTime'],
            'LastSigninStatus': 'Failed' if failed else 'Success', 'LastSigninResult': 'Failed' if failed else 'Success',
            'LastSigninFailureReason': last['status']['failureReason'] if failed else 'Success'}


@endpoint('ListUsers', 'Identity.User.Read')
def list_users(req):
    """Invoke-ListUsers: GET beta/users/{UserID}?$top=999&$filter={graphFilter}&... with both values pasted into the URL
    unencoded. A `#` (a guest's `#EXT#`) cuts the URL there: `UserID=x#EXT#@t` asks Graph for users/x (404, a 500 here),
    a graphFilter with `#` reaches Graph cut short (CONTRACT 0.1 C5). A tenant CIPP does not manage gives [] (C9)."""
    tenant_filter = req.q('tenantFilter')
    if str(tenant_filter or '').lower() == 'alltenants':
        return Response.json([{'Message': 'This function has been deprecated for all users, please use ListGraphRequest instead'}])
    with req.state.lock:
        tenant = req.state.resolve_tenant(tenant_filter or DEFAULT_AUTH_TENANT_ID)
        if tenant is None:
            return Response.json([])
        user_id = req.q('UserID')
        if user_id:
            user = url_user(tenant, user_id, req.state)
            if user is None:
                return Response.text(GRAPH_NOT_FOUND % unencoded_path_segment(user_id), 500)
            row = user_view(tenant, user, USERID_SELECT)
            if str(req.q('IncludeLogonDetails') or '').lower() == 'true':
                row.update(logon_details(tenant, user, req.state.now()))
            return Response.json([row])
        users = list(consistency.visible_users(req.state, tenant).values())
        graph_filter_text = req.q('graphFilter')
        if graph_filter_text and '#' in str(graph_filter_text):
            graph_filter_text = str(graph_filter_text).split('#', 1)[0]
        try:
            kept = set(row['id'] for row in graph_filter([public(u) for u in users], graph_filter_text))
        except FilterError as exc:
            return Response.text(str(exc), 500)
        return Response.json([user_view(tenant, u) for u in users if u['id'] in kept])


class GraphError(Exception):
    """A Graph error message for ListGraphRequest."""


def unencoded_path_segment(ident):
    """A value CIPP pastes into a Graph URL without encoding it: `#` starts the URI fragment, so Graph only sees what
    comes before it (a guest's `x#EXT#@tenant` becomes `x`; CONTRACT 0.1 C5). Remove-CIPPUserMFA is one of the few
    helpers that encodes (EscapeDataString)."""
    return None if ident is None else str(ident).split('#', 1)[0]


def url_user(tenant, ident, state=None):
    """GET users/{ident} with `ident` pasted unencoded into the URL: None when Graph would answer 404."""
    key = unencoded_path_segment(ident)
    if not key:
        return None
    if state is not None:
        return consistency.find_visible(state, tenant, key, _find_in)
    return tenant.find_user(key)


def _find_in(users, ident):
    text = str(ident).strip().lower()
    if text in users:
        return users[text]
    for user in users.values():
        if user['id'].lower() == text or str(user.get('userPrincipalName', '')).lower() == text:
            return user
    return None


def _group_object(group):
    return dict(public(group), **{'@odata.type': '#microsoft.graph.group'})


def _role_object(role):
    return dict(public(role), **{'@odata.type': '#microsoft.graph.directoryRole'})


def _member_of(tenant, user, cast):
    """users/{id}/memberOf: the groups the user is a direct member of, then the directory roles it holds. A type cast
    segment (`microsoft.graph.group`, `$/microsoft.graph.group`) keeps only that type."""
    groups = [_group_object(g) for g in tenant.groups.values() if user['id'] in g['_members']]
    roles = [_role_object(r) for r in tenant.roles.values() if user['id'] in r['_members']]
    if cast == 'microsoft.graph.group':
        return groups, 'group'
    if cast == 'microsoft.graph.directoryRole':
        return roles, 'directoryRole'
    if cast:
        raise GraphError("Resource not found for the segment '%s'." % cast)
    return groups + roles, 'memberOf'


def licence_details(tenant, user):
    rows = []
    for lic in user.get('assignedLicenses') or []:
        sku = SKU_BY_ID.get(lic['skuId'])
        rows.append({'id': '%s_%s' % (user['id'], lic['skuId']), 'skuId': lic['skuId'], 'skuPartNumber': sku[1] if sku else None,
                     'servicePlans': [{'servicePlanId': pid, 'servicePlanName': name, 'provisioningStatus': 'Success', 'appliesTo': 'User'}
                                      for pid, name, _service in (sku[3] if sku else [])]})
    return rows


def _graph_user_rows(state, tenant, parts, expand, version='beta'):
    if len(parts) == 1:
        users = consistency.visible_users(state, tenant)
        return [graph_user(tenant, user, 'manager' in expand) for user in users.values()], 'user'
    user = consistency.find_visible(state, tenant, parts[1], _find_in)
    if user is None:
        raise GraphError(GRAPH_NOT_FOUND % parts[1])
    if len(parts) == 2:
        return [graph_user(tenant, user, 'manager' in expand)], 'user'
    tail = parts[2:]
    if tail[0] in ('memberOf', 'transitiveMemberOf') and len(tail) <= 3:
        cast = '/'.join(p for p in tail[1:] if p != '$')
        return _member_of(tenant, user, cast)
    if tail == ['manager']:
        manager = tenant.users.get(user.get('_managerId') or '')
        if manager is None:
            raise GraphError(GRAPH_NOT_FOUND % 'manager')
        return [member_row(manager)], 'user'
    if tail == ['directReports']:
        # Graph's users/{id}/directReports, passed through by HTTP Functions/CIPP/Core/Invoke-ListGraphRequest.ps1.
        return [member_row(other) for other in tenant.users.values() if other.get('_managerId') == user['id']], 'members'
    if tail == ['authentication', 'methods']:
        return authentication_methods(user, state.now()), 'authenticationMethod'
    if tail == ['authentication', 'signInPreferences']:
        if version != 'beta':
            raise GraphError("Resource not found for the segment 'signInPreferences'.")  # beta only (Invoke-ExecSetDefaultMFAMethod)
        return [sign_in_preferences(tenant, user)], 'signInPreferences'
    if tail == ['licenseDetails']:
        return licence_details(tenant, user), 'licenseDetails'
    raise GraphError("Resource not found for the segment '%s'." % tail[-1])


def _graph_group_rows(tenant, parts):
    if len(parts) == 1:
        return [public(group) for group in tenant.groups.values()], 'group'
    group = tenant.groups.get(parts[1].lower())
    if group is None:
        raise GraphError(GRAPH_NOT_FOUND % parts[1])
    if len(parts) == 2:
        return [public(group)], 'group'
    if parts[2] in ('members', 'owners', 'transitiveMembers') and len(parts) == 3:
        ids = group['_owners'] if parts[2] == 'owners' else group['_members']
        return [member_row(tenant.users[i]) for i in ids if i in tenant.users], 'members'
    raise GraphError("Resource not found for the segment '%s'." % parts[2])


def _graph_role_rows(tenant, parts):
    if len(parts) == 1:
        return [public(role) for role in tenant.roles.values()], 'directoryRole'
    role = tenant.roles.get(parts[1].lower())
    if role is None:
        raise GraphError(GRAPH_NOT_FOUND % parts[1])
    if len(parts) == 2:
        return [public(role)], 'directoryRole'
    if parts[2:] == ['members']:
        return [member_row(tenant.users[i]) for i in role['_members'] if i in tenant.users], 'members'
    raise GraphError("Resource not found for the segment '%s'." % parts[2])


def subscribed_sku(tenant, sku):
    """Graph's subscribedSku (beta): the true part number (SPB, ENTERPRISEPACK, FLOW_FREE ...), every SKU the
    tenant has, including the free ones CIPP's ListLicenses hides."""
    plans = [{'servicePlanId': plan_id, 'servicePlanName': name, 'provisioningStatus': 'Success', 'appliesTo': 'User',
              'servicePlanType': service} for plan_id, name, service in _sku_plans(sku['skuId'])]
    return {'id': '%s_%s' % (tenant.customer_id, sku['skuId']), 'skuId': sku['skuId'], 'skuPartNumber': sku['skuPartNumber'],
            'accountId': tenant.customer_id, 'accountName': tenant.row['displayName'], 'appliesTo': 'User', 'capabilityStatus': 'Enabled',
            'consumedUnits': consumed(tenant, sku['skuId']), 'subscriptionIds': [sku['_subscriptionId']],
            'prepaidUnits': dict(sku['prepaidUnits'], lockedOut=0), 'servicePlans': plans}


def graph_rows(state, tenant, path, expand, version='beta'):
    """(rows, entity type) of a Graph path the emulator serves; GraphError for what Graph would refuse. ``version`` is
    Get-GraphRequestList's: only the beta-only paths (signInPreferences) tell the two apart."""
    parts = [part for part in str(path).strip('/').split('/') if part]
    head = parts[0] if parts else ''
    if head == 'users':
        return _graph_user_rows(state, tenant, parts, expand, version)
    if head == 'groups':
        return _graph_group_rows(tenant, parts)
    if head == 'directoryRoles':
        return _graph_role_rows(tenant, parts)
    if parts == ['subscribedSkus']:
        return [subscribed_sku(tenant, sku) for sku in tenant.skus.values()], 'subscribedSku'
    if head == 'domains' and len(parts) <= 2:
        rows = copy.deepcopy(tenant.domains)
        if len(parts) == 2:
            rows = [row for row in rows if row['id'].lower() == parts[1].lower()]
            if not rows:
                raise GraphError(GRAPH_NOT_FOUND % parts[1])
        return rows, 'domain'
    if parts == ['policies', 'authenticationMethodsPolicy']:
        return [copy.deepcopy(authentication_methods_policy(tenant))], 'authenticationMethodsPolicy'
    if parts == ['organization']:
        return [{'id': tenant.customer_id, 'displayName': tenant.row['displayName'],
                 'verifiedDomains': [{'name': d['id'], 'isDefault': d['isDefault'], 'isInitial': d['isInitial']}
                                     for d in tenant.domains if d.get('isVerified')]}], 'organization'
    raise GraphError("Resource not found for the segment '%s'." % head)


def _skiptoken(offset, path):
    """An opaque $skiptoken (base64 of the position and a fingerprint of the query it belongs to)."""
    raw = json.dumps({'o': offset, 'p': path, 'n': secrets.token_hex(4)}, separators=(',', ':')).encode('utf-8')
    return base64.urlsafe_b64encode(raw).decode('ascii').rstrip('=')


def _offset_of(token):
    try:
        padded = str(token) + '=' * (-len(str(token)) % 4)
        return int(json.loads(base64.urlsafe_b64decode(padded.encode('ascii')))['o'])
    except (ValueError, KeyError, TypeError):
        raise GraphError("Invalid '$skiptoken' value.") from None


def _odata_parameters(req):
    """The OData options Invoke-ListGraphRequest passes on (its `Parameters` hashtable, also echoed in Metadata)."""
    params = {}
    for name in ('$filter', '$select', '$expand', '$top', '$count', '$orderby', '$search', '$format'):
        value = req.q(name)
        if name == '$filter' and not value:
            value = req.q('graphFilter')
        if value:
            params[name] = ps_bool_text(convert_to_bool(value)).lower() if name == '$count' else value
    return params


def _from_next_link(link):
    """(path, parameters, offset) from a nextLink CIPP would follow; GraphError when it is not Graph's."""
    parsed = urllib.parse.urlsplit(str(link))
    if parsed.scheme != 'https' or parsed.hostname != 'graph.microsoft.com':
        raise GraphError('Exception at %s - Invalid nextLink URL: %s' % (GRAPH_HELPER, link))
    segments = parsed.path.strip('/').split('/', 1)
    query = dict((k, v[-1]) for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items())
    offset = _offset_of(query.pop('$skiptoken', ''))
    return (segments[1] if len(segments) > 1 else ''), query, offset


def _select(rows, select, entity):
    """`$select` (dotted paths cut to their first segment, as CIPP does). Checked against Graph's schema of the type:
    a property Graph knows comes back (null when the object has no value), an unknown one is Graph's error. The
    `@odata.type` of objects in a directoryObject collection is always returned."""
    fields = sorted(set(field.split('.')[0].strip() for field in str(select).split(',') if field.strip()))
    known, type_name = ENTITIES.get(entity, (frozenset(), 'Microsoft.DirectoryServices.%s' % entity))
    for field in fields:
        if field not in known:
            raise GraphError("Could not find a property named '%s' on type '%s'." % (field, type_name))
    out = []
    for row in rows:
        kept = dict((key, row.get(key)) for key in fields)
        if '@odata.type' in row:
            kept['@odata.type'] = row['@odata.type']
        if 'manager' in row and isinstance(row['manager'], dict):
            kept['manager'] = row['manager']  # an expanded navigation property is returned whatever $select says
        out.append(kept)
    return out


def _order(rows, orderby):
    key, _sep, direction = str(orderby).strip().partition(' ')
    return sorted(rows, key=lambda r: (r.get(key) is None, str(r.get(key) or '').lower()), reverse=direction.strip().lower() == 'desc')


def _page_size(params):
    top = params.get('$top')
    if top is None:
        return GRAPH_PAGE_DEFAULT
    if not str(top).isdigit() or not 1 <= int(top) <= 999:
        raise GraphError("Invalid page size specified: '%s'. Must be between 1 and 999 inclusive." % top)
    return int(top)


def graph_query(state, tenant, path, params, version='beta'):
    """All rows of a Graph query, filtered, ordered and projected as Graph would."""
    rows, entity = graph_rows(state, tenant, path, str(params.get('$expand') or ''), version)
    try:
        rows = graph_filter(rows, params.get('$filter'), entity)
    except FilterError as exc:
        raise GraphError(str(exc)) from None
    if params.get('$orderby'):
        rows = _order(rows, params['$orderby'])
    if params.get('$select'):
        ids = [row.get('id') for row in rows]
        rows = _select(rows, params['$select'], entity)
        if entity == 'user':
            _fill_selected_user_properties(state, tenant, rows, ids)
    return rows


def _fill_selected_user_properties(state, tenant, rows, ids):
    """Properties Graph computes rather than stores: passwordProfile (the force-change flags, never the password),
    perUserMfaState, and signInActivity, which needs Entra ID P1."""
    for row, user_id in zip(rows, ids):
        user = tenant.users.get(str(user_id))
        if 'signInActivity' in row and tenant.no_p1:
            raise GraphError("Neither tenant is B2C or tenant doesn't have premium license")
        if user is None:
            continue
        if 'perUserMfaState' in row:
            row['perUserMfaState'] = user.get('_perUserMfa') or 'disabled'
        if 'signInActivity' in row:
            times = [sgn['createdDateTime'] for sgn in tenant.signins if sgn['userId'] == user['id']]
            good = [sgn['createdDateTime'] for sgn in tenant.signins if sgn['userId'] == user['id'] and sgn['status']['errorCode'] == 0]
            row['signInActivity'] = {'lastSignInDateTime': max(times) if times else None, 'lastSignInRequestId': None,
                                     'lastNonInteractiveSignInDateTime': None, 'lastNonInteractiveSignInRequestId': None,
                                     'lastSuccessfulSignInDateTime': max(good) if good else None, 'lastSuccessfulSignInRequestId': None}
        if user is not None and 'passwordProfile' in row:
            row['passwordProfile'] = {'forceChangePasswordNextSignIn': bool(user.get('_forceChangePassword')),
                                      'forceChangePasswordNextSignInWithMfa': False, 'password': None}


def _fill_password_profiles(tenant, rows):
    """A selected passwordProfile shows the force-change flags (never the password), as Graph does."""
    for row in rows:
        user = tenant.users.get(str(row.get('id')))
        if user is not None and 'passwordProfile' in row:
            row['passwordProfile'] = {'forceChangePasswordNextSignIn': bool(user.get('_forceChangePassword')),
                                      'forceChangePasswordNextSignInWithMfa': False, 'password': None}


def graph_url_path(endpoint_value):
    """The path Graph receives for ListGraphRequest's `Endpoint`: CIPP builds `[System.UriBuilder]('https://graph.../beta/'
    + Endpoint)` without encoding it, so a `#` starts the fragment and a `?` the (replaced) query; Graph then decodes
    the %-escapes that are left (an Endpoint carrying `%23` does reach the guest)."""
    text = str(endpoint_value or '').lstrip('/')
    text = text.split('#', 1)[0].split('?', 1)[0]
    return urllib.parse.unquote(text)


@endpoint('ListGraphRequest', 'CIPP.Core.Read')
def list_graph_request(req):
    """Invoke-ListGraphRequest -> Get-GraphRequestList -> New-GraphGetRequest (-ErrorAction Stop, so a tenant CIPP
    does not manage is an error here, unlike most endpoints: CONTRACT 0.1 C9). No tenantFilter: Get-GraphRequestList's
    default, the partner tenant ($env:TenantID), which the default tenant mode does not list (C10)."""
    path = graph_url_path(req.q('Endpoint'))
    tenant_filter = req.q('tenantFilter') or DEFAULT_AUTH_TENANT_ID
    params = _odata_parameters(req)
    metadata = {'Endpoint': req.q('Endpoint'), 'Parameters': dict(params), 'CippLink': None}
    if req.q('tenantFilter'):
        metadata['TenantFilter'] = req.q('tenantFilter')
    flags = {'NoPagination': 'NoPagination', 'ManualPagination': 'manualPagination', 'CountOnly': 'CountOnly'}
    for key, name in flags.items():
        if req.q(name):
            metadata[key] = convert_to_bool(req.q(name))
    if req.q('nextLink'):
        metadata['nextLink'] = req.q('nextLink')
    try:
        rows, next_link = _graph_request_rows(req, path, tenant_filter, params, metadata)
    except GraphError as exc:
        status = 200 if req.q('IgnoreErrors') else 400
        return Response.text('Graph Error: %s - Endpoint: %s' % (exc, req.q('Endpoint')), status)
    if next_link:
        metadata['nextLink'] = next_link
    else:
        metadata.pop('nextLink', None)
    if req.q('Sort'):
        rows = sorted(rows, key=lambda r: str(r.get(req.q('Sort')) or '').lower())
    return Response.json({'Results': rows, 'Metadata': metadata})


def _graph_request_rows(req, path, tenant_filter, params, metadata):
    with req.state.lock:
        tenant = req.state.resolve_tenant(tenant_filter)
        if tenant is None:
            raise GraphError('Exception at %s - %s' % (GRAPH_HELPER, not_managed(tenant_filter)))
        offset = 0
        if metadata.get('ManualPagination') and str(req.q('nextLink') or '').startswith('https://'):
            path, params, offset = _from_next_link(req.q('nextLink'))
        version = req.q('Version') or 'beta'  # Get-GraphRequestList: [ValidateSet('v1.0', 'beta')], default beta
        if version.lower() not in ('v1.0', 'beta'):
            raise GraphError('Cannot validate argument on parameter \'Version\'. The argument "%s" does not belong to the set '
                             '"v1.0,beta" specified by the ValidateSet attribute. Supply an argument that is in the set and then '
                             'try the command again.' % version)
        try:
            rows = graph_query(req.state, tenant, path, params, version.lower())
        except GraphError as exc:
            raise GraphError('Exception at %s - %s' % (GRAPH_HELPER, exc)) from None
        if metadata.get('CountOnly'):
            return [len(rows)], None
        page = _page_size(params)
        if not (metadata.get('NoPagination') or metadata.get('ManualPagination')):
            return _tag(rows, tenant_filter), None  # CIPP follows every nextLink itself
        next_link = None
        if offset + page < len(rows):
            query = dict(params, **{'$top': str(page), '$skiptoken': _skiptoken(offset + page, path)})
            next_link = 'https://graph.microsoft.com/beta/%s?%s' % (path, urllib.parse.urlencode(query, safe="$',()/", quote_via=urllib.parse.quote))
        return _tag(rows[offset:offset + page], tenant_filter), next_link


def _tag(rows, tenant_filter):
    """Every ListGraphRequest row gets the tenant as sent and CippStatus (CONTRACT 5.5)."""
    for row in rows:
        row['Tenant'] = tenant_filter
        row['CippStatus'] = 'Good'
    return rows


@endpoint('ListUserGroups', 'Identity.User.Read')
def list_user_groups(req):
    """Invoke-ListUserGroups: beta/users/{userId}/memberOf/$/microsoft.graph.group?$select=...&$orderby=displayName asc
    with -noPagination: Graph's first page only (100), however many groups the user is in (CONTRACT 0.1 C13). The
    userId is pasted unencoded (C5); a tenant CIPP does not manage gives [] (C9)."""
    with req.state.lock:
        tenant = req.state.resolve_tenant(req.q('tenantFilter') or DEFAULT_AUTH_TENANT_ID)
        if tenant is None:
            return Response.json([])
        user = url_user(tenant, req.q('userId'))
        if user is None:
            return Response.text(GRAPH_NOT_FOUND % text(unencoded_path_segment(req.q('userId'))), 500)
        groups = sorted((g for g in tenant.groups.values() if user['id'] in g['_members']), key=lambda g: g['displayName'].lower())
        return Response.json([membership_row(group) for group in groups[:GRAPH_PAGE_DEFAULT]])


@endpoint('ListUserDevices', 'Identity.User.Read')
def list_user_devices(req):
    with req.state.lock:
        tenant = req.state.resolve_tenant(req.q('tenantFilter'))
        user = url_user(tenant, req.q('UserID')) if tenant else None
        return Response.json(copy.deepcopy(tenant.devices.get(user['id'], [])) if user else [])  # errors are swallowed: []


def signin_row(row):
    """A stored sign-in as Graph returns it; rows another seed built sparsely get the defaults for missing objects."""
    view = copy.deepcopy(row)
    for key, default in SIGNIN_DEFAULTS.items():
        if key not in view or (isinstance(default, dict) and not view[key]):
            view[key] = copy.deepcopy(default)
    return view


@endpoint('ListUserSigninLogs', 'Identity.User.Read')
def list_user_signin_logs(req):
    user_id = req.q('UserID')
    with req.state.lock:
        tenant = req.state.resolve_tenant(req.q('tenantFilter'))
        if tenant is None:
            return Response.json(['Failed to retrieve Sign In report for user %s : Error: %s' % (text(user_id), not_managed(req.q('tenantFilter')))], 500)
        try:
            top = int(req.q('top') or 50)
        except ValueError:
            top = 50
        # The filter is `userId eq '{UserID}'`: a UPN matches nothing.
        rows = sorted((s for s in tenant.signins if s['userId'] == str(user_id).lower()), key=lambda s: s['createdDateTime'], reverse=True)
        return Response.json([signin_row(row) for row in rows[:top]])


@endpoint('ListSignIns', 'Identity.AuditLog.Read')
def list_signins(req):
    with req.state.lock:
        tenant = req.state.resolve_tenant(req.q('tenantFilter'))
        if tenant is None:
            return Response.text(not_managed(req.q('tenantFilter')), 500)
        try:
            rows = _signins_for(tenant, req)
        except (FilterError, ValueError) as exc:
            return Response.text(str(exc), 500)
        out = []
        for row in rows:
            view = signin_row(row)
            view['errorCode'] = row['status']['errorCode']
            view['additionalDetails'] = row['status'].get('additionalDetails')
            view['locationcipp'] = '%s - %s' % (row['location'].get('city'), row['location'].get('countryOrRegion'))
            out.append(view)
        return Response.json(out)


def _signins_for(tenant, req):
    since = iso(req.state.now() - int(req.q('Days') or 7) * 86400)
    rows = sorted((s for s in tenant.signins if s['createdDateTime'] >= since), key=lambda s: s['createdDateTime'], reverse=True)
    if str(req.q('failedLogonsOnly') or '').lower() == 'true':
        rows = [s for s in rows if s['status']['errorCode'] == 50126]
    if req.q('Filter'):
        rows = graph_filter(rows, req.q('Filter'), 'signIn')
    threshold = int(req.q('FailureThreshold') or 0)
    if threshold:
        failures = {}
        for row in rows:
            if row['status']['errorCode'] != 0:
                failures[row['userPrincipalName']] = failures.get(row['userPrincipalName'], 0) + 1
        rows = [s for s in rows if failures.get(s['userPrincipalName'], 0) >= threshold]
    return rows


def inactive_rows(tenant, tenant_value, days, now):
    rows = []
    for user in tenant.users.values():
        if not user['accountEnabled'] or user['userType'] == 'Guest':
            continue
        last = max((s['createdDateTime'] for s in tenant.signins if s['userId'] == user['id'] and s['status']['errorCode'] == 0), default=None)
        if last and epoch_of(last) >= now - days * 86400:
            continue
        rows.append({'tenantId': tenant_value, 'tenantDisplayName': tenant.row['displayName'], 'azureAdUserId': user['id'],
                     'userPrincipalName': user['userPrincipalName'], 'displayName': user['displayName'], 'userType': user['userType'],
                     'createdDateTime': user['createdDateTime'], 'lastSignInDateTime': last, 'lastNonInteractiveSignInDateTime': None,
                     'lastRefreshedDateTime': iso(now - 3600), 'numberOfAssignedLicenses': len(user['assignedLicenses']),
                     'daysSinceLastSignIn': int((now - epoch_of(last)) // 86400) if last else None, 'accountEnabled': True})
    return rows


@endpoint('ListInactiveAccounts', 'Tenant.Directory.Read')
def list_inactive_accounts(req):
    """From CIPP's nightly cache: a tenant it does not manage simply has no cached rows."""
    tenant_filter = req.q('tenantFilter')
    try:
        days = int(req.q('InactiveDays') or 180)
    except ValueError as exc:
        return Response.json([{'Error': str(exc)}], 500)
    with req.state.lock:
        now = req.state.now()
        if str(tenant_filter or '').lower() == 'alltenants':
            return Response.json([row for t in req.state.tenants.values() for row in inactive_rows(t, t.default_domain, days, now)])
        tenant = req.state.resolve_tenant(tenant_filter)
        return Response.json(inactive_rows(tenant, tenant_filter, days, now) if tenant else [])


@endpoint('ListDeletedItems', 'Tenant.Directory.Read')
def list_deleted_items(req):
    with req.state.lock:
        tenant = req.state.resolve_tenant(req.q('tenantFilter'))
        if tenant is None:
            return Response.json([])  # failed batch sub-requests are skipped quietly
        return Response.json([dict(public(item), TargetType='User') for item in tenant.deleted.values()])


def _policy_applies(policy, user):
    """Users in scope: All, the user's id, or AdminRoles for admins (group and role expansion is not modelled further)."""
    included = policy.get('includeUsers') or []
    excluded = policy.get('excludeUsers') or []
    in_scope = 'All' in included or user['id'] in included or (user.get('_isAdmin') and 'AdminRoles' in included)
    return in_scope and user['id'] not in excluded


@endpoint('ListUserConditionalAccessPolicies', 'Identity.User.Read')
def list_user_ca_policies(req):
    """The what-if evaluation's `value`: the policies that apply to the user for Office 365; any error -> [{}]."""
    with req.state.lock:
        tenant = req.state.resolve_tenant(req.q('tenantFilter'))
        user = tenant.find_user(req.q('UserID')) if tenant else None
        if user is None:
            return Response.json([{}])
        return Response.json([{
            'id': uid('capolicy', tenant.customer_id, p['displayName']), 'displayName': p['displayName'], 'state': p.get('state', 'enabled'),
            'policyApplies': True, 'analysisReasons': 'notSet',
            'grantControls': {'operator': 'OR', 'builtInControls': ['mfa'] if p.get('requiresMfa', True) else ['block']},
            'conditions': {'users': {'includeUsers': list(p.get('includeUsers') or []), 'excludeUsers': list(p.get('excludeUsers') or [])},
                           'applications': {'includeApplications': ['All'] if p.get('allApps') else ['Office365']}},
        } for p in tenant.ca_policies if _policy_applies(p, user)])


@endpoint('ListGroups', 'Identity.Group.Read')
def list_groups(req):
    with req.state.lock:
        tenant = req.state.resolve_tenant(req.q('tenantFilter'))
        if tenant is None:
            return Response.json([not_managed(req.q('tenantFilter'))], 403)
        group_id = req.q('groupID')
        members, owners = str(req.q('members') or '').lower() == 'true', str(req.q('owners') or '').lower() == 'true'
        if (members or owners) and not group_id:
            return Response.json({'Results': 'groupID is required when requesting members or owners'}, 400)
        if not group_id:
            rows = [group_row(tenant, g) for g in sorted(tenant.groups.values(), key=lambda g: g['displayName'].lower())]
            if str(req.q('expandMembers') or '').lower() == 'true':
                for row in rows:
                    row['members'] = [_member_summary(tenant.users[m]) for m in tenant.groups[row['id']]['_members'] if m in tenant.users]
            return Response.json(rows)
        group = tenant.groups.get(str(group_id).lower())
        if group is None:
            return Response.json([GRAPH_NOT_FOUND % group_id], 403)
        if members or owners:
            ids = group['_members'] if members else group['_owners']
            return Response.json([member_row(tenant.users[m]) for m in ids if m in tenant.users])
        return Response.json(group_row(tenant, group))


def _member_summary(user):
    return {'id': user['id'], 'displayName': user['displayName'], 'userPrincipalName': user['userPrincipalName']}


@endpoint('ListGlobalAddressList', 'Exchange.Mailbox.Read')
def list_global_address_list(req):
    with req.state.lock:
        tenant = req.state.resolve_tenant(req.q('tenantFilter'))
        if tenant is None:
            return Response.text(not_managed(req.q('tenantFilter'), 'Exchange request'), 500)
        rows = []
        for user_id, mailbox in tenant.mailboxes.items():
            user = tenant.users.get(user_id)
            if user is None or mailbox.get('HiddenFromAddressListsEnabled'):
                continue
            rows.append({'Identity': user['id'], 'Alias': user['mailNickname'], 'DisplayName': user['displayName'],
                         'PrimarySmtpAddress': mailbox.get('PrimarySmtpAddress') or user['userPrincipalName'],
                         'EmailAddresses': list(user.get('proxyAddresses') or []), 'ExternalDirectoryObjectId': user['id'],
                         'HiddenFromAddressListsEnabled': False, 'IsDirSynced': bool(user.get('onPremisesSyncEnabled')),
                         'RecipientType': 'UserMailbox', 'RecipientTypeDetails': mailbox.get('RecipientTypeDetails', 'UserMailbox'),
                         'AddressListMembership': ['\\Default Global Address List', '\\All Users'], 'SKUAssigned': None})
        return Response.json(rows)


# ------------------------------------------------------------------------------------------------ licences (writes)

def assign_licences(state, tenant, user, add, remove, upn):
    """Set-CIPPUserLicense for one user: one assignLicense call (remove + add) and CIPP's result line.

    Graph refuses an unknown SKU, a SKU without a free seat, or any licence for a user without a usage location;
    CIPP answers the last one by setting its default usage location and trying again."""
    failure, retried = licence_change(state, tenant, user, add, remove)
    if failure:
        return 'Failed to assign licenses for user %s: %s' % (upn, failure)
    return (LICENCE_OK_AFTER_LOCATION if retried else LICENCE_OK) % upn


def licence_change(state, tenant, user, add, remove):
    """POST users/{id}/assignLicense (and CIPP's usage-location retry): (Graph error or None, retried after setting the
    usage location). assignLicense changes direct assignments only; a SKU the user has through a group cannot be
    removed this way."""
    direct = list(user.get('_directLicenses') if user.get('_directLicenses') is not None else
                  [lic['skuId'] for lic in user['assignedLicenses']])
    inherited = set(sku for sku, _group in user.get('_groupLicenses') or [])
    for sku in remove:
        if sku not in direct and sku in inherited:
            return 'User license is inherited from a group membership and it cannot be removed directly from the user.', False
    failure = _licence_failure(tenant, [sku for sku in add if sku not in direct and sku not in inherited])
    if failure:
        return failure, False
    retried = False
    if add and not user.get('usageLocation'):
        user['usageLocation'] = DEFAULT_USAGE_LOCATION
        retried = True
    wanted = [sku for sku in direct if sku not in remove] + [sku for sku in add if sku not in direct]
    set_licenses(user, wanted, iso(state.now()))
    return None, retried


def _licence_failure(tenant, new_skus):
    for sku_id in new_skus:
        sku = tenant.skus.get(sku_id)
        if sku is None:
            return 'License %s does not correspond to a valid company License.' % sku_id
        if consumed(tenant, sku_id) >= sku['prepaidUnits']['enabled']:
            return 'Subscription with SKU %s does not have any available licenses.' % sku_id
    return None


def _sku_values(items):
    """`licenses: [{value: skuId}]` -> sku ids; bare strings are ignored because CIPP reads `.value` (CONTRACT 5.1)."""
    return [str(item.get('value')) for item in items or [] if isinstance(item, dict) and not is_blank(item.get('value'))]


# ------------------------------------------------------------------------------------------------ groups (shared by the writes)

def exo_group(group):
    return group_kind(group) in ('distribution', 'mailsecurity')


def add_member(tenant, group, user):
    """Add-CIPPGroupMember-like: EXO for distribution lists / mail-enabled security, Graph otherwise; None or an error."""
    if user['id'] in group['_members']:
        if exo_group(group):
            return 'The recipient "%s" is already a member of the group "%s".' % (user['userPrincipalName'], group['displayName'])
        return ALREADY_MEMBER
    if is_dynamic(group):
        return DYNAMIC_GROUP
    group['_members'].append(user['id'])
    if group.get('_assignedLicenses'):
        sync_group_licences(tenant, user)  # group-based licensing: the user inherits the group's SKUs
    return None


def remove_member(group, user, tenant=None):
    if user['id'] not in group['_members']:
        if exo_group(group):
            return 'The recipient "%s" isn\'t a member of the group "%s".' % (user['userPrincipalName'], group['displayName'])
        return GRAPH_NOT_FOUND % user['id']
    if is_dynamic(group):
        return DYNAMIC_GROUP
    group['_members'].remove(user['id'])
    if tenant is not None and group.get('_assignedLicenses') and user.get('_groupLicenses'):
        sync_group_licences(tenant, user)
    return None


def find_group(tenant, ref):
    return tenant.groups.get(str(label_value(ref) or '').lower())


def copy_groups(tenant, source_ref, user):
    """Set-CIPPCopyGroupMembers: (result lines, {Success, Error, Skipped})."""
    summary = {'Success': [], 'Error': [], 'Skipped': []}
    source = tenant.find_user(source_ref)
    if source is None:
        summary['Error'].append(GRAPH_NOT_FOUND % source_ref)
        return ["We've failed to copy the groups of %s: %s" % (source_ref, GRAPH_NOT_FOUND % source_ref)], summary
    lines, already = [], []
    for group in sorted((g for g in tenant.groups.values() if source['id'] in g['_members']), key=lambda g: g['displayName']):
        name = group['displayName']
        if user['id'] in group['_members']:
            already.append(name)
        elif is_dynamic(group) or group.get('onPremisesSyncEnabled'):
            summary['Skipped'].append(name)
            lines.append('Skipped %s: %s' % (name, 'dynamic membership' if is_dynamic(group) else 'synced from on-premises'))
        else:
            group['_members'].append(user['id'])
            summary['Success'].append(name)
            lines.append('Added user to group: %s' % name)
    if already:
        lines.append('Already a member of %d groups, left unchanged: %s' % (len(already), ', '.join(already)))
    return lines, summary


def set_manager(tenant, user, manager_ref, upn):
    manager = tenant.find_user(manager_ref)
    if manager is None:
        return "Failed to set %s's manager: %s" % (upn, GRAPH_NOT_FOUND % manager_ref)
    user['_managerId'] = manager['id']
    return "Set %s's manager to %s" % (upn, manager_ref)


# ------------------------------------------------------------------------------------------------ AddUser / AddUserBulk

def _schedule(state, body, name, command):
    """Add-CIPPScheduledTask through the scheduler module (duplicate names are refused there, silently for the caller)."""
    # The scheduler is another module of the emulator; imported here so the directory endpoints work without it.
    from . import handlers_scheduler  # pylint: disable=import-outside-toplevel
    scheduled = body.get('Scheduled') or {}
    post = body.get('PostExecution') or {}
    task = {'TenantFilter': body.get('tenantFilter'), 'Name': name, 'Command': {'value': command, 'label': command},
            'Parameters': {'UserObj': json.loads(json.dumps(body))}, 'ScheduledTime': scheduled.get('date') if isinstance(scheduled, dict) else None,
            'Reference': body.get('reference'),
            'PostExecution': dict((key, ps_bool(post.get(key)) if isinstance(post, dict) else False) for key in ('Webhook', 'Email', 'PSA'))}
    return handlers_scheduler.add_scheduled_task(state, task, hidden=False, disallow_duplicate_name=True)


def _primary_domain(body):
    prim = body.get('PrimDomain')
    return prim.get('value') if isinstance(prim, dict) else None  # a bare string is ignored (CONTRACT 5.1)


def _list_value(value, split_commas=False):
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if split_commas:
        items = [part.strip() for item in items if item is not None for part in str(item).split(',')]
    return [str(item) for item in items if not is_blank(item)]


def _create_user(state, tenant, body):
    """New-CIPPUser: the Graph create. Returns (user, password) or raises GraphError with Graph's message."""
    username = text(body.get('username')).strip()
    domain = text(body.get('Domain') or _primary_domain(body)).strip()
    upn = '%s@%s' % (username, domain)
    password = body.get('password') or generated_password()
    if not username or not domain:
        raise GraphError(UPN_INVALID)
    if not verified_domain(tenant, domain):
        raise GraphError(UPN_DOMAIN)
    if tenant.find_user(upn) is not None:
        raise GraphError(UPN_EXISTS)
    if is_blank(body.get('displayName')):
        raise GraphError("Invalid value specified for property 'displayName' of resource 'User'.")
    if not password_ok(password):
        raise GraphError(WEAK_PASSWORD)
    fields = dict((key, body.get(key)) for key in PROFILE if not is_blank(body.get(key)) and key not in ('givenName', 'surname'))
    fields['businessPhones'] = _list_value(body.get('businessPhones'))
    fields['otherMails'] = _list_value(body.get('otherMails'), split_commas=True)
    fields['usageLocation'] = label_value(body.get('usageLocation')) or None
    fields['mailNickname'] = username or text(body.get('mailNickname'))
    for name, wrapped in (body.get('defaultAttributes') or {}).items():
        if not is_blank(label_value(wrapped)):
            fields[name] = label_value(wrapped)
    created = datetime.fromtimestamp(state.now(), timezone.utc)
    user = new_user(tenant, upn, body.get('displayName'), body.get('givenName'), body.get('surname'), created=created, **fields)
    user['_password'] = str(password)
    user['_forceChangePassword'] = ps_bool(body.get('MustChangePass'))
    user['_exoVisibleAt'] = state.now() + EXO_REPLICATION_SECONDS
    consistency.note_write(state, tenant, user['id'], None)
    return user, str(password)


def _add_user_steps(state, tenant, body, user):
    """The follow-up steps of AddUser (licences, aliases, copy groups, groups, manager): result lines and CopyFrom."""
    upn = user['userPrincipalName']
    lines = []
    skus = _sku_values(body.get('licenses'))
    if skus:
        lines.append(assign_licences(state, tenant, user, skus, [], upn))
    lines.extend(_add_aliases(tenant, user, body))
    copied = None
    if label_value(body.get('copyFrom')) and isinstance(body.get('copyFrom'), dict):
        copy_lines, copied = copy_groups(tenant, label_value(body.get('copyFrom')), user)
        lines.extend(copy_lines)
    for ref in body.get('AddToGroups') or []:
        lines.append(_add_to_group_step(state, tenant, ref if isinstance(ref, dict) else CIDict({'value': ref}), user))
    if isinstance(body.get('setManager'), dict) and label_value(body.get('setManager')):
        lines.append(set_manager(tenant, user, label_value(body.get('setManager')), upn))
    return lines, copied


EXO_GROUP_TYPES = ('distribution list', 'mail-enabled security')
EXO_REPLICATION_SECONDS = 300  # how long a new user stays unknown to Exchange Online (its recipient is not there yet)


def resolved_group_type(group, caller_type):
    """Add-CIPPGroupMember: what Graph says the group is wins; the caller's addedFields.groupType only when Graph
    could not answer (an unknown group)."""
    if group is None:
        return caller_type
    if 'Unified' in (group.get('groupTypes') or []):
        return 'Microsoft 365'
    if group.get('mailEnabled') and group.get('securityEnabled'):
        return 'Mail-Enabled Security'
    return 'Distribution list' if group.get('mailEnabled') else 'Security'


def add_group_member(state, tenant, group_id, member_upn, caller_type=None):
    """Add-CIPPGroupMember for one member: its result text, or GraphError with the text it throws."""
    group = tenant.groups.get(str(group_id or '').lower())
    name = group['displayName'] if group else text(group_id)
    user = tenant.find_user(member_upn)
    kind = str(resolved_group_type(group, caller_type) or '')
    if kind.lower() in EXO_GROUP_TYPES:
        # Add-DistributionGroupMember: EXO must know the member as a recipient, which a just-created user is not yet.
        if user is None or state.now() < (user.get('_exoVisibleAt') or 0):
            error = 'Couldn\'t find object "%s". Please make sure that it was spelled correctly or specify a different object.' % member_upn
        elif group is None:
            error = ("The operation couldn't be performed because object '%s' couldn't be found on "
                     "'AM6PR04A010DC001.EURPR04A010.PROD.OUTLOOK.COM'." % group_id)
        else:
            error = add_member(tenant, group, user)
    elif user is None:
        error = GRAPH_NOT_FOUND % member_upn
    elif group is None:
        error = GRAPH_NOT_FOUND % group_id
    else:
        error = add_member(tenant, group, user)
    shown = user['userPrincipalName'] if user else member_upn
    if error is None:
        return 'Successfully added user %s to group %s.' % (shown, name)
    raise GraphError('Failed to add user %s to group %s - Failed to add %s (%s).' % (shown, name, shown, error))


def _add_to_group_step(state, tenant, ref, user):
    """New-CIPPUserTask's AddToGroups item. A failure for a distribution list, a mail-enabled security group or an
    untyped group (`addedFields.groupType` missing) becomes a retry task 15 minutes later (Exchange replication delay,
    CONTRACT 0.1 C12); any other failure is reported as it is."""
    upn = user['userPrincipalName']
    caller_type = (ref.get('addedFields') or {}).get('groupType') if isinstance(ref.get('addedFields'), dict) else None
    try:
        return add_group_member(state, tenant, label_value(ref), upn, caller_type)
    except GraphError as exc:
        if not caller_type or str(caller_type).lower() in EXO_GROUP_TYPES:
            from . import handlers_scheduler  # pylint: disable=import-outside-toplevel
            handlers_scheduler.add_scheduled_task(state, {
                'TenantFilter': tenant.default_domain, 'Name': 'Retry Add Group Member: %s -> %s' % (upn, text(ref.get('label'))),
                'Command': {'value': 'Add-CIPPGroupMember'},
                'Parameters': {'GroupType': caller_type, 'GroupId': label_value(ref), 'Member': [upn],
                               'TenantFilter': tenant.default_domain, 'APIName': 'Add Group Member (Retry)'},
                'ScheduledTime': int(state.now()) + 900, 'PostExecution': {'Webhook': False, 'Email': False, 'PSA': False}},
                hidden=False, disallow_duplicate_name=True)
            return ('Could not add %s to %s yet (Exchange replication delay). A retry has been scheduled in 15 minutes.'
                    % (upn, text(ref.get('label'))))
        return 'Failed to add to group %s: %s' % (text(ref.get('label')), exc)


def run_add_group_member(state, tenant_filter, params):
    """The scheduler's Add-CIPPGroupMember (the retry New-CIPPUserTask schedules)."""
    from .handlers_exchange import CippError  # pylint: disable=import-outside-toplevel
    tenant = state.resolve_tenant(params.get('TenantFilter') or tenant_filter)
    members = params.get('Member') or []
    if tenant is None:
        return ''
    try:
        return ' '.join(add_group_member(state, tenant, params.get('GroupId'), member, params.get('GroupType'))
                        for member in (members if isinstance(members, list) else [members]))
    except GraphError as exc:
        raise CippError(str(exc)) from None


def _add_aliases(tenant, user, body):
    """AddedAliases (whitespace separated): each becomes a secondary SMTP address (Graph keeps old `mail` values)."""
    aliases = [alias for alias in re.split(r'\s+', text(body.get('AddedAliases'))) if alias]
    if not aliases:
        return []
    for alias in aliases:
        if '@' not in alias or not verified_domain(tenant, alias.split('@')[-1]):
            return ['Failed to add aliases to user %s. Error: %s' % (text(body.get('displayName')), UPN_DOMAIN.replace('userPrincipalName', 'mail'))]
    for alias in aliases:
        if not any(p.lower() == 'smtp:%s' % alias.lower() for p in user['proxyAddresses']):
            user['proxyAddresses'].append('smtp:%s' % alias)
    return ['Success. Added aliases to user.']


def add_user_core(state, tenant, body):
    """AddUser without the scheduling branch: (status, response body). Also what a scheduled New-CIPPUserTask runs."""
    try:
        user, password = _create_user(state, tenant, body)
    except GraphError as exc:
        return 500, {'Results': ['Failed to create user. Error:%s' % exc]}
    upn = user['userPrincipalName']
    lines, copied = _add_user_steps(state, tenant, body, user)
    copied = copied or {}
    response = {'Results': ['Created New User.', {'resultText': 'Username: %s' % upn, 'copyField': upn, 'state': 'success'},
                            {'resultText': 'Password: %s' % password, 'copyField': password, 'state': 'success'}] + lines,
                'CopyFrom': {'Success': copied.get('Success'), 'Error': copied.get('Error'), 'Skipped': copied.get('Skipped')},
                'User': graph_user(tenant, user)}  # the POST /users answer: the new user object
    return 200, response


def add_user_unmanaged(body):
    """AddUser for a tenant CIPP does not manage: New-GraphPOSTRequest only Write-Errors on that deny path, so
    New-CIPPUser reports `Created New User.` with the UPN and password it made up, and nothing exists (CONTRACT 0.1
    C9). The licence step adds Set-CIPPUserLicense's empty answer (null); each group step an empty text."""
    upn = '%s@%s' % (text(body.get('username')), text(body.get('Domain') or _primary_domain(body)))
    password = text(body.get('password')) or generated_password()
    lines = [None] if _sku_values(body.get('licenses')) else []
    lines += ['' for _ref in body.get('AddToGroups') or []]
    return {'Results': ['Created New User.', {'resultText': 'Username: %s' % upn, 'copyField': upn, 'state': 'success'},
                        {'resultText': 'Password: %s' % password, 'copyField': password, 'state': 'success'}] + lines,
            'CopyFrom': {'Success': None, 'Error': None, 'Skipped': None}, 'User': None}


@endpoint('AddUser', 'Identity.User.ReadWrite', write=True)
def add_user(req):
    body = body_dict(req)
    if not body.get('tenantFilter'):  # `!$UserObj.tenantFilter`: a string of spaces passes (and is an unknown tenant)
        return Response.json({'Results': {'resultText': 'tenantFilter is required to create a user.', 'state': 'error'}}, 400)
    with req.state.lock:
        scheduled = body.get('Scheduled')
        if isinstance(scheduled, dict) and ps_bool(scheduled.get('Enabled')):
            name = 'New user creation: %s@%s' % (text(body.get('username')), text(_primary_domain(body)))
            _schedule(req.state, body, name, 'New-CIPPUserTask')
            return results(['Successfully created scheduled task to create user %s' % text(body.get('displayName'))])
        tenant = req.state.resolve_tenant(label_value(body.get('tenantFilter')))
        if tenant is None:
            return Response.json(add_user_unmanaged(body))
        status, response = add_user_core(req.state, tenant, body)
        return Response.json(response, status)


@endpoint('AddUserBulk', 'Identity.User.ReadWrite', write=True)
def add_user_bulk(req):
    bulk = req.b('BulkUser')
    if not bulk:
        return Response.json({'Results': {'resultText': 'No users specified to import', 'state': 'error'}})
    with req.state.lock:
        tenant = req.state.resolve_tenant(label_value(req.b('tenantFilter')))
        skus = [label_value(item) for item in req.b('licenses') or [] if re.match(r'^[0-9a-fA-F-]{36}$', text(label_value(item)))]
        usage = label_value(req.b('usageLocation'))
        lines = [_bulk_one(req.state, tenant, item if isinstance(item, dict) else CIDict(), skus, usage, req.b('tenantFilter'))
                 for item in bulk]
    return Response.json({'Results': lines})


def _bulk_one(state, tenant, item, skus, usage, tenant_filter):
    name = item.get('displayName') or ' '.join(text(p) for p in (item.get('givenName'), item.get('surname')) if p)
    missing = [field for field, value in (('mailNickName', item.get('mailNickName')), ('domain', item.get('domain')),
                                          ('displayName', name)) if is_blank(value)]
    if missing:
        return {'resultText': 'Required fields missing for %s: %s' % (name or text(item.get('mailNickName')), ', '.join(missing)), 'state': 'error'}
    upn = '%s@%s' % (item.get('mailNickName'), item.get('domain'))
    body = CIDict(dict(item, username=item.get('mailNickName'), Domain=item.get('domain'), displayName=name, usageLocation=usage,
                       password=item.get('password') or generated_password(), MustChangePass=True))
    try:
        if tenant is None:
            raise GraphError(not_managed(tenant_filter))
        user, password = _create_user(state, tenant, body)
    except GraphError as exc:
        return {'resultText': 'Failed to create user %s. Error: %s' % (upn, exc), 'state': 'error'}
    if skus:
        assign_licences(state, tenant, user, skus, [], upn)  # reported only in CIPP's log, not in Results
    return {'resultText': 'Created user for %s with username %s' % (name, upn), 'state': 'success', 'copyField': password, 'username': upn}


# ------------------------------------------------------------------------------------------------ EditUser

def _edit_profile(tenant, user, body):
    """The profile PATCH of Set-CIPPUser; returns an error text or None (and applies nothing on error)."""
    username = text(body.get('username')).strip()
    domain = text(body.get('Domain') or label_value(body.get('primDomain'))).strip()
    upn = '%s@%s' % (username, domain)  # rebuilt on every call (CONTRACT 5.3, quirk 5)
    if not username or not domain:
        return UPN_INVALID
    if not verified_domain(tenant, domain):
        return UPN_DOMAIN
    other = tenant.find_user(upn)
    if other is not None and other['id'] != user['id']:
        return UPN_EXISTS
    changes = _profile_changes(body, username)
    if user.get('onPremisesSyncEnabled') and (upn.lower() != user['userPrincipalName'].lower() or
                                              any(user.get(k) != v for k, v in changes.items() if k != 'usageLocation')):
        return SYNCED_READONLY
    if upn != user['userPrincipalName']:
        _rename(user, upn)
    user.update(changes)
    user['_forceChangePassword'] = ps_bool(body.get('MustChangePass'))  # sent on every edit (quirk 5)
    return None


def _profile_changes(body, username):
    changes = dict((key, body.get(key)) for key in PROFILE if not is_blank(body.get(key)))
    if not is_blank(body.get('businessPhones')) and body.get('businessPhones') != []:
        changes['businessPhones'] = _list_value(body.get('businessPhones'))
    if _list_value(body.get('otherMails'), split_commas=True):
        changes['otherMails'] = _list_value(body.get('otherMails'), split_commas=True)
    if label_value(body.get('usageLocation')):
        changes['usageLocation'] = label_value(body.get('usageLocation'))
    changes['mailNickname'] = username or text(body.get('mailNickname'))
    for name, wrapped in (body.get('defaultAttributes') or {}).items():
        if not is_blank(label_value(wrapped)):
            changes[name] = label_value(wrapped)
    for key in body.get('clearProperties') or []:
        match = next((c for c in CLEARABLE if c.lower() == str(key).lower()), None)
        if match:
            changes[match] = [] if match in ('businessPhones', 'otherMails') else None
    return changes


def _rename(user, upn):
    """A UPN change: Graph moves the primary SMTP address along and keeps the old one as an alias."""
    old = user['userPrincipalName']
    user['userPrincipalName'] = upn
    user['mail'] = upn
    aliases = [p for p in user.get('proxyAddresses') or [] if p.split(':', 1)[-1].lower() not in (upn.lower(), old.lower())]
    user['proxyAddresses'] = ['SMTP:%s' % upn, 'smtp:%s' % old] + ['smtp:%s' % p.split(':', 1)[-1] for p in aliases]
    for identity in user.get('identities') or []:
        if identity.get('signInType') == 'userPrincipalName':
            identity['issuerAssignedId'] = upn


def _edit_licences(state, tenant, user, body, upn):
    """Set-CIPPUser's licence block, with its "already correct" rule (CONTRACT 5.3)."""
    skus = _sku_values(body.get('licenses'))
    remove_all = body.get('removeLicenses')
    if not skus and not ps_bool(remove_all):
        return []
    current = [lic['skuId'] for lic in user['assignedLicenses']]
    # `-eq $false`: JSON false, or a string PowerShell compares equal to "False".
    explicitly_false = remove_all is False or (isinstance(remove_all, str) and remove_all.strip().lower() == 'false')
    if ','.join(current) == ','.join(skus) and explicitly_false:
        return ['Success. User license is already correct.']
    if ps_bool(remove_all):
        return [assign_licences(state, tenant, user, [], current, upn)]
    return [assign_licences(state, tenant, user, skus, [sku for sku in current if sku not in skus], upn)]


def _edit_groups(tenant, user, body):
    shown = text(body.get('displayName'))
    lines = []
    for verb, refs in (('add', body.get('AddToGroups') or []), ('remove', body.get('RemoveFromGroups') or [])):
        for ref in refs:
            group = find_group(tenant, ref)
            name = text(ref.get('label')) if isinstance(ref, dict) else text(ref)
            if group is None:
                error = GRAPH_NOT_FOUND % label_value(ref)
            else:
                error = add_member(tenant, group, user) if verb == 'add' else remove_member(group, user, tenant)
            if verb == 'add':
                lines.append('Success. %s has been added to %s' % (shown, name) if error is None else
                             'Failed to add member %s to %s. Error: %s' % (shown, name, error))
            else:
                lines.append('Success. %s has been removed from %s' % (shown, name) if error is None else
                             'Failed to remove member %s from %s. Error: %s' % (shown, name, error))
    return lines


def edit_user_core(state, tenant, body):
    """Set-CIPPUser: the result lines, in CIPP's order (the call answers 200 whatever they say)."""
    user_ref = text(body.get('id')).strip()
    user = url_user(tenant, user_ref)  # PATCH users/$($UserObj.id): a `#` cuts the URL (C5)
    if user is None and '#' in user_ref:
        user_ref = unencoded_path_segment(user_ref)
    upn = '%s@%s' % (text(body.get('username')), text(body.get('Domain') or label_value(body.get('primDomain'))))
    if user is None:
        return _edit_missing_user(body, user_ref)
    consistency.note_write(state, tenant, user['id'], user)
    error = _edit_profile(tenant, user, body)
    lines = ['Failed to edit user. %s' % error if error else 'Success. The user has been edited.']
    if error is None and not is_blank(body.get('password')):
        if password_ok(body.get('password')):
            user['_password'] = str(body.get('password'))
            lines.append('Success. The password has been set to %s' % body.get('password'))
        else:
            lines.append('Failed to edit user. %s' % WEAK_PASSWORD)
    lines.extend(_edit_licences(state, tenant, user, body, upn))
    lines.extend(_add_aliases(tenant, user, body))
    if isinstance(body.get('CopyFrom'), dict) and label_value(body.get('CopyFrom')):
        lines.extend(copy_groups(tenant, label_value(body.get('CopyFrom')), user)[0])
    lines.extend(_edit_groups(tenant, user, body))
    if isinstance(body.get('setManager'), dict) and label_value(body.get('setManager')):
        lines.append(set_manager(tenant, user, label_value(body.get('setManager')), upn))
    return lines


def _edit_missing_user(body, user_ref):
    """Every Graph call on an unknown id fails with Graph's 404 text; each step reports it its own way."""
    missing = GRAPH_NOT_FOUND % user_ref
    lines = ['Failed to edit user. %s' % missing]
    if _sku_values(body.get('licenses')) or ps_bool(body.get('removeLicenses')):
        lines.append("We've failed to assign the license. %s" % missing)
    shown = text(body.get('displayName'))
    for ref in body.get('AddToGroups') or []:
        lines.append('Failed to add member %s to %s. Error: %s' % (shown, text(ref.get('label') if isinstance(ref, dict) else ref), missing))
    for ref in body.get('RemoveFromGroups') or []:
        lines.append('Failed to remove member %s from %s. Error: %s' % (shown, text(ref.get('label') if isinstance(ref, dict) else ref), missing))
    return lines


@endpoint('EditUser', 'Identity.User.ReadWrite', write=True)
def edit_user(req):
    body = body_dict(req)
    if is_blank(body.get('id')):
        return results(['Failed to edit user. No user ID provided'], 400)
    with req.state.lock:
        scheduled = body.get('Scheduled')
        if isinstance(scheduled, dict) and ps_bool(scheduled.get('Enabled')):
            _schedule(req.state, body, 'Edit user: %s' % text(body.get('displayName')), 'Set-CIPPUser')
            return results(['Successfully created scheduled task to edit user %s' % text(body.get('displayName'))])
        tenant = req.state.resolve_tenant(label_value(body.get('tenantFilter')))
        if tenant is None:
            # Set-CIPPUser's PATCH goes nowhere and nothing throws (C9): CIPP reports the edit as done.
            lines = ['Success. The user has been edited.']
            if not is_blank(body.get('password')):
                lines.append('Success. The password has been set to %s' % body.get('password'))
            return results(lines)
        return results(edit_user_core(req.state, tenant, body))


def run_scheduled_command(state, name, tenant_filter, params):
    """The scheduler's hook for New-CIPPUserTask / Set-CIPPUser tasks: run the stored UserObj, return the result lines.

    A failed user creation makes New-CIPPUserTask throw, so the task ends Failed."""
    from .handlers_exchange import CippError  # pylint: disable=import-outside-toplevel
    body = ci(params.get('UserObj') or params.get('userobj') or {})
    tenant = state.resolve_tenant(label_value(body.get('tenantFilter')) or tenant_filter)
    if tenant is None:
        raise CippError(not_managed(tenant_filter))
    if name == 'New-CIPPUserTask':
        status, response = add_user_core(state, tenant, body)
        if status != 200:
            raise CippError(response['Results'][0])
        return list(response['Results'])
    return edit_user_core(state, tenant, body)


# ------------------------------------------------------------------------------------------------ other user writes

@endpoint('ExecDisableUser', 'Identity.User.ReadWrite', write=True)
def exec_disable_user(req):
    ident = req.qb('ID')
    enable = convert_to_bool(req.qb('Enable'))  # missing means false: disable (quirk 9); outside the try, so a bad value is a 500 text
    with req.state.lock:
        tenant = req.state.resolve_tenant(label_value(req.qb('tenantFilter')))
        if tenant is None:  # Set-CIPPSignInState's GET and PATCH go nowhere and nothing throws (C9)
            return results('Successfully set account enabled state to %s for %s' % (ps_bool_text(enable), text(ident)))
        user = url_user(tenant, ident)  # users/$UserID, unencoded (C5)
        if user is None:
            return results('Failed to set sign-in state for %s. Error: %s' % (text(ident), GRAPH_NOT_FOUND % text(unencoded_path_segment(ident))), 500)
        user['accountEnabled'] = enable  # the PATCH goes through even for synced users; the warning comes after it
        if user.get('onPremisesSyncEnabled'):
            return results('Failed to set sign-in state for %s. Error: WARNING: User %s is AD Sync enabled. Please enable/disable in the '
                           'local AD.' % (text(ident), text(ident)), 500)
        return results('Successfully set account enabled state to %s for %s' % (ps_bool_text(enable), text(ident)))


@endpoint('RemoveUser', 'Identity.User.ReadWrite', write=True)
def remove_user(req):
    ident, upn = req.qb('ID'), req.qb('userPrincipalName')
    if is_blank(ident):
        return Response.empty()  # the handler calls `exit` (CONTRACT 5.18)
    suffix = " and Username: '%s'" % upn if upn else ''
    with req.state.lock:
        tenant = req.state.resolve_tenant(label_value(req.qb('tenantFilter')))
        if tenant is None:  # the DELETE goes nowhere and nothing throws (C9)
            return results("Successfully deleted user with ID: '%s'%s" % (ident, suffix))
        user = url_user(tenant, ident)  # users/$UserID, unencoded (C5)
        if user is None:
            reason = GRAPH_NOT_FOUND % unencoded_path_segment(ident)
            return results("Failed to delete user with ID: '%s'. Error: %s%s" % (ident, reason, suffix), 500)
        soft_delete(req.state, tenant, user)
        return results("Successfully deleted user with ID: '%s'%s" % (ident, suffix))


def soft_delete(state, tenant, user):
    """Graph DELETE /users/{id}: into deleted items for 30 days, out of every group, no longer anyone's manager."""
    del tenant.users[user['id']]
    for group in tenant.groups.values():
        for key in ('_members', '_owners'):
            if user['id'] in group[key]:
                group[key].remove(user['id'])
    for other in tenant.users.values():
        if other.get('_managerId') == user['id']:
            other['_managerId'] = None
    user['deletedDateTime'] = iso(state.now())
    user['_originalUpn'] = user['userPrincipalName']
    user['userPrincipalName'] = user['id'].replace('-', '') + user['userPrincipalName']
    tenant.deleted[user['id']] = user


def _deleted_item_suffix(req):
    parts = []
    if req.b('userPrincipalName'):
        parts.append(" User Principal Name: '%s'" % req.b('userPrincipalName'))
    if req.b('displayName'):
        parts.append(" Display Name: '%s'" % req.b('displayName'))
    return ''.join(parts)


@endpoint('ExecRemoveAdminRole', 'Identity.Role.ReadWrite', write=True)
def exec_remove_admin_role(req):
    """Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecRemoveAdminRole.ps1.

    Body only. Per user, Graph DELETE directoryRoles/{RoleId}/members/{id}/$ref (or directoryRoles(roleTemplateId='...')
    with RoleTemplateId); HTTP 500 when any user failed, 400 without the ids."""
    body = req.body if isinstance(req.body, dict) else {}
    tenant_filter = label_value(body.get('tenantFilter'))
    role_id, template_id = label_value(body.get('RoleId')), label_value(body.get('RoleTemplateId'))
    role_name = body.get('RoleName')
    if isinstance(role_name, dict):
        role_name = role_name.get('label') or role_name.get('value')
    users = body.get('Users') or []
    users = users if isinstance(users, list) else [users]
    if is_blank(tenant_filter) or (is_blank(role_id) and is_blank(template_id)) or not users:
        return results(['TenantFilter, RoleId or RoleTemplateId, and Users are required to remove an admin role assignment.'], 400)
    lines, failures = [], 0
    with req.state.lock:
        tenant = req.state.resolve_tenant(tenant_filter)
        for entry in users:
            if isinstance(entry, dict):
                user_id = entry.get('value') or entry.get('id') or entry.get('UserId')
                fields = entry.get('addedFields') if isinstance(entry.get('addedFields'), dict) else {}
                name = (fields.get('userPrincipalName') or fields.get('displayName') or entry.get('userPrincipalName')
                        or entry.get('displayName') or entry.get('label') or entry.get('UserName') or user_id)
            else:
                user_id = name = entry
            if is_blank(user_id):
                failures += 1
                lines.append('Skipped a %s role removal request because UserId was empty.' % text(role_name))
                continue
            error = None if tenant is None else _remove_role_member(tenant, role_id, template_id, str(user_id))
            if error is None:  # an unknown tenant: the DELETE goes nowhere and nothing throws (C9)
                lines.append('Successfully removed %s from admin role %s.' % (text(name), text(role_name)))
            else:
                failures += 1
                line = 'Failed to remove %s from admin role %s. %s' % (text(name), text(role_name), error)
                if not is_blank(template_id) and re.search('does not exist|Not Found|404', error):
                    line += ' The role may not be activated in this tenant.'
                lines.append(line)
    return results(lines, 500 if failures else 200)


def _remove_role_member(tenant, role_id, template_id, user_id):
    """Graph's DELETE .../members/{id}/$ref: None when done, else Graph's error message."""
    if not is_blank(template_id):
        role = next((r for r in tenant.roles.values() if str(r.get('roleTemplateId')).lower() == str(template_id).lower()), None)
    else:
        role = tenant.roles.get(str(role_id).lower())
    if role is None:
        return GRAPH_NOT_FOUND % (template_id if not is_blank(template_id) else role_id)
    member = next((m for m in role['_members'] if m.lower() == user_id.lower()), None)
    if member is None:
        return "One or more removed object references do not exist for the following modified properties: 'members'."
    role['_members'].remove(member)
    return None


@endpoint('ExecRestoreDeleted', 'Tenant.Directory.ReadWrite', write=True)
def exec_restore_deleted(req):
    ident, extra = text(req.qb('ID')), _deleted_item_suffix(req)
    with req.state.lock:
        tenant = req.state.resolve_tenant(label_value(req.qb('tenantFilter')))
        item = tenant.deleted.get(ident.lower()) if tenant else None
        if item is None:
            reason = GRAPH_NOT_FOUND % ident if tenant else not_managed(req.qb('tenantFilter'))
            return results("Failed to restore deleted item with ID: '%s'%s Error: %s" % (ident, extra, reason), 500)
        original = item.get('_originalUpn') or item['userPrincipalName'][32:]
        if tenant.find_user(original) is not None:
            return results("Failed to restore deleted item with ID: '%s'%s Error: %s" % (ident, extra, UPN_EXISTS), 500)
        del tenant.deleted[item['id']]
        item['deletedDateTime'] = None
        item['userPrincipalName'] = original
        item.pop('_originalUpn', None)
        tenant.users[item['id']] = item
        return results("Successfully restored deleted item with ID: '%s'%s" % (ident, extra))


@endpoint('RemoveDeletedObject', 'Tenant.Directory.ReadWrite', write=True)
def remove_deleted_object(req):
    ident, extra = text(req.qb('ID')), _deleted_item_suffix(req)
    with req.state.lock:
        tenant = req.state.resolve_tenant(label_value(req.qb('tenantFilter')))
        item = tenant.deleted.pop(ident.lower(), None) if tenant else None
        if item is None:
            reason = GRAPH_NOT_FOUND % ident if tenant else not_managed(req.qb('tenantFilter'))
            return results("Failed to permanently delete item with ID: '%s'%s Error: %s" % (ident, extra, reason), 500)
        return results("Successfully permanently deleted item with ID: '%s'%s" % (ident, extra))


# ------------------------------------------------------------------------------------------------ EditGroup

def _resolve_member(tenant, member):
    """AddMember items are {value: objectId} or bare UPN strings (resolved with GET users/{upn})."""
    return tenant.find_user(label_value(member))


def _member_name(member, user):
    if user is not None:
        return user['userPrincipalName']
    if isinstance(member, dict):
        return text((member.get('addedFields') or {}).get('userPrincipalName') or member.get('label') or member.get('value'))
    return text(member)


def _edit_group_members(tenant, group, body, name):
    lines = []
    for member in body.get('AddMember') or []:
        user = _resolve_member(tenant, member)
        error = GRAPH_NOT_FOUND % text(label_value(member)) if user is None else add_member(tenant, group, user)
        lines.append('Error - %s' % error if error else 'Success - Added member %s to %s group' % (user['userPrincipalName'], name))
    for member in body.get('RemoveMember') or []:
        user = tenant.users.get(text(label_value(member)).lower()) if not exo_group(group) else _resolve_member(tenant, member)
        error = GRAPH_NOT_FOUND % text(label_value(member)) if user is None else remove_member(group, user, tenant)
        lines.append('Error - %s' % error if error else 'Success - Removed member %s from %s group' % (_member_name(member, user), name))
    return lines


def _edit_group_owners(tenant, group, body, name):
    lines = []
    for owner in body.get('AddOwner') or []:
        user = _resolve_member(tenant, owner)
        if user is None:
            lines.append('Error - %s' % GRAPH_NOT_FOUND % text(label_value(owner)))
        elif user['id'] in group['_owners']:
            lines.append("Error - One or more added object references already exist for the following modified properties: 'owners'.")
        else:
            group['_owners'].append(user['id'])
            lines.append('Success - Added owner %s to %s group' % (user['userPrincipalName'], name))
    for owner in body.get('RemoveOwner') or []:
        user = _resolve_member(tenant, owner)
        if user is None or user['id'] not in group['_owners']:
            lines.append('Error - %s' % GRAPH_NOT_FOUND % text(label_value(owner)))
        elif len(group['_owners']) == 1:
            lines.append('Error - The group must have at least one owner.')
        else:
            group['_owners'].remove(user['id'])
            lines.append('Success - Removed owner %s from %s group' % (user['userPrincipalName'], name))
    return lines


def _edit_group_properties(group, body, name):
    changes = dict((key, body.get(key)) for key in ('displayName', 'description', 'mailNickname') if not is_blank(body.get(key)))
    changes = dict((key, value) for key, value in changes.items() if group.get(key) != value)
    if not is_blank(body.get('membershipRules')):
        changes['membershipRule'] = body.get('membershipRules')
    if not changes:
        return []
    if exo_group(group):
        return ['Error - %s' % MAIL_GROUP_VIA_GRAPH]
    group.update(changes)
    return ['Success - Edited group properties for %s group' % name]


@endpoint('EditGroup', 'Identity.Group.ReadWrite', write=True)
def edit_group(req):
    body = body_dict(req)
    group_ref = label_value(body.get('groupId'))
    with req.state.lock:
        tenant = req.state.resolve_tenant(label_value(body.get('tenantFilter') or body.get('tenantId')))
        if tenant is None:
            return Response.text(not_managed(body.get('tenantFilter') or body.get('tenantId')), 500)
        group = tenant.groups.get(text(group_ref).lower())
        if group is None:
            return Response.text(GRAPH_NOT_FOUND % text(group_ref), 500)  # the lookup is outside any try (CONTRACT 6.1)
        label = body.get('groupId').get('label') if isinstance(body.get('groupId'), dict) else None
        name = text(body.get('groupName') or label) or group['displayName']
        lines = _edit_group_properties(group, body, name)
        lines.extend(_edit_group_members(tenant, group, body, name))
        lines.extend(_edit_group_owners(tenant, group, body, name))
        return results(lines)


# ------------------------------------------------------------------------------------------------ ExecBulkLicense

def _ps_group_name(value):
    """Group-Object -Property tenantFilter: the group's Name is the value as a string."""
    if isinstance(value, dict):
        return '@{%s}' % '; '.join('%s=%s' % (k, text(v)) for k, v in value.items())
    return text(value)


def _values(items):
    """`$x | ForEach-Object { $_.value }`: one entry per item, null for an item without .value (a bare string)."""
    if items is None:
        return []
    return [item.get('value') if isinstance(item, dict) else None for item in (items if isinstance(items, list) else [items])]


def _first_user_id(item):
    ids = item.get('userIds')
    ids = ids if isinstance(ids, list) else [ids]
    ids = [text(i) for i in ids if not is_blank(i)]
    return ids[0] if ids else None


class _BulkLicenceFailure(Exception):
    """A throw that ends Invoke-ExecBulkLicense in its outer catch (HTTP 400)."""


def _bulk_licence_tenant(state, tenant_filter, requests, scope):
    """One tenant group of Invoke-ExecBulkLicense; `scope` keeps $AddLicenses/$RemoveLicenses across items as
    PowerShell's function scope does (an item with an unknown LicenseOperation reuses the previous item's lists)."""
    lines = []
    tenant = state.resolve_tenant(tenant_filter)
    user_ids = []
    for item in requests:
        ids = item.get('userIds')
        for value in ids if isinstance(ids, list) else [ids]:
            if not is_blank(value) and text(value) not in user_ids:
                user_ids.append(text(value))
    lookup = {}
    if tenant is not None:  # the deny path of New-GraphBulkRequest only Write-Errors: no users come back (C9)
        for start in range(0, len(user_ids), 15):
            chunk = user_ids[start:start + 15]
            bad = next((i for i in chunk if not GUID_TEXT.match(i)), None)
            if bad is not None:  # `id eq 'x'` with a value that is not an object id
                raise _BulkLicenceFailure('Failed to fetch users for chunk UserLookup%d: Invalid object identifier \'%s\'.' % (start, bad))
            for user_id in chunk:
                user = tenant.users.get(user_id.lower())
                if user is not None:
                    lookup[user_id.lower()] = user
    pending = []
    for item in requests:
        user_id = _first_user_id(item)
        if user_id is None:
            lines.append('No valid user ID found in request for tenant %s' % tenant_filter)
            continue
        user = lookup.get(user_id.lower())
        if user is None:
            lines.append('User %s not found in tenant %s' % (user_id, tenant_filter))
            continue
        held = [lic['skuId'] for lic in user['assignedLicenses']]
        operation = text(item.get('LicenseOperation')).lower()
        replace_all = ps_bool(item.get('ReplaceAllLicenses'))
        if operation == 'add':
            scope['add'], scope['remove'] = _values(item.get('Licenses')), []
        elif operation == 'remove':
            scope['add'] = []
            scope['remove'] = held if ps_bool(item.get('RemoveAllLicenses')) else [
                sku for sku in _values(item.get('LicensesToRemove')) if sku in held]
        elif operation == 'replace':
            # Only what the user holds is removed (Invoke-ExecBulkLicense.ps1, the Replace branch).
            scope['add'] = _values(item.get('Licenses'))
            scope['remove'] = held if replace_all else [sku for sku in _values(item.get('LicensesToReplace')) if sku in held]
        if scope['add'] or scope['remove']:
            pending.append({'id': user['id'], 'user': user, 'add': [s for s in scope['add'] if not is_blank(s)],
                            'remove': [s for s in scope['remove'] if not is_blank(s)],
                            'replace_all': operation == 'replace' and replace_all})
        else:
            lines.append('No license changes needed for user %s' % user['userPrincipalName'])
    if pending:
        try:
            lines.extend(_set_user_licences_bulk(state, tenant, pending))
        except GraphError as exc:
            lines.append('Failed to process bulk license operation for tenant %s. Error: %s' % (tenant_filter, exc))
    return lines


def _set_user_licences_bulk(state, tenant, pending):
    """Set-CIPPUserLicense -LicenseRequests: every request is one sub-request of ONE Graph $batch, its id the user id.
    Two requests for the same user repeat an id, and Graph refuses the whole batch (nothing is changed)."""
    seen = set()
    for request in pending:
        if request['id'].lower() in seen:
            raise GraphError('Request Id %s has to be unique in a batch.' % request['id'])
        seen.add(request['id'].lower())
    lines, located = [], []
    for request in pending:
        user = request['user']
        failure, retried = licence_change(state, tenant, user, request['add'], request['remove'])
        if failure:
            lines.append('Failed to assign licenses for user %s: %s' % (user['userPrincipalName'], failure))
        elif retried:
            located.append(LICENCE_OK_AFTER_LOCATION % user['userPrincipalName'])  # reported after the first batch's results
        else:
            lines.append(LICENCE_OK % user['userPrincipalName'])
    return lines + located


@endpoint('ExecBulkLicense', 'Identity.User.ReadWrite', write=True)
def exec_bulk_license(req):
    """Invoke-ExecBulkLicense (CONTRACT 0.1 C1): the body is an array of per-user requests, grouped by tenantFilter;
    each tenant's changes go to Graph as one $batch keyed by user id. A swap is one item with LicenseOperation Replace."""
    items = req.body if isinstance(req.body, list) else [req.body] if isinstance(req.body, dict) else []
    items = [item for item in items if isinstance(item, dict)]
    groups = {}
    for item in items:
        groups.setdefault(_ps_group_name(item.get('tenantFilter')), []).append(item)
    lines, scope = [], {'add': [], 'remove': []}
    with req.state.lock:
        try:
            for tenant_filter, requests in groups.items():
                lines.extend(_bulk_licence_tenant(req.state, tenant_filter, requests, scope))
        except _BulkLicenceFailure as exc:
            return results(['Failed to process bulk license operation: %s' % exc], 400)
    return results(lines)
