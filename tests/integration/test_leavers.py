# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cipp_leavers: several leavers of a tenant offboarded in one task, their CIPP jobs side by side, with the same plan,
single job and verification per leaver as cipp_offboard, and a re-run that only reads, in a few calls for them all."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import urllib.request

from test_user_lifecycle import writes  # pylint: disable=import-error

TENANT = 'contoso.com'
STEPS = {'disable_sign_in': True, 'revoke_sessions': True, 'remove_groups': True, 'convert_to_shared': True, 'remove_mfa_methods': True}


def _leavers(emulator, count):
    tenant = next(t for t in emulator.state.tenants.values() if t.default_domain == TENANT)
    with emulator.state.lock:
        role_holders = set(member for role in tenant.roles.values() for member in role['_members'])
        people = sorted((u for u in tenant.users.values() if u['userType'] == 'Member' and not u.get('_compromised')
                         and not u.get('onPremisesSyncEnabled') and u['accountEnabled'] and u['id'] not in role_holders
                         and tenant.mailboxes.get(u['id'], {}).get('RecipientTypeDetails') == 'UserMailbox'),
                        key=lambda u: u['userPrincipalName'])
    assert len(people) >= count
    return tenant, people[:count]


def _play(leavers, **options):
    args = dict({'tenant': TENANT, 'leavers': leavers, 'poll_interval': 1, 'wait_timeout': 120}, **options)
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [{'name': 'Leavers', 'msp.cipp.cipp_leavers': args}]}]


def _top_level(log):
    """The HTTP calls the emulator received (a $batch once, not its sub-requests)."""
    return [entry for entry in log if not entry.get('batched') and entry.get('endpoint') not in ('token', None)]


