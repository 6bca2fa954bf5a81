"""Exchange, MFA and BEC data for one seeded tenant (called by seed.py after the directory data exists).

Deterministic for a given `rng`, and cheap per user (the large seed builds 500 x 50 users): no per-user loops
inside loops, no deep copies of big structures.
"""

import copy
import uuid

from .handlers_exchange import iso
from .seed import new_user

DAY = 86400
# Graph's fixed ids for the phone methods (mobile / alternate mobile / office).
MOBILE_PHONE_ID = '3179e48a-750b-4051-897c-87b9720928f7'
PHONES = ('iPhone 15', 'iPhone 14 Pro', 'Pixel 8', 'Galaxy S23', 'iPhone 13', 'Galaxy A54')
FOLDERS = ('Newsletters', 'Notifications', 'Receipts', 'Vendors', 'Team Updates')
SENDERS = ('newsletter@', 'noreply@', 'notifications@', 'digest@')
ATTACKER_MAILBOXES = ('j.harlow.finance@gmail.com', 'accounts.update@proton.me', 'invoice-dept@protonmail.com')
# Where the compromised user's sign-ins come from (one of these per tenant).
BAD_LOCATIONS = (('Lagos', 'Lagos', 'NG', '102.89.34.'), ('Moscow', 'Moscow', 'RU', '95.165.12.'),
                 ('Bucharest', 'Bucharest', 'RO', '86.120.44.'), ('Jakarta', 'Jakarta', 'ID', '180.252.9.'))
SUSPICIOUS_APPS = (('PERFECTDATA SOFTWARE', 'ff8d92dc-3d82-41d6-bcbd-b9174d163620', 'PERFECTDATA SOFTWARE'),
                   ('eM Client', 'e9a7fea1-1cc0-4cd9-a31b-9137ca5deedd', 'eM Client s.r.o.'),
                   ('Newsletter Software Supermailer', 'a245e8c0-b53c-4b67-9b45-751d1dff8e6b', 'Supermailer'))


def _uid(tenant, *parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, 'seed-exo:%s:%s' % (tenant.row['customerId'], ':'.join(str(p) for p in parts))))


def _rid(rng):
    """A GUID-formatted id from the seed's rng: deterministic, and much cheaper than uuid5 on the large seed."""
    text = '%032x' % rng.getrandbits(128)
    return '%s-%s-%s-%s-%s' % (text[:8], text[8:12], text[12:16], text[16:20], text[20:])


def _domain(tenant):
    return tenant.row['defaultDomainName']


def _is_member(user):
    return user.get('userType', 'Member') != 'Guest' and '#ext#' not in str(user.get('userPrincipalName', '')).lower()


