"""Deterministic seed data: `default` (four realistic tenants) and `large:T:U` (T tenants of U users, for scale).

Ids are uuid5 of stable names and random choices come from random.Random with a fixed seed, so every reset gives the
same estate. Times are relative to the moment the seed is built (rounded down to the hour): "the last 7 days of
sign-ins" and "apps added this week" must stay recent whenever the tests run. Exchange and security data
(mailboxes, rules, MFA, the compromised user) are added afterwards by seed_exchange.
"""

import functools
import random
import time
import uuid
from datetime import datetime, timedelta, timezone

from .state import State, TenantState

NAMESPACE = uuid.UUID('6b1d4c2e-9a55-4d3c-8f1e-3c1a2b0e7d10')
RNG_SEED = 20261122

FIRST = ['Anna', 'Ben', 'Chloe', 'Daan', 'Emma', 'Finn', 'Grace', 'Hugo', 'Isla', 'Jack', 'Kim', 'Liam', 'Mia', 'Noah', 'Olivia',
         'Piet', 'Quinn', 'Ruby', 'Sam', 'Tess', 'Umar', 'Vera', 'Wout', 'Xena', 'Yara', 'Zoe', 'Aisha', 'Bram', 'Carmen',
         'Dmitri', 'Elif', 'Fatima', 'Goran', 'Hana', 'Ivan', 'Jade', 'Siobhan']
LAST = ['Jansen', 'Smith', 'de Vries', 'Brown', 'Bakker', 'Wilson', 'Visser', 'Taylor', 'Smit', 'Evans', 'Meijer', 'Walker',
        'Mulder', 'Hughes', 'Bos', 'Clarke', 'Peters', 'Hall', 'Hendriks', 'Young', 'Dekker', 'King', 'Dijkstra', "O'Brien"]
TITLES = ['Accountant', 'Sales Manager', 'Engineer', 'Consultant', 'Office Manager', 'Support Specialist', 'Designer',
          'Project Manager', 'HR Advisor', 'Marketing Lead', None]
DEPARTMENTS = ['Finance', 'Sales', 'Engineering', 'Consulting', 'Operations', 'Support', 'Marketing', 'HR', None]
# city, country, usage location, postal code, state
CITIES = [('Amsterdam', 'Netherlands', 'NL', '1011 AB', 'Noord-Holland'), ('London', 'United Kingdom', 'GB', 'EC1A 1BB', None),
          ('Seattle', 'United States', 'US', '98101', 'WA'), ('Berlin', 'Germany', 'DE', '10115', 'Berlin'),
          ('Antwerp', 'Belgium', 'BE', '2000', 'Antwerpen')]

# skuId, skuPartNumber, friendly name, service plans (id, name, service)
SKUS = [
    ('cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46', 'SPB', 'Microsoft 365 Business Premium',
     [('9aaf7827-d63c-4b61-89c3-182f06f82e5c', 'EXCHANGE_S_STANDARD', 'exchange'), ('8c098270-9dd4-4350-9b30-ba4703f3b36b', 'ADALLOM_S_O365', 'Adallom'),
      ('41781fb2-bc02-4b7c-bd55-b576c07bb09d', 'AAD_PREMIUM', 'AADPremiumService')]),
    ('f245ecc8-75af-4f8e-b61f-27d8114de5f3', 'O365_BUSINESS_PREMIUM', 'Microsoft 365 Business Standard',
     [('9aaf7827-d63c-4b61-89c3-182f06f82e5c', 'EXCHANGE_S_STANDARD', 'exchange'),
      ('5dbe027f-2339-4123-9542-606e4d348a72', 'SHAREPOINTSTANDARD', 'SharePoint')]),
    ('3b555118-da6a-4418-894f-7df1e2096870', 'O365_BUSINESS_ESSENTIALS', 'Microsoft 365 Business Basic',
     [('9aaf7827-d63c-4b61-89c3-182f06f82e5c', 'EXCHANGE_S_STANDARD', 'exchange')]),
    ('4b9405b0-7788-4568-add1-99614e613b69', 'EXCHANGESTANDARD', 'Exchange Online (Plan 1)',
     [('9aaf7827-d63c-4b61-89c3-182f06f82e5c', 'EXCHANGE_S_STANDARD', 'exchange')]),
]
SPB, STANDARD, BASIC, EXO1 = (sku[0] for sku in SKUS)
# SKUs only some tenants have. FLOW_FREE and TEAMS_EXPLORATORY are on CIPP's exclusion list (Config/ExcludeSkuList.JSON):
# Graph's subscribedSkus lists them, CIPP's ListLicenses never does. Office 365 E3 has no Entra ID P1.
EXTRA_SKUS = [
    ('6fd2c87f-b296-42f0-b197-1e91e994b900', 'ENTERPRISEPACK', 'Office 365 E3',
     [('efb87545-963c-4e0d-99df-69c6916d9eb0', 'EXCHANGE_S_ENTERPRISE', 'exchange'),
      ('5dbe027f-2339-4123-9542-606e4d348a72', 'SHAREPOINTENTERPRISE', 'SharePoint')]),
    ('f30db892-07e9-47e9-837c-80727f46fd3d', 'FLOW_FREE', 'Microsoft Power Automate Free',
     [('50e68c76-46c6-4674-81f9-75456511b170', 'FLOW_P2_VIRAL', 'ProcessSimple')]),
    ('710779e8-3d4a-4c88-adb9-386c958d1fdf', 'TEAMS_EXPLORATORY', 'Microsoft Teams Exploratory',
     [('57ff2da0-773e-42df-b2af-ffb7a2317929', 'TEAMS1', 'TeamspaceAPI')]),
]
SKU_BY_ID = dict((sku[0], sku) for sku in SKUS + EXTRA_SKUS)
E3, FLOW_FREE, TEAMS_EXPLORATORY = (sku[0] for sku in EXTRA_SKUS)
# Built-in directory role templates (ids are Microsoft's, the same in every tenant).
ROLE_TEMPLATES = {
    'Global Administrator': ('62e90394-69f5-4237-9190-012177145e10', 'Can manage all aspects of Microsoft Entra ID and Microsoft '
                             'services that use Microsoft Entra identities.'),
    'Exchange Administrator': ('29232cdf-9323-42fd-ade2-1d097af3e4de', 'Can manage all aspects of the Exchange product.'),
    'User Administrator': ('fe930be7-5e62-47db-91af-98c3a49a38b1', 'Can manage all aspects of users and groups, including '
                           'resetting passwords for limited admins.'),
}

