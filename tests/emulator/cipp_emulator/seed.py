"""Deterministic seed data: `default` (four realistic tenants) and `large:T:U` (T tenants of U users, for scale).

Ids are uuid5 of stable names, random choices come from random.Random with a fixed seed, so every reset gives the
same estate. Exchange and security data (mailboxes, rules, MFA, the compromised user) are added by seed_exchange.
"""

import random
import uuid
from datetime import datetime, timedelta, timezone

from .state import State, TenantState

NAMESPACE = uuid.UUID('6b1d4c2e-9a55-4d3c-8f1e-3c1a2b0e7d10')
BASE_TIME = datetime(2026, 11, 1, 9, 0, 0, tzinfo=timezone.utc)

FIRST = ['Anna', 'Ben', 'Chloe', 'Daan', 'Emma', 'Finn', 'Grace', 'Hugo', 'Isla', 'Jack', 'Kim', 'Liam', 'Mia', 'Noah', 'Olivia',
         'Piet', 'Quinn', 'Ruby', 'Sam', 'Tess', 'Umar', 'Vera', 'Wout', 'Xena', 'Yara', 'Zoe', 'Aisha', 'Bram', 'Carmen',
         'Dmitri', 'Elif', 'Fatima', 'Goran', 'Hana', 'Ivan', 'Jade', "Liam O'Brien"]
LAST = ['Jansen', 'Smith', 'de Vries', 'Brown', 'Bakker', 'Wilson', 'Visser', 'Taylor', 'Smit', 'Evans', 'Meijer', 'Walker',
        'Mulder', 'Hughes', 'Bos', 'Clarke', 'Peters', 'Hall', 'Hendriks', 'Young', 'Dekker', 'King', 'Dijkstra', 'Wright']
TITLES = ['Accountant', 'Sales Manager', 'Engineer', 'Consultant', 'Office Manager', 'Support Specialist', 'Designer',
          'Project Manager', 'HR Advisor', 'Marketing Lead', None]
DEPARTMENTS = ['Finance', 'Sales', 'Engineering', 'Consulting', 'Operations', 'Support', 'Marketing', 'HR', None]
CITIES = [('Amsterdam', 'Netherlands', 'NL', '1011 AB'), ('London', 'United Kingdom', 'GB', 'EC1A 1BB'),
          ('Seattle', 'United States', 'US', '98101'), ('Berlin', 'Germany', 'DE', '10115'), ('Antwerp', 'Belgium', 'BE', '2000')]

SKUS = [
    ('cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46', 'SPB', 'Microsoft 365 Business Premium'),
    ('f245ecc8-75af-4f8e-b61f-27d8114de5f3', 'O365_BUSINESS_PREMIUM', 'Microsoft 365 Business Standard'),
    ('3b555118-da6a-4418-894f-7df1e2096870', 'O365_BUSINESS_ESSENTIALS', 'Microsoft 365 Business Basic'),
    ('4b9405b0-7788-4568-add1-99614e613b69', 'EXCHANGESTANDARD', 'Exchange Online (Plan 1)'),
]

DEFAULT_TENANTS = [
    # display name, default domain, initial domain prefix, extra verified domains, relationship, user count
    ('Contoso Ltd', 'contoso.com', 'contoso', ['contoso.co.uk'], 'granularDelegatedAdminPrivileges', 36),
    ('Fabrikam BV', 'fabrikam.onmicrosoft.com', 'fabrikam', [], 'granularDelegatedAdminPrivileges', 28),
    ('Northwind Traders', 'northwindtraders.nl', 'northwind', [], 'directTenant', 30),
    ('Tailspin Toys', 'tailspintoys.onmicrosoft.com', 'tailspin', [], 'granularDelegatedAdminPrivileges', 25),
]


def uid(*parts):
    return str(uuid.uuid5(NAMESPACE, ':'.join(str(part) for part in parts)))


