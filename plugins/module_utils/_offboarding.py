# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offboarding that knows what is already done (CONTRACT 7 and 9).

CIPP's ExecOffboardUser only queues a scheduler job: it returns no task id, accepts duplicates and
reports each step later as a JSON string. So this resource plans first (reads the user, the mailbox
and CIPP's own scheduler record of earlier jobs), queues only the steps still needed in one call, finds
the job it queued, waits for it, and verifies the result step by step.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import re
import time

from ansible_collections.msp.cipp.plugins.module_utils import _api_directory as directory_api
from ansible_collections.msp.cipp.plugins.module_utils import _api_exchange as exchange
from ansible_collections.msp.cipp.plugins.module_utils import _api_jobs as jobs_api
from ansible_collections.msp.cipp.plugins.module_utils import _api_mfa as mfa_api
from ansible_collections.msp.cipp.plugins.module_utils import _api_users as users_api
from ansible_collections.msp.cipp.plugins.module_utils._admin_roles import remove_admin_roles, role_names
from ansible_collections.msp.cipp.plugins.module_utils._bec import write_evidence
from ansible_collections.msp.cipp.plugins.module_utils._common import check_bounded, email_addresses, make_diff, outside, to_epoch
from ansible_collections.msp.cipp.plugins.module_utils._converge import write_verified
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippError, CippResultError
from ansible_collections.msp.cipp.plugins.module_utils._mailbox_permissions import access_of, remove_access
from ansible_collections.msp.cipp.plugins.module_utils._mobile_devices import devices_of, label as device_label

JOB_COMMAND = jobs_api.OFFBOARDING_COMMAND
_NO_LOCK = contextlib.nullcontext()
ACTIVE_STATES = ('planned', 'pending', 'running', 'processing')
FINAL_STATES = ('completed', 'failed')


class Step:
    """One offboarding option: module option, CIPP's option key, the helper CIPP runs, and its kind.

    ``verifiable`` steps have a post-condition we can read back; the others are one-shot and count as
    done when an earlier completed job for the user ran them without a failure.
    """
    __slots__ = ('option', 'cipp_key', 'cmdlet', 'verifiable')

    def __init__(self, option, cipp_key, cmdlet, verifiable):
        self.option, self.cipp_key, self.cmdlet, self.verifiable = option, cipp_key, cmdlet, verifiable


# CIPP runs the steps in this fixed order (CONTRACT 7.4); results are reported in it too.
STEPS = (
    Step('revoke_sessions', 'RevokeSessions', 'Revoke-CIPPSessions', False),
    Step('reset_password', 'ResetPass', 'Set-CIPPResetPassword', False),
    Step('disable_sign_in', 'DisableSignIn', 'Set-CIPPSignInState', True),
    Step('hide_from_gal', 'HideFromGAL', 'Set-CIPPHideFromGAL', True),
    Step('remove_groups', 'RemoveGroups', 'Remove-CIPPGroups', True),
    Step('remove_inbox_rules', 'RemoveRules', 'Remove-CIPPMailboxRule', True),
    Step('remove_mobile_devices', 'RemoveMobile', 'Remove-CIPPMobileDevice', False),
    Step('cancel_calendar_invites', 'removeCalendarInvites', 'Remove-CIPPCalendarInvites', False),
    Step('out_of_office', 'OOO', 'Set-CIPPOutOfOffice', True),
    Step('forward_to', 'forward', 'Set-CIPPForwarding', True),
    Step('disable_forwarding', 'disableForwarding', 'Set-CIPPForwarding', True),
    Step('onedrive_access', 'OnedriveAccess', 'Set-CIPPSharePointPerms', False),
    Step('disable_onedrive_sharing', 'DisableOneDriveSharing', 'Set-CIPPOneDriveSharing', False),
    Step('mailbox_access', 'AccessAutomap', 'Set-CIPPMailboxAccess', False),
    Step('remove_mailbox_permissions', 'removePermissions', 'Remove-CIPPMailboxPermissions', False),
    Step('remove_calendar_permissions', 'removeCalendarPermissions', 'Remove-CIPPCalendarPermissions', False),
    Step('convert_to_shared', 'ConvertToShared', 'Set-CIPPMailboxType', True),
    Step('remove_mfa_methods', 'RemoveMFADevices', 'Remove-CIPPUserMFA', True),
    Step('remove_teams_phone', 'RemoveTeamsPhoneDID', 'Remove-CIPPUserTeamsPhoneDIDs', False),
    Step('remove_licenses', 'RemoveLicenses', 'Remove-CIPPLicense', True),
    Step('clear_immutable_id', 'ClearImmutableId', 'Clear-CIPPImmutableID', True),
    Step('delete_user', 'DeleteUser', 'Remove-CIPPUser', True),
)
STEP_BY_OPTION = dict((step.option, step) for step in STEPS)
SWITCHES = [step.option for step in STEPS if step.option not in ('out_of_office', 'forward_to', 'onedrive_access', 'mailbox_access')]
MAILBOX_STEPS = ('hide_from_gal', 'out_of_office', 'forward_to', 'disable_forwarding', 'convert_to_shared')
# Steps CIPP's offboarding job does not have: this module runs them itself, at once, before the job is queued.
DIRECT_STEPS = ('remove_admin_roles',)
# In forward_to, onedrive_access and mailbox_access: the leaver's manager (Entra ID's manager of the user).
MANAGER = 'manager'


def offboard_argspec():
    """The options of one leaver (cipp_offboard's argument spec without ``tenant``); the roster validates each entry with it."""
    spec = dict(
        user=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        out_of_office=dict(type='str'),
        forward_to=dict(type='str'),
        keep_copy=dict(type='bool', default=False),
        onedrive_access=dict(type='list', elements='str'),
        mailbox_access=dict(type='list', elements='dict'),
        force=dict(type='bool', default=False),
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='int', default=900),
        poll_interval=dict(type='int', default=10),
        scheduled_at=dict(type='str'),
        notify=dict(type='list', elements='str', choices=['webhook', 'email', 'psa']),
        reference=dict(type='str'),
        evidence_path=dict(type='path'),
        remove_admin_roles=dict(type='bool', default=False),
    )
    for switch in SWITCHES:
        spec[switch] = dict(type='bool', default=False, no_log=False)
    return spec


