# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""MFA: a user's per-user state, registered methods, TAPs and pushes (CONTRACT 5.8, 5.9, 5.21, 5.23-5.25),
and the MFA report of one tenant or a whole portfolio."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.msp.cipp.plugins.module_utils import _api_mfa as mfa_api
from ansible_collections.msp.cipp.plugins.module_utils._api_directory import ALL_TENANTS, list_tenants
from ansible_collections.msp.cipp.plugins.module_utils._api_graph import result_text
from ansible_collections.msp.cipp.plugins.module_utils._common import RETURNED_SECRETS, make_diff, to_epoch
from ansible_collections.msp.cipp.plugins.module_utils._converge import confirm, write_verified
from ansible_collections.msp.cipp.plugins.module_utils._errors import (CippConfigError, CippError, CippResultError, CippServerError,
                                                                       CippWriteUncertainError)
from ansible_collections.msp.cipp.plugins.module_utils._files import check_name, write_handover
from ansible_collections.msp.cipp.plugins.module_utils._users import require_user

PER_USER_STATES = ('disabled', 'enabled', 'enforced')
DEFAULT_METHODS = mfa_api.DEFAULT_METHODS
REGISTERED, NOT_REGISTERED, UNKNOWN = 'registered', 'not_registered', 'unknown'


# ------------------------------------------------------------------------------ the MFA report

def registration_state(row):
    """Three states: CIPP's MFARegistration is true, false, or null (not licensed / not reported)."""
    value = row.get('MFARegistration')
    if value is True:
        return REGISTERED
    if value is False:
        return NOT_REGISTERED
    return UNKNOWN


def report_row(row, tenant):
    per_user = str(row.get('PerUser') or 'disabled').lower()
    covered_by_ca = str(row.get('CoveredByCA') or '')
    enforced_by = []
    if per_user in ('enabled', 'enforced'):
        enforced_by.append('per_user')
    if covered_by_ca.lower().startswith('enforced'):
        enforced_by.append('conditional_access')
    if row.get('CoveredBySD') is True:
        enforced_by.append('security_defaults')
    registration = registration_state(row)
    if not row.get('AccountEnabled', True):
        gap = False
    elif not enforced_by or registration == NOT_REGISTERED:
        gap = True
    elif registration == UNKNOWN:
        gap = None
    else:
        gap = False
    return {
        'tenant': row.get('Tenant') or tenant,
        'id': row.get('ID'),
        'user_principal_name': row.get('UPN'),
        'display_name': row.get('DisplayName'),
        'account_enabled': bool(row.get('AccountEnabled')),
        'user_type': row.get('UserType'),
        'is_admin': bool(row.get('IsAdmin')),
        'is_licensed': row.get('isLicensed'),
        'per_user_state': per_user,
        'registration': registration,
        'mfa_capable': row.get('MFACapable'),
        'methods': list(row.get('MFAMethods') or []),
        'covered_by_ca': covered_by_ca or None,
        'covered_by_security_defaults': row.get('CoveredBySD'),
        'ca_policies': row.get('CAPolicies') or [],
        'enforced_by': enforced_by,
        'gap': gap,
    }


def _keep(row, params):
    if params.get('exclude_guests') and str(row.get('user_type') or '').lower() == 'guest':
        return False
    if params.get('exclude_disabled') and not row['account_enabled']:
        return False
    if params.get('only_gaps') and row['gap'] is not True:
        return False
    return True


def _summary(tenant, rows, error=None):
    summary = {'tenant': tenant, 'users': len(rows), 'error': error}
    for state in (REGISTERED, NOT_REGISTERED, UNKNOWN):
        summary[state] = sum(1 for row in rows if row['registration'] == state)
    summary['gaps'] = sum(1 for row in rows if row['gap'] is True)
    summary['gaps_unknown'] = sum(1 for row in rows if row['gap'] is None)
    return summary


