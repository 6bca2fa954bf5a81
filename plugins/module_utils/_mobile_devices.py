# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A mailbox's mobile devices (Exchange ActiveSync and Outlook mobile partnerships): read and remove.

Interface for other resources (cipp_mailbox, cipp_user_info, offboarding)::

    devices_of(client, tenant, user) -> [CIPP's ListMailboxMobileDevices rows]
        ``Guid``, ``deviceID``, ``deviceFriendlyName``, ``deviceModel``, ``deviceOS``, ``deviceType``, ``clientType``,
        ``deviceAccessState``, ``status``, ``firstSync``, ``lastSyncAttempt``, ``lastSuccessSync``. ``user`` is a
        ListUsers row (require_user). An Exchange failure (no mailbox included) raises CippServerError (HTTP 403).

    remove_devices(client, tenant, user, devices=None, check_mode=False)
        -> {'changed': bool, 'removed': [rows], 'diff': {'before': [labels], 'after': [labels]}}
        Removes every device of the mailbox (``devices=None``: what offboarding wants for a leaver) or those whose
        ``Guid`` or ``deviceID`` is in ``devices``; a listed device that is not there is already absent. One
        ExecMailboxMobileDevices per device, then a re-read of the devices with a bounded wait; raises
        CippResultError naming the devices still there. In check mode nothing is sent.

Removing a device ends its partnership with the mailbox; the device syncs again only if it is allowed to and set up
anew. CIPP offers no remote wipe of Exchange mobile devices (no ``Clear-MobileDevice`` anywhere in CIPP-API), so this
collection offers none either.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.module_utils import _api_exchange as exchange
from ansible_collections.msp.cipp.plugins.module_utils._common import make_diff
from ansible_collections.msp.cipp.plugins.module_utils._converge import confirm, write_verified


def devices_of(client, tenant, user):
    """See the module docstring."""
    return exchange.mobile_devices(client, tenant, user['userPrincipalName'])


def label(device):
    return '%s (%s)' % (device.get('deviceFriendlyName') or 'Unknown', device.get('Guid'))


def _guids(devices):
    return set(str(device.get('Guid')).lower() for device in devices)


def remove_devices(client, tenant, user, devices=None, check_mode=False):
    """See the module docstring."""
    upn = user['userPrincipalName']
    current = devices_of(client, tenant, user)
    wanted = None if devices is None else set(str(item).lower() for item in devices)
    targets = [device for device in current
               if wanted is None or str(device.get('Guid')).lower() in wanted or str(device.get('deviceID') or '').lower() in wanted]
    target_guids = _guids(targets)

    def still_there():
        return _guids(devices_of(client, tenant, user)) & target_guids

    for device in targets:
        guid = device['Guid']
        if check_mode and not getattr(client, 'check_mode', False):
            continue  # never send in check mode, whatever client the caller passed
        write_verified(client, lambda guid=guid: exchange.remove_mobile_device(client, tenant, upn, guid),
                       lambda guid=guid: str(guid).lower() not in _guids(devices_of(client, tenant, user)))
    if targets and not check_mode:
        left = [label(device) for device in targets]
        confirm(client, lambda: not still_there(), 'ExecMailboxMobileDevices', 'the removal of %s from %s' % (', '.join(left), upn))
    kept = [device for device in current if str(device.get('Guid')).lower() not in target_guids]
    return {'changed': bool(targets), 'removed': targets,
            'diff': make_diff(sorted(label(d) for d in current), sorted(label(d) for d in kept))}
