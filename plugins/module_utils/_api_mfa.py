# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API layer: MFA (CONTRACT 5.8, 5.9, 5.21, 5.23-5.25, with 0.1 C5 and C7).

Per-user calls take the object id: CIPP builds Graph URLs from them without encoding (C5).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.module_utils._api_graph import graph_get, graph_request

PASSWORD_METHOD = '#microsoft.graph.passwordauthenticationmethod'
TAP_METHOD = '#microsoft.graph.temporaryaccesspassauthenticationmethod'
# ExecSetDefaultMFAMethod's \$ValidMethods (Graph's userPreferredMethodForSecondaryAuthentication values).
DEFAULT_METHODS = ('push', 'oath', 'voiceMobile', 'voiceAlternateMobile', 'voiceOffice', 'sms')


def list_mfa_users(client, tenant):
    """One row per user: ``ID``, ``UPN``, ``PerUser``, ``MFARegistration`` (true/false, or null when the tenant has
    no Entra ID P1 report: unknown, C7), ``MFAMethods``, ``CoveredByCA``, ``CoveredBySD``, ``IsAdmin``, ...

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Reports/Invoke-ListMFAUsers.ps1`` ->
    ``Modules/CIPPCore/Public/Get-CIPPMFAState.ps1``.
    """
    rows = client.call('ListMFAUsers', tenant=tenant)
    # Anything but a list (an error text) is passed on as one row, for the caller to report.
    return rows if isinstance(rows, list) else [] if rows is None else [rows]


def batch_mfa_users(client, tenants):
    """ListMFAUsers for many tenants through CIPP's ``$batch`` (20 per call): ``[{'status', 'body'}]`` in order."""
    return client.batch([('ListMFAUsers', {'tenantFilter': name}) for name in tenants])


def mfa_row(client, tenant, user_id):
    for row in list_mfa_users(client, tenant):
        if isinstance(row, dict) and str(row.get('ID') or '').lower() == user_id.lower():
            return row
    return None


def authentication_methods_request(user_id):
    """The read authentication_methods makes, as ``(endpoint name, parameters)`` for read_together."""
    return graph_request('users/%s/authentication/methods' % user_id)


def method_short_type(odata_type):
    """``#microsoft.graph.phoneAuthenticationMethod`` -> ``phone`` (the name cipp_mfa's options and results use)."""
    name = str(odata_type or '').rsplit('.', 1)[-1]
    return name[:-len('AuthenticationMethod')] if name.endswith('AuthenticationMethod') else (name or None)


def authentication_methods(client, tenant, user_id):
    """The user's registered methods from Graph, whatever the tenant's licences (C7), password excluded.

    ListGraphRequest ``users/{id}/authentication/methods`` (see _api_graph); CIPP reads them the same way in
    ``Modules/CIPPCore/Public/Remove-CIPPUserMFA.ps1``. Each is ``{id, type, short_type, created, name, display_name,
    device_tag, phone_number, phone_type, email_address, tap}``: ``type`` is Graph's ``@odata.type`` without the namespace
    (``microsoftAuthenticatorAuthenticationMethod``), ``short_type`` without the suffix (``microsoftAuthenticator``);
    ``tap`` is the state of a Temporary Access Pass (never the pass: Graph returns it only from the POST that made it).
    """
    methods = []
    for row in graph_get(client, tenant, 'users/%s/authentication/methods' % user_id):
        kind = str(row.get('@odata.type') or '')
        if kind.lower() == PASSWORD_METHOD:
            continue
        methods.append({'id': row.get('id'), 'type': kind.rsplit('.', 1)[-1] or None, 'short_type': method_short_type(kind),
                        'created': row.get('createdDateTime'),
                        'name': row.get('displayName') or row.get('deviceTag') or row.get('phoneNumber') or row.get('emailAddress'),
                        'display_name': row.get('displayName'), 'device_tag': row.get('deviceTag'),
                        'phone_number': row.get('phoneNumber'), 'phone_type': row.get('phoneType'),
                        'email_address': row.get('emailAddress'),
                        'tap': _tap_state(row) if kind.lower() == TAP_METHOD else None})
    return methods


