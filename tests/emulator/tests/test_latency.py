"""Steady and uneven latency (latency.py): the delay each request is given, checked from the chosen values (the model and
the request log's `latency_ms`), never from the wall clock, so these tests cannot flake on a busy machine."""

import math
import statistics

import pytest

from cipp_emulator.__main__ import main as emulator_main
from cipp_emulator.latency import UNEVEN_DEFAULTS, Latency, uneven_settings
from cipp_emulator.server import make_server

TENANT = 'contoso.com'


def draws(latency, count, endpoint='ListUsers'):
    return [latency.choose(endpoint) for _draw in range(count)]


def percentile(values, share):
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


# ------------------------------------------------------------------------------------------------ the model

def test_steady_latency_is_the_same_for_every_request_and_per_endpoint_values_override_it():
    latency = Latency(100, {'ListUserCounts': 250})
    assert set(draws(latency, 50)) == {100.0}
    assert set(draws(latency, 5, 'listusercounts')) == {250.0}


def test_uneven_latency_keeps_the_mean_and_spreads_with_a_long_right_tail():
    values = draws(Latency(100, None, {'sigma': 0.5, 'cold_probability': 0, 'seed': 7}), 5000)
    mean, median = statistics.mean(values), statistics.median(values)
    assert 95 <= mean <= 105                      # mu = ln(ms) - sigma^2/2 keeps the steady mean
    assert 84 <= median <= 92                     # lognormal median = mean * exp(-sigma^2/2) = 88 ms
    assert median < mean                          # right-skewed
    assert 180 <= percentile(values, 0.95) <= 230  # the tail: ~2x the mean at p95
    assert min(values) > 0 and len(set(values)) == len(values)


def test_sigma_zero_without_cold_starts_is_steady():
    assert all(abs(value - 100) < 1e-9 for value in draws(Latency(100, None, {'sigma': 0, 'cold_probability': 0}), 200))


def test_cold_starts_happen_with_the_configured_probability_and_add_cold_ms():
    values = draws(Latency(100, None, {'sigma': 0.3, 'cold_probability': 0.05, 'cold_ms': 3000, 'seed': 11}), 4000)
    cold = [value for value in values if value >= 3000]
    assert 0.04 <= len(cold) / float(len(values)) <= 0.06
    # A cold call is a normal draw plus cold_ms; no normal draw with sigma 0.3 comes near 3 s.
    assert max(value for value in values if value < 3000) < 500
    assert all(3000 < value < 3500 for value in cold)


def test_the_same_seed_gives_the_same_sequence_and_another_seed_another():
    first = draws(Latency(100, None, {'seed': 5}), 100)
    assert first == draws(Latency(100, None, {'seed': 5}), 100)
    assert first != draws(Latency(100, None, {'seed': 6}), 100)


def test_an_endpoint_without_latency_draws_nothing_so_the_others_keep_their_sequence():
    plain = draws(Latency(100, None, {'seed': 5}), 20)
    mixed = Latency(100, {'token': 0}, {'seed': 5})
    values = []
    for _draw in range(20):
        assert mixed.choose('token') == 0.0
        values.append(mixed.choose('ListUsers'))
    assert values == plain


def test_uneven_true_means_the_defaults_and_bad_settings_are_refused():
    assert uneven_settings(True) == UNEVEN_DEFAULTS
    assert uneven_settings(None) is None and uneven_settings(False) is None
    assert uneven_settings({'cold_ms': 500})['cold_ms'] == 500
    for bad in ({'sigma': -1}, {'cold_probability': 1.5}, {'cold_ms': -1}, {'spread': 2}):
        with pytest.raises(ValueError):
            uneven_settings(bad)


# ------------------------------------------------------------------------------------------------ through the server

def test_the_log_records_the_steady_latency_each_request_was_given(cipp):
    cipp.control('latency', {'ms': 20})
    cipp.control('log/clear')
    cipp.call('ListTenants')
    cipp.call('ListUsers', params={'tenantFilter': TENANT})
    assert [entry['latency_ms'] for entry in cipp.log()] == [20.0, 20.0]


def test_uneven_latency_through_the_control_gives_the_seeded_sequence_in_order(cipp):
    settings = {'sigma': 0.8, 'cold_probability': 0.3, 'cold_ms': 40, 'seed': 3}
    shown = cipp.control('latency', {'ms': 5, 'uneven': settings})
    assert shown == {'ms': 5, 'endpoints': {}, 'uneven': settings}
    cipp.control('log/clear')
    for _draw in range(12):
        cipp.call('ListTenants')
    chosen = [entry['latency_ms'] for entry in cipp.log()]
    expected = [round(value, 1) for value in draws(Latency(5, None, settings), 12)]
    assert chosen == expected
    assert any(value >= 40 for value in chosen) and any(value < 40 for value in chosen)  # some cold, some not
    assert cipp.control('latency', method='GET') == shown  # GET shows, it does not reset


def test_a_new_latency_setting_is_steady_unless_it_says_uneven(cipp):
    cipp.control('latency', {'ms': 5, 'uneven': True})
    assert cipp.control('latency', {'ms': 7}) == {'ms': 7, 'endpoints': {}, 'uneven': None}


def test_bad_uneven_settings_are_a_400_and_keep_the_old_latency(emulator, cipp):
    import requests
    cipp.control('latency', {'ms': 9})
    answer = requests.post('%s/_emulator/latency' % emulator.url, json={'ms': 5, 'uneven': {'cold_probability': 2}}, timeout=15)
    assert answer.status_code == 400 and 'cold_probability' in answer.json()['error']
    assert cipp.control('latency', method='GET')['ms'] == 9


def test_start_options_make_the_latency_uneven_and_every_reset_restarts_the_draws():
    server, emulator = make_server('default', latency_ms=100, latency_uneven={'seed': 4})
    try:
        assert emulator.state.latency.uneven == dict(UNEVEN_DEFAULTS, seed=4)
        first = draws(emulator.state.latency, 10)
        emulator.reseed('default')
        assert draws(emulator.state.latency, 10) == first
        assert not math.isclose(first[0], first[1])
    finally:
        server.server_close()


def test_the_command_line_needs_latency_uneven_for_the_uneven_details():
    with pytest.raises(SystemExit) as raised:
        emulator_main(['--port', '0', '--latency-sigma', '0.4'])
    assert raised.value.code == 2
