"""MFA, password, session and BEC endpoints of the CIPP emulator (CONTRACT.md 5.8, 5.9, 5.20-5.27, 8).

Like handlers_exchange, each helper named after a CIPP cmdlet (Set-CIPPResetPassword, Revoke-CIPPSessions,
Remove-CIPPUserMFA, ...) changes state and returns CIPP's text or raises CippError; the offboarding job and BEC
remediation call the same helpers.

User objects are Graph dicts in ``tenant.users``; MFA lives in the internal keys ``_perUserMfa``, ``_mfaMethods``
(non-password methods only; None = registration unknown) and ``_taps``.
"""

import copy
import random
import re
import string
import uuid
from datetime import datetime, timezone

from .handlers_exchange import (CippError, find_mailbox, iso, parse_time, public, results, set_rule_state, tenant_for,
                                text_or_none, visible_rules)
from .graph_schema import PASSWORD_TYPE, authentication_methods, authentication_methods_policy
from .registry import CONTROL_HOOKS, ConvertBoolError, Response, convert_to_bool, endpoint, eq_true, label_value, ps_bool_text

PASSWORD_METHOD_ID = '28c10230-6103-485e-b985-444c60001490'
MFA_CONNECTOR_APP_ID = '981f26a1-7f43-403b-a875-f8b09b8cd720'
SYNC_ACCOUNT_NAME = 'On-Premises Directory Synchronization Service Account'
# userRegistrationDetails.methodsRegistered names for each Graph authentication method type.
METHOD_REGISTRATION_NAMES = {
    '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod': 'microsoftAuthenticatorPush',
    '#microsoft.graph.phoneAuthenticationMethod': 'mobilePhone',
    '#microsoft.graph.softwareOathAuthenticationMethod': 'softwareOneTimePasscode',
    '#microsoft.graph.fido2AuthenticationMethod': 'fido2',
    '#microsoft.graph.windowsHelloForBusinessAuthenticationMethod': 'windowsHelloForBusiness',
    '#microsoft.graph.emailAuthenticationMethod': 'email',
    '#microsoft.graph.temporaryAccessPassAuthenticationMethod': 'temporaryAccessPass',
}
# Email and TAP do not make a user "MFA registered" in the registration report.
NON_MFA_TYPES = {'#microsoft.graph.emailAuthenticationMethod', '#microsoft.graph.temporaryAccessPassAuthenticationMethod'}
# SKUs that include Entra ID P1, which the registration report and CA evaluation need.
PREMIUM_SKUS = {'AAD_PREMIUM', 'AAD_PREMIUM_P2', 'SPB', 'SPE_E3', 'SPE_E5', 'SPE_F1', 'EMS', 'EMSPREMIUM', 'M365_F1',
                'IDENTITY_THREAT_PROTECTION', 'M365EDU_A3_FACULTY', 'M365EDU_A5_FACULTY', 'Microsoft_365_E5_(no_Teams)',
                'O365_w/o_Teams_Bundle_M3', 'O365_w/o_Teams_Bundle_M5'}
NO_REGISTRATION_REPORT = 'MFA registration not available - licensing required for Conditional Access reporting'
# The Temporary Access Pass policy defaults (Entra ID): 1 hour default and minimum, 8 hours maximum.
TAP_DEFAULT_MINUTES, TAP_MIN_MINUTES, TAP_MAX_MINUTES = 60, 60, 480
PASSWORD_POLICY_TOKENS = {'none', 'disablepasswordexpiration', 'disablestrongpassword'}
MFA_CACHE_SECONDS = 2 * 3600
BEC_WINDOW = 7 * 86400
_RANDOM = random.SystemRandom()


# ---------------------------------------------------------------------------------------------------------------
# Graph user helpers
# ---------------------------------------------------------------------------------------------------------------

def graph_not_found(ident):
    """Graph's 404 text for /users/{x} (what Get-NormalizedError passes through)."""
    return "Resource '%s' does not exist or one of its queried reference-property objects are not present." % text_or_none(ident)


def find_user(tenant, ident):
    """GET /users/{id | userPrincipalName}: case-insensitive id or UPN match."""
    wanted = str(ident or '').strip().lower()
    if not wanted:
        return None
    for user in tenant.users.values():
        if wanted in (str(user.get('id', '')).lower(), str(user.get('userPrincipalName', '')).lower()):
            return user
    return None


def require_user(state, tenant_filter, ident, encoded=False, quiet=False):
    """The user a CIPP helper's GET users/{ident} finds, or CippError with Graph's 404 text.

    Most helpers paste `ident` into the URL unencoded, so a `#` (a guest's `#EXT#`) cuts the path there and Graph
    looks up what came before it (CONTRACT 0.1 C5); `encoded=True` for the few that EscapeDataString it.
    `quiet=True`: a tenant CIPP does not manage gives (None, None) - the Graph helpers only Write-Error on that deny
    path, nothing happens and the caller carries on as if the call had worked (C9)."""
    if quiet and (not tenant_filter or state.resolve_tenant(tenant_filter) is None):
        return None, None
    tenant = tenant_for(state, tenant_filter, 'Graph request')
    key = ident if encoded or ident is None else str(ident).split('#', 1)[0]
    user = find_user(tenant, key)
    if user is None:
        raise CippError(graph_not_found(key))
    return tenant, user


def new_password():
    """New-passwordString's classic form: 14 characters with upper, lower, digit and symbol."""
    pools = (string.ascii_uppercase, string.ascii_lowercase, string.digits, '!@#$%^&*()-_=+')
    chars = [_RANDOM.choice(pool) for pool in pools]
    chars += [_RANDOM.choice(''.join(pools)) for _unused in range(10)]
    _RANDOM.shuffle(chars)
    return ''.join(chars)


def _record_password_change(state, user, password, force_change):
    user['_password'] = password
    user['_forceChangePassword'] = bool(force_change)
    user['_lastPasswordChange'] = state.now()
    if 'lastPasswordChangeDateTime' in user:
        user['lastPasswordChangeDateTime'] = iso(state.now())


def reset_password(state, tenant_filter, user_ident, display_name=None, force_change=True):
    """Set-CIPPResetPassword -> the result item {resultText, copyField, state}."""
    # No default: callers that omit -DisplayName (BEC remediation) get "for , {id}" exactly as CIPP writes it.
    try:
        _unused, user = require_user(state, tenant_filter, user_ident, quiet=True)
        password = new_password()
        synced = user is not None and user.get('onPremisesSyncEnabled') is True
        # Writeback resets always force a change at next logon; cloud resets follow the flag.
        if user is not None:
            _record_password_change(state, user, password, True if synced else force_change)
    except CippError as exc:
        raise CippError('Failed to reset password for %s, %s. Error: %s' % (text_or_none(display_name), text_or_none(user_ident), exc)) from None
    if synced:
        text = ('Password reset accepted for %s, %s. The new password is %s. This user is directory synced, so the reset was '
                'submitted via password writeback and is applied asynchronously - it is not confirmed yet, and will fail if '
                'writeback is not enabled or if the on-premises password policy rejects the password. This user must change '
                'their password at next logon; that is enforced by this method and cannot be turned off.'
                % (text_or_none(display_name), text_or_none(user_ident), password))
    else:
        text = ('Successfully reset the password for %s, %s. User must change password is set to %s. The new password is %s'
                % (text_or_none(display_name), text_or_none(user_ident), ps_bool_text(bool(force_change)), password))
    return {'resultText': text, 'copyField': password, 'state': 'success'}


