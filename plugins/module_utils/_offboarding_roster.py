# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cipp_leavers: many leavers of one tenant in one task, each handled exactly as cipp_offboard handles one, with their
CIPP jobs overlapping instead of one after another.

  1. every leaver's options are checked with cipp_offboard's own argument spec and rules, before anything is read;
  2. the leavers are looked up, and the reads each leaver's plan needs are made, for all leavers together through
     CIPP's $batch (20 reads per call);
  3. with ``refuse_privileged``, a leaver who holds a directory role stops the whole task before any write;
  4. each leaver then goes through cipp_offboard's own OffboardRun, ``parallel`` at a time: plan, queue only what is
     needed, find its job, wait, verify. The scheduler is read once for all of them (each poll round, and after
     our own writes), never once per leaver.
One leaver's failure does not stop the others; the task fails at the end and names each failed leaver.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.msp.cipp.plugins.module_utils import _api_jobs as jobs_api
from ansible_collections.msp.cipp.plugins.module_utils import _api_users as users_api
from ansible_collections.msp.cipp.plugins.module_utils._admin_roles import role_names
from ansible_collections.msp.cipp.plugins.module_utils._api_graph import read_together
from ansible_collections.msp.cipp.plugins.module_utils._common import check_bounded
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippError
from ansible_collections.msp.cipp.plugins.module_utils._files import check_name, private_dir, replace_private, write_private
from ansible_collections.msp.cipp.plugins.module_utils._offboarding_summary import summary
from ansible_collections.msp.cipp.plugins.module_utils._offboarding import (
    JOB_COMMAND, OffboardRun, Snapshot, jobs_of, offboard_argspec, validate)

# requests' connection pool keeps 10 connections per host; more threads than that would only queue.
MAX_PARALLEL = 10
DEFAULT_PARALLEL = 8
MAX_LEAVERS = 500
# Set for the whole task; a leaver may set its own.
TASK_OPTIONS = ('wait', 'wait_timeout', 'poll_interval')
LEAVER_SPEC = offboard_argspec()


class SharedScheduler:
    """CIPP's scheduler for all leavers of a tenant: one ListScheduledItems of the offboarding jobs, shared.

    ``jobs(upn, fresh=True)`` (after our own write) is answered only by a read that started after the call, so a job
    queued just before is in it; a poll (``job``) accepts a read at most ``poll_age`` seconds old, so many leavers
    polling at once cost one call per round.
    """

    def __init__(self, client, tenant, poll_age, clock=time.time):
        self.client, self.tenant, self.poll_age, self.clock = client, tenant, poll_age, clock
        self._lock = threading.Lock()
        self._rows, self._started, self._finished = None, None, None

    def _read(self, started_after=None, max_age=None):
        with self._lock:
            fresh = self._rows is not None and (
                (started_after is None and max_age is None)
                or (started_after is not None and self._started >= started_after)
                or (max_age is not None and self.clock() - self._finished <= max_age))
            if not fresh:
                started = self.clock()
                self._rows = jobs_api.scheduled_items(self.client, self.tenant, Type=JOB_COMMAND)
                self._started, self._finished = started, self.clock()
            return self._rows

    def jobs(self, upn, fresh=False):
        return jobs_of(self._read(started_after=self.clock() if fresh else None), upn)

    def job(self, row_key):
        for rows in (self._read(max_age=self.poll_age), self._read(started_after=self.clock())):
            found = next((row for row in rows if row.get('RowKey') == row_key), None)
            if found is not None:
                return found
        return None


def offboard_leavers(client, params, check_mode):
    """Resource function of cipp_leavers."""
    tenant = params['tenant']
    parallel = DEFAULT_PARALLEL if params.get('parallel') is None else params['parallel']
    if not 1 <= parallel <= MAX_PARALLEL:
        raise CippConfigError('parallel must be between 1 and %d, got %s' % (MAX_PARALLEL, parallel))
    entries = _entries(params)
    if not entries:
        return {'changed': False, 'leavers': []}
    evidence_dir = private_dir(params['evidence_dir'], 'evidence_dir') if params.get('evidence_dir') else None
    for entry in entries:
        if evidence_dir and not entry.get('evidence_path'):
            entry['evidence_path'] = os.path.join(evidence_dir, '%s-offboarding-evidence.json' % entry['_file_name'])

    # The leavers, then every read their plans need: together, 20 per call.
    read_together(client, tenant, [request for request in (users_api.find_user_request(entry['user']) for entry in entries) if request])
    shared = {'_lock': threading.Lock()}
    with ThreadPoolExecutor(max_workers=min(parallel, len(entries))) as pool:
        snaps = list(pool.map(lambda entry: Snapshot(client, tenant, entry['user'], shared=shared), entries))
        reads = []
        for entry, snap in zip(entries, snaps):
            if snap.user:
                planned = snap.reads_for(entry)
                roles_read = users_api.memberships_request(snap.user['id'])
                # The refusal of admins reads the roles; the plan may read them anyway (same read, made once).
                reads.extend(planned + ([roles_read] if params.get('refuse_privileged') and roles_read not in planned else []))
        read_together(client, tenant, reads)
        list(pool.map(lambda pair: pair[1].load(pair[0]) if pair[1].user else None, zip(entries, snaps)))
        if params.get('refuse_privileged'):
            _refuse_privileged(entries, snaps)
        audits = [_write_audit(evidence_dir, entry, snap) if evidence_dir else None for entry, snap in zip(entries, snaps)]
        scheduler = SharedScheduler(client, tenant, poll_age=max(1, params['poll_interval']) / 2.0)
        outcomes = list(pool.map(lambda pair: _offboard_one(client, pair[0], pair[1], check_mode, scheduler), zip(entries, snaps)))
    for entry, outcome, audit in zip(entries, outcomes, audits):
        if audit:
            outcome['audit_path'] = audit
        if evidence_dir and outcome.get('changed') and not check_mode:
            # Rewritten by each run that changes the leaver; a run with nothing to do keeps the one of the run that did it.
            outcome['summary_path'] = replace_private(evidence_dir, '%s-offboarding.md' % entry['_file_name'], summary(outcome),
                                                      option='evidence_dir')
    return _result(outcomes)