DEFAULT_TENANTS = [
    # display name, default domain, initial domain prefix, extra verified domains, relationship, user count
    ('Contoso Ltd', 'contoso.com', 'contoso', ['contoso.co.uk'], 'granularDelegatedAdminPrivileges', 34),
    ('Fabrikam BV', 'fabrikam.onmicrosoft.com', 'fabrikam', [], 'granularDelegatedAdminPrivileges', 28),
    ('Northwind Traders', 'northwindtraders.nl', 'northwind', [], 'directTenant', 30),
    ('Tailspin Toys', 'tailspintoys.onmicrosoft.com', 'tailspin', [], 'granularDelegatedAdminPrivileges', 25),
    # A small tenant without Entra ID P1 (Office 365 E3 + Business Basic), with an unverified domain, free SKUs,
    # group-based licensing only, a user in more than 100 groups (see _woodgrove_extras).
    ('Woodgrove Bakery', 'woodgrovebakery.com', 'woodgrove', ['woodgrovebakery.co.uk*'], 'granularDelegatedAdminPrivileges', 16),
]
WOODGROVE = 'woodgrovebakery.com'

# Sign-in defaults: every property Graph's beta signIn carries (shapes/ListSignIns.json), one realistic value each.
SIGNIN_DEFAULTS = {
    'additionalDetails': None, 'agent': {'agentSubjectParentId': '', 'agentSubjectType': 'notAgentic', 'agentType': 'notAgentic',
                                         'parentAppId': ''},
    'appliedConditionalAccessPolicies': [{
        'authenticationStrength': None, 'conditionsNotSatisfied': 'none', 'conditionsSatisfied': 'application,users',
        'displayName': 'Require MFA for all users', 'enforcedGrantControls': ['Mfa'], 'enforcedSessionControls': [],
        'excludeRulesSatisfied': [], 'id': '8d0f4f2a-3c39-4d8e-9c51-0b7f3a9d1e21', 'includeRulesSatisfied': [],
        'result': 'notApplied', 'sessionControlsNotSatisfied': []}],
    'appliedEventListeners': [], 'appOwnerTenantId': 'f8cdef31-a31e-4b4a-93e4-5f571e91255a', 'authenticationAppDeviceDetails': None,
    'authenticationAppPolicyEvaluationDetails': [],
    'authenticationContextClassReferences': [{'detail': 'required', 'id': 'urn:user:registersecurityinfo'}],
    'authenticationDetails': [{'authenticationMethod': 'Password', 'authenticationMethodDetail': 'Password in the cloud',
                               'authenticationStepDateTime': None, 'authenticationStepRequirement': 'Primary authentication',
                               'authenticationStepResultDetail': 'Correct password', 'succeeded': True}],
    'authenticationMethodsUsed': [], 'authenticationProcessingDetails': [{'key': 'Legacy TLS (TLS 1.0, 1.1, 3DES)', 'value': 'False'}],
    'authenticationProtocol': 'none', 'authenticationRequirement': 'singleFactorAuthentication',
    'authenticationRequirementPolicies': [{'detail': 'Conditional Access', 'requirementProvider': 'request'}],
    'autonomousSystemNumber': 1136, 'clientAppUsed': 'Browser', 'clientCredentialType': 'none',
    'conditionalAccessAudiences': ['00000002-0000-0ff1-ce00-000000000000'], 'conditionalAccessStatus': 'notApplied',
    'correlationId': '', 'crossTenantAccessType': 'none',
    'deviceDetail': {'browser': 'Edge 131.0.0', 'deviceId': '', 'displayName': '', 'isCompliant': False, 'isManaged': False,
                     'operatingSystem': 'Windows10', 'trustType': None},
    'federatedCredentialId': None, 'flaggedForReview': False, 'globalSecureAccessIpAddress': '', 'homeTenantId': '',
    'homeTenantName': '', 'incomingTokenType': 'none', 'ipAddressFromResourceProvider': None, 'isInteractive': True,
    'isTenantRestricted': False, 'isThroughGlobalSecureAccess': False,
    'managedServiceIdentity': {'associatedResourceId': None, 'federatedTokenId': None, 'federatedTokenIssuer': None, 'msiType': 'none'},
    'mfaDetail': None, 'networkLocationDetails': [{'networkNames': [], 'networkType': 'trustedNamedLocation'}], 'originalRequestId': '',
    'originalTransferMethod': 'none', 'privateLinkDetails': {'policyId': '', 'policyName': '', 'policyTenantId': None, 'resourceId': ''},
    'processingTimeInMilliseconds': 120, 'resourceDisplayName': 'Office 365 Exchange Online',
    'resourceId': '00000002-0000-0ff1-ce00-000000000000', 'resourceOwnerTenantId': '', 'resourceServicePrincipalId': '',
    'resourceTenantId': '', 'riskDetail': 'none', 'riskEventTypes_v2': [], 'riskLevelAggregated': 'none',
    'riskLevelDuringSignIn': 'none', 'riskState': 'none', 'servicePrincipalCredentialKeyId': None,
    'servicePrincipalCredentialThumbprint': '', 'servicePrincipalId': '', 'servicePrincipalName': None, 'sessionId': '',
    'sessionLifetimePolicies': [{'detail': 'The user was required to sign in again',
                                 'expirationRequirement': 'rememberMultifactorAuthenticationOnTrustedDevices'}],
    'signInEventTypes': ['interactiveUser'], 'signInIdentifier': '', 'signInIdentifierType': None, 'signInTokenProtectionStatus': 'none',
    'tokenIssuerName': '', 'tokenIssuerType': 'AzureAD', 'tokenProtectionStatusDetails': {'signInSessionStatus': 'unbound',
                                                                                          'signInSessionStatusCode': 0},
    'uniqueTokenIdentifier': '', 'userAgent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edg/131.0.0.0',
    'userType': 'member',
}
# Where sign-ins come from: mostly the office, now and then somewhere a tenant's users never are.
HOME_LOCATIONS = [('Amsterdam', 'Noord-Holland', 'NL', '81.204.'), ('London', 'England', 'GB', '86.12.')]
UNUSUAL_LOCATIONS = [('Lagos', 'Lagos', 'NG', '102.89.'), ('Sao Paulo', 'Sao Paulo', 'BR', '177.71.')]


