import pytest

from kapcare.bench.figures import (
    LoadFigures,
    Phase,
    Sample,
    load_figures,
    percentile,
    phases_in_turn,
    share_of,
)


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.5, 7.0),
        ([7.0], 0.99, 7.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.0),
        ([4.0, 3.0, 2.0, 1.0], 0.5, 2.0),
        ([float(n) for n in range(1, 21)], 0.95, 19.0),
        ([float(n) for n in range(1, 101)], 0.99, 99.0),
        ([float(n) for n in range(1, 101)], 1.0, 100.0),
    ],
)
def test_percentile_is_the_nearest_rank(values, fraction, expected):
    assert percentile(values, fraction) == expected


@pytest.mark.parametrize("fraction", [0.0, -0.1, 1.5])
def test_percentile_refuses_a_fraction_outside_zero_to_one(fraction):
    with pytest.raises(ValueError, match="fraction"):
        percentile([1.0], fraction)


def test_phases_follow_one_another_from_the_start():
    assert phases_in_turn(["bare", "desk"], start=100.0, seconds_each=2.5) == [
        Phase("bare", 100.0, 102.5),
        Phase("desk", 102.5, 105.0),
    ]


def test_only_samples_inside_the_pages_own_phase_after_settling_count():
    phases = [Phase("bare", 0.0, 10.0), Phase("desk", 10.0, 20.0)]
    samples = [
        Sample("bare", 0.5, 999.0, 200),  # settling: left out
        Sample("bare", 2.0, 10.0, 200),
        Sample("bare", 9.9, 20.0, 200),
        Sample("bare", 10.1, 500.0, 200),  # a straggler in the next phase: left out
        Sample("desk", 12.0, 40.0, 200),
    ]

    figures = load_figures(phases, samples, users=1, settle_seconds=1.0)

    assert figures["bare"] == LoadFigures(
        requests=2, failures=0, p50_ms=10.0, p95_ms=20.0, p99_ms=20.0, requests_per_second=1000 / 15
    )
    assert figures["desk"].requests == 1
    assert figures["desk"].p50_ms == 40.0


def test_a_redirect_or_no_answer_is_a_failure_not_a_fast_page():
    phases = [Phase("desk", 0.0, 4.0)]
    samples = [
        Sample("desk", 1.0, 30.0, 200),
        Sample("desk", 2.0, 2.0, 302),
        Sample("desk", 3.0, 5.0, 0),
    ]

    figures = load_figures(phases, samples, users=1, settle_seconds=0.0)["desk"]

    assert (figures.requests, figures.failures) == (3, 2)
    assert figures.p50_ms == 30.0
    assert figures.requests_per_second == 1000 / 30


def test_a_page_expected_to_answer_otherwise_is_counted_by_its_own_status():
    figures = load_figures(
        [Phase("live", 0.0, 2.0)],
        [Sample("live", 1.0, 3.0, 204)],
        users=1,
        settle_seconds=0.0,
        expected_status={"live": 204},
    )["live"]

    assert figures.failures == 0


def test_a_page_with_no_samples_has_no_percentiles():
    figures = load_figures([Phase("desk", 0.0, 2.0)], [], users=4, settle_seconds=0.5)["desk"]

    assert figures == LoadFigures(0, 0, None, None, None, 0.0)


def test_a_phase_no_longer_than_the_settling_time_is_refused():
    with pytest.raises(ValueError, match="shorter than the settling time"):
        load_figures([Phase("desk", 0.0, 1.0)], [], users=1, settle_seconds=1.0)


@pytest.mark.parametrize(
    ("users", "times", "expected"),
    [(1, [100.0], 10.0), (16, [100.0], 160.0), (16, [100.0, 300.0], 80.0), (4, [], 0.0)],
)
def test_throughput_is_users_over_the_mean_response_time(users, times, expected):
    samples = [Sample("desk", 1.0 + i / 100, ms, 200) for i, ms in enumerate(times)]

    figures = load_figures([Phase("desk", 0.0, 5.0)], samples, users=users, settle_seconds=0.5)

    assert figures["desk"].requests_per_second == expected


@pytest.mark.parametrize(
    ("page_rps", "bare_rps", "expected"),
    [(50.0, 100.0, 0.5), (100.0, 100.0, 1.0), (10.0, 0.0, None)],
)
def test_share_of_the_bare_view(page_rps, bare_rps, expected):
    page = LoadFigures(1, 0, 1.0, 1.0, 1.0, page_rps)
    bare = LoadFigures(1, 0, 1.0, 1.0, 1.0, bare_rps)

    assert share_of(page, bare) == expected
