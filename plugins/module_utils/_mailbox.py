# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mailbox settings and inbox rules (CONTRACT 5.10, 5.12, 6.2-6.6; ExecRemoveMailboxRule/ExecSetMailboxRule).

CIPP's Exchange endpoints re-apply and report success whatever the state (CONTRACT quirk 3), so every
setting is read first (ListUserMailboxDetails, ListOoO, ListUserMailboxRules) and written only when it differs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.module_utils._common import email_addresses, make_diff, outside, to_epoch
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError
from ansible_collections.msp.cipp.plugins.module_utils._tenants import domain_names
from ansible_collections.msp.cipp.plugins.module_utils._users import EMAIL, require_user

OOO_STATES = {'enabled': 'Enabled', 'disabled': 'Disabled', 'scheduled': 'Scheduled'}
MAILBOX_TYPES = {'user': ('UserMailbox', 'Regular'), 'shared': ('SharedMailbox', 'Shared')}


def _clean_smtp(value):
    text = str(value or '').strip()
    return text[5:] if text.lower().startswith('smtp:') else text


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
        if ooo['state'] == 'scheduled' and not (ooo.get('start') and ooo.get('end')):
            raise CippConfigError('out_of_office: state=scheduled needs start and end.')
        ooo['start_epoch'] = to_epoch(ooo.get('start'), 'out_of_office.start')
        ooo['end_epoch'] = to_epoch(ooo.get('end'), 'out_of_office.end')
        if ooo['start_epoch'] and ooo['end_epoch'] and ooo['end_epoch'] <= ooo['start_epoch']:
            raise CippConfigError('out_of_office: end must be after start.')
    if params.get('archive') is False:
        raise CippConfigError('archive=false is not possible through CIPP (it can only enable an archive).')
    rules = params.get('inbox_rules') or {}
    if rules and not (rules.get('remove') or rules.get('disable') or rules.get('remove_external_forwarding')):
        raise CippConfigError('inbox_rules needs remove, disable or remove_external_forwarding.')
    if not any(params.get(key) is not None for key in ('forwarding', 'out_of_office', 'mailbox_type', 'hidden_from_gal', 'archive')) and not rules:
        raise CippConfigError('Nothing to do: set forwarding, out_of_office, mailbox_type, hidden_from_gal, archive or inbox_rules.')


