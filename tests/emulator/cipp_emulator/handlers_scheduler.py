"""Scheduler and offboarding endpoints of the CIPP emulator (CONTRACT.md 7 and 9) and the task runner.

Tasks live in ``state.scheduled_tasks`` (RowKey -> dict). A task dict keeps the table entity's own values
(``ScheduledTime``/``ExecutedTime`` as epoch strings, ``Tenant`` as the stored string, ``Parameters`` as an object,
``Results`` as the raw string) plus internal ``_`` keys; ListScheduledItems turns it into the row shape of CONTRACT 9.
Other modules add tasks through :func:`add_scheduled_task` (CIPP's Add-CIPPScheduledTask).

Execution (CONTRACT 7.4): CIPP runs due tasks on a 15-minute timer and offboarding through a durable orchestrator.
The emulator advances due tasks one stage at a time:

* offboarding (Invoke-CIPPOffboardingJob): Planned -> Processing ("Orchestration in progress") -> Completed/Failed;
* any other command: Planned -> Running -> Completed/Failed (or back to Planned for recurring tasks).

A stage is taken by the ``scheduler/run`` control hook (``{"until": "done"}`` runs everything due to the end), and
lazily after each ListScheduledItems / ListScheduledItemDetails answer once ``scheduler/config``'s ``delay`` seconds
(default 0) have passed since the task's last stage: a client polling the list sees Planned, then Processing, then
Completed on successive polls.
"""

import copy
import json
import math
import re
import uuid
from datetime import datetime, timedelta, timezone

from . import handlers_exchange as exo
from . import handlers_security as sec
from .handlers_exchange import CippError, iso, text_or_none
from .registry import CONTROL_HOOKS, Response, endpoint, eq_true, label_value, ps_bool

OFFBOARDING = 'Invoke-CIPPOffboardingJob'
TERMINAL_STATES = ('Completed', 'Failed')
DUE_STATES = ('Planned', 'Failed - Planned')
# Commands CIPP refuses to schedule (Get-CIPPSchedulerBlockedCommands, abridged to the ones a client might try).
BLOCKED_COMMANDS = {c.lower() for c in (
    'Get-GraphToken', 'Get-GraphTokenFromCert', 'Get-ClassicAPIToken', 'Get-CIPPAuthentication', 'New-GraphPOSTRequest',
    'New-GraphGetRequest', 'New-GraphBulkRequest', 'New-ExoRequest', 'New-ExoBulkRequest', 'New-TeamsRequestV2',
    'Invoke-CIPPRestMethod', 'New-CippCoreRequest', 'Get-CippKeyVaultSecret', 'Set-CippKeyVaultSecret', 'Get-CIPPSAMCertificate',
    'Get-ExtensionAPIKey', 'Get-CIPPLAPSPassword', 'Get-CIPPBitlockerKey', 'Set-CIPPCPVConsent', 'Set-CIPPAccessRole',
    'Get-Tenants', 'Get-CIPPTable', 'Get-CIPPAzDataTableEntity', 'Add-CIPPAzDataTableEntity', 'Remove-CIPPAzDataTableEntity',
    'Add-CippQueueMessage', 'New-CippQueueEntry', 'Add-CIPPScheduledTask', 'Request-CIPPRestart', 'Get-CIPPBackup')}
# Real commands that exist but live outside CIPP's modules (Get-Command finds them; the module check refuses them).
FOREIGN_COMMANDS = {c.lower() for c in (
    'Get-Process', 'Stop-Process', 'Start-Process', 'Invoke-Expression', 'Invoke-WebRequest', 'Invoke-RestMethod', 'Remove-Item',
    'Get-ChildItem', 'Get-Content', 'Set-Content', 'Write-Host', 'Get-Date', 'Start-Sleep', 'Get-Item', 'New-Item')}
SCHEDULE_TICK_MINUTES = 15
LICENSE_REMOVAL_DELAY = 5 * 60


# ---------------------------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------------------------

def _ci_get(obj, name, default=None):
    """Case-insensitive lookup in a plain dict (task parameters are stored as plain dicts)."""
    if not isinstance(obj, dict):
        return default
    if name in obj:
        return obj[name]
    lowered = name.lower()
    for key, value in obj.items():
        if str(key).lower() == lowered:
            return value
    return default


