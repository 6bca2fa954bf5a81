# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files we write on the controller (_files.py): no symlink followed, nothing overwritten, 0600 in a directory of our
own, and names checked against traversal."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError
from ansible_collections.msp.cipp.plugins.module_utils._files import check_name, directory_problem, private_dir, write_private


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.parametrize('value', ['jdoe@contoso.com', "o'brien@contoso.com", 'INC-1234', 'CW#55', 'contoso.onmicrosoft.com',
                                   '7d3c0000-0000-4000-8000-000000000001', 'jos\u00e9@contoso.com'])
def test_names_of_upns_tickets_and_tenants_pass(value):
    assert check_name(value, 'x') == value


@pytest.mark.parametrize('value', ['', '..', '../../etc/cron.d/x', 'a/b', 'a\\b', '.hidden', '-rf', 'a..b', 'a\x00b', 'a\nb',
                                   'a b', 'a`b', 'a|b', 'a*b', '<b>', 'x' * 201, None, 42])
def test_traversal_and_markup_are_refused_naming_the_option(value):
    with pytest.raises(CippConfigError) as caught:
        check_name(value, 'bec_response_ticket')
    assert caught.value.message.startswith('bec_response_ticket ') and 'cannot be part of a file name' in caught.value.message


def test_a_new_directory_and_its_parents_are_0700_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        path = private_dir(str(tmp_path / 'a' / 'b' / 'handover'), 'handover_dir')
    finally:
        os.umask(old)
    for directory in (tmp_path / 'a', tmp_path / 'a' / 'b', tmp_path / 'a' / 'b' / 'handover'):
        assert mode_of(str(directory)) == 0o700
    assert path == str(tmp_path / 'a' / 'b' / 'handover')


@pytest.mark.parametrize('mode', [0o770, 0o707, 0o777, 0o1777])
def test_a_directory_others_may_write_to_is_refused_and_left_as_it_is(tmp_path, mode):
    directory = tmp_path / 'shared'
    directory.mkdir()
    os.chmod(str(directory), mode)
    with pytest.raises(CippConfigError) as caught:
        private_dir(str(directory), 'handover_dir')
    assert 'handover_dir' in caught.value.message and 'written by its group or by others' in caught.value.message
    assert mode_of(str(directory)) == mode
    with pytest.raises(CippConfigError):
        write_private(str(directory), 'x.txt', 'secret')
    assert os.listdir(str(directory)) == []


def test_a_readable_but_not_writable_directory_is_fine(tmp_path):
    directory = tmp_path / 'reports'
    directory.mkdir()
    os.chmod(str(directory), 0o750)
    assert private_dir(str(directory), 'x') == str(directory)
    assert mode_of(str(directory)) == 0o750


@pytest.mark.skipif(os.geteuid() != 0, reason='needs root to give a directory to another user')
def test_a_directory_of_another_user_is_refused(tmp_path):
    directory = tmp_path / 'theirs'
    directory.mkdir(mode=0o700)
    os.chown(str(directory), 65534, -1)
    assert 'belongs to another user' in directory_problem(str(directory))
    with pytest.raises(CippConfigError, match='belongs to another user'):
        write_private(str(directory), 'x.txt', 'secret')


def test_a_file_is_0600_even_with_umask_0(tmp_path):
    old = os.umask(0)
    try:
        path = write_private(str(tmp_path / 'out'), 'jdoe@contoso.com.txt', 'Password: x\n')
    finally:
        os.umask(old)
    assert mode_of(path) == 0o600
    with open(path) as handle:
        assert handle.read() == 'Password: x\n'


def test_an_existing_file_is_never_overwritten(tmp_path):
    first = write_private(str(tmp_path), 'report.json', 'one')
    second = write_private(str(tmp_path), 'report.json', 'two')
    third = write_private(str(tmp_path), 'report.json', 'three')
    assert [os.path.basename(p) for p in (first, second, third)] == ['report.json', 'report-2.json', 'report-3.json']
    with open(first) as handle:
        assert handle.read() == 'one'


def test_a_planted_symlink_is_not_followed(tmp_path):
    victim = tmp_path / 'victim'
    victim.write_text('keep me')
    out = tmp_path / 'out'
    out.mkdir(mode=0o700)
    os.symlink(str(victim), str(out / 'jdoe@contoso.com.txt'))
    os.symlink(str(tmp_path / 'dangling'), str(out / 'jdoe@contoso.com-2.txt'))
    path = write_private(str(out), 'jdoe@contoso.com.txt', 'secret')
    assert os.path.basename(path) == 'jdoe@contoso.com-3.txt'
    assert victim.read_text() == 'keep me' and not (tmp_path / 'dangling').exists()


@pytest.mark.parametrize('name', ['../x.txt', 'a/b.txt', '..', ''])
def test_write_private_takes_a_name_not_a_path(tmp_path, name):
    with pytest.raises(CippConfigError, match='is not a file name'):
        write_private(str(tmp_path / 'out'), name, 'x', option='evidence_path')


def test_a_symlink_to_a_directory_of_our_own_is_followed(tmp_path):
    target = tmp_path / 'real'
    target.mkdir(mode=0o700)
    os.symlink(str(target), str(tmp_path / 'link'))
    path = write_private(str(tmp_path / 'link'), 'a.txt', 'x')
    assert os.path.exists(str(target / 'a.txt')) and path.endswith('a.txt')
