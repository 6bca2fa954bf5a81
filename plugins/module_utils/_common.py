# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pieces every resource shares: masking secrets, the list contract, normalising and diffing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import re

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError

MASK = '********'

# Bounds on what one task may carry, set by us (not CIPP's or Microsoft's limits): a list or message beyond them is
# almost certainly a templating mistake (a whole file or inventory pasted in), and CIPP would try to send it.
MAX_LIST_ITEMS = 500
MAX_MESSAGE_CHARS = 65536

# Top-level result key a resource uses to name the keys that carry a secret the user asked for
# (return_password, return_secret); everything else is masked on the way out.
RETURNED_SECRETS = '_returned_secrets'

# Keys whose values are secrets wherever they appear (request bodies, CIPP responses, results).
# Whole key names only: Graph has harmless keys such as passwordPolicies or refreshTokensValidFromDateTime.
_SECRET_KEY = re.compile(r'^(password|new_?password|client_?secret|secret|access_?token|refresh_?token|id_?token|token|'
                         r'copyfield|authorization|temporaryaccesspass|tap|pwd|pass)$', re.IGNORECASE)

# CIPP puts generated secrets inside its result texts (CONTRACT 5.1, 5.3, 5.20, 5.25); any line of a text.
_SECRET_TEXT = (
    re.compile(r'(The new password is )([^\n]+)', re.IGNORECASE),
    re.compile(r'(The password has been set to )([^\n]+)', re.IGNORECASE),
    re.compile(r'(^[ \t]*Password: )([^\n]+)', re.IGNORECASE | re.MULTILINE),
    re.compile(r'(The TAP for \S+ is )(\S+)', re.IGNORECASE),
    re.compile(r'(Bearer )([A-Za-z0-9\-._~+/]+=*)'),
)


def is_secret_key(key):
    return isinstance(key, str) and bool(_SECRET_KEY.search(key))


def mask_text(text, known_secrets=()):
    """``text`` with CIPP's secret-bearing phrases and every known secret value masked."""
    if not isinstance(text, str) or not text:
        return text
    for secret in known_secrets:
        if secret and len(secret) >= 4 and secret in text:
            text = text.replace(secret, MASK)
    for pattern in _SECRET_TEXT:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


def redact(value, known_secrets=()):
    """A deep copy of ``value`` with secret keys and secret texts masked. Booleans are kept."""
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if is_secret_key(key) and item not in (None, '', True, False) and not isinstance(item, (dict, list)):
                result[key] = MASK
            else:
                result[key] = redact(item, known_secrets)
        return result
    if isinstance(value, (list, tuple)):
        return [redact(item, known_secrets) for item in value]
    if isinstance(value, str):
        return mask_text(value, known_secrets)
    return value


# ---------------------------------------------------------------------------------------------
# The list contract: {add: [...], remove: [...], set: [...]}; `set` wins; `set: []` empties.
# ---------------------------------------------------------------------------------------------

LIST_CONTRACT_SPEC = dict(
    type='dict',
    options=dict(
        add=dict(type='list', elements='str'),
        remove=dict(type='list', elements='str'),
        set=dict(type='list', elements='str'),
    ),
)


def plan_list(current, wanted, key=lambda item: item.lower()):
    """Compare a current list with a list-contract dict.

    ``current`` and the wanted items must already be resolved to the same identity (ids, lower-case
    names...). Returns ``(to_add, to_remove)``, each without duplicates, in a stable order.
    """
    if not wanted:
        return [], []
    current_keys = dict((key(item), item) for item in current)
    if wanted.get('set') is not None:
        target = _unique(wanted['set'], key)
        target_keys = set(key(item) for item in target)
        to_add = [item for item in target if key(item) not in current_keys]
        to_remove = [item for k, item in current_keys.items() if k not in target_keys]
        return to_add, to_remove
    to_add = [item for item in _unique(wanted.get('add') or [], key) if key(item) not in current_keys]
    to_remove = [current_keys[key(item)] for item in _unique(wanted.get('remove') or [], key) if key(item) in current_keys]
    return to_add, to_remove


def _unique(items, key):
    seen = set()
    result = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            result.append(item)
    return result


# ---------------------------------------------------------------------------------------------
# Normalising and comparing values the way Graph stores them.
# ---------------------------------------------------------------------------------------------

def normalise(value):
    """None and '' are the same absence; strings are stripped; lists compare as sorted lower-case sets."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, (list, tuple)):
        items = [normalise(item) for item in value]
        items = [item for item in items if item is not None]
        if not items:
            return None
        return sorted(set(item.lower() if isinstance(item, str) else item for item in items), key=str)
    return value


def same(current, wanted, case_sensitive=True):
    left, right = normalise(current), normalise(wanted)
    if not case_sensitive and isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    return left == right


def make_diff(before, after):
    """Ansible's diff dict; both sides are deep copies, so later changes do not leak in."""
    return {'before': copy.deepcopy(before), 'after': copy.deepcopy(after)}


_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def email_addresses(value):
    """Every e-mail address inside a string or list (EXO writes recipients as '"Name" [SMTP:a@b.c]')."""
    if not value:
        return []
    found = []
    for item in value if isinstance(value, list) else [value]:
        found.extend(_EMAIL.findall(str(item)))
    return found


def outside(addresses, domains):
    """The addresses whose domain is not one of ``domains`` (lower-case names)."""
    return [address for address in addresses if address.split('@', 1)[1].lower() not in domains]


def lower(value):
    return value.lower() if isinstance(value, str) else value


_ISO = re.compile(r'^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$', re.IGNORECASE)


def parse_datetime(text):
    """An aware datetime from ISO 8601 as Graph and .NET write it (7 fractional digits, Z), or None."""
    match = _ISO.match(str(text or '').strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or '0')[:6].ljust(6, '0'))
    if zone is None or zone.upper() == 'Z':
        tz = datetime.timezone.utc
    else:
        sign = -1 if zone[0] == '-' else 1
        digits = zone[1:].replace(':', '')
        tz = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro, tz)
    except ValueError:
        return None


def to_epoch(value, option):
    """Epoch seconds from epoch seconds (int or digits) or an ISO 8601 date-time; CIPP wants epoch seconds."""
    if value is None or value == '':
        return None
    if isinstance(value, bool):
        raise _config_error(option, value)
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    if re.match(r'^\d+(\.\d+)?$', text):
        return int(float(text))
    parsed = parse_datetime(text)
    if parsed is None:
        raise _config_error(option, value)
    return int(parsed.timestamp())


def _config_error(option, value):
    return CippConfigError('%s must be epoch seconds or an ISO 8601 date-time such as 2026-12-01T09:00:00Z, got %r' % (option, value))


def check_bounded(value, option, limit=None):
    """Fail naming ``option`` when a list has more than ``limit`` items or a text more than MAX_MESSAGE_CHARS."""
    if isinstance(value, (list, tuple)):
        limit = limit or MAX_LIST_ITEMS
        if len(value) > limit:
            raise CippConfigError('%s has %d entries; at most %d are accepted in one task (split the list).' % (option, len(value), limit))
    elif isinstance(value, str) and len(value) > (limit or MAX_MESSAGE_CHARS):
        raise CippConfigError('%s is %d characters long; at most %d are accepted.' % (option, len(value), limit or MAX_MESSAGE_CHARS))
