"""Run the emulator in the foreground: python -m cipp_emulator --port 8787 [--port-file F] [--seed default|large:T:U]."""

import argparse
import signal
import sys

from .latency import UNEVEN_DEFAULTS
from .server import make_server
from .state import DEFAULT_AUTH_TENANT_ID, DEFAULT_CLIENTS


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m cipp_emulator', description='A local CIPP API emulator (loopback only).')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8787)
    parser.add_argument('--port-file', help='write the port the server listens on to this file (useful with --port 0)')
    parser.add_argument('--seed', default='default', help='default, or large:TENANTS:USERS')
    parser.add_argument('--latency-ms', type=int, default=0, help='delay before every request (the mean when uneven)')
    parser.add_argument('--latency-uneven', action='store_true',
                        help='uneven latency: a lognormal spread around --latency-ms plus occasional cold starts (latency.py)')
    parser.add_argument('--latency-sigma', type=float, help='lognormal shape of the uneven latency (default %s)' % UNEVEN_DEFAULTS['sigma'])
    parser.add_argument('--cold-start-probability', type=float,
                        help='share of uneven calls that also wait for a cold start (default %s)' % UNEVEN_DEFAULTS['cold_probability'])
    parser.add_argument('--cold-start-ms', type=int, help='what a cold start adds (default %s)' % UNEVEN_DEFAULTS['cold_ms'])
    parser.add_argument('--latency-seed', type=int, help='seed of the uneven draws (default %s)' % UNEVEN_DEFAULTS['seed'])
    parser.add_argument('--consistency-reads', type=int, default=0,
                        help="Graph eventual consistency: a created/edited user shows its old state to this many reads")
    parser.add_argument('--consistency-seconds', type=float, default=0,
                        help='... or for this many seconds (both: until both are used up); default off')
    args = parser.parse_args(argv)

    uneven = None
    if args.latency_uneven:
        given = {'sigma': args.latency_sigma, 'cold_probability': args.cold_start_probability, 'cold_ms': args.cold_start_ms,
                 'seed': args.latency_seed}
        uneven = dict((key, value) for key, value in given.items() if value is not None)
    elif any(value is not None for value in (args.latency_sigma, args.cold_start_probability, args.cold_start_ms, args.latency_seed)):
        parser.error('--latency-sigma, --cold-start-probability, --cold-start-ms and --latency-seed need --latency-uneven')
    lag = {'reads': args.consistency_reads, 'seconds': args.consistency_seconds}
    server, _emulator = make_server(args.seed, args.host, args.port, args.latency_ms,
                                    lag if args.consistency_reads or args.consistency_seconds else None, uneven)
    host, port = server.server_address[:2]
    url = 'http://%s:%d' % (host, port)
    if args.port_file:
        with open(args.port_file, 'w') as handle:
            handle.write('%d\n' % port)
    editor = DEFAULT_CLIENTS['editor']
    print('CIPP emulator listening on %s (seed %s, latency %s)' % (url, args.seed, _emulator.state.latency.describe()))
    print('export CIPP_API_URL=%s' % url)
    print('export CIPP_CLIENT_ID=%s' % editor['client_id'])
    print('export CIPP_CLIENT_SECRET=%s' % editor['client_secret'])
    print('export CIPP_AUTH_TENANT_ID=%s' % DEFAULT_AUTH_TENANT_ID)
    print('export CIPP_TOKEN_URL=%s/%s/oauth2/v2.0/token' % (url, DEFAULT_AUTH_TENANT_ID))
    sys.stdout.flush()

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