def _tap_state(row):
    return {'start': row.get('startDateTime'), 'lifetime_minutes': row.get('lifetimeInMinutes'),
            'usable_once': row.get('isUsableOnce'), 'is_usable': row.get('isUsable'),
            'usability_reason': row.get('methodUsabilityReason')}


def sign_in_preferences(client, tenant, user_id):
    """The user's ``signInPreferences`` (beta only): ``{'default_method', 'system_preferred_enabled',
    'system_preferred_method'}``, each None when Graph leaves it out.

    ListGraphRequest ``users/{id}/authentication/signInPreferences`` with ``Version=beta`` (Get-GraphRequestList's
    ``Version`` is ``v1.0`` or ``beta``, default ``beta``; we say it, as ExecSetDefaultMFAMethod PATCHes beta).
    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/CIPP/Core/Invoke-ListGraphRequest.ps1``,
    ``Modules/CIPPCore/Public/GraphRequests/Get-GraphRequestList.ps1``. The single object comes back as a one-element
    ``Results`` list (C18).
    """
    rows = graph_get(client, tenant, 'users/%s/authentication/signInPreferences' % user_id, single_page=True, version='beta')
    row = rows[0] if rows else {}
    return {'default_method': row.get('userPreferredMethodForSecondaryAuthentication'),
            'system_preferred_enabled': row.get('isSystemPreferredAuthenticationMethodEnabled'),
            'system_preferred_method': row.get('systemPreferredAuthenticationMethod')}


def set_default_method(client, tenant, user_id, method_type):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecSetDefaultMFAMethod.ps1``
    (body only: ``tenantFilter``, ``ID`` -- escaped into the Graph URL, so an object id --, ``MethodType``, one of
    ``push``, ``oath``, ``voiceMobile``, ``voiceAlternateMobile``, ``voiceOffice``, ``sms``). PATCHes beta
    ``users/{id}/authentication/signInPreferences``. 400 ``{Results: [text]}`` for a missing field or another method,
    500 ``Failed to set the default MFA method ...`` when Graph refuses, 200 ``Successfully set ...`` otherwise."""
    return client.write('ExecSetDefaultMFAMethod', {'ID': user_id, 'MethodType': method_type}, tenant=tenant)


def per_user_state(client, tenant, user_id):
    """The legacy per-user MFA state, lower case, or None.

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ListPerUserMFA.ps1``
    -> ``Get-CIPPPerUserMFA`` (query ``userId``;
    ``PerUserMFAState`` is an array of strings in the captured shape).
    """
    rows = client.call('ListPerUserMFA', {'userId': user_id}, tenant=tenant)
    row = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else {}
    value = row.get('PerUserMFAState')
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value).lower() if value else None


def set_per_user_state(client, tenant, user, state):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecPerUserMFA.ps1``
    (body only: ``userId``, ``userPrincipalName`` -- the id is used
    for ``#EXT#`` names --, ``State``)."""
    return client.write('ExecPerUserMFA', {'userId': user['id'], 'userPrincipalName': user.get('userPrincipalName'), 'State': state},
                        tenant=tenant)


def reset_mfa(client, tenant, user_id, method_id=None):
    """Remove the user's MFA methods (all, or one by ``MethodId``).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecResetMFA.ps1``
    -> ``Modules/CIPPCore/Public/Remove-CIPPUserMFA.ps1`` (body only:
    ``ID``, ``MethodId``). The password method is never removed (filtered out before ``MethodId`` is matched).
    HTTP 200 ``No MFA methods found ...`` / ``No removable MFA method with id ... found ...`` when there was nothing
    to remove; HTTP 500 with CIPP's text when a DELETE failed (all or some).
    """
    body = {'ID': user_id}
    if method_id:
        body['MethodId'] = method_id
    return client.write('ExecResetMFA', body, tenant=tenant)