def set_sign_in_state(state, tenant_filter, user_ident, enabled):
    """Set-CIPPSignInState: the PATCH is applied even for synced users, then the WARNING is thrown."""
    try:
        _unused, user = require_user(state, tenant_filter, user_ident, quiet=True)
        if user is None:
            return 'Successfully set account enabled state to %s for %s' % (ps_bool_text(bool(enabled)), user_ident)
        user['accountEnabled'] = bool(enabled)
        if user.get('onPremisesSyncEnabled') is True:
            raise CippError('WARNING: User %s is AD Sync enabled. Please enable/disable in the local AD.' % user_ident)
        return 'Successfully set account enabled state to %s for %s' % (ps_bool_text(bool(enabled)), user_ident)
    except CippError as exc:
        raise CippError('Failed to set sign-in state for %s. Error: %s' % (user_ident, exc)) from None


def revoke_sessions(state, tenant_filter, user_ident, username):
    """Revoke-CIPPSessions (invalidateAllRefreshTokens)."""
    try:
        _unused, user = require_user(state, tenant_filter, user_ident, quiet=True)
        if user is not None:
            user['_sessionsRevokedAt'] = state.now()
            user['signInSessionsValidFromDateTime'] = iso(state.now())
        return 'Successfully revoked sessions for %s' % text_or_none(username)
    except CippError as exc:
        raise CippError('Failed to revoke sessions for %s. Error: %s' % (text_or_none(username), exc)) from None


def auth_methods(user):
    """GET /users/{id}/authentication/methods without the password method: MFA methods then TAPs."""
    return list(user.get('_mfaMethods') or []) + list(user.get('_taps') or [])


def method_type(method):
    """Remove-CIPPUserMFA's name for a method: last segment of @odata.type with 'Authentication' removed."""
    last = str(method.get('@odata.type', '')).rsplit('.', maxsplit=1)[-1]
    return re.sub('authentication', '', last, flags=re.IGNORECASE)


def remove_user_mfa(state, tenant_filter, upn, method_id=None):
    """Remove-CIPPUserMFA: delete every non-password method, or only `method_id`."""
    if not upn:
        raise CippError("Cannot bind argument to parameter 'UserPrincipalName' because it is an empty string.")
    if not tenant_filter:
        raise CippError("Cannot bind argument to parameter 'TenantFilter' because it is an empty string.")
    try:
        # Remove-CIPPUserMFA encodes the UPN (EscapeDataString), so guests are found.
        _unused, user = require_user(state, tenant_filter, upn, encoded=True, quiet=True)
    except CippError as exc:
        raise CippError('Failed to get MFA methods for user %s. Error: %s' % (upn, exc)) from None
    wanted = str(method_id or '').lower()
    removable = [m for m in auth_methods(user) if not method_id or str(m.get('id')).lower() == wanted] if user else []
    if not removable:
        if method_id:
            return 'No removable MFA method with id %s found for user %s' % (method_id, upn)
        return 'No MFA methods found for user %s' % upn
    removed_ids = {id(m) for m in removable}
    if user.get('_mfaMethods') is not None:
        user['_mfaMethods'] = [m for m in user['_mfaMethods'] if id(m) not in removed_ids]
    user['_taps'] = [t for t in user.get('_taps') or [] if id(t) not in removed_ids]
    names = ', '.join(method_type(m) for m in removable)
    if method_id:
        return 'Successfully removed MFA method (%s) for user %s' % (names, upn)
    return 'Successfully removed MFA methods (%s) for user %s. User must supply MFA at next logon' % (names, upn)


def onedrive_url(tenant, user):
    """The user's OneDrive root as Set-CIPPOneDriveSharing derives it (drive webUrl minus /Documents)."""
    initial = str(tenant.row.get('initialDomainName') or tenant.row.get('defaultDomainName') or '')
    host = initial.split('.', maxsplit=1)[0]
    path = re.sub(r'[@.]', '_', str(user.get('userPrincipalName', '')).lower())
    return 'https://%s-my.sharepoint.com/personal/%s' % (host, path)


def set_onedrive_sharing(state, tenant_filter, user_ident, capability='Disabled'):
    """Set-CIPPOneDriveSharing: needs a provisioned OneDrive, i.e. a licensed member user."""
    try:
        tenant, user = require_user(state, tenant_filter, user_ident)
        if not user.get('assignedLicenses') or user.get('userType') == 'Guest':
            raise CippError("User's mysite not found.")
        user['_oneDriveSharing'] = capability
        return "Successfully set OneDrive sharing to '%s' for %s (%s)" % (capability, user_ident, onedrive_url(tenant, user))
    except CippError as exc:
        raise CippError('Failed to set OneDrive sharing for %s. Error: %s' % (user_ident, exc)) from None


def restore_deleted_user(tenant, ident):
    """POST directory/deletedItems/{id}/restore for a soft-deleted user: the UPN loses Graph's id prefix."""
    deleted = tenant.deleted.get(ident)
    if deleted is None or 'userPrincipalName' not in deleted:
        return None
    user = {k: v for k, v in deleted.items() if k != 'deletedDateTime'}
    prefix = str(user['id']).replace('-', '')
    upn = str(user['userPrincipalName'])
    if upn.lower().startswith(prefix.lower()):
        user['userPrincipalName'] = upn[len(prefix):]
    del tenant.deleted[ident]
    tenant.users[user['id']] = user
    return user


def clear_immutable_id(state, tenant_filter, user_ident, username=None):
    """Clear-CIPPImmutableId without a User object: GET (restoring a soft-deleted user on 404), then PATCH to null."""
    shown = username if username is not None else user_ident
    try:
        if not tenant_filter or state.resolve_tenant(tenant_filter) is None:
            return 'Successfully cleared immutable ID for user %s' % text_or_none(shown)  # the deny path only Write-Errors (C9)
        tenant = tenant_for(state, tenant_filter, 'Graph request')
        key = str(user_ident).split('#', 1)[0]  # users/$UserID, unencoded (C5)
        user = find_user(tenant, key) or restore_deleted_user(tenant, key)
        if user is None:
            raise CippError(graph_not_found(key))
        if user.get('onPremisesSyncEnabled') is True:
            raise CippError('Unable to update the specified properties for on-premises mastered Directory Sync objects or '
                            'objects currently undergoing migration.')
        user['onPremisesImmutableId'] = None
        return 'Successfully cleared immutable ID for user %s' % text_or_none(shown)
    except CippError as exc:
        raise CippError('Failed to clear immutable ID for %s. Error: %s' % (text_or_none(shown), exc)) from None


# ---------------------------------------------------------------------------------------------------------------
# MFA report (ListMFAUsers)
# ---------------------------------------------------------------------------------------------------------------

def tenant_has_premium(tenant):
    """Entra ID P1 is what the registration report needs; CA policies imply it too."""
    if tenant.ca_policies:
        return True
    return any(str(sku.get('skuPartNumber')) in PREMIUM_SKUS for sku in tenant.skus.values())