def iso(moment):
    return moment.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def tenant_row(display_name, default_domain, initial_domain, relationship, rng, customer_id=None):
    customer_id = customer_id or uid('tenant', initial_domain)
    refreshed = BASE_TIME - timedelta(hours=rng.randint(1, 48))
    return {
        'PartitionKey': 'Tenants', 'RowKey': customer_id, 'customerId': customer_id, 'displayName': display_name,
        'defaultDomainName': default_domain, 'initialDomainName': initial_domain,
        'delegatedPrivilegeStatus': relationship,
        'relationshipEnd': iso(BASE_TIME + timedelta(days=rng.randint(60, 700))),
        'relationshipCount': 1 if relationship != 'directTenant' else 0, 'hasAutoExtend': relationship != 'directTenant',
        'domains': '', 'Excluded': False, 'ExcludeUser': '', 'ExcludeDate': '', 'GraphErrorCount': 0, 'LastGraphError': '',
        'RequiresRefresh': False, 'LastRefresh': iso(refreshed), 'Timestamp': iso(refreshed + timedelta(minutes=5)),
        'ETag': 'W/"datetime\'%s\'"' % iso(refreshed).replace(':', '%3A'),
        'SharepointAdminUrl': 'https://%s-admin.sharepoint.com' % initial_domain.split('.')[0],
        'ComplianceUrl': 'https://compliance.microsoft.com/?tid=%s' % customer_id,
    }


def domain_rows(default_domain, initial_domain, extra):
    rows = [{'id': initial_domain, 'isDefault': default_domain == initial_domain, 'isInitial': True, 'isVerified': True,
             'authenticationType': 'Managed', 'supportedServices': ['Email', 'OfficeCommunicationsOnline']}]
    for name in ([default_domain] if default_domain != initial_domain else []) + list(extra):
        rows.append({'id': name, 'isDefault': name == default_domain, 'isInitial': False, 'isVerified': True,
                     'authenticationType': 'Managed', 'supportedServices': ['Email']})
    return rows


def new_user(tenant, upn, display_name, given=None, surname=None, created=None, **fields):
    """A Graph user with every key CIPP's ListUsers returns (shapes/ListUsers.json)."""
    user_id = fields.pop('id', None) or uid('user', tenant.customer_id, upn.lower())
    created = created or BASE_TIME - timedelta(days=400)
    nickname = upn.split('@')[0].replace('#ext#', '')
    user = {
        'id': user_id, 'accountEnabled': True, 'ageGroup': None, 'agentIdentityBlueprintId': None,
        'assignedLicenses': [], 'assignedPlans': [], 'authorizationInfo': {'certificateUserIds': []},
        'businessPhones': [], 'city': None, 'cloudRealtimeCommunicationInfo': {'isSipEnabled': True}, 'companyName': None,
        'consentProvidedForMinor': None, 'country': None, 'createdDateTime': iso(created), 'creationType': None,
        'deletedDateTime': None, 'department': None, 'deviceKeys': [], 'displayName': display_name, 'employeeHireDate': None,
        'employeeId': None, 'employeeLeaveDateTime': None, 'employeeOrgData': None, 'employeeType': None,
        'externalUserConvertedOn': None, 'externalUserState': None, 'externalUserStateChangeDateTime': None, 'faxNumber': None,
        'givenName': given, 'identities': [{'signInType': 'userPrincipalName', 'issuer': tenant.row['initialDomainName'],
                                            'issuerAssignedId': upn}],
        'identityParentId': None, 'imAddresses': upn, 'infoCatalogs': [], 'isLicenseReconciliationNeeded': False,
        'isManagementRestricted': None, 'isResourceAccount': None, 'jobTitle': None, 'legalAgeGroupClassification': None,
        'mail': upn if '#ext#' not in upn.lower() else None, 'mailNickname': nickname, 'mobilePhone': None, 'officeLocation': None,
        'onPremisesDistinguishedName': None, 'onPremisesDomainName': None,
        'onPremisesExtensionAttributes': dict(('extensionAttribute%d' % n, None) for n in range(1, 16)),
        'onPremisesImmutableId': None, 'onPremisesLastSyncDateTime': None, 'onPremisesObjectIdentifier': None,
        'onPremisesProvisioningErrors': [], 'onPremisesSamAccountName': None, 'onPremisesSecurityIdentifier': None,
        'onPremisesSipInfo': {'isSipEnabled': False, 'sipDeploymentLocation': None, 'sipPrimaryAddress': None},
        'onPremisesSyncEnabled': None, 'onPremisesUserPrincipalName': None, 'otherMails': [], 'passwordPolicies': None,
        'passwordProfile': None, 'postalCode': None, 'preferredDataLocation': None, 'preferredLanguage': 'en-US',
        'provisionedPlans': [], 'proxyAddresses': ['SMTP:%s' % upn] if '#ext#' not in upn.lower() else [],
        'refreshTokensValidFromDateTime': iso(created), 'securityIdentifier': 'S-1-12-1-%d' % int(user_id[:8], 16),
        'serviceProvisioningErrors': [], 'showInAddressList': True, 'signInSessionsValidFromDateTime': iso(created),
        'state': None, 'streetAddress': None, 'surname': surname, 'usageLocation': None, 'userPrincipalName': upn,
        'userType': 'Member',
        '_password': 'Seed-%s!' % user_id[:8], '_forceChangePassword': False, '_managerId': None, '_perUserMfa': 'disabled',
        '_mfaMethods': None, '_sessionsRevokedAt': None, '_isAdmin': False, '_compromised': False, '_taps': [],
    }
    user.update(fields)
    tenant.users[user_id] = user
    return user