def requested_steps(params):
    steps = []
    for step in STEPS:
        value = params.get(step.option)
        if value not in (None, False, '', []):
            steps.append(step)
    return steps


def _is_recipient(value):
    return isinstance(value, str) and (value == MANAGER or bool(users_api.EMAIL.match(value)))


def validate(params):
    steps = [step.option for step in requested_steps(params)] + [option for option in DIRECT_STEPS if params.get(option)]
    if params.get('state', 'present') == 'present' and not steps:
        raise CippConfigError('No offboarding step was selected: enable at least one of %s.'
                              % ', '.join([step.option for step in STEPS] + list(DIRECT_STEPS)))
    if not params.get('force'):
        clashes = []
        if params.get('delete_user'):
            clashes += [option for option in ('convert_to_shared', 'forward_to', 'out_of_office', 'mailbox_access', 'onedrive_access',
                                              'hide_from_gal') if params.get(option)]
        if params.get('forward_to') and params.get('disable_forwarding'):
            clashes.append('forward_to with disable_forwarding')
        if clashes:
            raise CippConfigError('Contradictory offboarding options: delete_user removes the mailbox and OneDrive that %s need. '
                                  'Set force=true if you really mean it.' % ', '.join(clashes)
                                  if params.get('delete_user') else 'Contradictory offboarding options: %s.' % ', '.join(clashes))
    if params.get('keep_copy') and not params.get('forward_to'):
        raise CippConfigError('keep_copy only applies with forward_to.')
    if params.get('forward_to') and not _is_recipient(params['forward_to']):
        raise CippConfigError('forward_to must be one user principal name or e-mail address (name@example.com), or manager, and '
                              'nothing else, got %r' % params['forward_to'])
    check_bounded(params.get('out_of_office'), 'out_of_office')
    for option in ('onedrive_access', 'mailbox_access'):
        check_bounded(params.get(option), option)
    for user in params.get('onedrive_access') or []:
        if not _is_recipient(user):
            raise CippConfigError('onedrive_access entries must be user principal names (name@example.com) or manager, got %r' % (user,))
    for entry in params.get('mailbox_access') or []:
        if not isinstance(entry, dict) or set(entry) - {'user', 'automap'} or not _is_recipient(entry.get('user')) \
                or not isinstance(entry.get('automap', True), bool):
            raise CippConfigError('mailbox_access entries must be {user: name@example.com or manager, automap: true|false}, got %r'
                                  % (entry,))
    if params.get('wait_timeout') is not None and params['wait_timeout'] < 1:
        raise CippConfigError('wait_timeout must be at least 1 second.')
    params['_scheduled_epoch'] = to_epoch(params.get('scheduled_at'), 'scheduled_at')
    if params['_scheduled_epoch'] and params.get('remove_admin_roles') and params.get('state', 'present') == 'present':
        raise CippConfigError('remove_admin_roles cannot be scheduled: CIPP\'s offboarding job has no such step, so this module '
                              'removes the roles itself, at once. Leave it out of the scheduled task (and remove the roles in a task '
                              'run on the day), or leave scheduled_at out.')


def uses_manager(params):
    return MANAGER in ([params.get('forward_to')] + list(params.get('onedrive_access') or [])
                       + [entry.get('user') for entry in params.get('mailbox_access') or []])


def with_manager(params, manager_upn):
    """``params`` with every ``manager`` recipient replaced by the manager's user principal name."""
    params = dict(params)
    if params.get('forward_to') == MANAGER:
        params['forward_to'] = manager_upn
    if params.get('onedrive_access'):
        params['onedrive_access'] = [manager_upn if user == MANAGER else user for user in params['onedrive_access']]
    if params.get('mailbox_access'):
        params['mailbox_access'] = [dict(entry, user=manager_upn) if entry.get('user') == MANAGER else entry
                                    for entry in params['mailbox_access']]
    return params


# ------------------------------------------------------------------------------ reading