def registration(user):
    """(MFARegistration, MFACapable, MFAMethods) from `_mfaMethods`: None = not in the registration report."""
    methods = user.get('_mfaMethods')
    if methods is None:
        return None, None, []
    names = []
    for method in methods:
        name = METHOD_REGISTRATION_NAMES.get(method.get('@odata.type'))
        if name and name not in names:
            names.append(name)
    registered = any(m.get('@odata.type') not in NON_MFA_TYPES for m in methods)
    return registered, registered, names


def _groups_of(tenant, user_id):
    return {gid for gid, group in tenant.groups.items() if user_id in (group.get('_members') or [])}


def ca_rows(tenant, user):
    """CAPolicies for one user: enabled MFA policies that include the user (directly or 'All')."""
    rows = []
    user_groups = None
    for policy in tenant.ca_policies:
        if policy.get('state') != 'enabled' or not policy.get('requiresMfa', True):
            continue
        include = policy.get('includeUsers') or []
        if 'All' not in include and user['id'] not in include:
            continue
        excluded = user['id'] in (policy.get('excludeUsers') or [])
        row = {'DisplayName': policy.get('displayName'), 'UserIncluded': not excluded,
               'AllApps': bool(policy.get('allApps')), 'PolicyState': policy.get('state')}
        if not excluded and policy.get('excludeGroups'):
            user_groups = _groups_of(tenant, user['id']) if user_groups is None else user_groups
            hit = next((g for g in policy['excludeGroups'] if g in user_groups), None)
            if hit:
                row['UserIncluded'] = False
                row['ExcludedViaGroup'] = (tenant.groups.get(hit) or {}).get('displayName', hit)
        rows.append(row)
    return rows


def covered_by_ca(policies, report_available):
    enforced = [p for p in policies if p['UserIncluded'] and p['PolicyState'] == 'enabled']
    if enforced:
        return 'Enforced - All Apps' if any(p['AllApps'] for p in enforced) else 'Enforced - Specific Apps'
    return 'Not Enforced' if report_available else NO_REGISTRATION_REPORT


def mfa_rows(tenant):
    """Get-CIPPMFAState for one tenant, one row per user in Graph order."""
    report = tenant_has_premium(tenant)
    domain = tenant.row.get('defaultDomainName')
    rows = []
    for user in tenant.users.values():
        registered, capable, methods = registration(user) if report else (None, None, [])
        policies = ca_rows(tenant, user) if report else []
        upn = str(user.get('userPrincipalName') or '')
        rows.append({
            'Tenant': domain, 'ID': user['id'], 'UPN': upn, 'DisplayName': user.get('displayName'),
            'AccountEnabled': user.get('accountEnabled'), 'PerUser': user.get('_perUserMfa') or 'disabled',
            'isLicensed': bool(user.get('assignedLicenses')), 'MFARegistration': registered, 'MFACapable': capable,
            'MFAMethods': methods, 'CoveredByCA': covered_by_ca(policies, report), 'CAPolicies': policies,
            'CoveredBySD': bool(tenant.security_defaults), 'IsAdmin': bool(user.get('_isAdmin')),
            'UserType': user.get('userType'), 'RowKey': upn.replace('#', ''), 'PartitionKey': 'users',
        })
    return rows


def _mfa_cache(state):
    """CIPP's cachemfa table for AllTenants: {'filled': epoch, 'rows': [...]} or None."""
    return getattr(state, '_security_mfa_cache', None)


@endpoint('ListMFAUsers', 'Identity.User.Read')
def list_mfa_users(req):
    tenant_filter = req.q('tenantFilter')
    with req.state.lock:
        if eq_true(req.q('UseReportDB')):
            return _mfa_report_db(req.state, tenant_filter)
        if str(tenant_filter).lower() == 'alltenants':
            return _mfa_all_tenants(req.state)
        try:
            tenant = tenant_for(req.state, tenant_filter, 'Graph request')
        except CippError as exc:
            return Response.json([str(exc)], 403)
        return Response.json(mfa_rows(tenant))


def _mfa_report_db(state, tenant_filter):
    """Get-CIPPMFAStateReport: the nightly report DB, which the emulator keeps current; sorted by DisplayName."""
    if str(tenant_filter).lower() == 'alltenants':
        tenants = list(state.tenants.values())
    else:
        tenant = state.resolve_tenant(tenant_filter) if tenant_filter else None
        if tenant is None:
            return Response.json(['No MFA state data found in reporting database. Sync the report data first.'], 500)
        tenants = [tenant]
    stamp = iso(state.now())
    rows = []
    for tenant in tenants:
        tenant_rows = sorted(mfa_rows(tenant), key=lambda r: str(r.get('DisplayName') or '').lower())
        for row in tenant_rows:
            row['CacheTimestamp'] = stamp
        rows.extend(tenant_rows)
    return Response.json(rows)


def _mfa_all_tenants(state):
    """AllTenants without the report DB: a cache younger than 2 hours, else queue a refresh and say so.

    The emulator's queue finishes at once: the first call fills the cache with a snapshot and still answers with the
    loading row; later calls within 2 hours get that (possibly stale) snapshot."""
    cache = _mfa_cache(state)
    if cache and state.now() - cache['filled'] < MFA_CACHE_SECONDS:
        return Response.json(cache['rows'])
    rows = [row for tenant in state.tenants.values() for row in mfa_rows(tenant)]
    setattr(state, '_security_mfa_cache', {'filled': state.now(), 'rows': rows})
    return Response.json([{'UPN': 'Loading data for all tenants. Please check back in a few minutes'}])


# ---------------------------------------------------------------------------------------------------------------
# per-user MFA
# ---------------------------------------------------------------------------------------------------------------

@endpoint('ListPerUserMFA', 'Identity.User.Read')
def list_per_user_mfa(req):
    user_ident = req.q('userId')
    try:
        all_users = convert_to_bool(req.q('allUsers'))
    except ConvertBoolError:
        # The handler wraps Convert.ToBoolean in its own try and falls back to false.
        all_users = False
    with req.state.lock:
        try:
            tenant = req.state.resolve_tenant(req.q('tenantFilter')) if req.q('tenantFilter') else None
            if tenant is None:  # the deny path only Write-Errors: Graph returned nothing (C9)
                return Response.json([] if all_users else [{'PerUserMFAState': None, 'UserPrincipalName': user_ident}])
            if all_users:
                return Response.json([{'userPrincipalName': u.get('userPrincipalName'), 'id': u['id'],
                                       'perUserMfaState': u.get('_perUserMfa') or 'disabled'} for u in tenant.users.values()])
            if not user_ident:
                # GET /users/?$select=... lists everyone, so the single-user projection holds every state.
                states = [u.get('_perUserMfa') or 'disabled' for u in tenant.users.values()]
                return Response.json([{'PerUserMFAState': states, 'UserPrincipalName': None}])
            _unused, user = require_user(req.state, req.q('tenantFilter'), user_ident)  # users/$UserId unencoded (C5)
            return Response.json([{'PerUserMFAState': user.get('_perUserMfa') or 'disabled', 'UserPrincipalName': user_ident}])
        except CippError as exc:
            inner = 'Failed to get MFA State for %s : %s' % (text_or_none(user_ident), exc)
            # The helper's text is wrapped a second time by the entry point.
            return Response.json(['Failed to get MFA State for %s : %s' % (text_or_none(user_ident), inner)], 500)


