# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mailbox settings, inbox rules and mobile devices (CONTRACT 5.10, 5.12, 6.2-6.6; ExecRemoveMailboxRule/ExecSetMailboxRule;
mobile devices through _mobile_devices.py).

CIPP's Exchange endpoints re-apply and report success whatever the state (CONTRACT quirk 3), so every
setting is read first (ListUserMailboxDetails, ListOoO, ListUserMailboxRules) and written only when it differs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.msp.cipp.plugins.module_utils import _api_directory as directory_api
from ansible_collections.msp.cipp.plugins.module_utils import _api_exchange as exchange
from ansible_collections.msp.cipp.plugins.module_utils._api_graph import result_text
from ansible_collections.msp.cipp.plugins.module_utils._api_users import EMAIL, find_user
from ansible_collections.msp.cipp.plugins.module_utils._common import check_bounded, email_addresses, make_diff, outside, to_epoch
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippResultError
from ansible_collections.msp.cipp.plugins.module_utils._mobile_devices import remove_devices
from ansible_collections.msp.cipp.plugins.module_utils._users import require_user

# Exchange may take a moment to show a change CIPP reports as done; re-read this long (1 + 2 + 4 s) before concluding.
VERIFY_DELAYS = (1, 2, 4)

OOO_STATES = {'enabled': 'Enabled', 'disabled': 'Disabled', 'scheduled': 'Scheduled'}
MAILBOX_TYPES = {'user': ('UserMailbox', 'Regular'), 'shared': ('SharedMailbox', 'Shared')}


def _validate(params):
    forwarding = params.get('forwarding')
    if forwarding is not None:
        if isinstance(forwarding, str):
            if forwarding != 'disabled':
                raise CippConfigError("forwarding must be 'disabled' or a dict {to: address, keep_copy: bool}, got %r" % forwarding)
        elif isinstance(forwarding, dict):
            unknown = set(forwarding) - {'to', 'keep_copy'}
            if unknown or not forwarding.get('to') or not EMAIL.match(str(forwarding['to'])):
                raise CippConfigError('forwarding must be {to: user@domain, keep_copy: true|false}; got %r' % (forwarding,))
            if not isinstance(forwarding.get('keep_copy', False), bool):
                raise CippConfigError('forwarding.keep_copy must be true or false.')
        else:
            raise CippConfigError("forwarding must be 'disabled' or a dict {to: address, keep_copy: bool}.")
    ooo = params.get('out_of_office')
    if ooo:
        for key in ('internal_message', 'external_message'):
            check_bounded(ooo.get(key), 'out_of_office.%s' % key)
        if ooo['state'] == 'scheduled' and not (ooo.get('start') and ooo.get('end')):
            raise CippConfigError('out_of_office: state=scheduled needs start and end.')
        ooo['start_epoch'] = to_epoch(ooo.get('start'), 'out_of_office.start')
        ooo['end_epoch'] = to_epoch(ooo.get('end'), 'out_of_office.end')
        if ooo['start_epoch'] and ooo['end_epoch'] and ooo['end_epoch'] <= ooo['start_epoch']:
            raise CippConfigError('out_of_office: end must be after start.')
    if params.get('archive') is False:
        raise CippConfigError('archive=false is not possible through CIPP (it can only enable an archive).')
    rules = params.get('inbox_rules') or {}
    for key in ('remove', 'disable'):
        check_bounded(rules.get(key), 'inbox_rules.%s' % key)
    if rules and not (rules.get('remove') or rules.get('disable') or rules.get('remove_external_forwarding')):
        raise CippConfigError('inbox_rules needs remove, disable or remove_external_forwarding.')
    devices = params.get('mobile_devices') or {}
    check_bounded(devices.get('remove'), 'mobile_devices.remove')
    if devices and bool(devices.get('remove')) == bool(devices.get('remove_all')):
        raise CippConfigError('mobile_devices needs either remove (a list of device Guids or device IDs) or remove_all: true.')
    if not any(params.get(key) is not None for key in ('forwarding', 'out_of_office', 'mailbox_type', 'hidden_from_gal', 'archive')) \
            and not rules and not devices:
        raise CippConfigError('Nothing to do: set forwarding, out_of_office, mailbox_type, hidden_from_gal, archive, inbox_rules '
                              'or mobile_devices.')


