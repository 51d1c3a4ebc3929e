"""Each outcome definition at its edges (docs/clinical-reference.md#outcome-definitions)."""

from datetime import UTC, datetime, timedelta

import pytest

from kapcare.outcomes import definitions as d

DAY0 = datetime(2026, 1, 1, 9, tzinfo=UTC)


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [
        (9, 0, False),  # baseline 9: not measurable (NQF 1884 needs above 9)
        (10, 5, True),  # exactly 50 % fall
        (10, 6, False),  # 40 %
        (11, 6, False),  # 45 %: 5.5 would be needed
        (11, 5, True),
        (27, 13, True),  # 51.9 %
        (27, 14, False),  # 48.1 %
        (20, 20, False),
    ],
)
def test_response_needs_half_the_baseline_from_above_nine(baseline, current, expected):
    assert d.is_response(baseline, current, fall_percent=50) is expected


@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [
        (10, 4, True),
        (10, 5, False),  # 5 is not below 5
        (9, 0, False),  # baseline not above 9
        (27, 4, True),
    ],
)
def test_remission_is_below_five_after_a_baseline_above_nine(baseline, current, expected):
    assert d.is_remission(baseline, current, below=5) is expected


@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [
        (50, 40, "meaningful"),
        (50, 41, "reliable"),
        (50, 45, "reliable"),
        (50, 46, "none"),
        (40, 50, "none"),
    ],
)
def test_pcl5_change_reads_ten_as_meaningful_and_five_as_reliable(baseline, current, expected):
    assert d.pcl5_change(baseline, current) == expected


def test_baseline_is_the_last_score_on_or_before_the_first_dose_within_the_window():
    scores = [d.Score(day(-40), 22), d.Score(day(-10), 18), d.Score(day(0), 16)]
    assert d.baseline(scores, day(0), 30) == d.Score(day(0), 16)
    assert d.baseline(scores[:2], day(0), 30) == d.Score(day(-10), 18)


@pytest.mark.parametrize(
    ("days_before", "window", "found"),
    [(30, 30, True), (30.01, 30, False), (0, 0, True), (1, 0, False)],
)
def test_baseline_window_edges(days_before, window, found):
    scores = [d.Score(day(-days_before), 15)]
    assert (d.baseline(scores, day(0), window) is not None) is found


def test_a_score_after_the_first_dose_is_no_baseline():
    assert d.baseline([d.Score(day(0.1), 15)], day(0), 30) is None


@pytest.mark.parametrize(
    ("doses", "induction", "left", "expected"),
    [
        ([day(0), day(2), day(4)], 3, False, day(4)),
        ([day(0), day(2), day(4), day(30)], 3, False, day(4)),  # a booster is not induction
        ([day(0), day(2)], 3, False, None),  # still under way
        ([day(0), day(2)], 3, True, day(2)),  # stopped early
        ([], 3, True, None),
    ],
)
def test_end_of_induction(doses, induction, left, expected):
    assert d.end_of_induction(doses, induction, has_left_treatment=left) == expected


def test_outcome_score_is_the_first_after_the_last_induction_dose_within_the_window():
    scores = [d.Score(day(4), 20), d.Score(day(10), 8), d.Score(day(20), 6)]
    assert d.outcome_score(scores, day(4), 28) == d.Score(day(10), 8)
    assert d.outcome_score(scores, day(4), 5) is None


@pytest.mark.parametrize(
    ("totals", "relapsed_on"),
    [
        ([4, 6, 9], None),
        ([4, 10, 12], 2),  # 10 is a relapse: moderate again
        ([12], 1),
    ],
)
def test_relapse_is_the_first_phq9_of_ten_or_more(totals, relapsed_on):
    scores = [d.Score(day(n + 1), total) for n, total in enumerate(totals)]
    expected = None if relapsed_on is None else day(relapsed_on)
    assert d.relapse_at(scores) == expected


def test_durability_counts_days_from_the_end_of_induction_to_relapse():
    response = d.Score(day(10), 4)
    result = d.durability(day(4), response, [d.Score(day(40), 6), d.Score(day(94), 14)], day(200))
    assert result == d.Durability(days=90.0, relapsed=True)


def test_durability_without_relapse_is_censored_at_last_contact():
    response = d.Score(day(10), 4)
    result = d.durability(day(4), response, [d.Score(day(40), 6)], day(124))
    assert result == d.Durability(days=120.0, relapsed=False)


def test_scores_before_the_response_are_not_relapses():
    response = d.Score(day(10), 4)
    result = d.durability(day(4), response, [d.Score(day(5), 20)], day(34))
    assert result.relapsed is False


SETTINGS = d.OutcomeSettings(
    baseline_window_days=30,
    end_of_induction_window_days=28,
    induction_doses=3,
    response_fall_percent=50,
    remission_phq9_below=5,
)
DOSES = [day(0), day(2), day(4)]


@pytest.mark.parametrize(
    ("baseline", "after", "expected"),
    [
        (9, 0, (False, False, False)),  # baseline 9: not counted at all
        (10, 5, (True, True, False)),  # exactly 50 %: response; 5 is no remission
        (10, 4, (True, True, True)),
        (10, 6, (True, False, False)),
        (20, None, (True, False, False)),  # no score after induction: counted, not a response
    ],
)
def test_episode_outcome(baseline, after, expected):
    scores = [d.Score(day(-3), baseline)]
    if after is not None:
        scores.append(d.Score(day(11), after))
    outcome = d.episode_outcome(scores, DOSES, SETTINGS, has_left_treatment=False)
    assert (outcome.has_baseline, outcome.is_responder, outcome.is_remitter) == expected


def test_episode_without_doses_has_no_outcome():
    outcome = d.episode_outcome([d.Score(day(-3), 20)], [], SETTINGS, has_left_treatment=True)
    assert outcome.has_baseline is False