@endpoint('ExecPerUserMFA', 'Identity.User.ReadWrite', write=True)
def exec_per_user_mfa(req):
    """Body only. Guests (#EXT# UPN) are addressed by userId. The Graph batch result is never checked."""
    upn = req.b('userPrincipalName')
    user_ident = req.b('userId') if '#ext#' in str(upn or '').lower() else upn
    raw_state = req.b('State')
    value = label_value(raw_state) if isinstance(raw_state, dict) and label_value(raw_state) else raw_state
    if not req.b('tenantFilter'):
        return results(["Cannot bind argument to parameter 'TenantFilter' because it is an empty string."], 500)
    if not user_ident:
        return results(["Cannot bind argument to parameter 'userId' because it is an empty string."], 500)
    if str(value).lower() not in ('enabled', 'disabled', 'enforced'):
        return results(["Cannot validate argument on parameter 'State'. The argument \"%s\" does not belong to the set "
                        "\"enabled,disabled,enforced\" specified by the ValidateSet attribute. Supply an argument that is in the "
                        "set and then try the command again." % text_or_none(value)], 500)
    with req.state.lock:
        tenant = req.state.resolve_tenant(req.b('tenantFilter'))
        user = find_user(tenant, user_ident) if tenant else None
        if user is not None:
            # Graph stores the state in lower case whatever casing was sent (assumption, see README).
            user['_perUserMfa'] = str(value).lower()
    return results(['Successfully set Per user MFA State for %s' % user_ident])


@endpoint('ExecResetMFA', 'Identity.User.ReadWrite', write=True)
def exec_reset_mfa(req):
    with req.state.lock:
        try:
            text = remove_user_mfa(req.state, req.b('tenantFilter'), req.b('ID'), req.b('MethodId') or None)
        except CippError as exc:
            return results(str(exc), 500)
    return results(text)


# Invoke-ExecSetDefaultMFAMethod's $ValidMethods: Graph's userPreferredMethodForSecondaryAuthentication values.
DEFAULT_MFA_METHODS = ('push', 'oath', 'voiceMobile', 'voiceAlternateMobile', 'voiceOffice', 'sms')


@endpoint('ExecSetDefaultMFAMethod', 'Identity.User.ReadWrite', write=True)
def exec_set_default_mfa_method(req):
    """Invoke-ExecSetDefaultMFAMethod: body only; 400 before Graph for a missing field or a method outside the six
    (PowerShell's -notin compares case-insensitively); PATCH beta signInPreferences on the escaped ID; 500 with
    Graph's error inside CIPP's text. Whether Graph refuses a method the user has not registered is **unverified**:
    the emulator accepts any of the six."""
    tenant_filter, user_ident = req.b('tenantFilter'), req.b('ID')
    method = req.b('MethodType')
    if isinstance(method, dict):
        method = method.get('value')
    if not user_ident or not tenant_filter or not method:
        return results(['tenantFilter, ID and MethodType are required'], 400)
    canonical = next((name for name in DEFAULT_MFA_METHODS if name.lower() == str(method).lower()), None)
    if canonical is None:
        return results(["'%s' is not a valid default MFA method. Valid values are: %s" % (method, ', '.join(DEFAULT_MFA_METHODS))], 400)
    with req.state.lock:
        try:
            _tenant, user = require_user(req.state, tenant_filter, user_ident, encoded=True)
        except CippError as exc:
            return results(['Failed to set the default MFA method for user %s. Error: %s' % (user_ident, exc)], 500)
        preferences = dict(user.get('_signInPreferences') or {})
        preferences['userPreferredMethodForSecondaryAuthentication'] = canonical
        user['_signInPreferences'] = preferences
    return results(['Successfully set the default MFA method to %s for user %s' % (method, user_ident)])


def _campaign_targets(body, include):
    """Invoke-ExecRegistrationCampaign's include/exclude lists: None keeps what is configured."""
    groups, users = body.get('includeGroups' if include else 'excludeGroups'), body.get('includeUsers' if include else 'excludeUsers')
    # [bool]$Request.Body.includeAllUsers: PowerShell's cast, so any non-empty string (even 'false') is true.
    if include and body.get('includeAllUsers') is not None and bool(body.get('includeAllUsers')):
        return [{'id': 'all_users', 'targetType': 'group'}]
    specified = groups is not None or users is not None or (include and body.get('includeAllUsers') is not None)
    if not specified:
        return None

    def as_list(value):  # PowerShell's @(...)
        return value if isinstance(value, list) else [value]

    return ([{'id': str(gid), 'targetType': 'group'} for gid in as_list(groups) if gid] +
            [{'id': str(uid), 'targetType': 'user'} for uid in as_list(users) if uid])


def set_registration_campaign(tenant, body):
    """Set-CIPPRegistrationCampaign: what is not given keeps the current value; PATCH beta authenticationMethodsPolicy."""
    policy = copy.deepcopy(authentication_methods_policy(tenant))
    current = policy['registrationEnforcement']['authenticationMethodsRegistrationCampaign']

    def value(name):
        return body[name].get('value') if isinstance(body.get(name), dict) else body.get(name)

    state = value('state') if value('state') is not None else current.get('state')
    method = value('targetedAuthenticationMethod') or next(
        (t.get('targetedAuthenticationMethod') for t in current.get('includeTargets') or []), None) or 'microsoftAuthenticator'
    snooze = int(body['snoozeDurationInDays']) if body.get('snoozeDurationInDays') is not None else int(current.get('snoozeDurationInDays') or 1)
    enforce = (bool(body['enforceRegistrationAfterAllowedSnoozes'])
               if body.get('enforceRegistrationAfterAllowedSnoozes') is not None else bool(current.get('enforceRegistrationAfterAllowedSnoozes')))
    if state not in ('default', 'enabled', 'disabled'):
        raise CippError("State must be one of 'default', 'enabled' or 'disabled'")
    if method not in ('microsoftAuthenticator', 'fido2'):
        raise CippError("TargetedAuthenticationMethod must be 'microsoftAuthenticator' or 'fido2'")
    include = _campaign_targets(body, True)
    include = [dict(t, targetedAuthenticationMethod=method) for t in (include if include is not None else current.get('includeTargets') or [])]
    if not include:
        include = [{'id': 'all_users', 'targetType': 'group', 'targetedAuthenticationMethod': method}]
    exclude = _campaign_targets(body, False)
    exclude = [{'id': t['id'], 'targetType': t['targetType']} for t in (exclude if exclude is not None else current.get('excludeTargets') or [])]
    policy['registrationEnforcement']['authenticationMethodsRegistrationCampaign'] = {
        'state': state, 'snoozeDurationInDays': snooze, 'enforceRegistrationAfterAllowedSnoozes': enforce,
        'includeTargets': include, 'excludeTargets': exclude}
    tenant.auth_methods_policy = policy
    return ('Set the registration campaign state to %s targeting %s with a snooze duration of %d day(s), %d include target(s) and '
            '%d exclude target(s)' % (state, method, snooze, len(include), len(exclude)))


