# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cipp_users: many users of one tenant in one task, each handled exactly as cipp_user handles one.

A loop of cipp_user tasks pays every user's task start-up and API round trips one after the other. Here:
  1. every entry is validated, and every user is looked up: ``parallel`` at a time for a short list; for a list of
     BULK_LOOKUP_MIN or more, with one read of the tenant's users (or from ``existing_users``, the caller's read);
  2. the whole list is checked before any write (unknown licences or groups, usage locations, free seats for
     all the new assignments together), so a bad list changes nothing;
  3. each user then goes through cipp_user's own UserRun, ``parallel`` at a time, sharing one read of the
     tenant's domains, licences and groups (or the caller's ``tenant_info``) and, for a list of BULK_LOOKUP_MIN or
     more, one read of each named group's members instead of each user's memberships;
  4. new users' first credentials (CIPP's generated password, or a one-time Temporary Access Pass) go to 0600
     hand-over files and, only when asked, to the result.
One user's failure does not stop the others; the task fails at the end and names each failed user.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.msp.cipp.plugins.module_utils._api_users import find_user, list_users
from ansible_collections.msp.cipp.plugins.module_utils._common import RETURNED_SECRETS, check_bounded, make_diff
from ansible_collections.msp.cipp.plugins.module_utils._directory import Directory
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippError
from ansible_collections.msp.cipp.plugins.module_utils._files import write_handover
from ansible_collections.msp.cipp.plugins.module_utils._mfa import issue_tap
from ansible_collections.msp.cipp.plugins.module_utils._user_fields import user_argspec
from ansible_collections.msp.cipp.plugins.module_utils._user_lifecycle import UserRun, validate

# requests' connection pool keeps 10 connections per host; more threads than that would only queue.
MAX_PARALLEL = 10
DEFAULT_PARALLEL = 8  # as the argument spec's default
MAX_USERS = 1000  # one task; a bigger roster is split over tasks (a bound we set, see _common.MAX_LIST_ITEMS)
CREDENTIAL_KINDS = {'password': 'Password', 'tap': 'Temporary Access Pass'}
# From this many entries on, one read of the tenant's users (CIPP follows Graph's pages, 999 users each) and one read
# of each named group's members cost fewer calls than one look-up and one memberOf per user. Below it, a big
# tenant's whole user list would cost more than the few look-ups it replaces.
BULK_LOOKUP_MIN = 10


def ensure_users(client, params, check_mode):
    """Resource function of cipp_users."""
    entries = _entries(params)
    parallel = params.get('parallel')
    parallel = DEFAULT_PARALLEL if parallel is None else parallel  # 0 is an error, not "the default"
    if not 1 <= parallel <= MAX_PARALLEL:
        raise CippConfigError('parallel must be between 1 and %d, got %s' % (MAX_PARALLEL, parallel))
    if params.get('first_credential') == 'tap' and not (params.get('handover_dir') or params.get('return_credentials')):
        raise CippConfigError('first_credential=tap needs handover_dir or return_credentials: a pass nobody keeps is useless.')
    lifetime = params.get('tap_lifetime_minutes')
    if lifetime is not None and not 10 <= lifetime <= 43200:
        raise CippConfigError('tap_lifetime_minutes must be between 10 and 43200 (30 days), got %s' % lifetime)
    if not entries:
        return {'changed': False, 'users': [], 'created': [], 'handover_files': []}

    tenant = params['tenant']
    bulk = len(entries) >= BULK_LOOKUP_MIN
    directory = Directory(client, tenant, tenant_info=_tenant_info(params), group_members=bulk)
    with ThreadPoolExecutor(max_workers=min(parallel, len(entries))) as pool:
        if params.get('existing_users') is not None or bulk:
            found = _look_up_in(_users_by_upn(client, tenant, params.get('existing_users')), entries)
        else:
            found = list(pool.map(lambda entry: find_user(client, tenant, entry['user_principal_name']), entries))
        _check_list(client, entries, found, directory, check_mode)
        outcomes = list(pool.map(lambda pair: _ensure_one(client, pair[0], pair[1], directory, check_mode), zip(entries, found)))
        created = [outcome for outcome in outcomes if outcome.get('created')]
        if params.get('first_credential') == 'tap' and not check_mode:
            list(pool.map(lambda outcome: _create_tap(client, tenant, outcome, lifetime), created))
    return _result(params, outcomes, check_mode)


