# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The on-disk token cache: directly, through CippClient, and across processes.

The cross-process test is the one that matters most in practice: Ansible forks one worker per host,
and every worker builds its own client. Eight processes released together against a slow fake token
endpoint must still produce exactly one token request.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import multiprocessing
import os
import stat
import sys

import pytest

from ansible_collections.msp.cipp.plugins.module_utils import _token_cache as token_cache_module
from ansible_collections.msp.cipp.plugins.module_utils._client import CippClient
from ansible_collections.msp.cipp.plugins.module_utils._token_cache import (
    REFRESH_MARGIN, TokenCache, default_cache_dir, resolve_cache_dir,
)

TENANT = 'contoso.onmicrosoft.com'
KEY = TokenCache.key('https://login.example/t/oauth2/v2.0/token', 'client-id', 'api://client-id/.default')
NOW = 1800000000.0


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def cache_files(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith('.json'))


# ================================================================================== TokenCache itself

class TestTokenCache:

    def test_key_depends_on_url_client_and_scope(self):
        base = TokenCache.key('u', 'c', 's')
        assert base == TokenCache.key('u', 'c', 's')
        assert len({base, TokenCache.key('u2', 'c', 's'), TokenCache.key('u', 'c2', 's'), TokenCache.key('u', 'c', 's2')}) == 4
        # The key names a file: no path separators or secrets in it.
        assert base.isalnum()

    def test_put_then_get_in_another_instance(self, tmp_path):
        directory = str(tmp_path / 'tokens')
        TokenCache(directory).put(KEY, 'tok-A', 3600, now=NOW)
        assert TokenCache(directory).get(KEY, now=NOW + 10) == 'tok-A'

    def test_file_is_0600_and_directory_0700(self, tmp_path):
        directory = str(tmp_path / 'a' / 'tokens')
        TokenCache(directory).put(KEY, 'tok-A', 3600)
        assert mode_of(directory) == 0o700
        [name] = cache_files(directory)
        assert mode_of(os.path.join(directory, name)) == 0o600

    def test_file_is_0600_even_with_a_permissive_umask(self, tmp_path):
        old = os.umask(0)
        try:
            directory = str(tmp_path / 'tokens')
            TokenCache(directory).put(KEY, 'tok-A', 3600)
        finally:
            os.umask(old)
        assert mode_of(directory) == 0o700
        assert mode_of(os.path.join(directory, KEY + '.json')) == 0o600

    def test_a_loose_existing_directory_is_tightened(self, tmp_path):
        directory = tmp_path / 'tokens'
        directory.mkdir()
        os.chmod(str(directory), 0o755)
        TokenCache(str(directory)).put(KEY, 'tok-A', 3600)
        assert mode_of(str(directory)) == 0o700

    def test_file_content(self, tmp_path):
        directory = str(tmp_path / 'tokens')
        TokenCache(directory).put(KEY, 'tok-A', 3600, now=NOW)
        with open(os.path.join(directory, KEY + '.json')) as handle:
            assert json.load(handle) == {'access_token': 'tok-A', 'expires_at': NOW + 3600, 'lifetime': 3600}

    def test_replace_is_atomic_a_failed_write_keeps_the_old_token(self, tmp_path):
        directory = str(tmp_path / 'tokens')
        TokenCache(directory).put(KEY, 'tok-A', 3600, now=NOW)
        # json.dump fails half-way through (object() is not serialisable): the old file must survive whole,
        # and the temporary file must not be left behind.
        with pytest.raises(TypeError):
            TokenCache(directory).put(KEY, object(), 3600, now=NOW)
        assert sorted(os.listdir(directory)) == [KEY + '.json']
        assert TokenCache(directory).get(KEY, now=NOW) == 'tok-A'

    def test_put_writes_a_temp_file_and_renames_it(self, tmp_path, monkeypatch):
        directory = str(tmp_path / 'tokens')
        renames = []
        real_replace = os.replace

        def spy(source, target):
            # At rename time the target does not exist yet (first put) and the source is complete JSON.
            with open(source) as handle:
                renames.append((os.path.dirname(source), os.path.basename(target), json.load(handle)['access_token']))
            real_replace(source, target)

        monkeypatch.setattr(token_cache_module.os, 'replace', spy)
        TokenCache(directory).put(KEY, 'tok-A', 3600)
        assert renames == [(directory, KEY + '.json', 'tok-A')]

    def test_expiry_margin(self, tmp_path):
        directory = str(tmp_path / 'tokens')
        TokenCache(directory).put(KEY, 'tok-A', 3600, now=NOW)
        expires = NOW + 3600
        assert TokenCache(directory).get(KEY, now=expires - REFRESH_MARGIN - 1) == 'tok-A'
        assert TokenCache(directory).get(KEY, now=expires - REFRESH_MARGIN + 1) is None
        assert TokenCache(directory).get(KEY, now=expires + 1) is None

    def test_short_lived_tokens_keep_four_fifths_of_their_life(self, tmp_path):
        directory = str(tmp_path / 'tokens')
        TokenCache(directory).put(KEY, 'tok-short', 100, now=NOW)
        assert TokenCache(directory).get(KEY, now=NOW + 79) == 'tok-short'
        assert TokenCache(directory).get(KEY, now=NOW + 81) is None

    def test_in_memory_entry_expires_too(self, tmp_path):
        cache = TokenCache(str(tmp_path / 'tokens'))
        cache.put(KEY, 'tok-A', 3600, now=NOW)
        assert cache.get(KEY, now=NOW + 3600 - REFRESH_MARGIN + 1) is None

    @pytest.mark.parametrize('content', ['', 'not json', '[]', '{"expires_at": 9999999999}', '{"access_token": ""}'])
    def test_a_damaged_file_is_a_miss_not_an_error(self, tmp_path, content):
        directory = tmp_path / 'tokens'
        directory.mkdir()
        (directory / (KEY + '.json')).write_text(content)
        assert TokenCache(str(directory)).get(KEY) is None

    def test_invalidate_removes_only_the_same_token(self, tmp_path):
        directory = str(tmp_path / 'tokens')
        TokenCache(directory).put(KEY, 'tok-new', 3600, now=NOW)
        stale = TokenCache(directory)
        # Another process already replaced the token this one got a 401 for: keep the new one.
        stale.invalidate(KEY, 'tok-old')
        assert TokenCache(directory).get(KEY, now=NOW) == 'tok-new'
        stale.invalidate(KEY, 'tok-new')
        assert cache_files(directory) == []
        assert TokenCache(directory).get(KEY, now=NOW) is None

    def test_invalidate_forgets_the_in_memory_copy(self, tmp_path):
        cache = TokenCache(str(tmp_path / 'tokens'))
        cache.put(KEY, 'tok-A', 3600, now=NOW)
        cache.invalidate(KEY, 'tok-A')
        assert cache.get(KEY, now=NOW) is None

    def test_memory_only_cache(self, tmp_path):
        cache = TokenCache(None)
        cache.put(KEY, 'tok-A', 3600, now=NOW)
        assert cache.get(KEY, now=NOW) == 'tok-A'
        assert TokenCache(None).get(KEY, now=NOW) is None
        with cache.lock(KEY):  # a no-op without a directory
            pass
        cache.invalidate(KEY, 'tok-A')
        assert cache.get(KEY, now=NOW) is None

    def test_lock_is_exclusive_between_processes(self, tmp_path):
        directory = str(tmp_path / 'tokens')
        cache = TokenCache(directory)
        context = multiprocessing.get_context('fork')
        result = context.Queue()
        with cache.lock(KEY):
            child = context.Process(target=_try_lock, args=(directory, result))
            child.start()
            assert result.get(timeout=10) == 'blocked'
        child.join(10)
        assert child.exitcode == 0

    def test_directory_created_by_another_process_in_between_is_fine(self, tmp_path, monkeypatch):
        directory = tmp_path / 'tokens'
        real_makedirs = os.makedirs

        def other_fork_wins(path, *args, **kwargs):
            # Replay the race deterministically: another fork creates the directory just before we do.
            if not os.path.isdir(path):
                real_makedirs(path, 0o700)
            return real_makedirs(path, *args, **kwargs)

        monkeypatch.setattr(token_cache_module.os, 'makedirs', other_fork_wins)
        TokenCache(str(directory)).put(KEY, 'tok-A', 3600)
        assert TokenCache(str(directory)).get(KEY) == 'tok-A'


