# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An onboarding job the way AWX runs it, against the emulator.

AWX hands ansible-runner a private data dir (project/, inventory/, env/envvars, env/extravars, env/settings) and
puts a custom credential's secrets into the job only through the credential type's injectors. Here the injectors
of extras/awx/credential_type.yml are rendered the way AWX renders them (each template in a Jinja2 sandbox, with
the credential's inputs as variables; an input left empty renders as ''), for the emulator's editor client. The
inventory is the cipp_tenants plugin file an AWX inventory source would use, reading the same injected variables.
The job must succeed, and nothing a job log keeps (events, stdout) may hold a secret: the client secret, an
access token the emulator issued, or a password CIPP generated for a new hire.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import stat
import subprocess
import sys
import urllib.request

import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from conftest import COLLECTIONS_PATH, REPO  # pylint: disable=import-error

pytest.importorskip('ansible_runner', reason='ansible-runner is not installed in this venv (requirements-dev.txt pins it)')

CREDENTIAL_TYPE = os.path.join(REPO, 'extras', 'awx', 'credential_type.yml')
TENANT = 'contoso.com'
HIRES = [{'username': 'awx.hire%d' % number, 'given_name': 'Awx', 'surname': 'Hire %d' % number} for number in (1, 2)]
TEMPLATE = {'domain': TENANT, 'usage_location': 'GB', 'licenses': ['SPB'], 'groups': ['Finance']}


def awx_injected_env(credential_type_path, inputs):
    """The environment AWX gives a job for one credential of this type: its env injectors, rendered."""
    with open(credential_type_path) as handle:
        definition = yaml.safe_load(handle)
    fields = definition['inputs']['fields']
    missing = [name for name in definition['inputs'].get('required', []) if not inputs.get(name)]
    assert not missing, 'AWX refuses to save a credential without %s' % missing
    unknown = set(inputs) - set(field['id'] for field in fields)
    assert not unknown, 'not inputs of the credential type: %s' % sorted(unknown)
    sandbox = ImmutableSandboxedEnvironment()
    return dict((name, sandbox.from_string(template).render(**inputs))
                for name, template in definition['injectors']['env'].items())


def _emulator_credential(cipp_env):
    """The inputs an admin would type into a "CIPP API" credential for the emulator's editor client."""
    return {'api_url': cipp_env['CIPP_API_URL'], 'client_id': cipp_env['CIPP_CLIENT_ID'],
            'client_secret': cipp_env['CIPP_CLIENT_SECRET'], 'auth_tenant_id': cipp_env['CIPP_AUTH_TENANT_ID'],
            'token_url': cipp_env['CIPP_TOKEN_URL']}


def _emulator_log(emulator):
    with urllib.request.urlopen(emulator.url + '/_emulator/log', timeout=10) as response:  # nosec - loopback emulator
        return json.loads(response.read())


def _write_json(path, data):
    path.write_text(json.dumps(data, indent=2))


def _private_data_dir(root, job_env, extravars):
    """AWX's layout: the project checkout, an inventory source file, and env/ for ansible-runner."""
    shutil.copytree(os.path.join(REPO, 'playbooks'), str(root / 'project' / 'playbooks'))
    (root / 'inventory').mkdir()
    # An AWX inventory source "Sourced from a Project" with the credential attached: the plugin file, no settings.
    (root / 'inventory' / 'cipp.cipp_tenants.yml').write_text('plugin: msp.cipp.cipp_tenants\n')
    (root / 'env').mkdir()
    _write_json(root / 'env' / 'envvars', job_env)
    _write_json(root / 'env' / 'extravars', extravars)
    _write_json(root / 'env' / 'settings', {'job_timeout': 240, 'suppress_ansible_output': True})
    return str(root)


def _job_environment(injected, tmp_path):
    """The injected credential plus what the execution environment itself provides (nothing secret)."""
    env = dict(injected)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_PATH,  # in an EE the collection is baked into the image
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_HOME': str(tmp_path / 'ansible_home'),
        'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'local_tmp'),
        'ANSIBLE_REMOTE_TMP': str(tmp_path / 'remote_tmp'),
        'CIPP_TOKEN_CACHE': str(tmp_path / 'tokens'),
    })
    return env


def _clean_environment():
    """The test process's environment without CIPP_*/ANSIBLE_*, the venv first on PATH.

    Nothing from the developer's shell may stand in for the injected credential: ansible-runner starts the job with
    its own environment plus env/envvars, as AWX's worker does inside the EE.
    """
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(('CIPP_', 'ANSIBLE_')))
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    return env


