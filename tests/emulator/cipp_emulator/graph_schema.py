"""What Microsoft Graph (beta) knows about each entity type the emulator serves through ListGraphRequest, and the
authentication-method objects built from the emulator's per-user MFA state.

`$select` and `$filter` are checked against these property sets, not against the keys a row happens to carry: a
property Graph knows but no row has comes back as null; an unknown one is Graph's 400
`Could not find a property named 'x' on type 'Microsoft.DirectoryServices.User'.`
The lists are Graph's documented properties of each type (beta), as far as a user-lifecycle client meets them.
"""

from datetime import datetime, timezone

USER = frozenset((
    'id', 'aboutMe', 'accountEnabled', 'ageGroup', 'agentIdentityBlueprintId', 'assignedLicenses', 'assignedPlans',
    'authorizationInfo', 'birthday', 'businessPhones', 'city', 'cloudRealtimeCommunicationInfo', 'companyName',
    'consentProvidedForMinor', 'country', 'createdDateTime', 'creationType', 'customSecurityAttributes', 'deletedDateTime',
    'department', 'deviceEnrollmentLimit', 'deviceKeys', 'displayName', 'employeeHireDate', 'employeeId',
    'employeeLeaveDateTime', 'employeeOrgData', 'employeeType', 'externalUserConvertedOn', 'externalUserState',
    'externalUserStateChangeDateTime', 'faxNumber', 'givenName', 'hireDate', 'identities', 'identityParentId', 'imAddresses',
    'infoCatalogs', 'interests', 'isLicenseReconciliationNeeded', 'isManagementRestricted', 'isResourceAccount', 'jobTitle',
    'lastPasswordChangeDateTime', 'legalAgeGroupClassification', 'licenseAssignmentStates', 'mail', 'mailboxSettings',
    'mailNickname', 'mobilePhone', 'mySite', 'officeLocation', 'onPremisesDistinguishedName', 'onPremisesDomainName',
    'onPremisesExtensionAttributes', 'onPremisesImmutableId', 'onPremisesLastSyncDateTime', 'onPremisesObjectIdentifier',
    'onPremisesProvisioningErrors', 'onPremisesSamAccountName', 'onPremisesSecurityIdentifier', 'onPremisesSipInfo',
    'onPremisesSyncEnabled', 'onPremisesUserPrincipalName', 'otherMails', 'passwordPolicies', 'passwordProfile', 'pastProjects',
    'perUserMfaState', 'postalCode', 'preferredDataLocation', 'preferredLanguage', 'preferredName', 'print', 'provisionedPlans',
    'proxyAddresses', 'refreshTokensValidFromDateTime', 'responsibilities', 'schools', 'securityIdentifier',
    'serviceProvisioningErrors', 'showInAddressList', 'signInActivity', 'signInSessionsValidFromDateTime', 'skills', 'sponsors',
    'state', 'streetAddress', 'surname', 'usageLocation', 'userPrincipalName', 'userType'))
GROUP = frozenset((
    'id', 'assignedLabels', 'assignedLicenses', 'classification', 'createdByAppId', 'createdDateTime', 'deletedDateTime',
    'description', 'displayName', 'expirationDateTime', 'groupTypes', 'hasMembersWithLicenseErrors', 'infoCatalogs',
    'isAssignableToRole', 'isManagementRestricted', 'licenseProcessingState', 'mail', 'mailEnabled', 'mailNickname',
    'membershipRule', 'membershipRuleProcessingState', 'onPremisesDomainName', 'onPremisesLastSyncDateTime',
    'onPremisesNetBiosName', 'onPremisesProvisioningErrors', 'onPremisesSamAccountName', 'onPremisesSecurityIdentifier',
    'onPremisesSyncEnabled', 'organizationId', 'preferredDataLocation', 'preferredLanguage', 'proxyAddresses', 'renewedDateTime',
    'resourceBehaviorOptions', 'resourceProvisioningOptions', 'securityEnabled', 'securityIdentifier', 'serviceProvisioningErrors',
    'theme', 'uniqueName', 'visibility', 'writebackConfiguration'))
