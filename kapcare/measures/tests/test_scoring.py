"""Scoring rules, edge by edge. Pure: no database."""

import pytest

from kapcare.measures.scoring import (
    SUICIDAL_IDEATION,
    SUICIDE_ITEM_UNANSWERED,
    SUICIDE_RISK_HIGH,
    SUICIDE_RISK_MODERATE,
    AnswerError,
    IncompleteError,
    is_remission,
    is_response,
    meets_dsm5_cluster_rule,
    pcl5_cluster_scores,
    score,
    validate_licensed_total,
)


def likert(total, items, top):
    """Answers adding up to `total`, filled from item 1 (so PHQ-9 item 9 stays 0 up to 24)."""
    answers = []
    for _ in range(items):
        value = min(top, total)
        answers.append(value)
        total -= value
    assert total == 0
    return answers


def pcl5_with(ratings):
    """A PCL-5 of zeros except the {item number: rating} given."""
    return [ratings.get(number, 0) for number in range(1, 21)]


# --- PHQ-9 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_changes_exactly_at_each_published_edge(total, band):
    result = score("phq9", likert(total, 9, 3))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(("item_9", "is_flagged"), [(0, False), (1, True), (2, True), (3, True)])
def test_phq9_any_answer_above_zero_on_item_9_flags_suicidal_ideation(item_9, is_flagged):
    result = score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, item_9])
    assert (SUICIDAL_IDEATION in result.flags) is is_flagged


def test_phq9_item_9_flag_does_not_depend_on_the_total():
    result = score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert result.band == "minimal"
    assert result.flags == (SUICIDAL_IDEATION,)


def test_phq9_unanswered_item_9_is_flagged_even_though_the_total_is_prorated():
    result = score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, None])
    assert result.total == 0
    assert result.flags == (SUICIDE_ITEM_UNANSWERED,)


@pytest.mark.parametrize(
    ("answers", "total", "missing"),
    [
        ([3, 3, 3, 3, 3, 3, 3, None, None], 27, (8, 9)),
        ([2, 2, 2, 2, 2, 2, 2, 2, None], 18, (9,)),
        ([1, 1, 1, 1, 1, 1, 1, 2, None], 10, (9,)),  # 9 × 9/8 = 10.125
        ([1, 1, 1, 1, 0, 0, 0, 0, None], 5, (9,)),  # 4 × 9/8 = 4.5, rounded half up
    ],
)
def test_phq9_prorates_up_to_two_missing_items(answers, total, missing):
    result = score("phq9", answers)
    assert result.total == total
    assert result.missing_items == missing
    assert result.details["is_prorated"] is True


def test_phq9_half_point_rounds_up_into_the_next_band():
    assert score("phq9", [1, 1, 1, 1, 0, 0, 0, 0, None]).band == "mild"


def test_phq9_complete_answers_are_not_prorated():
    result = score("phq9", [1] * 9)
    assert (result.total, result.missing_items, result.details["is_prorated"]) == (9, (), False)


def test_phq9_refuses_three_missing_items_and_names_them():
    with pytest.raises(IncompleteError) as caught:
        score("phq9", [1, None, 1, 1, None, 1, 1, 1, None])
    assert str(caught.value) == (
        "PHQ-9 cannot be scored: items 2, 5 and 9 are unanswered, and at most 2 may be."
    )
    assert caught.value.missing_items == (2, 5, 9)


@pytest.mark.parametrize(("difficulty", "expected"), [(None, None), (0, 0), (3, 3)])
def test_phq9_difficulty_answer_is_kept_but_not_scored(difficulty, expected):
    result = score("phq9", [1] * 9, difficulty=difficulty)
    assert (result.total, result.details["difficulty"]) == (9, expected)


@pytest.mark.parametrize("difficulty", [4, -1, True, "1", 1.0])
def test_phq9_difficulty_outside_its_options_is_refused(difficulty):
    with pytest.raises(AnswerError, match="The difficulty question must be one of 0, 1, 2, 3"):
        score("phq9", [1] * 9, difficulty=difficulty)