def _plain(value):
    """Deep copy of request data into plain dicts/lists (CIDict -> dict) for storage."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _ps_string(value):
    """[string] of a request value as PowerShell would render it into a table column."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'True' if value else 'False'
    if isinstance(value, dict):
        return '@{%s}' % '; '.join('%s=%s' % (k, _ps_string(v)) for k, v in value.items())
    if isinstance(value, list):
        return ' '.join(_ps_string(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _epoch(value):
    """A stored ScheduledTime/ExecutedTime (epoch string, number or ISO text) -> float, or None."""
    if value in (None, ''):
        return None
    return exo.parse_time(value)


def _table_timestamp(ts):
    """Azure Table Timestamp and its ETag, as CIPP passes them through."""
    stamp = datetime.fromtimestamp(float(ts), timezone.utc)
    fraction = '%07d' % (stamp.microsecond * 10)
    body = stamp.strftime('%Y-%m-%dT%H:%M:%S.') + fraction
    return body + '+00:00', 'W/"datetime\'%sZ\'"' % body.replace(':', '%3A')


def relative_time(seconds):
    """Add-CIPPScheduledTask's wording for the time until the next run."""
    minutes = seconds / 60.0
    if minutes >= 1440:
        days = int(math.floor(seconds / 86400.0))
        hours = int(seconds % 86400 // 3600)
        text = '%d day%s' % (days, '' if days == 1 else 's')
        return text + (' and %d hour%s' % (hours, '' if hours == 1 else 's') if hours > 0 else '')
    if minutes >= 60:
        hours = int(math.floor(seconds / 3600.0))
        mins = int(seconds % 3600 // 60)
        text = '%d hour%s' % (hours, '' if hours == 1 else 's')
        return text + (' and %d minute%s' % (mins, '' if mins == 1 else 's') if mins > 0 else '')
    if minutes >= 2:
        # [Math]::Round rounds half to even, as Python's round does.
        return 'about %d minutes' % round(minutes)
    if minutes >= 1:
        return 'about 1 minute'
    return 'less than a minute'


def _seconds_until_run(now, scheduled):
    """Past or zero times run at the next quarter-hour tick; future times at their own time."""
    if not scheduled or scheduled <= now:
        current = datetime.fromtimestamp(now, timezone.utc)
        add = SCHEDULE_TICK_MINUTES - current.minute % SCHEDULE_TICK_MINUTES
        tick = current.replace(second=0, microsecond=0) + timedelta(minutes=add)
        return (tick - current).total_seconds()
    return scheduled - now


def _settings(state):
    """Lazy-advance settings (`scheduler/config`): enabled, and the minimum seconds between two stages."""
    settings = getattr(state, '_scheduler_settings', None)
    if settings is None:
        settings = {'lazy': True, 'delay': 0.0}
        setattr(state, '_scheduler_settings', settings)
    return settings


# ---------------------------------------------------------------------------------------------------------------
# Add-CIPPScheduledTask
# ---------------------------------------------------------------------------------------------------------------

def command_check(command):
    """None when CIPP would accept `command`, else the `Error - ...` text Add-CIPPScheduledTask returns."""
    name = str(command or '')
    lowered = name.lower()
    if lowered in BLOCKED_COMMANDS or lowered in FOREIGN_COMMANDS:
        return "Error - The command '%s' is not permitted to run as a scheduled task." % name
    if not _known_command(lowered):
        return "Error - The command '%s' does not exist and cannot be scheduled." % name
    return None


def _known_command(lowered):
    """A CIPP module function the emulator knows of: one it can run, or an alert/standard by naming pattern."""
    return lowered in TASK_COMMANDS or lowered.startswith('get-cippalert') or lowered.startswith('invoke-cippstandard')


def _post_execution(value):
    """{Webhook, Email, PSA} switches (`-eq $true`) or a list of {value} -> 'Webhook,Email'."""
    if isinstance(value, dict):
        names = [n for n in ('Webhook', 'Email', 'PSA') if eq_true(_ci_get(value, n))]
        if names:
            return ','.join(names)
        return _ps_string(_ci_get(value, 'value'))
    if isinstance(value, list):
        return ','.join(_ps_string(label_value(v)) for v in value)
    return ''


def _clean_parameters(parameters):
    """Parameters with null, empty-string and empty-collection values dropped (as Add-CIPPScheduledTask does)."""
    cleaned = {}
    for key, value in (parameters or {}).items() if isinstance(parameters, dict) else []:
        if value is None or value == '' or (isinstance(value, (list, dict)) and not value):
            continue
        cleaned[key] = _plain(value)
    return cleaned


def _tenant_text(tenant_filter):
    value = tenant_filter.get('value') if isinstance(tenant_filter, dict) and tenant_filter.get('value') else tenant_filter
    return _ps_string(value)


def add_scheduled_task(state, task, hidden=False, disallow_duplicate_name=False, run_now=False, desired_start=None):
    """Add-CIPPScheduledTask for a new task: validates, stores, and returns CIPP's result text.

    `task` is the request-shaped task (TenantFilter, Name, Command, Parameters, ScheduledTime, Recurrence,
    PostExecution, Reference, RowKey, Trigger, ...). Callers hold `state.lock`."""
    name = _ps_string(_ci_get(task, 'Name'))
    if disallow_duplicate_name and any(t.get('Name') == name and t.get('TaskState') not in TERMINAL_STATES
                                       for t in state.scheduled_tasks.values()):
        return 'Task with name %s already exists' % name
    command_raw = _ci_get(task, 'Command')
    command = label_value(command_raw) if isinstance(command_raw, dict) else command_raw
    problem = command_check(command)
    if problem:
        return problem
    now = state.now()
    scheduled = _epoch(desired_start) if desired_start else _epoch(_ci_get(task, 'ScheduledTime'))
    if not scheduled:
        scheduled = float(int(now))
    recurrence = _ci_get(task, 'Recurrence')
    recurrence = label_value(recurrence) if isinstance(recurrence, dict) and label_value(recurrence) else recurrence
    row_key = _ps_string(_ci_get(task, 'RowKey')) or str(uuid.uuid4())
    entity = {
        'PartitionKey': 'ScheduledTask', 'RowKey': row_key, 'TaskState': 'Planned',
        'Tenant': _tenant_text(_ci_get(task, 'TenantFilter')), 'excludedTenants': '', 'excludedTenantGroups': '',
        'Name': name, 'Command': _ps_string(command), 'Parameters': _clean_parameters(_ci_get(task, 'Parameters')),
        'ScheduledTime': str(int(scheduled)), 'Recurrence': _ps_string(recurrence),
        'PostExecution': _post_execution(_ci_get(task, 'PostExecution')), 'Reference': _ps_string(_ci_get(task, 'Reference')),
        'AdditionalProperties': '{}', 'Hidden': bool(hidden), 'Results': 'Planned', 'AlertComment': _ps_string(_ci_get(task, 'AlertComment')),
        'CustomSubject': _ps_string(_ci_get(task, 'CustomSubject')), 'PsaTicketStrategy': _ps_string(label_value(_ci_get(task, 'PsaTicketStrategy'))),
        '_updated': now, '_stagedAt': now,
    }
    if _ci_get(task, 'Trigger'):
        entity['Trigger'] = json.dumps(_plain(_ci_get(task, 'Trigger')), separators=(',', ':'))
    if desired_start:
        entity['DesiredStartTime'] = _ps_string(desired_start)
    state.scheduled_tasks[row_key] = entity
    if run_now:
        return 'Task %s scheduled to run now' % name
    return 'Successfully added task: %s. It will run in %s.' % (name, relative_time(_seconds_until_run(now, scheduled)))


# ---------------------------------------------------------------------------------------------------------------
# task runner
# ---------------------------------------------------------------------------------------------------------------

def adopt(state, task):
    """Bring a task another module stored in ListScheduledItems row shape (Tenant object, numeric times) to the
    entity shape this module keeps, so it lists and runs like any other task."""
    if isinstance(task.get('Tenant'), dict):
        task['Tenant'] = _ps_string(task['Tenant'].get('value'))
    for key in ('ScheduledTime', 'ExecutedTime'):
        if isinstance(task.get(key), (int, float)) and not isinstance(task.get(key), bool):
            task[key] = str(int(task[key]))
    if isinstance(task.get('Parameters'), str) and task['Parameters'].strip().startswith('{'):
        task['Parameters'] = json.loads(task['Parameters'])
    task.pop('Timestamp', None)
    task.pop('ETag', None)
    task.setdefault('_updated', state.now())
    task.setdefault('_stagedAt', 0)
    return task


def _adopt_all(state):
    for task in state.scheduled_tasks.values():
        if '_updated' not in task:
            adopt(state, task)


def _is_due(task, now):
    return task.get('TaskState') in DUE_STATES and (_epoch(task.get('ScheduledTime')) or 0) <= now


def _set_state(state, task, task_state, results=None, executed=False):
    task['TaskState'] = task_state
    if results is not None:
        task['Results'] = results
    if executed:
        task['ExecutedTime'] = str(int(state.now()))
    task['_updated'] = state.now()
    task['_stagedAt'] = state.now()


def advance_task(state, task):
    """Take one stage for one task. Returns True when the task changed."""
    now = state.now()
    stage = task.get('TaskState')
    if _is_due(task, now):
        if _trigger_waits(state, task):
            return True
        if task.get('Command', '').lower() == OFFBOARDING.lower():
            _start_offboarding(state, task)
        else:
            _set_state(state, task, 'Running', executed=True)
        return True
    if stage == 'Processing':
        _complete_offboarding(state, task)
        return True
    if stage == 'Running':
        _run_generic(state, task)
        return True
    return False


def _active(task, now):
    return _is_due(task, now) or task.get('TaskState') in ('Processing', 'Running')


def run_scheduler(state, body=None):
    """Control `scheduler/run`: one stage for every due/active task, or with {"until": "done"} until none is left."""
    until_done = isinstance(body, dict) and str(body.get('until', '')).lower() == 'done'
    changed = []
    with state.lock:
        _adopt_all(state)
        # Bounded: each pass moves every active task forward, and no task needs more than a few stages.
        for _unused in range(4 * len(state.scheduled_tasks) + 4 if until_done else 1):
            moved = [t['RowKey'] for t in list(state.scheduled_tasks.values()) if _active(t, state.now()) and advance_task(state, t)]
            changed.extend(moved)
            if not moved:
                break
        return {'advanced': changed, 'tasks': {k: t['TaskState'] for k, t in state.scheduled_tasks.items() if k in set(changed)}}


def lazy_tick(state):
    """Called after a list/details answer: one stage for tasks whose last stage is at least `delay` seconds old."""
    settings = _settings(state)
    if not settings['lazy']:
        return
    now = state.now()
    for task in list(state.scheduled_tasks.values()):
        if _active(task, now) and now - task.get('_stagedAt', 0) >= settings['delay']:
            advance_task(state, task)


def scheduler_config(state, body=None):
    """Control `scheduler/config`: {"lazy": bool, "delay": seconds}."""
    settings = _settings(state)
    body = body if isinstance(body, dict) else {}
    with state.lock:
        if 'lazy' in body:
            settings['lazy'] = bool(body['lazy'])
        if 'delay' in body:
            settings['delay'] = float(body['delay'])
    return dict(settings)


CONTROL_HOOKS['scheduler/run'] = run_scheduler
CONTROL_HOOKS['scheduler/config'] = scheduler_config


def _trigger_waits(state, task):
    """Delta-query triggered tasks (Clear Immutable ID after deletion): if the watched user is not deleted yet,
    the run is skipped and the task re-planned one recurrence later."""
    if not task.get('Trigger'):
        return False
    trigger = json.loads(task['Trigger'])
    tenant = state.resolve_tenant(task.get('Tenant'))
    watched = [label_value(r) for r in trigger.get('ResourceFilter') or []]
    fired = tenant is not None and any(w in tenant.deleted for w in watched)
    if fired:
        return False
    step = _recurrence_seconds(task.get('Recurrence')) or 900
    task['ScheduledTime'] = str(int((_epoch(task['ScheduledTime']) or state.now()) + step))
    task['_stagedAt'] = state.now()
    return True


def _recurrence_seconds(recurrence):
    text = str(recurrence or '').strip().lower()
    if text in ('', '0', 'once'):
        return 0
    if text.isdigit():
        text += 'd'
    match = re.match(r'^(\d+)([mhd])$', text)
    if not match:
        return 0
    return int(match.group(1)) * {'m': 60, 'h': 3600, 'd': 86400}[match.group(2)]


def _run_generic(state, task):
    """Push-ExecScheduledCommand for a non-orchestrated command.

    A command that throws does not fail the task: CIPP stores `Task Failed: {message}` as the result and still marks a
    one-off task Completed (only the orchestrated offboarding job uses the Failed state for that)."""
    handler = TASK_COMMANDS.get(task.get('Command', '').lower())
    if handler is None:
        _set_state(state, task, 'Failed', 'Task Failed: The emulator does not implement the command %s.' % task.get('Command'))
        return
    try:
        output = handler(state, task.get('Tenant'), task.get('Parameters') or {})
    except CippError as exc:
        output = 'Task Failed: %s' % exc
    _finish_generic(state, task, output)


def _finish_generic(state, task, output):
    """Store results as CIPP does: a string -> {"Results": s}; a list of strings -> [{"Results": s}, ...]."""
    if not output:
        output = 'Task completed successfully'
    if isinstance(output, list):
        stored = exo.dumps([{'Results': item.get('resultText') if isinstance(item, dict) else item} for item in output
                            if isinstance(item, str) or isinstance(item, dict) and isinstance(item.get('resultText'), str)])
    else:
        stored = exo.dumps({'Results': output.get('resultText') if isinstance(output, dict) else output})
    step = _recurrence_seconds(task.get('Recurrence'))
    if step:
        scheduled = _epoch(task.get('ScheduledTime')) or state.now()
        scheduled = max(scheduled, state.now() - step) + step
        task['ScheduledTime'] = str(int(scheduled))
        _set_state(state, task, 'Planned', stored)
    else:
        _set_state(state, task, 'Completed', stored)


# ---------------------------------------------------------------------------------------------------------------
# generic commands the runner can execute (task Parameters -> CIPP helper)
# ---------------------------------------------------------------------------------------------------------------

def _cmd_remove_license(state, tenant_filter, params):
    """Remove-CIPPLicense without -Schedule: leave the licence-assigning groups, then remove the DIRECT licences.
    Group-inherited licences are still on the user when it re-reads them (Graph processes the membership change
    later), so they are reported as going away automatically. Returns a text or lines, never throws."""
    userid = _ci_get(params, 'userid')
    username = _ci_get(params, 'username')
    tenant = state.resolve_tenant(tenant_filter)
    user = sec.find_user(tenant, str(userid).split('#', 1)[0]) if tenant and userid else None
    if user is None:
        reason = sec.graph_not_found(userid) if tenant else exo.tenant_error_text(tenant_filter).replace('Exchange', 'Graph')
        return 'Could not remove license for %s. Error: %s' % (text_or_none(username), reason)
    username = username or user.get('userPrincipalName')
    lines = _leave_license_groups(tenant, user)
    states = user.get('licenseAssignmentStates') or [{'skuId': lic['skuId'], 'assignedByGroup': None, 'state': 'Active'}
                                                     for lic in user.get('assignedLicenses') or []]
    direct = list(dict.fromkeys(st['skuId'] for st in states if st.get('assignedByGroup') is None and st.get('state') == 'Active'))
    inherited = list(dict.fromkeys(st['skuId'] for st in states if st.get('assignedByGroup') is not None and st.get('state') == 'Active'))

    def names(skus):
        return ', '.join(sorted({(tenant.skus.get(s) or {}).get('displayName') or s for s in skus}))

    if direct:
        sec_set = __import__('%s.seed' % __package__, fromlist=['set_licenses']).set_licenses
        sec_set(user, [s for s in (user.get('_directLicenses') or []) if s not in direct], iso(state.now()))
        text = 'Removed directly assigned licenses for %s: %s' % (username, names(direct))
        if inherited:
            text = ('%s. Group-inherited licenses (%s) will be removed automatically when group membership changes are '
                    'processed.' % (text, names(inherited)))
    elif inherited:
        text = ('No directly assigned licenses to remove for %s. Group-inherited licenses (%s) will be removed automatically '
                'when group membership changes are processed.' % (username, names(inherited)))
    else:
        text = 'No licenses to remove for %s' % username
    # ... and now Graph processes the group membership changes.
    __import__('%s.seed' % __package__, fromlist=['sync_group_licences']).sync_group_licences(tenant, user, iso(state.now()))
    return lines + [text] if lines else text


def _leave_license_groups(tenant, user):
    """The group part of Remove-CIPPLicense: Graph removals (204 or the dynamic/synced failure text), then the
    mail-enabled ones through Exchange."""
    graph_lines, exo_lines = [], []
    for group in tenant.groups.values():
        if not (group.get('_assignedLicenses') and user['id'] in (group.get('_members') or [])):
            continue
        name, shown = group.get('displayName'), user.get('displayName')
        if group.get('mailEnabled') and 'Unified' not in (group.get('groupTypes') or []):
            group['_members'].remove(user['id'])
            exo_lines.append('Removed %s from mail-enabled license group %s' % (shown, name))
        elif group.get('membershipRule') or group.get('onPremisesSyncEnabled'):
            graph_lines.append('Failed to remove %s from license group %s. This is likely because its a Dynamic Group or synced '
                               'with active directory.' % (shown, name))
        else:
            group['_members'].remove(user['id'])
            graph_lines.append('Removed %s from license group %s' % (shown, name))
    return graph_lines + exo_lines


def _cmd_clear_immutable_id(state, tenant_filter, params):
    return sec.clear_immutable_id(state, tenant_filter, _ci_get(params, 'UserID'), _ci_get(params, 'Username'))


def _cmd_sign_in_state(state, tenant_filter, params):
    return sec.set_sign_in_state(state, tenant_filter, _ci_get(params, 'UserID'), ps_bool(_ci_get(params, 'AccountEnabled')))


def _cmd_revoke(state, tenant_filter, params):
    return sec.revoke_sessions(state, tenant_filter, _ci_get(params, 'UserID'), _ci_get(params, 'Username'))


def _cmd_reset_password(state, tenant_filter, params):
    force = _ci_get(params, 'forceChangePasswordNextSignIn')
    return sec.reset_password(state, tenant_filter, _ci_get(params, 'UserID'), _ci_get(params, 'DisplayName'),
                              True if force is None else ps_bool(force))


def _cmd_out_of_office(state, tenant_filter, params):
    return exo.set_out_of_office(state, tenant_filter, _ci_get(params, 'UserID'), _ci_get(params, 'State'),
                                 _ci_get(params, 'InternalMessage'), _ci_get(params, 'ExternalMessage'),
                                 _ci_get(params, 'StartTime'), _ci_get(params, 'EndTime'))


def _cmd_forwarding(state, tenant_filter, params):
    return exo.set_forwarding(state, tenant_filter, _ci_get(params, 'UserID'), _ci_get(params, 'Username'),
                              forward=_ci_get(params, 'Forward'), smtp_address=_ci_get(params, 'ForwardingSMTPAddress'),
                              keep_copy=ps_bool(_ci_get(params, 'KeepCopy')), disable=ps_bool(_ci_get(params, 'Disable')))


def _cmd_hide(state, tenant_filter, params):
    return exo.set_hide_from_gal(state, tenant_filter, _ci_get(params, 'UserID'), ps_bool(_ci_get(params, 'HideFromGAL')))


def _cmd_mailbox_type(state, tenant_filter, params):
    return exo.set_mailbox_type(state, tenant_filter, _ci_get(params, 'UserID'), _ci_get(params, 'MailboxType'),
                                _ci_get(params, 'Username'))


def _cmd_remove_mfa(state, tenant_filter, params):
    return sec.remove_user_mfa(state, tenant_filter, _ci_get(params, 'UserPrincipalName'), _ci_get(params, 'MethodId'))


def _directory_command(command):
    """Scheduled AddUser (New-CIPPUserTask) / EditUser (Set-CIPPUser): the directory module replays the stored
    UserObj through `handlers_directory.run_scheduled_command(state, command, tenant_filter, params)`."""
    def run(state, tenant_filter, params):
        try:
            from . import handlers_directory  # pylint: disable=import-outside-toplevel
        except ImportError:
            handlers_directory = None
        runner = getattr(handlers_directory, 'run_scheduled_command', None)
        if runner is None:
            raise CippError('The emulator cannot run %s tasks: handlers_directory.run_scheduled_command is missing.' % command)
        try:
            return runner(state, command, tenant_filter, params)
        except CippError:
            if command != 'New-CIPPUserTask':
                raise
            # New-CIPPUserTask throws a hashtable; the scheduler records its type name, not its content.
            raise CippError('System.Collections.Hashtable') from None
    return run


TASK_COMMANDS = {
    OFFBOARDING.lower(): None,  # orchestrated, see _start_offboarding
    'remove-cipplicense': _cmd_remove_license,
    'clear-cippimmutableid': _cmd_clear_immutable_id,
    'set-cippsigninstate': _cmd_sign_in_state,
    'revoke-cippsessions': _cmd_revoke,
    'set-cippresetpassword': _cmd_reset_password,
    'set-cippoutofoffice': _cmd_out_of_office,
    'set-cippforwarding': _cmd_forwarding,
    'set-cipphidefromgal': _cmd_hide,
    'set-cippmailboxtype': _cmd_mailbox_type,
    'remove-cippusermfa': _cmd_remove_mfa,
    'new-cippusertask': _directory_command('New-CIPPUserTask'),
    'add-cippgroupmember': lambda state, tenant_filter, params: __import__(
        '%s.handlers_directory' % __package__, fromlist=['run_add_group_member']).run_add_group_member(state, tenant_filter, params),
    'set-cippuser': _directory_command('Set-CIPPUser'),
}


# ---------------------------------------------------------------------------------------------------------------
# the offboarding job (Invoke-CIPPOffboardingJob + the orchestrator + Push-CIPPOffboardingComplete)
# ---------------------------------------------------------------------------------------------------------------

def _exception_text(message):
    """A thrown Get-CippException object as its string form, which is what `Task Failed: ...` shows."""
    raw = json.dumps({'error': {'code': 'Request_ResourceNotFound', 'message': message}}, separators=(',', ':'))
    return ('@{Message=%s; NormalizedError=%s; RawError=%s; Position=At /home/site/wwwroot/Modules/CIPPCore/Public/'
            'Invoke-CIPPOffboardingJob.ps1:20 char:17; StackTrace=at Invoke-CIPPOffboardingJob; ScriptName=/home/site/wwwroot/'
            'Modules/CIPPCore/Public/Invoke-CIPPOffboardingJob.ps1; LineNumber=20; Category=NotSpecified: (:) [Invoke-RestMethod], '
            'HttpResponseException}' % (message, message, raw))


def _start_offboarding(state, task):
    """Invoke-CIPPOffboardingJob's dispatch: look the user up, build the step list, start the orchestration."""
    params = task.get('Parameters') or {}
    username = _ci_get(params, 'Username')
    options = _ci_get(params, 'options') or {}
    tenant = state.resolve_tenant(task.get('Tenant'))
    if tenant is None:
        message = "Graph request denied for '%s': the tenant is not in CIPP's tenant list." % task.get('Tenant')
        _set_state(state, task, 'Failed', 'Task Failed: %s' % _exception_text(message), executed=True)
        return
    # GET users/$Username?$select=... with the UPN pasted unencoded: a guest's `#EXT#` cuts the URL (C5).
    key = str(username or '').split('#', 1)[0]
    user = sec.find_user(tenant, key)
    if user is None:
        _set_state(state, task, 'Failed', 'Task Failed: %s' % _exception_text(sec.graph_not_found(key)), executed=True)
        return
    steps = [step for step in OFFBOARDING_STEPS if step[2](options)]
    if not steps:
        message = ('No offboarding tasks were selected for %s. The offboarding job was not executed - check that at least one '
                   'action was enabled.' % username)
        _set_state(state, task, 'Failed', 'Task Failed: %s' % _exception_text(message), executed=True)
        return
    # The job reads the user once, before any step runs (ClearImmutableId decides on this snapshot).
    task['_job'] = {'userId': user['id'], 'displayName': user.get('displayName'), 'snapshot': copy.deepcopy(public_user(user))}
    _set_state(state, task, 'Processing', 'Orchestration in progress', executed=True)


def public_user(user):
    return {k: v for k, v in user.items() if k in ('id', 'displayName', 'onPremisesSyncEnabled', 'onPremisesImmutableId')}


def _step_failure(state, tenant, username, option, cmdlet):
    """The test control `state.step_failures`: keyed by (customerId, upn lower, option or cmdlet name)."""
    customer = tenant.row.get('customerId')
    for key, message in state.step_failures.items():
        if (str(key[0]).lower() == str(customer).lower() and str(key[1]).lower() == str(username).lower()
                and str(key[2]).lower() in (option.lower(), cmdlet.lower())):
            return message
    return None


def _complete_offboarding(state, task):
    """The orchestrator runs every step in order, then Push-CIPPOffboardingComplete stores the results."""
    params = task.get('Parameters') or {}
    username = _ci_get(params, 'Username')
    options = _ci_get(params, 'options') or {}
    job = task.get('_job') or {}
    tenant = state.resolve_tenant(task.get('Tenant'))
    ctx = {'state': state, 'tf': task.get('Tenant'), 'upn': username, 'id': job.get('userId'), 'dn': job.get('displayName'),
           'user': job.get('snapshot') or {}, 'options': options}
    outputs = []
    for option, cmdlet, _unused, action in OFFBOARDING_STEPS:
        if not _option_enabled(option, options):
            continue
        failure = _step_failure(state, tenant, username, option, cmdlet) if tenant else None
        if failure is not None:
            outputs.append('Failed to execute %s : %s' % (cmdlet, failure))
            continue
        try:
            outputs.append(action(ctx))
        except CippError as exc:
            outputs.append('Failed to execute %s : %s' % (cmdlet, exc))
    _set_state(state, task, 'Completed', _offboarding_results(outputs, username), executed=True)


def _offboarding_results(outputs, username):
    """Flatten the step outputs; strings and resultText items become {"Results": text}; nothing -> a plain text."""
    flat = []
    for output in outputs:
        for item in output if isinstance(output, list) else [output]:
            if item is None or item == '':
                continue
            if isinstance(item, dict) and isinstance(item.get('resultText'), str):
                flat.append(item['resultText'])
            elif isinstance(item, str):
                flat.append(item)
    if not flat:
        return 'Offboarding completed successfully for %s' % username
    if len(flat) == 1:
        # `$StringResults | ForEach-Object { @{ Results = $Message } }` yields ONE hashtable for one result: stored as an
        # object, not a one-element array (CONTRACT 0.1 C19).
        return exo.dumps({'Results': flat[0]})
    return exo.dumps([{'Results': text} for text in flat])


def _opt(options, name):
    return _ci_get(options, name)


def _count(value):
    """PowerShell's .Count on an option value: a list's length, 1 for any other non-null scalar."""
    if value is None:
        return 0
    return len(value) if isinstance(value, list) else 1


def _switch(name):
    return lambda options: eq_true(_opt(options, name))


def _not_empty(name):
    return lambda options: _ps_string(_opt(options, name)) != ''


def _collection(name):
    return lambda options: _count(_opt(options, name)) > 0


def _option_enabled(option, options):
    for name, _unused, condition, _unused in OFFBOARDING_STEPS:
        if name == option:
            return condition(options)
    return False


def _schedule_license_removal(ctx):
    """Remove-CIPPLicense -Schedule: a separate task five minutes later, and the list of licences it will remove."""
    state = ctx['state']
    tenant = state.resolve_tenant(ctx['tf'])
    user = sec.find_user(tenant, ctx['id']) if tenant else None
    skus = [lic.get('skuId') for lic in (user or {}).get('assignedLicenses') or []]
    names = sorted({(tenant.skus.get(s) or {}).get('displayName') or s for s in skus}) if tenant else []
    suffix = (' Licenses currently assigned that will be removed: %s.' % ', '.join(names)) if names else \
        ' The user currently has no licenses assigned.'
    add_scheduled_task(state, {'TenantFilter': ctx['tf'], 'Name': 'Remove License: %s' % ctx['upn'],
                               'Command': {'value': 'Remove-CIPPLicense'},
                               'Parameters': {'userid': ctx['id'], 'username': ctx['upn'], 'APIName': 'Scheduled License Removal'},
                               'ScheduledTime': int(state.now()) + LICENSE_REMOVAL_DELAY,
                               'PostExecution': {'Webhook': False, 'Email': False, 'PSA': False}},
                       hidden=False, disallow_duplicate_name=True)
    return 'Scheduled license removal for %s.%s' % (ctx['upn'], suffix)


def _clear_immutable_step(ctx):
    """Clear-CIPPImmutableID with the job's user snapshot: synced users get a task that fires on deletion."""
    user = ctx['user']
    shown = ctx['upn'] if ctx['upn'] is not None else ctx['id']
    if user.get('onPremisesSyncEnabled') is True and user.get('onPremisesImmutableId'):
        add_scheduled_task(ctx['state'], {
            'TenantFilter': ctx['tf'], 'Name': 'Clear Immutable ID: %s' % shown, 'Command': {'value': 'Clear-CIPPImmutableID'},
            'Parameters': {'UserID': ctx['id'], 'TenantFilter': ctx['tf'], 'APIName': 'Clear Immutable ID'},
            'Trigger': {'Type': 'DeltaQuery', 'DeltaResource': 'users', 'ResourceFilter': [ctx['id']], 'EventType': 'deleted',
                        'UseConditions': False, 'ExecutePerResource': True, 'ExecutionMode': 'once'},
            'ScheduledTime': int(ctx['state'].now()) + 300, 'Recurrence': '15m',
            'PostExecution': {'Webhook': False, 'Email': False, 'PSA': False}}, hidden=False, disallow_duplicate_name=True)
        return 'Scheduled Immutable ID clear task for when the user account is no longer synced in the on-premises directory.'
    if user.get('onPremisesSyncEnabled') is not True and user.get('onPremisesImmutableId'):
        return sec.clear_immutable_id(ctx['state'], ctx['tf'], ctx['id'], ctx['upn'])
    return 'User %s does not have an ImmutableID set or it is already cleared.' % shown


def _remove_groups_step(ctx):
    """Remove-CIPPGroups: first the groups it will not touch (licensed: left for the licence step; dynamic; AD-synced),
    in membership order, then the Graph removals, then the Exchange ones (distribution lists, mail-enabled security),
    as its three phases report them (CONTRACT 0.1 C8)."""
    tenant = ctx['state'].resolve_tenant(ctx['tf'])
    upn, user_id = ctx['upn'], ctx['id']
    groups = [g for g in tenant.groups.values() if user_id in (g.get('_members') or [])]
    if not groups:
        return '%s is not a member of any groups.' % upn
    lines, graph_lines, exo_lines = [], [], []
    for group in groups:
        name = group.get('displayName')
        if group.get('_assignedLicenses') or group.get('assignedLicenses'):
            lines.append("Skipping removal of %s from group '%s' because it has assigned licenses. This group will be handled "
                         "during the license removal step." % (upn, name))
        elif str(group.get('membershipRule') or '').strip():
            lines.append("Error: Could not remove %s from group '%s' because it is a Dynamic Group." % (upn, name))
        elif group.get('onPremisesSyncEnabled'):
            lines.append("Error: Could not remove %s from group '%s' because it is synced with Active Directory." % (upn, name))
        elif 'Unified' in (group.get('groupTypes') or []) or not group.get('mailEnabled'):
            group['_members'].remove(user_id)
            graph_lines.append("Successfully removed %s from group '%s'" % (upn, name))
        else:
            group['_members'].remove(user_id)
            exo_lines.append('Successfully removed %s from group %s' % (upn, name))
    return lines + graph_lines + exo_lines


def _delete_user_step(ctx):
    """Remove-CIPPUser: soft delete into deleted items (Graph prefixes the UPN with the id without dashes)."""
    state = ctx['state']
    try:
        tenant = exo.tenant_for(state, ctx['tf'], 'Graph request')
        user = tenant.users.pop(ctx['id'], None)
        if user is None:
            raise CippError(sec.graph_not_found(ctx['id']))
        deleted = dict(user)
        deleted['userPrincipalName'] = str(user['id']).replace('-', '') + str(user.get('userPrincipalName'))
        deleted['deletedDateTime'] = iso(state.now())
        tenant.deleted[user['id']] = deleted
        for group in tenant.groups.values():
            if user['id'] in (group.get('_members') or []):
                group['_members'].remove(user['id'])
    except CippError as exc:
        raise CippError("Failed to delete user with ID: '%s'. Error: %s and Username: '%s'" % (ctx['id'], exc, ctx['upn'])) from None
    return "Successfully deleted user with ID: '%s' and Username: '%s'" % (ctx['id'], ctx['upn'])


def _onedrive_access_step(ctx):
    """Set-CIPPSharePointPerms: site-collection admin on the leaver's OneDrive, one line per user."""
    state = ctx['state']
    try:
        tenant, user = sec.require_user(state, ctx['tf'], ctx['upn'])
        if not user.get('assignedLicenses'):
            raise CippError('Could not determine the OneDrive site URL for %s. The user may not have a provisioned OneDrive.' % ctx['upn'])
    except CippError as exc:
        raise CippError('Failed to process SharePoint permissions. Error: %s' % exc) from None
    url = sec.onedrive_url(tenant, user)
    lines = []
    for entry in ctx['options_value'] if isinstance(ctx['options_value'], list) else [ctx['options_value']]:
        access_user = label_value(entry)
        if sec.find_user(tenant, access_user) is None:
            lines.append('Failed to change access for %s on %s - Could not resolve the user on the site.' % (access_user, url))
            continue
        user.setdefault('_oneDriveAdmins', []).append(access_user)
        lines.append('Successfully added %s as a site collection admin of %s' % (access_user, url))
    return lines


def _with_value(option, func):
    """Steps that take the option's own value (collections, forward, OOO)."""
    def run(ctx):
        ctx = dict(ctx, options_value=_opt(ctx['options'], option))
        return func(ctx)
    return run


# (option, cmdlet, condition(options), action(ctx)) in the fixed order of CONTRACT 7.4.
OFFBOARDING_STEPS = [
    ('RevokeSessions', 'Revoke-CIPPSessions', _switch('RevokeSessions'),
     lambda c: sec.revoke_sessions(c['state'], c['tf'], c['id'], c['upn'])),
    ('ResetPass', 'Set-CIPPResetPassword', _switch('ResetPass'),
     lambda c: sec.reset_password(c['state'], c['tf'], c['upn'], c['dn'], True)),
    ('DisableSignIn', 'Set-CIPPSignInState', _switch('DisableSignIn'),
     lambda c: sec.set_sign_in_state(c['state'], c['tf'], c['upn'], False)),
    ('HideFromGAL', 'Set-CIPPHideFromGAL', _switch('HideFromGAL'),
     lambda c: exo.set_hide_from_gal(c['state'], c['tf'], c['upn'], True)),
    ('RemoveGroups', 'Remove-CIPPGroups', _switch('RemoveGroups'), _remove_groups_step),
    ('RemoveRules', 'Remove-CIPPMailboxRule', _switch('RemoveRules'), lambda c: exo.remove_all_rules(c['state'], c['tf'], c['upn'])),
    ('RemoveMobile', 'Remove-CIPPMobileDevice', _switch('RemoveMobile'),
     lambda c: exo.remove_mobile_devices(c['state'], c['tf'], c['upn'])),
    ('removeCalendarInvites', 'Remove-CIPPCalendarInvites', _switch('removeCalendarInvites'),
     lambda c: 'Successfully cancelled all calendar invites for %s' % c['upn']),
    ('OOO', 'Set-CIPPOutOfOffice', _not_empty('OOO'),
     _with_value('OOO', lambda c: exo.set_out_of_office(c['state'], c['tf'], c['upn'], 'Enabled', c['options_value'],
                                                        c['options_value']))),
    ('forward', 'Set-CIPPForwarding', _not_empty('forward'),
     _with_value('forward', lambda c: exo.set_forwarding(
         c['state'], c['tf'], c['id'], c['upn'],
         forward=c['options_value'].get('value') if isinstance(c['options_value'], dict) else None,
         keep_copy=ps_bool(_opt(c['options'], 'KeepCopy'))))),
    ('disableForwarding', 'Set-CIPPForwarding', _switch('disableForwarding'),
     lambda c: exo.set_forwarding(c['state'], c['tf'], c['id'], c['upn'], disable=True)),
    ('OnedriveAccess', 'Set-CIPPSharePointPerms', _collection('OnedriveAccess'), _with_value('OnedriveAccess', _onedrive_access_step)),
    ('DisableOneDriveSharing', 'Set-CIPPOneDriveSharing', _switch('DisableOneDriveSharing'),
     lambda c: sec.set_onedrive_sharing(c['state'], c['tf'], c['upn'])),
    ('AccessNoAutomap', 'Set-CIPPMailboxAccess', _collection('AccessNoAutomap'),
     _with_value('AccessNoAutomap', lambda c: exo.grant_full_access(c['state'], c['tf'], c['upn'], c['options_value'], False))),
    ('AccessAutomap', 'Set-CIPPMailboxAccess', _collection('AccessAutomap'),
     _with_value('AccessAutomap', lambda c: exo.grant_full_access(c['state'], c['tf'], c['upn'], c['options_value'], True))),
    ('removePermissions', 'Remove-CIPPMailboxPermissions', _switch('removePermissions'),
     lambda c: exo.remove_permissions_of(c['state'], c['tf'], c['upn'])),
    ('removeCalendarPermissions', 'Remove-CIPPCalendarPermissions', _switch('removeCalendarPermissions'),
     lambda c: 'No calendar permissions found for %s in cached data' % c['upn']),
    ('ConvertToShared', 'Set-CIPPMailboxType', _switch('ConvertToShared'),
     lambda c: exo.set_mailbox_type(c['state'], c['tf'], c['id'], 'Shared', c['upn'])),
    ('RemoveMFADevices', 'Remove-CIPPUserMFA', _switch('RemoveMFADevices'),
     lambda c: sec.remove_user_mfa(c['state'], c['tf'], c['upn'])),
    ('RemoveTeamsPhoneDID', 'Remove-CIPPUserTeamsPhoneDIDs', _switch('RemoveTeamsPhoneDID'),
     lambda c: ['No Teams Phone DIDs found in tenant']),
    ('RemoveLicenses', 'Remove-CIPPLicense', _switch('RemoveLicenses'), _schedule_license_removal),
    ('ClearImmutableId', 'Clear-CIPPImmutableID', _switch('ClearImmutableId'), _clear_immutable_step),
    ('DeleteUser', 'Remove-CIPPUser', _switch('DeleteUser'), _delete_user_step),
]


# ---------------------------------------------------------------------------------------------------------------
# ExecOffboardUser
# ---------------------------------------------------------------------------------------------------------------

BOOLEAN_ACTIONS = ('ConvertToShared', 'HideFromGAL', 'removeCalendarInvites', 'removePermissions', 'removeCalendarPermissions',
                   'RemoveRules', 'RemoveMobile', 'RemoveGroups', 'RemoveLicenses', 'RevokeSessions', 'DisableSignIn',
                   'ClearImmutableId', 'ResetPass', 'RemoveMFADevices', 'RemoveTeamsPhoneDID', 'DeleteUser',
                   'DisableOneDriveSharing', 'disableForwarding')
COLLECTION_ACTIONS = ('AccessNoAutomap', 'AccessAutomap', 'OnedriveAccess')


def _offboarding_users(raw):
    """Each entry's `.value ?? entry`, kept only when it is a non-blank string."""
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    users = []
    for item in items:
        value = item.get('value') if isinstance(item, dict) and item.get('value') is not None else item
        if isinstance(value, str) and value.strip():
            users.append(value)
    return users


def _has_action(body):
    if any(eq_true(_ci_get(body, name)) for name in BOOLEAN_ACTIONS):
        return True
    for name in COLLECTION_ACTIONS:
        value = _ci_get(body, name)
        values = value if isinstance(value, list) else [value]
        if any(v is not None for v in values):
            return True
    forward = _ci_get(body, 'forward')
    forward_value = forward.get('value') if isinstance(forward, dict) and forward.get('value') is not None else forward
    return bool(_ps_string(forward_value).strip()) or bool(_ps_string(_ci_get(body, 'OOO')).strip())


def validate_offboarding(body):
    """Test-CIPPOffboardingRequest -> (errors, tenant filter, users)."""
    errors = []
    raw_tenant = _ci_get(body, 'tenantFilter')
    tenant_filter = raw_tenant.get('value') if isinstance(raw_tenant, dict) and raw_tenant.get('value') is not None else raw_tenant
    if not _ps_string(tenant_filter).strip():
        errors.append("'tenantFilter' is required and must resolve to a tenant domain (a string, or an object with a non-empty "
                      "'value' property).")
    raw_users = _ci_get(body, 'user')
    users = _offboarding_users(raw_users)
    if raw_users in (None, '', [], False):
        errors.append("'user' is required and must be a non-empty array of users (objects with a 'value' property, or "
                      "userPrincipalName strings).")
    elif not users:
        errors.append("'user' did not resolve to any usable userPrincipalName. Each entry must be a UPN string or an object with "
                      "a non-empty 'value' property.")
    else:
        invalid = [u for u in users if '@' not in u]
        if invalid:
            errors.append("These user values do not look like userPrincipalNames (missing '@'): %s." % ', '.join(invalid))
    scheduled = _ci_get(body, 'Scheduled')
    if ps_bool(_ci_get(scheduled, 'enabled')):
        date = _ps_string(_ci_get(scheduled, 'date'))
        if not re.match(r'^\s*[+-]?\d+\s*$', date) or int(date) <= 0:
            errors.append("'Scheduled.enabled' is true but 'Scheduled.date' is not a valid Unix timestamp.")
    if not _has_action(body):
        errors.append('No offboarding actions were selected. Enable at least one action (e.g. RemoveLicenses, DisableSignIn, '
                      'RevokeSessions) before submitting.')
    return errors, _ps_string(tenant_filter), users


@endpoint('ExecOffboardUser', 'Identity.User.ReadWrite', write=True)
def exec_offboard_user(req):
    """Body only. Queues one Invoke-CIPPOffboardingJob task per user and returns their result texts."""
    body = req.body
    if body is None or body == '':
        return Response.text("Cannot bind argument to parameter 'Body' because it is null.", 500)
    fields = body if isinstance(body, dict) else {}
    errors, tenant_filter, users = validate_offboarding(fields)
    if errors:
        return Response.json({'Results': errors}, 400)
    options = {k: _plain(v) for k, v in fields.items() if str(k).lower() not in ('user', 'tenantfilter', 'scheduled')}
    scheduled = _ci_get(fields, 'Scheduled')
    run_later = ps_bool(_ci_get(scheduled, 'enabled'))
    post = _ci_get(fields, 'PostExecution')
    lines = []
    with req.state.lock:
        for upn in users:
            task = {'TenantFilter': tenant_filter, 'Name': 'Offboarding: %s' % upn, 'Command': {'value': OFFBOARDING},
                    'Parameters': {'Username': upn, 'APIName': 'Scheduled Offboarding', 'options': copy.deepcopy(options),
                                   'RunScheduled': True},
                    'PostExecution': {'Webhook': ps_bool(_ci_get(post, 'webhook')), 'Email': ps_bool(_ci_get(post, 'email')),
                                      'PSA': ps_bool(_ci_get(post, 'psa'))},
                    'Reference': _ci_get(fields, 'reference')}
            if run_later:
                task['ScheduledTime'] = _ci_get(scheduled, 'date')
            lines.append(add_scheduled_task(req.state, task, hidden=False, run_now=not run_later))
    return Response.json({'Results': lines})


# ---------------------------------------------------------------------------------------------------------------
# AddScheduledItem / ListScheduledItems / ListScheduledItemDetails / RemoveScheduledItem
# ---------------------------------------------------------------------------------------------------------------

@endpoint('AddScheduledItem', 'CIPP.Scheduler.ReadWrite', write=True, any_tenant=True)
def add_scheduled_item(req):
    """Always 200. `hidden` in the query at all (any value) hides the task; DisallowDuplicateName is Q/B."""
    body = req.body if isinstance(req.body, dict) else {}
    disallow = req.qb('DisallowDuplicateName')
    hidden = req.q('hidden') is not None
    with req.state.lock:
        row_key = _ci_get(body, 'RowKey')
        existing = req.state.scheduled_tasks.get(str(row_key)) if row_key else None
        if req.q('hidden') is None and existing is not None:
            hidden = bool(existing.get('Hidden'))
        if existing is not None and eq_true(_ci_get(body, 'RunNow')):
            # Re-run an existing task: due now, Planned again, ExecutedTime cleared.
            existing.update(ScheduledTime=str(int(req.state.now())), TaskState='Planned', ExecutedTime='')
            existing['_stagedAt'] = req.state.now()
            return Response.json({'Results': 'Task %s scheduled to run now' % existing.get('Name')})
        text = add_scheduled_task(req.state, body, hidden=hidden, disallow_duplicate_name=ps_bool(disallow),
                                  run_now=eq_true(_ci_get(body, 'RunNow')), desired_start=_ci_get(body, 'DesiredStartTime'))
    return Response.json({'Results': text})


def _tenant_lookup(state):
    return {str(t.row.get('customerId')): t.row.get('defaultDomainName') for t in state.tenants.values()}


def task_row(state, task, lookup=None):
    """The ListScheduledItems row: entity values with Parameters parsed, Tenant as an object, times as ISO dates."""
    lookup = _tenant_lookup(state) if lookup is None else lookup
    row = {k: copy.deepcopy(v) for k, v in task.items() if not str(k).startswith('_')}
    tenant_value = task.get('Tenant')
    if tenant_value:
        shown = lookup.get(str(tenant_value), tenant_value)
        row['Tenant'] = {'label': shown, 'value': shown, 'type': 'Tenant'}
    else:
        row['Tenant'] = 'None'
    if not task.get('Recurrence') or str(task.get('Recurrence')) == '0':
        row['Recurrence'] = 'Once'
    for key in ('ScheduledTime', 'ExecutedTime'):
        # FromUnixTimeSeconds turns '' into 0 (1970); a key the entity lacks stays absent.
        if key in row and (row[key] == '' or str(row[key]).strip().lstrip('-').isdigit()):
            row[key] = iso(_epoch(row[key]) or 0)
    if task.get('Trigger'):
        row['Trigger'] = json.loads(task['Trigger'])
    row['Timestamp'], row['ETag'] = _table_timestamp(task.get('_updated') or state.now())
    return row


def _matches(task, tenant_ids, name, command, search, show_hidden, task_id):
    if task_id:
        if task.get('RowKey') != task_id:
            return False
    else:
        if bool(task.get('Hidden')) != show_hidden:
            return False
        if name and task.get('Name') != name:
            return False
        if command and str(task.get('Command')).lower() != str(command).lower():
            return False
    if tenant_ids is not None and str(task.get('Tenant')).lower() not in tenant_ids:
        return False
    if search and not _like(task.get('Name'), search):
        return False
    return True


def _like(value, pattern):
    """PowerShell -like: * and ? wildcards, case-insensitive."""
    regex = ''.join('.*' if ch == '*' else '.' if ch == '?' else re.escape(ch) for ch in str(pattern))
    return re.fullmatch(regex, str(value or ''), flags=re.IGNORECASE | re.DOTALL) is not None


def _tenant_ids(state, tenant_filter):
    """tenantFilter matches tasks stored against the default domain or the customerId (or the raw value)."""
    if not tenant_filter or str(tenant_filter).lower() == 'alltenants':
        return None
    tenant = state.resolve_tenant(tenant_filter)
    if tenant is None:
        return {str(tenant_filter).lower()}
    return {str(tenant.row.get('defaultDomainName')).lower(), str(tenant.row.get('customerId')).lower()}


def _sort_key(row_task):
    return (_epoch(row_task.get('ScheduledTime')) or 0, _epoch(row_task.get('ExecutedTime')) or 0)


@endpoint('ListScheduledItems', 'CIPP.Scheduler.Read', any_tenant=True)
def list_scheduled_items(req):
    """Q/B filters. `Id` replaces the hidden/Name/Type filters; ShowHidden=true lists only hidden tasks."""
    task_id = req.qb('Id')
    show_hidden = eq_true(req.q('ShowHidden')) or eq_true(req.b('ShowHidden'))
    with req.state.lock:
        _adopt_all(req.state)
        tenant_ids = _tenant_ids(req.state, req.qb('tenantFilter'))
        chosen = [t for t in req.state.scheduled_tasks.values()
                  if t.get('Command') and _matches(t, tenant_ids, req.qb('Name'), req.qb('Type'), req.qb('SearchTitle'),
                                                   show_hidden, task_id)]
        chosen.sort(key=_sort_key, reverse=True)
        lookup = _tenant_lookup(req.state)
        rows = [task_row(req.state, t, lookup) for t in chosen]
        lazy_tick(req.state)
    return Response.json(rows)


def _parsed_results(raw):
    """ListScheduledItemDetails parses JSON-looking Results and always hands back an array."""
    if raw is None:
        return []
    text = str(raw).strip()
    parsed = raw
    if (text.startswith('[') and text.endswith(']')) or (text.startswith('{') and text.endswith('}')):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = raw
    if parsed is None:
        return []
    return parsed if isinstance(parsed, list) else [parsed]


@endpoint('ListScheduledItemDetails', 'CIPP.Scheduler.Read', any_tenant=True)
def list_scheduled_item_details(req):
    row_key = req.qb('RowKey')
    if not row_key:
        return Response.text("Required parameter 'RowKey' is missing", 400)
    with req.state.lock:
        _adopt_all(req.state)
        task = req.state.scheduled_tasks.get(str(row_key))
        if task is None:
            return Response.text("Task with RowKey '%s' not found" % row_key, 404)
        full = task_row(req.state, task)
        keep = ('RowKey', 'Name', 'TaskState', 'Command', 'Parameters', 'Recurrence', 'ExecutedTime', 'ScheduledTime',
                'PostExecution', 'Tenant', 'TenantGroup', 'Hidden', 'Results', 'Timestamp', 'Trigger')
        # Select-Object creates every listed property; an absent ExecutedTime then converts from $null to 1970.
        shown = {k: full.get(k) for k in keep}
        if 'ExecutedTime' not in full:
            shown['ExecutedTime'] = iso(0)
        # The details view labels the tenant with the stored value (no customerId -> domain lookup here), and the
        # Details entry's Tenant is that same object.
        shown['Tenant'] = {'label': task.get('Tenant'), 'value': task.get('Tenant'), 'type': 'Tenant'}
        body = {'Task': shown, 'Details': [{'Timestamp': full['Timestamp'], 'Tenant': shown['Tenant'],
                                            'Results': _parsed_results(task.get('Results'))}]}
        lazy_tick(req.state)
    return Response.json(body)


@endpoint('RemoveScheduledItem', 'CIPP.Scheduler.ReadWrite', write=True, any_tenant=True)
def remove_scheduled_item(req):
    """Always the same text; a missing id makes the table delete throw (400), an unknown id is not an error."""
    row_key = req.q('id') or req.b('id')
    if not row_key:
        return Response.json({'Results': 'Task removed successfully.'}, 400)
    with req.state.lock:
        req.state.scheduled_tasks.pop(str(row_key), None)
    return Response.json({'Results': 'Task removed successfully.'})
