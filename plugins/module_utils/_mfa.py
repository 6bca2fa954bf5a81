# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""MFA: a user's per-user state, registered methods, TAPs and pushes (CONTRACT 5.8, 5.9, 5.21, 5.23-5.25),
and the MFA report of one tenant or a whole portfolio."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.module_utils import _api_mfa as mfa_api
from ansible_collections.msp.cipp.plugins.module_utils._api_directory import ALL_TENANTS, list_tenants
from ansible_collections.msp.cipp.plugins.module_utils._api_graph import result_text
from ansible_collections.msp.cipp.plugins.module_utils._common import RETURNED_SECRETS, make_diff, to_epoch
from ansible_collections.msp.cipp.plugins.module_utils._converge import confirm, write_verified
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippError, CippResultError
from ansible_collections.msp.cipp.plugins.module_utils._users import require_user

PER_USER_STATES = ('disabled', 'enabled', 'enforced')
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
    return {'changed': False, 'users': users, 'tenants': tenants,
            'failed_tenants': [item['tenant'] for item in tenants if item['error']]}


def _text(body):
    if isinstance(body, list):
        return '; '.join(str(item.get('UPN') or item) if isinstance(item, dict) else str(item) for item in body)[:300]
    return str(body)[:300]


# ------------------------------------------------------------------------------ one user's MFA

def _validate(params):
    tap = params.get('temporary_access_pass')
    if tap:
        lifetime = tap.get('lifetime_minutes')
        if lifetime is not None and not 10 <= lifetime <= 43200:
            raise CippConfigError('temporary_access_pass.lifetime_minutes must be between 10 and 43200 (30 days), got %s' % lifetime)
        tap['start_epoch'] = to_epoch(tap.get('start'), 'temporary_access_pass.start')
    if params.get('return_secret') and not tap:
        raise CippConfigError('return_secret only applies with temporary_access_pass.')
    if not any(params.get(key) for key in ('per_user_state', 'methods', 'temporary_access_pass', 'send_push')):
        raise CippConfigError('Nothing to do: set per_user_state, methods, temporary_access_pass or send_push.')


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
    tap = params.get('temporary_access_pass')
    if tap:
        outcome = issue_tap(client, tenant, user, tap)
        record('temporary_access_pass', outcome)
        details = outcome.get('details')
        if details:
            secret = details.pop('_pass', None)
            result['temporary_access_pass'] = details
            if params.get('return_secret'):
                details['pass'] = secret
                result[RETURNED_SECRETS] = ['temporary_access_pass']
    if params.get('send_push'):
        response = mfa_api.send_push(client, tenant, user)
        record('send_push', {'changed': True})
        result['push_result'] = result_text(response) or None
    if before or after:
        result['diff'] = make_diff(before, after)
    return result


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
    return {'changed': True, 'details': _tap_details(response)}


def _tap_details(response):
    results = response.get('Results') if isinstance(response, dict) else None
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        return None
    item = results[0]
    if str(item.get('state', '')).lower() == 'error':
        raise CippResultError('ExecCreateTAP reported a failure: %s' % item.get('resultText'), 'ExecCreateTAP', 200, item.get('resultText'))
    return {'lifetime_minutes': item.get('lifetimeInMinutes'), 'usable_once': item.get('isUsableOnce'),
            'start': item.get('startDateTime'), '_pass': item.get('temporaryAccessPass') or item.get('copyField')}