def _try_lock(directory, result):
    """Child: try to take the lock without blocking; report whether the parent's lock held it off."""
    import fcntl
    fd = os.open(os.path.join(directory, KEY + '.lock'), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        result.put('blocked')
    else:
        result.put('acquired')
    finally:
        os.close(fd)


# ================================================================================== settings

class TestSettings:

    def test_default_directory_follows_xdg_cache_home(self, isolated_cache_home):
        assert default_cache_dir() == os.path.join(str(isolated_cache_home), 'msp.cipp', 'tokens')
        assert resolve_cache_dir(None) == default_cache_dir()

    @pytest.mark.parametrize('value', ['off', 'OFF', 'false', 'no', 'none', 'disabled', '', ' Off '])
    def test_off_like_values_disable_the_file(self, value):
        assert resolve_cache_dir(value) is None

    def test_a_path_is_expanded(self, monkeypatch, tmp_path):
        monkeypatch.setenv('HOME', str(tmp_path))
        assert resolve_cache_dir('~/cipp-tokens') == os.path.join(str(tmp_path), 'cipp-tokens')


# ================================================================================== through the client

class TestThroughTheClient:

    def test_reuse_across_clients_with_the_same_directory(self, cipp):
        first, second = cipp.client(), cipp.client()
        first.call('ListUsers', tenant=TENANT)
        second.call('ListUsers', tenant=TENANT)
        assert len(cipp.fake.token_requests) == 1
        assert second.token_requests == 0
        assert [request.bearer for request in cipp.fake.api_requests] == [cipp.fake.issued_tokens[0]] * 2

    def test_client_writes_the_cache_file_safely(self, cipp):
        cipp.client().call('ListUsers', tenant=TENANT)
        assert mode_of(cipp.token_dir) == 0o700
        [name] = cache_files(cipp.token_dir)
        path = os.path.join(cipp.token_dir, name)
        assert mode_of(path) == 0o600
        with open(path) as handle:
            entry = json.load(handle)
        assert entry['access_token'] == cipp.fake.issued_tokens[0]
        assert entry['lifetime'] == 3599
        # The cache holds the token, never the client secret.
        with open(path) as handle:
            assert cipp.client_secret not in handle.read()

    def test_different_clients_ids_do_not_share_tokens(self, cipp):
        cipp.client().call('ListUsers', tenant=TENANT)
        cipp.client(client_id='99999999-0000-4000-8000-000000000000').call('ListUsers', tenant=TENANT)
        assert len(cipp.fake.token_requests) == 2
        assert len(cache_files(cipp.token_dir)) == 2

    def test_token_close_to_expiry_is_not_used(self, cipp):
        client = cipp.client()
        key = client._cache_key()
        import time
        TokenCache(cipp.token_dir).put(key, 'tok-dying', 3600, now=time.time() - 3600 + REFRESH_MARGIN - 5)
        client.call('ListUsers', tenant=TENANT)
        assert len(cipp.fake.token_requests) == 1
        assert cipp.fake.api_requests[0].bearer == cipp.fake.issued_tokens[0]

    def test_fresh_cached_token_is_used_without_a_token_request(self, cipp):
        client = cipp.client()
        TokenCache(cipp.token_dir).put(client._cache_key(), 'tok-from-another-fork', 3600)
        client.call('ListUsers', tenant=TENANT)
        assert cipp.fake.token_requests == []
        assert cipp.fake.api_requests[0].bearer == 'tok-from-another-fork'

    def test_off_keeps_tokens_in_memory_only(self, cipp, isolated_cache_home):
        first, second = cipp.client(token_cache='off'), cipp.client(token_cache='off')
        first.call('ListUsers', tenant=TENANT)
        first.call('ListUsers', tenant=TENANT)
        second.call('ListUsers', tenant=TENANT)
        assert len(cipp.fake.token_requests) == 2  # one per client, none shared
        assert not os.path.exists(cipp.token_dir)
        assert not os.path.exists(str(isolated_cache_home))

    def test_default_directory_is_used_when_unset(self, cipp, isolated_cache_home):
        cipp.client(token_cache=None).call('ListUsers', tenant=TENANT)
        directory = os.path.join(str(isolated_cache_home), 'msp.cipp', 'tokens')
        assert len(cache_files(directory)) == 1
        assert mode_of(directory) == 0o700

    def test_401_invalidates_the_cached_token(self, cipp):
        client = cipp.client()
        client.call('ListUsers', tenant=TENANT)
        old = cipp.fake.issued_tokens[0]
        cipp.fake.reply('ListUsers', cipp.Reply(401, ''))
        client.call('ListUsers', tenant=TENANT)
        new = cipp.fake.issued_tokens[1]
        # The file now holds the new token, so the next fork does not start with the refused one.
        assert TokenCache(cipp.token_dir).get(client._cache_key()) == new != old

    def test_401_after_another_fork_refreshed_uses_that_token(self, cipp):
        client = cipp.client()
        client.call('ListUsers', tenant=TENANT)
        # Meanwhile another fork got a 401, refreshed and saved a new token.
        TokenCache(cipp.token_dir).put(client._cache_key(), 'tok-refreshed-elsewhere', 3600)
        cipp.fake.reply('ListUsers', cipp.Reply(401, ''))
        client.call('ListUsers', tenant=TENANT)
        # invalidate() must not delete the other fork's token, and this client picks it up: no token request.
        assert len(cipp.fake.token_requests) == 1
        assert cipp.fake.api_requests[-1].bearer == 'tok-refreshed-elsewhere'
        assert TokenCache(cipp.token_dir).get(client._cache_key()) == 'tok-refreshed-elsewhere'


# ================================================================================== concurrency

WORKERS = 8


def _worker(api_url, token_url, cache_dir, client_id, client_secret, barrier, results):
    """One 'fork': its own client, released at the same moment as the others, makes one API call."""
    try:
        client = CippClient(api_url=api_url, client_id=client_id, client_secret=client_secret, token_url=token_url,
                            token_cache=cache_dir, max_retries=0)
        barrier.wait(timeout=20)
        client.call('ListTenants')
        results.put(('ok', client.token_requests))
    except Exception as exc:  # reported to the parent, which fails the test with it
        results.put(('error', repr(exc)))


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='uses the fork start method')
def test_concurrent_processes_make_exactly_one_token_request(cipp):
    # A slow token endpoint keeps the first request open while the others arrive: without the lock
    # and the re-read under it, every process would ask for its own token.
    cipp.fake.token_delay = 0.4
    # The directory exists already (as after any earlier task); creating it concurrently is a separate
    # race, pinned deterministically by test_directory_created_by_another_process_in_between_is_fine.
    os.makedirs(cipp.token_dir, 0o700)
    context = multiprocessing.get_context('fork')
    barrier = context.Barrier(WORKERS)
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(cipp.fake.url, cipp.fake.token_url, cipp.token_dir, cipp.client_id,
                                                     cipp.client_secret, barrier, results))
               for _unused in range(WORKERS)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=30) for _unused in workers]
    for worker in workers:
        worker.join(10)
    assert [outcome[0] for outcome in outcomes] == ['ok'] * WORKERS, outcomes
    assert len(cipp.fake.token_requests) == 1
    assert sorted(outcome[1] for outcome in outcomes) == [0] * (WORKERS - 1) + [1]
    bearers = set(request.bearer for request in cipp.fake.api_requests)
    assert len(cipp.fake.api_requests) == WORKERS
    assert bearers == {cipp.fake.issued_tokens[0]}