@endpoint('ExecRegistrationCampaign', 'Tenant.Administration.ReadWrite', write=True)
def exec_registration_campaign(req):
    """Invoke-ExecRegistrationCampaign: body only; 400 without tenantFilter or with a snooze outside 0-14; every other
    failure (Set-CIPPRegistrationCampaign throws) is a 500 with the text; success 200 ``{Results: text}``."""
    body = req.body if isinstance(req.body, dict) else {}
    tenant_filter = body.get('tenantFilter')
    if isinstance(tenant_filter, dict):
        tenant_filter = tenant_filter.get('value')
    if not tenant_filter:
        return results('Error: tenantFilter is required', 400)
    snooze = body.get('snoozeDurationInDays')
    try:
        if snooze is not None and not 0 <= int(snooze) <= 14:
            return results('Error: snoozeDurationInDays must be between 0 and 14', 400)
    except (TypeError, ValueError):
        return results('Cannot convert value "%s" to type "System.Int32".' % snooze, 500)
    with req.state.lock:
        tenant = req.state.resolve_tenant(tenant_filter)
        if tenant is None:
            return results("Could not get the current registration campaign. Error: Graph request denied for '%s': the tenant is not in "
                           "CIPP's tenant list." % text_or_none(tenant_filter), 500)
        try:
            text = set_registration_campaign(tenant, body)
        except (CippError, ValueError) as exc:
            return results(str(exc), 500)
    return results(text)


def _ensure_mfa_connector(state, tenant):
    """ExecSendPush creates the MFA connector service principal when the tenant lacks it (a visible side effect)."""
    if any(app.get('appId') == MFA_CONNECTOR_APP_ID for app in tenant.apps):
        return
    tenant.apps.append({'id': str(uuid.uuid4()), 'displayName': 'Azure Multi-Factor Auth Connector', 'appId': MFA_CONNECTOR_APP_ID,
                        'appDisplayName': 'Azure Multi-Factor Auth Connector', 'publisher': 'Microsoft Services',
                        'createdDateTime': iso(state.now())})


@endpoint('ExecSendPush', 'Identity.User.Read', write=True)
def exec_send_push(req):
    """Always 200. Succeeds for users with Microsoft Authenticator registered; everything else is the failure text."""
    email = req.b('UserEmail')
    with req.state.lock:
        tenant = req.state.resolve_tenant(req.b('TenantFilter')) if req.b('TenantFilter') else None
        if tenant is None:
            # The service-principal lookup is outside any try block: the router's 500 with the raw message.
            return Response.text("Graph request denied for '%s': the tenant is not in CIPP's tenant list." % text_or_none(req.b('TenantFilter')), 500)
        _ensure_mfa_connector(req.state, tenant)
        user = find_user(tenant, email)
        has_push = user is not None and any(m.get('@odata.type') == '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod'
                                            for m in user.get('_mfaMethods') or [])
    if has_push:
        return results({'resultText': 'Received an MFA confirmation: Success', 'state': 'success'})
    code = 'UserNotFound' if user is None else 'NoDefaultAuthenticationMethodIsConfigured'
    return results({'resultText': 'Authentication Failed! Does the user have Push/Phone call MFA configured? ErrorCode: %s' % code,
                    'state': 'error'})


# ---------------------------------------------------------------------------------------------------------------
# TAP, password, sessions, immutable id, password policy
# ---------------------------------------------------------------------------------------------------------------

def _new_tap_code():
    alphabet = string.ascii_letters + string.digits + '!@#$%&*+=?'
    return ''.join(_RANDOM.choice(alphabet) for _unused in range(8))


def create_tap(state, tenant_filter, user_ident, lifetime=None, usable_once=False, start=None):
    """New-CIPPTAP: POST temporaryAccessPassMethods with the Graph-side rules (policy range, one usable pass, guests)."""
    try:
        _unused, user = require_user(state, tenant_filter, user_ident, quiet=True)
        if user is None:
            # The POST went nowhere (deny path, C9): New-CIPPTAP builds its answer from a null response.
            return {'resultText': 'The TAP for %s is  - This TAP is usable for the next  minutes' % user_ident, 'userId': user_ident,
                    'copyField': None, 'temporaryAccessPass': None, 'lifetimeInMinutes': None, 'startDateTime': None,
                    'isUsableOnce': None, 'state': 'success'}
        if user.get('userType') == 'Guest' and '#ext#' in str(user.get('userPrincipalName', '')).lower():
            raise CippError('Temporary Access Pass cannot be added to an external guest user.')
        minutes = int(float(lifetime)) if lifetime not in (None, '') else TAP_DEFAULT_MINUTES
        if not TAP_MIN_MINUTES <= minutes <= TAP_MAX_MINUTES:
            raise CippError('The lifetimeInMinutes value %d is outside the range allowed by the Temporary Access Pass policy '
                            '(%d-%d minutes).' % (minutes, TAP_MIN_MINUTES, TAP_MAX_MINUTES))
        start_ts = parse_time(start) if start not in (None, '') else None
        if start not in (None, '') and start_ts is None:
            raise CippError('Cannot convert value "%s" to type "System.DateTime".' % start)
        now = state.now()
        live = [t for t in user.get('_taps') or [] if t['_expiresAt'] > now]
        if live:
            raise CippError('The user already has a Temporary Access Pass. Delete the existing pass before creating a new one.')
        begin = start_ts if start_ts is not None else now
        tap = {'@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethod', 'id': str(uuid.uuid4()),
               'temporaryAccessPass': _new_tap_code(), 'createdDateTime': iso(now), 'startDateTime': iso(begin),
               'lifetimeInMinutes': minutes, 'isUsableOnce': bool(usable_once), 'isUsable': begin <= now,
               'methodUsabilityReason': 'EnabledByPolicy' if begin <= now else 'NotYetValid',
               '_expiresAt': begin + minutes * 60}
        # Expired passes are replaced (Graph overwrites them).
        user['_taps'] = [tap]
    except (CippError, ValueError) as exc:
        raise CippError('Failed to create Temporary Access Pass (TAP) for %s: %s' % (text_or_none(user_ident), exc)) from None
    text = 'The TAP for %s is %s - This TAP is usable for the next %d minutes' % (user_ident, tap['temporaryAccessPass'], minutes)
    if usable_once:
        text += ' (one-time use only)'
    if start_ts is not None:
        text += ' starting at %s UTC' % datetime.fromtimestamp(begin, timezone.utc).strftime('%Y-%m-%d %H:%M:%S')
    return {'resultText': text, 'userId': user_ident, 'copyField': tap['temporaryAccessPass'],
            'temporaryAccessPass': tap['temporaryAccessPass'], 'lifetimeInMinutes': minutes, 'startDateTime': tap['startDateTime'],
            'isUsableOnce': bool(usable_once), 'state': 'success'}