def create_tap(client, tenant, user_id, lifetime_minutes=None, usable_once=False, start_epoch=None):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecCreateTAP.ps1``
    -> ``New-CIPPTAP`` (``ID``, ``lifetimeInMinutes``, ``isUsableOnce``,
    ``startDateTime``). Answer ``{"Results": [{TAP object with temporaryAccessPass}, {resultText}]}``."""
    body = {'ID': user_id, 'isUsableOnce': bool(usable_once)}
    if lifetime_minutes is not None:
        body['lifetimeInMinutes'] = lifetime_minutes
    if start_epoch is not None:
        body['startDateTime'] = start_epoch
    return client.write('ExecCreateTAP', body, tenant=tenant)


def send_push(client, tenant, user):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecSendPush.ps1``
    (body only: ``TenantFilter``, ``UserEmail``; always HTTP 200 with
    ``{"Results": {resultText, state}}``)."""
    return client.write('ExecSendPush', {'TenantFilter': tenant, 'UserEmail': user.get('userPrincipalName')}, tenant=None)


CAMPAIGN_STATES = ('default', 'enabled', 'disabled')
CAMPAIGN_METHODS = ('microsoftAuthenticator', 'fido2')


def registration_campaign(client, tenant):
    """The tenant's authentication methods registration campaign (the "nudge"): ``{state, snooze_days,
    enforce_after_snoozes, targeted_method, include, exclude}`` with ``include``/``exclude`` as ``[{id, type}]``.

    ListGraphRequest ``policies/authenticationMethodsPolicy`` (beta, CIPP's default ``Version``): the object
    ``Modules/CIPPCore/Public/Set-CIPPRegistrationCampaign.ps1`` reads before it writes
    (``registrationEnforcement.authenticationMethodsRegistrationCampaign``).
    """
    rows = graph_get(client, tenant, 'policies/authenticationMethodsPolicy', single_page=True, version='beta')
    policy = rows[0] if rows else {}
    campaign = (policy.get('registrationEnforcement') or {}).get('authenticationMethodsRegistrationCampaign') or {}
    include = campaign.get('includeTargets') or []
    return {'state': campaign.get('state'), 'snooze_days': campaign.get('snoozeDurationInDays'),
            'enforce_after_snoozes': campaign.get('enforceRegistrationAfterAllowedSnoozes'),
            'targeted_method': next((t.get('targetedAuthenticationMethod') for t in include if t.get('targetedAuthenticationMethod')), None),
            'include': [{'id': t.get('id'), 'type': t.get('targetType')} for t in include],
            'exclude': [{'id': t.get('id'), 'type': t.get('targetType')} for t in campaign.get('excludeTargets') or []]}


def set_registration_campaign(client, tenant, state=None, targeted_method=None, snooze_days=None, enforce_after_snoozes=None,
                              include_all_users=None, include_users=None, include_groups=None, exclude_users=None, exclude_groups=None):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Tenant/Administration/Tenant/Invoke-ExecRegistrationCampaign.ps1``
    -> ``Modules/CIPPCore/Public/Set-CIPPRegistrationCampaign.ps1`` (body only: ``tenantFilter``, ``state``,
    ``targetedAuthenticationMethod``, ``snoozeDurationInDays`` 0-14, ``enforceRegistrationAfterAllowedSnoozes``,
    ``includeAllUsers`` / ``includeGroups`` / ``includeUsers``, ``excludeGroups`` / ``excludeUsers``). A value left out keeps
    what the tenant has; include lists replace the include targets (an empty result falls back to all users), exclude
    lists replace the exclusions. PATCHes beta ``policies/authenticationMethodsPolicy`` (a tenant-wide setting).
    400 for a missing tenant or snooze out of range, 500 with the thrown text otherwise, 200 ``Set the registration ...``."""
    body = {}
    for key, value in (('state', state), ('targetedAuthenticationMethod', targeted_method), ('snoozeDurationInDays', snooze_days),
                       ('enforceRegistrationAfterAllowedSnoozes', enforce_after_snoozes), ('includeAllUsers', include_all_users),
                       ('includeUsers', include_users), ('includeGroups', include_groups), ('excludeUsers', exclude_users),
                       ('excludeGroups', exclude_groups)):
        if value is not None:
            body[key] = value
    return client.write('ExecRegistrationCampaign', body, tenant=tenant)