class MailboxRun:
    """One user's mailbox settings; every setting is read at most once and written only when it differs."""

    def __init__(self, client, tenant, user, check_mode, sleep=time.sleep):
        self.client, self.tenant, self.user, self.check_mode, self.sleep = client, tenant, user, check_mode, sleep
        self.warnings = []
        self.expected = {}  # setting -> function(fresh details) -> True when the write's effect is visible
        self.upn = user['userPrincipalName']
        self.before, self.after = {}, {}
        self.actions = []
        self.removed_rules, self.disabled_rules = [], []
        self.removed_devices = []
        self._details = None
        self._domains = None

    def details(self):
        if self._details is None:
            self._details = exchange.mailbox_details(self.client, self.tenant, self.user)
            if not self._details:
                raise CippConfigError('%s has no Exchange mailbox in tenant %s (ListUserMailboxDetails shows no recipient type).'
                                      % (self.upn, self.tenant))
        return self._details

    def domains(self):
        if self._domains is None:
            self._domains = set(row['name'] for row in directory_api.list_domains(self.client, self.tenant))
        return self._domains

    def changed(self, key, before, after, visible=None):
        """Record a change; ``visible(details)`` tells from a fresh re-read whether it took effect."""
        self.before[key], self.after[key] = before, after
        self.actions.append(key)
        if visible is not None:
            self.expected[key] = visible

    def verify(self):
        """CIPP's word alone is not success: re-read what was changed, with a short bounded wait for Exchange."""
        if self.check_mode or not self.expected:
            return
        missing = self._not_visible()
        for delay in VERIFY_DELAYS:
            if not missing:
                return
            self.sleep(delay)
            missing = self._not_visible()
        if missing:
            raise CippResultError('CIPP answered success, but a re-read of the mailbox of %s (after %d s) does not show: %s'
                                  % (self.upn, sum(VERIFY_DELAYS), ', '.join(missing)), 'ListUserMailboxDetails', 200, None)

    def _not_visible(self):
        self._details = None
        return [key for key, visible in sorted(self.expected.items()) if not visible()]

    def run(self, params):
        if params.get('forwarding') is not None:
            self.forwarding(params['forwarding'])
        if params.get('mailbox_type') is not None:
            current = self.details().get('RecipientTypeDetails')
            wanted, cipp_type = MAILBOX_TYPES[params['mailbox_type']]
            if str(current).lower() != wanted.lower():
                answer = exchange.convert_mailbox(self.client, self.tenant, self.upn, cipp_type)
                # CIPP appends "Warning: detected mailbox size is ... exceeds the 50 GB shared mailbox limit" on success.
                warning = str(result_text(answer)).partition('Warning:')[2].strip()
                if warning:
                    self.warnings.append('ExecConvertMailbox: %s' % warning)
                self.changed('mailbox_type', current, wanted,
                             lambda: str(self.details().get('RecipientTypeDetails')).lower() == wanted.lower())
        if params.get('hidden_from_gal') is not None:
            current = bool(self.details().get('HiddenFromAddressLists'))
            if current != params['hidden_from_gal']:
                exchange.hide_from_gal(self.client, self.tenant, self.upn, params['hidden_from_gal'])
                self.changed('hidden_from_gal', current, params['hidden_from_gal'],
                             lambda: bool(self.details().get('HiddenFromAddressLists')) == params['hidden_from_gal'])
        if params.get('archive') and not self.details().get('ArchiveMailBox'):
            exchange.enable_archive(self.client, self.tenant, self.upn)
            self.changed('archive', False, True, lambda: bool(self.details().get('ArchiveMailBox')))
        if params.get('out_of_office'):
            self.out_of_office(params['out_of_office'])
        if params.get('inbox_rules'):
            self.inbox_rules(params['inbox_rules'])
        if params.get('mobile_devices'):
            self.mobile_devices(params['mobile_devices'])
        self.verify()
        return self.result()

    def result(self):
        result = {'changed': bool(self.actions), 'user': {'id': self.user['id'], 'userPrincipalName': self.upn}, 'actions': self.actions}
        if self.actions:
            result['diff'] = make_diff(self.before, self.after)
        if self.warnings:
            result['warnings'] = list(self.warnings)
        return result

    # -- forwarding: ForwardingAddress is internal, ForwardingSmtpAddress external (CONTRACT 6.2)

    def forwarding(self, wanted):
        details = self.details()
        current_to = exchange.forwarding_target(details)
        current_keep = bool(details.get('ForwardAndDeliver'))
        current = {'to': current_to, 'keep_copy': current_keep} if current_to else 'disabled'
        if wanted == 'disabled':
            if current_to:
                # forwardOption is required; without it CIPP answers a bare 500 (CONTRACT 6.2).
                exchange.set_forwarding(self.client, self.tenant, self.upn, 'disabled')
                self.changed('forwarding', current, 'disabled', lambda: not exchange.forwarding_target(self.details()))
            return
        target, keep = wanted['to'], bool(wanted.get('keep_copy', False))
        external = bool(outside([target], self.domains()))
        if current_to and current_keep == keep:
            # Exchange may report an internal target as its own identity, not an address (CONTRACT 0.1 C15).
            target_user = None if external or '@' in current_to else find_user(self.client, self.tenant, target)
            if exchange.same_recipient(current_to, target, target_user):
                return
        option = 'ExternalAddress' if external else 'internalAddress'
        exchange.set_forwarding(self.client, self.tenant, self.upn, option, target, keep)
        self.changed('forwarding', current, {'to': target, 'keep_copy': keep}, lambda: self._forwards_to(target, keep, external))

    def _forwards_to(self, target, keep, external):
        details = self.details()
        now = exchange.forwarding_target(details)
        if not now or bool(details.get('ForwardAndDeliver')) != keep:
            return False
        target_user = None if external or '@' in now else find_user(self.client, self.tenant, target)
        return exchange.same_recipient(now, target, target_user)

    # -- out of office

    def out_of_office(self, wanted):
        current = exchange.out_of_office(self.client, self.tenant, self.upn)
        state = OOO_STATES[wanted['state']]
        now, target = self._ooo_compare(current, wanted)
        internal, external = wanted.get('internal_message'), wanted.get('external_message')
        if internal is not None and external is None:
            # Without ExternalMessage CIPP sets ExternalAudience to None: outside senders get no reply (CONTRACT 0.1 C14).
            external = internal
        if external is None and wanted['state'] != 'disabled' and current.get('ExternalMessage'):
            # The same, when only the state changes: send the external reply that is there, so it stays on.
            external = current['ExternalMessage']
        if now != target:
            exchange.set_out_of_office(self.client, self.tenant, self.upn, state, internal, external,
                                       wanted.get('start_epoch') if wanted['state'] == 'scheduled' else None,
                                       wanted.get('end_epoch') if wanted['state'] == 'scheduled' else None)
            self.changed('out_of_office', now, target,
                         lambda: self._ooo_compare(exchange.out_of_office(self.client, self.tenant, self.upn), wanted)[0] == target)

    @staticmethod
    def _ooo_compare(current, wanted):
        """(now, target) of the settings the task names, in comparable form."""
        now = {'state': str(current.get('AutoReplyState') or 'Disabled').lower()}
        target = {'state': wanted['state']}
        internal, external = wanted.get('internal_message'), wanted.get('external_message')
        if internal is not None and external is None:
            external = internal
        for option, field, value in (('internal_message', 'InternalMessage', internal), ('external_message', 'ExternalMessage', external)):
            if value is not None:
                # Exchange keeps messages as HTML: compare the text.
                now[option] = exchange.plain_message(current.get(field))
                target[option] = exchange.plain_message(value)
        if wanted['state'] == 'scheduled':
            # ListOoO gives minutes only (yyyy-MM-dd HH:mm): compare to the minute.
            for option, field in (('start', 'StartTime'), ('end', 'EndTime')):
                now[option] = exchange.ooo_minute(current.get(field))
                target[option] = exchange.ooo_minute(wanted[option + '_epoch'])
        return now, target

    # -- inbox rules

    def inbox_rules(self, wanted):
        rules = exchange.mailbox_rules(self.client, self.tenant, self.user)
        names_to_remove = set(name.lower() for name in wanted.get('remove') or [])
        names_to_disable = set(name.lower() for name in wanted.get('disable') or [])
        removed, disabled = [], []
        for rule in rules:
            name = rule['Name']
            targets = sum((email_addresses(rule.get(key)) for key in ('ForwardTo', 'RedirectTo', 'ForwardAsAttachmentTo')), [])
            forwards_out = bool(wanted.get('remove_external_forwarding') and outside(targets, self.domains()))
            if name.lower() in names_to_remove or forwards_out:
                exchange.remove_mailbox_rule(self.client, self.tenant, rule, self.upn)
                removed.append(name)
            elif name.lower() in names_to_disable and rule.get('Enabled') is not False:
                exchange.disable_mailbox_rule(self.client, self.tenant, rule, self.upn)
                disabled.append(name)
        if removed or disabled:
            self.changed('inbox_rules', sorted(rule['Name'] for rule in rules if rule['Name'] in removed + disabled),
                         sorted('%s (disabled)' % name for name in disabled), lambda: self._rules_done(removed, disabled))
        self.removed_rules, self.disabled_rules = removed, disabled

    def _rules_done(self, removed, disabled):
        rules = exchange.mailbox_rules(self.client, self.tenant, self.user)
        names = set(rule['Name'] for rule in rules)
        still_enabled = set(rule['Name'] for rule in rules if rule.get('Enabled') is not False)
        return not (names & set(removed)) and not (still_enabled & set(disabled))

    # -- mobile devices (removed and confirmed by _mobile_devices itself)

    def mobile_devices(self, wanted):
        outcome = remove_devices(self.client, self.tenant, self.user, None if wanted.get('remove_all') else wanted['remove'],
                                 self.check_mode)
        self.removed_devices = outcome['removed']
        if outcome['changed']:
            self.changed('mobile_devices', outcome['diff']['before'], outcome['diff']['after'])


def ensure_mailbox(client, params, check_mode):
    """Resource function of cipp_mailbox."""
    _validate(params)
    user = require_user(client, params['tenant'], params['user'])
    run = MailboxRun(client, params['tenant'], user, check_mode)
    result = run.run(params)
    if params.get('inbox_rules'):
        result['removed_rules'], result['disabled_rules'] = run.removed_rules, run.disabled_rules
    if params.get('mobile_devices'):
        result['removed_devices'] = run.removed_devices
    return result
