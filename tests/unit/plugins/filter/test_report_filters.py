# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report filters: CSV cells never run as formulas; tenant-supplied values never become Markdown or HTML."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io

import pytest

from ansible_collections.msp.cipp.plugins.filter.reports import csv_cell, markdown_escape, mfa_csv


@pytest.mark.parametrize('value', ['=HYPERLINK("https://evil.example","x")', '+cmd|\' /C calc\'!A0', '-2+3', '@SUM(A1)',
                                   '\tTab', '\rCR'])
def test_formula_cells_are_neutralised(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize('value', ['Jane Doe', 'jane@contoso.com', '42', '', 'a=b'])
def test_other_cells_are_kept(value):
    assert csv_cell(value) == value


def test_mfa_csv_neutralises_every_column_and_lists():
    rows = [{'tenant': 'contoso.com', 'user_principal_name': 'x@contoso.com', 'display_name': '=1+1',
             'enforced_by': ['@policy', 'sd'], 'registration': 'registered', 'methods': ['-m']}]
    parsed = list(csv.reader(io.StringIO(mfa_csv(rows))))
    header, line = parsed[0], parsed[1]
    cell = dict(zip(header, line))
    assert cell['display_name'] == "'=1+1" and cell['enforced_by'] == "'@policy;sd" and cell['methods'] == "'-m"
    assert cell['tenant'] == 'contoso.com' and cell['gap'] == 'unknown'


@pytest.mark.parametrize('value, shown', [
    ('[click me](https://evil.example/login)', '\\[click me\\](https:\\/\\/evil.example/login)'),
    ('<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'),
    ('*bold* _em_ `code` ~~gone~~', '\\*bold\\* \\_em\\_ \\`code\\` \\~\\~gone\\~\\~'),
    ('a | b', 'a \\| b'),
    ('line\nbreak\r\n# heading', 'line break  \\# heading'),
    ('![x](y)', '\\!\\[x\\](y)'),
    ('back\\slash', 'back\\\\slash'),
    ('Tom & Jerry', 'Tom &amp; Jerry'),
    (None, ''),
    ('plain rule name', 'plain rule name'),
])
def test_markdown_escape(value, shown):
    assert markdown_escape(value) == shown
