# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the BEC summary tells a responder: which MFA methods are the attacker's, and who changed mailbox permissions."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.msp.cipp.plugins.module_utils._bec import summarise

NOW = datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.timezone.utc)
USER = {'userPrincipalName': 'ann@contoso.com'}


def _method(method_id, days_ago):
    return {'id': method_id, '@odata.type': '#microsoft.graph.phoneAuthenticationMethod',
            'createdDateTime': (NOW - datetime.timedelta(days=days_ago)).strftime('%Y-%m-%dT%H:%M:%SZ')}


def test_new_methods_beside_older_ones_are_told_apart():
    summary = summarise({'MFADevices': [_method('own', 200), _method('new', 1)]}, USER, set(), now=NOW)
    assert summary['mfa_methods_told_apart'] is True and summary['new_mfa_method_ids'] == ['new']


def test_all_new_or_none_new_cannot_be_told_apart():
    assert summarise({'MFADevices': [_method('a', 1), _method('b', 2)]}, USER, set(), now=NOW)['mfa_methods_told_apart'] is False
    none_new = summarise({'MFADevices': [_method('a', 100)]}, USER, set(), now=NOW)
    assert none_new['mfa_methods_told_apart'] is False and none_new['new_mfa_method_ids'] == []


def test_mailbox_permission_changes_are_listed():
    report = {'MailboxPermissionChanges': [
        {'Operation': 'Add-MailboxPermission', 'UserKey': 'ann@contoso.com', 'ObjectId': 'ceo@contoso.com', 'Permissions': 'FullAccess'},
        {'Operation': 'AddFolderPermissions', 'UserKey': 'ann@contoso.com', 'ObjectId': 'cfo@contoso.com\\\\Inbox', 'Permissions': ['Owner']}]}
    assert summarise(report, USER, set(), now=NOW)['mailbox_permission_changes'] == [
        {'operation': 'Add-MailboxPermission', 'by': 'ann@contoso.com', 'object': 'ceo@contoso.com', 'rights': ['FullAccess']},
        {'operation': 'AddFolderPermissions', 'by': 'ann@contoso.com', 'object': 'cfo@contoso.com\\\\Inbox', 'rights': ['Owner']}]
