# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading an offboarding job's results as CIPP-API 10.8.2 writes them: a failed one-shot step is never "done"."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.msp.cipp.plugins.module_utils._offboarding import STEP_BY_OPTION, done_by_earlier_jobs, failed_steps


@pytest.mark.parametrize('text, step', [
    # The helpers' own wording (Modules/CIPPCore/Public/<cmdlet>.ps1): they return these instead of throwing.
    ('Failed to remove all mobile devices for a@contoso.com. Successfully removed 1 mobile devices: x. Failed to remove 1', 'remove_mobile_devices'),
    ('Failed to set OneDrive sharing for a@contoso.com : Access denied', 'disable_onedrive_sharing'),
    ('Failed to change access for boss@contoso.com on https://contoso-my.sharepoint.com/personal/a - denied', 'onedrive_access'),
    ('Could not determine the OneDrive site URL for a@contoso.com. The user may not have a provisioned OneDrive.', 'onedrive_access'),
    ('Failed to Add FullAccess for boss@contoso.com on a@contoso.com: not found', 'mailbox_access'),
    ('Could not remove mailbox permissions for a@contoso.com. Error: timeout', 'remove_mailbox_permissions'),
    ('Failed to remove a@contoso.com from calendar boss@contoso.com: denied', 'remove_calendar_permissions'),
    ("Failed to remove Teams Phone DID: '+1555' from: 'a@contoso.com' - 'id'. Error: x", 'remove_teams_phone'),
    ('Failed to revoke sessions for a@contoso.com. Error: x', 'revoke_sessions'),
    # And the generic form the orchestrator writes when a step throws.
    ('Failed to execute Remove-CIPPMobileDevice : boom', 'remove_mobile_devices'),
])
def test_each_failure_wording_names_its_step(text, step):
    assert step in failed_steps(['Task Offboarding: fine', text])


def test_success_texts_are_not_failures():
    assert failed_steps(['Successfully removed 2 mobile devices for a@contoso.com', 'Failed to create PwPush link, using plain password.']) == {}


def _job(texts, requested='RemoveMobile'):
    return {'TaskState': 'Completed', 'Results': [{'Results': text} for text in texts], 'Parameters': {'options': {requested: True}}}


def test_a_job_whose_one_shot_step_failed_has_not_done_it():
    job = _job(['Failed to remove mobile devices for a@contoso.com. Error: x'])
    assert not done_by_earlier_jobs([job], STEP_BY_OPTION['remove_mobile_devices'])
    assert done_by_earlier_jobs([_job(['Successfully removed 1 mobile devices'])], STEP_BY_OPTION['remove_mobile_devices'])


def test_a_summary_only_result_proves_nothing_for_one_shot_steps():
    job = _job(['Offboarding completed, details are available in the More Info pane'])
    assert not done_by_earlier_jobs([job], STEP_BY_OPTION['remove_mobile_devices'])