DIRECTORY_ROLE = frozenset(('id', 'deletedDateTime', 'description', 'displayName', 'roleTemplateId'))
SUBSCRIBED_SKU = frozenset(('id', 'accountId', 'accountName', 'appliesTo', 'capabilityStatus', 'consumedUnits', 'prepaidUnits',
                            'servicePlans', 'skuId', 'skuPartNumber', 'subscriptionIds'))
DOMAIN = frozenset(('id', 'authenticationType', 'availabilityStatus', 'isAdminManaged', 'isDefault', 'isInitial', 'isRoot',
                    'isVerified', 'passwordNotificationWindowInDays', 'passwordValidityPeriodInDays', 'state', 'supportedServices'))
# authenticationMethod and the derived types a user can hold (the collection users/{id}/authentication/methods).
AUTHENTICATION_METHOD = frozenset((
    'id', 'createdDateTime', 'displayName', 'deviceTag', 'phoneAppVersion', 'clientAppName', 'phoneNumber', 'phoneType',
    'smsSignInState', 'aaGuid', 'model', 'attestationCertificates', 'attestationLevel', 'emailAddress', 'secretKey', 'password',
    'temporaryAccessPass', 'startDateTime', 'lifetimeInMinutes', 'isUsableOnce', 'isUsable', 'methodUsabilityReason', 'keyStrength',
    'lastUsedDateTime'))
AUTHENTICATION_METHODS_POLICY = frozenset(('id', 'description', 'displayName', 'lastModifiedDateTime', 'policyMigrationState',
                                           'policyVersion', 'reconfirmationInDays', 'registrationEnforcement', 'systemCredentialPreferences',
                                           'reportSuspiciousActivitySettings', 'authenticationMethodConfigurations'))
SIGN_IN_PREFERENCES = frozenset(('isSystemPreferredAuthenticationMethodEnabled', 'userPreferredMethodForSecondaryAuthentication',
                                 'systemPreferredAuthenticationMethod'))
ORGANIZATION = frozenset(('id', 'displayName', 'verifiedDomains', 'assignedPlans', 'businessPhones', 'city', 'country',
                          'countryLetterCode', 'createdDateTime', 'tenantType', 'onPremisesSyncEnabled', 'technicalNotificationMails'))
LICENSE_DETAILS = frozenset(('id', 'servicePlans', 'skuId', 'skuPartNumber'))

# name -> (properties, the type Graph names in its errors)
ENTITIES = {
    'user': (USER, 'Microsoft.DirectoryServices.User'),
    'group': (GROUP, 'Microsoft.DirectoryServices.Group'),
    'directoryRole': (DIRECTORY_ROLE, 'Microsoft.DirectoryServices.DirectoryRole'),
    # A directoryObject collection (memberOf, transitiveMemberOf) holds groups and directory roles: any property of
    # either type is accepted and comes back null on the objects of the other type. Unverified against live Graph,
    # which may accept only directoryObject's own properties without a type cast.
    'memberOf': (GROUP | DIRECTORY_ROLE, 'Microsoft.DirectoryServices.DirectoryObject'),
    # members / owners of a group: users (the emulator's groups have no nested groups or devices). Unverified likewise.
    'members': (USER | GROUP, 'Microsoft.DirectoryServices.DirectoryObject'),
    'subscribedSku': (SUBSCRIBED_SKU, 'Microsoft.DirectoryServices.SubscribedSku'),
    'domain': (DOMAIN, 'Microsoft.DirectoryServices.Domain'),
    # Authentication methods are not a directory (AAD Graph) type; the type name in the error is unverified.
    'authenticationMethod': (AUTHENTICATION_METHOD, 'microsoft.graph.authenticationMethod'),
    'organization': (ORGANIZATION, 'Microsoft.DirectoryServices.Organization'),
    'signInPreferences': (SIGN_IN_PREFERENCES, 'microsoft.graph.signInPreferences'),
    'authenticationMethodsPolicy': (AUTHENTICATION_METHODS_POLICY, 'microsoft.graph.authenticationMethodsPolicy'),
    'licenseDetails': (LICENSE_DETAILS, 'Microsoft.DirectoryServices.LicenseDetails'),
}

