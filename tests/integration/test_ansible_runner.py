# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A job the way AWX runs it: ansible-runner, a private data dir, credentials only from the custom credential's injector."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys

import yaml

from conftest import COLLECTIONS_PATH, REPO  # pylint: disable=import-error


def _injected_env(credential_type_path, inputs):
    """What AWX puts in the job's environment for a credential of our custom type: its injectors, rendered."""
    with open(credential_type_path) as handle:
        definition = yaml.safe_load(handle)
    env = {}
    for name, template in definition['injectors']['env'].items():
        field = template.strip().strip('{}').strip()
        env[name] = inputs.get(field, '')
    return dict((key, value) for key, value in env.items() if value)


def test_a_playbook_runs_under_ansible_runner_with_injected_credentials(cipp_env, emulator, tmp_path):
    private = tmp_path / 'job'
    (private / 'project').mkdir(parents=True)
    (private / 'inventory').mkdir()
    (private / 'env').mkdir()
    shutil.copy(os.path.join(REPO, 'playbooks', 'mfa_gap_report.yml'), str(private / 'project' / 'mfa_gap_report.yml'))
    shutil.copytree(os.path.join(REPO, 'playbooks', 'templates'), str(private / 'project' / 'templates'))
    hosts = dict((t.default_domain, {'ansible_connection': 'local', 'cipp_default_domain': t.default_domain,
                                     'ansible_python_interpreter': sys.executable}) for t in emulator.state.tenants.values())
    (private / 'inventory' / 'hosts.json').write_text(json.dumps({'all': {
        'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}},
        'children': {'cipp_tenants': {'hosts': hosts}}}}))
    inputs = {'api_url': cipp_env['CIPP_API_URL'], 'client_id': cipp_env['CIPP_CLIENT_ID'],
              'client_secret': cipp_env['CIPP_CLIENT_SECRET'], 'auth_tenant_id': cipp_env['CIPP_AUTH_TENANT_ID'],
              'token_url': cipp_env['CIPP_TOKEN_URL']}
    env = _injected_env(os.path.join(REPO, 'extras', 'awx', 'credential_type.yml'), inputs)
    env.update({'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_PATH, 'CIPP_TOKEN_CACHE': str(tmp_path / 'tokens'),
                'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'local_tmp'), 'ANSIBLE_REMOTE_TMP': str(tmp_path / 'remote_tmp')})
    (private / 'env' / 'envvars').write_text(json.dumps(env))
    (private / 'env' / 'extravars').write_text(json.dumps({'mfa_report_dir': str(tmp_path / 'reports')}))

    runner = os.path.join(os.path.dirname(sys.executable), 'ansible-runner')
    clean_env = dict((k, v) for k, v in os.environ.items() if not k.startswith(('CIPP_', 'ANSIBLE_')))
    clean_env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + clean_env.get('PATH', '')
    completed = subprocess.run([runner, 'run', str(private), '-p', 'mfa_gap_report.yml'], env=clean_env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert (tmp_path / 'reports' / 'mfa_gap_report.csv').exists()
    artifacts = [os.path.join(root, name) for root, _dirs, names in os.walk(str(private / 'artifacts')) for name in names]
    events = [path for path in artifacts if '/job_events/' in path]
    assert events
    secret = cipp_env['CIPP_CLIENT_SECRET']
    for path in events + [p for p in artifacts if p.endswith('stdout')]:
        with open(path) as handle:
            assert secret not in handle.read(), path