def new_group(tenant, name, kind, members=(), owners=(), rule=None, role_assignable=False, synced=False):
    """kind: m365 | security | mailsecurity | distribution."""
    group_id = uid('group', tenant.customer_id, name)
    nickname = ''.join(ch for ch in name.lower() if ch.isalnum())
    mail_enabled = kind in ('m365', 'mailsecurity', 'distribution')
    group = {
        'id': group_id, 'displayName': name, 'description': '%s group' % name, 'mail': '%s@%s' % (nickname, tenant.default_domain)
        if mail_enabled else None, 'mailEnabled': mail_enabled, 'mailNickname': nickname,
        'securityEnabled': kind in ('security', 'mailsecurity', 'm365'),
        'groupTypes': (['Unified'] if kind == 'm365' else []) + (['DynamicMembership'] if rule else []),
        'membershipRule': rule, 'membershipRuleProcessingState': 'On' if rule else None, 'isAssignableToRole': role_assignable,
        'onPremisesSyncEnabled': True if synced else None, 'onPremisesSamAccountName': nickname if synced else None,
        'createdDateTime': iso(BASE_TIME - timedelta(days=300)), 'visibility': 'Private' if kind == 'm365' else None,
        'resourceProvisioningOptions': ['Team'] if kind == 'm365' else [], 'assignedLicenses': [],
        'licenseProcessingState': None, 'organizationId': tenant.customer_id,
        '_kind': kind, '_members': list(members), '_owners': list(owners), '_assignedLicenses': [],
    }
    tenant.groups[group_id] = group
    return group


def add_skus(tenant, rng, seat_plan):
    """seat_plan: list of (sku index, total seats)."""
    for index, total in seat_plan:
        sku_id, part, name = SKUS[index]
        tenant.skus[sku_id] = {'skuId': sku_id, 'skuPartNumber': part, 'displayName': name,
                               'prepaidUnits': {'enabled': total, 'suspended': 0, 'warning': 0},
                               '_term': rng.choice(['Annual', 'Monthly']), '_subscriptionId': uid('sub', tenant.customer_id, part)}


def consumed(tenant, sku_id):
    return sum(1 for user in tenant.users.values() for lic in user['assignedLicenses'] if lic['skuId'] == sku_id)


def assign(tenant, user, sku_id):
    if consumed(tenant, sku_id) < tenant.skus[sku_id]['prepaidUnits']['enabled']:
        user['assignedLicenses'].append({'disabledPlans': [], 'skuId': sku_id})


