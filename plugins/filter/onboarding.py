# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters behind the onboarding role: the role stays a list of tasks, the logic lives here (and is unit tested)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.cipp.plugins.module_utils._api_directory import normalise_group

LIST_FIELDS = ('licenses', 'groups', 'business_phones', 'other_mails')
TEMPLATE_ONLY = ('domain', 'tenant')


def csv_records(text):
    """Rows of a CSV text (first line = header) as dicts; list fields split on ';'; empty cells dropped."""
    rows = []
    for row in csv.DictReader(io.StringIO(text or '')):
        record = {}
        for key, value in row.items():
            if key is None or value is None or not value.strip():
                continue
            key = key.strip()
            value = value.strip()
            record[key] = [part.strip() for part in value.split(';') if part.strip()] if key in LIST_FIELDS else value
        if record:
            rows.append(record)
    return rows


def _union(first, second):
    seen, result = set(), []
    for item in list(first or []) + list(second or []):
        if str(item).lower() not in seen:
            seen.add(str(item).lower())
            result.append(item)
    return result


def onboarding_roster(hires, template):
    """Each hire with the tenant template applied: the hire's values win; licences and groups are combined."""
    template = dict(template or {})
    roster = []
    for index, hire in enumerate(hires or []):
        if not isinstance(hire, dict):
            raise AnsibleFilterError('onboarding_hires[%d] must be a dict, got %r' % (index, hire))
        merged = dict((key, value) for key, value in template.items() if key not in TEMPLATE_ONLY + LIST_FIELDS[:2])
        merged.update(dict((key, value) for key, value in hire.items() if key not in ('username',) + LIST_FIELDS[:2]))
        for field in LIST_FIELDS[:2]:
            merged[field] = _union(template.get(field), hire.get(field))
        if not merged.get('user_principal_name'):
            if not hire.get('username') or not template.get('domain'):
                raise AnsibleFilterError('onboarding_hires[%d]: give user_principal_name, or username with a template domain' % index)
            merged['user_principal_name'] = '%s@%s' % (hire['username'], template['domain'])
        roster.append(merged)
    return roster


def _licence_row(rows, value):
    wanted = str(value).lower()
    for row in rows:
        if wanted in (str(row.get('skuId', '')).lower(), str(row.get('skuPartNumber', '')).lower(), str(row.get('License', '')).lower()):
            return row
    return None


def _group_index(groups):
    """Groups by lower-case id and display name."""
    index = {}
    for group in groups or []:
        for key in (group.get('id'), group.get('displayName')):
            if key:
                index[str(key).lower()] = group
    return index


def _fixed_membership(group):
    """Why members cannot be added to this group through CIPP, or None.

    A dynamic group's rule decides who is in it (Graph refuses members: "Insufficient privileges"), and a group
    synced from on-premises AD is changed in AD only. Caught here, such a group would otherwise fail the run
    halfway: AddUser creates the user and only then reports the group failure.
    """
    if normalise_group(group)['dynamic']:
        return 'has dynamic membership (its rule decides who is a member)'
    if group.get('onPremisesSyncEnabled'):
        return 'is synced from on-premises AD (change its members there)'
    return None


def _some(names, shown=3):
    """'a, b, c and 7 more': enough to find the rows without a 100-name sentence."""
    if len(names) <= shown + 1:
        return ', '.join(names)
    return '%s and %d more' % (', '.join(names[:shown]), len(names) - shown)


def onboarding_problems(roster, tenant, existing_users=None, groups=None):
    """Everything wrong with the roster, as sentences; empty when it can be onboarded as a whole."""
    problems = []
    domains = set(str(row.get('id', '')).lower() for row in tenant.get('domains_list') or [])
    licences = tenant.get('licenses') or []
    existing = dict((str(user.get('userPrincipalName', '')).lower(), user) for user in existing_users or [])
    group_index = _group_index(groups)
    # A group that cannot take members is named once, not once per hire (template groups apply to everyone):
    # group id -> (group row, name as written in the roster, the hires that want it).
    fixed_groups = {}
    seats_needed = {}
    upns = set()
    for hire in roster:
        upn = hire['user_principal_name']
        if upn.lower() in upns:
            problems.append('%s is in the roster twice' % upn)
        upns.add(upn.lower())
        domain = upn.split('@', 1)[-1].lower()
        if domains and domain not in domains:
            problems.append('%s: %s is not a domain of the tenant (%s)' % (upn, domain, ', '.join(sorted(domains))))
        user = existing.get(upn.lower())
        if hire.get('licenses') and not (hire.get('usage_location') or (user or {}).get('usageLocation')):
            problems.append('%s: licences need a usage location; set usage_location' % upn)
        held = set(str(lic.get('skuId', '')).lower() for lic in (user or {}).get('assignedLicenses') or [])
        for value in hire.get('licenses') or []:
            row = _licence_row(licences, value)
            if row is None:
                problems.append('%s: no licence %s in the tenant' % (upn, value))
            elif str(row.get('skuId')).lower() not in held:
                seats_needed[row['skuId']] = seats_needed.get(row['skuId'], 0) + 1
        if groups is not None:
            for value in hire.get('groups') or []:
                group = group_index.get(str(value).lower())
                if group is None:
                    problems.append('%s: no group %s in the tenant' % (upn, value))
                elif _fixed_membership(group):
                    fixed_groups.setdefault(str(group.get('id') or value).lower(), (group, value, []))[2].append(upn)
    for sku, needed in seats_needed.items():
        row = _licence_row(licences, sku)
        available = row.get('seats_available')
        if available is not None and needed > available:
            problems.append('%s: %d new assignments but only %d free seats' % (row.get('skuPartNumber'), needed, available))
    for group, value, wanted_by in fixed_groups.values():
        problems.append('group %s %s; members cannot be added (wanted for %s)'
                        % (group.get('displayName') or value, _fixed_membership(group), _some(wanted_by)))
    return problems


def onboarding_entries(roster):
    """The roster as msp.cipp.cipp_users entries: each hire's licences and groups become ``{add: [...]}``."""
    entries = []
    for hire in roster or []:
        entry = dict((key, value) for key, value in hire.items() if key not in LIST_FIELDS[:2])
        for field in LIST_FIELDS[:2]:
            if hire.get(field):
                entry[field] = {'add': list(hire[field])}
        entries.append(entry)
    return entries


class FilterModule(object):
    def filters(self):
        return {
            'csv_records': csv_records,
            'onboarding_roster': onboarding_roster,
            'onboarding_problems': onboarding_problems,
            'onboarding_entries': onboarding_entries,
        }
