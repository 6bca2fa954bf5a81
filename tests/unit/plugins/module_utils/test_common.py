# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""common.py: the list contract, normalise/compare, masking, and the small parsers resources share."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.msp.cipp.plugins.module_utils._common import (
    MASK, email_addresses, is_secret_key, make_diff, mask_text, normalise, outside, parse_datetime, plan_list, redact,
    same, to_epoch,
)
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError


# ================================================================================== plan_list

class TestPlanList:

    @pytest.mark.parametrize('wanted', [None, {}, {'add': None, 'remove': None, 'set': None}])
    def test_nothing_wanted_changes_nothing(self, wanted):
        assert plan_list(['Finance', 'Sales'], wanted) == ([], [])

    def test_add_only_what_is_missing(self):
        assert plan_list(['Finance'], {'add': ['Finance', 'Sales']}) == (['Sales'], [])

    def test_remove_only_what_is_present(self):
        assert plan_list(['Finance', 'Sales'], {'remove': ['Sales', 'Marketing']}) == ([], ['Sales'])

    def test_add_and_remove_together(self):
        assert plan_list(['A', 'B'], {'add': ['C'], 'remove': ['A']}) == (['C'], ['A'])

    def test_set_wins_over_add_and_remove(self):
        to_add, to_remove = plan_list(['A', 'B'], {'set': ['B', 'C'], 'add': ['D'], 'remove': ['B']})
        assert (to_add, to_remove) == (['C'], ['A'])

    def test_set_empty_list_empties(self):
        assert plan_list(['A', 'B'], {'set': []}) == ([], ['A', 'B'])

    def test_set_already_satisfied(self):
        assert plan_list(['A', 'B'], {'set': ['b', 'a']}) == ([], [])

    def test_case_insensitive_and_removal_uses_the_current_spelling(self):
        # Removing must name the item as CIPP knows it, not as the user typed it.
        assert plan_list(['Finance Team'], {'add': ['finance team'], 'remove': ['FINANCE TEAM']}) == ([], ['Finance Team'])
        assert plan_list(['Finance Team'], {'set': ['FINANCE team']}) == ([], [])

    def test_duplicates_are_collapsed_keeping_the_first_spelling(self):
        assert plan_list([], {'add': ['x@y.z', 'X@Y.Z', 'x@y.z']}) == (['x@y.z'], [])
        assert plan_list(['a'], {'remove': ['A', 'a']}) == ([], ['a'])
        assert plan_list(['old'], {'set': ['New', 'new', 'NEW']}) == (['New'], ['old'])

    def test_order_is_stable(self):
        assert plan_list(['z', 'y', 'x'], {'set': ['c', 'b', 'a']}) == (['c', 'b', 'a'], ['z', 'y', 'x'])

    def test_custom_identity(self):
        current = [{'id': 'G1', 'name': 'Finance'}, {'id': 'G2', 'name': 'Sales'}]

        def key(item):
            return item['id'].lower() if isinstance(item, dict) else item.lower()

        to_add, to_remove = plan_list(current, {'set': ['g2', 'G3']}, key=key)
        assert to_add == ['G3']
        assert to_remove == [{'id': 'G1', 'name': 'Finance'}]

    def test_inputs_are_not_modified(self):
        current, wanted = ['A'], {'add': ['B', 'b'], 'remove': ['A']}
        plan_list(current, wanted)
        assert current == ['A'] and wanted == {'add': ['B', 'b'], 'remove': ['A']}


# ================================================================================== normalise / same

