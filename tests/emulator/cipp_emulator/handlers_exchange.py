"""Exchange Online endpoints of the CIPP emulator (CONTRACT.md 5.10-5.12, 6.2-6.6) and the EXO helpers the
security handlers and the offboarding job reuse.

Each ``set_*``/``remove_*`` helper mirrors one CIPP helper cmdlet (Set-CIPPForwarding, Set-CIPPHideFromGAL, ...):
it changes the tenant state and returns CIPP's success text, or raises CippError with the text CIPP throws. The HTTP
handlers decide, like the real entry points do, which status code wraps that text.

Mailboxes live in ``tenant.mailboxes`` keyed by the owner's user id; inbox rules in ``tenant.inbox_rules``.
"""

import json
import re
import uuid
from datetime import datetime, timezone

from .registry import Response, convert_to_bool, endpoint, eq_true, label_value, ps_bool, ps_bool_text

# A plausible EXO domain controller name: EXO puts one in every "couldn't be found" message.
EXO_DC = 'AM6PR04A010DC001.EURPR04A010.PROD.OUTLOOK.COM'
ZERO_GUID = '00000000-0000-0000-0000-000000000000'
MAILBOX_TYPES = {'shared': ('Shared', 'SharedMailbox'), 'regular': ('Regular', 'UserMailbox'),
                 'room': ('Room', 'RoomMailbox'), 'equipment': ('Equipment', 'EquipmentMailbox')}
# Get-InboxRule results CIPP always filters out (system rules).
SYSTEM_RULE_NAME = 'Junk E-Mail Rule'
SYSTEM_RULE_PREFIX = 'microsoft.exchange.oof.'
# Rule caches (cachembxrules) last an hour in CIPP before a new queue run is needed.
RULE_CACHE_SECONDS = 3600


class CippError(Exception):
    """A failure text a CIPP helper throws (``throw $Message``); str(exc) is that text."""


# ---------------------------------------------------------------------------------------------------------------
# small shared helpers (time, tenants, lookups)
# ---------------------------------------------------------------------------------------------------------------

def iso(ts):
    """Epoch seconds -> the ISO-8601 UTC form Graph and EXO return (``2026-08-22T10:00:00Z``)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(float(ts), timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def parse_time(value):
    """Epoch seconds (number or numeric string) or an ISO-like date string -> epoch seconds, else None."""
    if value is None or value == '':
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if text.isdigit():
        return float(text)
    for fmt in ('%Y-%m-%dT%H:%M:%SZ', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d',
                '%m/%d/%Y %H:%M:%S', '%m/%d/%Y'):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text.replace('Z', '+00:00'))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def ps_datetime_text(ts):
    """[DateTime].ToString() under the invariant culture the Functions host runs with: MM/dd/yyyy HH:mm:ss."""
    return datetime.fromtimestamp(float(ts), timezone.utc).strftime('%m/%d/%Y %H:%M:%S')


def text_or_none(value):
    """A request value as PowerShell would interpolate it into a message ($null -> '')."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return ps_bool_text(value)
    return str(value)


def tenant_for(state, tenant_filter, context='Exchange request'):
    """Resolve tenantFilter or raise the text CIPP's auth check writes for a tenant it does not manage.

    The real helpers only Write-Error here and carry on (CONTRACT 2.6); the emulator turns that into a failure
    of the call, which is the visible symptom in the common case (the EXO/Graph call returns nothing usable).
    """
    tenant = state.resolve_tenant(tenant_filter) if tenant_filter else None
    if tenant is None:
        raise CippError("%s denied for '%s': the tenant is not in CIPP's tenant list." % (context, text_or_none(tenant_filter)))
    return tenant


def strip_smtp(address):
    """EXO returns ForwardingSmtpAddress as ``smtp:x@y``; CIPP strips the prefix in its list views."""
    if not address:
        return address
    return address[5:] if address.lower().startswith('smtp:') else address


def _user_keys(user):
    """Every identifier EXO would accept for a recipient: id, UPN, mail, alias, proxy addresses, display name."""
    keys = [user.get('id'), user.get('userPrincipalName'), user.get('mail'), user.get('mailNickname'),
            user.get('displayName')]
    keys.extend(strip_smtp(p) for p in user.get('proxyAddresses') or [])
    return {str(k).lower() for k in keys if k}


def find_mailbox(tenant, identity):
    """EXO identity resolution -> (user id, mailbox dict) or (None, None)."""
    if not identity:
        return None, None
    wanted = str(identity).strip().lower()
    for user_id, mailbox in tenant.mailboxes.items():
        user = tenant.users.get(user_id) or {}
        if wanted in _user_keys(user) or wanted == str(mailbox.get('PrimarySmtpAddress', '')).lower():
            return user_id, mailbox
    return None, None


def require_mailbox(tenant, identity):
    """Like find_mailbox, but raise EXO's ManagementObjectNotFound text when there is no such mailbox."""
    user_id, mailbox = find_mailbox(tenant, identity)
    if mailbox is None:
        raise CippError("The operation couldn't be performed because object '%s' couldn't be found on '%s'."
                        % (text_or_none(identity), EXO_DC))
    return user_id, mailbox


def find_recipient(tenant, identity):
    """A recipient for ForwardingAddress / permissions: any user (mailbox or not) that EXO knows."""
    wanted = str(identity or '').strip().lower()
    for user in tenant.users.values():
        if wanted and wanted in _user_keys(user):
            return user
    return None


def recipient_not_found(identity):
    """EXO's parameter-binding text for a recipient it cannot resolve."""
    return ('Couldn\'t find object "%s". Please make sure that it was spelled correctly or specify a different object.'
            % text_or_none(identity))


def user_upn(tenant, user_id):
    return (tenant.users.get(user_id) or {}).get('userPrincipalName')


def visible_rules(tenant, user_id):
    """Get-InboxRule -IncludeHidden minus the system rules CIPP removes."""
    return [r for r in tenant.inbox_rules.get(user_id, [])
            if r.get('Name') != SYSTEM_RULE_NAME and not str(r.get('Name', '')).lower().startswith(SYSTEM_RULE_PREFIX)]


def public(obj):
    """Drop the emulator's internal `_` keys before an object leaves the server."""
    return {k: v for k, v in obj.items() if not str(k).startswith('_')}


def results(value, status=200):
    """CIPP's usual `@{ Results = ... }` body."""
    return Response.json({'Results': value}, status)


def _mailbox_guid(tenant, user_id, kind):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, 'exo:%s:%s:%s' % (tenant.row.get('customerId'), user_id, kind)))


# ---------------------------------------------------------------------------------------------------------------
# helpers shared with the offboarding job and BEC remediation (one per CIPP cmdlet)
# ---------------------------------------------------------------------------------------------------------------

