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