def uid(*parts):
    return str(uuid.uuid5(NAMESPACE, ':'.join(str(part) for part in parts)))


@functools.lru_cache(maxsize=4096)
def iso(moment):
    """ISO-8601 UTC text (cached: the large seed formats the same few hundred moments tens of thousands of times)."""
    moment = moment.astimezone(timezone.utc)
    return '%04d-%02d-%02dT%02d:%02d:%02dZ' % (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def anchor_time(epoch=None):
    """The seed's "now": the current hour, so a reset within the hour rebuilds exactly the same estate."""
    epoch = time.time() if epoch is None else epoch
    return datetime.fromtimestamp(int(epoch // 3600) * 3600, timezone.utc)


def tenant_row(display_name, default_domain, initial_domain, relationship, rng, anchor):
    customer_id = uid('tenant', initial_domain)
    refreshed = anchor - timedelta(hours=rng.randint(1, 48))
    direct = relationship == 'directTenant'
    return {
        'PartitionKey': 'Tenants', 'RowKey': customer_id, 'customerId': customer_id, 'displayName': display_name,
        'defaultDomainName': default_domain, 'initialDomainName': initial_domain, 'delegatedPrivilegeStatus': relationship,
        'relationshipEnd': iso(anchor + timedelta(days=rng.randint(60, 700))) if not direct else iso(datetime(9999, 12, 31, tzinfo=timezone.utc)),
        'relationshipCount': 0 if direct else rng.randint(1, 2), 'hasAutoExtend': not direct,
        'domains': '', 'Excluded': False, 'ExcludeUser': '', 'ExcludeDate': '', 'GraphErrorCount': 0, 'LastGraphError': '',
        'RequiresRefresh': False, 'LastRefresh': iso(refreshed), 'Timestamp': iso(refreshed + timedelta(minutes=5)),
        'ETag': 'W/"datetime\'%s\'"' % iso(refreshed + timedelta(minutes=5)).replace(':', '%3A'),
        'SharepointAdminUrl': 'https://%s-admin.sharepoint.com' % initial_domain.split('.')[0],
        'ComplianceUrl': 'https://purview.microsoft.com/?tid=%s' % customer_id,
    }


def domain_rows(default_domain, initial_domain, extra):
    rows = [{'id': initial_domain, 'isDefault': default_domain == initial_domain, 'isInitial': True, 'isVerified': True,
             'authenticationType': 'Managed', 'isAdminManaged': True, 'isRoot': True, 'passwordNotificationWindowInDays': 14,
             'passwordValidityPeriodInDays': 2147483647, 'supportedServices': ['Email', 'OfficeCommunicationsOnline'], 'state': None}]
    for name in ([default_domain] if default_domain != initial_domain else []) + list(extra):
        verified = not name.endswith('*')  # a trailing * in the spec marks a domain added but never verified
        name = name.rstrip('*')
        rows.append({'id': name, 'isDefault': name == default_domain, 'isInitial': False, 'isVerified': verified,
                     'authenticationType': 'Managed', 'isAdminManaged': True, 'isRoot': True, 'passwordNotificationWindowInDays': 14,
                     'passwordValidityPeriodInDays': 2147483647,
                     'supportedServices': ['Email', 'OfficeCommunicationsOnline', 'Intune'] if verified else [], 'state': None})
    return rows


def license_plans(sku_ids, assigned_at):
    """assignedPlans / provisionedPlans for a licence set (Graph derives them from the SKUs' service plans)."""
    assigned, provisioned = [], []
    for sku_id in sku_ids:
        for plan_id, _name, service in SKU_BY_ID.get(sku_id, (None, None, None, []))[3]:
            assigned.append({'assignedDateTime': assigned_at, 'capabilityStatus': 'Enabled', 'service': service, 'servicePlanId': plan_id})
            provisioned.append({'capabilityStatus': 'Enabled', 'provisioningStatus': 'Success', 'service': service})
    return assigned, provisioned


def set_licenses(user, sku_ids, assigned_at):
    """Replace a user's DIRECT licences; Graph's assignedLicenses is the union of the direct ones and those inherited
    from licence-assigning groups (`_groupLicenses`, kept by sync_group_licences), and licenseAssignmentStates tells
    them apart (assignedByGroup null = direct)."""
    user['_directLicenses'] = list(dict.fromkeys(sku_ids))
    inherited = list(user.get('_groupLicenses') or [])
    union = list(dict.fromkeys(user['_directLicenses'] + [sku for sku, _group in inherited]))
    user['assignedLicenses'] = [{'disabledPlans': [], 'skuId': sku_id} for sku_id in union]
    user['assignedPlans'], user['provisionedPlans'] = license_plans(union, assigned_at)
    state = {'disabledPlans': [], 'error': 'None', 'lastUpdatedDateTime': assigned_at, 'state': 'Active'}
    user['licenseAssignmentStates'] = ([dict(state, assignedByGroup=None, skuId=sku) for sku in user['_directLicenses']] +
                                       [dict(state, assignedByGroup=group, skuId=sku) for sku, group in inherited])


def sync_group_licences(tenant, user, assigned_at=None):
    """Group-based licensing: the user inherits every SKU of every licence-assigning group it is a direct member of."""
    user['_groupLicenses'] = [(sku, group['id']) for group in tenant.groups.values() if user['id'] in group['_members']
                              for sku in group.get('_assignedLicenses') or []]
    direct = user['_directLicenses'] if user.get('_directLicenses') is not None else [
        lic['skuId'] for lic in user.get('assignedLicenses') or []]
    set_licenses(user, direct, assigned_at or user.get('createdDateTime'))


def new_user(tenant, upn, display_name, given=None, surname=None, created=None, **fields):
    """A Graph user with every key CIPP's ListUsers returns (shapes/ListUsers.json), stored in ``tenant.users``."""
    user_id = fields.pop('id', None) or uid('user', tenant.customer_id, upn.lower())
    created = iso(created or anchor_time() - timedelta(days=400))
    guest = '#ext#' in upn.lower()
    nickname = upn.split('@')[0]  # guests keep the `#EXT#` in it, as Graph does
    user = {
        'id': user_id, 'accountEnabled': True, 'ageGroup': None, 'agentIdentityBlueprintId': None,
        'assignedLicenses': [], 'assignedPlans': [], 'authorizationInfo': {'certificateUserIds': []}, 'licenseAssignmentStates': [],
        'businessPhones': [], 'city': None, 'cloudRealtimeCommunicationInfo': {'isSipEnabled': not guest}, 'companyName': None,
        'consentProvidedForMinor': None, 'country': None, 'createdDateTime': created, 'creationType': 'Invitation' if guest else None,
        'deletedDateTime': None, 'department': None, 'deviceKeys': [], 'displayName': display_name, 'employeeHireDate': None,
        'employeeId': None, 'employeeLeaveDateTime': None, 'employeeOrgData': None, 'employeeType': None,
        'externalUserConvertedOn': None, 'externalUserState': None, 'externalUserStateChangeDateTime': None, 'faxNumber': None,
        'givenName': given, 'identities': [{'signInType': 'userPrincipalName', 'issuer': tenant.row['initialDomainName'],
                                            'issuerAssignedId': upn}],
        'identityParentId': None, 'imAddresses': [] if guest else [upn], 'infoCatalogs': [], 'isLicenseReconciliationNeeded': False,
        'isManagementRestricted': None, 'isResourceAccount': None, 'jobTitle': None, 'lastPasswordChangeDateTime': created,
        'legalAgeGroupClassification': None, 'mail': None if guest else upn, 'mailNickname': nickname, 'mobilePhone': None,
        'officeLocation': None, 'onPremisesDistinguishedName': None, 'onPremisesDomainName': None,
        'onPremisesExtensionAttributes': dict(('extensionAttribute%d' % n, None) for n in range(1, 16)),
        'onPremisesImmutableId': None, 'onPremisesLastSyncDateTime': None, 'onPremisesObjectIdentifier': None,
        'onPremisesProvisioningErrors': [], 'onPremisesSamAccountName': None, 'onPremisesSecurityIdentifier': None,
        'onPremisesSipInfo': {'isSipEnabled': False, 'sipDeploymentLocation': None, 'sipPrimaryAddress': None},
        'onPremisesSyncEnabled': None, 'onPremisesUserPrincipalName': None, 'otherMails': [], 'passwordPolicies': None,
        'passwordProfile': None, 'postalCode': None, 'preferredDataLocation': None, 'preferredLanguage': 'en-US',
        'provisionedPlans': [], 'proxyAddresses': [] if guest else ['SMTP:%s' % upn],
        'refreshTokensValidFromDateTime': created, 'securityIdentifier': 'S-1-12-1-%d' % int(user_id[:8], 16),
        'serviceProvisioningErrors': [], 'showInAddressList': not guest, 'signInSessionsValidFromDateTime': created,
        'state': None, 'streetAddress': None, 'surname': surname, 'usageLocation': None, 'userPrincipalName': upn,
        'userType': 'Guest' if guest else 'Member',
        '_password': 'Seed-%s!' % user_id[:8], '_forceChangePassword': False, '_managerId': None, '_perUserMfa': 'disabled',
        '_mfaMethods': None, '_sessionsRevokedAt': None, '_isAdmin': False, '_compromised': False, '_taps': [],
        '_directLicenses': [], '_groupLicenses': [],
    }
    user.update(fields)
    tenant.users[user_id] = user
    return user


def new_group(tenant, name, kind, members=(), owners=(), rule=None, role_assignable=False, synced=False, created=None):
    """kind: m365 | security | mailsecurity | distribution (the four types CIPP's ListGroups tells apart)."""
    group_id = uid('group', tenant.customer_id, name)
    nickname = ''.join(ch for ch in name.lower() if ch.isalnum())
    mail_enabled = kind in ('m365', 'mailsecurity', 'distribution')
    group = {
        'id': group_id, 'displayName': name, 'description': '%s group' % name,
        'mail': '%s@%s' % (nickname, tenant.default_domain) if mail_enabled else None, 'mailEnabled': mail_enabled,
        'mailNickname': nickname, 'securityEnabled': kind in ('security', 'mailsecurity', 'm365'),
        'groupTypes': (['Unified'] if kind == 'm365' else []) + (['DynamicMembership'] if rule else []),
        'membershipRule': rule, 'membershipRuleProcessingState': 'On' if rule else None, 'isAssignableToRole': role_assignable,
        'onPremisesSyncEnabled': True if synced else None, 'onPremisesSamAccountName': nickname if synced else None,
        'createdDateTime': iso(created or anchor_time() - timedelta(days=300)), 'visibility': 'Private' if kind == 'm365' else None,
        'resourceProvisioningOptions': ['Team'] if kind == 'm365' else [], 'assignedLicenses': [],
        'licenseProcessingState': None, 'organizationId': tenant.customer_id,
        'proxyAddresses': ['SMTP:%s@%s' % (nickname, tenant.default_domain)] if mail_enabled else [],
        '_kind': kind, '_members': list(members), '_owners': list(owners), '_assignedLicenses': [],
    }
    tenant.groups[group_id] = group
    return group


def add_skus(tenant, rng, seat_plan):
    """seat_plan: list of (skuId, total seats)."""
    for sku_id, total in seat_plan:
        _sku, part, name, _plans = SKU_BY_ID[sku_id]
        tenant.skus[sku_id] = {'skuId': sku_id, 'skuPartNumber': part, 'displayName': name,
                               'prepaidUnits': {'enabled': total, 'suspended': 0, 'warning': 0},
                               '_term': rng.choice(['Annual', 'Monthly']), '_subscriptionId': uid('sub', tenant.customer_id, part)}


def _seat_plan(user_count, no_p1=False):
    """(seats, slices, main SKU). Business Premium with room to spare, Standard one seat short of full, Basic full,
    Exchange Plan 1 half used. The slices say which licensable people (in order) get which SKU; everybody else licensed
    gets the main SKU. A tenant without Entra ID P1 has Office 365 E3 and Business Basic, plus the free SKUs users
    sign themselves up for (Power Automate Free, Teams Exploratory)."""
    if no_p1:
        return [(E3, user_count + 10), (BASIC, 3), (FLOW_FREE, 10000), (TEAMS_EXPLORATORY, 100)], [(BASIC, 1, 4)], E3
    return [(SPB, user_count + 40), (STANDARD, 6), (BASIC, 3), (EXO1, 8)], [(STANDARD, 1, 6), (BASIC, 6, 9), (EXO1, 9, 13)], SPB


def _people(tenant, user_count, default_domain, display_name, prefix, anchor):
    people, used = [], set()
    for index in range(user_count):
        first, last = FIRST[(index * 7 + len(prefix)) % len(FIRST)], LAST[(index * 5 + len(prefix)) % len(LAST)]
        nickname = '%s.%s' % (first.lower(), last.lower().replace(' ', ''))  # O'Brien keeps its apostrophe: valid, and a quoting test
        if nickname in used:
            nickname = '%s%d' % (nickname, index)
        used.add(nickname)
        city, country, usage, postal, region = CITIES[index % len(CITIES)]
        upn = '%s@%s' % (nickname, default_domain)
        user = new_user(tenant, upn, '%s %s' % (first, last), first, last, created=anchor - timedelta(days=30 + index * 11),
                        jobTitle=TITLES[index % len(TITLES)], department=DEPARTMENTS[index % len(DEPARTMENTS)],
                        city=city, country=country, postalCode=postal, state=region, streetAddress='%d Main Street' % (index + 1),
                        usageLocation=None if index % 9 == 8 else usage, companyName=display_name,
                        businessPhones=['+31 20 555 %04d' % index] if index % 3 == 0 else [],
                        mobilePhone='+31 6 5555 %04d' % index if index % 4 == 1 else None, officeLocation='HQ' if index % 5 == 0 else None,
                        employeeId='E%04d' % (index + 1) if index % 2 == 0 else None,
                        employeeHireDate=iso(anchor - timedelta(days=30 + index * 11)) if index % 2 == 0 else None,
                        lastPasswordChangeDateTime=iso(anchor - timedelta(days=(index * 13) % 120 + 1)))
        if index % 7 == 3:  # an alias on the initial domain, as migrations leave behind
            user['proxyAddresses'].append('smtp:%s@%s' % (nickname, tenant.row['initialDomainName']))
        if index % 11 == 10:
            user['accountEnabled'] = False
        user['_perUserMfa'] = ['disabled', 'enabled', 'enforced'][index % 3] if index % 2 else 'disabled'
        people.append(user)
    return people


def _license(tenant, people, user_count, anchor):
    _plan, slices, main = _seat_plan(user_count, tenant.no_p1)
    licensable = [u for i, u in enumerate(people) if u['usageLocation'] and i % 6 != 5]
    for position, user in enumerate(licensable):
        sku_id = next((sku for sku, start, stop in slices if start <= position < stop), main)
        set_licenses(user, [sku_id], iso(anchor - timedelta(days=200)))


def _hierarchy(people):
    """The first person runs the place; four team leads report to them; everybody else to one of the leads."""
    leads = people[1:5]
    for user in leads:
        user['_managerId'] = people[0]['id']
    for index, user in enumerate(people[5:]):
        user['_managerId'] = leads[index % len(leads)]['id'] if leads else people[0]['id']


def _special_accounts(tenant, people, initial, default_domain, anchor):
    """Admins, AD-synced users and guests."""
    people[0]['_isAdmin'] = True
    people[0]['jobTitle'] = 'IT Manager'
    breakglass = new_user(tenant, 'breakglass@%s' % initial, 'Break Glass', None, None, _isAdmin=True, usageLocation='NL',
                          passwordPolicies='DisablePasswordExpiration', created=anchor - timedelta(days=900))
    for user in people[2:4]:
        user['onPremisesSyncEnabled'] = True
        user['onPremisesImmutableId'] = uid('immutable', user['id'])[:22] + '=='
        user['onPremisesDomainName'] = 'corp.%s' % default_domain
        user['onPremisesSamAccountName'] = user['mailNickname'][:20]
        user['onPremisesLastSyncDateTime'] = iso(anchor - timedelta(minutes=40))
        user['onPremisesUserPrincipalName'] = user['userPrincipalName']
        user['onPremisesDistinguishedName'] = 'CN=%s,OU=Users,DC=corp,DC=%s' % (user['displayName'], default_domain.replace('.', ',DC='))
        user['onPremisesSecurityIdentifier'] = 'S-1-5-21-%d' % int(user['id'][:6], 16)
    for number, (first, last, home) in enumerate([('Gita', 'Guest', 'partner.example'), ('Paul', 'Partner', 'supplier.example'),
                                                  ('Rosa', 'Reviewer', 'auditors.example')][:3 if len(people) > 20 else 2]):
        external = '%s.%s_%s' % (first.lower(), last.lower(), home.replace('.', '_'))
        address = '%s.%s@%s' % (first.lower(), last.lower(), home)
        new_user(tenant, '%s#EXT#@%s' % (external, initial), '%s %s' % (first, last), first, last,
                 externalUserState='Accepted', externalUserStateChangeDateTime=iso(anchor - timedelta(days=58 + number)),
                 mail=address, otherMails=[address], proxyAddresses=['SMTP:%s' % address], created=anchor - timedelta(days=60 + number))
    return breakglass


def _groups(tenant, people, breakglass, main=SPB):
    ids = [user['id'] for user in people]
    enabled = [user['id'] for user in people if user['accountEnabled']]
    boss, lead = people[0]['id'], people[1]['id']
    by_department = dict((dep, [u['id'] for u in people if u['department'] == dep]) for dep in ('Finance', 'Sales', 'Engineering'))
    new_group(tenant, 'All Staff', 'security', enabled, [boss], rule='(user.accountEnabled -eq true) and (user.userType -eq "Member")')
    new_group(tenant, 'Finance', 'security', by_department['Finance'], [boss])
    new_group(tenant, 'Sales', 'm365', by_department['Sales'], [boss, lead])
    new_group(tenant, 'Engineering', 'security', by_department['Engineering'], [boss])
    new_group(tenant, 'Project Phoenix', 'm365', ids[:6], [lead])
    new_group(tenant, 'Office Announcements', 'distribution', ids[:10], [boss])
    new_group(tenant, 'Mail Admins', 'mailsecurity', ids[:2], [boss])
    new_group(tenant, 'Helpdesk Admins', 'security', [boss, breakglass['id']], [boss], role_assignable=True)
    new_group(tenant, 'Legacy File Access', 'security', ids[2:4], [], synced=True)
    licensed = new_group(tenant, 'Licensing - %s' % SKU_BY_ID[main][2].replace('Microsoft 365 ', ''), 'security',
                         [u['id'] for u in people[:8] if any(l['skuId'] == main for l in u['assignedLicenses'])], [boss])
    licensed['_assignedLicenses'] = [main]
    licensed['assignedLicenses'] = [{'disabledPlans': [], 'skuId': main}]
    licensed['licenseProcessingState'] = {'state': 'ProcessingComplete'}
    return licensed


def _roles(tenant, people):
    """Activated directory roles: the admins hold Global Administrator, the first team lead Exchange Administrator.
    No rng is used, so adding roles leaves the rest of the estate as it was."""
    holders = {'Global Administrator': [u['id'] for u in tenant.users.values() if u.get('_isAdmin')],
               'Exchange Administrator': [people[1]['id']] if len(people) > 1 else [],
               'User Administrator': [people[2]['id']] if len(people) > 2 else []}
    for name, (template, description) in ROLE_TEMPLATES.items():
        role_id = uid('role', tenant.customer_id, template)
        tenant.roles[role_id] = {'id': role_id, 'displayName': name, 'description': description, 'roleTemplateId': template,
                                 'deletedDateTime': None, '_members': holders[name]}


def _woodgrove_extras(tenant, people, licence_group, anchor):
    """What a real small tenant also has (CONTRACT 0.1): licences only through a group (C8), free self-service SKUs on
    CIPP's exclusion list (C3), a user in more than 100 groups (C13), an alias that is not the UPN prefix (C11).
    Exchange-side extras (forwarding to a non-user, a contact, more MFA methods) are added by seed_exchange."""
    at = iso(anchor - timedelta(days=200))
    for user in tenant.users.values():
        if user['id'] in licence_group['_members'] and user['id'] != people[0]['id']:
            set_licenses(user, [sku for sku in user['_directLicenses'] if sku != E3], at)  # group-inherited only
    for user in people[1:5]:
        if user['assignedLicenses']:
            set_licenses(user, user['_directLicenses'] + [FLOW_FREE], at)
    people[2]['_directLicenses'] and set_licenses(people[2], people[2]['_directLicenses'] + [TEAMS_EXPLORATORY], at)
    domain = tenant.default_domain
    many = new_user(tenant, 'lena.vogel@%s' % domain, 'Lena Vogel', 'Lena', 'Vogel', created=anchor - timedelta(days=700),
                    jobTitle='Operations Manager', department='Operations', usageLocation='NL', city='Utrecht', country='Netherlands')
    set_licenses(many, [E3], at)
    for number in range(1, 121):
        new_group(tenant, 'Shift Roster %03d' % number, 'security', [many['id']], [people[0]['id']],
                  created=anchor - timedelta(days=600 - number))
    tenant.groups[uid('group', tenant.customer_id, 'All Staff')]['_members'].append(many['id'])
    alias = new_user(tenant, 'tom.baker@%s' % domain, 'Tom Baker', 'Tom', 'Baker', created=anchor - timedelta(days=1500),
                     jobTitle='Head Baker', department='Operations', usageLocation='NL', mailNickname='tbaker',
                     proxyAddresses=['SMTP:tom.baker@%s' % domain, 'smtp:tbaker@%s' % tenant.row['initialDomainName']])
    set_licenses(alias, [E3], at)


def _devices(tenant, people, prefix, anchor, limit):
    for number, user in enumerate(people[:limit]):
        tenant.devices[user['id']] = [{
            'ID': uid('device', user['id']), 'accountEnabled': True,
            'approximateLastSignInDateTime': iso(anchor - timedelta(hours=number * 5)), 'createdDateTime': iso(anchor - timedelta(days=200)),
            'deviceOwnership': 'Company', 'displayName': '%s-LT%02d' % (prefix.upper()[:8], number), 'enrollmentType': 'AzureDomainJoined',
            'isCompliant': number % 5 != 4, 'managementType': 'MDM', 'manufacturer': 'Lenovo' if number % 2 else 'Dell',
            'model': 'ThinkPad T14' if number % 2 else 'Latitude 7440', 'operatingSystem': 'Windows', 'onPremisesSyncEnabled': False,
            'operatingSystemVersion': '10.0.26100', 'trustType': 'AzureAd', 'EPMID': uid('intune', user['id'])}]


def signin(tenant, user, moment, location, failed, number):
    """A complete Graph signIn object (beta) for one sign-in."""
    city, region, country, ip_prefix = location
    row = dict(SIGNIN_DEFAULTS)
    row.update({
        'id': uid('signin', tenant.customer_id, number), 'createdDateTime': iso(moment), 'userId': user['id'],
        'userPrincipalName': user['userPrincipalName'], 'userDisplayName': user['displayName'],
        'appDisplayName': 'Office 365 Exchange Online' if number % 3 else 'Microsoft Teams',
        'appId': '00000002-0000-0ff1-ce00-000000000000' if number % 3 else '1fec8e78-bce4-4aaf-ab1b-5451cc387264',
        'ipAddress': '%s%d.%d' % (ip_prefix, number % 200 + 1, (number * 7) % 250 + 2),
        'correlationId': uid('correlation', tenant.customer_id, number), 'originalRequestId': uid('request', tenant.customer_id, number),
        'uniqueTokenIdentifier': uid('uti', tenant.customer_id, number)[:22], 'homeTenantId': tenant.customer_id,
        'resourceTenantId': tenant.customer_id, 'signInIdentifier': user['userPrincipalName'],
        'location': {'city': city, 'state': region, 'countryOrRegion': country,
                     'geoCoordinates': {'altitude': None, 'latitude': 52.37 if country == 'NL' else 6.45, 'longitude': 4.89 if country == 'NL' else 3.39}},
        'status': {'errorCode': 50126 if failed else 0,
                   'failureReason': 'Error validating credentials due to invalid username or password.' if failed else 'Other.',
                   'additionalDetails': 'The user didn\'t enter the right credentials.' if failed else None},
    })
    row['authenticationDetails'] = [dict(SIGNIN_DEFAULTS['authenticationDetails'][0], authenticationStepDateTime=iso(moment),
                                         succeeded=not failed, authenticationStepResultDetail='Invalid password' if failed else 'Correct password')]
    return row


def _signins(tenant, people, anchor, count):
    """`count` sign-ins spread over the last 7 days, newest first; every seventh from an unusual country, some failed."""
    enabled = [user for user in people if user['accountEnabled']]
    for number in range(count):
        user = enabled[(number * 5) % len(enabled)]
        unusual = number % 7 == 6
        location = UNUSUAL_LOCATIONS[number % 2] if unusual else HOME_LOCATIONS[number % 2]
        moment = anchor - timedelta(minutes=20 + number * (7 * 24 * 60 // max(count, 1)))
        tenant.signins.append(signin(tenant, user, moment, location, number % 9 == 8, number))


def _deleted(tenant, default_domain, anchor):
    for days, name in ((5, 'Old Intern'), (12, 'Former Contractor')):
        upn = '%s@%s' % (name.lower().replace(' ', '.'), default_domain)
        gone = new_user(tenant, upn, name, name.split()[0], name.split()[1], created=anchor - timedelta(days=300))
        del tenant.users[gone['id']]
        gone['deletedDateTime'] = iso(anchor - timedelta(days=days))
        gone['_originalUpn'] = upn
        gone['userPrincipalName'] = gone['id'].replace('-', '') + upn  # Graph's prefix for soft-deleted users
        tenant.deleted[gone['id']] = gone


def _apps(tenant, prefix, display_name, anchor):
    tenant.apps.append({'id': uid('sp', prefix, 'expenses'), 'displayName': '%s Expenses' % display_name.split()[0],
                        'createdDateTime': iso(anchor - timedelta(days=200)), 'appId': uid('app', prefix, 'expenses'),
                        'appDisplayName': '%s Expenses' % display_name.split()[0], 'publisher': display_name})
    tenant.apps.append({'id': uid('sp', prefix, 'acrobat'), 'displayName': 'Adobe Acrobat', 'createdDateTime': iso(anchor - timedelta(days=3)),
                        'appId': 'de8bc8b5-d9f9-48b1-a8ad-b748da725064', 'appDisplayName': 'Adobe Acrobat', 'publisher': 'Adobe Inc.'})


def build_tenant(state, rng, spec, anchor, compact=False):
    """One tenant from (display name, default domain, initial prefix, extra domains, relationship, user count).

    `compact` (the large seed) keeps the same kinds of data but less of it per tenant: fewer sign-ins and devices,
    no deleted users."""
    display_name, default_domain, prefix, extra_domains, relationship, user_count = spec
    initial = '%s.onmicrosoft.com' % prefix
    tenant = TenantState(tenant_row(display_name, default_domain, initial, relationship, rng, anchor))
    tenant.domains = domain_rows(default_domain, initial, extra_domains)
    state.add_tenant(tenant)
    tenant.no_p1 = default_domain == WOODGROVE
    seats, _slices, main = _seat_plan(user_count, tenant.no_p1)
    add_skus(tenant, rng, seats)
    people = _people(tenant, user_count, default_domain, display_name, prefix, anchor)
    _license(tenant, people, user_count, anchor)
    breakglass = _special_accounts(tenant, people, initial, default_domain, anchor)
    set_licenses(breakglass, [main], iso(anchor - timedelta(days=800)))
    _hierarchy(people)
    licence_group = _groups(tenant, people, breakglass, main)
    if tenant.no_p1:
        # Group-based licensing with inherited assignments (licenseAssignmentStates.assignedByGroup). In the four
        # original tenants the licence group's seeded members hold the SKU directly and no inherited state is recorded,
        # so the users other tests rely on keep behaving as before; members added at run time do inherit.
        for user in tenant.users.values():
            if user['id'] in licence_group['_members']:
                sync_group_licences(tenant, user, iso(anchor - timedelta(days=200)))
    _roles(tenant, people)
    if tenant.no_p1:
        _woodgrove_extras(tenant, people, licence_group, anchor)
    _devices(tenant, people, prefix, anchor, 3 if compact else 12)
    _signins(tenant, people, anchor, 6 if compact else 42)
    if not compact:
        _deleted(tenant, default_domain, anchor)
    _apps(tenant, prefix, display_name, anchor)
    return tenant


def _enrich(state, tenant, rng):
    """Exchange/security data from the other half of the seed, when that module exists."""
    try:
        from . import seed_exchange  # pylint: disable=import-outside-toplevel
    except ModuleNotFoundError as exc:
        if exc.name != '%s.seed_exchange' % __package__:
            raise
        return
    seed_exchange.seed_tenant_exchange_security(state, tenant, rng)


def large_specs(tenants, users):
    for index in range(tenants):
        prefix = 'cust%04d' % index
        default = '%s.example' % prefix if index % 3 == 0 else '%s.onmicrosoft.com' % prefix
        relationship = 'directTenant' if index % 10 == 0 else 'granularDelegatedAdminPrivileges'
        yield ('Customer %04d' % index, default, prefix, [], relationship, users)


def build_state(seed='default'):
    """A fresh State for `default` or `large:TENANTS:USERS`; ValueError for anything else."""
    state = State()
    state.seed_name = seed
    rng = random.Random(RNG_SEED)
    anchor = anchor_time(state.now())
    if seed == 'default':
        specs, compact = DEFAULT_TENANTS, False
    else:
        parts = str(seed).split(':')
        if len(parts) != 3 or parts[0] != 'large' or not parts[1].isdigit() or not parts[2].isdigit() or int(parts[2]) < 5:
            raise ValueError('unknown seed %r: use default or large:TENANTS:USERS (USERS >= 5)' % seed)
        specs, compact = large_specs(int(parts[1]), int(parts[2])), True
    for spec in specs:
        tenant = build_tenant(state, rng, spec, anchor, compact)
        _enrich(state, tenant, rng)
    return state
