# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cipp_mailbox_permission, cipp_user_info mailbox_access/mobile_devices and cipp_mailbox mobile_devices on the
emulator: results, idempotence, check mode, diff and the request log (both execution paths through cipp_env)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from test_security_modules import TENANT, _play, _tenant  # pylint: disable=import-error
from test_user_lifecycle import writes  # pylint: disable=import-error

SHARED = 'info@%s' % TENANT


def _holders(emulator, mailbox=SHARED):
    tenant = _tenant(emulator)
    user_id = next(u['id'] for u in tenant.users.values() if u['userPrincipalName'] == mailbox)
    return tenant.mailboxes[user_id]


def _newcomers(emulator, count=2):
    """Plain users holding no rights on the shared mailbox yet."""
    box = _holders(emulator)
    taken = set(p['User'].lower() for p in box['Permissions']) | set(t.lower() for t in box['SendAs'] + box['SendOnBehalf'])
    found = [u for u in _tenant(emulator).users.values() if u['userType'] == 'Member' and u['id'] in _tenant(emulator).mailboxes
             and u['userPrincipalName'].lower() not in taken and u['userPrincipalName'] != SHARED and not u.get('_compromised')]
    assert len(found) >= count
    return [u['userPrincipalName'] for u in found[:count]]


def test_grant_then_remove_is_idempotent_with_check_mode_and_diff(run_playbook, cipp_env, emulator):
    first, second = _newcomers(emulator)
    grant = {'msp.cipp.cipp_mailbox_permission': {'tenant': TENANT, 'mailbox': SHARED, 'trustees': [first, second],
                                                  'rights': ['full_access', 'send_as'], 'automap': False}}
    remove = {'msp.cipp.cipp_mailbox_permission': {'tenant': TENANT, 'mailbox': SHARED, 'trustees': [first],
                                                   'rights': ['full_access', 'send_as', 'send_on_behalf'], 'state': 'absent'}}
    run = run_playbook(_play(dict(grant, name='Preview', check_mode=True, diff=True), dict(grant, name='Grant', diff=True),
                             dict(grant, name='Grant again'), dict(remove, name='Remove'), dict(remove, name='Remove again')),
                       env=cipp_env)
    assert run.rc == 0, run.output
    preview = run.result('Preview')
    assert preview['changed'] and preview['diff'] == {'before': {first: [], second: []},
                                                      'after': {first: ['full_access', 'send_as'], second: ['full_access', 'send_as']}}
    assert [c['endpoint'] for c in preview['cipp_calls'] if c.get('write')] == ['ExecEditMailboxPermissions']
    assert run.result('Grant')['changed'] and len(run.result('Grant')['granted']) == 4
    assert not run.result('Grant again')['changed']
    assert run.result('Remove')['removed'] == [{'trustee': first, 'right': 'full_access'}, {'trustee': first, 'right': 'send_as'}]
    assert not run.result('Remove again')['changed']
    sent = writes(run.emulator_log())
    assert [entry['endpoint'] for entry in sent] == ['ExecEditMailboxPermissions', 'ExecEditMailboxPermissions']
    assert sent[0]['params']['AddFullAccessNoAutoMap'] == {'value': [first, second]} and 'AddFullAccess' not in sent[0]['params']
    assert sent[1]['params']['RemoveSendAs'] == {'value': [first]} and 'RemoveSendOnBehalf' not in sent[1]['params']
    box = _holders(emulator)
    assert [p['_automap'] for p in box['Permissions'] if p['User'] == second] == [False]
    assert second in box['SendAs'] and first not in box['SendAs'] and not any(p['User'] == first for p in box['Permissions'])


