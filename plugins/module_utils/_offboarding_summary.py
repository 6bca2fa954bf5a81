# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Markdown summary of one leaver's offboarding (``<user>-offboarding.md``): what the leaver had, what was
planned, what was verified. Every value from the tenant, CIPP or the leaver list is escaped, so that a group or device
named like Markdown or HTML shows as text."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.msp.cipp.plugins.module_utils._markdown import markdown_escape as md


def _names(items, key):
    names = [md(item.get(key)) for item in items or [] if isinstance(item, dict)]
    return ', '.join(names) or 'none'


def summary(outcome, now=None):
    """The summary of ``outcome`` (one leaver's entry of cipp_leavers' result), as Markdown text."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    before = outcome.get('before') or {}
    user = before.get('user') or {}
    job = outcome.get('job') or {}
    reference = job.get('reference') or (outcome.get('request') or {}).get('reference') or '-'
    lines = ['# Offboarding: %s' % md(outcome.get('user')), '',
             '- Tenant: %s' % md(outcome.get('tenant')),
             '- Reference: %s' % md(reference),
             '- Run by: msp.cipp offboarding (cipp_leavers), %s (UTC)' % now.isoformat()]
    if outcome.get('audit_path'):
        lines.append('- Audit snapshot: `%s`' % outcome['audit_path'])
    if outcome.get('evidence'):
        lines.append('- Evidence: `%s` (SHA-256 `%s`)' % (outcome['evidence']['path'], outcome['evidence']['sha256']))
    if job:
        lines.append('- CIPP job: %s (%s), %s' % (md(job.get('name')), md(job.get('id')), md(job.get('state'))))
    if 'cancelled' in outcome:
        lines.append('- Cancelled scheduled jobs: %s' % _names(outcome['cancelled'], 'id'))
    devices = before.get('devices') if isinstance(before.get('devices'), list) else []
    permissions = (before.get('mailbox') or {}).get('Permissions') if isinstance(before.get('mailbox'), dict) else []
    lines += ['', '## Before', '',
              '- Groups: %s' % _names(before.get('groups'), 'name'),
              '- Licences: %s' % md(user.get('LicJoined') or 'none'),
              '- Devices to recover: %s' % _names(devices, 'displayName'),
              '- Mailbox delegates: %s' % _names(permissions, 'User'),
              '- Admin roles: %s' % _names(before.get('admin_roles'), 'name'),
              '- Manager: %s' % md((user.get('manager') or {}).get('userPrincipalName') or 'none')]
    reports = outcome.get('direct_reports')
    if isinstance(reports, list):
        lines.append('- Direct reports (they need a new manager): %s' % _names(reports, 'userPrincipalName'))
    elif isinstance(reports, dict):
        lines.append('- Direct reports: could not be read: %s' % md(reports.get('error')))
    verified = dict((step.get('step'), step.get('state')) for step in outcome.get('steps') or [])
    lines += ['', '## Steps', '', '| Step | Needed | Result |', '|---|---|---|']
    for entry in outcome.get('plan') or []:
        needed = 'yes' if entry.get('needed') else 'no (%s)' % md(entry.get('reason'))
        lines.append('| %s | %s | %s |' % (md(entry.get('step')), needed, md(verified.get(entry.get('step'), '-'))))
    return '\n'.join(lines) + '\n'
