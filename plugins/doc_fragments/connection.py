# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  api_url:
    description:
      - Base URL of the CIPP-API Function App, for example V(https://cipp-xxxxx.azurewebsites.net).
      - Calls go to C({api_url}/api/{Endpoint}). A trailing C(/api) is accepted and ignored.
      - This is the Function App host, not the Static Web App front end.
      - If not set, the value of the E(CIPP_API_URL) environment variable is used. One of the two is required.
    type: str
  client_id:
    description:
      - Application (client) ID of the CIPP API client (CIPP > Integrations > CIPP-API).
      - Used with O(client_secret) to get a token by the Entra ID client-credentials flow,
        with scope C(api://{client_id}/.default).
      - If not set, the value of the E(CIPP_CLIENT_ID) environment variable is used.
    type: str
  client_secret:
    description:
      - Secret of the CIPP API client. Never logged or returned.
      - If not set, the value of the E(CIPP_CLIENT_SECRET) environment variable is used.
    type: str
  auth_tenant_id:
    description:
      - Tenant ID (or primary domain) of the partner tenant in which the CIPP API client is registered.
      - Builds the default token URL C(https://login.microsoftonline.com/{auth_tenant_id}/oauth2/v2.0/token).
      - If not set, the value of the E(CIPP_AUTH_TENANT_ID) environment variable is used.
    type: str
  token_url:
    description:
      - Full URL of the OAuth 2.0 token endpoint. Overrides the URL built from O(auth_tenant_id).
      - If not set, the value of the E(CIPP_TOKEN_URL) environment variable is used.
    type: str
  access_token:
    description:
      - A bearer token acquired beforehand. When set, O(client_id) and O(client_secret) are not used and
        the token is not refreshed on a C(401).
      - If not set, the value of the E(CIPP_ACCESS_TOKEN) environment variable is used.
    type: str
  validate_certs:
    description:
      - Whether to validate the TLS certificates of the CIPP API and of the token endpoint.
      - If not set, the value of the E(CIPP_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for an answer to one HTTP request. CIPP calls can take long, as CIPP retries
        Microsoft Graph and Exchange itself.
      - If not set, the value of the E(CIPP_TIMEOUT) environment variable is used.
    type: int
    default: 60
  max_retries:
    description:
      - How many times a failed request is tried again (connection errors, read timeouts, HTTP 429, 502, 503
        and 504), with jittered exponential backoff that honours C(Retry-After).
      - A write (anything that changes the tenant) is sent again only when the failure proves it was not
        applied (connection refused, HTTP 429 or 503). Otherwise the module re-reads the state or fails
        with a message saying the outcome is unknown; it never sends a write twice blindly.
      - If not set, the value of the E(CIPP_MAX_RETRIES) environment variable is used.
    type: int
    default: 4
  token_cache:
    description:
      - Directory in which bearer tokens are cached, shared by every task and fork of a run, so that a
        whole playbook asks the token endpoint once. Files are written with mode C(0600).
      - Defaults to C(~/.cache/msp.cipp/tokens) (or under E(XDG_CACHE_HOME)). Set to V(off) to keep tokens
        in memory for one task only.
      - If not set, the value of the E(CIPP_TOKEN_CACHE) environment variable is used.
    type: str
requirements:
  - requests
notes:
  - All msp.cipp modules run on the controller (or the host they are delegated to) and talk HTTPS to CIPP.
    Set O(api_url), O(client_id), O(client_secret) and O(auth_tenant_id) once for all of them with
    C(module_defaults) and the action group C(group/msp.cipp.cipp), or with the E(CIPP_*) environment variables.
  - The CIPP API client needs a role that allows the calls a module makes (C(readonly) for info modules,
    C(editor) for changes). CIPP's refusals are reported with the endpoint, HTTP status and CIPP's text.
'''

    TENANT = r'''
options:
  tenant:
    description:
      - The customer tenant, as CIPP knows it; its default domain, its C(*.onmicrosoft.com) domain or its tenant ID.
      - Sent to CIPP as C(tenantFilter). Writes to C(AllTenants) are refused.
    type: str
    required: true
'''
