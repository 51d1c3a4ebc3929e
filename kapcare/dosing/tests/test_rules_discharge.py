"""The discharge criteria as pure rules (`discharge.rules`): the modified Aldrete score and
each criterion at its edges — 59 vs 60 min of observation, Aldrete 8 vs 9, vitals 20 % vs
21 % from the pre-dose values. No database: the facts are plain values."""

import dataclasses
import datetime as dt

import pytest

from kapcare.dosing.discharge import rules as discharge_rules
from kapcare.dosing.discharge.rules import (
    ALDRETE_ITEMS,
    DischargeFacts,
    DischargeSettings,
    aldrete_score,
    discharge_problems,
    is_near_baseline,
    near_baseline_range,
)

ENDED = dt.datetime(2026, 12, 1, 15, 40, tzinfo=dt.UTC)  # 9:40 AM in Chicago
SETTINGS = DischargeSettings(time_zone="America/Chicago")
FULL_MARKS = {item.key: 2 for item in ALDRETE_ITEMS}


def ready(**changes) -> DischargeFacts:
    """A patient ready to go home an hour after the dose; `changes` break one thing."""
    facts = DischargeFacts(
        now=ENDED + dt.timedelta(minutes=60),
        dose_ended_at=ENDED,
        assessed_at=ENDED + dt.timedelta(minutes=55),
        aldrete=10,
        alert_and_oriented=True,
        escort_present=True,
        aftercare_given=True,
        baseline_systolic=100,
        baseline_heart_rate=100,
        latest_systolic=110,
        latest_heart_rate=90,
    )
    return dataclasses.replace(facts, **changes)


# --- The modified Aldrete score -------------------------------------------------------------


def test_aldrete_has_five_items_each_with_three_worded_scores():
    assert [item.key for item in ALDRETE_ITEMS] == [
        "activity",
        "respiration",
        "circulation",
        "consciousness",
        "oxygen_saturation",
    ]
    for item in ALDRETE_ITEMS:
        assert [score for score, _ in item.descriptions] == [2, 1, 0]
        assert all(words for _, words in item.descriptions)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (FULL_MARKS, 10),
        ({**FULL_MARKS, "activity": 1}, 9),
        ({**FULL_MARKS, "activity": 1, "consciousness": 1}, 8),
        (dict.fromkeys(FULL_MARKS, 0), 0),
    ],
)
def test_aldrete_score_is_the_sum_of_the_items(items, expected):
    assert aldrete_score(items) == expected


@pytest.mark.parametrize("value", [-1, 3, True, "2", None])
def test_aldrete_refuses_an_item_out_of_zero_to_two(value):
    with pytest.raises(ValueError, match="respiration"):
        aldrete_score({**FULL_MARKS, "respiration": value})


def test_aldrete_refuses_a_missing_item():
    items = dict(FULL_MARKS)
    del items["oxygen_saturation"]

    with pytest.raises(ValueError, match="oxygen_saturation"):
        aldrete_score(items)


# --- Discharge ---------------------------------------------------------------------------


def test_a_patient_who_meets_every_criterion_may_go():
    assert discharge_problems(ready(), SETTINGS) == []


def test_a_dose_not_ended_is_the_one_problem_of_time_and_vitals():
    problems = discharge_problems(
        ready(dose_ended_at=None, assessed_at=None, aldrete=None), SETTINGS
    )

    assert problems[0].startswith("The dose has not ended")
    assert not any("vital" in problem.lower() for problem in problems)


def test_a_dose_ending_later_has_not_ended():
    problems = discharge_problems(ready(now=ENDED - dt.timedelta(minutes=5)), SETTINGS)

    assert problems == ["The dose ends at 9:40 AM: it has not ended yet."]


@pytest.mark.parametrize(
    ("minutes", "required", "passes"),
    [
        (59, 60, False),
        (60, 60, True),
        (61, 60, True),
        (119, 120, False),  # esketamine's 2 h under its REMS
        (120, 120, True),
    ],
)
def test_observation_time_after_the_dose_ends(minutes, required, passes):
    settings = dataclasses.replace(SETTINGS, observation_minutes=required)
    facts = ready(now=ENDED + dt.timedelta(minutes=minutes), assessed_at=ENDED)

    problems = discharge_problems(facts, settings)

    assert (problems == []) is passes