def set_forwarding(state, tenant_filter, user_id, username=None, forward=None, smtp_address=None, keep_copy=False,
                   disable=False):
    """Set-CIPPForwarding: internal (ForwardingAddress), external (ForwardingSmtpAddress) or disable."""
    username = username or user_id
    try:
        tenant = tenant_for(state, tenant_filter)
        _unused, mailbox = require_mailbox(tenant, user_id)
        if disable:
            mailbox.update(ForwardingAddress=None, ForwardingSmtpAddress=None, DeliverToMailboxAndForward=False)
            return 'Successfully disabled forwarding for %s' % username
        if forward:
            target = find_recipient(tenant, forward)
            if target is None:
                raise CippError(recipient_not_found(forward))
            # EXO stores the recipient's identity (its alias), not the address that was sent.
            mailbox.update(ForwardingAddress=target.get('mailNickname') or target.get('id'), ForwardingSmtpAddress=None,
                           DeliverToMailboxAndForward=bool(keep_copy))
            return ('Successfully set forwarding for %s to Internal Address %s with keeping a copy set to %s'
                    % (username, forward, ps_bool_text(bool(keep_copy))))
        if smtp_address:
            mailbox.update(ForwardingSmtpAddress='smtp:%s' % smtp_address, ForwardingAddress=None,
                           DeliverToMailboxAndForward=bool(keep_copy))
            return ('Successfully set forwarding for %s to External Address %s with keeping a copy set to %s'
                    % (username, smtp_address, ps_bool_text(bool(keep_copy))))
        # Neither option: the cmdlet returns $null after logging (a blank message in CIPP).
        return None
    except CippError as exc:
        raise CippError('Failed to set forwarding for %s. Error: %s' % (username, exc)) from None


def set_hide_from_gal(state, tenant_filter, user_id, hide):
    """Set-CIPPHideFromGAL."""
    text = 'hidden' if hide else 'unhidden'
    try:
        tenant = tenant_for(state, tenant_filter)
        _unused, mailbox = require_mailbox(tenant, user_id)
        mailbox['HiddenFromAddressListsEnabled'] = bool(hide)
        return 'Successfully %s %s from GAL.' % (text, text_or_none(user_id))
    except CippError as exc:
        raise CippError('Failed to set %s to %s in GAL. Error: %s' % (text_or_none(user_id), text, exc)) from None


def validate_mailbox_type(value):
    """[ValidateSet('Shared','Regular','Room','Equipment')] on a mandatory parameter -> (typed value, details)."""
    if value is None or value == '':
        raise CippError("Cannot bind argument to parameter 'MailboxType' because it is an empty string.")
    key = str(value).lower()
    if key not in MAILBOX_TYPES:
        raise CippError("Cannot validate argument on parameter 'MailboxType'. The argument \"%s\" does not belong to the set "
                        "\"Shared,Regular,Room,Equipment\" specified by the ValidateSet attribute. Supply an argument that is "
                        "in the set and then try the command again." % value)
    return str(value), MAILBOX_TYPES[key][1]


def set_mailbox_type(state, tenant_filter, user_id, mailbox_type, username=None):
    """Set-CIPPMailboxType (Set-Mailbox -Type)."""
    typed, details = validate_mailbox_type(mailbox_type)
    username = username or user_id
    try:
        tenant = tenant_for(state, tenant_filter)
        _unused, mailbox = require_mailbox(tenant, user_id)
        mailbox['RecipientTypeDetails'] = details
        message = 'Successfully converted %s to a %s mailbox' % (username, typed)
        size = float(mailbox.get('TotalItemSizeGB') or 0)
        # CIPP warns from its cached size when a shared mailbox would exceed the 50 GB unlicensed limit.
        if details == 'SharedMailbox' and size >= 49:
            message += ('. Warning: detected mailbox size is %s GB, which exceeds the 50 GB shared mailbox limit. The mailbox '
                        'may stop receiving mail unless an Exchange Online Plan 2 license is retained.' % round(size, 1))
        return message
    except CippError as exc:
        raise CippError('Failed to convert %s to a %s mailbox. Error: %s' % (username, typed, exc)) from None


def validate_ooo_state(value):
    """[ValidateSet('Enabled','Disabled','Scheduled')][string] on a mandatory parameter."""
    if value is None or value == '':
        raise CippError("Cannot bind argument to parameter 'State' because it is an empty string.")
    canonical = {'enabled': 'Enabled', 'disabled': 'Disabled', 'scheduled': 'Scheduled'}.get(str(value).lower())
    if canonical is None:
        raise CippError("Cannot validate argument on parameter 'State'. The argument \"%s\" does not belong to the set "
                        "\"Enabled,Disabled,Scheduled\" specified by the ValidateSet attribute. Supply an argument that is in "
                        "the set and then try the command again." % value)
    return canonical


def set_out_of_office(state, tenant_filter, user_id, ooo_state, internal=None, external=None, start=None, end=None,
                      extra=None):
    """Set-CIPPOutOfOffice (Set-MailboxAutoReplyConfiguration). `internal`/`external` None = not sent (kept)."""
    typed = validate_ooo_state(ooo_state)
    try:
        tenant = tenant_for(state, tenant_filter)
        _unused, mailbox = require_mailbox(tenant, user_id)
        # ExternalAudience is always sent: None unless an external message is part of this call.
        changes = {'AutoReplyState': typed, 'ExternalAudience': 'None'}
        if internal is not None:
            changes['InternalMessage'] = internal
        if external is not None:
            changes.update(ExternalMessage=external, ExternalAudience='All')
        shown = None
        if typed == 'Scheduled':
            start_ts = parse_time(start) if start not in (None, '') else state.now()
            end_ts = parse_time(end) if end not in (None, '') else start_ts + 7 * 86400
            if start_ts is None or end_ts is None:
                raise CippError('Cannot process argument transformation on parameter \'StartTime\'. Cannot convert value '
                                '"%s" to type "System.DateTime".' % text_or_none(start if start_ts is None else end))
            changes.update(StartTime=start_ts, EndTime=end_ts)
            shown = (start if isinstance(start, str) and start and not start.isdigit() else ps_datetime_text(start_ts),
                     ps_datetime_text(end_ts))
        changes.update(extra or {})
        mailbox.update(changes)
        if shown:
            return 'Scheduled Out-of-office for %s between %s and %s' % (text_or_none(user_id), shown[0], shown[1])
        return 'Set Out-of-office for %s to %s.' % (text_or_none(user_id), ooo_state)
    except CippError as exc:
        raise CippError('Could not add OOO for %s. Error: %s' % (text_or_none(user_id), exc)) from None


def remove_all_rules(state, tenant_filter, username):
    """Remove-CIPPMailboxRule -RemoveAllRules (offboarding)."""
    try:
        tenant = tenant_for(state, tenant_filter)
        user_id, _unused = require_mailbox(tenant, username)
        rules = visible_rules(tenant, user_id)
        if not rules:
            return 'No rules found for %s to delete' % username
        kept = [r for r in tenant.inbox_rules.get(user_id, []) if r not in rules]
        tenant.inbox_rules[user_id] = kept
        return 'Successfully deleted all rules for %s' % username
    except CippError as exc:
        raise CippError('Failed to delete rules for %s. Error: %s' % (username, exc)) from None


def _find_rule(tenant, anchor, rule_id):
    """Remove/Enable/Disable-InboxRule -Identity in the anchor mailbox: full Identity, RuleIdentity or Name."""
    user_id, _unused = find_mailbox(tenant, anchor)
    if user_id is None:
        return None, None
    wanted = str(rule_id or '').lower()
    for rule in tenant.inbox_rules.get(user_id, []):
        if wanted in (str(rule.get('Identity', '')).lower(), str(rule.get('RuleIdentity', '')).lower(),
                      str(rule.get('Name', '')).lower()):
            return user_id, rule
    return user_id, None


def _rule_not_found(rule_id):
    return "The operation couldn't be performed because object '%s' couldn't be found on '%s'." % (text_or_none(rule_id), EXO_DC)