@endpoint('ExecCreateTAP', 'Identity.User.ReadWrite', write=True)
def exec_create_tap(req):
    user_ident = req.qb('ID')
    usable_once = eq_true(req.q('isUsableOnce')) or eq_true(req.b('isUsableOnce'))
    with req.state.lock:
        try:
            tap = create_tap(req.state, req.qb('tenantFilter'), user_ident, req.qb('lifetimeInMinutes'), usable_once,
                             req.qb('startDateTime'))
        except CippError as exc:
            return results(str(exc), 500)
    return results([tap, {'resultText': 'User ID: %s' % text_or_none(user_ident), 'copyField': user_ident, 'state': 'success'}])


@endpoint('ExecResetPass', 'Identity.User.ReadWrite', write=True)
def exec_reset_pass(req):
    """MustChange goes through Convert.ToBoolean before the try block (missing = false, bad text = router 500)."""
    user_ident = req.qb('ID')
    display_name = req.qb('displayName') if req.qb('displayName') is not None else user_ident
    must_change = convert_to_bool(req.qb('MustChange'))
    with req.state.lock:
        try:
            item = reset_password(req.state, req.qb('tenantFilter'), user_ident, display_name, must_change)
        except CippError as exc:
            return results(str(exc), 500)
    return results(item)


@endpoint('ExecRevokeSessions', 'Identity.User.ReadWrite', write=True)
def exec_revoke_sessions(req):
    with req.state.lock:
        try:
            text = revoke_sessions(req.state, req.qb('tenantFilter'), req.qb('id'), req.qb('Username'))
        except CippError as exc:
            return results(str(exc), 500)
    return results(text)


@endpoint('ExecClrImmId', 'Identity.User.ReadWrite', write=True)
def exec_clear_immutable_id(req):
    with req.state.lock:
        try:
            text = clear_immutable_id(req.state, req.qb('tenantFilter'), req.qb('ID'))
        except CippError as exc:
            return results(str(exc), 500)
    return results(text)


def _coalesce(*values):
    """PowerShell's `??` chain: the first value that is not null."""
    return next((v for v in values if v is not None), None)


def valid_password_policy(value):
    tokens = [t.strip().lower() for t in str(value).split(',')]
    return all(t in PASSWORD_POLICY_TOKENS for t in tokens) and ('none' not in tokens or len(tokens) == 1)


@endpoint('ExecPasswordNeverExpires', 'Identity.User.ReadWrite', write=True)
def exec_password_never_expires(req):
    """Body only. A blank userId makes the handler `exit` (empty 200, see README)."""
    user_ident = req.b('userId')
    if not str(user_ident or '').strip():
        return Response.empty()
    raw = req.b('PasswordPolicy')
    as_object = raw if isinstance(raw, dict) else {}
    # `.value ?? $raw ?? 'None'` for the policy, `.label ?? .value ?? $raw` for the message.
    policy = _coalesce(as_object.get('value'), raw, 'None')
    name = _coalesce(as_object.get('label'), as_object.get('value'), raw)
    upn = text_or_none(req.b('userPrincipalName'))
    with req.state.lock:
        try:
            _unused, user = require_user(req.state, req.b('tenantFilter'), user_ident, quiet=True)
            if user is not None:
                if not isinstance(policy, str) or not valid_password_policy(policy):
                    raise CippError("Invalid value specified for property 'passwordPolicies' of resource 'User'.")
                user['passwordPolicies'] = policy
        except CippError as exc:
            return results(['Failed to set PasswordPolicy for user %s to %s. Error: %s' % (upn, text_or_none(name), exc)], 500)
    return results(['Successfully set PasswordPolicy for user %s to %s' % (upn, text_or_none(name))])


# ---------------------------------------------------------------------------------------------------------------
# BEC check and remediation
# ---------------------------------------------------------------------------------------------------------------

def _bec_settings(state):
    """How a BEC run finishes: after `polls` GUID polls (default 2: the second poll gets the report) or, when set,
    once `seconds` have passed since it started. Changed through the `bec/config` control."""
    settings = getattr(state, '_security_bec_settings', None)
    if settings is None:
        settings = {'polls': 2, 'seconds': None}
        setattr(state, '_security_bec_settings', settings)
    return settings


def ps_long_date(ts):
    """A DateTime piped through Out-String (invariant culture, trailing newline dropped): 'Sunday, 22 November 2026 18:00:00'."""
    return datetime.fromtimestamp(float(ts), timezone.utc).strftime('%A, %d %B %Y %H:%M:%S')


def ps_now_json(ts):
    """(Get-Date) as ConvertTo-Json writes it: 7-digit fraction and the UTC offset."""
    stamp = datetime.fromtimestamp(float(ts), timezone.utc)
    return stamp.strftime('%Y-%m-%dT%H:%M:%S.') + '%07d' % (stamp.microsecond * 10) + '+00:00'


def _signin_row(signin, with_user):
    ts = parse_time(signin.get('createdDateTime'))
    row = {'CreatedDateTime': ps_long_date(ts) if ts is not None else signin.get('createdDateTime'), 'id': signin.get('id'),
           'AppDisplayName': signin.get('resourceDisplayName'),
           # CIPP's test `$x -eq 'Success' -or 'Not Applied'` is always true, so only the error code counts.
           'Status': 'Success' if (signin.get('status') or {}).get('errorCode') == 0 else 'Failed',
           'IPAddress': signin.get('ipAddress')}
    if with_user:
        row.update(UserPrincipalName=signin.get('userPrincipalName'), UserDisplayName=signin.get('userDisplayName'))
    return row


def _signins_desc(tenant):
    return sorted(tenant.signins, key=lambda s: parse_time(s.get('createdDateTime')) or 0, reverse=True)


def _rule_events(tenant, user_id, upn, since):
    """The unified audit log's New-InboxRule events, rebuilt from the rules' creation times (`_createdAt`)."""
    events = []
    for rule in tenant.inbox_rules.get(user_id, []):
        created = rule.get('_createdAt')
        if created is None or created < since:
            continue
        params = []
        for key in ('From', 'SubjectContainsWords', 'ForwardTo', 'RedirectTo', 'MoveToFolder', 'MarkAsRead', 'DeleteMessage',
                    'StopProcessingRules'):
            value = rule.get(key)
            if value in (None, [], False, ''):
                continue
            params.append('%s=%s' % (key, ';'.join(value) if isinstance(value, list) else ps_bool_text(value)
                                     if isinstance(value, bool) else value))
        events.append({'Operation': 'New-InboxRule', 'UserKey': upn, 'RuleName': rule.get('Name'),
                       'Parameters': '; '.join(params), 'Date': iso(created)})
    return events


def _permission_events(tenant, since):
    events = []
    for user_id, mailbox in tenant.mailboxes.items():
        owner = (tenant.users.get(user_id) or {}).get('userPrincipalName')
        for perm in mailbox.get('Permissions', []):
            if (perm.get('_addedAt') or 0) >= since:
                events.append({'Operation': 'Add-MailboxPermission', 'UserKey': perm.get('_grantedBy') or 'Unknown',
                               'ObjectId': owner, 'Permissions': perm.get('AccessRights')})
    return events