def _is_data(rows):
    # CIPP's "loading" row for AllTenants, or an error list of strings, is not data.
    return isinstance(rows, list) and all(isinstance(row, dict) and row.get('ID') for row in rows)


def mfa_report(client, params, check_mode):
    """Resource function of cipp_mfa_info."""
    tenant = params['tenant']
    identities = params.get('users') or []
    if identities and tenant.lower() == ALL_TENANTS.lower():
        raise CippConfigError('users needs one tenant, not %s: a user belongs to one tenant.' % ALL_TENANTS)
    if tenant.lower() == ALL_TENANTS.lower():
        targets = [row.get('defaultDomainName') or row.get('customerId') for row in list_tenants(client)]
    else:
        targets = [tenant]
    # One call per tenant, 20 tenants per $batch; a failing tenant is reported, never aborts the rest.
    answers = mfa_api.batch_mfa_users(client, targets) if len(targets) > 1 else None
    users, tenants = [], []
    for index, name in enumerate(targets):
        if answers is None:
            try:
                rows, error = mfa_api.list_mfa_users(client, name), None
            except CippError as exc:
                rows, error = [], exc.message
        else:
            status, rows = answers[index]['status'], answers[index]['body']
            error = None if status == 200 else 'ListMFAUsers failed with HTTP %s: %s' % (status, _text(rows))
        if error is None and not _is_data(rows or []):
            error, rows = 'ListMFAUsers returned no report: %s' % _text(rows), []
        report = [report_row(row, name) for row in rows or []] if error is None else []
        tenants.append(_summary(name, report, error))
        users.extend(row for row in report if _keep(row, params))
    result = {'changed': False, 'users': users, 'tenants': tenants,
              'failed_tenants': [item['tenant'] for item in tenants if item['error']]}
    if identities:
        result['user_methods'] = users_methods(client, tenant, identities, report)
    return result


def _text(body):
    if isinstance(body, list):
        return '; '.join(str(item.get('UPN') or item) if isinstance(item, dict) else str(item) for item in body)[:300]
    return str(body)[:300]


# ------------------------------------------------------------------------------ one user's methods

# Methods that do not make a user MFA-registered: a pass is for registering, an email address only for SSPR.
NOT_MFA_TYPES = ('temporaryAccessPass', 'email', 'password')


def method_view(method):
    """A registered method as cipp_mfa and cipp_mfa_info return it."""
    view = {'id': method['id'], 'type': method['short_type'], 'created_date_time': method['created'],
            'display_name': method['display_name'] or method['device_tag'], 'phone_number': method['phone_number'],
            'phone_type': method['phone_type'], 'email_address': method['email_address']}
    if method['tap'] is not None:
        view['temporary_access_pass'] = method['tap']
    return view


def usable_tap(methods):
    """The user's pass that can be used now or later (a pass not yet valid counts: it becomes usable), or None."""
    for method in methods:
        tap = method.get('tap')
        if tap and (tap.get('is_usable') or str(tap.get('usability_reason') or '') == 'NotYetValid'):
            return method
    return None


def user_methods(client, tenant, user):
    """One user's methods, default method and pass, read from Graph (works without Entra ID P1, C7)."""
    methods = mfa_api.authentication_methods(client, tenant, user['id'])
    preferences = mfa_api.sign_in_preferences(client, tenant, user['id'])
    tap = next((method for method in methods if method['tap'] is not None), None)
    return {'id': user['id'], 'user_principal_name': user.get('userPrincipalName'),
            'methods': [method_view(method) for method in methods],
            'mfa_registered': any(method['short_type'] not in NOT_MFA_TYPES for method in methods),
            'default_method': preferences['default_method'],
            'system_preferred_enabled': preferences['system_preferred_enabled'],
            'system_preferred_method': preferences['system_preferred_method'],
            'temporary_access_pass': dict(tap['tap'], id=tap['id'], created_date_time=tap['created']) if tap else None,
            'has_usable_tap': usable_tap(methods) is not None}


