# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Callback plugin for the benchmarks: counts task outcomes and writes them as JSON when the play ends.

Counts only (no results are kept), so it adds next to nothing to the wall time it helps measure. A loop
counts per item, as each item is one module execution; the loop's own summary result is not counted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: bench_stats
type: aggregate
short_description: Count task outcomes for the msp.cipp benchmarks
description:
  - Writes C({tasks_ok, tasks_changed, tasks_failed, tasks_skipped, cipp_tasks, cipp_changed, failed_messages}) as JSON to the file named by
    E(MSP_CIPP_BENCH_STATS) when the playbook ends. Benchmark-only; not shipped as a plugin of the collection.
requirements:
  - Enabled through C(callbacks_enabled).
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase

STATS_FILE_VARIABLE = 'MSP_CIPP_BENCH_STATS'
KEPT_MESSAGES = 20


def _data(result):
    data = getattr(result, 'result', None)  # ansible-core >= 2.19; older cores call it _result
    return data if data is not None else result._result  # pylint: disable=protected-access


def _action(result):
    task = getattr(result, 'task', None)
    task = task if task is not None else result._task  # pylint: disable=protected-access
    return str(task.action)


def _is_loop_summary(data):
    # After its items, a loop reports once more with all item results under `results`.
    return isinstance(data.get('results'), list)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_stats'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get(STATS_FILE_VARIABLE)
        self._counts = {'tasks_ok': 0, 'tasks_changed': 0, 'tasks_failed': 0, 'tasks_skipped': 0, 'cipp_tasks': 0, 'cipp_changed': 0,
                        'failed_messages': [], 'task_seconds': {}}
        self._task = None
        self._task_started = None

    def _close_task(self):
        """Wall time from one task's start to the next one's, summed per task name: where a run spends its time."""
        if self._task is not None:
            seconds = self._counts['task_seconds']
            seconds[self._task] = round(seconds.get(self._task, 0.0) + time.time() - self._task_started, 2)
        self._task = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close_task()
        self._task, self._task_started = task.get_name(), time.time()

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _count(self, result, status):
        data = _data(result)
        if _is_loop_summary(data):
            return
        if status == 'ok' and data.get('changed'):
            status = 'changed'
        self._counts['tasks_%s' % status] += 1
        if _action(result).startswith('msp.cipp.'):
            self._counts['cipp_tasks'] += 1
            self._counts['cipp_changed'] += status == 'changed'
        if status == 'failed' and len(self._counts['failed_messages']) < KEPT_MESSAGES:
            self._counts['failed_messages'].append(str(data.get('msg'))[:300])

    def v2_runner_on_ok(self, result):
        self._count(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._count(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._count(result, 'failed')

    def v2_runner_item_on_ok(self, result):
        self._count(result, 'ok')

    def v2_runner_item_on_failed(self, result):
        self._count(result, 'failed')

    def v2_runner_item_on_skipped(self, result):
        self._count(result, 'skipped')

    def v2_playbook_on_stats(self, stats):
        self._close_task()
        if self._path:
            with open(self._path, 'w') as handle:
                json.dump(self._counts, handle)
