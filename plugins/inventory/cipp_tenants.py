# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: cipp_tenants
short_description: Customer tenants managed by CIPP as inventory hosts
version_added: 0.1.0
description:
  - Reads the tenants CIPP manages (C(GET /api/ListTenants)) and makes one host per tenant, named by its default
    domain (see O(hostname)).
  - Every host gets C(ansible_connection=local), since msp.cipp modules run on the controller and talk HTTPS to CIPP;
    a playbook then targets tenants like hosts and passes C(tenant={{ cipp_default_domain }}) to the modules.
  - "Host variables, all prefixed C(cipp_): C(cipp_tenant_id), C(cipp_display_name), C(cipp_default_domain),
    C(cipp_initial_domain), C(cipp_delegated_privilege_status), C(cipp_relationship_end), C(cipp_relationship_count),
    C(cipp_has_auto_extend), C(cipp_graph_error_count) and C(cipp_last_graph_error)."
  - Every string that comes from CIPP is marked unsafe, so a tenant name containing C({{) is never templated.
  - "Groups: C(cipp_tenants) holds every tenant; C(cipp_gdap) those reached through GDAP
    (C(delegatedPrivilegeStatus=granularDelegatedAdminPrivileges)); C(cipp_direct) the direct tenants
    (C(directTenant)). More groups can be built with O(keyed_groups) and O(groups)."
  - The inventory source is a YAML file whose name ends in C(.cipp_tenants.yml) or C(.cipp_tenants.yaml)
    (or is exactly C(cipp_tenants.yml) / C(cipp_tenants.yaml)) and that sets O(plugin) to V(msp.cipp.cipp_tenants).
  - Connection options can be left out of the file and given as E(CIPP_*) environment variables instead, the same
    ones the msp.cipp modules read. That suits AWX/AAP inventory sources, where a custom credential type injects them.
  - Only reads; it needs no more than the C(readonly) role in CIPP. An API client with a custom role sees only the
    tenants that role allows.
author:
  - msp.cipp contributors (@msp-cipp)
requirements:
  - requests
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; it makes the file an inventory source for it.
    type: str
    required: true
    choices: [msp.cipp.cipp_tenants]
  api_url:
    description:
      - Base URL of the CIPP-API Function App, for example V(https://cipp-xxxxx.azurewebsites.net).
      - Calls go to C({api_url}/api/{Endpoint}). A trailing C(/api) is accepted and ignored.
      - Required, in the file or in the environment.
    type: str
    env:
      - name: CIPP_API_URL
  client_id:
    description:
      - Application (client) ID of the CIPP API client (CIPP > Integrations > CIPP-API).
      - Used with O(client_secret) to get a token by the Entra ID client-credentials flow,
        with scope C(api://{client_id}/.default).
    type: str
    env:
      - name: CIPP_CLIENT_ID
  client_secret:
    description:
      - Secret of the CIPP API client. This is a secret; it is never shown in output or error messages.
      - Prefer the environment variable (or an AWX/AAP credential that injects it) over writing it into the
        inventory file; if it must be in the file, encrypt it with Ansible Vault.
    type: str
    env:
      - name: CIPP_CLIENT_SECRET
  auth_tenant_id:
    description:
      - Tenant ID (or primary domain) of the partner tenant in which the CIPP API client is registered.
      - Builds the default token URL C(https://login.microsoftonline.com/{auth_tenant_id}/oauth2/v2.0/token).
    type: str
    env:
      - name: CIPP_AUTH_TENANT_ID
  token_url:
    description:
      - Full URL of the OAuth 2.0 token endpoint. Overrides the URL built from O(auth_tenant_id).
    type: str
    env:
      - name: CIPP_TOKEN_URL
  access_token:
    description:
      - A bearer token acquired beforehand. When set, O(client_id) and O(client_secret) are not used.
      - This is a secret; it is never shown in output or error messages.
    type: str
    env:
      - name: CIPP_ACCESS_TOKEN
  validate_certs:
    description:
      - Whether to validate the TLS certificates of the CIPP API and of the token endpoint.
    type: bool
    default: true
    env:
      - name: CIPP_VALIDATE_CERTS
  timeout:
    description:
      - Seconds to wait for an answer to one HTTP request.
    type: int
    default: 60
    env:
      - name: CIPP_TIMEOUT
  max_retries:
    description:
      - How many times a failed request is tried again (connection errors, read timeouts, HTTP 429, 500, 502, 503
        and 504), with jittered exponential backoff that honours C(Retry-After).
    type: int
    default: 4
    env:
      - name: CIPP_MAX_RETRIES
  token_cache:
    description:
      - Directory in which bearer tokens are cached (files with mode C(0600)), shared with the msp.cipp modules, so an
        inventory refresh followed by a playbook asks the token endpoint once.
      - Defaults to C(~/.cache/msp.cipp/tokens) (or under E(XDG_CACHE_HOME)). Set to V(off) to keep the token in
        memory only.
    type: str
    env:
      - name: CIPP_TOKEN_CACHE
  hostname:
    description:
      - Which tenant property names the host. Host names are lower-cased.
      - V(default_domain) is what the msp.cipp modules accept as their C(tenant) option.
      - When a tenant has no value for the chosen property, the first one set among the default domain, the
        initial domain and the tenant ID is used instead.
    type: str
    choices: [default_domain, initial_domain, tenant_id]
    default: default_domain
  include_tenants:
    description:
      - Keep only tenants that match at least one of these patterns. Empty keeps every tenant.
      - A pattern is a shell-style wildcard (V(*), V(?), V([...])), matched without regard to case against the
        tenant's default domain, initial domain, display name and tenant ID.
      - Every tenant has an initial domain ending in C(.onmicrosoft.com), so V(*.onmicrosoft.com) matches them all.
    type: list
    elements: str
    default: []
  exclude_tenants:
    description:
      - Leave out tenants that match any of these patterns (same matching as O(include_tenants)).
      - Applied after O(include_tenants), so an exclusion always wins.
    type: list
    elements: str
    default: []
  exclude_with_graph_errors:
    description:
      - Leave out tenants for which CIPP records Microsoft Graph errors (C(GraphErrorCount) above zero),
        typically a broken GDAP relationship or missing consent; calls against them would fail.
    type: bool
    default: false
  set_python_interpreter:
    description:
      - Set C(ansible_python_interpreter) to C({{ ansible_playbook_python }}) on every host, so modules run with the
        same Python as C(ansible-playbook) (which has C(requests)) instead of whatever interpreter discovery finds.
      - Set to V(false) to manage the interpreter yourself, for example with group or host variables.
    type: bool
    default: true
notes:
  - CIPP's C(AllTenants) pseudo-row and any row without a tenant ID are never made into hosts.
  - When CIPP cannot list its tenants it answers HTTP 200 with a single error row (C(Failed to retrieve tenants ...));
    this plugin then fails with CIPP's text rather than returning an empty inventory.
  - With O(cache) enabled, the tenant list from CIPP is cached (per inventory file, API URL and client); filters,
    O(hostname) and the constructed options are applied after reading the cache, so changing them needs no refresh.
    A cached inventory makes no HTTP call. Use C(--flush-cache) or C(ansible.builtin.meta) V(refresh_inventory) to read
    CIPP again.
  - Ansible only warns when an inventory source fails (bad credentials, CIPP unreachable) and goes on with the
    hosts it has. E(ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=true) makes that an error;
    E(ANSIBLE_INVENTORY_UNPARSED_FAILED=true), which AWX/AAP inventory updates set, does so when no source parses.
  - Two tenants that map to the same host name (possible with O(hostname=initial_domain) fallbacks) give a
    warning; the first, in CIPP's display-name order, is kept.
  - The partner tenant itself appears when CIPP is set to show it (display name C(*Partner Tenant));
    leave it out with O(exclude_tenants) if your plays should not touch it.
seealso:
  - module: msp.cipp.cipp_tenant_info
'''

EXAMPLES = r'''
# inventory/prod.cipp_tenants.yml: connection from CIPP_API_URL, CIPP_CLIENT_ID, CIPP_CLIENT_SECRET
# and CIPP_AUTH_TENANT_ID in the environment (for example from an AWX/AAP credential).
plugin: msp.cipp.cipp_tenants

# All options in the file; the secret encrypted with Ansible Vault.
---
plugin: msp.cipp.cipp_tenants
api_url: https://cipp-xxxxx.azurewebsites.net
auth_tenant_id: 00000000-0000-0000-0000-000000000000
client_id: 11111111-1111-1111-1111-111111111111
client_secret: !vault |
  $ANSIBLE_VAULT;1.1;AES256
  ...

# A subset of tenants, healthy ones only, with extra groups and variables.
---
plugin: msp.cipp.cipp_tenants
include_tenants:
  - 'contoso*'         # default or initial domain, or display name, starting with contoso
  - '*.nl'
exclude_tenants:
  - '*Partner Tenant'
  - 3f2c9a7e-*
exclude_with_graph_errors: true
keyed_groups:
  # cipp_status_granularDelegatedAdminPrivileges, cipp_status_directTenant
  - key: cipp_delegated_privilege_status
    prefix: cipp_status
groups:
  # GDAP relationships that will not renew themselves
  gdap_no_auto_extend: cipp_delegated_privilege_status == 'granularDelegatedAdminPrivileges' and not cipp_has_auto_extend
  # Tenants whose relationship ends before 2027 (ISO 8601 strings compare in date order)
  gdap_ending_soon: cipp_relationship_end is string and cipp_relationship_end < '2027-01-01'
compose:
  tenant: cipp_default_domain

# Cache the tenant list for an hour in JSON files.
---
plugin: msp.cipp.cipp_tenants
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/msp.cipp/inventory
cache_timeout: 3600
'''

import fnmatch
import hashlib
import os
import re

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19: strings an inventory plugin sets are templated unless wrapped unsafe
    def trust_as_template(value):
        return value

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippError
from ansible_collections.msp.cipp.plugins.module_utils._module import client_from_params
from ansible_collections.msp.cipp.plugins.module_utils._tenants import list_tenants

CONNECTION_OPTIONS = ('api_url', 'client_id', 'client_secret', 'auth_tenant_id', 'token_url', 'access_token',
                      'validate_certs', 'timeout', 'max_retries', 'token_cache')
FILE_NAME = re.compile(r'(^|\.)cipp_tenants\.ya?ml$')

# delegatedPrivilegeStatus -> the default group for it; other values only land in cipp_tenants.
STATUS_GROUPS = {
    'granularDelegatedAdminPrivileges': 'cipp_gdap',
    'directTenant': 'cipp_direct',
}
ALL_GROUP = 'cipp_tenants'

# Properties the hostname option can choose, in the fallback order used when the chosen one is empty.
HOSTNAME_FIELDS = (
    ('default_domain', 'defaultDomainName'),
    ('initial_domain', 'initialDomainName'),
    ('tenant_id', 'customerId'),
)
MATCH_FIELDS = ('defaultDomainName', 'initialDomainName', 'displayName', 'customerId')


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'msp.cipp.cipp_tenants'

    def verify_file(self, path):
        """Claim only files named like ``*.cipp_tenants.yml``, so other YAML inventories are left alone."""
        if not super(InventoryModule, self).verify_file(path):
            return False
        return bool(FILE_NAME.search(os.path.basename(path)))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        rows = self._tenant_rows(path, cache)
        self._populate(rows)

    # ------------------------------------------------------------------ source data (CIPP or cache)

    def _tenant_rows(self, path, cache):
        """ListTenants rows, from the inventory cache when allowed and present, else from CIPP.

        ``cache`` is False when the user asked for fresh data (``--flush-cache``, ``refresh_inventory``);
        the cache is then rewritten, not read.
        """
        if not self.get_option('cache'):
            return self._fetch_rows()
        key = self._source_cache_key(path)
        if cache:
            try:
                return self._cache[key]
            except KeyError:
                pass
        rows = self._fetch_rows()
        self._cache[key] = rows
        return rows

    def _source_cache_key(self, path):
        """The standard per-file key, plus which CIPP and client it came from.

        The same file is often used with different CIPP_* environments (production, a lab, the emulator);
        without this a cached list from one CIPP would be served for another.
        """
        identity = '\n'.join(str(self.get_option(name) or '') for name in ('api_url', 'client_id', 'auth_tenant_id', 'token_url'))
        digest = hashlib.sha256(identity.encode('utf-8')).hexdigest()[:12]
        return '%s_%s' % (self.get_cache_key(path), digest)

    def _fetch_rows(self):
        params = dict((name, self.get_option(name)) for name in CONNECTION_OPTIONS)
        try:
            # check_mode=False is safe: this plugin only ever sends ListTenants, a read.
            client = client_from_params(params, check_mode=False)
            rows = list_tenants(client)
        except CippError as exc:
            # CippError messages are built from redacted material only: no secret can appear here.
            raise AnsibleError('msp.cipp.cipp_tenants: %s' % to_native(exc.message))
        if not rows:
            # Not an error (a custom role may allow no tenant), but a play over it would silently do nothing.
            self.display.warning('msp.cipp.cipp_tenants: CIPP returned no tenants for this API client.')
        self.display.vvv('msp.cipp.cipp_tenants: ListTenants returned %d tenant(s)' % len(rows))
        return rows

    # ------------------------------------------------------------------ hosts, variables, groups

    def _populate(self, rows):
        self.inventory.add_group(ALL_GROUP)
        for group in sorted(set(STATUS_GROUPS.values())):
            self.inventory.add_group(group)
        strict = self.get_option('strict')
        seen = {}
        for row in self._selected(rows):
            host = self._hostname(row)
            if host in seen:
                self.display.warning('msp.cipp.cipp_tenants: tenants %s and %s both map to host name %s; keeping the first.'
                                     % (seen[host], row.get('customerId'), host))
                continue
            seen[host] = row.get('customerId')
            self._add_tenant(host, row, strict)

    def _selected(self, rows):
        include = [pattern.lower() for pattern in self.get_option('include_tenants') or []]
        exclude = [pattern.lower() for pattern in self.get_option('exclude_tenants') or []]
        skip_graph_errors = self.get_option('exclude_with_graph_errors')
        for row in rows:
            if not isinstance(row, dict) or not row.get('customerId'):
                continue
            if include and not matches_any(row, include):
                continue
            if exclude and matches_any(row, exclude):
                continue
            if skip_graph_errors and (to_int(row.get('GraphErrorCount')) or 0) > 0:
                self.display.vvv('msp.cipp.cipp_tenants: leaving out %s: %s Graph error(s)'
                                 % (row.get('defaultDomainName'), row.get('GraphErrorCount')))
                continue
            yield row

    def _hostname(self, row):
        chosen = dict(HOSTNAME_FIELDS)[self.get_option('hostname')]
        for field in [chosen] + [field for _name, field in HOSTNAME_FIELDS]:
            value = str(row.get(field) or '').strip()
            if value:
                # Domains and GUIDs are case-insensitive; one spelling keeps host names stable between runs.
                return value.lower()
        return None  # unreachable: _selected drops rows without customerId

    def _add_tenant(self, host, row, strict):
        self.inventory.add_host(host, group=ALL_GROUP)
        group = STATUS_GROUPS.get(row.get('delegatedPrivilegeStatus'))
        if group:
            self.inventory.add_child(group, host)
        hostvars = tenant_hostvars(row)
        hostvars['ansible_connection'] = 'local'
        if self.get_option('set_python_interpreter'):
            # Our own template, not API data: it must stay templatable (trusted) under ansible-core >= 2.19.
            hostvars['ansible_python_interpreter'] = trust_as_template('{{ ansible_playbook_python }}')
        for name, value in hostvars.items():
            self.inventory.set_variable(host, name, value)
        self._set_composite_vars(self.get_option('compose'), hostvars, host, strict=strict)
        self._add_host_to_composed_groups(self.get_option('groups'), hostvars, host, strict=strict)
        self._add_host_to_keyed_groups(self.get_option('keyed_groups'), hostvars, host, strict=strict)


def tenant_hostvars(row):
    """The ``cipp_*`` variables of one ListTenants row; every API string wrapped unsafe."""
    return wrap_var({
        'cipp_tenant_id': row.get('customerId'),
        'cipp_display_name': row.get('displayName'),
        'cipp_default_domain': row.get('defaultDomainName'),
        'cipp_initial_domain': row.get('initialDomainName'),
        'cipp_delegated_privilege_status': row.get('delegatedPrivilegeStatus'),
        'cipp_relationship_end': row.get('relationshipEnd') or None,
        'cipp_relationship_count': to_int(row.get('relationshipCount')),
        'cipp_has_auto_extend': to_bool(row.get('hasAutoExtend')),
        'cipp_graph_error_count': to_int(row.get('GraphErrorCount')) or 0,
        'cipp_last_graph_error': row.get('LastGraphError') or '',
    })


def matches_any(row, patterns):
    """True when a (lower-case) fnmatch pattern matches any of the tenant's names or its id."""
    values = [str(row.get(field) or '').lower() for field in MATCH_FIELDS]
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns for value in values if value)


def to_int(value):
    """CIPP's table entities may carry numbers as strings; None when absent or not a number."""
    if value is None or value == '' or isinstance(value, bool):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def to_bool(value):
    """Booleans as JSON gives them, or the strings an Azure table entity may hold; None when unknown."""
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    if text in ('true', '1', 'yes'):
        return True
    if text in ('false', '0', 'no'):
        return False
    return None
