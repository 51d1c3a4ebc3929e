"""survival.py against a published data set: the Freireich et al. (1963) 6-MP trial of
remission in acute leukaemia, as tabulated in Kleinbaum & Klein, *Survival Analysis: A
Self-Learning Text*, 3rd ed. (2012), chapter 2 (weeks in remission; + is censored):

- 6-MP: 6, 6, 6, 6+, 7, 9+, 10, 10+, 11+, 13, 16, 17+, 19+, 20+, 22, 23, 25+, 32+, 32+,
  34+, 35+ — KM table 0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448; median 23.
- placebo: 1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23 (no
  censoring); median 8.
- log-rank chi² 16.79 (1 df), p < 0.0001.

The log(−log) Greenwood bands are those R's survival package prints for the same data
(`survfit(Surv(time, status) ~ 1, conf.type = "log-log")`)."""

import math

import pytest

from kapcare.outcomes.survival import kaplan_meier, logrank, median_survival

SIX_MP = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_OBSERVED = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
PLACEBO_OBSERVED = [1] * 21

# time, at risk, events, survival, 95 % lower, 95 % upper
SIX_MP_TABLE = [
    (6, 21, 3, 0.857, 0.620, 0.952),
    (7, 17, 1, 0.807, 0.563, 0.923),
    (10, 15, 1, 0.753, 0.503, 0.889),
    (13, 12, 1, 0.690, 0.432, 0.849),
    (16, 11, 1, 0.627, 0.368, 0.805),
    (22, 7, 1, 0.538, 0.268, 0.747),
    (23, 6, 1, 0.448, 0.188, 0.680),
]


def test_six_mp_table_matches_the_textbook_to_three_decimals():
    steps = kaplan_meier(SIX_MP, SIX_MP_OBSERVED)
    assert len(steps) == len(SIX_MP_TABLE)
    for step, (time, at_risk, events, survival, lower, upper) in zip(
        steps, SIX_MP_TABLE, strict=True
    ):
        assert step["time"] == time
        assert step["at_risk"] == at_risk
        assert step["events"] == events
        assert round(step["survival"], 3) == survival
        assert round(step["ci_lower"], 3) == lower
        assert round(step["ci_upper"], 3) == upper


def test_placebo_table_starts_and_ends_as_published():
    steps = kaplan_meier(PLACEBO, PLACEBO_OBSERVED)
    assert [step["time"] for step in steps] == [1, 2, 3, 4, 5, 8, 11, 12, 15, 17, 22, 23]
    assert (steps[0]["at_risk"], steps[0]["events"], round(steps[0]["survival"], 3)) == (
        21,
        2,
        0.905,
    )
    assert round(steps[5]["survival"], 3) == 0.381
    assert steps[-1]["survival"] == 0
    assert steps[-1]["ci_lower"] is None
    assert steps[-1]["ci_upper"] is None


def test_medians_are_23_and_8_weeks():
    assert median_survival(SIX_MP, SIX_MP_OBSERVED) == 23
    assert median_survival(PLACEBO, PLACEBO_OBSERVED) == 8


def test_logrank_is_16_79_on_one_degree_of_freedom():
    chi2, p_value = logrank(SIX_MP, SIX_MP_OBSERVED, PLACEBO, PLACEBO_OBSERVED)
    assert round(chi2, 2) == 16.79
    assert round(chi2, 3) == 16.793
    assert p_value < 0.0001
    assert p_value == pytest.approx(math.erfc(math.sqrt(chi2 / 2)))


def test_logrank_is_symmetric_in_its_groups():
    forwards = logrank(SIX_MP, SIX_MP_OBSERVED, PLACEBO, PLACEBO_OBSERVED)
    backwards = logrank(PLACEBO, PLACEBO_OBSERVED, SIX_MP, SIX_MP_OBSERVED)
    assert forwards == pytest.approx(backwards)


def test_tied_event_times_make_one_step():
    steps = kaplan_meier([2, 2, 2, 5], [1, 1, 1, 1])
    assert [(s["time"], s["at_risk"], s["events"]) for s in steps] == [(2, 4, 3), (5, 1, 1)]
    assert steps[0]["survival"] == pytest.approx(0.25)


def test_censoring_at_an_event_time_counts_the_censored_at_risk():
    # Kaplan & Meier (1958): deaths at t come before losses at t.
    steps = kaplan_meier([3, 3, 4, 6], [1, 0, 1, 0])
    assert [(s["time"], s["at_risk"], s["events"]) for s in steps] == [(3, 4, 1), (4, 2, 1)]
    assert steps[0]["survival"] == pytest.approx(0.75)
    assert steps[1]["survival"] == pytest.approx(0.375)


def test_all_censored_has_no_steps_and_no_median():
    assert kaplan_meier([1, 2, 3], [0, 0, 0]) == []
    assert median_survival([1, 2, 3], [0, 0, 0]) is None


def test_median_is_none_while_survival_stays_above_one_half():
    assert median_survival([1, 5, 6, 7], [1, 0, 0, 0]) is None


def test_median_at_exactly_one_half():
    assert median_survival([1, 2, 3, 4], [1, 1, 0, 0]) == 2


def test_empty_input_has_no_steps():
    assert kaplan_meier([], []) == []


@pytest.mark.parametrize(
    "arguments",
    [
        ([1, 2], [0, 0], [3], [0]),
        ([], [], [3], [1]),
        ([1], [1], [1], [1]),
    ],
)
def test_logrank_refuses_what_it_cannot_compare(arguments):
    with pytest.raises(ValueError, match=r"subject|events|variance"):
        logrank(*arguments)


@pytest.mark.parametrize(
    ("durations", "observed"), [([1, 2], [1]), ([-1], [1]), ([float("nan")], [1])]
)
def test_kaplan_meier_refuses_malformed_input(durations, observed):
    with pytest.raises(ValueError, match="durations"):
        kaplan_meier(durations, observed)
