# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenant-supplied text inside Markdown reports (the markdown_escape filter and the offboarding summaries)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Markdown that a tenant-supplied value could otherwise start: emphasis, code, links and images, tables,
# strikethrough, HTML. Escaped with a backslash; <, > and & become entities; line breaks become spaces.
MARKDOWN_SPECIAL = '\\`*_[]|~!{}#'


def markdown_escape(value):
    """``value`` as literal text inside a line of Markdown (a list item or a table cell)."""
    if value is None:
        return ''
    text = ' '.join(str(value).replace('\r', ' ').replace('\t', ' ').split('\n'))
    text = text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    text = ''.join('\\' + char if char in MARKDOWN_SPECIAL else char for char in text)
    # GitHub-flavoured Markdown turns a bare URL into a link; an escaped slash keeps it text.
    return text.replace('://', ':\\/\\/')
