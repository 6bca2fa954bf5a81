# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cipp_mailbox: CIPP's word alone is not success, and a state-only change keeps outside senders' replies on."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippResultError
from ansible_collections.msp.cipp.plugins.module_utils._mailbox import MailboxRun

TENANT = 'contoso.com'
USER = {'id': 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', 'userPrincipalName': 'jdoe@contoso.com'}


class FakeExchange(object):
    """Answers the mailbox reads from ``state``; writes are recorded and applied only when ``applies``."""

    def __init__(self, state, applies=True):
        self.state, self.applies, self.writes, self.reads = state, applies, [], []

    def call(self, endpoint, params=None, tenant=None):
        self.reads.append(endpoint)
        if endpoint == 'ListUserMailboxDetails':
            return [dict(self.state['mailbox'])] if self.state.get('mailbox') else [{'RecipientTypeDetails': None, 'Mailbox': None}]
        if endpoint == 'ListOoO':
            return dict(self.state['ooo'])
        raise AssertionError('unexpected read %s' % endpoint)

    def write(self, endpoint, params=None, tenant=None):
        self.writes.append((endpoint, params))
        if self.applies and endpoint == 'ExecConvertMailbox':
            self.state['mailbox']['RecipientTypeDetails'] = 'SharedMailbox'
        if self.applies and endpoint == 'ExecSetOoO':
            self.state['ooo']['AutoReplyState'] = params['AutoReplyState']
        return {'Results': 'Successfully did %s' % endpoint}


def run(client, params):
    return MailboxRun(client, TENANT, USER, False, sleep=lambda seconds: None).run(params)


def test_a_conversion_that_does_not_show_fails_after_a_bounded_wait():
    client = FakeExchange({'mailbox': {'RecipientTypeDetails': 'UserMailbox'}}, applies=False)
    with pytest.raises(CippResultError, match=r'does not show: mailbox_type'):
        run(client, {'mailbox_type': 'shared'})
    assert [w[0] for w in client.writes] == ['ExecConvertMailbox']  # never sent twice
    assert client.reads.count('ListUserMailboxDetails') == 1 + 1 + 3  # the read, a re-read, one more after each wait


def test_a_conversion_that_shows_succeeds_with_one_re_read():
    client = FakeExchange({'mailbox': {'RecipientTypeDetails': 'UserMailbox'}})
    assert run(client, {'mailbox_type': 'shared'})['changed'] is True
    assert client.reads == ['ListUserMailboxDetails', 'ListUserMailboxDetails']


def test_a_user_without_a_mailbox_is_told_so():
    with pytest.raises(CippConfigError, match='has no Exchange mailbox'):
        run(FakeExchange({'mailbox': None}), {'hidden_from_gal': True})


def test_switching_replies_back_on_keeps_the_external_reply():
    client = FakeExchange({'ooo': {'AutoReplyState': 'Disabled', 'InternalMessage': '<p>Away</p>', 'ExternalMessage': '<p>Away, ext</p>'}})
    run(client, {'out_of_office': {'state': 'enabled'}})
    (endpoint, body), = client.writes
    # Without ExternalMessage CIPP would set ExternalAudience None (CONTRACT 0.1 C14).
    assert endpoint == 'ExecSetOoO' and body['ExternalMessage'] == '<p>Away, ext</p>' and 'InternalMessage' not in body