def _intune_devices(tenant, user_id):
    rows = []
    for device in tenant.devices.get(user_id, []):
        if not device.get('EPMID'):
            continue
        rows.append({'id': device.get('EPMID'), 'deviceName': device.get('displayName'),
                     'operatingSystem': device.get('operatingSystem'), 'osVersion': device.get('operatingSystemVersion'),
                     'complianceState': 'compliant' if device.get('isCompliant') else 'noncompliant',
                     'enrolledDateTime': device.get('createdDateTime'), 'lastSyncDateTime': device.get('approximateLastSignInDateTime'),
                     'deviceEnrollmentType': device.get('enrollmentType'), 'manufacturer': device.get('manufacturer'),
                     'model': device.get('model'), 'serialNumber': device.get('serialNumber'),
                     'userPrincipalName': (tenant.users.get(user_id) or {}).get('userPrincipalName'),
                     'managedDeviceOwnerType': 'company' if device.get('deviceOwnership') == 'Company' else 'personal'})
    return rows


def build_bec_report(state, tenant, user_ident, username):
    """Push-BECRun's report object, built from the tenant's current state."""
    now = state.now()
    since = now - BEC_WINDOW
    user = find_user(tenant, user_ident) or {}
    user_id = user.get('id')
    rule_events = _rule_events(tenant, user_id, username, since) if user_id else []
    recent = {str(e['RuleName']).rsplit('\\', maxsplit=1)[-1] for e in rule_events}
    _unused, mailbox = find_mailbox(tenant, username)
    rules = []
    if mailbox is not None:
        for rule in visible_rules(tenant, user_id):
            row = public(rule)
            row['RecentlyChanged'] = rule.get('Name') in recent
            rules.append(row)
    last = [s for s in _signins_desc(tenant) if s.get('userId') == user_ident][:1]
    logons = [s for s in _signins_desc(tenant) if s.get('userDisplayName') != SYNC_ACCOUNT_NAME][:50]
    sent = [m for m in (mailbox or {}).get('_sentMessages', []) if (parse_time(m.get('Received')) or 0) >= since]
    users = list(tenant.users.values())
    return {
        'AddedApps': [{k: a.get(k) for k in ('displayName', 'createdDateTime', 'appId', 'appDisplayName', 'publisher')}
                      for a in tenant.apps if (parse_time(a.get('createdDateTime')) or 0) >= since],
        'SuspectUserMailboxLogons': [_signin_row(s, True) for s in logons],
        'LastSuspectUserLogon': [_signin_row(s, False) for s in last],
        'SuspectUserDevices': [public(d) for d in tenant.mobile_devices.get(user_id, [])] if user_id else [],
        'NewRules': rules,
        'InboxRuleChanges': rule_events,
        'SentMessages': [{'MessageTraceId': m.get('MessageTraceId'), 'Status': m.get('Status'), 'Subject': m.get('Subject'),
                          'RecipientAddress': m.get('RecipientAddress'),
                          'Received': datetime.fromtimestamp(parse_time(m.get('Received')), timezone.utc).strftime('%Y-%m-%d %H:%M:%SZ'),
                          'FromIP': m.get('FromIP')} for m in sent],
        'MailboxPermissionChanges': _permission_events(tenant, since),
        'NewUsers': [_user_summary(u) for u in users if (parse_time(u.get('createdDateTime')) or 0) >= since],
        'MFADevices': [m for m in authentication_methods(user, now) if m['@odata.type'] != PASSWORD_TYPE] if user else [],
        'ChangedPasswords': [_user_summary(u) for u in users if _password_changed_at(u) >= since],
        'IntuneDevices': _intune_devices(tenant, user_id) if user_id else [],
        'IntuneDevicesError': None,
        'ExtractedAt': ps_now_json(now),
        'ExtractResult': 'Successfully extracted logs from auditlog',
    }


def _password_changed_at(user):
    return user.get('_lastPasswordChange') or parse_time(user.get('lastPasswordChangeDateTime')) or 0


def _user_summary(user):
    changed = _password_changed_at(user)
    return {'id': user.get('id'), 'displayName': user.get('displayName'), 'userPrincipalName': user.get('userPrincipalName'),
            'createdDateTime': user.get('createdDateTime'),
            'lastPasswordChangeDateTime': user.get('lastPasswordChangeDateTime') or (iso(changed) if changed else None)}


def _bec_exception(message):
    """Get-CippException's object for the error that ended a BEC run."""
    return {'Message': message, 'NormalizedError': message, 'RawError': 'Not available',
            'Position': 'At /home/site/wwwroot/Modules/CIPPActivityTriggers/Public/Entrypoints/Activity Triggers/BEC/Push-BECRun.ps1',
            'StackTrace': 'at Push-BECRun', 'ScriptName': '/home/site/wwwroot/Modules/CIPPActivityTriggers/Public/Entrypoints/'
            'Activity Triggers/BEC/Push-BECRun.ps1', 'LineNumber': 'Not available', 'Category': 'NotSpecified: (:) [], RuntimeException'}


def _empty_bec_report(state):
    """Push-BECRun against a tenant CIPP does not manage: every helper only Write-Errors on the deny path, so each
    section is empty and the run completes (CONTRACT 0.1 C9)."""
    return {'AddedApps': [], 'SuspectUserMailboxLogons': [], 'LastSuspectUserLogon': [], 'SuspectUserDevices': [], 'NewRules': [],
            'InboxRuleChanges': [], 'SentMessages': [], 'MailboxPermissionChanges': [], 'NewUsers': [], 'MFADevices': [],
            'ChangedPasswords': [], 'IntuneDevices': [], 'IntuneDevicesError': 'Intune device query did not return a response',
            'ExtractedAt': ps_now_json(state.now()), 'ExtractResult': 'Successfully extracted logs from auditlog'}


def _finish_bec(state, key, entry):
    """Run the queued BECRun now (Push-BECRun.ps1). Without a tenant or a user id it returns at once and nothing is
    stored (the row stays Waiting). A failure inside the run (the `bec/failure` control, or a seeded user whose report
    is too big for the table row) stores {Results: <error>, Exception, ExtractedAt} with Status Error (C4)."""
    tenant_filter = entry.get('_tenantFilter')
    if not tenant_filter or not key:
        return False
    failure = state.bec_failures.get(str(key).lower())
    if failure is not None:
        entry.update(Status='Error', Report={'Results': failure, 'Exception': _bec_exception(failure),
                                             'ExtractedAt': ps_now_json(state.now())})
        return True
    tenant = state.resolve_tenant(tenant_filter)
    if tenant is None:
        entry.update(Status='Completed', Tenant=None, Report=_empty_bec_report(state))
        return True
    entry.update(Status='Completed', Tenant=tenant.row.get('customerId'),
                 Report=build_bec_report(state, tenant, key, entry.get('_userName')))
    return True


def _bec_due(state, entry):
    settings = _bec_settings(state)
    if settings.get('seconds') is not None and state.now() - entry['StartedAt'] >= float(settings['seconds']):
        return True
    return entry.get('_polls', 0) >= int(settings.get('polls') or 1)