# --- GAD-7 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_changes_exactly_at_each_published_edge(total, band):
    result = score("gad7", likert(total, 7, 3))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(
    ("answers", "total"),
    [
        ([1, 1, 1, 0, 0, 0, None], 4),  # 3 × 7/6 = 3.5, rounded half up
        ([3, 3, 3, 0, 0, 0, None], 11),  # 9 × 7/6 = 10.5, rounded half up
        ([None, 3, 3, 3, 3, 3, 3], 21),
    ],
)
def test_gad7_prorates_one_missing_item(answers, total):
    assert score("gad7", answers).total == total


def test_gad7_refuses_two_missing_items_and_names_them():
    with pytest.raises(IncompleteError) as caught:
        score("gad7", [None, 1, 1, 1, 1, 1, None])
    assert str(caught.value) == (
        "GAD-7 cannot be scored: items 1 and 7 are unanswered, and at most 1 may be."
    )
    assert caught.value.missing_items == (1, 7)


# --- PCL-5 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "below threshold"), (32, "below threshold"), (33, "probable ptsd"), (80, "probable ptsd")],
)
def test_pcl5_cutoff_is_33_by_default(total, band):
    result = score("pcl5", likert(total, 20, 4))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(
    ("cutoff", "total", "band"),
    [(31, 30, "below threshold"), (31, 31, "probable ptsd"), (35, 34, "below threshold")],
)
def test_pcl5_cutoff_is_a_clinic_setting(cutoff, total, band):
    assert score("pcl5", likert(total, 20, 4), cutoff=cutoff).band == band


@pytest.mark.parametrize("cutoff", [0, 81, True, 33.0])
def test_pcl5_cutoff_outside_the_scale_is_refused(cutoff):
    with pytest.raises(ValueError, match="cutoff"):
        score("pcl5", [0] * 20, cutoff=cutoff)


# Items 1 (B), 6 (C), 8 and 9 (D), 15 and 16 (E) rated "Moderately": the fewest that meet
# the rule. Each failing case takes away exactly one cluster's requirement.
MEETS_EVERY_CLUSTER = {1: 2, 6: 2, 8: 2, 9: 2, 15: 2, 16: 2}


@pytest.mark.parametrize(
    ("ratings", "meets"),
    [
        (MEETS_EVERY_CLUSTER, True),
        ({**MEETS_EVERY_CLUSTER, 1: 4, 6: 4, 8: 3}, True),
        ({**MEETS_EVERY_CLUSTER, 1: 0, 5: 2}, True),  # any B item will do
        ({**MEETS_EVERY_CLUSTER, 6: 0, 7: 2}, True),  # any C item will do
        ({**MEETS_EVERY_CLUSTER, 1: 1}, False),  # B: rated 1 is not endorsed
        ({**MEETS_EVERY_CLUSTER, 6: 1}, False),  # C: none endorsed
        ({**MEETS_EVERY_CLUSTER, 9: 1}, False),  # D: only one endorsed
        ({**MEETS_EVERY_CLUSTER, 16: 1}, False),  # E: only one endorsed
        ({}, False),
    ],
)
def test_pcl5_dsm5_cluster_rule(ratings, meets):
    answers = pcl5_with(ratings)
    assert meets_dsm5_cluster_rule(answers) is meets
    assert score("pcl5", answers).details["meets_dsm5_cluster_rule"] is meets


def test_pcl5_cluster_rule_and_cutoff_are_reported_independently():
    # Every intrusion and avoidance item at "Extremely" (28) and five D and E items at "A
    # little bit" (5): 33, probable PTSD by the cutoff, but no D or E item is endorsed.
    answers = pcl5_with(
        {1: 4, 2: 4, 3: 4, 4: 4, 5: 4, 6: 4, 7: 4, 12: 1, 13: 1, 14: 1, 19: 1, 20: 1}
    )
    result = score("pcl5", answers)
    assert result.total == 33
    assert result.band == "probable ptsd"
    assert result.details["meets_dsm5_cluster_rule"] is False