# ================================================================================== the tenant list kept with the token

class TestTenantList:

    def test_kept_with_the_token_and_read_by_another_instance(self, tmp_path):
        directory = str(tmp_path / 'tokens')
        TokenCache(directory).put(KEY, 'tok-A', 3600, now=NOW)
        TokenCache(directory).put_tenants(KEY, 'https://cipp', ['contoso.com', 'id-1'], now=NOW)
        other = TokenCache(directory)
        assert other.get_tenants(KEY, 'https://cipp', now=NOW + 10) == {'contoso.com', 'id-1'}
        # The token is still there, untouched.
        assert other.get(KEY, now=NOW + 10) == 'tok-A'
        assert mode_of(os.path.join(directory, KEY + '.json')) == 0o600

    def test_another_api_url_does_not_use_the_list(self, tmp_path):
        cache = TokenCache(str(tmp_path))
        cache.put_tenants(KEY, 'https://cipp-a', ['contoso.com'], now=NOW)
        assert cache.get_tenants(KEY, 'https://cipp-b', now=NOW) is None

    def test_the_list_ends_with_its_token(self, tmp_path):
        directory = str(tmp_path)
        TokenCache(directory).put(KEY, 'tok-A', 600, now=NOW)
        TokenCache(directory).put_tenants(KEY, 'https://cipp', ['contoso.com'], now=NOW)
        assert TokenCache(directory).get_tenants(KEY, 'https://cipp', now=NOW + 599) == {'contoso.com'}
        assert TokenCache(directory).get_tenants(KEY, 'https://cipp', now=NOW + 601) is None

    def test_a_new_token_starts_without_a_list(self, tmp_path):
        directory = str(tmp_path)
        cache = TokenCache(directory)
        cache.put(KEY, 'tok-A', 3600, now=NOW)
        cache.put_tenants(KEY, 'https://cipp', ['contoso.com'], now=NOW)
        TokenCache(directory).put(KEY, 'tok-B', 3600, now=NOW + 10)
        assert TokenCache(directory).get_tenants(KEY, 'https://cipp', now=NOW + 20) is None

    def test_without_a_token_the_list_lives_at_most_the_ttl(self, tmp_path):
        cache = TokenCache(str(tmp_path))
        cache.put_tenants(KEY, 'https://cipp', ['contoso.com'], now=NOW)
        assert TokenCache(str(tmp_path)).get_tenants(KEY, 'https://cipp', now=NOW + token_cache_module.TENANTS_TTL - 1) == {'contoso.com'}
        assert TokenCache(str(tmp_path)).get_tenants(KEY, 'https://cipp', now=NOW + token_cache_module.TENANTS_TTL + 1) is None

    def test_a_401_forgets_the_list_with_the_token(self, tmp_path):
        directory = str(tmp_path)
        cache = TokenCache(directory)
        cache.put(KEY, 'tok-A', 3600, now=NOW)
        cache.put_tenants(KEY, 'https://cipp', ['contoso.com'], now=NOW)
        cache.invalidate(KEY, 'tok-A')
        assert TokenCache(directory).get_tenants(KEY, 'https://cipp', now=NOW) is None

    def test_memory_only_cache_keeps_the_list_in_the_process(self):
        cache = TokenCache(None)
        cache.put_tenants(KEY, 'https://cipp', ['contoso.com'], now=NOW)
        assert cache.get_tenants(KEY, 'https://cipp', now=NOW) == {'contoso.com'}


