# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mailbox permissions: FullAccess, SendAs and SendOnBehalf on a mailbox (cipp_mailbox_permission), and what one user
can reach (cipp_user_info ``include: mailbox_access``, offboarding).

Current rights are read live from Exchange (ListmailboxPermissions ``userId``) and only what differs is written
(ExecEditMailboxPermissions); every write is confirmed by a live re-read with a bounded wait.

Interface for other resources (offboarding)::

    access_of(client, tenant, user) -> [{'mailbox': 'shared@contoso.com', 'rights': ['FullAccess', 'SendAs']}, ...]
        The mailboxes ``user`` (a ListUsers row, as require_user returns it) holds FullAccess, SendAs or
        SendOnBehalf on, sorted by mailbox. Read from CIPP's permission report (ListmailboxPermissions ``ByUser``),
        which is a cache: grants made in Exchange directly since CIPP's last mailbox sync are missing from it, and
        ones removed there may still be listed. Raises CippServerError (HTTP 500, CIPP's text) when CIPP has no
        report data for the tenant yet.

    remove_access(client, tenant, user, grants, check_mode) -> {'changed': bool, 'removed': [{mailbox, rights}], 'diff'}
        Removes the rights in ``grants`` (access_of's shape) that a live read of each mailbox still shows the user
        holding: one ExecEditMailboxPermissions per mailbox, each confirmed by a live re-read of that mailbox (the
        ByUser report is not re-read to verify: CIPP updates it itself on its own write, so it would show CIPP's
        bookkeeping, not Exchange). A stale grant (no longer held) is skipped. Raises CippResultError naming the
        mailbox and rights still there after the wait. In check mode nothing is sent; ``removed`` says what would be.

Automapping (FullAccess opening in the trustee's Outlook) is written with a grant but cannot be read back: neither
Get-MailboxPermission nor CIPP's list returns it. It is applied when a grant is written and never compared.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.module_utils import _api_exchange as exchange
from ansible_collections.msp.cipp.plugins.module_utils import _api_users as users_api
from ansible_collections.msp.cipp.plugins.module_utils._common import check_bounded, email_addresses, make_diff
from ansible_collections.msp.cipp.plugins.module_utils._converge import confirm, write_verified
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError

# Option value -> Exchange's right.
RIGHTS = {'full_access': 'FullAccess', 'send_as': 'SendAs', 'send_on_behalf': 'SendOnBehalf'}
OPTION_OF = dict((right, option) for option, right in RIGHTS.items())


def identities(user):
    """The forms in which Exchange may name ``user`` as a trustee, lower case.

    FullAccess and SendAs rows name trustees by UPN; SendOnBehalf rows carry Exchange's identity of the delegate
    (GrantSendOnBehalfTo), whose form CIPP's code cannot settle (**unverified**: the object id or the alias are
    likely). The display name is left out on purpose: two users may share one.
    """
    names = [user.get(key) for key in ('id', 'userPrincipalName', 'mail', 'mailNickname')]
    names += email_addresses(user.get('proxyAddresses'))
    return set(str(name).lower() for name in names if name)


def rights_held(rows, user):
    """The rights (FullAccess, SendAs, SendOnBehalf) ``user`` holds in ListmailboxPermissions' rows."""
    names = identities(user)
    held = set()
    for row in rows:
        if str(row.get('User') or '').lower() in names:
            held.update(part.strip() for part in str(row.get('Permissions') or '').split(',') if part.strip() in OPTION_OF)
    return held


def find_recipient(client, tenant, address, option):
    """The Entra user behind a UPN or, failing that, a primary mail address; a miss fails naming ``option``."""
    user = users_api.find_user(client, tenant, address)
    if user is None:
        rows = users_api.list_users(client, tenant, 'mail eq %s' % users_api.odata_string(address))
        user = next((row for row in rows if str(row.get('mail') or '').lower() == address.lower()), None)
    if user is None:
        raise CippConfigError('%s: no user or mailbox %s in tenant %s.' % (option, address, tenant))
    return user


def _apply(client, tenant, mailbox_upn, changes, automap, wanted_held, what):
    """Send ``changes`` to ``mailbox_upn`` and confirm with live re-reads that ``wanted_held()`` is true."""
    write_verified(client, lambda: exchange.edit_mailbox_permissions(client, tenant, mailbox_upn, changes, automap), wanted_held)
    confirm(client, wanted_held, 'ExecEditMailboxPermissions', what)


def _describe(changes, mailbox_upn):
    return '; '.join('%s %s for %s' % ('granted' if action == 'Add' else 'removed', right, trustee)
                     for trustee, right, action in changes) + ' on %s' % mailbox_upn


# -- cipp_mailbox_permission

def _validate(params):
    if not users_api.EMAIL.match(str(params.get('mailbox') or '')):
        raise CippConfigError('mailbox must be the mailbox\'s address (user@domain.com), got %r' % params.get('mailbox'))
    trustees = params.get('trustees') or []
    if not trustees:
        raise CippConfigError('trustees must list at least one user principal name (user@domain.com).')
    check_bounded(trustees, 'trustees')
    wrong = [trustee for trustee in trustees if not users_api.EMAIL.match(str(trustee))]
    if wrong:
        raise CippConfigError('trustees must be user principal names or mail addresses (user@domain.com); got %s'
                              % ', '.join(repr(item) for item in wrong))
    if params['mailbox'].lower() in set(trustee.lower() for trustee in trustees):
        raise CippConfigError('trustees: %s is the mailbox itself.' % params['mailbox'])
    if not params.get('rights'):
        raise CippConfigError('rights must name at least one of %s.' % ', '.join(sorted(RIGHTS)))


def ensure_mailbox_permission(client, params, check_mode):
    """Resource function of cipp_mailbox_permission."""
    _validate(params)
    tenant, present = params['tenant'], params.get('state', 'present') == 'present'
    automap = params.get('automap', True) is not False
    owner = find_recipient(client, tenant, params['mailbox'], 'mailbox')
    if not exchange.mailbox_details(client, tenant, owner):
        raise CippConfigError('mailbox: %s has no Exchange mailbox in tenant %s (ListUserMailboxDetails shows no recipient type).'
                              % (params['mailbox'], tenant))
    trustees, asked = [], set()
    for address in params['trustees']:
        if address.lower() in asked:
            continue
        asked.add(address.lower())
        trustee = find_recipient(client, tenant, address, 'trustees')
        if trustee['id'] == owner['id']:
            raise CippConfigError('trustees: %s is the mailbox itself.' % address)
        if all(trustee['id'] != known['id'] for known in trustees):  # a UPN and a mail address of one user count once
            trustees.append(trustee)
    mailbox_upn = owner['userPrincipalName']
    wanted = [RIGHTS[option] for option in dict.fromkeys(params['rights'])]
    rows = exchange.mailbox_permissions(client, tenant, mailbox_upn)

    changes, before, after = [], {}, {}
    for trustee in trustees:
        upn = trustee['userPrincipalName']
        held = rights_held(rows, trustee)
        todo = [right for right in wanted if (right in held) != present]
        changes += [(upn, right, 'Add' if present else 'Remove') for right in todo]
        before[upn] = sorted(OPTION_OF[right] for right in wanted if right in held)
        after[upn] = sorted(OPTION_OF[right] for right in wanted) if present else []

    def in_place():
        now = exchange.mailbox_permissions(client, tenant, mailbox_upn)
        return all((right in rights_held(now, trustee)) == present for trustee in trustees for right in wanted)

    if changes:
        _apply(client, tenant, mailbox_upn, changes, automap, in_place, _describe(changes, mailbox_upn))
    result = {
        'changed': bool(changes),
        'mailbox': {'id': owner['id'], 'userPrincipalName': mailbox_upn},
        'granted': [{'trustee': upn, 'right': OPTION_OF[right]} for upn, right, action in changes if action == 'Add'],
        'removed': [{'trustee': upn, 'right': OPTION_OF[right]} for upn, right, action in changes if action == 'Remove'],
    }
    if changes:
        result['diff'] = make_diff(before, after)
    return result


# -- a user's access, for cipp_user_info and offboarding

def access_of(client, tenant, user):
    """See the module docstring."""
    grants = {}
    for item in exchange.permission_report_by_user(client, tenant, user['userPrincipalName']):
        grant = grants.setdefault(item['MailboxUPN'].lower(), {'mailbox': item['MailboxUPN'], 'rights': set()})
        grant['rights'].update(part.strip() for part in str(item.get('AccessRights') or '').split(',') if part.strip() in OPTION_OF)
    return [{'mailbox': grant['mailbox'], 'rights': sorted(grant['rights'])}
            for _key, grant in sorted(grants.items()) if grant['rights']]


def remove_access(client, tenant, user, grants, check_mode):
    """See the module docstring."""
    upn = user['userPrincipalName']
    removed, before, after = [], {}, {}
    for grant in grants:
        mailbox_upn = grant['mailbox']
        held = rights_held(exchange.mailbox_permissions(client, tenant, mailbox_upn), user) & set(grant.get('rights') or [])
        if not held:
            continue  # the report is a cache: this grant is already gone
        changes = [(upn, right, 'Remove') for right in sorted(held)]

        def gone(mailbox_upn=mailbox_upn, held=held):
            return not (rights_held(exchange.mailbox_permissions(client, tenant, mailbox_upn), user) & held)

        if check_mode:
            if getattr(client, 'check_mode', False):
                exchange.edit_mailbox_permissions(client, tenant, mailbox_upn, changes)  # a check-mode client only records it
        else:
            _apply(client, tenant, mailbox_upn, changes, True, gone, _describe(changes, mailbox_upn))
        removed.append({'mailbox': mailbox_upn, 'rights': sorted(held)})
        before[mailbox_upn], after[mailbox_upn] = sorted(held), []
    return {'changed': bool(removed), 'removed': removed, 'diff': make_diff(before, after)}