def users_methods(client, tenant, identities, report_rows):
    """user_methods of each listed user; a user in the tenant's MFA report needs no lookup."""
    by_key = {}
    for row in report_rows:
        for key in (row.get('id'), row.get('user_principal_name')):
            if key:
                by_key[str(key).lower()] = {'id': row['id'], 'userPrincipalName': row.get('user_principal_name')}
    out = []
    for identity in identities:
        user = by_key.get(str(identity).lower()) or require_user(client, tenant, identity, option='users')
        out.append(user_methods(client, tenant, user))
    return out


# ------------------------------------------------------------------------------ one user's MFA

TAP_STATES = ('present', 'absent')


def _validate(params):
    tap = params.get('temporary_access_pass')
    if tap:
        lifetime = tap.get('lifetime_minutes')
        if lifetime is not None and not 10 <= lifetime <= 43200:
            raise CippConfigError('temporary_access_pass.lifetime_minutes must be between 10 and 43200 (30 days), got %s' % lifetime)
        tap['start_epoch'] = to_epoch(tap.get('start'), 'temporary_access_pass.start')
    if params.get('return_secret') and not tap:
        raise CippConfigError('return_secret only applies with temporary_access_pass.')
    if params.get('handover_dir') and not tap:
        raise CippConfigError('handover_dir only applies with temporary_access_pass.')
    for index, item in enumerate(params.get('absent_methods') or []):
        if not isinstance(item, dict) or sorted(key for key, value in item.items() if value) not in (['id'], ['type']):
            raise CippConfigError('absent_methods[%d] must be {id: <method id>} or {type: <method type>}, one of the two; got %r'
                                  % (index, item))
        if str(item.get('type') or '').lower() == 'password':
            raise CippConfigError('absent_methods[%d]: the password method cannot be removed (CIPP never removes it).' % index)
    if params.get('methods') == 'absent' and params.get('absent_methods'):
        raise CippConfigError('methods=absent already removes every method; leave out absent_methods.')
    if not any(params.get(key) for key in ('per_user_state', 'methods', 'absent_methods', 'default_method',
                                           'temporary_access_pass', 'send_push')):
        raise CippConfigError('Nothing to do: set per_user_state, methods, absent_methods, default_method, temporary_access_pass '
                              'or send_push.')


def ensure_mfa(client, params, check_mode):
    """Resource function of cipp_mfa: the user is looked up once and passed to each part."""
    _validate(params)
    tenant = params['tenant']
    user = require_user(client, tenant, params['user'])
    result = {'changed': False, 'user': {'id': user['id'], 'userPrincipalName': user.get('userPrincipalName')}, 'actions': []}
    before, after = {}, {}

    def record(action, outcome):
        if outcome.get('changed'):
            result['changed'] = True
            result['actions'].append(action)
            before.update(outcome.get('before') or {})
            after.update(outcome.get('after') or {})

    if params.get('per_user_state'):
        record('per_user_state', set_per_user_state(client, tenant, user, params['per_user_state']))
    if params.get('methods') == 'absent':
        outcome = remove_methods(client, tenant, user)
        record('methods_removed', outcome)
        result['methods_message'] = outcome.get('message')
    if params.get('absent_methods'):
        outcome = remove_selected_methods(client, tenant, user, params['absent_methods'])
        record('absent_methods', outcome)
        result['removed_methods'] = outcome['removed']
    if params.get('default_method'):
        outcome = set_default_method(client, tenant, user, params['default_method'])
        record('default_method', outcome)
        result['default_method'] = outcome['default_method']
        if outcome.get('warning'):
            result.setdefault('warnings', []).append(outcome['warning'])
    tap = params.get('temporary_access_pass')
    if tap:
        state = tap.get('state')
        if params.get('handover_dir'):
            # Checked before a pass exists: a pass whose file cannot be written is a pass nobody holds.
            check_name(user.get('userPrincipalName'), 'user')
        if state == 'absent':
            outcome = remove_tap(client, tenant, user)
        elif state == 'present':
            outcome = ensure_tap(client, tenant, user, tap, check_mode)
        else:
            outcome = issue_tap(client, tenant, user, tap)
        record('temporary_access_pass', outcome)
        details = outcome.get('details')
        if details:
            secret = details.pop('_pass', None)
            result['temporary_access_pass'] = details
            if secret and params.get('handover_dir'):
                result['handover_file'] = _hand_over(client, tenant, user, params['handover_dir'], secret)
            if params.get('return_secret') and outcome.get('created'):
                details['pass'] = secret
                result[RETURNED_SECRETS] = ['temporary_access_pass']
    if params.get('send_push'):
        response = mfa_api.send_push(client, tenant, user)
        record('send_push', {'changed': True})
        result['push_result'] = result_text(response) or None
    if before or after:
        result['diff'] = make_diff(before, after)
    return result