def remove_rule(state, tenant_filter, username, rule_id, rule_name, mailbox_object_id):
    """Remove-CIPPMailboxRule for one rule: anchored on the UPN first, then on the mailbox id from the Identity."""
    try:
        tenant = tenant_for(state, tenant_filter)
        for anchor in (username, mailbox_object_id):
            user_id, rule = _find_rule(tenant, anchor, rule_id)
            if rule is not None:
                tenant.inbox_rules[user_id].remove(rule)
                return 'Successfully deleted mailbox rule %s for %s' % (text_or_none(rule_name), text_or_none(username))
        raise CippError(_rule_not_found(rule_id))
    except CippError as exc:
        raise CippError('Failed to delete rule for %s. Error: %s' % (text_or_none(username), exc)) from None


def set_rule_state(state, tenant_filter, username, rule_id, rule_name, enable):
    """Set-CIPPMailboxRule -Enable/-Disable (anchored on the UPN only)."""
    verb = 'Enable' if enable else 'Disable'
    try:
        tenant = tenant_for(state, tenant_filter)
        _unused, rule = _find_rule(tenant, username, rule_id)
        if rule is None:
            raise CippError(_rule_not_found(rule_id))
        if re.match(r'^Delegate Rule -\d+$', str(rule.get('Name'))):
            # Outlook's delegate rules cannot be changed through EXO; BEC remediation expects this failure.
            raise CippError("The rule '%s' can't be modified because it was created by a client." % rule.get('Name'))
        rule['Enabled'] = bool(enable)
        return 'Successfully set mailbox rule %s for %s to %sd' % (text_or_none(rule_name), text_or_none(username), verb)
    except CippError as exc:
        raise CippError('Could not set mailbox rule %s for %s to %sd. Error: %s'
                        % (text_or_none(rule_name), text_or_none(username), verb, exc)) from None


def remove_mobile_devices(state, tenant_filter, username):
    """Remove-CIPPMobileDevice."""
    try:
        tenant = tenant_for(state, tenant_filter)
        user_id, _unused = require_mailbox(tenant, username)
        devices = tenant.mobile_devices.get(user_id, [])
        names = [str(d.get('FriendlyName') or d.get('DeviceFriendlyName') or '') for d in devices]
        tenant.mobile_devices[user_id] = []
        return 'Successfully removed %d mobile devices for %s: %s' % (len(names), username, '; '.join(names))
    except CippError as exc:
        raise CippError('Failed to remove mobile devices for %s. Error: %s' % (username, exc)) from None


PERMISSION_LEVELS = ('FullAccess', 'SendAs', 'SendOnBehalf')


def set_mailbox_permission(state, tenant_filter, mailbox_identity, access_user, level, action, automap=True):
    """Set-CIPPMailboxPermission (execute mode): one EXO cmdlet, CIPP's ExpectedResult text on success, its
    ``Failed to {Action} {Level} for {user} on {mailbox}: {error}`` text (returned, not thrown) on failure.

    Exchange itself re-applies quietly: adding a grant that is there and removing one that is not only warn, so CIPP
    reports success either way (Remove-CIPPMailboxPermissions reads those warnings; Set-CIPPMailboxPermission does not).
    Trustees are stored by UPN; automapping is kept internally only: Get-MailboxPermission does not return it.
    """
    try:
        tenant = tenant_for(state, tenant_filter)
        _unused, mailbox = require_mailbox(tenant, mailbox_identity)
        trustee = find_recipient(tenant, access_user)
        if trustee is None:
            raise CippError(recipient_not_found(access_user))
        upn = trustee.get('userPrincipalName')
        if level == 'FullAccess':
            perms = mailbox.setdefault('Permissions', [])
            held = [p for p in perms if str(p.get('User', '')).lower() == upn.lower() and 'FullAccess' in p.get('AccessRights', '')]
            if action == 'Add' and not held:
                perms.append({'User': upn, 'AccessRights': 'FullAccess', '_automap': bool(automap), '_addedAt': state.now()})
            elif action == 'Remove':
                mailbox['Permissions'] = [p for p in perms if p not in held]
        else:
            key = 'SendAs' if level == 'SendAs' else 'SendOnBehalf'
            holders = [t for t in mailbox.setdefault(key, []) if str(t).lower() != upn.lower()]
            mailbox[key] = holders + [upn] if action == 'Add' else holders
    except CippError as exc:
        return 'Failed to %s %s for %s on %s: %s' % (action, level, text_or_none(access_user), text_or_none(mailbox_identity), exc)
    if level == 'FullAccess':
        if action == 'Add':
            return 'Granted %s FullAccess to %s with automapping %s' % (access_user, mailbox_identity, ps_bool_text(bool(automap)))
        return 'Removed %s FullAccess from %s' % (access_user, mailbox_identity)
    return ('Granted %s %s permissions to %s' if action == 'Add' else 'Removed %s %s permissions from %s') % (access_user, level, mailbox_identity)


def grant_full_access(state, tenant_filter, mailbox_identity, access_users, automap):
    """Set-CIPPMailboxAccess: one result line per user (failures are lines too, as Set-CIPPMailboxPermission returns them)."""
    return [set_mailbox_permission(state, tenant_filter, mailbox_identity, label_value(access_user), 'FullAccess', 'Add', automap)
            for access_user in (access_users if isinstance(access_users, list) else [access_users])]


def remove_permissions_of(state, tenant_filter, access_user):
    """Remove-CIPPMailboxPermissions -UseCache: every FullAccess/SendAs/SendOnBehalf `access_user` holds, from the report."""
    tenant = state.resolve_tenant(tenant_filter)
    wanted = str(access_user).lower()
    lines = []
    for user_id, mailbox in (tenant.mailboxes.items() if tenant else []):
        mailbox_upn = user_upn(tenant, user_id)
        before = len(mailbox.get('Permissions', []))
        mailbox['Permissions'] = [p for p in mailbox.get('Permissions', []) if str(p.get('User', '')).lower() != wanted]
        if len(mailbox['Permissions']) != before:
            lines.append("Removed FullAccess permissions for %s from %s's mailbox." % (access_user, mailbox_upn))
        if any(str(t).lower() == wanted for t in mailbox.get('SendAs', [])):
            mailbox['SendAs'] = [t for t in mailbox['SendAs'] if str(t).lower() != wanted]
            lines.append("Removed SendAs permissions for %s from %s's mailbox." % (access_user, mailbox_upn))
        if any(str(t).lower() == wanted for t in mailbox.get('SendOnBehalf', [])):
            mailbox['SendOnBehalf'] = [t for t in mailbox['SendOnBehalf'] if str(t).lower() != wanted]
            lines.append("Removed SendOnBehalf permissions for %s from %s's mailbox." % (access_user, mailbox_upn))
    if not lines:
        return 'No mailbox permissions found for %s in cached data' % access_user
    return lines


# ---------------------------------------------------------------------------------------------------------------
# list views
# ---------------------------------------------------------------------------------------------------------------

def _archive_enabled(mailbox):
    return mailbox.get('ArchiveStatus') == 'Active'


