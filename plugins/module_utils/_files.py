# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files msp.cipp writes on the controller: hand-over files (first credentials), evidence, reports.

They hold secrets or personal data, so:
  - a directory is used only when the running user owns it and nobody else may write to it (others could swap
    or plant files in it); one we create is 0700; one that exists is never chmod-ed, it is refused;
  - a file is created, never opened: O_CREAT|O_EXCL|O_NOFOLLOW, 0600, relative to the directory opened once, so
    a planted symlink or an existing file is never written through or overwritten. When the name is taken, the
    next free ``name-2.ext``, ``name-3.ext`` ... is used, and the caller reports the name actually written;
  - every value that becomes part of a file name (a UPN, a ticket, a tenant) is checked first (check_name).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError

# Letters and digits of any script, and the punctuation of UPNs, domains and ticket numbers. Nothing that separates
# paths, quotes in a shell or starts Markdown or HTML markup.
NAME_PUNCTUATION = "@._!#^~'+-"
NAME_MAX = 200
MAX_SUFFIX = 100


def check_name(value, option):
    """``value`` when it is safe as (part of) a file name, else a CippConfigError naming ``option``."""
    text = value if isinstance(value, str) else ''
    problem = None
    if not text:
        problem = 'is empty'
    elif len(text) > NAME_MAX:
        problem = 'is longer than %d characters' % NAME_MAX
    elif text.startswith(('.', '-')) or '..' in text:
        problem = "starts with '.' or '-', or holds '..'"
    elif any(not (char.isalnum() or char in NAME_PUNCTUATION) for char in text):
        problem = "holds characters other than letters, digits and %s" % ' '.join(NAME_PUNCTUATION)
    if problem:
        raise CippConfigError('%s %r cannot be part of a file name: it %s.' % (option, value, problem))
    return text


def directory_problem(path):
    """Why ``path`` (an existing directory, symlinks resolved) must not hold our files, or None."""
    try:
        info = os.stat(path)
    except OSError as exc:
        return 'cannot be read (%s)' % exc.strerror
    if not stat.S_ISDIR(info.st_mode):
        return 'is not a directory'
    if hasattr(os, 'geteuid') and info.st_uid != os.geteuid():
        return 'belongs to another user (uid %d)' % info.st_uid
    if info.st_mode & 0o022:
        return 'can be written by its group or by others (mode %04o)' % stat.S_IMODE(info.st_mode)
    return None


def private_dir(path, option, create=True):
    """The absolute path of a directory fit for our files: created 0700 (with any missing parents) when ``create``,
    refused, naming ``option``, when it exists but is not the running user's own, or others may write to it."""
    path = os.path.abspath(os.path.expanduser(path))
    if not os.path.lexists(path):
        if not create:
            return path
        _make_dirs(path)
    problem = directory_problem(path)
    if problem:
        raise CippConfigError('%s: %s %s; use a directory of your own that only you can write to (it is never chmod-ed '
                              'for you).' % (option, path, problem))
    return path


def _make_dirs(path):
    parent = os.path.dirname(path)
    if parent != path and not os.path.lexists(parent):
        _make_dirs(parent)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        return  # made by a parallel task in between; checked by the caller like any existing directory
    # mkdir applies the umask; ours is never looser than 0700, and a created directory we tighten ourselves.
    os.chmod(path, 0o700)


def write_private(directory, name, data, option='path'):
    """Create ``directory/name`` (or the next free ``name-N``) with ``data`` (bytes or text), 0600; return its path."""
    directory = private_dir(directory, option)
    if not name or name in ('.', '..') or '/' in name or '\0' in name:
        # A name, not a path: the directory is the one just checked, nothing above or below it.
        raise CippConfigError('%s: %r is not a file name.' % (option, name))
    if isinstance(data, str):
        data = data.encode('utf-8')
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0)
    dir_fd = os.open(directory, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0))
    try:
        stem, ext = os.path.splitext(name)
        for attempt in range(1, MAX_SUFFIX + 1):
            candidate = name if attempt == 1 else '%s-%d%s' % (stem, attempt, ext)
            try:
                descriptor = os.open(candidate, flags, 0o600, dir_fd=dir_fd)
            except FileExistsError:
                continue
            try:
                os.fchmod(descriptor, 0o600)  # the umask could only have made it stricter; this states it
                view = memoryview(data)
                while view:
                    view = view[os.write(descriptor, view):]
                os.fsync(descriptor)
            except Exception:
                os.close(descriptor)
                os.unlink(candidate, dir_fd=dir_fd)
                raise
            os.close(descriptor)
            return os.path.join(directory, candidate)
        raise CippConfigError('%s: %s and %d numbered variants of it already exist in %s; move old files away.'
                              % (option, name, MAX_SUFFIX - 1, directory))
    finally:
        os.close(dir_fd)


def replace_private(directory, name, data, option='path'):
    """Write ``directory/name`` with ``data``, 0600, replacing the file there (a report a later run rewrites): the data
    goes to a new private file first, which is then renamed over the name (a rename replaces a symlink there, it never
    follows it). Returns the path."""
    temporary = write_private(directory, '.%s.new' % name, data, option=option)
    target = os.path.join(os.path.dirname(temporary), name)
    os.replace(temporary, target)
    return target


def write_handover(directory, upn, kind, secret):
    """A first credential for its user: ``<directory>/<upn>.txt`` (or ``<upn>-2.txt`` ... when taken), created 0600 in a
    directory only we can write to. Returns the path written."""
    check_name(upn, 'user_principal_name')
    return write_private(directory, '%s.txt' % upn, 'User: %s\n%s: %s\n' % (upn, kind, secret), option='handover_dir')