# ------------------------------------------------------------------------------ before any write

def _entries(params):
    """Each entry as the params of one cipp_user task, validated with cipp_user's rules."""
    entries, seen = [], set()
    check_bounded(params.get('users'), 'users', MAX_USERS)
    for index, entry in enumerate(params.get('users') or []):
        upn = entry.get('user_principal_name')
        task = dict(entry, tenant=params['tenant'], id=None, state='present', update_password='on_create', return_password=False)
        try:
            validate(task)
        except CippConfigError as exc:
            raise CippConfigError('users[%d] (%s): %s' % (index, upn, exc.message))
        if upn.lower() in seen:
            raise CippConfigError('users[%d]: %s is in the list twice' % (index, upn))
        seen.add(upn.lower())
        entries.append(task)
    return entries


def _tenant_info(params):
    """The caller's cipp_tenant_info row for this tenant (its lists are used instead of reading them again)."""
    row = params.get('tenant_info')
    if not row:
        return None
    tenant = params['tenant'].lower()
    names = set(str(row.get(key) or '').lower() for key in ('defaultDomainName', 'initialDomainName', 'customerId'))
    if tenant not in names:
        raise CippConfigError('tenant_info is the row of tenant %s, not of %s; pass the cipp_tenant_info row of the same tenant.'
                              % (row.get('defaultDomainName') or row.get('customerId'), params['tenant']))
    return row


def _users_by_upn(client, tenant, existing):
    """Every user of the tenant by lower-case UPN: the caller's rows, or one ListUsers (all users, all pages)."""
    rows = existing if existing is not None else list_users(client, tenant)
    return dict((str(row['userPrincipalName']).lower(), row) for row in rows if isinstance(row, dict) and row.get('userPrincipalName'))


def _look_up_in(users, entries):
    return [users.get(entry['user_principal_name'].lower()) for entry in entries]


def _check_list(client, entries, found, directory, check_mode):
    """Everything wrong with the list as a whole, before anybody is changed: each user's own licence problems
    (unknown licence, no usage location) and, for the list together, enough free seats."""
    problems, needed = [], Counter()
    for entry, user in zip(entries, found):
        run = UserRun(client, entry, check_mode, directory)
        if user is not None and user.get('onPremisesSyncEnabled'):
            continue  # cipp_user itself says what it can do for a synced user
        current = [str(lic.get('skuId')).lower() for lic in (user or {}).get('assignedLicenses') or []]
        usage = entry.get('usage_location') or (user or {}).get('usageLocation')
        try:
            if user is None:
                directory.check_domain(entry['user_principal_name'].split('@', 1)[1], 'user_principal_name')
            adds = run.licences_to_assign(current, usage)[0]
        except CippConfigError as exc:
            problems.append('%s: %s' % (entry['user_principal_name'], exc.message))
            continue
        needed.update(adds)
    try:
        directory.check_seats(sorted(needed.elements()))
    except CippConfigError as exc:
        problems.append(exc.message)
    if problems:
        raise CippConfigError('users: nothing was changed, the list has problems: %s' % '; '.join(problems))


# ------------------------------------------------------------------------------ each user