class Snapshot:
    """What the plan and the verification need to know about the leaver, read once each.

    ``shared`` holds the tenant's own reads (domains, SKUs) when many leavers' snapshots share them (a roster).
    """

    def __init__(self, client, tenant, upn, shared=None):
        self.client, self.tenant, self.upn = client, tenant, upn
        self.user = users_api.find_user(client, tenant, upn)
        self._cache = {}
        self._shared = shared if shared is not None else {}

    def _planned_reads(self, params):
        """(request, reader) of each read the plan of ``params`` makes about this leaver."""
        options = set(step.option for step in requested_steps(params))
        reads = []
        if 'remove_groups' in options or params.get('remove_admin_roles'):
            reads.append((users_api.memberships_request(self.user['id']), self.memberships))
        if 'remove_inbox_rules' in options:
            reads.append((exchange.mailbox_rules_request(self.user), self.rules))
        if 'remove_mfa_methods' in options:
            reads.append((mfa_api.authentication_methods_request(self.user['id']), self.mfa_methods))
        if options & (set(MAILBOX_STEPS) - {'out_of_office'}):
            reads.append((exchange.mailbox_details_request(self.user), self.mailbox))
        if 'out_of_office' in options:
            reads.append((exchange.out_of_office_request(self.upn), self.ooo))
        if 'remove_mailbox_permissions' in options:
            reads.append((exchange.permission_report_by_user_request(self.user['userPrincipalName']), self.mailbox_access))
        if 'remove_mobile_devices' in options:
            reads.append((exchange.mobile_devices_request(self.user['userPrincipalName']), self.mobile_devices))
        if 'remove_licenses' in options and self.user.get('assignedLicenses'):
            reads.append((jobs_api.scheduled_items_request(self.tenant, Name=self.licence_task_name()), self.licence_tasks))
        return reads

    def reads_for(self, params):
        """The reads the plan of ``params`` will make about this leaver, as ``(endpoint, parameters)`` pairs: a roster
        makes them for all its leavers together first (read_together)."""
        return [request for request, _reader in self._planned_reads(params)]

    def load(self, params):
        """Make the plan's reads now (answered from what read_together fetched); one that fails is left to the plan,
        which reads it again and fails with its error."""
        for _request, reader in self._planned_reads(params):
            try:
                reader()
            except CippError:
                pass

    def _tenant_once(self, key, reader):
        with self._shared.get('_lock') or _NO_LOCK:
            if key not in self._shared:
                self._shared[key] = reader()
            return self._shared[key]

    def cached_read_back(self, step):
        """Whether the plan could read ``step``'s effect (read_back) for this leaver."""
        key = {'remove_mailbox_permissions': 'mailbox_access', 'remove_mobile_devices': 'mobile'}[step.option]
        return self._cache.get(key) is not None

    def read_so_far(self):
        """What the plan read about the leaver (for the audit record), by name."""
        names = {'memberships': None, 'mailbox': 'mailbox', 'rules': 'inbox_rules', 'mfa': 'mfa_methods', 'ooo': 'out_of_office',
                 'mailbox_access': 'rights_on_other_mailboxes', 'mobile': 'mobile_devices'}
        record = {}
        for key, name in names.items():
            if key in self._cache:
                if key == 'memberships':
                    record['groups'], record['admin_roles'] = self._cache[key]
                else:
                    record[name] = self._cache[key]
        return record

    def _once(self, key, reader):
        if key not in self._cache:
            self._cache[key] = reader()
        return self._cache[key]

    def mailbox(self):
        return self._once('mailbox', lambda: exchange.mailbox_details(self.client, self.tenant, self.user))

    def memberships(self):
        return self._once('memberships', lambda: users_api.user_memberships(self.client, self.tenant, self.user['id']))

    def groups(self):
        return self.memberships()[0]

    def rules(self):
        return self._once('rules', lambda: exchange.mailbox_rules(self.client, self.tenant, self.user))

    def mfa_methods(self):
        """Registered methods from Graph: CIPP's MFARegistration is null without Entra ID P1 (CONTRACT 0.1 C7)."""
        return self._once('mfa', lambda: mfa_api.authentication_methods(self.client, self.tenant, self.user['id']))

    def ooo(self):
        return self._once('ooo', lambda: exchange.out_of_office(self.client, self.tenant, self.upn))

    def admin_roles(self):
        """Directory roles, from the same memberOf read as the groups."""
        return self.memberships()[1]

    def licence_task_name(self):
        return 'Remove License: %s' % self.user['userPrincipalName']

    def licence_tasks(self):
        """CIPP's own scheduled licence-removal tasks of the leaver (its RemoveLicenses step schedules one)."""
        return self._once('licence_tasks', lambda: jobs_api.scheduled_items(self.client, self.tenant, Name=self.licence_task_name()))

    def mailbox_access(self):
        """The mailboxes the leaver holds rights on, from CIPP's permission report; None when CIPP has no report yet."""
        return self._once('mailbox_access', lambda: _or_none(lambda: access_of(self.client, self.tenant, self.user)))

    def mobile_devices(self):
        """The leaver's mobile devices; None when Exchange cannot list them (for example: no mailbox)."""
        return self._once('mobile', lambda: _or_none(lambda: devices_of(self.client, self.tenant, self.user)))

    def direct_reports(self):
        return self._once('direct_reports', lambda: users_api.direct_reports(self.client, self.tenant, self.user['id']))

    def domains(self):
        return self._tenant_once('domains', lambda: set(row['name'] for row in directory_api.list_domains(self.client, self.tenant)))

    def skus(self):
        return self._tenant_once('skus', lambda: directory_api.subscribed_skus(self.client, self.tenant))

    def forward_target(self):
        """The Entra user of forward_to, for comparing with Exchange's raw identity (CONTRACT 0.1 C15)."""
        return self._cache.get('forward_user')


def _or_none(reader):
    try:
        return reader()
    except CippError:
        return None