def test_observation_counts_whole_minutes_so_59_and_a_half_is_not_an_hour():
    facts = ready(now=ENDED + dt.timedelta(minutes=59, seconds=59), assessed_at=ENDED)

    assert len(discharge_problems(facts, SETTINGS)) == 1


def test_observation_problem_says_how_long_and_until_when_in_the_clinics_time():
    facts = ready(now=ENDED + dt.timedelta(minutes=45), assessed_at=ENDED)

    assert discharge_problems(facts, SETTINGS) == [
        "Observed for 45 min since the dose ended at 9:40 AM; the clinic requires 60 min "
        "(until 10:40 AM)."
    ]


@pytest.mark.parametrize(
    ("score", "minimum", "passes"),
    [(8, 9, False), (9, 9, True), (10, 9, True), (9, 10, False), (10, 10, True)],
)
def test_aldrete_minimum(score, minimum, passes):
    settings = dataclasses.replace(SETTINGS, aldrete_minimum=minimum)

    problems = discharge_problems(ready(aldrete=score), settings)

    assert (problems == []) is passes


def test_aldrete_problem_names_the_score_and_the_minimum():
    assert discharge_problems(ready(aldrete=8), SETTINGS) == [
        "The modified Aldrete score is 8 of 10; the clinic requires at least 9."
    ]


def test_no_discharge_check_is_one_problem_not_four():
    problems = discharge_problems(ready(assessed_at=None, aldrete=None), SETTINGS)

    assert len(problems) == 1
    assert problems[0].startswith("No discharge check yet")


def test_a_check_made_before_the_dose_ended_does_not_count():
    problems = discharge_problems(ready(assessed_at=ENDED - dt.timedelta(minutes=1)), SETTINGS)

    assert problems == ["The last discharge check was made before the dose ended: check again."]


@pytest.mark.parametrize(
    ("criterion", "words"),
    [
        ("alert_and_oriented", "alert and oriented"),
        ("escort_present", "escort"),
        ("aftercare_given", "after-care instructions"),
    ],
)
def test_each_bedside_criterion_unmet_is_named(criterion, words):
    problems = discharge_problems(ready(**{criterion: False}), SETTINGS)

    assert len(problems) == 1
    assert words in problems[0]


@pytest.mark.parametrize(
    ("latest", "passes"),
    [(120, True), (121, False), (80, True), (79, False), (100, True)],
)
def test_systolic_within_20_percent_of_the_pre_dose_value(latest, passes):
    problems = discharge_problems(ready(latest_systolic=latest), SETTINGS)

    assert (problems == []) is passes


@pytest.mark.parametrize(
    ("latest", "passes"),
    [(120, True), (121, False), (80, True), (79, False)],
)
def test_heart_rate_within_20_percent_of_the_first_pre_dose_reading(latest, passes):
    problems = discharge_problems(ready(latest_heart_rate=latest), SETTINGS)

    assert (problems == []) is passes


def test_the_percentage_is_the_clinics():
    settings = dataclasses.replace(SETTINGS, vitals_within_percent=10)

    assert discharge_problems(ready(latest_systolic=111), settings) != []
    assert discharge_problems(ready(latest_systolic=110), settings) == []


def test_vitals_problem_gives_the_range_that_counts_as_near_baseline():
    problems = discharge_problems(ready(baseline_systolic=126, latest_systolic=160), SETTINGS)

    assert problems == [
        "Systolic pressure 160 mmHg is not back near the pre-dose 126 mmHg: the clinic asks "
        "for within 20 % (101–151 mmHg)."
    ]


def test_no_vital_signs_since_the_dose_ended_is_a_problem():
    problems = discharge_problems(ready(latest_systolic=None, latest_heart_rate=None), SETTINGS)

    assert problems == ["No vital signs since the dose ended: take a set before discharge."]


def test_without_a_pre_dose_heart_rate_the_heart_rate_is_not_compared():
    facts = ready(baseline_heart_rate=None, latest_heart_rate=150)

    assert discharge_problems(facts, SETTINGS) == []


def test_with_a_pre_dose_heart_rate_a_missing_heart_rate_since_the_dose_is_a_problem():
    problems = discharge_problems(ready(latest_heart_rate=None), SETTINGS)

    assert problems == ["No heart rate since the dose ended."]


