# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fast path's guard for options with sub-options: ansible-core's validator raises TypeError on
`licenses: 0` instead of reporting it, so the action plugin names the option first."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.msp.cipp.plugins.modules.cipp_user import ARGUMENT_SPEC
from ansible_collections.msp.cipp.plugins.plugin_utils.cipp_action import unstructured_options


@pytest.mark.parametrize('value', [0, 1.5, True, ['SPB', 3]])
def test_a_non_dict_for_an_option_with_sub_options_is_named(value):
    problems = unstructured_options(ARGUMENT_SPEC, {'licenses': value})
    assert len(problems) == 1
    assert problems[0].startswith('licenses must be a dict with some of the keys add, remove, set')


@pytest.mark.parametrize('value', [None, {'add': ['SPB']}, 'add=SPB', '{"add": ["SPB"]}'])
def test_dicts_and_strings_are_left_to_the_validator(value):
    assert unstructured_options(ARGUMENT_SPEC, {'licenses': value, 'job_title': 7}) == []


def test_entries_of_a_list_of_dicts_are_checked_too():
    from ansible_collections.msp.cipp.plugins.modules.cipp_users import ARGUMENT_SPEC as USERS_SPEC
    assert unstructured_options(USERS_SPEC, {'users': [{'user_principal_name': 'a@contoso.com', 'licenses': 0}]}) == [
        'users[0].licenses must be a dict with some of the keys add, remove, set, got int 0']
    assert unstructured_options(USERS_SPEC, {'users': [3]})[0].startswith('users must be a list of dicts')