def read_back(step, snap):
    """(holds, before, after) of the one-shot steps whose effect can be read where CIPP lets us: the leaver's rights on
    other mailboxes (CIPP's permission report) and its mobile devices; None when it cannot be read here."""
    if step.option == 'remove_mailbox_permissions':
        grants = snap.mailbox_access()
        if grants is None:
            return None
        held = ['%s: %s' % (grant['mailbox'], ', '.join(grant['rights'])) for grant in grants]
        return not held, {'rights_on_other_mailboxes': held}, {'rights_on_other_mailboxes': []}
    if step.option == 'remove_mobile_devices':
        devices = snap.mobile_devices()
        if devices is None:
            return None
        names = sorted(device_label(device) for device in devices)
        return not names, {'mobile_devices': names}, {'mobile_devices': []}
    return None


def removable_groups(groups):
    """Groups CIPP's RemoveGroups takes the user out of: not dynamic, not synced from AD, and not assigning licences
    (``Modules/CIPPCore/Public/Remove-CIPPGroups.ps1`` skips those; CONTRACT 0.1 C8)."""
    return [group for group in groups if not group['dynamic'] and not group['synced'] and not group['assigns_licenses']]


def licence_groups(groups):
    """Licence-assigning groups: CIPP's licence removal (``Remove-CIPPLicense.ps1``) takes the user out of these."""
    return [group for group in groups if group['assigns_licenses'] and not group['dynamic'] and not group['synced']]


def _forwarding(mailbox):
    return exchange.forwarding_target(mailbox)


def post_condition(step, snap, params):
    """(holds, before, after) for a verifiable step; ``before`` is what is there now."""
    user = snap.user
    option = step.option
    if option == 'disable_sign_in':
        return not user.get('accountEnabled'), {'account_enabled': bool(user.get('accountEnabled'))}, {'account_enabled': False}
    if option == 'remove_licenses':
        skus = sorted(str(lic.get('skuId')) for lic in user.get('assignedLicenses') or [])
        return not skus, {'licenses': skus}, {'licenses': []}
    if option == 'clear_immutable_id':
        value = user.get('onPremisesImmutableId')
        return not value, {'immutable_id': value}, {'immutable_id': None}
    if option == 'remove_groups':
        names = sorted(group['name'] for group in removable_groups(snap.groups()))
        return not names, {'groups': names}, {'groups': []}
    if option == 'remove_inbox_rules':
        names = sorted(str(rule.get('Name')) for rule in snap.rules())
        return not names, {'inbox_rules': names}, {'inbox_rules': []}
    if option == 'remove_mfa_methods':
        methods = sorted(str(method['type']) for method in snap.mfa_methods())
        return not methods, {'mfa_methods': methods}, {'mfa_methods': []}
    if option == 'delete_user':
        return False, {'user': 'present'}, {'user': 'absent'}
    mailbox = snap.mailbox()
    if option == 'hide_from_gal':
        hidden = bool(mailbox.get('HiddenFromAddressLists'))
        return hidden, {'hidden_from_gal': hidden}, {'hidden_from_gal': True}
    if option == 'convert_to_shared':
        kind = mailbox.get('RecipientTypeDetails')
        return str(kind).lower() == 'sharedmailbox', {'mailbox_type': kind}, {'mailbox_type': 'SharedMailbox'}
    if option == 'disable_forwarding':
        target = _forwarding(mailbox)
        return not target, {'forwarding': target}, {'forwarding': None}
    if option == 'forward_to':
        target, keep = _forwarding(mailbox), bool(mailbox.get('ForwardAndDeliver'))
        wanted = params['forward_to']
        holds = exchange.same_recipient(target, wanted, snap.forward_target()) and keep == bool(params.get('keep_copy'))
        return holds, {'forwarding': target, 'keep_copy': keep}, {'forwarding': wanted, 'keep_copy': bool(params.get('keep_copy'))}
    if option == 'out_of_office':
        ooo = snap.ooo()
        state = str(ooo.get('AutoReplyState') or 'Disabled')
        # Exchange keeps the message as HTML (CONTRACT 0.1 C14): compare the text.
        holds = state.lower() == 'enabled' and exchange.plain_message(ooo.get('InternalMessage')) == exchange.plain_message(params['out_of_office'])
        return holds, {'out_of_office': state}, {'out_of_office': 'Enabled'}
    raise KeyError(option)


# ------------------------------------------------------------------------------ the scheduler record

def jobs_of(rows, upn):
    """The offboarding jobs of ``upn`` among scheduler rows."""
    jobs = []
    for row in rows:
        username = str(row['Parameters'].get('Username') or '').lower()
        if username == upn.lower() or str(row.get('Name') or '').lower() == ('offboarding: %s' % upn).lower():
            jobs.append(row)
    return jobs


def offboarding_jobs(client, tenant, upn):
    return jobs_of(jobs_api.scheduled_items(client, tenant, Type=JOB_COMMAND), upn)


class Scheduler:
    """CIPP's scheduler as one leaver's run reads it: the tenant's offboarding jobs of the user, and one job by id.
    The roster (_offboarding_roster.SharedScheduler) shares one read among many leavers instead."""

    def __init__(self, client, tenant):
        self.client, self.tenant = client, tenant

    def jobs(self, upn, fresh=False):
        return offboarding_jobs(self.client, self.tenant, upn)

    def job(self, row_key):
        rows = jobs_api.scheduled_items(self.client, self.tenant, Id=row_key)
        return next((row for row in rows if row.get('RowKey') == row_key), None)


