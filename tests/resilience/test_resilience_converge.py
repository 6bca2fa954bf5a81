# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""write_verified (module_utils/_converge.py) decision by decision, with a scripted client: when it re-reads,
when it sends again, and when it stops. The soak and lost-answer tests show the same against the emulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.msp.cipp.plugins.module_utils._converge import write_verified
from ansible_collections.msp.cipp.plugins.module_utils._errors import (
    CippPermissionError, CippServerError, CippWriteUncertainError,
)

LOST = CippWriteUncertainError('AddUser: no answer', 'AddUser')
FRONT_END_502 = CippWriteUncertainError('AddUser failed with HTTP 502', 'AddUser', 502, 'an HTML page, not a CIPP response')
HOST_500 = CippServerError('AddUser failed with HTTP 500: Exception of type ...', 'AddUser', 500, 'Exception of type ...')
CIPP_500 = CippServerError('AddUser failed with HTTP 500: Failed to create user.', 'AddUser', 500, 'Failed to create user.',
                           response={'Results': ['Failed to create user. Error:Invalid domain']})
NOT_RBAC_403 = CippServerError('ExecHideFromGAL failed with HTTP 403', 'ExecHideFromGAL', 403, 'Failed')


class ScriptedClient:
    """``write`` raises or returns the scripted outcomes in order; ``pause`` only counts."""

    def __init__(self, *outcomes, max_retries=4):
        self.outcomes = list(outcomes)
        self.max_retries = max_retries
        self.sent = 0
        self.pauses = []

    def write(self, endpoint, params, tenant=None, check_results=True):
        self.sent += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def pause(self, attempt):
        self.pauses.append(attempt)


class Reads:
    """``applied()`` answers from a script and counts how often it was asked."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.asked = 0

    def __call__(self):
        self.asked += 1
        return self.answers.pop(0)


def test_an_answered_write_is_not_verified():
    client, reads = ScriptedClient({'Results': ['Created New User.']}), Reads()
    assert write_verified(client, lambda: client.write('AddUser', {}), reads) == {'Results': ['Created New User.']}
    assert (client.sent, reads.asked) == (1, 0)


@pytest.mark.parametrize('failure', [LOST, FRONT_END_502, HOST_500], ids=['lost', '502', '500-text'])
def test_a_lost_outcome_that_was_applied_is_not_sent_again(failure):
    client, reads = ScriptedClient(failure), Reads(True)
    assert write_verified(client, lambda: client.write('AddUser', {}), reads) is None
    assert (client.sent, reads.asked, client.pauses) == (1, 1, [])


@pytest.mark.parametrize('failure', [LOST, FRONT_END_502, HOST_500], ids=['lost', '502', '500-text'])
def test_a_lost_outcome_that_was_not_applied_is_sent_again(failure):
    client, reads = ScriptedClient(failure, {'Results': ['ok']}), Reads(False)
    assert write_verified(client, lambda: client.write('AddUser', {}), reads) == {'Results': ['ok']}
    assert (client.sent, reads.asked, client.pauses) == (2, 1, [1])


def test_cipps_own_answer_on_a_500_is_its_verdict():
    client, reads = ScriptedClient(CIPP_500), Reads(False)
    with pytest.raises(CippServerError) as caught:
        write_verified(client, lambda: client.write('AddUser', {}), reads)
    assert caught.value is CIPP_500 and client.sent == 1 and reads.asked == 1


def test_an_uncertain_write_with_cipps_answer_becomes_cipps_error():
    answered = CippWriteUncertainError('ExecDisableUser failed with HTTP 500', 'ExecDisableUser', 500, 'Failed to disable',
                                       response={'Results': 'Failed to disable'})
    client, reads = ScriptedClient(answered), Reads(False)
    with pytest.raises(CippServerError) as caught:
        write_verified(client, lambda: client.write('ExecDisableUser', {}), reads)
    assert not isinstance(caught.value, CippWriteUncertainError)
    assert 'Failed to disable' in caught.value.message and 'nothing was changed' in caught.value.message and client.sent == 1


@pytest.mark.parametrize('failure', [NOT_RBAC_403, CippPermissionError('denied', 'AddUser', 403, 'Access to this ...')],
                         ids=['403', 'rbac'])
def test_a_refusal_is_raised_without_a_re_read(failure):
    client, reads = ScriptedClient(failure), Reads()
    with pytest.raises(type(failure)):
        write_verified(client, lambda: client.write('AddUser', {}), reads)
    assert (client.sent, reads.asked) == (1, 0)


def test_it_gives_up_after_the_clients_retry_count():
    client, reads = ScriptedClient(*([LOST] * 3), max_retries=2), Reads(False, False, False)
    with pytest.raises(CippWriteUncertainError) as caught:
        write_verified(client, lambda: client.write('AddUser', {}), reads)
    assert client.sent == 3 and reads.asked == 3 and client.pauses == [1, 2]
    assert 'after 3 attempts' in caught.value.message
