# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report filters for the ready-made playbooks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io

from ansible_collections.msp.cipp.plugins.module_utils._markdown import markdown_escape

MFA_COLUMNS = ('tenant', 'user_principal_name', 'display_name', 'account_enabled', 'user_type', 'is_admin', 'is_licensed',
               'registration', 'methods', 'per_user_state', 'enforced_by', 'covered_by_ca', 'covered_by_security_defaults', 'gap')


# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...), +cmd|..., @SUM...); display names
# and the like come from the tenants, so such a cell is prefixed with a quote (OWASP's advice for CSV injection).
FORMULA_START = ('=', '+', '-', '@', '\t', '\r')


def csv_cell(value):
    """``value`` as text that a spreadsheet shows as text, never runs as a formula."""
    text = '' if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


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