def _method_label(method):
    return '%s (%s)' % (method['short_type'], method['name']) if method['name'] else str(method['short_type'])


def remove_selected_methods(client, tenant, user, wanted):
    """Remove the methods ``wanted`` names (``{id}`` or ``{type}``), one ExecResetMFA ``MethodId`` call each; methods
    already gone need no call. The methods are re-read afterwards and the task fails when one is still there."""
    methods = mfa_api.authentication_methods(client, tenant, user['id'])
    ids = set(str(item['id']).lower() for item in wanted if item.get('id'))
    types = set(str(item['type']).lower() for item in wanted if item.get('type'))
    doomed = [method for method in methods
              if str(method['id']).lower() in ids or str(method['short_type'] or '').lower() in types]
    if not doomed:
        return {'changed': False, 'removed': []}
    doomed_ids = set(method['id'] for method in doomed)

    def applied():
        return not any(method['id'] in doomed_ids for method in mfa_api.authentication_methods(client, tenant, user['id']))

    for method in doomed:
        def gone(method_id=method['id']):
            return all(other['id'] != method_id for other in mfa_api.authentication_methods(client, tenant, user['id']))
        # "No removable MFA method with id ... found" (HTTP 200) means it was gone already: the re-read decides.
        write_verified(client, lambda method_id=method['id']: mfa_api.reset_mfa(client, tenant, user['id'], method_id), applied=gone)
    confirm(client, applied, 'ExecResetMFA', 'the methods %s of %s removed'
            % (', '.join(sorted(doomed_ids)), user.get('userPrincipalName')))
    labels = sorted(_method_label(method) for method in methods)
    kept = sorted(_method_label(method) for method in methods if method['id'] not in doomed_ids)
    return {'changed': True, 'removed': [method_view(method) for method in doomed],
            'before': {'methods': labels}, 'after': {'methods': kept}}


def set_default_method(client, tenant, user, wanted):
    """The default second factor (signInPreferences), read first, written only when it differs, then re-read."""
    current = mfa_api.sign_in_preferences(client, tenant, user['id'])
    warning = None
    if current['system_preferred_enabled']:
        # Invoke-ExecSetDefaultMFAMethod.ps1: "ignored at sign-in while system-preferred MFA is enabled for the user".
        warning = ('System-preferred MFA is enabled for %s: Entra ID prompts for %s and ignores the default method at sign-in.'
                   % (user.get('userPrincipalName'), current['system_preferred_method'] or 'the strongest method'))
    if current['default_method'] == wanted:
        return {'changed': False, 'default_method': wanted, 'warning': warning}

    def applied():
        return mfa_api.sign_in_preferences(client, tenant, user['id'])['default_method'] == wanted

    write_verified(client, lambda: mfa_api.set_default_method(client, tenant, user['id'], wanted), applied=applied)
    confirm(client, applied, 'ExecSetDefaultMFAMethod', 'the default MFA method %s for %s' % (wanted, user.get('userPrincipalName')))
    return {'changed': True, 'default_method': wanted, 'warning': warning,
            'before': {'default_method': current['default_method']}, 'after': {'default_method': wanted}}