def _run_job(private, ident):
    """`ansible-runner run` as a process of its own (it forks a pty; this test process has the emulator's threads)."""
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-runner'), 'run', private, '--ident', ident,
               '-p', 'playbooks/onboard.yml', '--limit', TENANT, '-vvv']
    completed = subprocess.run(command, env=_clean_environment(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, universal_newlines=True, timeout=300, check=False)
    artifacts = os.path.join(private, 'artifacts', ident)
    events = []
    for name in sorted(os.listdir(os.path.join(artifacts, 'job_events'))):
        with open(os.path.join(artifacts, 'job_events', name)) as handle:
            events.append((name, handle.read()))
    with open(os.path.join(artifacts, 'stdout')) as handle:
        stdout = handle.read()
    with open(os.path.join(artifacts, 'status')) as handle:
        status = handle.read().strip()
    return completed, status, events, stdout


def _stats(events):
    """The playbook_on_stats event's data: per-stat dicts of host -> count, as AWX shows them."""
    for _name, text in events:
        event = json.loads(text)
        if event.get('event') == 'playbook_on_stats':
            return event['event_data']
    raise AssertionError('the job has no playbook_on_stats event')


def test_onboarding_job_under_ansible_runner_with_awx_injected_credentials(emulator, cipp_env, tmp_path):
    injected = awx_injected_env(CREDENTIAL_TYPE, _emulator_credential(cipp_env))
    assert sorted(injected) == ['CIPP_API_URL', 'CIPP_AUTH_TENANT_ID', 'CIPP_CLIENT_ID', 'CIPP_CLIENT_SECRET', 'CIPP_TOKEN_URL']
    assert injected['CIPP_CLIENT_SECRET'] == cipp_env['CIPP_CLIENT_SECRET']
    handover = tmp_path / 'handover'
    extravars = {'onboarding_hires': HIRES, 'onboarding_template': TEMPLATE, 'onboarding_handover_dir': str(handover)}
    private = _private_data_dir(tmp_path / 'job', _job_environment(injected, tmp_path), extravars)

    completed, status, events, stdout = _run_job(private, 'job1')
    assert (completed.returncode, status) == (0, 'successful'), stdout[-6000:] + completed.stderr[-2000:]
    stats = _stats(events)
    assert stats['changed'].get(TENANT) and not stats['failures'], stats

    tenant = next(t for t in emulator.state.tenants.values() if t.default_domain == TENANT)
    passwords = []
    for hire in HIRES:
        upn = '%s@%s' % (hire['username'], TENANT)
        user = tenant.find_user(upn)
        assert user is not None, upn
        path = handover / (upn + '.txt')
        assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
        assert 'Password: %s' % user['_password'] in path.read_text()
        passwords.append(user['_password'])

    # The job really authenticated with the injected client (the inventory source and the modules).
    log = [entry for entry in _emulator_log(emulator) if entry.get('kind') != 'token']
    assert log and set(entry['client_id'] for entry in log) == {cipp_env['CIPP_CLIENT_ID']}
    secrets = [cipp_env['CIPP_CLIENT_SECRET']] + passwords + list(emulator.state.tokens)
    assert len(secrets) > 3, 'no access token was issued: the job cannot have talked to the emulator'
    # The events as AWX stores them (artifacts/<ident>/job_events) and the job's stdout. artifacts/<ident>/command is
    # left out on purpose: it records the job's whole environment, the injected secret included, as AWX's job_env does.
    for where, text in events + [('stdout', stdout), ('runner output', completed.stdout + completed.stderr)]:
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, 'a secret is in %s' % where
    assert 'awx.hire1@contoso.com' in stdout  # the job log is there and names the hire, only the secrets are not


def test_an_optional_input_left_empty_is_injected_empty_and_means_the_default(cipp_env, tmp_path):
    """Most real credentials leave "Token URL" empty: AWX then injects CIPP_TOKEN_URL='' (set, but empty), which the
    collection must read as "not given" and derive Entra ID's token endpoint from the partner tenant."""
    inputs = _emulator_credential(cipp_env)
    del inputs['token_url']
    injected = awx_injected_env(CREDENTIAL_TYPE, inputs)
    assert injected['CIPP_TOKEN_URL'] == ''
    if COLLECTIONS_PATH not in sys.path:
        sys.path.insert(0, COLLECTIONS_PATH)
    from ansible_collections.msp.cipp.plugins.module_utils._module import client_from_params  # pylint: disable=import-error
    params = dict((name[len('CIPP_'):].lower(), value) for name, value in injected.items())
    params['token_cache'] = str(tmp_path / 'tokens')
    client = client_from_params(params, check_mode=False)
    assert client.token_url == 'https://login.microsoftonline.com/%s/oauth2/v2.0/token' % inputs['auth_tenant_id']