def job_state(job):
    return str(job.get('TaskState') or '').lower()


job_results = jobs_api.job_result_texts


# How the steps that cannot be verified by a re-read say they failed: their helpers return a text instead of
# throwing, so no "Failed to execute {Cmdlet}" line appears (Modules/CIPPCore/Public/<cmdlet>.ps1, CIPP-API 10.8.2).
STEP_FAILURE_TEXT = {
    'revoke_sessions': re.compile(r'^Failed to revoke sessions', re.I),
    'reset_password': re.compile(r'^Failed to reset password', re.I),
    'remove_mobile_devices': re.compile(r'^Failed to remove (all )?mobile devices', re.I),
    'cancel_calendar_invites': re.compile(r'^Failed to cancel calendar invites', re.I),
    'onedrive_access': re.compile(r'^(Failed to change access for|Failed to process SharePoint permissions|'
                                  r'Could not determine the OneDrive site URL)', re.I),
    'disable_onedrive_sharing': re.compile(r'^Failed to set OneDrive sharing', re.I),
    'mailbox_access': re.compile(r'^Failed to \w+ FullAccess', re.I),
    'remove_mailbox_permissions': re.compile(r'^(Failed to remove permissions from|Could not remove mailbox permissions)', re.I),
    'remove_calendar_permissions': re.compile(r'^(Failed to remove .* from calendar|Failed to (query|remove) calendar permission|'
                                              r'Could not remove calendar permissions|Failed to sync cache)', re.I),
    'remove_teams_phone': re.compile(r'^Failed to (remove|process) Teams Phone DID', re.I),
}
# A job whose results are larger than CIPP's table cell keeps only this line: nothing can be told from it.
RESULTS_ELSEWHERE = 'details are available in the more info pane'


def failed_steps(texts):
    """{option: message} of the steps a job's result texts report failed: CIPP's 'Failed to execute {Cmdlet} :
    {message}' lines for any step, and each one-shot step's own failure wording."""
    failures = {}
    for text in texts:
        if text.startswith('Failed to execute '):
            cmdlet, _sep, message = text[len('Failed to execute '):].partition(' : ')
            for step in STEPS:
                if step.cmdlet == cmdlet.strip():
                    failures.setdefault(step.option, message.strip())
        for option, pattern in STEP_FAILURE_TEXT.items():
            if pattern.search(text.strip()):
                failures.setdefault(option, text.strip())
    return failures


def results_unavailable(texts):
    return any(RESULTS_ELSEWHERE in text.lower() for text in texts)


def job_options(job):
    parameters = job.get('Parameters') or {}
    return parameters.get('options') or {} if isinstance(parameters, dict) else {}


def _option_requested(options, step):
    for key, value in options.items():
        if key.lower() == step.cipp_key.lower() or (step.option == 'mailbox_access' and key.lower() == 'accessnoautomap'):
            if value not in (None, False, '', [], 'false'):
                return True
    return False


def done_by_earlier_jobs(jobs, step):
    """True when a completed job requested ``step`` and did not report it failed."""
    for job in jobs:
        if job_state(job) == 'completed' and not jobs_api.job_failed(job) and _option_requested(job_options(job), step):
            texts = job_results(job)
            if step.option not in failed_steps(texts) and (step.verifiable or not results_unavailable(texts)):
                return True
    return False


# ------------------------------------------------------------------------------ the run