def mailbox_row(tenant, user_id, mailbox):
    """The Get-Mailbox projection ListMailboxes and ListUserMailboxDetails.MailboxActionsData share."""
    user = tenant.users.get(user_id) or {}
    aliases = [strip_smtp(p) for p in user.get('proxyAddresses') or [] if str(p).startswith('smtp:')]
    return {
        'Id': user_id,
        'ExchangeGuid': _mailbox_guid(tenant, user_id, 'mailbox'),
        'ArchiveGuid': _mailbox_guid(tenant, user_id, 'archive') if _archive_enabled(mailbox) else ZERO_GUID,
        'WhenSoftDeleted': None,
        'UPN': user.get('userPrincipalName'),
        'displayName': user.get('displayName'),
        'primarySmtpAddress': mailbox.get('PrimarySmtpAddress'),
        'ArchiveEnabled': _archive_enabled(mailbox),
        'AutoExpandingArchive': bool(mailbox.get('_autoExpandingArchive')),
        'AutoExpandingArchiveScope': 'Mailbox' if mailbox.get('_autoExpandingArchive') else None,
        'recipientType': 'UserMailbox',
        'recipientTypeDetails': mailbox.get('RecipientTypeDetails'),
        'AdditionalEmailAddresses': ', '.join(aliases) if aliases else None,
        'ForwardingSmtpAddress': strip_smtp(mailbox.get('ForwardingSmtpAddress')),
        'InternalForwardingAddress': mailbox.get('ForwardingAddress'),
        'DeliverToMailboxAndForward': bool(mailbox.get('DeliverToMailboxAndForward')),
        'HiddenFromAddressListsEnabled': bool(mailbox.get('HiddenFromAddressListsEnabled')),
        'ExternalDirectoryObjectId': user_id,
        'IsDirSynced': bool(user.get('onPremisesSyncEnabled')),
        'MessageCopyForSendOnBehalfEnabled': False,
        'MessageCopyForSentAsEnabled': False,
        'LitigationHoldEnabled': bool(mailbox.get('_litigationHold')),
        'LitigationHoldDate': iso(mailbox.get('_litigationHoldDate')) if mailbox.get('_litigationHold') else None,
        'LitigationHoldDuration': 'Unlimited',
        'LicensedForLitigationHold': mailbox.get('RecipientTypeDetails') == 'UserMailbox',
        'ComplianceTagHoldApplied': False,
        'RetentionHoldEnabled': False,
        'InPlaceHolds': [],
        'RetentionPolicy': 'Default MRM Policy',
    }


def _tenant_from_query(req):
    return req.state.resolve_tenant(req.q('tenantFilter')) if req.q('tenantFilter') else None


@endpoint('ListMailboxes', 'Exchange.Mailbox.Read')
def list_mailboxes(req):
    """Get-Mailbox projection; UseReportDB reads the (always fresh, in the emulator) report cache."""
    with req.state.lock:
        tenant = _tenant_from_query(req)
        if tenant is None:
            # Live path: EXO call fails -> the handler's catch gives 403 with the normalized error.
            return Response.json([tenant_error_text(req.q('tenantFilter'))], 403)
        rows = [mailbox_row(tenant, uid, mbx) for uid, mbx in tenant.mailboxes.items()]
        if eq_true(req.q('UseReportDB')):
            stamp = iso(req.state.now())
            for row in rows:
                row['CacheTimestamp'] = stamp
        return Response.json(rows)


def tenant_error_text(tenant_filter):
    return "Exchange request denied for '%s': the tenant is not in CIPP's tenant list." % text_or_none(tenant_filter)


def _permission_rows(mailbox):
    """ListmailboxPermissions' live rows, in the order of its bulk request: Get-Mailbox (SendOnBehalf),
    Get-MailboxPermission (AccessRights joined), Get-RecipientPermission (AccessRights left as an array)."""
    rows = [{'User': u, 'Permissions': 'SendOnBehalf'} for u in mailbox.get('SendOnBehalf', [])]
    rows.append({'User': 'NT AUTHORITY\\SELF', 'Permissions': 'FullAccess, ReadPermission'})
    rows.extend({'User': p['User'], 'Permissions': p.get('AccessRights', 'FullAccess')} for p in mailbox.get('Permissions', []))
    rows.append({'User': 'NT AUTHORITY\\SELF', 'Permissions': ['SendAs']})
    rows.extend({'User': t, 'Permissions': ['SendAs']} for t in mailbox.get('SendAs', []))
    return rows


REPORT_MISSING = ('Failed to generate mailbox permission report: No mailbox data found in reporting database. '
                  'Sync the mailbox permissions first. ')


def _permission_report(state, tenant, by_user):
    """Get-CIPPMailboxPermissionReport: grouped by mailbox, or (ByUser) by the user holding the rights.

    CIPP builds it from its reporting database (a cache its sync jobs fill, and that its own permission writes update
    through Sync-CIPPMailboxPermissionCache); the emulator's cache is always current. SendOnBehalf delegates are
    cached by UPN (Push-GetMailboxPermissionsBatch resolves GrantSendOnBehalfTo through the mailbox list)."""
    by_mailbox = []
    holders = {}
    stamp = iso(state.now())
    for user_id, mailbox in tenant.mailboxes.items():
        upn = user_upn(tenant, user_id)
        display = (tenant.users.get(user_id) or {}).get('displayName')
        perms = [{'User': p['User'], 'AccessRights': p.get('AccessRights', 'FullAccess')} for p in mailbox.get('Permissions', [])]
        perms += [{'User': t, 'AccessRights': 'SendAs'} for t in mailbox.get('SendAs', [])]
        perms += [{'User': t, 'AccessRights': 'SendOnBehalf'} for t in mailbox.get('SendOnBehalf', [])]
        if not perms:
            continue
        by_mailbox.append({'MailboxUPN': upn, 'MailboxDisplayName': display,
                           'MailboxType': mailbox.get('RecipientTypeDetails'), 'PermissionCount': len(perms),
                           'Permissions': perms, 'Tenant': tenant.row.get('defaultDomainName'),
                           'MailboxCacheTimestamp': stamp, 'PermissionCacheTimestamp': stamp})
        for perm in perms:
            holder_id, holder_mailbox = find_mailbox(tenant, perm['User'])
            entry = holders.setdefault(perm['User'].lower(), {
                'User': perm['User'], 'UserMailboxType': holder_mailbox.get('RecipientTypeDetails') if holder_id else 'Unknown',
                'MailboxCount': 0, 'Permissions': [], 'Tenant': tenant.row.get('defaultDomainName'),
                'MailboxCacheTimestamp': stamp, 'PermissionCacheTimestamp': stamp})
            entry['Permissions'].append({'Mailbox': display, 'MailboxUPN': upn, 'AccessRights': perm['AccessRights']})
            # Group-Object's Count: one per permission row, not per mailbox.
            entry['MailboxCount'] = len(entry['Permissions'])
    return sorted(holders.values(), key=lambda row: row['User'].lower()) if by_user else by_mailbox


@endpoint('ListmailboxPermissions', 'Exchange.Mailbox.Read')
def list_mailbox_permissions(req):
    user_ident = req.q('userId')
    with req.state.lock:
        tenant = _tenant_from_query(req)
        if eq_true(req.q('UseReportDB')) and not user_ident:
            if tenant is None:
                return Response.json([REPORT_MISSING], 500)
            rows = _permission_report(req.state, tenant, str(req.q('ByUser')).lower() == 'true')
            if req.q('User') and str(req.q('ByUser')).lower() == 'true':
                rows = [r for r in rows if str(r['User']).lower() == str(req.q('User')).lower()]
            return Response.json(rows)
        if tenant is None:
            return Response.json([tenant_error_text(req.q('tenantFilter'))], 403)
        _unused, mailbox = find_mailbox(tenant, user_ident)
        if mailbox is None:
            # New-ExoBulkRequest turns each cmdlet's error into an {error, target} row, and the handler keeps only rows
            # with Trustee, User+AccessRights or GrantSendonBehalfTo: an unknown mailbox is an empty 200.
            return Response.json([])
        return Response.json(_permission_rows(mailbox))