class TestNormalise:

    @pytest.mark.parametrize('value, expected', [
        (None, None), ('', None), ('   ', None), (' Jane ', 'Jane'), ([], None), ([None, '', ' '], None),
        (['b', 'A', ' a '], ['a', 'b']), ((' X ', 'y'), ['x', 'y']), (0, 0), (False, False), ({'k': 'v'}, {'k': 'v'}),
        ([3, 1, 2], [1, 2, 3]),
    ])
    def test_normalise(self, value, expected):
        assert normalise(value) == expected

    @pytest.mark.parametrize('current, wanted', [
        (None, ''), ('', None), (' Accountant ', 'Accountant'), (['a@x.com', 'B@x.com'], ['b@X.com', 'A@x.com']),
        ([], None), (['a', 'a'], ['a']), (True, True), (5, 5),
    ])
    def test_same(self, current, wanted):
        assert same(current, wanted)

    @pytest.mark.parametrize('current, wanted', [
        ('Accountant', 'accountant'), ('A', 'B'), (None, 'x'), (['a'], ['a', 'b']), (False, None), (0, None),
        (True, False),
    ])
    def test_not_same(self, current, wanted):
        assert not same(current, wanted)

    def test_case_insensitive_comparison_when_asked(self):
        assert same('JDoe@Contoso.com', 'jdoe@contoso.com ', case_sensitive=False)
        assert not same('JDoe@Contoso.com', 'jdoe@contoso.com')

    def test_make_diff_copies(self):
        before = {'groups': ['a']}
        diff = make_diff(before, {'groups': ['a', 'b']})
        before['groups'].append('changed later')
        assert diff == {'before': {'groups': ['a']}, 'after': {'groups': ['a', 'b']}}


# ================================================================================== masking

class TestMasking:

    @pytest.mark.parametrize('key', ['password', 'Password', 'newPassword', 'client_secret', 'access_token', 'copyField',
                                     'Authorization', 'temporaryAccessPass', 'tap', 'TAP', 'pwd'])
    def test_secret_keys(self, key):
        assert is_secret_key(key)

    @pytest.mark.parametrize('key', ['displayName', 'tapEnabled', 'id', None, 3])
    def test_not_secret_keys(self, key):
        assert not is_secret_key(key)

    @pytest.mark.parametrize('text, secret', [
        ('Successfully reset the password for Jane, j@x.com. User must change password is set to True. '
         'The new password is Xy7$kL9!pQ', 'Xy7$kL9!pQ'),
        ('Password: Qw3rty!Zx9', 'Qw3rty!Zx9'),
        ('The TAP for j@x.com is Kp8#mZ2qR9 - This TAP is usable for the next 60 minutes', 'Kp8#mZ2qR9'),
        ('Authorization: Bearer eyJ0eXAiOiJKV1Qi.eyJhdWQiOiJhcGk.c2ln', 'eyJ0eXAiOiJKV1Qi.eyJhdWQiOiJhcGk.c2ln'),
        ('The password has been set to Abc-123-def', 'Abc-123-def'),
    ])
    def test_cipp_secret_phrases_are_masked(self, text, secret):
        masked = mask_text(text)
        assert secret not in masked
        assert MASK in masked

    @pytest.mark.parametrize('text', [
        'The new password is Abc123!xyz\nUser must change password: True',
        'Created New User.\nPassword: Abc123!xyz',
    ])
    def test_secret_phrases_are_masked_on_any_line(self, text):
        assert 'Abc123!xyz' not in mask_text(text)

    def test_tap_phrase_keeps_the_rest_of_the_text(self):
        masked = mask_text('The TAP for j@x.com is Kp8#mZ2qR9 - This TAP is usable for the next 60 minutes')
        assert masked == 'The TAP for j@x.com is %s - This TAP is usable for the next 60 minutes' % MASK

    def test_known_secrets_are_masked_anywhere(self):
        assert mask_text('a s3cr3t-value b s3cr3t-value', ['s3cr3t-value']) == 'a %s b %s' % (MASK, MASK)

    def test_very_short_known_values_are_not_masked(self):
        # Masking 'a' or '1' everywhere would destroy every text; real secrets are long.
        assert mask_text('a b c 123', ['a', '12', '']) == 'a b c 123'

    def test_texts_without_secrets_are_unchanged(self):
        assert mask_text('Successfully disabled jdoe@contoso.com') == 'Successfully disabled jdoe@contoso.com'
        assert mask_text(None) is None and mask_text('') == ''

    def test_redact_masks_secret_keys_and_texts_deeply_without_touching_the_input(self):
        value = {'password': 'p@ss-word', 'user': {'copyField': 'tap-1234', 'ok': 'fine'},
                 'lines': ['The new password is Zz9!zz9Zz', 'plain'], 'Authorization': 'Bearer abcdefgh',
                 'MustChangePassword': True, 'passwordEmpty': '', 'tokenNone': None, 'count': 3,
                 'other': 'uses k3y-value-99'}
        result = redact(value, ['k3y-value-99'])
        assert result == {'password': MASK, 'user': {'copyField': MASK, 'ok': 'fine'},
                          'lines': ['The new password is %s' % MASK, 'plain'], 'Authorization': MASK,
                          'MustChangePassword': True, 'passwordEmpty': '', 'tokenNone': None, 'count': 3,
                          'other': 'uses %s' % MASK}
        assert value['password'] == 'p@ss-word' and value['user']['copyField'] == 'tap-1234'

    def test_redact_recurses_into_containers_under_secret_keys(self):
        # A container under a secret-looking key (passwordProfile) is walked, not blanked.
        result = redact({'passwordProfile': {'password': 'x1y2z3w4', 'forceChangePasswordNextSignIn': True}})
        assert result == {'passwordProfile': {'password': MASK, 'forceChangePasswordNextSignIn': True}}


