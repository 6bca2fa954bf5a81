# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input that would reach a write is refused first, naming the option (security review, issue 12 item 10).

Each case goes through the resource function with a client that fails the test on any call: the refusal must
come before CIPP is asked anything.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError
from ansible_collections.msp.cipp.plugins.module_utils._mailbox import ensure_mailbox
from ansible_collections.msp.cipp.plugins.module_utils._offboarding import offboard
from ansible_collections.msp.cipp.plugins.module_utils._user_bulk import ensure_users
from ansible_collections.msp.cipp.plugins.module_utils._user_lifecycle import ensure_user

TENANT = 'contoso.com'


class NoCalls(object):
    """A client that must never be used."""

    calls = []

    def __getattr__(self, name):
        raise AssertionError('the client was used (%s) before the input was checked' % name)


def refused(function, params, match):
    with pytest.raises(CippConfigError, match=match):
        function(NoCalls(), params, False)


def user(**options):
    params = dict(tenant=TENANT, user_principal_name='jdoe@contoso.com', id=None, state='present', update_password='on_create',
                  return_password=False)
    params.update(options)
    return params


def leaver(**options):
    params = dict(tenant=TENANT, user='leaver@contoso.com', state='present', disable_sign_in=True)
    params.update(options)
    return params


@pytest.mark.parametrize('password', [{'value': 'Str0ng!Passw0rd'}, ['Str0ng!Passw0rd'], 123456789012])
def test_a_password_that_is_not_a_string_is_refused_not_stringified(password):
    refused(ensure_user, user(password=password), r'password must be a string')


@pytest.mark.parametrize('address', ['not an address', 'a@b.com, c@d.com', ''])
def test_other_mails_must_be_addresses(address):
    refused(ensure_user, user(other_mails=['ok@example.com', address]), r'other_mails entries must be e-mail addresses')


def test_lists_are_bounded():
    refused(ensure_user, user(groups={'add': ['group %d' % n for n in range(501)]}), r'groups\.add has 501 entries; at most 500')
    refused(ensure_user, user(other_mails=['x%d@example.com' % n for n in range(501)]), r'other_mails has 501 entries')


@pytest.mark.parametrize('target', ['manager@contoso.com please', 'Manager <manager@contoso.com>', 'a@contoso.com;b@contoso.com'])
def test_forward_to_must_be_one_address_and_nothing_else(target):
    refused(offboard, leaver(forward_to=target), r'forward_to must be one user principal name or e-mail address')


@pytest.mark.parametrize('entry', ['not a user', 'boss@contoso.com; evil@example.com', {'user': 'x@contoso.com'}])
def test_onedrive_access_takes_user_names_only(entry):
    refused(offboard, leaver(onedrive_access=[entry]), r'onedrive_access entries must be user principal names')


@pytest.mark.parametrize('entry', [{'user': 'boss'}, {'user': 'boss@contoso.com', 'automap': 'yes'},
                                   {'user': 'boss@contoso.com', 'sendas': True}, 'boss@contoso.com', {'user': ['a@contoso.com']}])
def test_mailbox_access_entries_are_checked(entry):
    refused(offboard, leaver(mailbox_access=[entry]), r'mailbox_access entries must be \{user: name@example.com')


def test_offboarding_messages_and_lists_are_bounded():
    refused(offboard, leaver(out_of_office='x' * 65537), r'out_of_office is 65537 characters long; at most 65536')
    refused(offboard, leaver(onedrive_access=['u%d@contoso.com' % n for n in range(501)]), r'onedrive_access has 501 entries')


def test_mailbox_messages_are_bounded():
    params = dict(tenant=TENANT, user='jdoe@contoso.com', out_of_office={'state': 'enabled', 'internal_message': 'x' * 70000})
    refused(ensure_mailbox, params, r'out_of_office\.internal_message is 70000 characters long')


def test_parallel_zero_is_an_error_not_the_default():
    refused(ensure_users, dict(tenant=TENANT, users=[], parallel=0), r'parallel must be between 1 and 10, got 0')


def test_a_roster_has_a_bound():
    users = [{'user_principal_name': 'u%d@contoso.com' % n} for n in range(1001)]
    refused(ensure_users, dict(tenant=TENANT, users=users, parallel=8), r'users has 1001 entries; at most 1000')


def test_a_guest_cannot_be_given_a_manager_through_cipp():
    guest = user(user_principal_name='ann_example.com#EXT#@contoso.onmicrosoft.com', manager='boss@contoso.com')
    refused(ensure_user, guest, r"manager cannot be set for a guest .* '#' of #EXT# cuts it off")