EDIT_PERMISSION_BUCKETS = (
    ('RemoveFullAccess', 'FullAccess', 'Remove', True), ('AddFullAccess', 'FullAccess', 'Add', True),
    ('AddFullAccessNoAutoMap', 'FullAccess', 'Add', False), ('AddSendAs', 'SendAs', 'Add', True),
    ('RemoveSendAs', 'SendAs', 'Remove', True), ('AddSendOnBehalf', 'SendOnBehalf', 'Add', True),
    ('RemoveSendOnBehalf', 'SendOnBehalf', 'Remove', True),
)


def _bucket_values(value):
    """``($Request.body.<Bucket>).value``: an object's value (one or a list), or each item's value in a list."""
    if isinstance(value, dict):
        value = value.get('value')
        return [v for v in (value if isinstance(value, list) else [value]) if v is not None]
    if isinstance(value, list):
        return [item.get('value') for item in value if isinstance(item, dict) and item.get('value') is not None]
    return []


@endpoint('ExecEditMailboxPermissions', 'Exchange.Mailbox.ReadWrite', write=True)
def exec_edit_mailbox_permissions(req):
    """Body only (userID, tenantfilter, the seven buckets), in the handler's bucket order; one Set-CIPPMailboxPermission
    per trustee and bucket; always 200 with every text, failures included."""
    mailbox = req.b('userID')
    if mailbox is None:
        # `if ($null -eq $username) { exit }`: no answer from the script, which the emulator gives as an empty 200 like
        # RemoveUser's exit (CONTRACT 5.18).
        return Response.empty()
    lines = []
    with req.state.lock:
        for bucket, level, action, automap in EDIT_PERMISSION_BUCKETS:
            for access_user in _bucket_values(req.b(bucket)):
                lines.append(set_mailbox_permission(req.state, req.b('tenantFilter'), mailbox, access_user, level, action, automap))
    return results(lines)


def _sync_text(value):
    """``$_.FirstSyncTime.toString()`` inside Select-Object: a null time gives no value (the expression's error is swallowed)."""
    return ps_datetime_text(parse_time(value)) if parse_time(value) is not None else None


def mobile_device_row(device):
    """Invoke-ListMailboxMobileDevices' Select-Object over Get-MobileDeviceStatistics."""
    return {
        'clientType': device.get('ClientType'), 'clientVersion': device.get('ClientVersion'),
        'deviceAccessState': device.get('DeviceAccessState'),
        'deviceFriendlyName': device.get('DeviceFriendlyName') or 'Unknown',
        'deviceModel': device.get('DeviceModel'), 'deviceOS': device.get('DeviceOS'), 'deviceType': device.get('DeviceType'),
        'firstSync': _sync_text(device.get('FirstSyncTime')), 'lastSyncAttempt': _sync_text(device.get('LastSyncAttemptTime')),
        'lastSuccessSync': _sync_text(device.get('LastSuccessSync')), 'status': device.get('Status'),
        'deviceID': device.get('DeviceId'), 'Guid': device.get('Guid'),
    }


@endpoint('ListMailboxMobileDevices', 'Exchange.Mailbox.Read')
def list_mailbox_mobile_devices(req):
    """Query ``Mailbox`` (base64-encoded into the adminapi URL); any failure is 403 with the normalized error."""
    with req.state.lock:
        try:
            tenant = tenant_for(req.state, req.q('tenantFilter'))
            user_id, _unused = require_mailbox(tenant, req.q('Mailbox'))
        except CippError as exc:
            return Response.json([str(exc)], 403)
        return Response.json([mobile_device_row(d) for d in tenant.mobile_devices.get(user_id, [])])


def set_mobile_device(state, tenant_filter, user_id, guid, device_id, quarantine, delete):
    """Set-CIPPMobileDevice: Quarantine 'true'/'false' blocks/allows the device id on the CAS mailbox (and returns);
    Delete 'true' runs Remove-MobileDevice -Identity <Guid>; anything else returns nothing."""
    if quarantine in ('true', 'false'):
        try:
            tenant = tenant_for(state, tenant_filter)
            _unused, mailbox = require_mailbox(tenant, user_id)
            key = '_activeSyncBlockedDeviceIds' if quarantine == 'true' else '_activeSyncAllowedDeviceIds'
            if device_id not in mailbox.setdefault(key, []):
                mailbox[key].append(device_id)
        except CippError as exc:
            return 'Failed to %s Active Sync Device for %s: %s' % ('Block' if quarantine == 'true' else 'Allow', user_id, exc)
        return '%s Active Sync Device for %s' % ('Blocked' if quarantine == 'true' else 'Allowed', user_id)
    if delete != 'true':
        return None
    try:
        tenant = tenant_for(state, tenant_filter)
        # The system mailbox resolves the device by its Guid alone, whichever mailbox it belongs to.
        for owner, devices in tenant.mobile_devices.items():
            if any(str(d.get('Guid')).lower() == str(guid).lower() for d in devices):
                tenant.mobile_devices[owner] = [d for d in devices if str(d.get('Guid')).lower() != str(guid).lower()]
                return 'Deleted Active Sync Device for %s' % text_or_none(user_id)
        raise CippError("The operation couldn't be performed because object '%s' couldn't be found on '%s'." % (text_or_none(guid), EXO_DC))
    except CippError as exc:
        return 'Failed to delete Mobile Device %s: %s' % (text_or_none(guid), exc)


@endpoint('ExecMailboxMobileDevices', 'Exchange.Mailbox.ReadWrite', write=True)
def exec_mailbox_mobile_devices(req):
    """Query only (Userid, guid, deviceid, Quarantine, Delete, tenantfilter); always 200, failures are texts."""
    with req.state.lock:
        text = set_mobile_device(req.state, req.q('tenantFilter'), req.q('Userid'), req.q('guid'), req.q('deviceid'),
                                 str(req.q('Quarantine') or '').lower(), str(req.q('Delete') or '').lower())
    return results(text)


def rule_view(rule):
    """Get-InboxRule object as CIPP passes it on: internal keys dropped, RuleIdentity excluded by Select-Object."""
    row = public(rule)
    row.pop('RuleIdentity', None)
    return row


@endpoint('ListUserMailboxRules', 'Exchange.Mailbox.Read')
def list_user_mailbox_rules(req):
    user_ident = req.q('UserID')
    user_email = req.q('userEmail') if str(req.q('userEmail') or '').strip() else user_ident
    with req.state.lock:
        try:
            tenant = tenant_for(req.state, req.q('tenantFilter'))
            user_id, _unused = require_mailbox(tenant, user_ident)
        except CippError as exc:
            return Response.json(['Failed to retrieve mailbox rules for %s : Error: %s' % (text_or_none(user_email), exc)], 500)
        return Response.json([rule_view(r) for r in visible_rules(tenant, user_id)])


def _rule_cache(state):
    """Per-state cache of the tenant-wide rule scan (CIPP's cachembxrules table): tenant key -> filled-at epoch."""
    cache = getattr(state, '_exchange_rule_cache', None)
    if cache is None:
        cache = {}
        setattr(state, '_exchange_rule_cache', cache)
    return cache


def _tenant_rule_rows(tenant):
    rows = []
    for user_id in tenant.mailboxes:
        upn = user_upn(tenant, user_id)
        for rule in visible_rules(tenant, user_id):
            row = rule_view(rule)
            row.update(OperationGuid=upn, Tenant=tenant.row.get('defaultDomainName'))
            rows.append(row)
    return rows