def test_without_a_pre_dose_blood_pressure_there_is_nothing_to_compare_with():
    problems = discharge_problems(ready(baseline_systolic=None), SETTINGS)

    assert problems == [
        "There is no pre-dose blood pressure on the day-of checklist to compare with."
    ]


def test_every_unmet_criterion_is_listed_in_the_order_a_nurse_checks():
    facts = ready(
        now=ENDED + dt.timedelta(minutes=30),
        assessed_at=ENDED + dt.timedelta(minutes=25),
        aldrete=7,
        escort_present=False,
        latest_systolic=150,
    )

    problems = discharge_problems(facts, SETTINGS)

    assert [p.split()[0] for p in problems] == ["Observed", "The", "No", "Systolic"]


@pytest.mark.parametrize(
    ("value", "baseline", "percent", "near"),
    [
        (120, 100, 20, True),
        (121, 100, 20, False),
        (80, 100, 20, True),
        (79, 100, 20, False),
        (151, 126, 20, True),  # 151.2 is the edge
        (152, 126, 20, False),
        (101, 126, 20, True),  # 100.8 is the edge
        (100, 126, 20, False),
        (100, 100, 0, True),
        (101, 100, 0, False),
    ],
)
def test_near_baseline_edges_include_the_limit_and_never_round(value, baseline, percent, near):
    assert is_near_baseline(value, baseline, percent) is near


@pytest.mark.parametrize(
    ("baseline", "percent", "expected"),
    [(100, 20, (80, 120)), (126, 20, (101, 151)), (72, 20, (58, 86)), (100, 0, (100, 100))],
)
def test_near_baseline_range_is_the_whole_values_that_count(baseline, percent, expected):
    lowest, highest = near_baseline_range(baseline, percent)

    assert (lowest, highest) == expected
    assert is_near_baseline(lowest, baseline, percent)
    assert is_near_baseline(highest, baseline, percent)
    assert not is_near_baseline(lowest - 1, baseline, percent)
    assert not is_near_baseline(highest + 1, baseline, percent)


def test_clock_time_reads_the_clinics_wall_clock():
    zone = SETTINGS.zone

    assert discharge_rules.clock_time(ENDED, zone) == "9:40 AM"
    assert discharge_rules.clock_time(ENDED + dt.timedelta(hours=3), zone) == "12:40 PM"
    assert discharge_rules.clock_time(dt.datetime(2026, 12, 1, 6, 5, tzinfo=dt.UTC), zone) == (
        "12:05 AM"
    )


def test_a_last_reading_out_of_the_thresholds_holds_the_discharge():
    facts = ready(latest_alerts=("SpO2 88 < 92",))

    problems = discharge_rules.discharge_problems(facts, SETTINGS)

    assert problems == [
        "The last reading has values outside the clinic's alert thresholds (SpO2 88 < 92): "
        "treat and take the vital signs again before discharge."
    ]


@pytest.mark.parametrize(
    ("changes", "out_of_range"),
    [
        ({}, False),
        ({"latest_systolic": 120}, False),  # pre-dose 100, within 20 %
        ({"latest_systolic": 121}, True),
        ({"latest_heart_rate": 80}, False),  # pre-dose 100, within 20 %
        ({"latest_heart_rate": 79}, True),
        ({"latest_alerts": ("SpO2 88 < 92",)}, True),
        ({"latest_systolic": None, "latest_heart_rate": None}, True),
        # Nothing to compare with is a gap in the record, not a value out of range.
        ({"baseline_systolic": None, "baseline_heart_rate": None}, False),
        # Out of the band, but the dose has not ended: the discharge waits for that anyway.
        ({"latest_systolic": 170, "dose_ended_at": ENDED + dt.timedelta(hours=2)}, False),
        # The other criteria never call for a second clinician.
        ({"aldrete": 7, "escort_present": False, "now": ENDED + dt.timedelta(minutes=5)}, False),
    ],
)
def test_vital_signs_out_of_range_call_for_a_second_clinician(changes, out_of_range):
    assert discharge_rules.vitals_out_of_range(ready(**changes), SETTINGS) is out_of_range