def _ensure_one(client, entry, user, directory, check_mode):
    upn = entry['user_principal_name']
    run = UserRun(client, entry, check_mode, directory)
    try:
        result = run.run(user)
    except CippError as exc:
        return {'user_principal_name': upn, 'changed': False, 'failed': True, 'msg': exc.message}
    outcome = {'user_principal_name': upn, 'changed': result['changed'], 'created': user is None and result['changed'],
               'user': result.get('user'), 'diff': result.get('diff'), 'warnings': result.get('warnings') or []}
    if outcome['created'] and not check_mode:
        # CIPP's answer to AddUser carries the generated password; a password given in the entry is the same one.
        outcome['_secret'] = run.password or entry.get('password')
        outcome['_kind'] = 'password'
    return outcome


def _create_tap(client, tenant, outcome, lifetime):
    """A one-time Temporary Access Pass for a user this run created (it replaces the password as first credential)."""
    try:
        details = issue_tap(client, tenant, outcome['user'], {'lifetime_minutes': lifetime, 'usable_once': True}).get('details') or {}
    except CippError as exc:
        outcome['warnings'].append('no Temporary Access Pass: %s' % exc.message)
        outcome.pop('_secret', None)
        return
    outcome['_secret'], outcome['_kind'] = details.get('_pass'), 'tap'


# ------------------------------------------------------------------------------ the result

def _result(params, outcomes, check_mode):
    handover_dir = params.get('handover_dir')
    credentials, files, warnings, unsaved = [], [], [], []
    for outcome in outcomes:
        upn = outcome['user_principal_name']
        secret, kind = outcome.pop('_secret', None), outcome.pop('_kind', None)
        warnings.extend('%s: %s' % (upn, text) for text in outcome.pop('warnings', None) or [])
        if outcome.get('created') and not check_mode:
            if not secret:
                warnings.append('%s: created, but CIPP returned no first credential to hand over; reset the password.' % upn)
                continue
            credentials.append({'user': upn, 'kind': CREDENTIAL_KINDS[kind], 'secret': secret})
            if handover_dir:
                # The user exists now: a file that cannot be written must not hide who was created (or the other files).
                try:
                    files.append(write_handover(handover_dir, upn, CREDENTIAL_KINDS[kind], secret))
                except (OSError, CippError) as exc:
                    unsaved.append('%s (%s)' % (upn, getattr(exc, 'message', None) or exc.strerror or exc))
    before = dict((o['user_principal_name'], o['diff']['before']) for o in outcomes if o.get('changed') and o.get('diff'))
    after = dict((o['user_principal_name'], o['diff']['after']) for o in outcomes if o.get('changed') and o.get('diff'))
    for outcome in outcomes:
        outcome.pop('diff', None)
    result = {'changed': any(o.get('changed') for o in outcomes), 'users': outcomes,
              'created': [o['user_principal_name'] for o in outcomes if o.get('created')], 'handover_files': files,
              'diff': make_diff(before, after)}
    if warnings:
        result['warnings'] = warnings
    if params.get('return_credentials'):
        result['credentials'] = credentials
        result[RETURNED_SECRETS] = ['credentials']
    failed = [o for o in outcomes if o.get('failed')]
    messages = []
    if failed:
        messages.append('%d of %d users failed (the others were done): %s' % (
            len(failed), len(outcomes), '; '.join('%s: %s' % (o['user_principal_name'], o['msg']) for o in failed)))
    if unsaved:
        messages.append('Created %s. Hand-over files written: %s. The first credential of %s could not be written to %s and is '
                        'kept nowhere%s: reset their password (msp.cipp.cipp_user_action action=reset_password).' % (
                            ', '.join(result['created']), ', '.join(files) or 'none', '; '.join(unsaved), handover_dir,
                            ' but in this result (return_credentials)' if params.get('return_credentials') else ''))
    if messages:
        result['failed'] = True
        result['msg'] = ' '.join(messages)
    return result


def entry_argspec():
    """The options of one entry of ``users``: cipp_user's options for one present user."""
    spec = dict(user_principal_name=dict(type='str', required=True, aliases=['upn']))
    spec.update(user_argspec())
    return spec