def _mailbox(user, details='UserMailbox', now=0.0, rng=None):
    """A Get-Mailbox-like record with the fields state.py documents (plus a few internal ones)."""
    return {
        'RecipientTypeDetails': details,
        'PrimarySmtpAddress': user.get('mail') or user.get('userPrincipalName'),
        'ForwardingAddress': None, 'ForwardingSmtpAddress': None, 'DeliverToMailboxAndForward': False,
        'HiddenFromAddressListsEnabled': False, 'ArchiveStatus': 'None',
        'AutoReplyState': 'Disabled', 'InternalMessage': None, 'ExternalMessage': None, 'ExternalAudience': 'All',
        # EXO always has a start/end time, even with auto-replies off: the hour the mailbox was created, plus a day.
        'StartTime': float(int(now // 3600) * 3600), 'EndTime': float(int(now // 3600) * 3600 + DAY),
        'Permissions': [], 'SendAs': [], 'SendOnBehalf': [],
        'TotalItemSizeGB': round(rng.uniform(0.2, 18.0), 2) if rng else 0.1, 'ItemCount': rng.randint(300, 60000) if rng else 10,
    }


def _shared_user(tenant, local, display):
    """The user object behind a shared mailbox: unlicensed, sign-in blocked (as EXO creates it)."""
    upn = '%s@%s' % (local, _domain(tenant))
    return new_user(tenant, upn, display, accountEnabled=False, id=_uid(tenant, 'shared', local))


def _authenticator(created, rng):
    return {'@odata.type': '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod', 'id': _rid(rng),
            'displayName': rng.choice(PHONES), 'deviceTag': 'SoftwareTokenActivated', 'phoneAppVersion': '6.8.%d' % rng.randint(1, 20),
            'createdDateTime': iso(created)}


def _phone(user, created, number):
    return {'@odata.type': '#microsoft.graph.phoneAuthenticationMethod', 'id': MOBILE_PHONE_ID, 'displayName': None,
            'phoneNumber': number, 'phoneType': 'mobile', 'smsSignInState': 'notAllowedByPolicy', 'createdDateTime': iso(created),
            '_owner': user['id']}


def _seed_mfa(user, now, rng):
    """`_mfaMethods`: most licensed users registered (authenticator, often a phone too), some not at all (`[]`);
    unlicensed users and guests are unknown to the registration report (None)."""
    if not user.get('assignedLicenses') or not _is_member(user):
        user['_mfaMethods'] = None
        return
    roll = rng.random()
    if roll < 0.18:
        user['_mfaMethods'] = []
        return
    created = now - rng.randint(60, 900) * DAY
    methods = [_authenticator(created, rng)]
    if roll > 0.55:
        methods.append(_phone(user, created + DAY, '+1 %03d555%04d' % (rng.randint(201, 989), rng.randint(0, 9999))))
    if roll > 0.93:
        methods.append({'@odata.type': '#microsoft.graph.softwareOathAuthenticationMethod', 'id': _rid(rng),
                        'displayName': 'Software OATH token', 'createdDateTime': iso(created + 2 * DAY)})
    user['_mfaMethods'] = methods


def _harmless_rules(user, now, rng):
    rules = []
    for index in range(rng.randint(1, 2)):
        name = rng.choice(('Move newsletters', 'Mark notifications read', 'File receipts', 'Vendor mail'))
        rule = _rule(user, name, index + 1, now - rng.randint(30, 700) * DAY, rng)
        rule.update(From=['%s%s' % (rng.choice(SENDERS), rng.choice(('contoso-news.com', 'vendorhub.io', 'mailer.example.net')))],
                    MoveToFolder='Inbox\\%s' % rng.choice(FOLDERS), MarkAsRead=name.startswith('Mark'))
        rule['Description'] = 'If the message:\r\n\tIs received from %s\r\nTake the following actions:\r\n\tMove the message to folder ' \
                              "'%s'\r\n" % (rule['From'][0], rule['MoveToFolder'].split('\\')[-1])
        rules.append(rule)
    return rules


def _rule(user, name, priority, created, rng):
    """An EXO inbox rule: Identity is `{mailbox id}\\{RuleIdentity}` as Get-InboxRule returns it over REST."""
    rule_identity = str(rng.getrandbits(62))
    return {'Name': name, 'Identity': '%s\\%s' % (user['id'], rule_identity), 'RuleIdentity': rule_identity, 'Enabled': True,
            'Priority': priority, 'Description': '', 'ForwardTo': [], 'RedirectTo': [], 'ForwardAsAttachmentTo': [],
            'DeleteMessage': False, 'MoveToFolder': None, 'MarkAsRead': False, 'From': [], 'SubjectContainsWords': [],
            'StopProcessingRules': False, 'MailboxOwnerId': user['id'], 'IsValid': True, 'InError': False,
            'SupportedByTask': True, '_createdAt': created, '_malicious': False}


def _mobile_devices(user, now, rng):
    model = rng.choice(PHONES)
    ios = model.startswith('iPhone')
    guid = _rid(rng)
    return [{'Guid': guid, 'Identity': '%s\\ExchangeActiveSyncDevices\\%s' % (user['id'], guid),
             'DeviceId': guid.replace('-', '')[:32].upper(), 'DeviceModel': model, 'FriendlyName': model,
             'DeviceFriendlyName': model, 'DeviceOS': 'iOS 17.5' if ios else 'Android 14',
             'DeviceType': 'Outlook' if rng.random() < 0.6 else ('iPhone' if ios else 'Android'),
             'ClientType': 'Outlook' if rng.random() < 0.6 else 'EAS', 'DeviceAccessState': 'Allowed',
             'FirstSyncTime': iso(now - rng.randint(60, 600) * DAY), 'LastSuccessSync': iso(now - rng.randint(0, 3) * DAY - 3600),
             'Status': 'DeviceOk'}]


def _pick(candidates, rng, exclude=()):
    pool = [c for c in candidates if c['id'] not in exclude]
    return rng.choice(pool) if pool else None


def seed_tenant_exchange_security(state, tenant, rng):
    """Fill mailboxes, rules, permissions, devices, MFA, security defaults, CA policies and one compromised user."""
    # The directory seed's anchor (the current hour), so a reset within the hour rebuilds exactly the same estate.
    now = float(int(state.now() // 3600) * 3600)
    users = list(tenant.users.values())
    if not users:
        return
    licensed = [u for u in users if u.get('assignedLicenses') and _is_member(u)]
    for user in users:
        user.setdefault('_perUserMfa', rng.choice(('disabled', 'disabled', 'disabled', 'enabled', 'enforced')))
        user.setdefault('_taps', [])
        user.setdefault('_sessionsRevokedAt', None)
        _seed_mfa(user, now, rng)
    for user in licensed:
        tenant.mailboxes[user['id']] = _mailbox(user, now=now, rng=rng)
        if rng.random() < 0.45:
            tenant.inbox_rules[user['id']] = _harmless_rules(user, now, rng)
        if rng.random() < 0.3:
            tenant.mobile_devices[user['id']] = _mobile_devices(user, now, rng)
    shared = _shared_user(tenant, 'info', 'Info Mailbox')
    tenant.mailboxes[shared['id']] = _mailbox(shared, 'SharedMailbox', now, rng)
    if licensed:
        _seed_mailbox_settings(tenant, licensed, shared, now, rng)
        _seed_compromise(tenant, licensed, now, rng)
    # seed.py adds the tenant to the state before calling us, so this is the tenant's position in the estate.
    _seed_policies(tenant, users, len(state.tenants) - 1)
    if tenant.no_p1:
        _woodgrove_exchange(state, tenant, licensed, now)


def _woodgrove_exchange(state, tenant, licensed, now):
    """The tenant without Entra ID P1: security defaults (CA needs P1), forwarding to recipients that are not users
    (a distribution list, a mail contact: C15), every kind of authentication method somewhere (fido2, email,
    software OATH), and a user whose BEC run fails (C4). No rng, so the rest of the estate is unchanged."""
    tenant.ca_policies = []
    tenant.security_defaults = True
    tenant.contacts.append({'displayName': 'Woodgrove Accountants', 'mail': 'books@woodgrove-accountants.example',
                            'mailNickname': 'WoodgroveAccountants'})
    members = [u for u in licensed if u['id'] in tenant.mailboxes and not u.get('_compromised')]
    if len(members) < 7:
        return
    # EXO keeps the recipient's identity (its Name) in ForwardingAddress; neither is a user, so CIPP cannot map it to a UPN.
    tenant.mailboxes[members[3]['id']].update(ForwardingAddress='Office Announcements', ForwardingSmtpAddress=None,
                                              DeliverToMailboxAndForward=True)
    tenant.mailboxes[members[4]['id']].update(ForwardingAddress='Woodgrove Accountants', ForwardingSmtpAddress=None,
                                              DeliverToMailboxAndForward=False)
    methods = members[5].get('_mfaMethods')
    members[5]['_mfaMethods'] = list(methods or []) + [
        {'@odata.type': '#microsoft.graph.fido2AuthenticationMethod', 'id': _uid(tenant, 'fido2', members[5]['id']),
         'displayName': 'YubiKey 5 NFC', 'createdDateTime': iso(now - 90 * DAY), 'aaGuid': 'cb69481e-8ff7-4039-93ec-0a2729a154a8',
         'model': 'YubiKey 5 NFC', 'attestationCertificates': [], 'attestationLevel': 'attested'},
        {'@odata.type': '#microsoft.graph.emailAuthenticationMethod', 'id': '3ddfcfc8-9383-446f-83cc-3ab9be4be18f',
         'emailAddress': 'home.%s@example.net' % members[5]['mailNickname']},
        {'@odata.type': '#microsoft.graph.softwareOathAuthenticationMethod', 'id': _uid(tenant, 'oath', members[5]['id']),
         'secretKey': None, 'createdDateTime': iso(now - 80 * DAY)}]
    # A report too large for the cachebec table row: Push-BECRun's catch stores the error object instead.
    state.bec_failures[members[6]['id'].lower()] = 'One of the values exceeds the maximum allowed size (64KB).'


def _seed_mailbox_settings(tenant, licensed, shared, now, rng):
    """A few of everything: forwarding, archive, GAL hiding, an auto-reply and delegated permissions."""
    taken = set()
    for _unused in range(min(2, len(licensed) - 1)):
        source = _pick(licensed, rng, taken)
        target = _pick(licensed, rng, taken | {source['id']})
        if source is None or target is None:
            break
        taken.add(source['id'])
        tenant.mailboxes[source['id']].update(ForwardingAddress=target.get('mailNickname'), DeliverToMailboxAndForward=True)
    for key, value in (('ArchiveStatus', 'Active'), ('HiddenFromAddressListsEnabled', True), ('_litigationHold', True)):
        chosen = _pick(licensed, rng, taken)
        if chosen:
            taken.add(chosen['id'])
            tenant.mailboxes[chosen['id']][key] = value
    held = next((m for m in tenant.mailboxes.values() if m.get('_litigationHold')), None)
    if held:
        held['_litigationHoldDate'] = now - rng.randint(30, 300) * DAY
    away = _pick(licensed, rng, taken)
    if away:
        taken.add(away['id'])
        tenant.mailboxes[away['id']].update(
            AutoReplyState='Enabled', ExternalAudience='All',
            InternalMessage='<p>I am on leave until next Monday. For urgent matters contact the service desk.</p>',
            ExternalMessage='<p>Thank you for your message. I am out of the office and will reply on my return.</p>')
    box = tenant.mailboxes[shared['id']]
    for member in rng.sample(licensed, min(3, len(licensed))):
        box['Permissions'].append({'User': member['userPrincipalName'], 'AccessRights': 'FullAccess', '_automap': True,
                                   '_addedAt': now - rng.randint(40, 400) * DAY})
    box['SendAs'].append(licensed[0]['userPrincipalName'])
    delegate = _pick(licensed, rng, {licensed[0]['id']})
    if delegate:
        tenant.mailboxes[licensed[0]['id']]['SendOnBehalf'].append(delegate['userPrincipalName'])


def _seed_compromise(tenant, licensed, now, rng):
    """Exactly one compromised, non-admin user with the usual BEC footprint."""
    candidates = [u for u in licensed if not u.get('_isAdmin') and u.get('accountEnabled', True)
                  and not u.get('onPremisesSyncEnabled')] or [u for u in licensed if not u.get('_isAdmin')]
    if not candidates:
        return
    victim = rng.choice(candidates)
    victim['_compromised'] = True
    attacker = rng.choice(ATTACKER_MAILBOXES)
    mailbox = tenant.mailboxes[victim['id']]
    mailbox.update(ForwardingSmtpAddress='smtp:%s' % attacker, ForwardingAddress=None, DeliverToMailboxAndForward=False)
    dot = _rule(victim, '.', 1, now - DAY + 3600, rng)
    dot.update(RedirectTo=['"%s" [SMTP:%s]' % (attacker, attacker)], DeleteMessage=True, StopProcessingRules=True, _malicious=True,
               Description="If the message:\r\n\tthe message was received from anyone\r\nTake the following actions:\r\n\t"
                           "Redirect the message to '%s'\r\n\tand delete the message\r\n\tand stop processing more rules on this "
                           'message\r\n' % attacker)
    invoices = _rule(victim, 'RSS', 2, now - DAY + 3700, rng)
    invoices.update(SubjectContainsWords=['invoice', 'payment', 'wire', 'remittance'], MarkAsRead=True,
                    MoveToFolder='RSS Subscriptions', _malicious=True,
                    Description="If the message:\r\n\tIncludes 'invoice' or 'payment' or 'wire' or 'remittance' in the subject"
                                "\r\nTake the following actions:\r\n\tMove the message to folder 'RSS Subscriptions'\r\n\tand mark "
                                'the message as read\r\n')
    tenant.inbox_rules[victim['id']] = [dot, invoices] + tenant.inbox_rules.get(victim['id'], [])
    if victim.get('_mfaMethods') is None:
        victim['_mfaMethods'] = []
    # A phone method the user did not add, registered yesterday from abroad.
    victim['_mfaMethods'].append({'@odata.type': '#microsoft.graph.phoneAuthenticationMethod',
                                  'id': 'b6332ec1-7057-4abe-9331-3d72feddfe41', 'displayName': None,
                                  'phoneNumber': '+234 8031234%03d' % rng.randint(0, 999), 'phoneType': 'alternateMobile',
                                  'smsSignInState': 'notAllowedByPolicy', 'createdDateTime': iso(now - DAY + 1800),
                                  '_suspicious': True})
    location = rng.choice(BAD_LOCATIONS)
    _add_signins(tenant, victim, location, now, rng)
    name, app_id, publisher = rng.choice(SUSPICIOUS_APPS)
    tenant.apps.append({'id': _uid(tenant, 'app', app_id), 'displayName': name, 'createdDateTime': iso(now - DAY + 2400),
                        'appId': app_id, 'appDisplayName': name, 'publisher': publisher})
    mailbox['_sentMessages'] = [
        {'MessageTraceId': _uid(tenant, victim['id'], 'trace', i), 'Status': 'Delivered',
         'Subject': rng.choice(('Updated bank details for outstanding invoice', 'RE: Payment confirmation',
                                'Shared document: Q3 remittance advice')),
         'RecipientAddress': 'accounts%d@%s' % (i, rng.choice(('northwind-traders.com', 'fabrikam.net', 'litware.org'))),
         'Received': iso(now - DAY + 4000 + i * 97), 'FromIP': '%s%d' % (location[3], rng.randint(2, 250))}
        for i in range(rng.randint(4, 9))]
    others = [u for u in licensed if u['id'] != victim['id']]
    if others:
        mailbox['Permissions'].append({'User': rng.choice(others)['userPrincipalName'], 'AccessRights': 'FullAccess',
                                       '_automap': False, '_addedAt': now - DAY + 5000, '_grantedBy': victim['userPrincipalName']})


def _add_signins(tenant, victim, location, now, rng):
    """Successful sign-ins from an unusual country: copies of one of the directory's sign-ins (so every Graph key is
    there) with the victim, the place and the time changed."""
    city, region, country, ip_prefix = location
    template = tenant.signins[0] if tenant.signins else {}
    for index in range(3):
        signin = copy.deepcopy(template)
        moment = iso(now - DAY + index * 1900)
        signin.update({
            'id': _uid(tenant, victim['id'], 'signin', index), 'createdDateTime': moment,
            'userId': victim['id'], 'userPrincipalName': victim['userPrincipalName'], 'userDisplayName': victim.get('displayName'),
            'appId': '00000002-0000-0ff1-ce00-000000000000', 'appDisplayName': 'Office 365 Exchange Online',
            'resourceDisplayName': 'Office 365 Exchange Online', 'clientAppUsed': 'Browser',
            'ipAddress': '%s%d' % (ip_prefix, rng.randint(2, 250)), 'conditionalAccessStatus': 'notApplied', 'isInteractive': True,
            'location': dict(template.get('location') or {}, city=city, state=region, countryOrRegion=country),
            'status': {'errorCode': 0, 'failureReason': 'Other.', 'additionalDetails': None},
        })
        if 'signInIdentifier' in signin:
            signin['signInIdentifier'] = victim['userPrincipalName']
        for step in signin.get('authenticationDetails') or []:
            step.update(authenticationStepDateTime=moment, succeeded=True)
        tenant.signins.append(signin)


def _seed_policies(tenant, users, position):
    """By position in the estate, so every seed has each kind: CA (even), security defaults on (1, 5, ...), or
    neither (3, 7, ...). CA tenants require MFA for all users except a break-glass admin."""
    admins = [u for u in users if u.get('_isAdmin')]
    if position % 2 == 0 and admins:
        tenant.security_defaults = False
        named = [a for a in admins if str(a.get('userPrincipalName', '')).lower().startswith('breakglass')]
        breakglass = (named or admins)[0]['id']
        tenant.ca_policies = [
            {'displayName': 'Require MFA for all users', 'state': 'enabled', 'includeUsers': ['All'], 'excludeUsers': [breakglass],
             'allApps': True, 'requiresMfa': True},
            {'displayName': 'Require MFA for admin portals', 'state': 'enabled', 'includeUsers': [a['id'] for a in admins],
             'excludeUsers': [], 'allApps': False, 'requiresMfa': True},
            {'displayName': 'Block legacy authentication (report-only)', 'state': 'enabledForReportingButNotEnforced',
             'includeUsers': ['All'], 'excludeUsers': [], 'allApps': True, 'requiresMfa': False},
        ]
    else:
        tenant.ca_policies = []
        tenant.security_defaults = position % 4 == 1
