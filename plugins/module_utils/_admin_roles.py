# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Directory (admin) roles a user holds, and taking them away (ExecRemoveAdminRole).

Roles are read from the user's memberOf (the same read as its groups). That read lists directoryRole objects: the
roles assigned tenant-wide and active. Eligible (PIM) assignments, roles scoped to an administrative unit and custom
roles are not directoryRole members there, so they are neither seen nor removed (CIPP's ExecRemoveAdminRole cannot
remove custom roles either: its source says so).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.module_utils import _api_users as users_api
from ansible_collections.msp.cipp.plugins.module_utils._converge import confirm, write_verified


def held_roles(client, tenant, user_id):
    """The directory roles the user holds: ``[{id, name, role_template_id}]``."""
    return users_api.user_memberships(client, tenant, user_id)[1]


def role_names(roles):
    return sorted(str(role.get('name') or role.get('id')) for role in roles)


def remove_admin_roles(client, tenant, user, roles=None):
    """Take ``user`` out of every directory role it holds (``roles``: already read, or None to read them).

    One ExecRemoveAdminRole call per role (CIPP takes one role per call). A lost answer is settled by re-reading the
    roles (never sent twice); after CIPP's answers the roles are re-read with a short bounded wait, and the call fails
    when one is still held. In check mode nothing is sent and the plan is returned.
    Returns ``{changed, before, after, removed}``: role names before and after, and the names taken away.
    """
    if roles is None:
        roles = held_roles(client, tenant, user['id'])
    outcome = {'changed': bool(roles), 'before': role_names(roles), 'after': [], 'removed': role_names(roles)}
    if not roles:
        return outcome

    def still_held():
        return set(role['id'] for role in held_roles(client, tenant, user['id']))

    for role in roles:
        write_verified(client, lambda role=role: users_api.remove_admin_role(client, tenant, user, role),
                       applied=lambda role=role: role['id'] not in still_held())
    confirm(client, lambda: not (still_held() & set(role['id'] for role in roles)), 'ExecRemoveAdminRole',
            'the removal of %s from %s' % (', '.join(outcome['removed']), user.get('userPrincipalName')))
    return outcome