class OffboardRun:
    def __init__(self, client, params, check_mode, sleep=time.sleep, clock=time.time, scheduler=None, snapshot=None):
        self.client, self.params, self.check_mode = client, params, check_mode
        self.tenant = params['tenant']
        self.sleep, self.clock = sleep, clock
        self.scheduler = scheduler or Scheduler(client, self.tenant)
        # A roster hands in the leaver's snapshot, its reads already made together with the other leavers'.
        self.snapshot = snapshot
        self.direct_steps = []
        self.evidence_record = None

    def run(self):
        validate(self.params)
        snap = self.snapshot or Snapshot(self.client, self.tenant, self.params['user'])
        if snap.user is None:
            return self.missing_user()
        self.upn = snap.user['userPrincipalName']
        manager = None
        if self.params.get('state') != 'absent' and uses_manager(self.params):
            manager = self.manager_of(snap)
            self.params = with_manager(self.params, manager)
        if self.params.get('forward_to') and self.params.get('state') != 'absent':
            self.check_forward_target(snap)
        jobs = self.scheduler.jobs(self.upn)
        if self.params.get('state') == 'absent':
            return self.cancel(jobs)

        active = [job for job in jobs if job_state(job) in ACTIVE_STATES]
        plan, before, after = self.plan(snap, jobs)
        roles = self.plan_admin_roles(snap, plan, before, after)
        needed = [entry for entry in plan if entry['needed'] and entry['step'] not in DIRECT_STEPS]
        result = {'changed': False, 'user': {'id': snap.user['id'], 'userPrincipalName': self.upn}, 'plan': plan}
        if manager:
            result['manager'] = manager

        scheduled_epoch = self.params.get('_scheduled_epoch')
        # Never queue a second job beside a pending one: wait on it (or report it).
        pending = (self.matching_scheduled(active, scheduled_epoch) if scheduled_epoch else active[0]) if active else None
        if roles or (needed and pending is None):
            # Before any write: the record of what the leaver had and who reported to them.
            result['direct_reports'] = self.direct_reports(snap)
            if self.params.get('evidence_path'):
                result['evidence'] = self.capture_evidence(snap, result['direct_reports'])
            result['changed'] = True
            result['diff'] = make_diff(before, after)
        if self.params.get('remove_admin_roles'):
            # At once, whatever the job does: an admin role is the leaver's most dangerous right.
            result['admin_roles'] = self.take_admin_roles(snap, roles)
            self.direct_steps = [{'step': 'remove_admin_roles', 'state': 'skipped (already done)' if not roles else
                                  'planned' if self.check_mode else 'done'}]
            result['steps'] = list(self.direct_steps)
        if pending is not None:
            result['job'] = self.job_view(pending)
            result['msg'] = 'An offboarding job for %s is already %s; no new job was queued.' % (self.upn, pending.get('TaskState'))
            if self.params.get('wait', True) and not scheduled_epoch and not self.check_mode:
                return self.wait_and_verify(result, pending, snap, needed_before=needed)
            return result
        if not needed:
            result['msg'] = ('Every requested offboarding step is already done for %s.' % self.upn if not roles else
                             '%s admin role(s) of %s: %s; every other requested step is already done.'
                             % ('Would remove the' if self.check_mode else 'Removed the', self.upn, ', '.join(role_names(roles))))
            return result

        body = self.request_body([entry['step'] for entry in needed], scheduled_epoch)
        result['request'] = self.client.redacted(body)
        known = set(job.get('RowKey') for job in jobs)
        # ExecOffboardUser queues a new job on every call: after a lost answer the scheduler is read, and the
        # request is sent again only when no new job for the user is there.
        response = write_verified(self.client, lambda: jobs_api.offboard_user(self.client, body), applied=lambda: self.has_new_job(known))
        if self.check_mode:
            result['msg'] = 'Would queue an offboarding job for %s with: %s' % (self.upn, ', '.join(entry['step'] for entry in needed))
            return result
        result['cipp_results'] = response.get('Results') if isinstance(response, dict) else response
        job = self.find_new_job(known)
        result['job'] = self.job_view(job) if job else None
        if scheduled_epoch or not self.params.get('wait', True) or job is None:
            if job is None and not scheduled_epoch:
                result['warnings'] = ['CIPP queued the job, but it was not found in the scheduler to wait on.']
            return result
        return self.wait_and_verify(result, job, snap, needed_before=needed)

    def verify_read_back(self, step, snap, after):
        """The leaver's rights are checked live on each mailbox the report listed (the report is CIPP's cache, which CIPP
        updates itself); the devices are listed again. Still there: unverified, as CIPP may still be at it."""
        if step.option == 'remove_mailbox_permissions':
            still = remove_access(self.client, self.tenant, snap.user, snap.mailbox_access(), check_mode=True)['removed']
            left = ['%s: %s' % (grant['mailbox'], ', '.join(grant['rights'])) for grant in still]
        else:
            devices = after.mobile_devices() if after.user is not None else []
            left = sorted(device_label(device) for device in devices or [])
        if not left:
            return {'state': 'done'}
        message = 'still there after the job: %s (CIPP may still be working on it; run the task again to check)' % '; '.join(left)
        return {'state': 'unverified', 'message': message}

    def manager_of(self, snap):
        """The leaver's manager (ListUsers expands it), for options that name ``manager``; refused when there is none."""
        manager = snap.user.get('manager') or {}
        if not manager.get('userPrincipalName'):
            options = [option for option in ('forward_to', 'onedrive_access', 'mailbox_access') if MANAGER in str(self.params.get(option))]
            raise CippConfigError('%s: %s has no manager in Entra ID, so "manager" names nobody. Name the recipient instead, or set '
                                  'the manager first (msp.cipp.cipp_user manager).' % (', '.join(options), self.upn))
        return manager['userPrincipalName']

    def plan_admin_roles(self, snap, plan, before, after):
        """The plan entry of remove_admin_roles; returns the roles to take away (empty when not asked or none held)."""
        if not self.params.get('remove_admin_roles'):
            return []
        roles = snap.admin_roles()
        plan.insert(0, {'step': 'remove_admin_roles', 'needed': bool(roles),
                        'reason': 'holds %s' % ', '.join(role_names(roles)) if roles else 'holds no directory role'})
        if roles:
            before['admin_roles'] = role_names(roles)
            after['admin_roles'] = []
        return roles

    def take_admin_roles(self, snap, roles):
        outcome = remove_admin_roles(self.client, self.tenant, snap.user, roles=roles)
        return {'before': outcome['before'], 'removed': outcome['removed']}

    def direct_reports(self, snap):
        try:
            return snap.direct_reports()
        except CippError as exc:
            # A record, not a condition of the offboarding: it says why it is missing instead of stopping the run.
            return {'error': exc.message}

    def check_forward_target(self, snap):
        """CIPP's offboarding forwards inside the tenant only (Set-CIPPForwarding with ForwardingAddress: CONTRACT 0.1 C6)."""
        target = self.params['forward_to']
        if outside([target], snap.domains()):
            raise CippConfigError('forward_to: %s is outside tenant %s, and CIPP\'s offboarding job can only forward to a recipient '
                                  'in the tenant. Forward to an outside address with msp.cipp.cipp_mailbox (forwarding: {to: %s}) '
                                  'and leave forward_to out here.' % (target, self.tenant, target))
        snap._cache['forward_user'] = users_api.find_user(self.client, self.tenant, target) if '@' in target else None

    # -- planning

    def plan(self, snap, jobs):
        plan, before, after = [], {}, {}
        for step in requested_steps(self.params):
            # Verifiable steps always have a post-condition; two one-shot steps have one where CIPP lets us read it.
            condition = post_condition(step, snap, self.params) if step.verifiable else read_back(step, snap)
            if condition is not None:
                holds, now, target = condition
                entry = {'step': step.option, 'needed': not holds, 'reason': 'post-condition holds' if holds else 'post-condition not met'}
                if not holds and step.option == 'remove_licenses' and self.licence_removal_pending(snap):
                    # CIPP's RemoveLicenses only schedules a separate task: one is already waiting to run.
                    entry.update(needed=False, reason='CIPP has a licence-removal task scheduled')
                elif not holds:
                    before.update(now)
                    after.update(target)
                if step.option == 'remove_groups':
                    kept = sorted(group['name'] for group in licence_groups(snap.groups()))
                    if kept:
                        entry['cipp_leaves'] = kept
                        entry['note'] = ('CIPP\'s group removal skips groups that assign licences; %s' % (
                            'its licence removal (remove_licenses) takes the user out of them' if self.params.get('remove_licenses')
                            else 'set remove_licenses to have CIPP take the user out of them'))
            else:
                done = done_by_earlier_jobs(jobs, step)
                entry = {'step': step.option, 'needed': not done,
                         'reason': 'ran in an earlier completed offboarding job' if done else 'one-shot step not yet run'}
            plan.append(entry)
        return plan, before, after

    @staticmethod
    def licence_removal_pending(snap):
        return any(job_state(row) in ACTIVE_STATES for row in snap.licence_tasks())

    def request_body(self, options, scheduled_epoch):
        params = self.params
        body = {'tenantFilter': self.tenant, 'user': [{'value': self.upn, 'label': self.upn}]}
        for option in options:
            step = STEP_BY_OPTION[option]
            if option == 'out_of_office':
                body['OOO'] = params['out_of_office']
            elif option == 'forward_to':
                # CIPP reads forward.value; a bare string passes validation and does nothing (CONTRACT quirk 7).
                body['forward'] = {'value': params['forward_to'], 'label': params['forward_to']}
                body['KeepCopy'] = bool(params.get('keep_copy'))
            elif option == 'onedrive_access':
                body['OnedriveAccess'] = [{'value': user, 'label': user} for user in params['onedrive_access']]
            elif option == 'mailbox_access':
                automap = [entry['user'] for entry in params['mailbox_access'] if entry.get('automap', True)]
                no_automap = [entry['user'] for entry in params['mailbox_access'] if not entry.get('automap', True)]
                if automap:
                    body['AccessAutomap'] = [{'value': user, 'label': user} for user in automap]
                if no_automap:
                    body['AccessNoAutomap'] = [{'value': user, 'label': user} for user in no_automap]
            else:
                body[step.cipp_key] = True
        if scheduled_epoch:
            body['Scheduled'] = {'enabled': True, 'date': scheduled_epoch}
        notify = params.get('notify') or []
        if notify:
            body['postExecution'] = {'webhook': 'webhook' in notify, 'email': 'email' in notify, 'psa': 'psa' in notify}
        if params.get('reference'):
            body['reference'] = params['reference']
        return body

    def matching_scheduled(self, jobs, scheduled_epoch):
        for job in jobs:
            when = to_epoch(job.get('ScheduledTime'), 'ScheduledTime') if job.get('ScheduledTime') else None
            if when is not None and abs(when - scheduled_epoch) < 60:
                return job
        return None

    # -- finding and waiting

    def has_new_job(self, known):
        return any(job.get('RowKey') not in known for job in self.scheduler.jobs(self.upn, fresh=True))

    def find_new_job(self, known):
        for _attempt in range(3):
            for job in self.scheduler.jobs(self.upn, fresh=True):
                if job.get('RowKey') not in known:
                    return job
            self.sleep(1)
        return None

    @staticmethod
    def job_view(job):
        return {'id': job.get('RowKey'), 'name': job.get('Name'), 'state': job.get('TaskState'),
                'scheduled_time': job.get('ScheduledTime'), 'executed_time': job.get('ExecutedTime'),
                'reference': job.get('Reference')}

    def poll(self, job):
        deadline = self.clock() + (self.params.get('wait_timeout') or 900)
        interval = self.params.get('poll_interval') or 10
        while True:
            current = self.scheduler.job(job['RowKey'])
            if current is None:
                raise CippResultError('The offboarding job %s of %s disappeared from CIPP\'s scheduler.' % (job['RowKey'], self.upn),
                                      'ListScheduledItems', 200)
            if job_state(current) in FINAL_STATES:
                return current
            if self.clock() + interval > deadline:
                raise CippError('The offboarding job of %s is still %s after %s seconds; it keeps running in CIPP. Run the task '
                                'again to wait for it and verify.' % (self.upn, current.get('TaskState'), self.params.get('wait_timeout')),
                                endpoint='ListScheduledItems')
            self.sleep(interval)

    def wait_and_verify(self, result, job, snap, needed_before):
        finished = self.poll(job)
        result['job'] = self.job_view(finished)
        texts = job_results(finished)
        result['job_results'] = [self.client.redacted(text) for text in texts]
        if jobs_api.job_failed(finished):
            raise CippResultError('CIPP\'s offboarding job for %s failed: %s' % (self.upn, '; '.join(texts)), 'ExecOffboardUser', 200,
                                  '; '.join(texts), response={'job': result['job'], 'results': texts})
        failures = failed_steps(texts)
        unknown = results_unavailable(texts)
        after = Snapshot(self.client, self.tenant, self.upn)
        needed = set(entry['step'] for entry in needed_before)
        report, failed = [], []
        for step in requested_steps(self.params):
            entry = {'step': step.option}
            if step.option not in needed:
                entry['state'] = 'skipped (already done)'
            elif step.option in failures and not (step.option == 'disable_forwarding' and 'forward_to' in needed):
                entry['state'] = 'failed'
                entry['message'] = failures[step.option]
                failed.append(step.option)
            elif step.option == 'delete_user':
                entry['state'] = 'done' if after.user is None else 'unverified'
            elif step.option == 'remove_licenses':
                # CIPP only schedules a separate licence-removal task five minutes later (CONTRACT 7.4, step 21).
                holds = after.user is not None and not after.user.get('assignedLicenses')
                entry['state'] = 'done' if holds else 'scheduled by CIPP (separate task)'
            elif step.verifiable and after.user is not None:
                holds = post_condition(step, after, self.params)[0]
                entry['state'] = 'done' if holds else 'unverified'
            elif step.option in ('remove_mailbox_permissions', 'remove_mobile_devices') and snap.cached_read_back(step):
                entry.update(self.verify_read_back(step, snap, after))
            elif unknown:
                entry['state'] = 'unverified'
                entry['message'] = 'CIPP kept only a summary of the results (see the task in CIPP\'s scheduler)'
            else:
                entry['state'] = 'done'
            report.append(entry)
        result['steps'] = self.direct_steps + report
        result['changed'] = True
        if failed:
            details = '; '.join('%s: %s' % (entry['step'], entry['message']) for entry in report if entry['state'] == 'failed')
            raise CippResultError('Offboarding of %s: step(s) %s failed: %s. Run the task again to retry only what is left.'
                                  % (self.upn, ', '.join(failed), details),
                                  'ExecOffboardUser', 200, '; '.join(failures.values()), response={'steps': report})
        return result

    # -- other paths

    def missing_user(self):
        if self.params.get('delete_user') or self.params.get('state') == 'absent':
            return {'changed': False, 'user': None, 'msg': 'No user %s in tenant %s; nothing to do.' % (self.params['user'], self.tenant),
                    'plan': [{'step': step.option, 'needed': False, 'reason': 'user does not exist'} for step in requested_steps(self.params)]}
        raise CippConfigError('user: no user %s in tenant %s' % (self.params['user'], self.tenant))

    def cancel(self, jobs):
        pending = [job for job in jobs if job_state(job) == 'planned']
        result = {'changed': bool(pending), 'user': {'userPrincipalName': self.upn}, 'cancelled': [self.job_view(job) for job in pending]}
        for job in pending:
            write_verified(self.client, lambda key=job['RowKey']: jobs_api.remove_scheduled_item(self.client, key),
                           applied=lambda key=job['RowKey']: not any(
                               row.get('RowKey') == key for row in self.scheduler.jobs(self.upn, fresh=True)))
        return result

    def capture_evidence(self, snap, direct_reports):
        """Before any write: what a rehire (or an auditor) needs to know about the leaver."""
        user = snap.user
        record = {'tenant': self.tenant, 'user': {key: user.get(key) for key in (
            'id', 'userPrincipalName', 'displayName', 'jobTitle', 'department', 'accountEnabled', 'usageLocation', 'manager',
            'assignedLicenses', 'LicJoined', 'onPremisesSyncEnabled', 'onPremisesImmutableId')}}
        record['groups'] = [{'id': group['id'], 'name': group['name'], 'type': group['group_type'],
                             'assigns_licenses': group['assigns_licenses']} for group in snap.groups()]
        record['admin_roles'] = snap.admin_roles()
        record['direct_reports'] = direct_reports
        # Read only when their steps were asked for: what the leaver could reach, and the phones to collect.
        for key, name in (('mailbox_access', 'rights_on_other_mailboxes'), ('mobile', 'mobile_devices')):
            if key in snap._cache:
                record[name] = snap._cache[key]
        for key, reader in (('mailbox', snap.mailbox), ('mfa_methods', snap.mfa_methods)):
            try:
                record[key] = reader()
            except CippError as exc:
                record[key] = {'error': exc.message}
        try:
            record['devices'] = users_api.user_devices(self.client, self.tenant, user['id'])
        except CippError as exc:
            record['devices'] = {'error': exc.message}
        try:
            held = set(str(lic.get('skuId')).lower() for lic in user.get('assignedLicenses') or [])
            record['licenses'] = [{'skuId': row['sku_id'], 'skuPartNumber': row['part_number']}
                                  for row in snap.skus() if row['sku_id'] in held]
        except CippError as exc:
            record['licenses'] = {'error': exc.message}
        forwarding = _forwarding(record['mailbox']) if isinstance(record.get('mailbox'), dict) else None
        record['forwarding_external'] = bool(forwarding and outside(email_addresses(forwarding), snap.domains()))
        self.evidence_record = self.client.redacted(record)
        return write_evidence(self.params['evidence_path'], self.evidence_record)


def offboard(client, params, check_mode):
    """Resource function of cipp_offboard."""
    return OffboardRun(client, params, check_mode).run()