def test_pcl5_cluster_rule_threshold_can_be_set():
    answers = pcl5_with({1: 1, 6: 1, 8: 1, 9: 1, 15: 1, 16: 1})
    assert meets_dsm5_cluster_rule(answers) is False
    assert meets_dsm5_cluster_rule(answers, endorsed_at=1) is True


def test_pcl5_cluster_scores_sum_each_dsm5_cluster():
    answers = pcl5_with({1: 1, 5: 2, 6: 3, 7: 4, 8: 1, 14: 1, 15: 2, 20: 2})
    expected = {"B": 3, "C": 7, "D": 2, "E": 4}
    assert pcl5_cluster_scores(answers) == expected
    assert score("pcl5", answers).details["cluster_scores"] == expected


def test_pcl5_refuses_any_missing_item_and_names_it():
    with pytest.raises(IncompleteError) as caught:
        score("pcl5", [None] + [1] * 19)
    assert str(caught.value) == (
        "PCL-5 cannot be scored: item 1 is unanswered, and every item must be answered."
    )


def test_pcl5_cluster_rule_refuses_missing_items():
    with pytest.raises(IncompleteError, match="item 20 is unanswered"):
        meets_dsm5_cluster_rule([2] * 19 + [None])


# --- C-SSRS screener -----------------------------------------------------------------------
# Answers: 1 wish dead, 2 thoughts, 3 method, 4 intent, 5 plan, 6 behaviour, 6b past 3 months.
Y, N, SKIP = True, False, None


@pytest.mark.parametrize(
    ("answers", "band", "flags", "triggered_by"),
    [
        ([N, N, SKIP, SKIP, SKIP, N, SKIP], "no risk", (), ()),
        ([Y, N, SKIP, SKIP, SKIP, N, SKIP], "low risk", (), ("1",)),
        ([N, Y, N, N, N, N, SKIP], "low risk", (), ("2",)),
        ([Y, Y, N, N, N, N, SKIP], "low risk", (), ("1", "2")),
        ([Y, Y, Y, N, N, N, SKIP], "moderate risk", (SUICIDE_RISK_MODERATE,), ("3",)),
        ([N, N, SKIP, SKIP, SKIP, Y, N], "moderate risk", (SUICIDE_RISK_MODERATE,), ("6",)),
        ([Y, Y, N, Y, N, N, SKIP], "high risk", (SUICIDE_RISK_HIGH,), ("4",)),
        ([Y, Y, N, N, Y, N, SKIP], "high risk", (SUICIDE_RISK_HIGH,), ("5",)),
        ([N, N, SKIP, SKIP, SKIP, Y, Y], "high risk", (SUICIDE_RISK_HIGH,), ("6b",)),
        ([Y, Y, Y, N, N, Y, Y], "high risk", (SUICIDE_RISK_HIGH,), ("6b",)),
        ([Y, Y, Y, Y, Y, Y, Y], "high risk", (SUICIDE_RISK_HIGH,), ("4", "5", "6b")),
    ],
)
def test_cssrs_screen_triage_takes_the_highest_level_reached(answers, band, flags, triggered_by):
    result = score("cssrs_screen", answers)
    assert result.total is None
    assert result.band == band
    assert result.flags == flags
    assert result.details["triggered_by"] == triggered_by


def test_cssrs_screen_questions_skipped_after_a_no_are_not_missing():
    result = score("cssrs_screen", [N, N, SKIP, SKIP, SKIP, N, SKIP])
    assert result.missing_items == ()
    assert result.details["skipped_items"] == (3, 4, 5, 7)


def test_cssrs_screen_skipped_questions_may_also_be_recorded_as_no():
    result = score("cssrs_screen", [N, N, N, N, N, N, N])
    assert result.band == "no risk"
    assert result.details["skipped_items"] == ()


