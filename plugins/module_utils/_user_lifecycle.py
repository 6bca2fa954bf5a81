# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cipp_user resource: read the user, compute the change, apply it (CONTRACT 5.1, 5.3, 5.17, 5.18, 5.28, 6.1).

Writes, in order: AddUser (create, with licences, groups and manager in the same call) or EditUser
(profile, rename, password, manager), ExecDisableUser, ExecBulkLicense, EditGroup per group,
RemoveUser. Only what differs is sent; a run with nothing to change sends reads only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import time

from ansible_collections.msp.cipp.plugins.module_utils import _api_directory as directory_api
from ansible_collections.msp.cipp.plugins.module_utils import _api_users as users_api
from ansible_collections.msp.cipp.plugins.module_utils._api_users import (
    EMAIL, UPN, UPN_MAX, UPN_MAX_DOMAIN, UPN_MAX_LOCAL, check_identity, find_user, is_guid,
)
from ansible_collections.msp.cipp.plugins.module_utils._common import RETURNED_SECRETS, check_bounded, make_diff, plan_list, same
from ansible_collections.msp.cipp.plugins.module_utils._converge import write_verified
from ansible_collections.msp.cipp.plugins.module_utils._directory import Directory
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippConfigError, CippResultError
from ansible_collections.msp.cipp.plugins.module_utils._iso3166 import is_country
from ansible_collections.msp.cipp.plugins.module_utils._user_fields import FIELDS_BY_GRAPH, FIELDS_BY_OPTION, PROFILE_FIELDS

# Graph is eventually consistent: a change CIPP reports as done may take a few seconds to show in ListUsers.
# The re-read after a write waits this long in all (1 + 2 + 4 + 8 s) before it concludes the change is missing.
VERIFY_DELAYS = (1, 2, 4, 8)


# ------------------------------------------------------------------------------ validation

def manager_ref(manager):
    """setManager as CIPP reads it: Set-CIPPManager pastes ``.value`` into a Graph URL (users/{value}), so it is the
    object id, never a UPN that could hold a guest's '#' (CONTRACT 0.1 C5)."""
    return {'value': manager['id'], 'label': manager['userPrincipalName']}


def validate(params):
    """Everything that can be checked without CIPP; raises CippConfigError naming the option."""
    upn, user_id = params.get('user_principal_name'), params.get('id')
    if not upn and not user_id:
        raise CippConfigError('One of user_principal_name or id is required.')
    if upn is not None and not UPN.match(upn):
        raise CippConfigError("user_principal_name must look like user@domain.com, with only letters, digits and ' . - _ ! # ^ ~ "
                              "before the @ (not a period right before it), got %r" % upn)
    if upn is not None:
        local, domain = upn.split('@', 1)
        if len(local) > UPN_MAX_LOCAL or len(domain) > UPN_MAX_DOMAIN or len(upn) > UPN_MAX:
            raise CippConfigError('user_principal_name is too long: Entra ID allows %d characters before the @, %d after it and %d '
                                  'in all, got %d, %d and %d' % (UPN_MAX_LOCAL, UPN_MAX_DOMAIN, UPN_MAX, len(local), len(domain), len(upn)))
    if user_id is not None and not is_guid(user_id):
        raise CippConfigError('id must be the user object ID (a GUID), got %r' % user_id)
    usage = params.get('usage_location')
    if usage is not None and usage != '' and not is_country(usage):
        raise CippConfigError('usage_location must be an ISO 3166-1 alpha-2 country code such as US, GB or NL, got %r' % usage)
    for field in PROFILE_FIELDS:
        value = params.get(field.option)
        if field.kind == 'str' and value == '' and not field.clearable:
            raise CippConfigError('%s cannot be cleared through CIPP (EditUser cannot clear %s); give a value or leave it out.'
                                  % (field.option, field.graph))
        if field.kind == 'str' and isinstance(value, str) and len(value) > 256:
            raise CippConfigError('%s is longer than the 256 characters Entra ID accepts.' % field.option)
    if params.get('manager') == '':
        raise CippConfigError('manager cannot be cleared through CIPP; give a user principal name or object ID.')
    check_identity(params.get('manager') or None, 'manager')
    if params.get('manager') and '#' in (upn or ''):
        raise CippConfigError("manager cannot be set for a guest (%s) through CIPP: it puts the user's name into a Graph URL, "
                              "where the '#' of #EXT# cuts it off." % upn)
    password = params.get('password')
    if password is not None and not isinstance(password, str):
        raise CippConfigError('password must be a string (quote it in YAML), got a %s.' % type(password).__name__)
    if password is not None and not strong_enough(password):
        raise CippConfigError("password does not meet Entra ID's password rule: 8 to 256 characters, with at least three of "
                              "lower case letters, upper case letters, digits and symbols.")
    if params.get('update_password') == 'always' and not params.get('password'):
        raise CippConfigError('update_password=always needs password.')
    for option in ('licenses', 'groups'):
        contract = params.get(option)
        if contract is not None and all(contract.get(key) is None for key in ('add', 'remove', 'set')):
            raise CippConfigError('%s needs at least one of add, remove or set.' % option)
        for key in ('add', 'remove', 'set'):
            check_bounded((contract or {}).get(key), '%s.%s' % (option, key))
    other_mails = params.get('other_mails')
    check_bounded(other_mails, 'other_mails')
    for address in other_mails or []:
        if not EMAIL.match(address):
            raise CippConfigError('other_mails entries must be e-mail addresses (name@example.com), got %r' % address)
    if params.get('state') == 'absent':
        changing = [field.option for field in PROFILE_FIELDS if params.get(field.option) is not None]
        changing += [name for name in ('licenses', 'groups', 'password', 'manager', 'account_enabled') if params.get(name) is not None]
        if changing:
            raise CippConfigError('state=absent deletes the user; these options make no sense with it: %s' % ', '.join(changing))