@endpoint('ListMailboxRules', 'Exchange.Mailbox.Read')
def list_mailbox_rules(req):
    """Tenant-wide rules. Live path = CIPP's cache table: the first call queues a scan and answers with a loading
    message; calls within the next hour get the rows. UseReportDB reads the report (always filled in the emulator)."""
    tenant_filter = req.q('tenantFilter')
    with req.state.lock:
        tenants = _tenants_for_filter(req.state, tenant_filter)
        if eq_true(req.q('UseReportDB')):
            if not tenants:
                return Response.json(['No mailbox rules data found in reporting database. Sync the report data first.'], 500)
            stamp = iso(req.state.now())
            rows = []
            for tenant in tenants:
                for row in _tenant_rule_rows(tenant):
                    row['UserPrincipalName'] = row.pop('OperationGuid')
                    row['CacheTimestamp'] = stamp
                    rows.append(row)
            return Response.json(rows)
        cache = _rule_cache(req.state)
        key = str(tenant_filter).lower()
        filled = cache.get(key)
        if filled is None or req.state.now() - filled > RULE_CACHE_SECONDS:
            cache[key] = req.state.now()
            queue_id = str(uuid.uuid4())
            return Response.json({'Results': [], 'Metadata': {'QueueMessage': 'Loading data for %s. Please check back in 1 minute'
                                                                              % text_or_none(tenant_filter), 'QueueId': queue_id}})
        rows = [row for tenant in tenants for row in _tenant_rule_rows(tenant)]
        return Response.json({'Results': rows, 'Metadata': {'QueueId': None}})


def _tenants_for_filter(state, tenant_filter):
    if str(tenant_filter).lower() == 'alltenants':
        return list(state.tenants.values())
    tenant = state.resolve_tenant(tenant_filter) if tenant_filter else None
    return [tenant] if tenant else []


def ooo_view(mailbox):
    """Get-CIPPOutOfOffice's object: the fields of Get-MailboxAutoReplyConfiguration CIPP picks."""
    def short(ts):
        return datetime.fromtimestamp(float(ts), timezone.utc).strftime('%Y-%m-%d %H:%M') if ts else None
    return {
        'AutoReplyState': mailbox.get('AutoReplyState', 'Disabled'),
        'StartTime': short(mailbox.get('StartTime')),
        'EndTime': short(mailbox.get('EndTime')),
        'InternalMessage': mailbox.get('InternalMessage'),
        'ExternalMessage': mailbox.get('ExternalMessage'),
        'CreateOOFEvent': bool(mailbox.get('CreateOOFEvent', False)),
        'OOFEventSubject': mailbox.get('OOFEventSubject'),
        'AutoDeclineFutureRequestsWhenOOF': bool(mailbox.get('AutoDeclineFutureRequestsWhenOOF', False)),
        'DeclineEventsForScheduledOOF': bool(mailbox.get('DeclineEventsForScheduledOOF', False)),
        'DeclineAllEventsForScheduledOOF': bool(mailbox.get('DeclineAllEventsForScheduledOOF', False)),
        'DeclineMeetingMessage': mailbox.get('DeclineMeetingMessage'),
    }


@endpoint('ListOoO', 'Exchange.Mailbox.Read')
def list_ooo(req):
    """The body is the string ConvertTo-Json made (indented, not compressed); the worker labels it JSON."""
    user_ident = req.q('userid')
    with req.state.lock:
        try:
            tenant = tenant_for(req.state, req.q('tenantFilter'))
            _unused, mailbox = require_mailbox(tenant, user_ident)
        except CippError as exc:
            return Response.text('Could not retrieve out of office message for %s. Error: %s' % (text_or_none(user_ident), exc), 500)
        return Response.json(ooo_view(mailbox))


# The shape capture (shapes/ListMailboxCAS.json) has these lower-case names; see the README for the 10.8.2 casing.
_CAS_FIELDS = (('ecpenabled', 'ECPEnabled'), ('owaenabled', 'OWAEnabled'), ('imapenabled', 'ImapEnabled'),
               ('popenabled', 'PopEnabled'), ('mapienabled', 'MAPIEnabled'), ('ewsenabled', 'EwsEnabled'),
               ('activesyncenabled', 'ActiveSyncEnabled'))


def cas_settings(mailbox):
    """Get-CASMailbox protocol switches; all on unless the seed turned one off (`_cas`)."""
    settings = {name: True for _unused, name in _CAS_FIELDS}
    settings['SmtpClientAuthenticationDisabled'] = None
    settings.update(mailbox.get('_cas') or {})
    return settings


@endpoint('ListMailboxCAS', 'Exchange.Mailbox.Read')
def list_mailbox_cas(req):
    with req.state.lock:
        tenant = _tenant_from_query(req)
        if tenant is None:
            return Response.json([tenant_error_text(req.q('TenantFilter'))], 403)
        rows = []
        for user_id, mailbox in tenant.mailboxes.items():
            cas = cas_settings(mailbox)
            row = {'displayName': (tenant.users.get(user_id) or {}).get('displayName'), 'primarySmtpAddress': mailbox.get('PrimarySmtpAddress')}
            row.update({short: cas[name] for short, name in _CAS_FIELDS})
            rows.append(row)
        return Response.json(rows)


@endpoint('ListMailboxForwarding', 'Exchange.Mailbox.Read')
def list_mailbox_forwarding(req):
    with req.state.lock:
        tenant = _tenant_from_query(req)
        if tenant is None:
            status = 500 if eq_true(req.q('UseReportDB')) else 403
            return Response.json([tenant_error_text(req.q('tenantFilter'))], status)
        rows = []
        for user_id, mailbox in tenant.mailboxes.items():
            external = strip_smtp(mailbox.get('ForwardingSmtpAddress'))
            internal = mailbox.get('ForwardingAddress')
            if not external and not internal:
                continue
            user = tenant.users.get(user_id) or {}
            rows.append({'UPN': user.get('userPrincipalName'), 'DisplayName': user.get('displayName'),
                         'PrimarySmtpAddress': mailbox.get('PrimarySmtpAddress'),
                         'RecipientTypeDetails': mailbox.get('RecipientTypeDetails'),
                         'ForwardingType': 'External' if external else 'Internal',
                         'ForwardTo': external or internal,
                         # -replace on $null gives '' in PowerShell; ForwardingAddress stays $null.
                         'ForwardingSmtpAddress': external or '',
                         'InternalForwardingAddress': internal,
                         'DeliverToMailboxAndForward': bool(mailbox.get('DeliverToMailboxAndForward'))})
        return Response.json(rows)


def _details_permissions(tenant, mailbox):
    """ListUserMailboxDetails' Permissions: MailboxPermission + RecipientPermission without SELF, then SendOnBehalf."""
    perms = [{'User': p['User'], 'AccessRights': p.get('AccessRights', 'FullAccess')} for p in mailbox.get('Permissions', [])]
    perms += [{'User': t, 'AccessRights': 'SendAs'} for t in mailbox.get('SendAs', [])]
    for trustee in mailbox.get('SendOnBehalf', []):
        user = find_recipient(tenant, trustee)
        perms.append({'User': user.get('userPrincipalName') if user else trustee, 'AccessRights': 'SendOnBehalf'})
    return perms


