# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Callback plugin for the integration harness: records every task result as one JSON line.

The harness (tests/integration/conftest.py) enables it and names the output file in the environment
variable MSP_CIPP_RECORD_FILE. Tests then assert on what Ansible itself handed to callbacks, which is
what users and AWX see: the result after no_log censoring. That is the point: a secret that reaches
this file would also reach a job log. Without the variable the plugin records nothing.

Each line: {"host", "task", "action", "status", "item", "ignore_errors", "result"} where status is one of
ok, changed, failed, skipped, unreachable; "item" is true for per-item results of a loop (the loop's
summary result is recorded as well, with item false).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: msp_cipp_recorder
type: aggregate
short_description: Record task results as JSON lines for the msp.cipp integration tests
description:
  - Appends one JSON object per task result to the file named by E(MSP_CIPP_RECORD_FILE).
  - Test-only; not shipped as a plugin of the collection.
requirements:
  - Enabled through C(callbacks_enabled).
'''

import datetime
import json
import os

from collections.abc import Mapping, Set

from ansible.plugins.callback import CallbackBase

RECORD_FILE_VARIABLE = 'MSP_CIPP_RECORD_FILE'


def _json_default(value):
    """Turn what json cannot encode into plain data; never fail the run over a result's type."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (Set, tuple)):
        return list(value)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode('utf-8', errors='replace')
    return str(value)


def _result_data(result):
    """The result dict as passed to callbacks (ansible-core >= 2.19 names it `result`, older cores `_result`)."""
    data = getattr(result, 'result', None)
    if data is None:
        data = result._result  # pylint: disable=protected-access
    return data


def _task_of(result):
    task = getattr(result, 'task', None)
    return task if task is not None else result._task  # pylint: disable=protected-access


def _host_name(result):
    host = getattr(result, 'host', None)
    if host is None:
        host = result._host  # pylint: disable=protected-access
    return host.get_name()


class CallbackModule(CallbackBase):
    """Appends every runner result to MSP_CIPP_RECORD_FILE."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'msp_cipp_recorder'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get(RECORD_FILE_VARIABLE)

    def _record(self, result, status, item=False, ignore_errors=False):
        if not self._path:
            return
        data = _result_data(result)
        task = _task_of(result)
        if status == 'ok' and data.get('changed'):
            status = 'changed'
        record = {
            'host': _host_name(result),
            'task': task.get_name(),
            'action': task.action,
            'status': status,
            'item': item,
            'ignore_errors': bool(ignore_errors),
            'result': data,
        }
        # Callbacks run in the controller's main process, one at a time, so appending a line is safe with forks.
        with open(self._path, 'a') as handle:
            handle.write(json.dumps(record, default=_json_default, sort_keys=True) + '\n')

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed', ignore_errors=ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')

    def v2_runner_item_on_ok(self, result):
        self._record(result, 'ok', item=True)

    def v2_runner_item_on_failed(self, result):
        self._record(result, 'failed', item=True)

    def v2_runner_item_on_skipped(self, result):
        self._record(result, 'skipped', item=True)
