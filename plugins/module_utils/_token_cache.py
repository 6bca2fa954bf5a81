# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A bearer-token cache shared by every task and fork of a run.

One JSON file per (token URL, client id, scope, hash of the client secret), in a 0700 directory,
written 0600 by atomic replace: a rotated or wrong secret never gets a token cached for the old one.
Only a directory and files of the running user, closed to everyone else, are used. Fetching a token
happens under an exclusive file lock, and the cache is read again once the lock is held, so twenty
forks starting together still ask the token endpoint once.

The same entry keeps the list of tenants CIPP manages (read before the first write of a run), so a
play reads ListTenants once per token rather than once per task. A new token starts without a list.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import stat
import tempfile
import time

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # pragma: no cover - not a POSIX controller; the cache still works, unlocked
    HAS_FCNTL = False

DISABLED_VALUES = ('off', 'false', 'no', 'none', 'disabled', '')

# Refresh this long before the token expires, so a long task never starts with a dying token.
REFRESH_MARGIN = 300
# The longest a tenant list is trusted (with a token it lives no longer than the token).
TENANTS_TTL = 3600


def _euid():
    return os.geteuid() if hasattr(os, 'geteuid') else None


def default_cache_dir():
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'msp.cipp', 'tokens')


def resolve_cache_dir(setting):
    """``None`` -> the default directory; an 'off'-like value -> no cache; anything else is a path."""
    if setting is None:
        return default_cache_dir()
    if str(setting).strip().lower() in DISABLED_VALUES:
        return None
    return os.path.expanduser(str(setting))


def _margin(lifetime):
    # Short-lived tokens (tests, unusual tenants) keep at least 4/5 of their life usable.
    return min(REFRESH_MARGIN, max(lifetime, 0) / 5.0)


class TokenCache:
    """File-backed cache; with ``directory=None`` it only remembers tokens in this process."""

    def __init__(self, directory):
        self.directory = directory
        # Why the directory is not used (then tokens live in memory only), for the task's warnings.
        self.problem = None
        self._memory = {}
        if directory and os.path.lexists(directory):
            self._check_dir()

    @staticmethod
    def key(token_url, client_id, scope, secret=None):
        """The entry's name: a hash, so neither the secret nor anything else readable ends up in a file name."""
        parts = [token_url or '', client_id or '', scope or '']
        if secret:
            parts.append(hashlib.sha256(secret.encode('utf-8')).hexdigest())
        return hashlib.sha256('\n'.join(parts).encode('utf-8')).hexdigest()[:40]

    def _path(self, key):
        return os.path.join(self.directory, key + '.json')

    def _check_dir(self):
        """Use only a directory of the running user's: another user's could read our tokens or hand us theirs."""
        info = os.stat(self.directory)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != _euid():
            self.problem = ('token_cache: %s is not a directory of the user running Ansible; tokens are kept in memory only '
                            '(one token request per task). Point CIPP_TOKEN_CACHE at a directory of your own.' % self.directory)
            self.directory = None
            return False
        if info.st_mode & 0o077:
            # Our own cache directory, made looser by someone (or an old umask): tighten it.
            os.chmod(self.directory, 0o700)
        return True

    def _ensure_dir(self):
        """True when the directory exists and may be used. Forks may create it at the same moment: exist_ok."""
        if not self.directory:
            return False
        os.makedirs(self.directory, 0o700, exist_ok=True)
        return self._check_dir()

    def get(self, key, now=None):
        """A still-fresh token for ``key``, or None."""
        now = time.time() if now is None else now
        entry = self._entry(key)
        if entry and entry.get('access_token') and entry.get('expires_at', 0) - _margin(entry.get('lifetime', 0)) > now:
            self._memory[key] = entry
            return entry['access_token']
        return None

    def _entry(self, key):
        entry = self._memory.get(key)
        if entry is None and self.directory:
            entry = self._read_file(key)
        return entry

    def _read_file(self, key):
        """The entry in the file, if the file is a plain file of ours that nobody else may read or write."""
        try:
            descriptor = os.open(self._path(key), os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0))
        except OSError:
            return None
        try:
            with os.fdopen(descriptor, 'r') as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode) or info.st_uid != _euid() or info.st_mode & 0o077:
                    return None  # planted, or readable by others: not a token we may trust (or keep using)
                entry = json.load(handle)
        except (IOError, OSError, ValueError):
            return None
        if not isinstance(entry, dict):
            return None
        return entry

    def get_tenants(self, key, api, now=None):
        """The cached tenant keys (a set) for the CIPP at ``api``, or None when there is no fresh list."""
        now = time.time() if now is None else now
        entry = self._entry(key) or {}
        record = entry.get('tenants')
        if not isinstance(record, dict) or record.get('api') != api or record.get('expires_at', 0) <= now:
            return None
        if entry.get('access_token') and entry.get('expires_at', 0) <= now:
            return None  # the token it came with has expired: so has the list
        self._memory[key] = entry
        return set(str(item) for item in record.get('keys') or [])

    def put_tenants(self, key, api, keys, now=None):
        """Keep ``keys`` with the entry's token (or on their own, for a token given by the user)."""
        now = time.time() if now is None else now
        with self.lock(key):
            # The file first: another fork may have stored a newer token since this process read it.
            entry = dict((self._read_file(key) if self.directory else None) or self._memory.get(key) or {})
            expires = now + TENANTS_TTL
            if entry.get('access_token'):
                expires = min(expires, entry.get('expires_at', 0))
            entry['tenants'] = {'api': api, 'keys': list(keys), 'expires_at': expires}
            self._store(key, entry)

    def put(self, key, access_token, lifetime, now=None):
        now = time.time() if now is None else now
        self._store(key, {'access_token': access_token, 'expires_at': now + lifetime, 'lifetime': lifetime})

    def _store(self, key, entry):
        self._memory[key] = entry
        if not self._ensure_dir():
            return
        fd, tmp_path = tempfile.mkstemp(prefix='.tmp-', dir=self.directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, 'w') as handle:
                json.dump(entry, handle)
            os.replace(tmp_path, self._path(key))
        except Exception:
            if os.path.exists(tmp_path):
                os.unlink(tmp_path)
            raise

    def invalidate(self, key, access_token):
        """Forget ``access_token`` (after a 401), unless another process already replaced it."""
        self._memory.pop(key, None)
        if not self.directory:
            return
        entry = self._read_file(key)
        if entry and entry.get('access_token') == access_token:
            try:
                os.unlink(self._path(key))
            except OSError:
                pass

    def lock(self, key):
        return _FileLock(os.path.join(self.directory, key + '.lock') if self.directory and HAS_FCNTL else None,
                         self._ensure_dir if self.directory else None)


class _FileLock:
    """Exclusive advisory lock; a no-op without a directory."""

    def __init__(self, path, prepare):
        self.path = path
        self.prepare = prepare
        self.fd = None

    def __enter__(self):
        if self.path and self.prepare():
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, 'O_NOFOLLOW', 0), 0o600)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
        return False