def _control(emulator, method, path, body=None):
    request = urllib.request.Request('%s/_emulator/%s' % (emulator.url, path), method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec - loopback emulator only
        return response.read()


def test_six_leavers_are_offboarded_together_verified_and_a_rerun_only_reads(run_playbook, cipp_env, emulator, tmp_path):
    tenant, people = _leavers(emulator, 6)
    evidence = str(tmp_path / 'evidence')
    play = _play([dict(STEPS, user=u['userPrincipalName'], reference='T-%d' % n) for n, u in enumerate(people)], evidence_dir=evidence)

    first = run_playbook(play, env=cipp_env)
    assert first.rc == 0, first.output
    result = first.result('Leavers')
    assert result['changed'] is True and [o['user'] for o in result['leavers']] == [u['userPrincipalName'] for u in people]
    for outcome, person in zip(result['leavers'], people):
        states = dict((step['step'], step['state']) for step in outcome['steps'])
        # A leaver with no removable group or no MFA method had nothing to do there.
        assert states.pop('remove_groups') in ('done', 'skipped (already done)')
        assert states.pop('remove_mfa_methods') in ('done', 'skipped (already done)')
        assert states == {'revoke_sessions': 'done', 'disable_sign_in': 'done', 'convert_to_shared': 'done'}, (person['userPrincipalName'], states)
        assert tenant.users[person['id']]['accountEnabled'] is False
        assert tenant.mailboxes[person['id']]['RecipientTypeDetails'] == 'SharedMailbox'
        for suffix in ('-audit.json', '-offboarding-evidence.json', '-offboarding-evidence.json.sha256'):
            assert os.path.exists(os.path.join(evidence, person['userPrincipalName'] + suffix)), suffix
        assert oct(os.stat(os.path.join(evidence, person['userPrincipalName'] + '-audit.json')).st_mode & 0o777) == '0o600'
    log = first.emulator_log()
    sent = writes(log)
    assert sorted(entry['params']['user'][0]['value'] for entry in sent) == sorted(u['userPrincipalName'] for u in people)
    assert [entry['endpoint'] for entry in sent] == ['ExecOffboardUser'] * 6
    # The leavers and their plans' reads went out together; the scheduler was read for all leavers at once.
    assert [e for e in log if e.get('batched') and e['endpoint'] == 'ListUsers'], 'the leavers were not looked up together'
    scheduler_reads = [e for e in _top_level(log) if e['endpoint'] == 'ListScheduledItems' and e['params'].get('Type')]
    assert not [e for e in log if e['endpoint'] == 'ListScheduledItems' and e['params'].get('Id')]
    assert len(scheduler_reads) < 6 * 3, len(scheduler_reads)

    audit = {}
    for person in people:
        with open(os.path.join(evidence, person['userPrincipalName'] + '-audit.json')) as handle:
            audit[person['id']] = handle.read()
    before = len(log)
    again = run_playbook(play, env=cipp_env)
    assert again.rc == 0, again.output
    assert again.result('Leavers')['changed'] is False
    rerun_log = again.emulator_log()[before:]
    assert writes(rerun_log) == []
    # 6 leavers: one $batch for the look-ups, one for their 18 plan reads (groups, MFA methods, mailbox), one scheduler
    # read: a fixed number of calls for the tenant, not a few per leaver.
    calls = _top_level(rerun_log)
    assert len(calls) <= 4, [(e['endpoint'], e['params'].get('Endpoint')) for e in calls]
    for person in people:  # the audit record of the state before offboarding is kept, not replaced
        with open(os.path.join(evidence, person['userPrincipalName'] + '-audit.json')) as handle:
            assert handle.read() == audit[person['id']]


def test_check_mode_plans_every_leaver_and_queues_nothing(run_playbook, cipp_env, emulator):
    _tenant, people = _leavers(emulator, 3)
    run = run_playbook(_play([dict(STEPS, user=u['userPrincipalName']) for u in people]), env=cipp_env, check=True, diff=True)
    assert run.rc == 0, run.output
    result = run.result('Leavers')
    assert result['changed'] is True and writes(run.emulator_log()) == []
    for outcome in result['leavers']:
        needed = dict((entry['step'], entry['needed']) for entry in outcome['plan'])
        assert needed['disable_sign_in'] and needed['convert_to_shared'] and outcome['request']['ConvertToShared'] is True
    assert sorted(result['diff']['after']) == sorted(u['userPrincipalName'] for u in people)


def test_one_failing_leaver_does_not_stop_the_others_and_is_named(run_playbook, cipp_env, emulator):
    _tenant, people = _leavers(emulator, 3)
    failing = people[1]['userPrincipalName']
    _control(emulator, 'POST', 'step-failure', {'tenant': TENANT, 'upn': failing, 'step': 'ConvertToShared',
                                                'message': 'The mailbox is on litigation hold.'})
    try:
        run = run_playbook(_play([dict(STEPS, user=u['userPrincipalName']) for u in people]), env=cipp_env)
    finally:
        _control(emulator, 'DELETE', 'step-failure')
    assert run.rc != 0
    result = run.result('Leavers')
    assert result['msg'].startswith('1 of 3 leavers failed: %s: ' % failing) and 'litigation hold' in result['msg']
    outcomes = dict((o['user'], o) for o in result['leavers'])
    assert outcomes[failing]['failed'] is True
    for person in (people[0], people[2]):
        assert not outcomes[person['userPrincipalName']].get('failed')
        assert dict((s['step'], s['state']) for s in outcomes[person['userPrincipalName']]['steps'])['convert_to_shared'] == 'done'


def test_an_admin_leaver_stops_everybody_before_any_write(run_playbook, cipp_env, emulator):
    tenant, people = _leavers(emulator, 2)
    admin = next(tenant.users[r['_members'][0]] for r in tenant.roles.values() if r['displayName'] == 'Exchange Administrator')
    leavers = [dict(STEPS, user=u['userPrincipalName']) for u in people + [admin]]
    run = run_playbook(_play(leavers, refuse_privileged=True), env=cipp_env)
    assert run.rc != 0
    message = run.result('Leavers')['msg']
    assert 'Nothing was changed' in message and '%s: it holds an admin role: the directory role(s) Exchange Administrator' % (
        admin['userPrincipalName']) in message, message
    assert writes(run.emulator_log()) == []


def test_a_bad_entry_is_refused_before_anything_is_read(run_playbook, cipp_env, emulator):
    _tenant, people = _leavers(emulator, 2)
    leavers = [dict(STEPS, user=people[0]['userPrincipalName']), {'user': people[1]['userPrincipalName'], 'disable_sigin': True}]
    run = run_playbook(_play(leavers), env=cipp_env)
    assert run.rc != 0
    assert 'leavers[1]: unknown option(s) disable_sigin' in run.result('Leavers')['msg']
    assert [e for e in run.emulator_log() if e['endpoint'] not in ('token', 'ListTenants', None)] == []