def _tap_view(method):
    return dict(method['tap'], id=method['id'], created_date_time=method['created'])


def ensure_tap(client, tenant, user, tap, check_mode):
    """``state=present``: a usable (or not yet valid) pass is kept -- never a second one --; a pass that cannot be used
    any more (expired, used) is removed first, as Entra ID allows one pass per user; then one is created."""
    methods = mfa_api.authentication_methods(client, tenant, user['id'])
    current = usable_tap(methods)
    if current is not None:
        return {'changed': False, 'details': _tap_view(current)}
    stale = [method for method in methods if method['tap'] is not None]
    for method in stale:
        write_verified(client, lambda method_id=method['id']: mfa_api.reset_mfa(client, tenant, user['id'], method_id),
                       applied=lambda method_id=method['id']: _tap_gone(client, tenant, user, method_id))
    try:
        outcome = issue_tap(client, tenant, user, tap)
    except (CippWriteUncertainError, CippServerError) as exc:
        # Never re-sent, and never adopted: a pass whose answer was lost is one nobody holds, and a re-run would keep it
        # as "usable". It goes, and the task says to run again.
        if not _drop_passes(client, tenant, user):
            raise
        raise CippResultError('%s; the pass it may have made is removed again, since nobody holds it. Run the task again.'
                              % exc.message, exc.endpoint, exc.status, exc.cipp_message)
    outcome['before'] = {'temporary_access_pass': 'unusable (%s)' % stale[0]['tap'].get('usability_reason') if stale else 'none'}
    outcome['after'] = {'temporary_access_pass': 'usable'}
    if not check_mode:
        found = []

        def applied():
            found[:] = [usable_tap(mfa_api.authentication_methods(client, tenant, user['id']))]
            return found[0] is not None
        confirm(client, applied, 'ExecCreateTAP', 'a usable Temporary Access Pass for %s' % user.get('userPrincipalName'))
        secret = (outcome.get('details') or {}).get('_pass')
        outcome['details'] = dict(_tap_view(found[0]), _pass=secret)
    return outcome


def _drop_passes(client, tenant, user):
    """Remove every pass the user holds (a pass nobody holds); True when there was one."""
    return remove_selected_methods(client, tenant, user, [{'type': 'temporaryAccessPass'}])['changed']


def _hand_over(client, tenant, user, directory, secret):
    """The new pass into its 0600 file. When the file cannot be written, the pass is removed again (nobody could
    hold it, and a re-run would keep it as "usable") and the task fails naming handover_dir."""
    try:
        return write_handover(directory, user.get('userPrincipalName'), 'Temporary Access Pass', secret)
    except (OSError, CippError) as exc:
        _drop_passes(client, tenant, user)
        raise CippConfigError('handover_dir: the Temporary Access Pass of %s could not be written to %s (%s); the pass was '
                              'removed again.' % (user.get('userPrincipalName'), directory,
                                                  getattr(exc, 'message', None) or getattr(exc, 'strerror', None) or exc))


def _tap_gone(client, tenant, user, method_id):
    return all(method['id'] != method_id for method in mfa_api.authentication_methods(client, tenant, user['id']))


def remove_tap(client, tenant, user):
    """``state=absent``: every pass the user holds is removed (ExecResetMFA ``MethodId``), then re-read."""
    outcome = remove_selected_methods(client, tenant, user, [{'type': 'temporaryAccessPass'}])
    if not outcome['changed']:
        return {'changed': False}
    return {'changed': True, 'before': {'temporary_access_pass': 'present'}, 'after': {'temporary_access_pass': 'absent'}}