@pytest.mark.parametrize(
    ("answers", "message", "missing"),
    [
        (
            [SKIP, N, SKIP, SKIP, SKIP, N, SKIP],
            "C-SSRS screener cannot be scored: item 1 is unanswered.",
            (1,),
        ),
        (
            [N, Y, N, SKIP, N, N, SKIP],
            "C-SSRS screener cannot be scored: item 4 is unanswered.",
            (4,),
        ),
        (
            [N, N, SKIP, SKIP, SKIP, Y, SKIP],
            "C-SSRS screener cannot be scored: item 6b is unanswered.",
            (7,),
        ),
        (
            [N, N, SKIP, SKIP, SKIP, SKIP, SKIP],
            "C-SSRS screener cannot be scored: item 6 is unanswered.",
            (6,),
        ),
    ],
)
def test_cssrs_screen_refuses_a_question_that_had_to_be_asked(answers, message, missing):
    with pytest.raises(IncompleteError) as caught:
        score("cssrs_screen", answers)
    assert str(caught.value) == message
    assert caught.value.missing_items == missing


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (
            [N, N, Y, SKIP, SKIP, N, SKIP],
            "Item 3 is asked only after a yes to item 2, but item 2 was answered no.",
        ),
        (
            [N, N, SKIP, SKIP, Y, N, SKIP],
            "Item 5 is asked only after a yes to item 2, but item 2 was answered no.",
        ),
        (
            [N, N, SKIP, SKIP, SKIP, N, Y],
            "Item 6b is asked only after a yes to item 6, but item 6 was answered no.",
        ),
    ],
)
def test_cssrs_screen_refuses_a_yes_to_a_question_that_should_have_been_skipped(answers, message):
    with pytest.raises(AnswerError) as caught:
        score("cssrs_screen", answers)
    assert str(caught.value) == message


# --- Answers of the wrong shape ------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument_id", "answers", "message"),
    [
        ("phq9", [0] * 8, "PHQ-9 has 9 items; got 8 answers."),
        ("phq9", [0] * 10, "PHQ-9 has 9 items; got 10 answers."),
        ("gad7", [0], "GAD-7 has 7 items; got 1 answer."),
        ("pcl5", [], "PCL-5 has 20 items; got 0 answers."),
        ("cssrs_screen", [N] * 6, "C-SSRS screener has 7 items; got 6 answers."),
    ],
)
def test_wrong_number_of_answers_is_refused_with_the_counts(instrument_id, answers, message):
    with pytest.raises(AnswerError) as caught:
        score(instrument_id, answers)
    assert str(caught.value) == message


@pytest.mark.parametrize("answers", ["012345678", None, 9, {1: 0}])
def test_answers_that_are_not_a_list_are_refused(answers):
    with pytest.raises(AnswerError, match="must be a list"):
        score("phq9", answers)


@pytest.mark.parametrize(
    ("instrument_id", "position", "value", "message"),
    [
        ("phq9", 3, 7, "Item 3 must be one of 0, 1, 2, 3; got 7."),
        ("phq9", 1, -1, "Item 1 must be one of 0, 1, 2, 3; got -1."),
        ("phq9", 9, 4, "Item 9 must be one of 0, 1, 2, 3; got 4."),
        ("gad7", 7, 4, "Item 7 must be one of 0, 1, 2, 3; got 4."),
        ("pcl5", 20, 5, "Item 20 must be one of 0, 1, 2, 3, 4; got 5."),
        ("phq9", 2, "2", "Item 2 must be one of 0, 1, 2, 3; got '2'."),
        ("phq9", 2, 2.0, "Item 2 must be one of 0, 1, 2, 3; got 2.0."),
        ("phq9", 4, True, "Item 4 must be one of 0, 1, 2, 3; got True."),
        ("gad7", 1, False, "Item 1 must be one of 0, 1, 2, 3; got False."),
        ("pcl5", 5, True, "Item 5 must be one of 0, 1, 2, 3, 4; got True."),
    ],
)
def test_likert_value_outside_the_options_is_refused_naming_the_item(
    instrument_id, position, value, message
):
    count = {"phq9": 9, "gad7": 7, "pcl5": 20}[instrument_id]
    answers = [0] * count
    answers[position - 1] = value
    with pytest.raises(AnswerError) as caught:
        score(instrument_id, answers)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("position", "value", "message"),
    [
        (1, 1, "Item 1 must be yes (True) or no (False); got 1."),
        (2, 0, "Item 2 must be yes (True) or no (False); got 0."),
        (6, "yes", "Item 6 must be yes (True) or no (False); got 'yes'."),
        (7, 1, "Item 6b must be yes (True) or no (False); got 1."),
    ],
)
def test_cssrs_screen_numbers_for_yes_or_no_are_refused_naming_the_item(position, value, message):
    answers = [N, N, SKIP, SKIP, SKIP, N, SKIP]
    answers[position - 1] = value
    with pytest.raises(AnswerError) as caught:
        score("cssrs_screen", answers)
    assert str(caught.value) == message


