# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API layer: mailboxes (CONTRACT 5.10-5.12, 6.2-6.6, with 0.1 C14 and C15).

Exchange endpoints re-apply and report success whatever the state, so resources read first and write only what
differs. Paths below are relative to ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.msp.cipp.plugins.module_utils._common import email_addresses
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippResultError

_TAG = re.compile(r'<[^>]+>')
_SPACE = re.compile(r'\s+')
OOO_TIME_FORMAT = '%Y-%m-%d %H:%M'


def mailbox_details(client, tenant, user):
    """The mailbox of ``user`` (``RecipientTypeDetails``, ``ForwardingAddress``, ``ForwardingSmtpAddress``,
    ``ForwardAndDeliver``, ``HiddenFromAddressLists``, ``ArchiveMailBox``, ...), ``{}`` when there is none;
    CippResultError when Exchange said why it could not read it.

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ListUserMailboxDetails.ps1``
    (query ``UserID``, ``userMail``; an array
    with one object). ``ForwardingAddress`` is resolved to an address when CIPP can, else it is Exchange's raw
    identity (C15): see ``forwarding_target``.
    """
    body = client.call(*mailbox_details_request(user), tenant=tenant)
    row = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
    if row.get('RecipientTypeDetails'):
        return row
    # CIPP answers 200 with the same keys, all null, when there is no mailbox or Exchange failed (it only
    # Write-Errors); ArchiveMailBox is then even true (a null ArchiveGuid is "not the zero GUID"). Exchange's own
    # error, when there was one, is in Mailbox as {error, target}.
    for item in row.get('Mailbox') if isinstance(row.get('Mailbox'), list) else [row.get('Mailbox')]:
        if isinstance(item, dict) and item.get('error'):
            raise CippResultError('ListUserMailboxDetails could not read the mailbox of %s: %s' % (user.get('userPrincipalName'), item['error']),
                                  'ListUserMailboxDetails', 200, str(item['error']))
    return {}


def mailbox_details_request(user):
    """The read mailbox_details makes, as ``(endpoint name, parameters)`` for read_together."""
    return 'ListUserMailboxDetails', {'UserID': user['id'], 'userMail': user.get('userPrincipalName')}


def forwarding_target(mailbox):
    """The forwarding target of a mailbox (``smtp:`` removed), external first, or None.

    CIPP's top-level ``ForwardingAddress`` is the external (SMTP) target when there is one, else the internal one
    resolved to an address or Exchange's raw identity; ``MailboxActionsData`` keeps the two apart.
    """
    actions = mailbox.get('MailboxActionsData')
    actions = (actions[0] if actions else {}) if isinstance(actions, list) else actions or {}
    for text in (actions.get('ForwardingSmtpAddress'), mailbox.get('ForwardingSmtpAddress'), mailbox.get('ForwardingAddress')):
        text = str(text or '').strip()
        if text.lower().startswith('smtp:'):
            text = text[5:]
        if text:
            return text
    return None


def same_recipient(current, wanted, wanted_user=None):
    """Whether the forwarding ``current`` (an address or Exchange's raw identity) is the recipient ``wanted``.

    ``wanted_user`` is the Entra user of ``wanted`` when it is one: a raw identity (no @) is compared with its id,
    user name, mail nickname, display name and addresses, so an unresolved value is not a mismatch by itself (C15).
    """
    if not current:
        return False
    if current.lower() == wanted.lower():
        return True
    if '@' in current or not wanted_user:
        return False
    names = [wanted_user.get(key) for key in ('id', 'userPrincipalName', 'mail', 'mailNickname', 'displayName')]
    names += email_addresses(wanted_user.get('proxyAddresses'))
    return current.lower() in set(str(name).lower() for name in names if name)


def set_forwarding(client, tenant, user_identity, option, target=None, keep_copy=False):
    """``option`` is ``internalAddress``, ``ExternalAddress`` or ``disabled`` (required: without it CIPP answers 500).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Email-Exchange/Administration/Invoke-ExecEmailForward.ps1``
    -> ``Modules/CIPPCore/Public/Set-CIPPForwarding.ps1``
    (body only: ``userID``, ``forwardOption``, ``ForwardInternal``, ``ForwardExternal``, ``KeepCopy``).
    """
    body = {'userID': user_identity, 'forwardOption': option}
    if option == 'internalAddress':
        body.update({'ForwardInternal': target, 'KeepCopy': bool(keep_copy)})
    elif option == 'ExternalAddress':
        body.update({'ForwardExternal': target, 'KeepCopy': bool(keep_copy)})
    return client.write('ExecEmailForward', body, tenant=tenant)


