"""Graph's eventual consistency, opt-in: a user just created or edited keeps showing its old state (or is absent) to
reads for a while, as Entra ID's replicas catch up. Off by default.

Control: ``POST /_emulator/consistency`` with ``{"reads": N}`` (the next N reads that would show the user still see the
old state), ``{"seconds": S}`` (for S seconds of emulator clock), or both (the lag ends when both are used up);
``{"reads": 0, "seconds": 0}`` or ``DELETE`` turns it off and forgets pending lags. ``GET`` shows the settings and the
users still lagging.

Writes that start a lag: AddUser (the new user is absent), EditUser (the old profile is shown). Reads that see the
lag: ListUsers (list and UserID) and ListGraphRequest on ``users`` / ``users/{id}`` and the user's sub-resources. A read
that shows (or hides) a lagging user counts one read for it. The tenant itself has the new state at once: every write
sees it (Graph routes writes to the primary).
"""

import copy

from .registry import CONTROL_HOOKS


def note_write(state, tenant, user_id, before):
    """Start (or restart) a lag for `user_id`; `before` is the user as it was (None: it did not exist)."""
    settings = state.consistency
    reads, seconds = int(settings.get('reads') or 0), float(settings.get('seconds') or 0)
    if reads <= 0 and seconds <= 0:
        return
    entry = tenant.stale.get(user_id)
    snapshot = entry['snapshot'] if entry else (copy.deepcopy(before) if before is not None else None)
    tenant.stale[user_id] = {'snapshot': snapshot, 'reads_left': reads, 'until': state.now() + seconds}


def _expired(state, entry):
    return entry['reads_left'] <= 0 and state.now() >= entry['until']


def visible_users(state, tenant):
    """tenant.users as a read sees it now: lagging users replaced by their old state or left out. Counts one read
    for each lagging user and forgets lags that are over."""
    if not tenant.stale:
        return tenant.users
    view = dict(tenant.users)
    for user_id, entry in list(tenant.stale.items()):
        if _expired(state, entry) or user_id not in tenant.users:
            del tenant.stale[user_id]
            continue
        entry['reads_left'] -= 1
        if entry['snapshot'] is None:
            view.pop(user_id, None)
        else:
            view[user_id] = entry['snapshot']
    return view


def find_visible(state, tenant, ident, finder):
    """A single-user read (users/{id}): `finder(users_dict, ident)` over what a read sees now."""
    return finder(visible_users(state, tenant), ident)


def consistency_hook(state, body=None, method='POST'):
    body = body if isinstance(body, dict) else {}
    with state.lock:
        if method == 'DELETE':
            state.consistency = {'reads': 0, 'seconds': 0.0}
        elif method != 'GET':
            state.consistency = {'reads': max(0, int(body.get('reads') or 0)), 'seconds': max(0.0, float(body.get('seconds') or 0))}
        if not state.consistency['reads'] and not state.consistency['seconds']:
            for tenant in state.tenants.values():
                tenant.stale = {}
        lagging = dict((tenant.default_domain, sorted(tenant.stale)) for tenant in state.tenants.values() if tenant.stale)
        return dict(state.consistency, lagging=lagging)


consistency_hook.wants_method = True
CONTROL_HOOKS['consistency'] = consistency_hook