@endpoint('ExecBECCheck', 'Identity.User.Read')
def exec_bec_check(req):
    """Query only. The cache is keyed by userid alone (not per tenant); the GUID handed back is that userid."""
    userid = req.q('userid')
    key = userid if userid is not None else req.q('GUID')
    with req.state.lock:
        cache = req.state.bec_cache
        entry = cache.get(key) if key is not None else None
        empty = entry is None or entry.get('Report') is None
        if (empty and (entry is None or entry.get('Status') != 'Waiting')) or eq_true(req.q('overwrite')):
            if userid is not None:
                cache[userid] = {'Status': 'Waiting', 'Report': None, 'Tenant': None, 'StartedAt': req.state.now(), '_polls': 0,
                                 '_tenantFilter': req.q('tenantFilter'), '_userName': req.q('userName')}
            return Response.json({'GUID': userid})
        if not req.q('GUID'):
            return Response.json({'GUID': userid})
        if entry.get('Status') == 'Waiting':
            entry['_polls'] = entry.get('_polls', 0) + 1
            if not _bec_due(req.state, entry) or not _finish_bec(req.state, key, entry):
                return Response.json({'Waiting': True})
        return Response.json(entry['Report'])


def bec_finish_hook(state, body=None):
    """Control `bec/finish`: complete waiting runs now (all, or only body['userid'])."""
    only = (body or {}).get('userid') if isinstance(body, dict) else None
    finished = []
    with state.lock:
        for key, entry in state.bec_cache.items():
            if entry.get('Status') == 'Waiting' and (only is None or key == only) and _finish_bec(state, key, entry):
                finished.append(key)
    return {'finished': finished}


def bec_config_hook(state, body=None):
    """Control `bec/config`: {"polls": n} and/or {"seconds": s} (null clears the time rule)."""
    settings = _bec_settings(state)
    body = body if isinstance(body, dict) else {}
    with state.lock:
        if 'polls' in body:
            settings['polls'] = max(1, int(body['polls']))
        if 'seconds' in body:
            settings['seconds'] = None if body['seconds'] is None else float(body['seconds'])
    return dict(settings)


def bec_failure_hook(state, body=None, method='POST'):
    """Control `bec/failure`: {"userid", "message"} makes that user's next BEC runs fail with `message` (the text
    Push-BECRun's catch stores, after Get-NormalizedError); DELETE clears them all (the seeded one included)."""
    body = body if isinstance(body, dict) else {}
    with state.lock:
        if method == 'DELETE':
            state.bec_failures = {}
        elif method != 'GET':
            state.bec_failures[str(body['userid']).lower()] = str(body.get('message') or 'The emulator was told to fail this BEC run.')
        return dict(state.bec_failures)


bec_failure_hook.wants_method = True
CONTROL_HOOKS['bec/failure'] = bec_failure_hook
CONTROL_HOOKS['bec/finish'] = bec_finish_hook
CONTROL_HOOKS['bec/config'] = bec_config_hook


def mfa_register_hook(state, body=None):
    """Control `mfa/register`: {"tenant", "user"} - the user registers the Microsoft Authenticator app, as a person does
    at https://aka.ms/mysecurityinfo (not through CIPP). A pass the user holds stays; Graph's report then counts them as
    registered."""
    body = body if isinstance(body, dict) else {}
    with state.lock:
        tenant = state.resolve_tenant(body.get('tenant'))
        user = find_user(tenant, body.get('user')) if tenant else None
        if user is None:
            raise ValueError('mfa/register: no user %r in tenant %r' % (body.get('user'), body.get('tenant')))
        method = {'@odata.type': '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod', 'id': str(uuid.uuid4()),
                  'displayName': 'Registered phone', 'deviceTag': 'SoftwareTokenActivated', 'phoneAppVersion': '6.8.1',
                  'createdDateTime': iso(state.now())}
        user['_mfaMethods'] = list(user.get('_mfaMethods') or []) + [method]
        return {'id': method['id']}


CONTROL_HOOKS['mfa/register'] = mfa_register_hook


def _disable_rules_step(state, tenant_filter, username):
    """Step 5 of remediation: disable every non-system rule; delegate rules are expected to refuse."""
    try:
        tenant = tenant_for(state, tenant_filter)
        user_id, _unused = find_mailbox(tenant, username)
        if user_id is None:
            raise CippError("The operation couldn't be performed because object '%s' couldn't be found." % text_or_none(username))
    except CippError as exc:
        return [{'resultText': 'Failed to process inbox rules: %s' % exc, 'state': 'error'}]
    all_rules = tenant.inbox_rules.get(user_id, [])
    if not all_rules:
        return [{'resultText': 'No Inbox Rules found for %s.' % username, 'state': 'info'}]
    rules = visible_rules(tenant, user_id)
    if not rules:
        return [{'resultText': 'Found %d inbox rules for %s, but none require disabling (only system rules found).'
                               % (len(all_rules), username), 'state': 'info'}]
    disabled, skipped, failures = 0, 0, []
    for rule in rules:
        try:
            set_rule_state(state, tenant_filter, username, rule.get('Identity'), rule.get('Name'), False)
            disabled += 1
        except CippError as exc:
            if re.match(r'^Delegate Rule -\d+$', str(rule.get('Name'))):
                skipped += 1
            else:
                failures.append("Could not disable rule '%s': %s" % (rule.get('Name'), exc))
    items = []
    if disabled:
        items.append({'resultText': 'Successfully disabled %d inbox rules for %s' % (disabled, username), 'state': 'success'})
    elif skipped and not failures:
        items.append({'resultText': 'No processable inbox rules found for %s' % username, 'state': 'info'})
    if failures:
        items.append({'resultText': 'Failed to process %d inbox rules for %s' % (len(failures), username), 'state': 'warning'})
        items.extend({'resultText': text, 'state': 'error'} for text in failures)
    return items


def _step(items, func, failure_prefix, state_of=None):
    """Run one remediation step in its own try, as ExecBECRemediate does."""
    try:
        text = func()
    except CippError as exc:
        items.append({'resultText': '%s%s' % (failure_prefix, exc), 'state': 'error'})
        return
    if isinstance(text, dict):
        items.append(text)
    else:
        items.append({'resultText': text, 'state': state_of(text) if state_of else 'success'})


@endpoint('ExecBECRemediate', 'Identity.User.ReadWrite', write=True)
def exec_bec_remediate(req):
    """Body only: the six steps of CONTRACT 8.2 in order, each reported as a result item; always 200."""
    tenant_filter, userid, username = req.b('tenantFilter'), req.b('userid'), req.b('username')
    state = req.state
    items = []
    with state.lock:
        _step(items, lambda: reset_password(state, tenant_filter, username, force_change=True), 'Failed to reset password: ')
        _step(items, lambda: set_sign_in_state(state, tenant_filter, username, False), 'Failed to disable account: ',
              lambda t: 'warning' if 'WARNING' in t else 'success')
        _step(items, lambda: revoke_sessions(state, tenant_filter, userid, username), 'Failed to revoke sessions: ',
              lambda t: 'error' if 'Failed' in t else 'success')
        _step(items, lambda: remove_user_mfa(state, tenant_filter, username), 'Failed to remove MFA methods: ',
              lambda t: 'info' if 'No MFA methods' in t else 'success' if 'Successfully' in t else 'error')
        items.extend(_disable_rules_step(state, tenant_filter, username))
        _step(items, lambda: set_onedrive_sharing(state, tenant_filter, username), 'Failed to disable OneDrive sharing: ',
              lambda t: 'success' if 'Successfully' in t else 'error')
    return results(items)