def out_of_office(client, tenant, user_identity):
    """The auto-reply settings: ``AutoReplyState``, ``StartTime``/``EndTime`` as ``yyyy-MM-dd HH:mm`` (minute
    precision, the function host's time zone), ``InternalMessage``, ``ExternalMessage``; no ``ExternalAudience`` (C14).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Email-Exchange/Administration/Invoke-ListOoO.ps1``
    -> ``Modules/CIPPCore/Public/Get-CIPPOutOfOffice.ps1``
    (query ``userid``; a JSON text CIPP converts).
    """
    body = client.call(*out_of_office_request(user_identity), tenant=tenant)
    return body[0] if isinstance(body, list) and body else body if isinstance(body, dict) else {}


def out_of_office_request(user_identity):
    """The read out_of_office makes, as ``(endpoint name, parameters)`` for read_together."""
    return 'ListOoO', {'userId': user_identity}


def set_out_of_office(client, tenant, user_identity, state, internal_message=None, external_message=None, start_epoch=None,
                      end_epoch=None):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Email-Exchange/Administration/Invoke-ExecSetOoO.ps1``
    -> ``Modules/CIPPCore/Public/Set-CIPPOutOfoffice.ps1``
    (body only). ``ExternalAudience`` becomes ``None`` unless ``ExternalMessage`` is sent, then ``All`` (C14); epoch
    seconds are accepted for ``StartTime``/``EndTime``."""
    body = {'userId': user_identity, 'AutoReplyState': state}
    if internal_message is not None:
        body['InternalMessage'] = internal_message
    if external_message is not None:
        body['ExternalMessage'] = external_message
    if start_epoch is not None:
        body['StartTime'] = start_epoch
    if end_epoch is not None:
        body['EndTime'] = end_epoch
    return client.write('ExecSetOoO', body, tenant=tenant)


def plain_message(value):
    """An auto-reply text without its HTML (Exchange keeps messages as HTML), whitespace collapsed, for comparing."""
    text = _TAG.sub(' ', str(value or ''))
    for entity, char in (('&nbsp;', ' '), ('&lt;', '<'), ('&gt;', '>'), ('&quot;', '"'), ('&#39;', "'"), ('&amp;', '&')):
        text = text.replace(entity, char)
    return _SPACE.sub(' ', text).strip()


def ooo_minute(value):
    """``yyyy-MM-dd HH:mm`` (ListOoO) or epoch seconds, as epoch seconds rounded down to the minute (UTC assumed)."""
    if value in (None, ''):
        return None
    if isinstance(value, (int, float)) or str(value).isdigit():
        return int(value) // 60 * 60
    try:
        when = datetime.datetime.strptime(str(value).strip()[:16], OOO_TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    return int(when.timestamp()) // 60 * 60


def convert_mailbox(client, tenant, user_identity, cipp_type):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Email-Exchange/Administration/Invoke-ExecConvertMailbox.ps1``
    (body only: ``ID``, ``MailboxType``
    ``Shared``/``Regular``)."""
    return client.write('ExecConvertMailbox', {'ID': user_identity, 'MailboxType': cipp_type}, tenant=tenant)


def hide_from_gal(client, tenant, user_identity, hidden):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Email-Exchange/Administration/Invoke-ExecHideFromGAL.ps1``
    (``ID``, ``HideFromGAL``; failures are 403)."""
    return client.write('ExecHideFromGAL', {'ID': user_identity, 'HideFromGAL': bool(hidden)}, tenant=tenant)


def enable_archive(client, tenant, user_identity):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Email-Exchange/Administration/Invoke-ExecEnableArchive.ps1``
    (``id``, ``username``)."""
    return client.write('ExecEnableArchive', {'id': user_identity, 'username': user_identity}, tenant=tenant)