def _forwarding_address(tenant, mailbox):
    """External first (smtp: stripped), else the internal recipient resolved to a UPN like CIPP does."""
    if mailbox.get('ForwardingSmtpAddress'):
        return strip_smtp(mailbox['ForwardingSmtpAddress'])
    raw = mailbox.get('ForwardingAddress')
    if not raw or '@' in raw:
        return raw
    wanted = str(raw).lower()
    for user in tenant.users.values():  # `$_.id -eq $raw -or $_.mailNickname -eq $raw` (case-insensitive)
        if wanted in (str(user.get('id')).lower(), str(user.get('mailNickname')).lower()):
            return user.get('userPrincipalName')
    # Then Graph's contacts: displayName eq raw or mailNickname eq raw-without-spaces; else the raw identity (C15).
    nickname = wanted.replace(' ', '')
    for contact in getattr(tenant, 'contacts', []):
        if str(contact.get('displayName')).lower() == wanted or str(contact.get('mailNickname')).lower() == nickname:
            return contact.get('mail')
    return raw


def _get_mailbox_object(tenant, user_id, mailbox):
    """The full Get-Mailbox object CIPP returns under `Mailbox`."""
    user = tenant.users.get(user_id) or {}
    obj = {
        'Identity': user_id, 'Id': user_id, 'Name': user.get('mailNickname'), 'DisplayName': user.get('displayName'),
        'Alias': user.get('mailNickname'), 'UserPrincipalName': user.get('userPrincipalName'),
        'PrimarySmtpAddress': mailbox.get('PrimarySmtpAddress'), 'EmailAddresses': list(user.get('proxyAddresses') or []),
        'RecipientType': 'UserMailbox', 'RecipientTypeDetails': mailbox.get('RecipientTypeDetails'),
        'ForwardingAddress': mailbox.get('ForwardingAddress'), 'ForwardingSmtpAddress': mailbox.get('ForwardingSmtpAddress'),
        'DeliverToMailboxAndForward': bool(mailbox.get('DeliverToMailboxAndForward')),
        'HiddenFromAddressListsEnabled': bool(mailbox.get('HiddenFromAddressListsEnabled')),
        'GrantSendOnBehalfTo': list(mailbox.get('SendOnBehalf', [])),
        'ArchiveStatus': mailbox.get('ArchiveStatus', 'None'),
        'ArchiveGuid': _mailbox_guid(tenant, user_id, 'archive') if _archive_enabled(mailbox) else ZERO_GUID,
        'ExchangeGuid': _mailbox_guid(tenant, user_id, 'mailbox'),
        'ExternalDirectoryObjectId': user_id, 'IsDirSynced': bool(user.get('onPremisesSyncEnabled')),
        'ProhibitSendQuota': '99 GB (106,300,440,576 bytes)', 'ProhibitSendReceiveQuota': '100 GB (107,374,182,400 bytes)',
        'LitigationHoldEnabled': bool(mailbox.get('_litigationHold')), 'RetentionHoldEnabled': False,
        'ComplianceTagHoldApplied': False, 'InPlaceHolds': [], 'RetentionPolicy': 'Default MRM Policy',
        'WhenSoftDeleted': None,
    }
    return obj


@endpoint('ListUserMailboxDetails', 'Exchange.Mailbox.Read')
def list_user_mailbox_details(req):
    """One-element array. CIPP writes EXO failures out non-terminally, so an unknown mailbox still gives 200 with
    empty fields (the emulator returns nulls there)."""
    with req.state.lock:
        tenant = _tenant_from_query(req)
        user_id, mailbox = find_mailbox(tenant, req.q('UserID')) if tenant else (None, None)
        if mailbox is None:
            return Response.json([_empty_details()])
        return Response.json([_details(tenant, user_id, mailbox, req.q('userMail'))])


def _empty_details():
    keys = ('ForwardAndDeliver', 'ForwardingAddress', 'LitigationHold', 'RetentionHold', 'ComplianceTagHold',
            'HiddenFromAddressLists', 'EWSEnabled', 'MailboxMAPIEnabled', 'MailboxOWAEnabled', 'MailboxImapEnabled',
            'MailboxPopEnabled', 'MailboxActiveSyncEnabled', 'SmtpClientAuthenticationDisabled', 'TotalArchiveItemSize',
            'TotalArchiveItemCount', 'AutoExpandingArchive', 'AutoExpandingArchiveScope', 'RecipientTypeDetails', 'Mailbox',
            'RetentionPolicy', 'MailboxActionsData', 'ArchiveMailBox')
    row = {k: None for k in keys}
    row.update(InPlaceHold=False, EDiscoveryHold=False, PurviewRetentionHold=False, ExcludedFromOrgWideHold=False,
               Permissions=[], ProhibitSendQuota=0, ProhibitSendReceiveQuota=0, ItemCount=0, TotalItemSize=0,
               BlockedForSpam=False)
    return row


def _details(tenant, user_id, mailbox, user_mail):
    cas = cas_settings(mailbox)
    archived = _archive_enabled(mailbox)
    blocked = bool(user_mail) and str(user_mail).lower() in {str(a).lower() for a in mailbox.get('_blockedSenders', [])}
    row = {
        'ForwardAndDeliver': bool(mailbox.get('DeliverToMailboxAndForward')),
        'ForwardingAddress': _forwarding_address(tenant, mailbox),
        'LitigationHold': bool(mailbox.get('_litigationHold')), 'RetentionHold': False, 'ComplianceTagHold': False,
        'InPlaceHold': False, 'EDiscoveryHold': False, 'PurviewRetentionHold': False, 'ExcludedFromOrgWideHold': False,
        'HiddenFromAddressLists': bool(mailbox.get('HiddenFromAddressListsEnabled')),
        'EWSEnabled': cas['EwsEnabled'], 'MailboxMAPIEnabled': cas['MAPIEnabled'], 'MailboxOWAEnabled': cas['OWAEnabled'],
        'MailboxImapEnabled': cas['ImapEnabled'], 'MailboxPopEnabled': cas['PopEnabled'],
        'MailboxActiveSyncEnabled': cas['ActiveSyncEnabled'], 'SmtpClientAuthenticationDisabled': cas['SmtpClientAuthenticationDisabled'],
        'Permissions': _details_permissions(tenant, mailbox),
        'ProhibitSendQuota': 99.0, 'ProhibitSendReceiveQuota': 100.0,
        'ItemCount': int(mailbox.get('ItemCount') or 0), 'TotalItemSize': round(float(mailbox.get('TotalItemSizeGB') or 0), 2),
        'TotalArchiveItemSize': round(float(mailbox.get('_archiveSizeGB') or 0), 2) if archived else None,
        'TotalArchiveItemCount': int(mailbox.get('_archiveItemCount') or 0) if archived else None,
        'BlockedForSpam': blocked, 'ArchiveMailBox': archived,
        'AutoExpandingArchive': bool(mailbox.get('_autoExpandingArchive')),
        'AutoExpandingArchiveScope': 'Mailbox' if mailbox.get('_autoExpandingArchive') else None,
        'RecipientTypeDetails': mailbox.get('RecipientTypeDetails'),
        'Mailbox': _get_mailbox_object(tenant, user_id, mailbox),
        'RetentionPolicy': 'Default MRM Policy',
    }
    actions = mailbox_row(tenant, user_id, mailbox)
    for key in ('ArchiveEnabled', 'AutoExpandingArchive', 'AutoExpandingArchiveScope'):
        actions.pop(key)
    actions['id'] = actions.pop('Id')
    row['MailboxActionsData'] = actions
    return row


