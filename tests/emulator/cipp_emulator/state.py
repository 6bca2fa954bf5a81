"""The emulator's in-memory model of one CIPP instance and its customer tenants.

Everything lives in plain dicts shaped like what CIPP returns (Graph camelCase, CIPP PascalCase); keys that start
with ``_`` are the emulator's own bookkeeping and never leave the server. ``lock`` guards every read and change.
"""

import re
import threading
import time

from .latency import Latency

# The partner tenant that holds the API clients (the `{auth_tenant_id}` of the token URL).
DEFAULT_AUTH_TENANT_ID = '5e1f0000-0000-4000-8000-00000000aa01'

# Test credentials of the emulator's API clients (not secrets of anything real). Roles are CIPP's built-in ones.
DEFAULT_CLIENTS = {
    'readonly': {'client_id': '0c1e0000-0000-4000-8000-000000000001', 'client_secret': 'emulator-readonly-secret', 'role': 'readonly'},
    'editor': {'client_id': '0c1e0000-0000-4000-8000-000000000002', 'client_secret': 'emulator-editor-secret', 'role': 'editor'},
    'admin': {'client_id': '0c1e0000-0000-4000-8000-000000000003', 'client_secret': 'emulator-admin-secret', 'role': 'admin'},
}

GUID = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')


class TenantState:
    def __init__(self, row):
        self.row = row
        self.domains = []
        self.users = {}
        self.groups = {}
        self.skus = {}
        self.mailboxes = {}
        self.inbox_rules = {}
        self.devices = {}
        self.mobile_devices = {}
        self.signins = []
        self.deleted = {}
        self.apps = []
        self.security_defaults = False
        self.ca_policies = []
        self.roles = {}             # activated directory roles: id -> {id, displayName, description, roleTemplateId, _members}
        self.contacts = []          # Exchange mail contacts: {displayName, mail, mailNickname}
        self.no_p1 = False          # no Entra ID P1 in any SKU: the registration report and CA reporting are unavailable
        self.auth_methods_policy = None   # beta policies/authenticationMethodsPolicy once changed (None: Microsoft's default)
        self.system_preferred_mfa = False  # system-preferred MFA for users who have no own signInPreferences setting
        self.stale = {}             # eventual consistency: user id -> {snapshot, reads_left, until} (see consistency.py)

    @property
    def customer_id(self):
        return self.row['customerId']

    @property
    def default_domain(self):
        return self.row['defaultDomainName']

    def find_user(self, ident):
        """A user by object id or UPN (any case), or None."""
        if ident is None:
            return None
        text = str(ident).strip().lower()
        if text in self.users:
            return self.users[text]
        for user in self.users.values():
            if user['id'].lower() == text or str(user.get('userPrincipalName', '')).lower() == text:
                return user
        return None


class State:
    def __init__(self):
        self.lock = threading.RLock()
        self.tenants = {}
        self.scheduled_tasks = {}
        self.bec_cache = {}
        self.api_clients = {}
        self.step_failures = {}
        self.tokens = {}            # access token -> {"appId", "aud", "expires"}
        self.token_lifetime = 3599
        self.clock_offset = 0.0
        self.log = []
        self.log_controls = False   # control calls are logged only when asked (POST /_emulator/log/settings)
        self.seq = 0
        self.latency = Latency()    # what a request waits before its handler (latency.py; POST /_emulator/latency)
        self.fault_rules = []
        self.fault_random = None
        self.seed_name = 'default'
        # Graph's eventual consistency (opt-in, POST /_emulator/consistency): how long a created or edited user
        # keeps showing its old state (or is absent) to reads: `reads` reads and/or `seconds` seconds; 0 = off.
        self.consistency = {'reads': 0, 'seconds': 0.0}
        self.custom_roles = {}      # CIPP custom roles (POST /_emulator/custom-roles): lower name -> role
        self.bec_failures = {}      # userid (lower) -> error text a BEC run for that user fails with
        for client in DEFAULT_CLIENTS.values():
            self.api_clients[client['client_id']] = {'appId': client['client_id'], 'secret': client['client_secret'],
                                                     'role': client['role'], 'ipRanges': [], 'enabled': True}

    def now(self):
        return time.time() + self.clock_offset

    def add_tenant(self, tenant):
        self.tenants[tenant.customer_id] = tenant

    def resolve_tenant(self, tenant_filter):
        """A tenant by default domain, initial domain (any case) or customerId; None when CIPP does not manage it."""
        if isinstance(tenant_filter, dict):
            tenant_filter = tenant_filter.get('value')
        if not tenant_filter:
            return None
        text = str(tenant_filter).lower()  # no trimming: CIPP looks the value up as sent, so '  ' is no tenant
        for tenant in self.tenants.values():
            if text in (tenant.customer_id.lower(), tenant.row['defaultDomainName'].lower(), tenant.row['initialDomainName'].lower()):
                return tenant
        return None

    def append_log(self, entry):
        with self.lock:
            self.seq += 1
            entry['seq'] = self.seq
            self.log.append(entry)
            return entry