def mailbox_rules(client, tenant, user):
    """The user's inbox rules (``Name``, ``Identity``, ``Enabled``, ``ForwardTo``, ``RedirectTo``, ...).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ListUserMailboxRules.ps1``
    (query ``UserID``, ``userEmail``).
    """
    rows = client.call(*mailbox_rules_request(user), tenant=tenant) or []
    return [row for row in rows if isinstance(row, dict) and row.get('Name')]


def mailbox_rules_request(user):
    """The read mailbox_rules makes, as ``(endpoint name, parameters)`` for read_together."""
    return 'ListUserMailboxRules', {'UserID': user['id'], 'userEmail': user.get('userPrincipalName')}


def rule_ref(rule, upn):
    return {'ruleId': rule.get('Identity') or rule.get('RuleIdentity') or rule['Name'], 'ruleName': rule['Name'], 'userPrincipalName': upn}


def remove_mailbox_rule(client, tenant, rule, upn):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Email-Exchange/Administration/Invoke-ExecRemoveMailboxRule.ps1``
    (``ruleId``, ``ruleName``,
    ``userPrincipalName``, query or body)."""
    return client.write('ExecRemoveMailboxRule', rule_ref(rule, upn), tenant=tenant)


def disable_mailbox_rule(client, tenant, rule, upn):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Email-Exchange/Administration/Invoke-ExecSetMailboxRule.ps1``
    (body only; ``Disable`` as a bool)."""
    return client.write('ExecSetMailboxRule', dict(rule_ref(rule, upn), Disable=True), tenant=tenant)


def mailbox_permissions(client, tenant, user_identity):
    """Who has rights on the mailbox: ``[{User, Permissions}]``, ``Permissions`` always one comma-separated string,
    the mailbox's own ``NT AUTHORITY\\SELF`` row left out. An empty list proves nothing: CIPP drops Exchange's
    per-cmdlet errors (an unknown mailbox gives ``[]`` too).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Email-Exchange/Administration/Invoke-ListmailboxPermissions.ps1``
    (query ``userId``; FullAccess rows from Get-MailboxPermission join their rights into a string, SendAs rows from
    Get-RecipientPermission keep a list).
    """
    rows = client.call('ListmailboxPermissions', {'userId': user_identity}, tenant=tenant) or []
    permissions = []
    for row in rows:
        if not isinstance(row, dict) or str(row.get('User') or '').upper() == 'NT AUTHORITY\\SELF':
            continue
        rights = row.get('Permissions')
        permissions.append(dict(row, Permissions=', '.join(str(r) for r in rights) if isinstance(rights, list) else rights))
    return permissions


def permission_report_by_user(client, tenant, user_principal_name):
    """The mailboxes ``user_principal_name`` holds rights on, from CIPP's permission report: a list of
    ``{MailboxUPN, Mailbox (display name), AccessRights ('FullAccess', 'SendAs', 'SendOnBehalf', comma-joined)}``;
    ``[]`` when the report has no row for the user.

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Email-Exchange/Administration/Invoke-ListmailboxPermissions.ps1``
    (``ByUser`` works only with ``UseReportDB=true`` and no ``userId``; ``User`` is compared with ``-eq``, so without
    regard to case) -> ``Modules/CIPPCore/Public/Get-CIPPMailboxPermissionReport.ps1``. The report is CIPP's reporting
    database, a cache: filled by its mailbox sync jobs and updated by CIPP's own permission writes
    (``Sync-CIPPMailboxPermissionCache.ps1``), not by changes made in Exchange directly. Without cached data the
    handler answers 500 (``Failed to generate mailbox permission report: No mailbox data found ...``).
    """
    rows = client.call(*permission_report_by_user_request(user_principal_name), tenant=tenant) or []
    wanted = user_principal_name.lower()
    found = []
    for row in rows:
        if isinstance(row, dict) and str(row.get('User') or '').lower() == wanted:
            found.extend(item for item in row.get('Permissions') or [] if isinstance(item, dict) and item.get('MailboxUPN'))
    return found