# ---------------------------------------------------------------------------------------------------------------
# write endpoints
# ---------------------------------------------------------------------------------------------------------------

@endpoint('ExecEmailForward', 'Exchange.Mailbox.ReadWrite', write=True)
def exec_email_forward(req):
    """Body only. An unknown/missing forwardOption falls through the switch with no status code: the router's 500."""
    option = str(req.b('forwardOption') or '').lower()
    if option not in ('internaladdress', 'externaladdress', 'disabled'):
        return Response.json({'error': {'code': 'InternalServerError', 'message': 'An error occurred processing the request'}}, 500)
    forward_internal = req.b('ForwardInternal')
    forward = forward_internal if isinstance(forward_internal, str) else label_value(forward_internal) if forward_internal else None
    username = req.b('userID')
    keep_copy = eq_true(req.b('KeepCopy'))
    with req.state.lock:
        try:
            if option == 'internaladdress':
                text = set_forwarding(req.state, req.b('tenantFilter'), username, forward=forward, keep_copy=keep_copy)
            elif option == 'externaladdress':
                text = set_forwarding(req.state, req.b('tenantFilter'), username, smtp_address=req.b('ForwardExternal'),
                                      keep_copy=keep_copy)
            else:
                text = set_forwarding(req.state, req.b('tenantFilter'), username, disable=True)
        except CippError as exc:
            return results([str(exc)], 500)
    # Set-CIPPForwarding returns $null when no address was given; @($null) is a one-element array.
    return results([text])


def _ooo_messages(req):
    """`input` sets both messages; otherwise blank Internal/ExternalMessage are left out (existing text kept)."""
    if req.b('input'):
        return req.b('input'), req.b('input')
    internal = req.b('InternalMessage')
    external = req.b('ExternalMessage')
    internal = internal if isinstance(internal, str) and internal.strip() else None
    external = external if isinstance(external, str) and external.strip() else None
    return internal, external


def _calendar_options(req):
    """Scheduled-only calendar switches, passed on only when present."""
    extra = {}
    for name in ('CreateOOFEvent', 'AutoDeclineFutureRequestsWhenOOF', 'DeclineEventsForScheduledOOF'):
        if req.b(name) is not None:
            extra[name] = ps_bool(req.b(name))
    if 'DeclineEventsForScheduledOOF' in extra:
        extra['DeclineAllEventsForScheduledOOF'] = extra['DeclineEventsForScheduledOOF']
    for name in ('OOFEventSubject', 'DeclineMeetingMessage'):
        if isinstance(req.b(name), str) and req.b(name).strip():
            extra[name] = req.b(name)
    return extra


@endpoint('ExecSetOoO', 'Exchange.Mailbox.ReadWrite', write=True)
def exec_set_ooo(req):
    user = req.b('userId')
    raw_state = req.b('AutoReplyState')
    ooo_state = label_value(raw_state) if isinstance(raw_state, dict) else raw_state
    internal, external = _ooo_messages(req)
    scheduled = str(ooo_state or '').lower() == 'scheduled'
    with req.state.lock:
        try:
            text = set_out_of_office(req.state, req.b('tenantFilter'), user, ooo_state, internal, external,
                                     start=req.b('StartTime') if scheduled else None, end=req.b('EndTime') if scheduled else None,
                                     extra=_calendar_options(req) if scheduled else None)
        except CippError as exc:
            return results('Could not set Out of Office for user: %s. Error: %s' % (text_or_none(user), exc), 500)
    return results(text)


@endpoint('ExecConvertMailbox', 'Exchange.Mailbox.ReadWrite', write=True)
def exec_convert_mailbox(req):
    with req.state.lock:
        try:
            text = set_mailbox_type(req.state, req.b('tenantFilter'), req.b('ID'), req.b('MailboxType'))
        except CippError as exc:
            return results(str(exc), 500)
    return results(text)


@endpoint('ExecEnableArchive', 'Exchange.Mailbox.ReadWrite', write=True)
def exec_enable_archive(req):
    """Enable-Mailbox -Archive. A second call on an archived mailbox: EXO refuses (documented assumption)."""
    identity = req.qb('id')
    username = req.qb('username') if str(req.qb('username') or '').strip() else identity
    with req.state.lock:
        try:
            tenant = tenant_for(req.state, req.qb('tenantFilter'))
            user_id, mailbox = require_mailbox(tenant, identity)
            user = tenant.users.get(user_id) or {}
            if user.get('onPremisesSyncEnabled'):
                raise CippError("The following error occurred during validation in agent 'Windows LiveId Agent': 'Can't enable the "
                                "archive for '%s' because this user object is synchronized with the on-premises directory. To "
                                "enable a cloud-based archive mailbox for this user, you must use your on-premises Exchange admin "
                                "center or Exchange Management Shell.'" % user.get('displayName'))
            if _archive_enabled(mailbox):
                raise CippError('The mailbox "%s" already has an archive.' % text_or_none(identity))
            mailbox['ArchiveStatus'] = 'Active'
            text = 'Successfully set archive for %s to True' % text_or_none(username)
        except CippError as exc:
            return results('Failed to set archive for %s. Error: %s' % (text_or_none(username), exc), 500)
    return results(text)


@endpoint('ExecHideFromGAL', 'Exchange.Mailbox.ReadWrite', write=True)
def exec_hide_from_gal(req):
    """Convert.ToBoolean runs before the try block: a bad value is the router's 500 text (ConvertBoolError)."""
    hide = convert_to_bool(req.qb('HideFromGAL'))
    with req.state.lock:
        try:
            text = set_hide_from_gal(req.state, req.qb('tenantFilter'), req.qb('ID'), hide)
        except CippError as exc:
            return results(str(exc), 403)
    return results(text)


@endpoint('ExecRemoveMailboxRule', 'Exchange.Mailbox.ReadWrite', write=True)
def exec_remove_mailbox_rule(req):
    """Q/B: TenantFilter, ruleId (the rule's Identity), ruleName (message), userPrincipalName (anchor)."""
    rule_id = req.qb('ruleId')
    if rule_id is None:
        # `$RuleId.Split('\\')` runs before the try block.
        return Response.text('You cannot call a method on a null-valued expression.', 500)
    mailbox_object_id = str(rule_id).split('\\', maxsplit=1)[0]
    with req.state.lock:
        try:
            text = remove_rule(req.state, req.qb('TenantFilter'), req.qb('userPrincipalName'), rule_id, req.qb('ruleName'),
                               mailbox_object_id)
        except CippError as exc:
            return results(str(exc), 500)
    return results(text)


@endpoint('ExecSetMailboxRule', 'Exchange.Mailbox.ReadWrite', write=True)
def exec_set_mailbox_rule(req):
    """Body only; Enable/Disable use `-as [bool]` (any non-empty string is true). No try block: failures are the
    router's 500 text/plain with the thrown message."""
    enable = ps_bool(req.b('Enable'))
    disable = ps_bool(req.b('Disable'))
    if not enable and not disable:
        return Response.text('No state provided for mailbox rule', 500)
    with req.state.lock:
        try:
            text = set_rule_state(req.state, req.b('TenantFilter'), req.b('userPrincipalName'), req.b('ruleId'),
                                  req.b('ruleName'), enable)
        except CippError as exc:
            return Response.text(str(exc), 500)
    return results(text)


def dumps(obj):
    """Compact JSON as ConvertTo-Json -Compress writes it (used where CIPP stores JSON strings)."""
    return json.dumps(obj, separators=(',', ':'), ensure_ascii=False)