def strong_enough(password):
    """Entra ID's own minimum for cloud accounts; anything weaker is refused by Graph after CIPP was called."""
    kinds = sum(1 for test in (str.islower, str.isupper, str.isdigit) if any(test(char) for char in password))
    kinds += any(not char.isalnum() for char in password)
    return 8 <= len(password) <= 256 and kinds >= 3


# ------------------------------------------------------------------------------ the resource

NOT_READ = object()


class UserRun:
    """One cipp_user task: holds what was read so nothing is read twice."""

    def __init__(self, client, params, check_mode, directory=None, sleep=time.sleep):
        self.client = client
        self.sleep = sleep
        self.params = params
        self.check_mode = check_mode
        self.tenant = params['tenant']
        # cipp_users shares one Directory between its users, so the tenant's lists are read once.
        self.directory = directory or Directory(client, self.tenant)
        self.warnings = []
        self.password = None
        self.pending_groups = []
        self.expectations = []
        self._current_groups = None

    # -- reading

    def find(self):
        identity = self.params.get('id') or self.params['user_principal_name']
        return find_user(self.client, self.tenant, identity)

    def current_groups(self, user):
        """Every group the user is a direct member of (all pages: CONTRACT 0.1 C13), read once."""
        if self._current_groups is None:
            self._current_groups = users_api.user_memberships(self.client, self.tenant, user['id'])[0]
        return self._current_groups

    # -- the parts of the desired state the user set

    def wanted_profile(self):
        return dict((field.option, self.params[field.option]) for field in PROFILE_FIELDS if self.params.get(field.option) is not None)

    def run(self, user=NOT_READ):
        """Make the user match the task. ``user`` is what a caller already read (None: no such user)."""
        if user is NOT_READ:
            user = self.find()
        if self.params['state'] == 'absent':
            return self.delete(user)
        if user is None:
            if self.params.get('id'):
                raise CippConfigError('id: no user with object ID %s in tenant %s (a user can only be created from '
                                      'user_principal_name)' % (self.params['id'], self.tenant))
            return self.create()
        return self.update(user)

    # -- delete

    def delete(self, user):
        if user is None:
            return {'changed': False, 'user': None, 'diff': make_diff({'state': 'absent'}, {'state': 'absent'})}
        before = {'state': 'present', 'user_principal_name': user.get('userPrincipalName')}
        write_verified(self.client, lambda: users_api.remove_user(self.client, self.tenant, user), applied=lambda: self.find() is None)
        return {'changed': True, 'user': None, 'diff': make_diff(before, {'state': 'absent'})}

    # -- create

    def create(self):
        params = self.params
        upn = params['user_principal_name']
        username, domain = upn.split('@', 1)
        self.directory.check_domain(domain, 'user_principal_name')
        profile = self.wanted_profile()
        for option, value in profile.items():
            if value == '' or value == []:
                profile.pop(option)
        licences = self.licences_to_assign(current_skus=[], usage_location=profile.get('usage_location'))[0]
        groups = [self.group_for_change(value) for value in self.group_values_for_create()]
        # Before AddUser: CIPP would create the user and only then fail on the group (a half-done onboarding).
        refuse_dynamic(groups)
        manager = self.resolve_manager()

        body = {'username': username, 'Domain': domain, 'displayName': self.display_name_for_create(profile, username)}
        for field in PROFILE_FIELDS:
            if field.option in profile and not field.via_attributes and field.option != 'display_name':
                body[field.graph] = profile[field.option].upper() if field.option == 'usage_location' else profile[field.option]
        extra = dict((field.graph, {'value': profile[field.option]}) for field in PROFILE_FIELDS
                     if field.via_attributes and field.option in profile)
        if extra:
            body['defaultAttributes'] = extra
        if params.get('password'):
            body['password'] = params['password']
        # New accounts must change their first password unless told otherwise. A JSON bool: CIPP
        # coerces with [bool], so the string "false" would count as true (CONTRACT quirk 9).
        body['MustChangePass'] = True if params.get('must_change_password') is None else bool(params['must_change_password'])
        if licences:
            body['licenses'] = [{'value': sku, 'label': self.directory.license_label(sku)} for sku in licences]
        if groups:
            body['AddToGroups'] = [directory_api.group_ref(group) for group in groups]
        if manager:
            body['setManager'] = manager_ref(manager)

        after = dict((option, value) for option, value in profile.items())
        after.update({'state': 'present', 'user_principal_name': upn, 'display_name': body['displayName']})
        if licences:
            after['licenses'] = sorted(self.directory.license_label(sku) for sku in licences)
        if groups:
            after['groups'] = sorted(group['name'] for group in groups)
        if manager:
            after['manager'] = manager['userPrincipalName']
        if params.get('account_enabled') is False:
            after['account_enabled'] = False

        response = self.send_create(body)
        if response is not None:
            self.password = users_api.created_password(response)
            self.pending_groups = users_api.pending_groups(response)
            if self.pending_groups:
                # CIPP scheduled a retry (Exchange replication delay, CONTRACT 0.1 C12): not done yet.
                self.warnings.append('CIPP could not add %s to %s yet and scheduled a retry in 15 minutes; run the task again later '
                                     'to check the membership.' % (upn, ', '.join(self.pending_groups)))
        # CIPP's word alone is not success: the user must be there (ListUsers may lag a few seconds).
        self.expect(lambda now: True, 'AddUser answered that the user was created, but it cannot be found')
        if params.get('account_enabled') is False:
            self.set_enabled({'id': None, 'userPrincipalName': upn}, False)
        predicted = _predict_new_user(body, upn, licences, params.get('account_enabled'))
        return self.finish(True, predicted, make_diff({'state': 'absent'}, after))

    def send_create(self, body):
        try:
            # A lost answer is never followed by a blind second AddUser (for an existing UPN that is a 500):
            # the user is looked up first, and AddUser is sent again only when it is still missing.
            response = write_verified(self.client, lambda: users_api.add_user(self.client, self.tenant, body),
                                      applied=lambda: self.find() is not None)
        except CippResultError as exc:
            if users_api.user_was_created(exc.response):
                raise CippResultError('%s was created, but CIPP reported failures in the follow-up steps: %s. Run the task '
                                      'again to finish them.' % (body['username'] + '@' + body['Domain'], exc.cipp_message),
                                      exc.endpoint, exc.status, exc.cipp_message, exc.response, exc.failures)
            raise
        if response is None and not self.check_mode:
            self.warnings.append('The AddUser answer was lost, but the user exists now; CIPP\'s generated password '
                                 '(if any) could not be read.')
        return response

    def display_name_for_create(self, profile, username):
        if profile.get('display_name'):
            return profile['display_name']
        parts = [profile.get('given_name'), profile.get('surname')]
        return ' '.join(part for part in parts if part) or username

    def group_values_for_create(self):
        contract = self.params.get('groups') or {}
        if contract.get('set') is not None:
            return contract['set']
        return contract.get('add') or []

    # -- update

    def update(self, user):
        params = self.params
        synced = bool(user.get('onPremisesSyncEnabled'))
        before, after = {'state': 'present'}, {'state': 'present'}
        edit = {}
        clear = []

        new_upn = params.get('user_principal_name')
        rename = bool(params.get('id') and new_upn and new_upn.lower() != (user.get('userPrincipalName') or '').lower())
        if rename:
            self.directory.check_domain(new_upn.split('@', 1)[1], 'user_principal_name')
            before['user_principal_name'], after['user_principal_name'] = user.get('userPrincipalName'), new_upn

        for option, value in self.wanted_profile().items():
            field = FIELDS_BY_OPTION[option]
            current = user.get(field.graph)
            wanted = value.upper() if option == 'usage_location' and value else value
            if same(current, wanted, case_sensitive=field.case_sensitive):
                continue
            before[option], after[option] = current, (None if wanted in ('', []) else wanted)
            if wanted in ('', []):
                clear.append(field.graph)
            elif field.via_attributes:
                edit.setdefault('defaultAttributes', {})[field.graph] = {'value': wanted}
            else:
                edit[field.graph] = wanted

        manager = self.resolve_manager(user)
        if manager is not None:
            before['manager'] = (user.get('manager') or {}).get('userPrincipalName')
            after['manager'] = manager['userPrincipalName']
            edit['setManager'] = manager_ref(manager)

        password_change = bool(params.get('password')) and params.get('update_password') == 'always'
        must_change = params.get('must_change_password')
        flag_now = None
        if must_change is not None or edit or clear or rename or password_change:
            # EditUser always rewrites forceChangePasswordNextSignIn (CONTRACT quirk 5): read it so an
            # unrelated edit keeps a pending "must change password" as it is.
            flag_now = self.read_force_change(user)
        if must_change is not None and flag_now is not None and bool(must_change) != flag_now:
            before['must_change_password'], after['must_change_password'] = flag_now, bool(must_change)
            edit['MustChangePass'] = bool(must_change)
        if password_change:
            # Graph cannot tell whether the password differs: update_password=always always sets it.
            before['new_password_set'], after['new_password_set'] = False, True

        enabled_change = params.get('account_enabled') is not None and bool(user.get('accountEnabled')) != params['account_enabled']
        if enabled_change:
            before['account_enabled'], after['account_enabled'] = bool(user.get('accountEnabled')), params['account_enabled']

        if synced and (edit or clear or rename or enabled_change):
            raise CippConfigError('%s is synchronised from on-premises Active Directory (onPremisesSyncEnabled): change %s '
                                  'in the local AD instead.' % (user.get('userPrincipalName'),
                                                                ', '.join(sorted(set(after) - {'state'}))))

        licence_adds, licence_removes = self.licences_to_assign(
            current_skus=[lic.get('skuId') for lic in user.get('assignedLicenses') or [] if lic.get('skuId')],
            usage_location=edit.get('usageLocation') or user.get('usageLocation'))
        if licence_adds or licence_removes:
            current = [self.directory.license_label(lic['skuId']) for lic in user.get('assignedLicenses') or [] if lic.get('skuId')]
            before['licenses'] = sorted(current)
            after['licenses'] = sorted(set(current) - set(self.directory.license_label(s) for s in licence_removes)
                                       | set(self.directory.license_label(s) for s in licence_adds))

        group_adds, group_removes = self.groups_to_change(user)
        if group_adds or group_removes:
            current = [group['name'] for group in self.current_groups(user)]
            before['groups'] = sorted(current)
            after['groups'] = sorted(set(current) - set(g['name'] for g in group_removes) | set(g['name'] for g in group_adds))

        if edit or clear or rename or password_change:
            # CIPP sets mailNickname (the Exchange alias) to the UPN prefix on every EditUser (CONTRACT 0.1 C11).
            prefix = (new_upn if rename else user['userPrincipalName']).split('@', 1)[0]
            if (user.get('mailNickname') or prefix).lower() != prefix.lower():
                before['mail_nickname'], after['mail_nickname'] = user.get('mailNickname'), prefix
        changed = len(after) > 1
        if edit or clear or rename or password_change:
            self.send_edit(user, edit, clear, new_upn if rename else None, flag_now, password_change)
        if enabled_change:
            self.set_enabled(user, params['account_enabled'])
        if licence_adds or licence_removes:
            self.send_licences(user, licence_adds, licence_removes)
        for group in group_adds:
            self.send_membership(user, group, 'AddMember')
        for group in group_removes:
            self.send_membership(user, group, 'RemoveMember')

        predicted = _predict_user(user, edit, clear, new_upn if rename else None, params.get('account_enabled'),
                                  licence_adds, licence_removes)
        return self.finish(changed, predicted, make_diff(before, after), user)

    def send_edit(self, user, edit, clear, new_upn, flag_now, password_change):
        upn = new_upn or user['userPrincipalName']
        username, domain = upn.split('@', 1)
        # id, username and Domain on every EditUser, or CIPP sets the UPN to '@' (CONTRACT quirk 5).
        body = {'id': user['id'], 'username': username, 'Domain': domain}
        body.update(edit)
        if clear:
            body['clearProperties'] = clear
        if 'MustChangePass' not in body:
            must_change = self.params.get('must_change_password')
            body['MustChangePass'] = bool(flag_now) if must_change is None else bool(must_change)
        if password_change:
            body['password'] = self.params['password']
        # EditUser sets values, so a second one is harmless; still, it is sent again only when a re-read shows
        # the change is not in place (a new password cannot be read back, so that edit is always sent again).
        write_verified(self.client, lambda: users_api.edit_user(self.client, self.tenant, body),
                       applied=lambda: not password_change and self.edit_in_place(user, body))
        self.expect(lambda now: self.values_in_place(now, body), 'EditUser answered, but the new values are not on the user')

    def edit_in_place(self, user, body):
        """Whether a re-read shows every value of the EditUser ``body`` on the user (and its password flag)."""
        now = find_user(self.client, self.tenant, user['id'])
        if now is None or not self.values_in_place(now, body):
            return False
        return self.read_force_change(now) in (None, body['MustChangePass'])

    def values_in_place(self, now, body):
        """Whether the user row ``now`` shows every profile value of the EditUser ``body``."""
        upn = '%s@%s' % (body['username'], body['Domain'])
        if (now.get('userPrincipalName') or '').lower() != upn.lower():
            return False
        for key, value in body.items():
            if key in ('id', 'username', 'Domain', 'MustChangePass', 'password', 'clearProperties'):
                continue
            if key == 'defaultAttributes':
                if any(not same(now.get(name), item['value']) for name, item in value.items()):
                    return False
            elif key == 'setManager':
                if ((now.get('manager') or {}).get('id') or '').lower() != value['value'].lower():
                    return False
            elif not same(now.get(key), value, case_sensitive=FIELDS_BY_GRAPH[key].case_sensitive):
                return False
        return not any(now.get(name) not in (None, '', []) for name in body.get('clearProperties') or [])

    def expect(self, holds, failure):
        """After a write: ``holds(user_row)`` must be true on the re-read that closes the task."""
        self.expectations.append((holds, failure))

    def verified_user(self):
        """Re-read the user until every expectation of this task's writes holds, waiting (bounded) for Graph's lag.
        CIPP's success text alone is not enough: a change that never shows fails the task (CONTRACT 0.1 C9)."""
        identity = self.params.get('id') or self.params['user_principal_name']
        missing = []
        for delay in (0,) + VERIFY_DELAYS:
            if delay:
                self.sleep(delay)
            now = find_user(self.client, self.tenant, identity)
            missing = [failure for holds, failure in self.expectations if now is None or not holds(now)]
            if not missing:
                return now
        raise CippResultError('%s: %s (after %d re-reads over %d seconds). CIPP reported success, but the change is not in the '
                              'tenant.' % (identity, '; '.join(missing), len(VERIFY_DELAYS) + 1, sum(VERIFY_DELAYS)),
                              None, None, '; '.join(missing))

    def read_force_change(self, user):
        """The user's pending 'must change password' flag, or None when CIPP does not say."""
        flag = users_api.password_profile(self.client, self.tenant, user['id'])['force_change']
        if flag is not None:
            return flag
        self.warnings.append('CIPP did not return the password profile of %s; EditUser will set "must change password" '
                             'to false unless must_change_password is given.' % user.get('userPrincipalName'))
        return None

    def set_enabled(self, user, enabled):
        # Enable is always explicit: a missing Enable means "disable" to CIPP (CONTRACT quirk 9).
        identity = user.get('id') or user.get('userPrincipalName')

        def in_place():
            now = find_user(self.client, self.tenant, identity)
            return now is not None and bool(now.get('accountEnabled')) == bool(enabled)

        write_verified(self.client, lambda: users_api.set_account_enabled(self.client, self.tenant, identity, enabled), applied=in_place)
        self.expect(lambda now: bool(now.get('accountEnabled')) == bool(enabled), 'ExecDisableUser answered, but accountEnabled is not %s'
                    % bool(enabled))

    # -- licences

    def licences_to_assign(self, current_skus, usage_location):
        contract = self.params.get('licenses')
        if not contract:
            return [], []
        resolved = {}
        for key in ('add', 'remove', 'set'):
            if contract.get(key) is not None:
                resolved[key] = [self.sku_id(value) for value in contract[key]]
        adds, removes = plan_list(current_skus, resolved)
        if adds:
            if not usage_location:
                raise CippConfigError('licenses: %s has no usage location; set usage_location (for example US) to '
                                      'assign licences.' % (self.params.get('user_principal_name') or self.params.get('id')))
            self.directory.check_seats(adds)
        return adds, removes

    def sku_id(self, value):
        if is_guid(value) and not self.directory.skus_loaded():
            # A SKU id needs no lookup unless something must be assigned (then seats are checked).
            return value.lower()
        return self.directory.resolve_license(value)['sku_id']

    def send_licences(self, user, adds, removes):
        # One ExecBulkLicense item per user (a swap is one Replace item: CONTRACT 0.1 C1); CIPP only removes SKUs the
        # user holds, so it is close to idempotent.
        labels = self.directory.labels(list(adds) + list(removes))

        def in_place():
            return in_place_row(find_user(self.client, self.tenant, user['id']))

        def in_place_row(now):
            skus = set(str(lic.get('skuId')).lower() for lic in (now or {}).get('assignedLicenses') or [])
            return now is not None and set(adds) <= skus and not set(removes) & skus

        write_verified(self.client, lambda: users_api.set_licences(self.client, self.tenant, user['id'], adds, removes, labels),
                       applied=in_place)
        self.expect(in_place_row, 'ExecBulkLicense answered, but the licences are not as requested')

    # -- groups

    def groups_to_change(self, user):
        contract = self.params.get('groups')
        if not contract:
            return [], []
        if self.groups_in_place(user, contract):
            return [], []
        current = self.current_groups(user)
        resolved = {}
        for key in ('add', 'remove', 'set'):
            if contract.get(key) is not None:
                resolved[key] = [self.group_for_change(value, current)['id'] for value in contract[key]]
        adds, removes = plan_list([group['id'] for group in current], resolved)
        by_id = dict((group['id'].lower(), group) for group in current)
        add_rows = [self.group_for_change(group_id, current) for group_id in adds]
        remove_rows = [by_id[group_id.lower()] for group_id in removes]
        refuse_dynamic(add_rows + remove_rows)
        return add_rows, remove_rows

    def groups_in_place(self, user, contract):
        """True when the Directory's group member lists (cipp_users: one read per group, not one memberOf per user)
        show that nothing is to add or remove. Only for add/remove: `set` needs all of the user's groups. Anything
        else (a change to make, a name the full group list cannot resolve alone) goes the memberOf way, so the
        plan, the diff and the errors are exactly cipp_user's."""
        if not self.directory.group_members or contract.get('set') is not None:
            return False
        try:
            adds = [self.directory.resolve_group(value) for value in contract.get('add') or []]
            removes = [self.directory.resolve_group(value) for value in contract.get('remove') or []]
        except CippConfigError:
            return False
        return (all(self.directory.is_member(group['id'], user['id']) for group in adds)
                and not any(self.directory.is_member(group['id'], user['id']) for group in removes))

    def group_for_change(self, value, current=()):
        return self.directory.resolve_group(value, current)

    def send_membership(self, user, group, action):
        def in_place():
            groups = users_api.user_memberships(self.client, self.tenant, user['id'])[0]
            member_now = any(str(row.get('id')).lower() == group['id'].lower() for row in groups)
            return member_now == (action == 'AddMember')

        write_verified(self.client, lambda: directory_api.edit_group_members(self.client, self.tenant, group, user, action),
                       applied=in_place)
        self.directory.note_membership(group['id'], user['id'], action == 'AddMember')

    # -- manager

    def resolve_manager(self, user=None):
        """The manager's user row when it must be set (None when unset or already right)."""
        wanted = self.params.get('manager')
        if not wanted:
            return None
        if user is not None:
            current = user.get('manager') or {}
            if wanted.lower() in ((current.get('id') or '').lower(), (current.get('userPrincipalName') or '').lower()):
                return None
        manager = find_user(self.client, self.tenant, wanted)
        if manager is None:
            raise CippConfigError('manager: no user %s in tenant %s' % (wanted, self.tenant))
        if user is not None and (user.get('manager') or {}).get('id') == manager['id']:
            return None
        return manager

    # -- result

    def finish(self, changed, predicted, diff, current=None):
        result = {'changed': changed, 'diff': diff}
        if changed and not self.check_mode:
            result['user'] = self.verified_user()
        else:
            result['user'] = predicted if changed else current
        if self.warnings:
            result['warnings'] = self.warnings
        if self.params.get('return_password') and self.password:
            result['password'] = self.password
            result[RETURNED_SECRETS] = ['password']
        elif self.params.get('return_password') and changed and not self.check_mode:
            self.warnings.append('return_password: no new password was set by this run, so none is returned.')
            result['warnings'] = self.warnings
        return result