def test_an_unknown_instrument_is_refused():
    with pytest.raises(ValueError, match="Unknown instrument 'bdi2'"):
        score("bdi2", [0] * 21)


def test_answer_errors_are_value_errors_for_form_handling():
    assert issubclass(AnswerError, ValueError)
    assert issubclass(IncompleteError, AnswerError)


# --- Response and remission ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "current", "responded"),
    [
        (9, 0, False),  # baseline must be above 9
        (10, 5, True),  # exactly 50 %
        (10, 6, False),
        (20, 10, True),
        (20, 11, False),
        (27, 13, True),  # 51.9 %
        (27, 14, False),  # 48.1 %
        (15, 20, False),  # worse
    ],
)
def test_response_is_a_fall_of_half_from_a_baseline_above_9(baseline, current, responded):
    assert is_response(baseline, current) is responded


@pytest.mark.parametrize(
    ("options", "baseline", "current", "responded"),
    [
        ({"baseline_above": 8}, 9, 4, True),
        ({"baseline_above": 10}, 10, 0, False),
        ({"minimum_fall_percent": 40}, 10, 6, True),
        ({"minimum_fall_percent": 60}, 10, 5, False),
    ],
)
def test_response_thresholds_are_clinic_settings(options, baseline, current, responded):
    assert is_response(baseline, current, **options) is responded


@pytest.mark.parametrize(("total", "remitted"), [(0, True), (4, True), (5, False), (27, False)])
def test_remission_is_a_phq9_below_5(total, remitted):
    assert is_remission(total) is remitted


def test_remission_threshold_is_a_clinic_setting():
    assert is_remission(5, below=6) is True


@pytest.mark.parametrize(("baseline", "current"), [(-1, 0), (10, -1), (True, 0), (10.0, 5)])
def test_response_refuses_totals_that_are_not_whole_scores(baseline, current):
    with pytest.raises(ValueError, match="whole number"):
        is_response(baseline, current)


# --- Licensed scales ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale_id", "total"),
    [
        ("bdi2", 0),
        ("bdi2", 63),
        ("bai", 63),
        ("hama", 56),
        ("madrs", 60),
        ("cadss", 92),
    ],
)
def test_licensed_total_within_the_published_range_is_accepted(scale_id, total):
    assert validate_licensed_total(scale_id, total) == total


@pytest.mark.parametrize(
    ("scale_id", "total", "message"),
    [
        ("bdi2", 64, "BDI-II total must be a whole number from 0 to 63; got 64."),
        ("bdi2", -1, "BDI-II total must be a whole number from 0 to 63; got -1."),
        ("bai", 64, "BAI total must be a whole number from 0 to 63; got 64."),
        ("hama", 57, "HAM-A total must be a whole number from 0 to 56; got 57."),
        ("madrs", 61, "MADRS total must be a whole number from 0 to 60; got 61."),
        ("cadss", 93, "CADSS total must be a whole number from 0 to 92; got 93."),
        ("madrs", 12.5, "MADRS total must be a whole number from 0 to 60; got 12.5."),
        ("madrs", True, "MADRS total must be a whole number from 0 to 60; got True."),
    ],
)
def test_licensed_total_outside_the_published_range_is_refused(scale_id, total, message):
    with pytest.raises(AnswerError) as caught:
        validate_licensed_total(scale_id, total)
    assert str(caught.value) == message


def test_unknown_licensed_scale_is_refused():
    with pytest.raises(AnswerError, match="Unknown scale 'phq9'"):
        validate_licensed_total("phq9", 10)