def set_per_user_state(client, tenant, user, wanted):
    """The legacy per-user MFA state of a resolved user; read first, written only when it differs."""
    current = mfa_api.per_user_state(client, tenant, user['id'])
    if current == wanted:
        return {'changed': False}
    # Graph's own values are lower case; the UI's capitals are not verified to work (CONTRACT 13).

    def applied():
        return mfa_api.per_user_state(client, tenant, user['id']) == wanted

    write_verified(client, lambda: mfa_api.set_per_user_state(client, tenant, user, wanted), applied=applied)
    # CIPP sends the change in a Graph batch and never reads its result: "Successfully set" proves nothing.
    confirm(client, applied, 'ExecPerUserMFA', 'the per-user MFA state %s for %s' % (wanted, user.get('userPrincipalName')))
    return {'changed': True, 'before': {'per_user_state': current}, 'after': {'per_user_state': wanted}}


def remove_methods(client, tenant, user):
    """Remove every registered method of a resolved user (password excepted), judged from Graph's method list:
    CIPP's MFARegistration is null in tenants without Entra ID P1 (CONTRACT 0.1 C7)."""
    methods = mfa_api.authentication_methods(client, tenant, user['id'])
    if not methods:
        return {'changed': False, 'message': None}

    def applied():
        return not mfa_api.authentication_methods(client, tenant, user['id'])

    response = write_verified(client, lambda: mfa_api.reset_mfa(client, tenant, user['id']), applied=applied)
    confirm(client, applied, 'ExecResetMFA', 'the MFA methods of %s removed' % user.get('userPrincipalName'))
    text = result_text(response)
    names = sorted('%s (%s)' % (method['type'], method['name']) if method['name'] else str(method['type']) for method in methods)
    return {'changed': True, 'message': text or None, 'before': {'methods': names}, 'after': {'methods': []}}


def issue_tap(client, tenant, user, tap):
    """A new Temporary Access Pass for a resolved user (one-shot). ``details['_pass']`` carries the pass."""
    response = mfa_api.create_tap(client, tenant, user['id'], lifetime_minutes=tap.get('lifetime_minutes'),
                                  usable_once=tap.get('usable_once'), start_epoch=tap.get('start_epoch'))
    return {'changed': True, 'created': True, 'details': _tap_details(response)}


def _tap_details(response):
    results = response.get('Results') if isinstance(response, dict) else None
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        return None
    item = results[0]
    if str(item.get('state', '')).lower() == 'error':
        raise CippResultError('ExecCreateTAP reported a failure: %s' % item.get('resultText'), 'ExecCreateTAP', 200, item.get('resultText'))
    return {'lifetime_minutes': item.get('lifetimeInMinutes'), 'usable_once': item.get('isUsableOnce'),
            'start': item.get('startDateTime'), '_pass': item.get('temporaryAccessPass') or item.get('copyField')}


# ------------------------------------------------------------------------------ the registration campaign (tenant-wide)

CAMPAIGN_STATES = mfa_api.CAMPAIGN_STATES
CAMPAIGN_METHODS = mfa_api.CAMPAIGN_METHODS
GUID = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')


def _targets(users, groups):
    return sorted([(str(item).lower(), 'user') for item in users or []] + [(str(item).lower(), 'group') for item in groups or []])


def _campaign_view(campaign):
    return {'state': campaign['state'], 'targeted_method': campaign['targeted_method'], 'snooze_days': campaign['snooze_days'],
            'enforce_after_snoozes': campaign['enforce_after_snoozes'],
            'include': sorted((t['id'], t['type']) for t in campaign['include']),
            'exclude': sorted((t['id'], t['type']) for t in campaign['exclude'])}