# ================================================================================== who may hand us a token

class TestCacheTrust:

    def test_the_key_depends_on_the_secret(self):
        base = TokenCache.key('u', 'c', 's', secret='secret-1')
        assert base != TokenCache.key('u', 'c', 's', secret='secret-2') and base != TokenCache.key('u', 'c', 's')
        assert 'secret' not in base

    def test_a_rotated_secret_does_not_get_the_old_token(self, cipp):
        first = cipp.client()
        first.call('ListUsers', tenant=TENANT)
        rotated = cipp.client(client_secret='the-rotated-secret')
        rotated.call('ListUsers', tenant=TENANT)
        assert len(cipp.fake.token_requests) == 2
        assert cipp.fake.token_requests[1].form['client_secret'] == 'the-rotated-secret'
        assert cipp.fake.api_requests[1].bearer == cipp.fake.issued_tokens[1]
        # The old secret still finds its own token.
        cipp.client().call('ListUsers', tenant=TENANT)
        assert len(cipp.fake.token_requests) == 2

    @pytest.mark.parametrize('mode', [0o640, 0o604, 0o666])
    def test_a_file_others_may_read_is_not_trusted(self, tmp_path, mode):
        directory = str(tmp_path / 'tokens')
        TokenCache(directory).put(KEY, 'tok-A', 3600, now=NOW)
        os.chmod(os.path.join(directory, KEY + '.json'), mode)
        assert TokenCache(directory).get(KEY, now=NOW) is None

    @pytest.mark.skipif(os.geteuid() != 0, reason='needs root to give a file to another user')
    def test_a_file_of_another_user_is_not_trusted(self, tmp_path):
        directory = str(tmp_path / 'tokens')
        TokenCache(directory).put(KEY, 'tok-A', 3600, now=NOW)
        os.chown(os.path.join(directory, KEY + '.json'), 65534, -1)
        assert TokenCache(directory).get(KEY, now=NOW) is None

    def test_a_symlinked_cache_file_is_not_followed(self, tmp_path):
        directory = tmp_path / 'tokens'
        directory.mkdir(mode=0o700)
        planted = tmp_path / 'planted.json'
        planted.write_text(json.dumps({'access_token': 'planted', 'expires_at': NOW + 3600, 'lifetime': 3600}))
        os.chmod(str(planted), 0o600)
        os.symlink(str(planted), str(directory / (KEY + '.json')))
        assert TokenCache(str(directory)).get(KEY, now=NOW) is None

    @pytest.mark.skipif(os.geteuid() != 0, reason='needs root to give a directory to another user')
    def test_a_directory_of_another_user_is_not_used_and_the_task_is_told(self, cipp, tmp_path):
        directory = tmp_path / 'theirs'
        directory.mkdir(mode=0o700)
        os.chown(str(directory), 65534, -1)
        client = cipp.client(token_cache=str(directory))
        client.call('ListUsers', tenant=TENANT)
        assert os.listdir(str(directory)) == []
        assert len(client.warnings) == 1 and 'not a directory of the user running Ansible' in client.warnings[0]
        assert stat.S_IMODE(os.stat(str(directory)).st_mode) == 0o700 and os.stat(str(directory)).st_uid == 65534