PASSWORD_METHOD_ID = '28c10230-6103-485e-b985-444c60001490'  # Graph's fixed id of every user's password method
PASSWORD_TYPE = '#microsoft.graph.passwordAuthenticationMethod'
TAP_TYPE = '#microsoft.graph.temporaryAccessPassAuthenticationMethod'


def _iso(epoch):
    return datetime.fromtimestamp(float(epoch), timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def _epoch(text):
    try:
        return datetime.strptime(str(text), '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def tap_view(tap, now):
    """A Temporary Access Pass as GET returns it: the pass itself only ever comes back from the POST that made it."""
    start = _epoch(tap.get('startDateTime')) or 0
    expires = tap.get('_expiresAt') or start + int(tap.get('lifetimeInMinutes') or 60) * 60
    if now < start:
        usable, reason = False, 'NotYetValid'
    elif now >= expires:
        usable, reason = False, 'Expired'
    else:
        usable, reason = True, 'EnabledByPolicy'
    return {'@odata.type': TAP_TYPE, 'id': tap['id'], 'temporaryAccessPass': None, 'createdDateTime': tap.get('createdDateTime'),
            'startDateTime': tap.get('startDateTime'), 'lifetimeInMinutes': tap.get('lifetimeInMinutes'),
            'isUsableOnce': bool(tap.get('isUsableOnce')), 'isUsable': usable, 'methodUsabilityReason': reason}


def authentication_methods(user, now):
    """GET users/{id}/authentication/methods: the password method (always there, Graph's fixed id), then the
    registered methods (`_mfaMethods`, None meaning none registered) and Temporary Access Passes (`_taps`).
    Available in every tenant: unlike the registration report it needs no Entra ID P1."""
    rows = [{'@odata.type': PASSWORD_TYPE, 'id': PASSWORD_METHOD_ID, 'password': None,
             'createdDateTime': user.get('lastPasswordChangeDateTime') or user.get('createdDateTime')}]
    for method in user.get('_mfaMethods') or []:
        rows.append(dict((k, v) for k, v in method.items() if not str(k).startswith('_')))
    rows.extend(tap_view(tap, now) for tap in user.get('_taps') or [])
    return rows


def sign_in_preferences(tenant, user):
    """GET beta users/{id}/authentication/signInPreferences. A user never set keeps Graph's null default method; the
    emulator's tenants have system-preferred MFA off unless a test turns it on (`tenant.system_preferred_mfa`, or the
    user's own `_signInPreferences`). What Entra ID picks as the default for a user nobody set is **unverified**."""
    stored = user.get('_signInPreferences') or {}
    enabled = stored.get('isSystemPreferredAuthenticationMethodEnabled', tenant.system_preferred_mfa)
    has_push = any(m.get('@odata.type') == '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod'
                   for m in user.get('_mfaMethods') or [])
    return {'isSystemPreferredAuthenticationMethodEnabled': enabled,
            'userPreferredMethodForSecondaryAuthentication': stored.get('userPreferredMethodForSecondaryAuthentication'),
            'systemPreferredAuthenticationMethod': ('push' if has_push else None) if enabled else None}


def authentication_methods_policy(tenant):
    """GET beta policies/authenticationMethodsPolicy, kept on the tenant (`tenant.auth_methods_policy`) once changed
    (a read stores nothing). A tenant nobody changed has Microsoft's default campaign (state `default`, all users,
    Authenticator, one day's snooze); that this is exactly what a fresh tenant returns is **unverified**."""
    policy = tenant.auth_methods_policy
    if policy is None:
        policy = {'id': 'authenticationMethodsPolicy', 'displayName': 'Authentication Methods Policy', 'policyVersion': '1.5',
                  'registrationEnforcement': {'authenticationMethodsRegistrationCampaign': {
                      'state': 'default', 'snoozeDurationInDays': 1, 'enforceRegistrationAfterAllowedSnoozes': True,
                      'includeTargets': [{'id': 'all_users', 'targetType': 'group', 'targetedAuthenticationMethod': 'microsoftAuthenticator'}],
                      'excludeTargets': []}}}
    return policy