def build_tenant(state, rng, display_name, default_domain, prefix, extra_domains, relationship, user_count, compact=False):
    initial = '%s.onmicrosoft.com' % prefix
    tenant = TenantState(tenant_row(display_name, default_domain, initial, relationship, rng))
    tenant.domains = domain_rows(default_domain, initial, extra_domains)
    state.add_tenant(tenant)
    # Seats: plenty of SPB, Standard nearly full, Basic full, Exchange Plan 1 with a few left.
    add_skus(tenant, rng, [(0, user_count + 40), (1, 6), (2, 3), (3, 10)])
    sku_ids = [sku[0] for sku in SKUS]

    people = []
    used = set()
    for index in range(user_count):
        first, last = FIRST[(index * 7 + len(prefix)) % len(FIRST)], LAST[(index * 5 + len(prefix)) % len(LAST)]
        nickname = '%s.%s' % (first.split()[0].lower().replace("'", ''), last.lower().replace(' ', ''))
        if nickname in used:
            nickname = '%s%d' % (nickname, index)
        used.add(nickname)
        if "O'Brien" in first:
            nickname = "liam.o'brien"
        city, country, usage, postal = CITIES[index % len(CITIES)]
        user = new_user(tenant, '%s@%s' % (nickname, default_domain), '%s %s' % (first, last), first.split()[0], last,
                        created=BASE_TIME - timedelta(days=30 + index * 11),
                        jobTitle=TITLES[index % len(TITLES)], department=DEPARTMENTS[index % len(DEPARTMENTS)],
                        city=city, country=country, postalCode=postal, usageLocation=None if index % 9 == 8 else usage,
                        companyName=display_name, businessPhones=['+31 20 555 %04d' % index] if index % 3 == 0 else [],
                        mobilePhone='+31 6 5555 %04d' % index if index % 4 == 1 else None, officeLocation='HQ' if index % 5 == 0 else None)
        people.append(user)
        if user['usageLocation'] and index % 6 != 5:
            assign(tenant, user, sku_ids[0] if index % 4 else rng.choice(sku_ids[:2]))
        if index % 11 == 10:
            user['accountEnabled'] = False
        user['_perUserMfa'] = ['disabled', 'enabled', 'enforced'][index % 3] if index % 2 else 'disabled'

    # Fill the Basic SKU to the last seat, so "no free seat" can be met.
    for user in [u for u in people if u['usageLocation']][:tenant.skus[sku_ids[2]]['prepaidUnits']['enabled']]:
        assign(tenant, user, sku_ids[2])

    # Admins, a break-glass account, AD-synced users, guests.
    people[0]['_isAdmin'] = True
    people[0]['jobTitle'] = 'IT Manager'
    breakglass = new_user(tenant, 'breakglass@%s' % initial, 'Break Glass', None, None, _isAdmin=True, usageLocation='NL')
    for user in people[2:4]:
        user['onPremisesSyncEnabled'] = True
        user['onPremisesImmutableId'] = uid('immutable', user['id'])[:22] + '=='
        user['onPremisesDomainName'] = 'corp.%s' % default_domain
        user['onPremisesSamAccountName'] = user['mailNickname'][:20]
        user['onPremisesLastSyncDateTime'] = iso(BASE_TIME - timedelta(minutes=40))
        user['onPremisesUserPrincipalName'] = user['userPrincipalName']
    for number, (first, last, home) in enumerate([('Gita', 'Guest', 'partner.example'), ('Paul', 'Partner', 'supplier.example')]):
        external = '%s.%s_%s' % (first.lower(), last.lower(), home.replace('.', '_'))
        new_user(tenant, '%s#EXT#@%s' % (external, initial), '%s %s' % (first, last), first, last, userType='Guest',
                 externalUserState='Accepted', mail='%s.%s@%s' % (first.lower(), last.lower(), home),
                 otherMails=['%s.%s@%s' % (first.lower(), last.lower(), home)], created=BASE_TIME - timedelta(days=60 + number))
    # Managers: everybody reports to the admin, who reports to nobody.
    for user in people[1:]:
        user['_managerId'] = people[0]['id'] if not compact else None

    members = [user['id'] for user in people]
    new_group(tenant, 'All Staff', 'security', members, [people[0]['id']], rule='user.accountEnabled -eq true')
    new_group(tenant, 'Finance', 'security', [u['id'] for u in people if u['department'] == 'Finance'], [people[0]['id']])
    new_group(tenant, 'Sales', 'm365', [u['id'] for u in people if u['department'] == 'Sales'], [people[0]['id']])
    new_group(tenant, 'Engineering', 'security', [u['id'] for u in people if u['department'] == 'Engineering'], [people[0]['id']])
    new_group(tenant, 'Project Phoenix', 'm365', members[:6], [people[1]['id']])
    new_group(tenant, 'Office Announcements', 'distribution', members[:10], [people[0]['id']])
    new_group(tenant, 'Mail Admins', 'mailsecurity', members[:2], [people[0]['id']])
    new_group(tenant, 'Helpdesk Admins', 'security', [people[0]['id'], breakglass['id']], [people[0]['id']], role_assignable=True)
    new_group(tenant, 'Legacy File Access', 'security', members[2:4], [], synced=True)

    # Devices, sign-ins, deleted users, recent apps.
    for number, user in enumerate(people[:min(len(people), 12)]):
        tenant.devices[user['id']] = [{
            'ID': uid('device', user['id']), 'accountEnabled': True, 'approximateLastSignInDateTime': iso(BASE_TIME - timedelta(hours=number)),
            'createdDateTime': iso(BASE_TIME - timedelta(days=200)), 'deviceOwnership': 'Company', 'displayName': '%s-LT%02d' % (prefix.upper(), number),
            'enrollmentType': 'AzureDomainJoined', 'isCompliant': number % 5 != 4, 'managementType': 'MDM', 'manufacturer': 'Lenovo',
            'model': 'ThinkPad T14', 'operatingSystem': 'Windows', 'onPremisesSyncEnabled': False, 'operatingSystemVersion': '10.0.26100',
            'trustType': 'AzureAd', 'EPMID': uid('intune', user['id'])}]
    for number in range(0 if compact else 40):
        user = people[number % len(people)]
        city, country = ('Amsterdam', 'NL') if number % 7 else ('Lagos', 'NG')
        tenant.signins.append(signin(tenant, user, BASE_TIME + timedelta(days=20) - timedelta(hours=number * 3), city, country,
                                     number % 9 == 8))
    if not compact:
        for name in ('Old Intern', 'Former Contractor'):
            upn = '%s@%s' % (name.lower().replace(' ', '.'), default_domain)
            gone = new_user(tenant, upn, name, name.split()[0], name.split()[1])
            del tenant.users[gone['id']]
            gone['deletedDateTime'] = iso(BASE_TIME - timedelta(days=5))
            gone['userPrincipalName'] = gone['id'].replace('-', '') + upn
            tenant.deleted[gone['id']] = gone
        tenant.apps.append({'displayName': 'Contoso Expenses', 'createdDateTime': iso(BASE_TIME - timedelta(days=200)),
                            'appId': uid('app', prefix, 'expenses'), 'appDisplayName': 'Contoso Expenses', 'publisher': display_name})
    return tenant


