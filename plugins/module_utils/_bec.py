# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Business Email Compromise: CIPP's investigation report and its one-call remediation (CONTRACT 8).

ExecBECCheck is asynchronous and keyed by the user's object id only: the first call starts a run
(or, without ``overwrite``, returns CIPP's cached old report), and ``?GUID={userid}`` is polled until
the body is no longer ``{"Waiting": true}``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import os
import re
import time

from ansible_collections.msp.cipp.plugins.module_utils import _api_directory as directory_api
from ansible_collections.msp.cipp.plugins.module_utils import _api_exchange as exchange
from ansible_collections.msp.cipp.plugins.module_utils import _api_jobs as jobs_api
from ansible_collections.msp.cipp.plugins.module_utils import _api_users as users_api
from ansible_collections.msp.cipp.plugins.module_utils._admin_roles import remove_admin_roles
from ansible_collections.msp.cipp.plugins.module_utils._common import RETURNED_SECRETS, email_addresses, outside, parse_datetime
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippError, CippResultError
from ansible_collections.msp.cipp.plugins.module_utils._files import write_private
from ansible_collections.msp.cipp.plugins.module_utils._mailbox import MailboxRun
from ansible_collections.msp.cipp.plugins.module_utils._mfa import remove_methods, remove_selected_methods
from ansible_collections.msp.cipp.plugins.module_utils._user_actions import act
from ansible_collections.msp.cipp.plugins.module_utils._users import require_user

SUSPICIOUS_FOLDERS = ('rss', 'rss feeds', 'rss subscriptions', 'archive', 'conversation history', 'deleted items', 'junk email')
RECENT_DAYS = 7


class BecTimeout(CippError):
    """The BEC check did not finish in time."""


def run_check(client, tenant, user, refresh=True, wait_timeout=600, poll_interval=10, sleep=time.sleep, clock=time.time):
    """Start (or pick up) CIPP's BEC check for ``user`` and wait for the report."""
    started = jobs_api.bec_check(client, tenant, user, refresh)
    guid = started.get('GUID') if isinstance(started, dict) else None
    if not guid:
        if jobs_api.is_bec_report(started):
            return started
        raise CippResultError('ExecBECCheck did not start a check: %s' % str(started)[:300], 'ExecBECCheck', 200, str(started)[:300])
    deadline = clock() + wait_timeout
    while True:
        body = jobs_api.bec_poll(client, tenant, guid)
        if not (isinstance(body, dict) and body.get('Waiting')):
            break
        if clock() + poll_interval > deadline:
            raise BecTimeout('The BEC check of %s did not finish within %s seconds. CIPP keeps running it: run the task again '
                             'with refresh=false to collect the report when it is ready.' % (user.get('userPrincipalName'), wait_timeout),
                             endpoint='ExecBECCheck')
        sleep(poll_interval)
    if not jobs_api.is_bec_report(body):
        # A failed run stores {"Results": text, "Exception": ...}: never a clean report (CONTRACT 0.1 C4).
        text = body.get('Results') or body.get('Exception') if isinstance(body, dict) else body
        raise CippResultError('CIPP\'s BEC check of %s failed: %s' % (user.get('userPrincipalName'), str(text)[:500]),
                              'ExecBECCheck', 200, str(text)[:500])
    return body


def _recent(value, now):
    when = parse_datetime(value)
    return when is not None and (now - when).total_seconds() <= RECENT_DAYS * 86400


def rule_findings(rule, domains):
    """Why an inbox rule looks like an attacker's, as a list of short reasons (empty = looks harmless)."""
    reasons = []
    targets = []
    for key in ('ForwardTo', 'RedirectTo', 'ForwardAsAttachmentTo'):
        targets.extend(email_addresses(rule.get(key)))
    external_targets = outside(targets, domains)
    if external_targets:
        reasons.append('forwards outside the tenant to %s' % ', '.join(sorted(set(external_targets))))
    if rule.get('DeleteMessage') is True or rule.get('SoftDeleteMessage') is True:
        reasons.append('deletes messages')
    folder = str(rule.get('MoveToFolder') or '').rsplit('\\', maxsplit=1)[-1].rsplit(':', maxsplit=1)[-1].strip().lower()
    if folder in SUSPICIOUS_FOLDERS:
        reasons.append('moves messages to %s' % rule.get('MoveToFolder'))
    name = str(rule.get('Name') or '').strip()
    if len(name) <= 2 or not re.search(r'[A-Za-z0-9]', name):
        reasons.append('has a meaningless name %r' % name)
    return reasons


def summarise(report, user, domains, mailbox=None, now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    rules = []
    for rule in report.get('NewRules') or []:
        reasons = rule_findings(rule, domains)
        if reasons:
            rules.append({'name': rule.get('Name'), 'identity': rule.get('Identity'), 'enabled': rule.get('Enabled'),
                          'reasons': reasons, 'external_targets': outside(
                              sum((email_addresses(rule.get(key)) for key in ('ForwardTo', 'RedirectTo', 'ForwardAsAttachmentTo')), []), domains)})
    forwarding = None
    if mailbox:
        smtp = exchange.forwarding_target(mailbox)
        if smtp:
            forwarding = {'address': smtp, 'external': bool(outside(email_addresses(smtp), domains)),
                          'keep_copy': mailbox.get('ForwardAndDeliver')}
    upn = (user.get('userPrincipalName') or '').lower()
    sign_ins = [row for row in report.get('SuspectUserMailboxLogons') or [] if str(row.get('UserPrincipalName') or '').lower() == upn]
    methods = report.get('MFADevices') or []
    new_methods = [m for m in methods if _recent(m.get('createdDateTime') or m.get('CreatedDateTime'), now)]
    return {
        'suspicious_rules': rules,
        'forwarding': forwarding,
        'new_mfa_methods': new_methods,
        'mfa_methods': len(methods),
        # The attacker's methods can be told from the user's own when some are new and the others older: the new ones
        # are then what a responder removes, leaving the user's own (all new, or none new: they cannot be told apart).
        'mfa_methods_told_apart': bool(new_methods) and len(new_methods) < len(methods),
        'new_mfa_method_ids': [m.get('id') for m in new_methods if m.get('id')],
        'mailbox_permission_changes': permission_changes(report),
        'new_apps': [app.get('displayName') or app.get('appDisplayName') for app in report.get('AddedApps') or []],
        'sign_in_ips': sorted(set(str(row.get('IPAddress')) for row in sign_ins if row.get('IPAddress'))),
        'new_users': [row.get('userPrincipalName') for row in report.get('NewUsers') or []],
        'changed_passwords': [row.get('userPrincipalName') or row.get('displayName') for row in report.get('ChangedPasswords') or []],
        'extract_result': report.get('ExtractResult'),
        'extracted_at': report.get('ExtractedAt'),
        # Push-BECRun.ps1 turns every section it could not read into an empty list; only a successful audit-log
        # extraction makes empty sections mean "nothing found".
        'complete': str(report.get('ExtractResult') or '').lower().startswith('successfully'),
        'limitations': [] if str(report.get('ExtractResult') or '').lower().startswith('successfully') else [
            'CIPP could not search the audit log (%s): new inbox rules, permission changes, sign-ins and sent mail from it '
            'may be missing, so empty sections do not mean nothing happened.' % (report.get('ExtractResult') or 'no result given')],
        'compromise_indicators': len(rules) + (1 if forwarding and forwarding['external'] else 0),
    }


def permission_changes(report):
    """Mailbox and folder permissions changed in the last 7 days, from the audit log (Push-BECRun.ps1's
    MailboxPermissionChanges: Add-/Remove-MailboxPermission, UpdateCalendarDelegation, AddFolderPermissions)."""
    changes = []
    for row in report.get('MailboxPermissionChanges') or []:
        if isinstance(row, dict):
            rights = row.get('Permissions')
            changes.append({'operation': row.get('Operation'), 'by': row.get('UserKey'), 'object': row.get('ObjectId'),
                            'rights': rights if isinstance(rights, list) else [rights] if rights else []})
    return changes


def write_evidence(path, document):
    """JSON (sorted, indented) in a new 0600 file, never over an existing one (``name-2.json`` ... then), and its
    SHA-256 in ``<written path>.sha256``."""
    path = os.path.abspath(os.path.expanduser(path))
    data = json.dumps(document, indent=2, sort_keys=True, default=str).encode('utf-8')
    digest = hashlib.sha256(data).hexdigest()
    written = write_private(os.path.dirname(path), os.path.basename(path), data, option='evidence_path')
    hash_path = write_private(os.path.dirname(written), os.path.basename(written) + '.sha256',
                              '%s  %s\n' % (digest, os.path.basename(written)), option='evidence_path')
    return {'path': written, 'sha256': digest, 'hash_path': hash_path}


def bec_info(client, params, check_mode):
    """Resource function of cipp_bec_info."""
    if params['wait_timeout'] < 1 or params['poll_interval'] < 1:
        raise CippConfigError('wait_timeout and poll_interval must be at least 1 second.')
    tenant = params['tenant']
    user = require_user(client, tenant, params['user'])
    # ExecBECCheck with overwrite rewrites CIPP's cached report and starts a new run (CONTRACT 0.1 C17): in check mode
    # the cached report is read instead. Without one, CIPP starts a first run whatever we send.
    report = run_check(client, tenant, user, refresh=params['refresh'] and not check_mode, wait_timeout=params['wait_timeout'],
                       poll_interval=params['poll_interval'])
    mailbox = exchange.mailbox_details(client, tenant, user) or None
    domains = set(row['name'] for row in directory_api.list_domains(client, tenant))
    summary = summarise(report, user, domains, mailbox)
    result = {'changed': False, 'user': {'id': user['id'], 'userPrincipalName': user.get('userPrincipalName')},
              'report': report, 'summary': summary}
    if params.get('evidence_path'):
        # Evidence is captured in check mode too: it is a local record, it changes nothing in the tenant.
        result['evidence'] = write_evidence(params['evidence_path'], {
            'tenant': tenant, 'user': result['user'], 'captured_at': datetime.datetime.now(datetime.timezone.utc).isoformat(),
            'summary': summary, 'mailbox_forwarding': summary['forwarding'], 'report': report})
    return result


def remediate_bundle(client, params, check_mode):
    """Resource function of cipp_bec (mode cipp_bundle): CIPP's six-step ExecBECRemediate."""
    tenant = params['tenant']
    user = require_user(client, tenant, params['user'])
    result = {'changed': True, 'user': {'id': user['id'], 'userPrincipalName': user.get('userPrincipalName')}, 'steps': []}
    response = jobs_api.bec_remediate(client, tenant, user)
    if response is None:
        result['steps'] = [{'step': name, 'state': 'planned'} for name in
                           ('reset_password', 'disable_sign_in', 'revoke_sessions', 'remove_mfa_methods', 'disable_inbox_rules',
                            'disable_onedrive_sharing')]
        return result
    password = None
    for item in response.get('Results') or [] if isinstance(response, dict) else []:
        if isinstance(item, dict):
            result['steps'].append({'message': item.get('resultText'), 'state': item.get('state')})
            # Cloud users: "Successfully reset the password ..."; synced users: "Password reset accepted ..."
            # (Set-CIPPResetPassword.ps1). Either way the new password (or PwPush link) is the copyField.
            if item.get('copyField') and 'password' in str(item.get('resultText', '')).lower() and str(item.get('state')).lower() != 'error':
                password = item.get('copyField')
        else:
            result['steps'].append({'message': str(item), 'state': None})
    if params.get('return_password') and password:
        result['password'] = password
        result[RETURNED_SECRETS] = ['password']
    failed = [step['message'] for step in result['steps'] if str(step['state']).lower() == 'error']
    if failed:
        # Fail with the steps, and the password CIPP already set when it was asked for: losing it would lock the
        # responder out of the account they just contained.
        result.update(failed=True, msg='ExecBECRemediate reported failed steps: %s' % '; '.join(failed))
    return result


STEPS = ('revoke_sessions', 'reset_password', 'disable_sign_in', 'remove_admin_roles', 'remove_mfa_methods', 'disable_forwarding',
         'remove_external_rules')
# Taking a user's admin roles away is not undone by the user's recovery: it runs only when asked for by name.
DEFAULT_STEPS = tuple(step for step in STEPS if step != 'remove_admin_roles')


def remediate_steps(client, params, check_mode):
    """Resource function of cipp_bec (mode steps): the containment steps one by one, each read first where it can be."""
    tenant, identity = params['tenant'], params['user']
    steps = params.get('steps') or list(DEFAULT_STEPS)
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        raise CippConfigError('steps: unknown step(s) %s; known: %s' % (', '.join(unknown), ', '.join(STEPS)))
    if params.get('mfa_methods_to_remove') is not None and 'remove_mfa_methods' not in steps:
        raise CippConfigError('mfa_methods_to_remove only applies with the remove_mfa_methods step.')
    # The user is looked up once; every step works on that object.
    user = require_user(client, tenant, identity)
    upn = user['userPrincipalName']
    mailbox = MailboxRun(client, tenant, user, check_mode)
    result = {'changed': False, 'user': {'id': user['id'], 'userPrincipalName': upn}, 'steps': []}
    # Always the known-good order, whatever order the caller listed them in.
    for step in [name for name in STEPS if name in steps]:
        if step == 'revoke_sessions':
            outcome = act(client, tenant, user, step)
        elif step == 'reset_password':
            outcome = act(client, tenant, user, step, must_change=True, return_password=bool(params.get('return_password')))
        elif step == 'disable_sign_in':
            outcome = {'changed': bool(user.get('accountEnabled'))}
            if outcome['changed']:
                users_api.set_account_enabled(client, tenant, user['id'], False)
        elif step == 'remove_admin_roles':
            outcome = remove_admin_roles(client, tenant, user)
            outcome = {'changed': outcome['changed'], 'removed_roles': outcome['removed']}
        elif step == 'remove_mfa_methods' and params.get('mfa_methods_to_remove') is not None:
            removed = remove_selected_methods(client, tenant, user, [{'id': method_id} for method_id in params['mfa_methods_to_remove']])
            outcome = {'changed': removed['changed'], 'removed_methods': [method['id'] for method in removed['removed']]}
        elif step == 'remove_mfa_methods':
            outcome = remove_methods(client, tenant, user)
            outcome.pop('message', None)
        elif step == 'disable_forwarding':
            actions = len(mailbox.actions)
            mailbox.forwarding('disabled')
            outcome = {'changed': len(mailbox.actions) > actions}
        else:
            actions = len(mailbox.actions)
            mailbox.inbox_rules({'remove': params.get('rules_to_remove') or [], 'remove_external_forwarding': True})
            outcome = {'changed': len(mailbox.actions) > actions, 'removed_rules': mailbox.removed_rules}
        entry = {'step': step, 'changed': outcome['changed'], 'state': 'planned' if check_mode and outcome['changed'] else
                 'done' if outcome['changed'] else 'already done'}
        if outcome.get('message'):
            entry['message'] = outcome['message']
        for key in ('removed_rules', 'removed_roles', 'removed_methods'):
            if outcome.get(key):
                entry[key] = outcome[key]
        if outcome.get('password'):
            result['password'] = outcome['password']
            result[RETURNED_SECRETS] = ['password']
        result['steps'].append(entry)
        result['changed'] = result['changed'] or outcome['changed']
    return result
