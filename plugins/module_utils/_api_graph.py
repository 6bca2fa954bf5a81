# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API layer: CIPP's Graph proxy, ListGraphRequest, and the answers it gives.

Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/CIPP/Core/Invoke-ListGraphRequest.ps1`` and
``Modules/CIPPCore/Public/GraphRequests/Get-GraphRequestList.ps1``. The query parameters ``$filter``, ``$select``,
``$expand``, ``$top`` and ``$count`` are re-encoded by CIPP (``HttpUtility.ParseQueryString``), so a ``#`` in a
filter value is safe there; the ``Endpoint`` path is not re-encoded, so it only ever carries object ids.
Every page is followed unless ``NoPagination`` is set. The answer is ``{"Results": [...], "Metadata": {...}}``;
a Graph failure is HTTP 400 text/plain ``Graph Error: {message} - Endpoint: {endpoint}`` (CONTRACT 0.1 C18).
The endpoint needs the role ``CIPP.Core.Read`` (the readonly and editor API roles include it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.module_utils._client import result_text  # noqa: F401 pylint: disable=unused-import
from ansible_collections.msp.cipp.plugins.module_utils._errors import CippPermissionError

# result_text (CIPP's message from any of its answer shapes) is re-exported here: resources read CIPP's words through
# the API layer and never import the transport.

ROLE_HINT = ('ListGraphRequest needs the CIPP role CIPP.Core.Read; a custom API role without it cannot read %s. '
             'Add CIPP.Core.Read to the API client\'s role, or use the readonly/editor role.')


def graph_get(client, tenant, endpoint, select=None, graph_filter=None, expand=None, top=None, single_page=False, count=False,
              version=None):
    """The rows Graph returns for ``endpoint`` (every page), without CIPP's ``Tenant``/``CippStatus`` additions.
    ``version`` is Get-GraphRequestList's ``Version`` (``v1.0`` or ``beta``; CIPP's default is ``beta``).

    Source: ``Modules/CIPPHTTP/Public/Entrypoints/HTTP Functions/CIPP/Core/Invoke-ListGraphRequest.ps1``.
    """
    name, params = graph_request(endpoint, select, graph_filter, expand, top, single_page, count, version)
    try:
        body = client.call(name, params, tenant=tenant)
    except CippPermissionError as exc:
        raise CippPermissionError('%s %s' % (exc.message, ROLE_HINT % endpoint), exc.endpoint, exc.status, exc.cipp_message)
    rows = body.get('Results') if isinstance(body, dict) else body
    if isinstance(rows, dict):
        rows = [rows]
    return [_strip(row) for row in rows or [] if isinstance(row, dict)]


def graph_request(endpoint, select=None, graph_filter=None, expand=None, top=None, single_page=False, count=False, version=None):
    """``(endpoint name, parameters)`` of the ListGraphRequest call graph_get makes, for read_together."""
    params = {'Endpoint': endpoint}
    if select:
        params['$select'] = select
    if graph_filter:
        params['$filter'] = graph_filter
    if expand:
        params['$expand'] = expand
    if top:
        params['$top'] = str(top)
    if count:
        params['$count'] = 'true'
    if single_page:
        params['NoPagination'] = 'true'
    if version:
        params['Version'] = version
    return 'ListGraphRequest', params


def read_together(client, tenant, requests):
    """Make many reads of one tenant at once, through CIPP's ``$batch`` (20 per call); the API functions that make
    those reads afterwards get the answers without a call of their own. ``requests`` are ``(endpoint, parameters)``
    pairs from the ``*_request`` functions of the API layer.

    Source: ``Modules/CippEntrypoints/CippEntrypoints.psm1`` (``$batch``: at most 20 requests, run in parallel, each
    through the normal router with the caller's token).
    """
    return client.prefetch(list(requests), tenant=tenant)


def graph_get_object(client, tenant, endpoint, select=None):
    """One object (``users/{id}``): CIPP wraps it as a one-element ``Results`` list. None when Graph returned nothing."""
    rows = graph_get(client, tenant, endpoint, select=select, single_page=True)
    return rows[0] if rows else None


def _strip(row):
    return dict((key, value) for key, value in row.items() if key not in ('Tenant', 'CippStatus'))