# ------------------------------------------------------------------------------ before any read

def _entries(params):
    """Each leaver as the params of one cipp_offboard task, checked with its argument spec and its rules."""
    check_bounded(params.get('leavers'), 'leavers', MAX_LEAVERS)
    validator = ArgumentSpecValidator(LEAVER_SPEC)
    entries, seen = [], set()
    for index, raw in enumerate(params.get('leavers') or []):
        where = 'leavers[%d]' % index
        if not isinstance(raw, dict):
            raise CippConfigError('%s must be a dict with user and cipp_offboard options, got %r' % (where, raw))
        unknown = sorted(set(raw) - set(LEAVER_SPEC))
        if unknown:
            raise CippConfigError('%s: unknown option(s) %s; a leaver takes user and the options of msp.cipp.cipp_offboard except '
                                  'tenant.' % (where, ', '.join(unknown)))
        checked = validator.validate(dict(dict((option, params[option]) for option in TASK_OPTIONS), **raw))
        if checked.error_messages:
            raise CippConfigError('%s: %s' % (where, '; '.join(checked.error_messages)))
        entry = dict(checked.validated_parameters, tenant=params['tenant'])
        try:
            entry['_file_name'] = check_name(entry['user'], '%s.user' % where)
            validate(entry)
        except CippConfigError as exc:
            raise CippConfigError('%s (%s): %s' % (where, entry['user'], exc.message))
        if entry['user'].lower() in seen:
            raise CippConfigError('%s: %s is in the list twice' % (where, entry['user']))
        seen.add(entry['user'].lower())
        entries.append(entry)
    return entries


# ------------------------------------------------------------------------------ before any write

def _refuse_privileged(entries, snaps):
    """Stop before any write when a leaver holds a directory role (fail closed: roles that cannot be read stop it too)."""
    problems = []
    for entry, snap in zip(entries, snaps):
        if snap.user is None or entry.get('state') == 'absent':
            continue
        try:
            roles = snap.admin_roles()
        except CippError as exc:
            problems.append('%s: its directory roles could not be read, so it may hold an admin role (%s)' % (entry['user'], exc.message))
            continue
        if roles:
            problems.append('%s: it holds an admin role: the directory role(s) %s' % (entry['user'], ', '.join(role_names(roles))))
    if problems:
        raise CippConfigError('Nothing was changed: %s. Offboard admins only when you mean to (refuse_privileged=false; the '
                              'offboarding role: offboarding_allow_privileged=true).' % '; '.join(problems))


def _write_audit(evidence_dir, entry, snap):
    """``<user>-audit.json``: the leaver as this run first found it, written once and never replaced (a re-run sees the
    state after offboarding). Made from the reads the plan made, without reads of its own."""
    path = os.path.join(evidence_dir, '%s-audit.json' % entry['_file_name'])
    if snap.user is None or os.path.lexists(path):
        return None
    record = {'tenant': entry['tenant'], 'captured_at': datetime.datetime.now(datetime.timezone.utc).isoformat(), 'user': snap.user}
    record.update(snap.read_so_far())
    data = json.dumps(snap.client.redacted(record), indent=2, sort_keys=True, default=str) + '\n'
    return write_private(evidence_dir, os.path.basename(path), data, option='evidence_dir')


# ------------------------------------------------------------------------------ each leaver

def _offboard_one(client, entry, snap, check_mode, scheduler):
    params = dict((key, value) for key, value in entry.items() if not key.startswith('_'))
    run = OffboardRun(client, params, check_mode, scheduler=scheduler, snapshot=snap)
    try:
        result = run.run()
    except CippError as exc:
        outcome = {'user': entry['user'], 'tenant': entry['tenant'], 'changed': False, 'failed': True, 'msg': exc.message}
        details = exc.response if isinstance(exc.response, dict) else {}
        if details.get('steps'):
            outcome['steps'] = details['steps']
        return outcome
    outcome = dict(result, user=entry['user'], tenant=entry['tenant'])
    outcome['leaver'] = result.get('user')
    if run.evidence_record:
        # What the evidence file holds, for the caller's own report (the offboarding role's summary).
        outcome['before'] = run.evidence_record
    return outcome


def _result(outcomes):
    failed = [outcome for outcome in outcomes if outcome.get('failed')]
    result = {'changed': any(outcome.get('changed') for outcome in outcomes), 'leavers': outcomes}
    before, after = {}, {}
    for outcome in outcomes:
        diff = outcome.pop('diff', None)
        if diff:
            before[outcome['user']], after[outcome['user']] = diff.get('before'), diff.get('after')
    if before:
        result['diff'] = {'before': before, 'after': after}
    if failed:
        result['failed'] = True
        result['msg'] = '%d of %d leavers failed: %s' % (len(failed), len(outcomes), '; '.join(
            '%s: %s' % (outcome['user'], outcome['msg']) for outcome in failed))
    return result
