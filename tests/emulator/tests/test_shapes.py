"""Every List endpoint the emulator implements carries the keys, with the types, that a live CIPP returned.

The captured shapes live in ../shared/cipp-api/shapes (beside the repository). How a shape is read:
"string" / "number" / "bool" are that JSON type; "datetime" is an ISO-8601 string - a row may have null there (the capture
is one sample: a mailbox without forwarding has no ForwardingSmtpAddress), but at least one row must carry a value of that
type; "null" and "truncated" mean the captured row had null (or a value too deep to record), so the key must be present
with any value; a nested map without
"_type" is an object with those keys, or, for Graph collection properties such as assignedLicenses, a list whose
elements have them; {"_type": "array", "_element": X} is a list whose elements match X.
The capture unrolled one-element arrays (PowerShell does that in a pipeline), so a scalar type also accepts a list
whose elements all have that type: imAddresses is "string" in the capture and a list of strings in Graph, and so are
signInEventTypes, ListCustomRole's AllowedTenants and ListmailboxPermissions' SendAs rows.
"""

import json
import os
import re

import pytest

from conftest import SHAPES_DIR, Client

ISO = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}')
TENANT = 'contoso.com'


# Endpoints that need more than tenantFilter to return rows, and the role that may call them.
def _a_mailbox_user(cipp):
    return {'userId': cipp.call('ListMailboxes', params={'tenantFilter': TENANT})[1][0]['UPN']}


# ListPerUserMFA is called as the capture was made (tenantFilter only): that is the form with a list of states.
EXTRA_PARAMS = {'ListmailboxPermissions': _a_mailbox_user}
ROLE = {'ListCustomRole': 'admin'}


def shape_files():
    if not os.path.isdir(SHAPES_DIR):
        return []
    return sorted(name for name in os.listdir(SHAPES_DIR) if name.endswith('.json'))


def check(value, shape, path, problems, seen=None):
    if isinstance(shape, dict) and shape.get('_type') == 'array':
        if not isinstance(value, list):
            problems.append('%s: expected a list, got %r' % (path, type(value).__name__))
            return
        for index, item in enumerate(value[:5]):
            check(item, shape['_element'], '%s[]' % path, problems, seen)
        return
    if isinstance(shape, dict):
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items[:5]):
            if not isinstance(item, dict):
                problems.append('%s: expected an object (or a list of objects), got %r' % (path, type(item).__name__))
                continue
            for key, sub in shape.items():
                if key not in item:
                    problems.append('%s: missing key %s' % (path, key))
                else:
                    check(item[key], sub, '%s.%s' % (path, key), problems, seen)
        return
    if shape in ('null', 'truncated'):
        return
    if seen is not None:
        seen.setdefault((path, shape), False)
    if value is None or value == []:
        return
    if isinstance(value, list):  # an array the capture unrolled: every element must have the type
        for item in value:
            check(item, shape, '%s[]' % path, problems, None)
        if seen is not None:
            seen[(path, shape)] = True
        return
    if seen is not None:
        seen[(path, shape)] = True
    if shape == 'string' and not isinstance(value, str):
        problems.append('%s: expected string, got %r' % (path, value))
    elif shape == 'number' and (isinstance(value, bool) or not isinstance(value, (int, float))):
        problems.append('%s: expected number, got %r' % (path, value))
    elif shape == 'bool' and not isinstance(value, bool):
        problems.append('%s: expected bool, got %r' % (path, value))
    elif shape == 'datetime' and not (isinstance(value, str) and ISO.match(value)):
        problems.append('%s: expected an ISO-8601 date-time, got %r' % (path, value))


def internal_keys(value, path=''):
    """Every `_`-prefixed key at any depth (the emulator's bookkeeping must never leave the server)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).startswith('_'):
                found.append(path + str(key))
            found.extend(internal_keys(item, '%s%s.' % (path, key)))
    elif isinstance(value, list):
        for item in value:
            found.extend(internal_keys(item, path))
    return found


@pytest.mark.skipif(not os.path.isdir(SHAPES_DIR), reason='the captured shapes (../shared/cipp-api/shapes) are not beside the repository')
@pytest.mark.parametrize('filename', shape_files())
def test_list_endpoint_matches_the_captured_shape(cipp, filename):
    from cipp_emulator.registry import ENDPOINTS  # pylint: disable=import-error
    with open(os.path.join(SHAPES_DIR, filename)) as handle:
        captured = json.load(handle)
    name = captured['_metadata']['endpoint']
    if name.lower() not in ENDPOINTS:
        pytest.skip('%s is not implemented by the emulator' % name)
    params = dict({'tenantFilter': TENANT}, **(EXTRA_PARAMS[name](cipp) if name in EXTRA_PARAMS else {}))
    caller = Client(cipp.emu, ROLE[name]) if name in ROLE else cipp
    status, body, _ctype = caller.call(name, params=params)
    assert status == 200, (name, body)
    rows = body if isinstance(body, list) else [body]
    assert rows, '%s returned no rows to check' % name
    problems, seen = [], {}
    for index, row in enumerate(rows):
        check(row, captured['shape'], name, problems, seen)
        hidden = internal_keys(row)
        if hidden:
            problems.append('%s[%d] leaks internal keys %s' % (name, index, hidden))
    problems += ['%s: no row carries a %s value' % (path, kind) for (path, kind), found in sorted(seen.items()) if not found]
    problems = sorted(set(problems))
    assert not problems, '\n'.join(problems[:30])


def test_the_shapes_are_there_in_ci():
    """CI clones the repository with shared/ beside it; a missing shapes dir there would silently skip the shape tests."""
    if os.environ.get('CI') == 'true':
        assert shape_files(), 'no shape files at %s' % SHAPES_DIR
