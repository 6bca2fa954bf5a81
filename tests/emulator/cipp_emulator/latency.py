"""How long the emulator waits before a request's handler: steady (the same delay every time) or uneven.

Uneven latency is what a real CIPP answers with: most calls near a typical time with a long right tail (a lognormal
spread around the mean), and now and then a call that waits for an Azure Functions cold start (the host starting
a worker before the function runs: seconds, not milliseconds). Both draws come from one random generator seeded
from the settings, so the n-th delayed request of two runs gets the same delay and runs stay comparable.

The model only *chooses* the delay (choose() is pure given the generator); the server sleeps it and writes it into
the request log (`latency_ms`), so tests check the chosen values, never the wall clock.
"""

import math
import random

# What `"uneven": true` (or `--latency-uneven`) means when no detail is given.
UNEVEN_DEFAULTS = {
    'sigma': 0.5,              # lognormal shape: with a 100 ms mean the median is ~88 ms, the 95th percentile ~200 ms
    'cold_probability': 0.02,  # share of calls that also wait for a cold start
    'cold_ms': 3000,           # what a cold start adds
    'seed': 1,
}


def uneven_settings(value):
    """The uneven settings from a control body's `uneven` value (true, false/None, or a dict of overrides), checked."""
    if value in (None, False):
        return None
    overrides = value if isinstance(value, dict) else {}
    unknown = sorted(set(overrides) - set(UNEVEN_DEFAULTS))
    if unknown:
        raise ValueError('unknown uneven latency setting(s) %s; settings: %s' % (', '.join(unknown), ', '.join(sorted(UNEVEN_DEFAULTS))))
    settings = dict(UNEVEN_DEFAULTS, **overrides)
    settings = {'sigma': float(settings['sigma']), 'cold_probability': float(settings['cold_probability']),
                'cold_ms': int(settings['cold_ms']), 'seed': int(settings['seed'])}
    if settings['sigma'] < 0 or not 0 <= settings['cold_probability'] <= 1 or settings['cold_ms'] < 0:
        raise ValueError('uneven latency needs sigma >= 0, 0 <= cold_probability <= 1 and cold_ms >= 0')
    return settings


class Latency:
    """A request's delay: `ms` for every endpoint unless `endpoints` names it (lower-case names), steady or uneven.

    Uneven: the mean-`ms` lognormal draw (mu = ln(ms) - sigma^2 / 2, so the mean stays `ms` and the steady and
    uneven runs have the same expected network time before cold starts), plus `cold_ms` with `cold_probability`.
    An endpoint whose delay is 0 draws nothing, so turning latency off for one endpoint does not shift the others'
    sequence."""

    def __init__(self, ms=0, endpoints=None, uneven=None):
        self.ms = int(ms or 0)
        self.endpoints = dict((str(name).lower(), int(value)) for name, value in (endpoints or {}).items())
        self.uneven = uneven_settings(uneven)
        self.rng = random.Random(self.uneven['seed']) if self.uneven else None

    def mean_ms(self, endpoint_name):
        return self.endpoints.get(str(endpoint_name).lower(), self.ms)

    def choose(self, endpoint_name):
        """The delay in ms (a float) for the next request to this endpoint. Not thread-safe: call it under the state's lock."""
        mean = self.mean_ms(endpoint_name)
        if not mean:
            return 0.0
        if self.uneven is None:
            return float(mean)
        sigma = self.uneven['sigma']
        chosen = self.rng.lognormvariate(math.log(mean) - sigma * sigma / 2.0, sigma)
        if self.rng.random() < self.uneven['cold_probability']:
            chosen += self.uneven['cold_ms']
        return chosen

    def describe(self):
        return {'ms': self.ms, 'endpoints': self.endpoints, 'uneven': self.uneven}
