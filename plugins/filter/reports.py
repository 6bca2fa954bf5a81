# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report filters for the ready-made playbooks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io

MFA_COLUMNS = ('tenant', 'user_principal_name', 'display_name', 'account_enabled', 'user_type', 'is_admin', 'is_licensed',
               'registration', 'methods', 'per_user_state', 'enforced_by', 'covered_by_ca', 'covered_by_security_defaults', 'gap')


# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...), +cmd|..., @SUM...); display names
# and the like come from the tenants, so such a cell is prefixed with a quote (OWASP's advice for CSV injection).
FORMULA_START = ('=', '+', '-', '@', '\t', '\r')

# Markdown that a tenant-supplied value could otherwise start: emphasis, code, links and images, tables,
# strikethrough, HTML. Escaped with a backslash; <, > and & become entities; line breaks become spaces.
MARKDOWN_SPECIAL = '\\`*_[]|~!{}#'


def csv_cell(value):
    """``value`` as text that a spreadsheet shows as text, never runs as a formula."""
    text = '' if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def markdown_escape(value):
    """``value`` as literal text inside a line of Markdown (a list item or a table cell)."""
    if value is None:
        return ''
    text = ' '.join(str(value).replace('\r', ' ').replace('\t', ' ').split('\n'))
    text = text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    text = ''.join('\\' + char if char in MARKDOWN_SPECIAL else char for char in text)
    # GitHub-flavoured Markdown turns a bare URL into a link; an escaped slash keeps it text.
    return text.replace('://', ':\\/\\/')


def _cell(value):
    if value is None:
        return 'unknown'
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, (list, tuple)):
        return csv_cell(';'.join(str(item) for item in value))
    return csv_cell(value)


def mfa_csv(rows):
    """cipp_mfa_info user rows as CSV text (a header line, then one line per user); null becomes 'unknown'."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\n')
    writer.writerow(MFA_COLUMNS)
    for row in rows or []:
        writer.writerow([_cell(row.get(column)) for column in MFA_COLUMNS])
    return buffer.getvalue()


class FilterModule(object):
    def filters(self):
        return {'mfa_csv': mfa_csv, 'markdown_escape': markdown_escape, 'csv_cell': csv_cell}