class MailboxRun:
    def __init__(self, client, params, check_mode):
        self.client, self.params, self.check_mode = client, params, check_mode
        self.tenant = params['tenant']
        self.before, self.after = {}, {}
        self.actions = []
        self._details = None
        self._domains = None

    def details(self, user):
        if self._details is None:
            body = self.client.call('ListUserMailboxDetails', {'UserID': user['id'], 'userMail': user['userPrincipalName']},
                                    tenant=self.tenant)
            self._details = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
        return self._details

    def domains(self):
        if self._domains is None:
            self._domains = domain_names(self.client, self.tenant)
        return self._domains

    def change(self, key, before, after, endpoint, body):
        self.before[key], self.after[key] = before, after
        self.client.write(endpoint, body, tenant=self.tenant)
        self.actions.append(key)

    def run(self):
        _validate(self.params)
        user = require_user(self.client, self.tenant, self.params['user'])
        upn = user['userPrincipalName']
        if self.params.get('forwarding') is not None:
            self.forwarding(user, upn)
        if self.params.get('mailbox_type') is not None:
            current = self.details(user).get('RecipientTypeDetails')
            wanted, cipp_type = MAILBOX_TYPES[self.params['mailbox_type']]
            if str(current).lower() != wanted.lower():
                self.change('mailbox_type', current, wanted, 'ExecConvertMailbox', {'ID': upn, 'MailboxType': cipp_type})
        if self.params.get('hidden_from_gal') is not None:
            current = bool(self.details(user).get('HiddenFromAddressLists'))
            if current != self.params['hidden_from_gal']:
                self.change('hidden_from_gal', current, self.params['hidden_from_gal'], 'ExecHideFromGAL',
                            {'ID': upn, 'HideFromGAL': self.params['hidden_from_gal']})
        if self.params.get('archive'):
            if not self.details(user).get('ArchiveMailBox'):
                self.change('archive', False, True, 'ExecEnableArchive', {'id': upn, 'username': upn})
        if self.params.get('out_of_office'):
            self.out_of_office(upn)
        if self.params.get('inbox_rules'):
            self.inbox_rules(user, upn)
        result = {'changed': bool(self.actions), 'user': {'id': user['id'], 'userPrincipalName': upn}, 'actions': self.actions}
        if self.actions:
            result['diff'] = make_diff(self.before, self.after)
        return result

    # -- forwarding: ForwardingAddress is internal, ForwardingSmtpAddress external (CONTRACT 6.2)

    def forwarding(self, user, upn):
        details = self.details(user)
        current_to = _clean_smtp(details.get('ForwardingSmtpAddress')) or _clean_smtp(details.get('ForwardingAddress')) or None
        current_keep = bool(details.get('ForwardAndDeliver'))
        current = {'to': current_to, 'keep_copy': current_keep} if current_to else 'disabled'
        wanted = self.params['forwarding']
        if wanted == 'disabled':
            if current_to:
                # forwardOption is required; without it CIPP answers a bare 500 (CONTRACT 6.2).
                self.change('forwarding', current, 'disabled', 'ExecEmailForward', {'userID': upn, 'forwardOption': 'disabled'})
            return
        target, keep = wanted['to'], bool(wanted.get('keep_copy', False))
        if current_to and current_to.lower() == target.lower() and current_keep == keep:
            return
        body = {'userID': upn, 'KeepCopy': keep}
        if outside([target], self.domains()):
            body.update({'forwardOption': 'ExternalAddress', 'ForwardExternal': target})
        else:
            body.update({'forwardOption': 'internalAddress', 'ForwardInternal': target})
        self.change('forwarding', current, {'to': target, 'keep_copy': keep}, 'ExecEmailForward', body)

    # -- out of office

    def out_of_office(self, upn):
        wanted = self.params['out_of_office']
        rows = self.client.call('ListOoO', {'userId': upn}, tenant=self.tenant)
        current = rows[0] if isinstance(rows, list) and rows else rows if isinstance(rows, dict) else {}
        state = OOO_STATES[wanted['state']]
        now = {'state': str(current.get('AutoReplyState') or 'Disabled').lower()}
        target = {'state': wanted['state']}
        body = {'userId': upn, 'AutoReplyState': state}
        for option, field in (('internal_message', 'InternalMessage'), ('external_message', 'ExternalMessage')):
            if wanted.get(option) is not None:
                now[option] = current.get(field)
                target[option] = wanted[option]
                body[field] = wanted[option]
        if wanted['state'] == 'scheduled':
            for option, field in (('start_epoch', 'StartTime'), ('end_epoch', 'EndTime')):
                now[option[:-6]] = to_epoch(current.get(field), option) if current.get(field) else None
                target[option[:-6]] = wanted[option]
                body[field] = wanted[option]
        if now != target:
            self.change('out_of_office', now, target, 'ExecSetOoO', body)

    # -- inbox rules

    def inbox_rules(self, user, upn):
        wanted = self.params['inbox_rules']
        rules = self.client.call('ListUserMailboxRules', {'UserID': user['id'], 'userEmail': upn}, tenant=self.tenant) or []
        rules = [rule for rule in rules if isinstance(rule, dict) and rule.get('Name')]
        names_to_remove = set(name.lower() for name in wanted.get('remove') or [])
        names_to_disable = set(name.lower() for name in wanted.get('disable') or [])
        removed, disabled = [], []
        for rule in rules:
            name = rule['Name']
            targets = sum((email_addresses(rule.get(key)) for key in ('ForwardTo', 'RedirectTo', 'ForwardAsAttachmentTo')), [])
            forwards_out = bool(wanted.get('remove_external_forwarding') and outside(targets, self.domains()))
            body = {'ruleId': rule.get('Identity') or rule.get('RuleIdentity') or name, 'ruleName': name, 'userPrincipalName': upn}
            if name.lower() in names_to_remove or forwards_out:
                self.client.write('ExecRemoveMailboxRule', body, tenant=self.tenant)
                removed.append(name)
            elif name.lower() in names_to_disable and rule.get('Enabled') is not False:
                body['Disable'] = True
                self.client.write('ExecSetMailboxRule', body, tenant=self.tenant)
                disabled.append(name)
        if removed or disabled:
            self.before['inbox_rules'] = sorted(rule['Name'] for rule in rules if rule['Name'] in removed + disabled)
            self.after['inbox_rules'] = sorted('%s (disabled)' % name for name in disabled)
            self.actions.append('inbox_rules')
        self.removed_rules, self.disabled_rules = removed, disabled


def ensure_mailbox(client, params, check_mode):
    """Resource function of cipp_mailbox."""
    run = MailboxRun(client, params, check_mode)
    result = run.run()
    if params.get('inbox_rules'):
        result['removed_rules'], result['disabled_rules'] = run.removed_rules, run.disabled_rules
    return result
