# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the msp.cipp benchmarks (issue 7) and print a table per scenario; write everything as JSON.

  .venv/bin/python tests/bench/run.py                    # the full benchmark (about 10 minutes here)
  .venv/bin/python tests/bench/run.py --smoke            # tiny versions of every scenario, about a minute (make test)
  .venv/bin/python tests/bench/run.py --only noop,tokens --latency-ms 50 --json /tmp/bench.json
  .venv/bin/python tests/bench/run.py --only noop --uneven --uneven-settings cold_probability=0.1,cold_ms=2000

Latency: every scenario runs with steady latency (each request waits --latency-ms), then the scenarios listed in
scenarios.UNEVEN run again with uneven latency (a seeded lognormal spread around the same mean plus occasional
multi-second cold starts; tests/emulator/cipp_emulator/latency.py). --steady or --uneven runs only one of the two.

Exit status: 0 when every correctness check held (timing goals are reported, met or missed, but never fail the
run: a shared machine can miss a timing goal with nothing wrong), 1 when a check failed, 2 on bad arguments.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import harness  # noqa: E402  pylint: disable=import-error,wrong-import-position
import scenarios  # noqa: E402  pylint: disable=import-error,wrong-import-position
from cipp_emulator.latency import UNEVEN_DEFAULTS, uneven_settings  # noqa: E402  pylint: disable=import-error,wrong-import-position


SMOKE_UNEVEN = ('noop',)


def parse_args(argv):
    names = [name for name, _function in scenarios.SCENARIOS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--smoke', action='store_true', help='tiny versions of every scenario (checks only, < 60 s)')
    parser.add_argument('--only', default=','.join(names), help='comma-separated scenarios: %s' % ', '.join(names))
    parser.add_argument('--latency-ms', type=int, default=100, help='latency the emulator adds to every request (default 100)')
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument('--steady', action='store_true', help='steady latency only')
    modes.add_argument('--uneven', action='store_true', help='uneven latency only (the scenarios of scenarios.UNEVEN)')
    parser.add_argument('--uneven-settings', default='',
                        help='uneven latency overrides, KEY=VALUE,...: sigma, cold_probability, cold_ms, seed (default %s)'
                             % ','.join('%s=%s' % item for item in sorted(UNEVEN_DEFAULTS.items())))
    parser.add_argument('--json', help='where to write the results (default .build/bench/bench[-smoke].json)')
    parser.add_argument('--keep', action='store_true', help='keep the work directories (playbook output, emulator logs)')
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(',') if name.strip()]
    unknown = sorted(set(args.only) - set(names))
    if unknown:
        parser.error('unknown scenario(s): %s' % ', '.join(unknown))
    try:
        args.uneven_settings = uneven_settings(dict(_setting(item) for item in args.uneven_settings.split(',') if item.strip()))
    except ValueError as exc:
        parser.error('--uneven-settings: %s' % exc)
    args.modes = ['steady'] if args.steady else ['uneven'] if args.uneven else ['steady', 'uneven']
    if args.json is None:
        args.json = os.path.join(harness.REPO, '.build', 'bench', 'bench-smoke.json' if args.smoke else 'bench.json')
    return args


def _setting(item):
    key, _sep, value = item.partition('=')
    return key.strip(), float(value) if '.' in value else int(value)


def plan(args):
    """(scenario name, latency mode) in run order: every chosen scenario steady, then those of UNEVEN uneven. The
    smoke run (make test, meant to stay near a minute) proves the uneven path with the no-op scenario only, unless
    --uneven asks for every one: a scenario runs the same code in both modes, only its emulator's start options differ."""
    uneven = scenarios.UNEVEN if not args.smoke or args.uneven else SMOKE_UNEVEN
    return [(name, mode) for mode in args.modes for name in args.only if mode == 'steady' or name in uneven]


def report(result):
    """The scenario's table, figures, goals and checks as text."""
    latency = result.get('latency') or {}
    shown = '%s ms steady' % latency.get('ms') if not latency.get('uneven') else '%s ms mean, uneven %s' % (
        latency.get('ms'), json.dumps(latency['uneven'], sort_keys=True))
    lines = ['', '== %s' % result['name'], '  latency: %s' % shown, harness.table(result['runs']), '']
    for run in result['runs']:
        slowest = sorted((run.get('task_seconds') or {}).items(), key=lambda item: -item[1])[:3]
        if slowest:
            lines.append('  slowest tasks of %s: %s' % (run['label'], '; '.join('%s %.1f s' % item for item in slowest)))
    for key, value in result['figures'].items():
        lines.append('  %s: %s' % (key, json.dumps(value)))
    for item in result['goals']:
        verdict = 'MET' if item['met'] else 'MISSED'
        lines.append('  goal %-60s target %-6s measured %-8s %s' % (item['goal'], item['target'], item['measured'], verdict))
    for item in result['checks']:
        lines.append('  check %-70s %s' % (item['check'], 'ok' if item['ok'] else 'FAILED  (%s)' % item['detail']))
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    harness.ensure_collection_link()
    functions = dict(scenarios.SCENARIOS)
    started = time.time()
    results = {'machine': harness.machine(), 'smoke': args.smoke, 'latency_ms': args.latency_ms,
               'uneven': args.uneven_settings if 'uneven' in args.modes else None, 'scenarios': []}
    for name, mode in plan(args):
        scenario_started = time.time()
        uneven = args.uneven_settings if mode == 'uneven' else None
        with harness.Workdir(keep=args.keep) as workdir, harness.uneven_latency(uneven):
            result = functions[name](workdir, args.smoke, args.latency_ms)
        result.update(scenario=name, latency={'mode': mode, 'ms': args.latency_ms, 'uneven': uneven})
        if mode == 'uneven':
            result['name'] += ' [uneven latency]'
        result['elapsed_s'] = round(time.time() - scenario_started, 1)
        results['scenarios'].append(result)
        print(report(result))
        sys.stdout.flush()
    results['elapsed_s'] = round(time.time() - started, 1)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, 'w') as handle:
        json.dump(results, handle, indent=2)
    failed = [item['check'] for result in results['scenarios'] for item in result['checks'] if not item['ok']]
    missed = [item['goal'] for result in results['scenarios'] for item in result['goals'] if not item['met']]
    print('\nbenchmark: %d scenario(s) in %.0f s on %s CPU(s); JSON: %s'
          % (len(results['scenarios']), results['elapsed_s'], results['machine']['nproc'], args.json))
    print('goals missed: %s' % ('; '.join(missed) if missed else 'none'))
    if failed:
        print('checks FAILED: %s' % '; '.join(failed))
        return 1
    print('all checks held')
    return 0


if __name__ == '__main__':
    sys.exit(main())