def _campaign_validate(params):
    if params.get('include_all_users') and (params.get('include_users') or params.get('include_groups')):
        raise CippConfigError('include_all_users cannot be combined with include_users or include_groups.')
    snooze = params.get('snooze_days')
    if snooze is not None and not 0 <= snooze <= 14:
        raise CippConfigError('snooze_days must be between 0 and 14, got %s' % snooze)
    for option in ('include_groups', 'exclude_groups'):
        bad = [value for value in params.get(option) or [] if not GUID.match(str(value))]
        if bad:
            raise CippConfigError('%s takes group object IDs (GUIDs); not one: %s' % (option, ', '.join(map(str, bad))))
    settings = ('state', 'targeted_method', 'snooze_days', 'enforce_after_snoozes', 'include_all_users', 'include_users',
                'include_groups', 'exclude_users', 'exclude_groups')
    if not any(params.get(key) is not None for key in settings):
        raise CippConfigError('Nothing to do: set state, targeted_method, snooze_days, enforce_after_snoozes or the targets.')


def _user_ids(client, tenant, identities, option):
    return [value if GUID.match(str(value)) else require_user(client, tenant, value, option=option)['id'] for value in identities]


def ensure_registration_campaign(client, params, check_mode):
    """Resource function of cipp_registration_campaign: read the tenant's campaign, write only what differs, re-read."""
    _campaign_validate(params)
    tenant = params['tenant']
    wanted = {}
    for key in ('state', 'targeted_method', 'snooze_days', 'enforce_after_snoozes'):
        if params.get(key) is not None:
            wanted[key] = params[key]
    include_users = exclude_users = None
    if params.get('include_all_users'):
        wanted['include'] = [('all_users', 'group')]
    elif params.get('include_users') is not None or params.get('include_groups') is not None:
        include_users = _user_ids(client, tenant, params.get('include_users') or [], 'include_users')
        wanted['include'] = _targets(include_users, params.get('include_groups'))
    if params.get('exclude_users') is not None or params.get('exclude_groups') is not None:
        exclude_users = _user_ids(client, tenant, params.get('exclude_users') or [], 'exclude_users')
        wanted['exclude'] = _targets(exclude_users, params.get('exclude_groups'))
    if wanted.get('include') == []:
        raise CippConfigError('include_users and include_groups are empty: CIPP would target all users; say include_all_users.')

    def differences(campaign):
        view = _campaign_view(campaign)
        lowered = dict(view, include=sorted((i.lower(), t) for i, t in view['include']), exclude=sorted((i.lower(), t) for i, t in view['exclude']))
        return dict((key, value) for key, value in wanted.items() if lowered[key] != value)

    current = mfa_api.registration_campaign(client, tenant)
    result = {'changed': False, 'campaign': _campaign_result(current)}
    if not differences(current):
        return result

    def send():
        return mfa_api.set_registration_campaign(
            client, tenant, state=params.get('state'), targeted_method=params.get('targeted_method'),
            snooze_days=params.get('snooze_days'), enforce_after_snoozes=params.get('enforce_after_snoozes'),
            include_all_users=True if params.get('include_all_users') else None,
            include_users=include_users, include_groups=params.get('include_groups') if include_users is not None else None,
            exclude_users=exclude_users, exclude_groups=params.get('exclude_groups') if exclude_users is not None else None)

    def applied():
        return not differences(mfa_api.registration_campaign(client, tenant))

    response = write_verified(client, send, applied=applied)
    confirm(client, applied, 'ExecRegistrationCampaign', 'the registration campaign of %s as asked' % tenant)
    before = _campaign_result(current)
    after = dict(before)
    for key, value in wanted.items():
        after[key] = [{'id': i, 'type': t} for i, t in value] if key in ('include', 'exclude') else value
    result.update(changed=True, campaign=after if check_mode else _campaign_result(mfa_api.registration_campaign(client, tenant)),
                  message=result_text(response) or None, diff=make_diff(before, after))
    return result


def _campaign_result(campaign):
    return dict(campaign, include=list(campaign['include']), exclude=list(campaign['exclude']))