# The request-body buckets of ExecEditMailboxPermissions: (right, add or remove, automapping) -> bucket.
EDIT_PERMISSION_BUCKETS = {
    ('FullAccess', 'Add', True): 'AddFullAccess',
    ('FullAccess', 'Add', False): 'AddFullAccessNoAutoMap',
    ('FullAccess', 'Remove', None): 'RemoveFullAccess',
    ('SendAs', 'Add', None): 'AddSendAs',
    ('SendAs', 'Remove', None): 'RemoveSendAs',
    ('SendOnBehalf', 'Add', None): 'AddSendOnBehalf',
    ('SendOnBehalf', 'Remove', None): 'RemoveSendOnBehalf',
}


def edit_mailbox_permissions(client, tenant, mailbox, changes, automap=True):
    """Grant and remove rights on ``mailbox`` (a UPN) in one request. ``changes`` is a list of
    ``(trustee UPN, right, 'Add' or 'Remove')``, right one of ``FullAccess``, ``SendAs``, ``SendOnBehalf``;
    ``automap`` applies to FullAccess grants.

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Email-Exchange/Administration/Invoke-ExecEditMailboxPermissions.ps1``
    -> ``Modules/CIPPCore/Public/Set-CIPPMailboxPermission.ps1`` (body only: ``userID`` = the mailbox, passed to
    Exchange as it is; each bucket ``{value: [trustees]}``, read as ``($Request.body.<Bucket>).value``). One Exchange
    cmdlet per trustee and bucket; always HTTP 200, each failure a ``Failed to <Add|Remove> <right> for <trustee> on
    <mailbox>: <Exchange's text>`` item in ``Results`` (the client raises on it).
    """
    body = {'userID': mailbox}
    for trustee, right, action in changes:
        bucket = EDIT_PERMISSION_BUCKETS[(right, action, bool(automap) if (right, action) == ('FullAccess', 'Add') else None)]
        body.setdefault(bucket, {'value': []})['value'].append(trustee)
    return client.write('ExecEditMailboxPermissions', body, tenant=tenant)


def permission_report_by_user_request(user_principal_name):
    """The read permission_report_by_user makes, as ``(endpoint name, parameters)`` for read_together."""
    return 'ListmailboxPermissions', {'UseReportDB': 'true', 'ByUser': 'true', 'User': user_principal_name}


def mobile_devices_request(mailbox):
    """The read mobile_devices makes, as ``(endpoint name, parameters)`` for read_together."""
    return 'ListMailboxMobileDevices', {'Mailbox': mailbox}


def mobile_devices(client, tenant, mailbox):
    """The mailbox's Exchange ActiveSync / Outlook mobile devices: ``Guid``, ``deviceID``, ``deviceFriendlyName``
    (``Unknown`` when Exchange has none), ``deviceModel``, ``deviceOS``, ``deviceType``, ``clientType``,
    ``deviceAccessState``, ``status``, ``firstSync``/``lastSyncAttempt``/``lastSuccessSync`` (``MM/dd/yyyy HH:mm:ss``).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Email-Exchange/Administration/Invoke-ListMailboxMobileDevices.ps1``
    (query ``Mailbox``, base64-encoded by CIPP into Exchange's ``mailbox('...')/MobileDevice`` statistics URL); any
    Exchange failure, an unknown mailbox included, is HTTP 403 with the error text.
    """
    rows = client.call(*mobile_devices_request(mailbox), tenant=tenant) or []
    return [row for row in rows if isinstance(row, dict) and row.get('Guid')]


def remove_mobile_device(client, tenant, mailbox, guid):
    """Remove one mobile device (its partnership with the mailbox) by its ``Guid``.

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Email-Exchange/Administration/Invoke-ExecMailboxMobileDevices.ps1``
    -> ``Modules/CIPPCore/Public/Set-CIPPMobileDevice.ps1`` (query only: ``Userid`` (used in texts only), ``guid``,
    ``Delete=true``; ``Remove-MobileDevice -Identity <guid>`` through the system mailbox). Always HTTP 200:
    ``Deleted Active Sync Device for <Userid>`` or ``Failed to delete Mobile Device <guid>: <text>``. CIPP has no
    remote wipe here (no ``Clear-MobileDevice`` anywhere in CIPP-API).
    """
    return client.write('ExecMailboxMobileDevices', {'Userid': mailbox, 'guid': guid, 'Delete': 'true'}, tenant=tenant)