def signin(tenant, user, moment, city, country, failed):
    return {
        'id': uid('signin', tenant.customer_id, user['id'], iso(moment)), 'createdDateTime': iso(moment), 'userId': user['id'],
        'userPrincipalName': user['userPrincipalName'], 'userDisplayName': user['displayName'],
        'appDisplayName': 'Office 365 Exchange Online', 'appId': '00000002-0000-0ff1-ce00-000000000000',
        'ipAddress': '%d.%d.%d.%d' % (81 if country == 'NL' else 102, len(city), moment.day, moment.hour + 1),
        'clientAppUsed': 'Browser', 'isInteractive': True, 'resourceDisplayName': 'Office 365 Exchange Online',
        'location': {'city': city, 'state': '', 'countryOrRegion': country,
                     'geoCoordinates': {'altitude': None, 'latitude': None, 'longitude': None}},
        'status': {'errorCode': 50126 if failed else 0, 'failureReason': 'Invalid username or password.' if failed else 'Other.',
                   'additionalDetails': None},
        'conditionalAccessStatus': 'notApplied', 'riskLevelDuringSignIn': 'none', 'riskState': 'none',
    }


def _enrich(state, tenant, rng):
    try:
        from . import seed_exchange
    except ImportError:
        return
    seed_exchange.seed_tenant_exchange_security(state, tenant, rng)


def build_state(seed='default'):
    state = State()
    state.seed_name = seed
    rng = random.Random(20261122)
    if seed == 'default':
        for display_name, default_domain, prefix, extra, relationship, count in DEFAULT_TENANTS:
            tenant = build_tenant(state, rng, display_name, default_domain, prefix, extra, relationship, count)
            _enrich(state, tenant, rng)
        return state
    if seed.startswith('large:'):
        _kind, tenants, users = seed.split(':')
        for index in range(int(tenants)):
            prefix = 'cust%04d' % index
            default = '%s.example' % prefix if index % 3 == 0 else '%s.onmicrosoft.com' % prefix
            tenant = build_tenant(state, rng, 'Customer %04d' % index, default, prefix, [],
                                  'directTenant' if index % 10 == 0 else 'granularDelegatedAdminPrivileges', int(users), compact=True)
            _enrich(state, tenant, rng)
        return state
    raise ValueError('unknown seed %r: use default or large:TENANTS:USERS' % seed)
