# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API layer: CIPP's asynchronous work: offboarding jobs, the scheduler, the BEC check (CONTRACT 7-9, 0.1 C4, C17, C19).

Paths are relative to ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

OFFBOARDING_COMMAND = 'Invoke-CIPPOffboardingJob'
BEC_REPORT_KEYS = ('NewRules', 'MFADevices', 'AddedApps', 'NewUsers', 'ChangedPasswords', 'SuspectUserMailboxLogons', 'MailboxPermissionChanges')


# ------------------------------------------------------------------------------ offboarding and the scheduler

def offboard_user(client, body):
    """Queue an offboarding job (no task id comes back; duplicates are accepted).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecOffboardUser.ps1`` (body only, validated by
    ``Modules/CIPPCore/Public/Test-CIPPOffboardingRequest.ps1``), run later by
    ``Modules/CIPPCore/Public/Invoke-CIPPOffboardingJob.ps1``.
    """
    return client.write('ExecOffboardUser', body, tenant=None)


def scheduled_items(client, tenant, **query):
    """Scheduler rows (``RowKey``, ``Name``, ``TaskState``, ``Parameters``, ``Results``, ``ScheduledTime``, ...) for the
    query given (``Type``, ``Name``, ``Id``); ``Parameters`` parsed from its JSON text.

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/CIPP/Scheduler/Invoke-ListScheduledItems.ps1``
    (query or body ``Id``, ``tenantFilter``, ``Name``, ``Type``).
    """
    rows = client.call(*scheduled_items_request(tenant, **query)) or []
    jobs = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        parameters = row.get('Parameters') or {}
        if isinstance(parameters, str):
            try:
                parameters = json.loads(parameters)
            except ValueError:
                parameters = {}
        jobs.append(dict(row, Parameters=parameters if isinstance(parameters, dict) else {}))
    return jobs


def scheduled_items_request(tenant, **query):
    """The read scheduled_items makes, as ``(endpoint name, parameters)`` for read_together."""
    return 'ListScheduledItems', dict(query, tenantFilter=tenant)


def remove_scheduled_item(client, row_key):
    """Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/CIPP/Scheduler/Invoke-RemoveScheduledItem.ps1`` (``id``; any tenant)."""
    return client.write('RemoveScheduledItem', {'id': row_key}, tenant=None)


def job_result_texts(job):
    """A finished job's result texts, whatever the shape: a JSON text of a list, of one object ``{"Results": ...}``
    (a one-step job, C19), or a plain ``Task Failed: ...`` text."""
    raw = job.get('Results')
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return [raw]
    if isinstance(raw, dict):
        raw = [raw]
    if isinstance(raw, str):
        return [raw]
    texts = []
    for item in raw or []:
        if isinstance(item, dict):
            texts.append(str(item.get('Results') if 'Results' in item else item.get('resultText') or item))
        else:
            texts.append(str(item))
    return texts


def job_failed(job):
    """A job failed when its state says so, or when its result says ``Task Failed`` with TaskState Completed (C19)."""
    if str(job.get('TaskState') or '').lower() == 'failed':
        return True
    return any(text.lower().startswith('task failed') for text in job_result_texts(job))


# ------------------------------------------------------------------------------ BEC

def bec_check(client, tenant, user, refresh):
    """Start CIPP's BEC check (or, without ``refresh``, get its cached report).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecBECCheck.ps1``
    (query only: ``userid``, ``userName``,
    ``overwrite``). Even without ``overwrite`` the call rewrites CIPP's cached row when there is none (C17); it changes
    nothing in the tenant. Answers ``{"GUID": userid}`` while a run is started, or the report.
    """
    params = {'userid': user['id'], 'userName': user.get('userPrincipalName')}
    if refresh:
        params['overwrite'] = 'true'
    return client.call('ExecBECCheck', params, tenant=tenant)


def bec_poll(client, tenant, guid):
    """``{"Waiting": true}`` until the run is done, then the report, or a failed run's
    ``{"Results": text, "Exception": ...}`` (``Modules/CIPPActivityTriggers/BEC/Push-BECRun.ps1``, C4)."""
    return client.call('ExecBECCheck', {'GUID': guid}, tenant=tenant)


def is_bec_report(body):
    """A real report has its sections; a failed run has only Results/Exception/ExtractedAt (C4)."""
    return isinstance(body, dict) and any(key in body for key in BEC_REPORT_KEYS)


def bec_remediate(client, tenant, user):
    """CIPP's six-step remediation. Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/Identity/Administration/Users/Invoke-ExecBECRemediate.ps1``
    (body only:
    ``userid``, ``username``; ``{"Results": [{resultText, state, copyField}...]}``)."""
    return client.write('ExecBECRemediate', {'userid': user['id'], 'username': user.get('userPrincipalName')}, tenant=tenant,
                        check_results=False)