def ensure_user(client, params, check_mode):
    """Resource function of cipp_user."""
    validate(params)
    return UserRun(client, params, check_mode).run()


# ------------------------------------------------------------------------------ helpers

def refuse_dynamic(groups):
    for row in groups:
        if row['dynamic']:
            raise CippConfigError('groups: %s is a dynamic group; its members follow its rule and cannot be changed.' % row['name'])


def _predict_new_user(body, upn, licences, enabled):
    user = dict((key, value) for key, value in body.items()
                if key not in ('password', 'MustChangePass', 'licenses', 'AddToGroups', 'setManager', 'defaultAttributes',
                               'username', 'Domain'))
    user.update({'userPrincipalName': upn, 'accountEnabled': enabled is not False,
                 'assignedLicenses': [{'skuId': sku, 'disabledPlans': []} for sku in licences]})
    for name, value in (body.get('defaultAttributes') or {}).items():
        user[name] = value['value']
    return user


def _predict_user(user, edit, clear, new_upn, enabled, licence_adds, licence_removes):
    predicted = copy.deepcopy(user)
    for key, value in edit.items():
        if key == 'defaultAttributes':
            for name, item in value.items():
                predicted[name] = item['value']
        elif key == 'setManager':
            predicted['manager'] = {'id': value['value'], 'userPrincipalName': value['label']}
        elif key != 'MustChangePass':
            predicted[key] = value
    for name in clear:
        predicted[name] = [] if name in ('businessPhones', 'otherMails') else None
    if new_upn:
        predicted['userPrincipalName'] = new_upn
    if enabled is not None:
        predicted['accountEnabled'] = enabled
    removed = set(sku.lower() for sku in licence_removes)
    licences = [lic for lic in predicted.get('assignedLicenses') or [] if str(lic.get('skuId', '')).lower() not in removed]
    licences += [{'skuId': sku, 'disabledPlans': []} for sku in licence_adds]
    predicted['assignedLicenses'] = licences
    return predicted