# ================================================================================== small parsers

class TestParsers:

    def test_email_addresses(self):
        assert email_addresses('"Jane" [SMTP:jane@contoso.com]') == ['jane@contoso.com']
        assert email_addresses(['smtp:a@x.com', 'b.o\'neil@y.co.uk text']) == ['a@x.com', "b.o'neil@y.co.uk"]
        assert email_addresses(None) == [] and email_addresses('') == []

    def test_outside(self):
        assert outside(['a@contoso.com', 'b@EVIL.net', 'c@Contoso.com'], {'contoso.com'}) == ['b@EVIL.net']

    @pytest.mark.parametrize('text, expected', [
        ('2026-03-26T09:06:25.7304935+00:00', datetime.datetime(2026, 3, 26, 9, 6, 25, 730493, datetime.timezone.utc)),
        ('2026-03-26T09:06:25Z', datetime.datetime(2026, 3, 26, 9, 6, 25, 0, datetime.timezone.utc)),
        ('2026-03-26', datetime.datetime(2026, 3, 26, tzinfo=datetime.timezone.utc)),
        ('2026-03-26T11:06:25+02:00', datetime.datetime(2026, 3, 26, 9, 6, 25, 0, datetime.timezone.utc)),
        ('2026-03-26T04:06:25-0500', datetime.datetime(2026, 3, 26, 9, 6, 25, 0, datetime.timezone.utc)),
    ])
    def test_parse_datetime(self, text, expected):
        assert parse_datetime(text) == expected

    @pytest.mark.parametrize('text', ['', None, 'yesterday', '2026-13-01', '2026-02-30T00:00:00Z'])
    def test_parse_datetime_rejects(self, text):
        assert parse_datetime(text) is None

    @pytest.mark.parametrize('value, expected', [
        (1796115600, 1796115600), ('1796115600', 1796115600), (1796115600.9, 1796115600), ('1796115600.5', 1796115600),
        ('2026-12-01T09:00:00Z', 1796115600), ('2026-12-01T10:00:00+01:00', 1796115600), (None, None), ('', None),
    ])
    def test_to_epoch(self, value, expected):
        assert to_epoch(value, 'start_time') == expected

    @pytest.mark.parametrize('value', [True, 'tomorrow', '01/12/2026'])
    def test_to_epoch_rejects_naming_the_option(self, value):
        with pytest.raises(CippConfigError) as caught:
            to_epoch(value, 'scheduled_time')
        assert 'scheduled_time' in caught.value.message
        assert 'ISO 8601' in caught.value.message
