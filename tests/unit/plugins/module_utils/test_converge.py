# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""confirm(): after a write CIPP answered, the change must show in a re-read within a bounded wait."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.msp.cipp.plugins.module_utils._converge import confirm
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippResultError


def test_confirm_waits_a_bounded_time_then_names_what_is_missing():
    waits, answers = [], iter([False, False, True])

    class Client(object):
        check_mode = False
    confirm(Client(), lambda: next(answers), 'ExecPerUserMFA', 'x', sleep=waits.append)
    assert waits == [1, 2]
    with pytest.raises(CippResultError, match=r'ExecPerUserMFA answered success, but a re-read after 7 s does not show the state'):
        confirm(Client(), lambda: False, 'ExecPerUserMFA', 'the state', sleep=waits.append)
    Client.check_mode = True
    confirm(Client(), lambda: False, 'ExecPerUserMFA', 'the state', sleep=waits.append)  # nothing was sent