def test_unknown_or_malformed_names_fail_before_any_write(run_playbook, cipp_env, emulator):
    first, = _newcomers(emulator, 1)
    base = {'tenant': TENANT, 'mailbox': SHARED, 'trustees': [first], 'rights': ['send_as']}
    run = run_playbook(_play(
        {'name': 'Unknown trustee', 'ignore_errors': True,
         'msp.cipp.cipp_mailbox_permission': dict(base, trustees=[first, 'ghost@%s' % TENANT])},
        {'name': 'Unknown mailbox', 'ignore_errors': True, 'msp.cipp.cipp_mailbox_permission': dict(base, mailbox='nobody@%s' % TENANT)},
        {'name': 'Malformed trustee', 'ignore_errors': True, 'msp.cipp.cipp_mailbox_permission': dict(base, trustees=['jdoe'])},
        {'name': 'Bad right', 'ignore_errors': True, 'msp.cipp.cipp_mailbox_permission': dict(base, rights=['owner'])}), env=cipp_env)
    assert run.rc == 0, run.output
    assert 'trustees: no user or mailbox ghost@%s' % TENANT in run.result('Unknown trustee')['msg']
    assert 'mailbox: no user or mailbox nobody@%s' % TENANT in run.result('Unknown mailbox')['msg']
    assert "trustees must be" in run.result('Malformed trustee')['msg'] and "'jdoe'" in run.result('Malformed trustee')['msg']
    assert 'rights' in run.result('Bad right')['msg'] and 'owner' in run.result('Bad right')['msg']
    assert writes(run.emulator_log()) == []
    assert 'Traceback' not in run.stdout + run.stderr


def test_user_info_shows_mailbox_access_and_mobile_devices(run_playbook, cipp_env, emulator):
    holder = _holders(emulator)['Permissions'][0]['User']
    tenant = _tenant(emulator)
    phone_owner = next(tenant.users[uid] for uid, devices in tenant.mobile_devices.items() if devices)
    run = run_playbook(_play(
        {'name': 'Access', 'msp.cipp.cipp_user_info': {'tenant': TENANT, 'user': holder, 'include': ['mailbox_access']}},
        {'name': 'Devices', 'msp.cipp.cipp_user_info': {'tenant': TENANT, 'user': phone_owner['userPrincipalName'],
                                                        'include': ['mobile_devices']}}), env=cipp_env)
    assert run.rc == 0, run.output
    access = run.result('Access')['users'][0]['mailbox_access']
    box = _holders(emulator)
    expected = sorted(['FullAccess'] + [right for right in ('SendAs', 'SendOnBehalf') if holder in box[right]])
    assert {'mailbox': SHARED, 'rights': expected} in access
    devices = run.result('Devices')['users'][0]['mobile_devices']
    assert sorted(d['Guid'] for d in devices) == sorted(d['Guid'] for d in tenant.mobile_devices[phone_owner['id']])
    assert writes(run.emulator_log()) == []


def test_mobile_devices_removed_once_and_verified(run_playbook, cipp_env, emulator):
    tenant = _tenant(emulator)
    owner = next(tenant.users[uid] for uid, devices in tenant.mobile_devices.items() if devices)
    guids = [d['Guid'] for d in tenant.mobile_devices[owner['id']]]
    task = {'msp.cipp.cipp_mailbox': {'tenant': TENANT, 'user': owner['userPrincipalName'], 'mobile_devices': {'remove_all': True}}}
    run = run_playbook(_play(dict(task, name='Preview', check_mode=True, diff=True), dict(task, name='Remove'),
                             dict(task, name='Again'),
                             {'name': 'Both ways', 'ignore_errors': True,
                              'msp.cipp.cipp_mailbox': {'tenant': TENANT, 'user': owner['userPrincipalName'],
                                                        'mobile_devices': {'remove_all': True, 'remove': guids}}}), env=cipp_env)
    assert run.rc == 0, run.output
    preview = run.result('Preview')
    assert preview['changed'] and [d['Guid'] for d in preview['removed_devices']] == guids and preview['diff']['after'] == {'mobile_devices': []}
    assert tenant.mobile_devices[owner['id']] == []
    assert run.result('Remove')['actions'] == ['mobile_devices'] and not run.result('Again')['changed']
    assert run.result('Again')['removed_devices'] == []
    assert 'mobile_devices needs either remove' in run.result('Both ways')['msg']
    sent = writes(run.emulator_log())
    assert [(e['endpoint'], e['params']['guid'], e['params']['Delete']) for e in sent] == [('ExecMailboxMobileDevices', g, 'true') for g in guids]
    assert all(e['method'] == 'POST' for e in sent)
