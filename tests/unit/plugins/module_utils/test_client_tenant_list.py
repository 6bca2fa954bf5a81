# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client checks a write's tenant with the reader it is given; it never reaches up into the API layer itself."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippGuardError


def test_a_client_without_a_tenant_reader_sends_no_write(cipp):
    client = cipp.client(managed_tenants=None)
    with pytest.raises(CippGuardError, match='cannot check the tenant of a write'):
        client.write('ExecDisableUser', {'ID': 'x', 'Enable': False}, tenant='contoso.com')
    assert cipp.fake.api_requests == []


def test_the_reader_given_decides(cipp):
    seen = []

    def managed(client):
        seen.append(client)
        return {'CONTOSO.com'}
    cipp.fake.reply('ExecDisableUser', cipp.Reply(200, {'Results': 'ok'}))
    client = cipp.client(managed_tenants=managed)
    client.write('ExecDisableUser', {'ID': 'x', 'Enable': False}, tenant='contoso.com')
    assert seen == [client]


def _managed(client):
    return {'contoso.com'}


def test_cipps_own_failure_text_on_a_500_is_its_verdict_not_a_lost_answer(cipp):
    """ExecSetMailboxRule's helper throws "Could not set mailbox rule ..." and the function host answers 500 text/plain."""
    from ansible_collections.msp.cipp.plugins.module_utils._errors import CippServerError, CippWriteUncertainError
    cipp.fake.reply('ExecSetMailboxRule', cipp.Reply(500, 'Could not set mailbox rule Fwd for a@contoso.com. Error: not found'))
    with pytest.raises(CippServerError) as caught:
        cipp.client(managed_tenants=_managed).write('ExecSetMailboxRule', {'ruleId': 'x', 'Disable': True}, tenant='contoso.com')
    assert not isinstance(caught.value, CippWriteUncertainError) and 'Could not set mailbox rule' in caught.value.message
    assert caught.value.response == {'Results': 'Could not set mailbox rule Fwd for a@contoso.com. Error: not found'}


def test_access_denied_is_a_permission_error(cipp):
    from ansible_collections.msp.cipp.plugins.module_utils._errors import CippPermissionError
    cipp.fake.reply('ListUsers', cipp.Reply(403, 'Access denied: unable to resolve roles for the authenticated principal'))
    with pytest.raises(CippPermissionError):
        cipp.client().call('ListUsers', tenant='contoso.com')


def test_masking_while_other_threads_learn_secrets_is_safe(cipp):
    """cipp_users: one client, several threads; a thread masking a result while others learn new passwords."""
    import sys
    import threading
    client = cipp.client()
    errors = []
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, as a busy controller does, so a race shows in a short test

    def learn(thread):
        for number in range(3000):
            client._remember('Secret-%d-%d-Passw0rd!' % (thread, number))  # what a thread's AddUser answer does

    learners = [threading.Thread(target=learn, args=(n,)) for n in range(3)]
    for thread in learners:
        thread.start()
    try:
        while any(thread.is_alive() for thread in learners):
            client.redacted({'text': 'nothing secret here'})
    except RuntimeError as exc:  # "Set changed size during iteration" without the lock
        errors.append(exc)
    finally:
        for thread in learners:
            thread.join()
        sys.setswitchinterval(interval)
    assert errors == []
    assert 'Secret-1-5-Passw0rd!' not in str(client.redacted({'text': 'Secret-1-5-Passw0rd!'}))
