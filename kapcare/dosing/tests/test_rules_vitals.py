"""The vital-sign rules at every edge: plausible ranges, each alert threshold on both sides
(the defaults of docs/clinical-reference.md#vital-sign-alert-thresholds, with ≥ for blood
pressure and > for heart and respiratory rate), and when the next reading is due. No
database."""

import datetime as dt
from types import SimpleNamespace

import pytest

from kapcare.dosing.vitals import rules
from kapcare.dosing.vitals.rules import (
    AFTER,
    BEFORE,
    DISCHARGED,
    DURING,
    HIGH,
    LOW,
    Alert,
    VitalSchedule,
    VitalThresholds,
    alerts_for,
    next_reading_due,
    phase_at,
    plausibility_problems,
)

DEFAULTS = VitalThresholds()


@pytest.mark.parametrize(
    ("vital", "value", "threshold"),
    [
        ("sbp", 179, None),
        ("sbp", 180, "≥ 180"),
        ("sbp", 90, None),
        ("sbp", 89, "< 90"),
        ("dbp", 109, None),
        ("dbp", 110, "≥ 110"),
        ("hr", 130, None),
        ("hr", 131, "> 130"),
        ("hr", 50, None),
        ("hr", 49, "< 50"),
        ("spo2", 92, None),
        ("spo2", 91, "< 92"),
        ("rr", 10, None),
        ("rr", 9, "< 10"),
        ("rr", 30, None),
        ("rr", 31, "> 30"),
    ],
)
def test_each_threshold_alerts_exactly_from_its_edge(vital, value, threshold):
    alerts = alerts_for({vital: value}, DEFAULTS)

    expected = [Alert(vital=vital, value=value, threshold=threshold)] if threshold else []
    assert alerts == expected


@pytest.mark.parametrize("score", range(6))
def test_sedation_raises_no_alert(score):
    assert alerts_for({"sedation": score}, DEFAULTS) == []


def test_alerts_follow_the_clinics_thresholds_not_the_defaults():
    strict = VitalThresholds(systolic_high=160)

    assert alerts_for({"sbp": 165}, strict) == [Alert("sbp", 165, "≥ 160")]
    assert alerts_for({"sbp": 165}, DEFAULTS) == []


def test_thresholds_are_read_from_the_clinic_settings():
    clinic = SimpleNamespace(
        vitals_systolic_high=170,
        vitals_systolic_low=85,
        vitals_diastolic_high=105,
        vitals_heart_rate_high=120,
        vitals_heart_rate_low=45,
        vitals_spo2_low=90,
        vitals_respiratory_rate_low=8,
        vitals_respiratory_rate_high=28,
    )

    thresholds = VitalThresholds.from_settings(clinic)

    assert thresholds == VitalThresholds(170, 85, 105, 120, 45, 90, 8, 28)


def test_a_reading_with_several_values_out_of_range_lists_each_in_order():
    alerts = alerts_for({"hr": 135, "sbp": 185, "dbp": 112, "spo2": 97, "rr": 14}, DEFAULTS)

    assert [(a.vital, a.direction) for a in alerts] == [
        ("sbp", HIGH),
        ("dbp", HIGH),
        ("hr", HIGH),
    ]


def test_missing_values_raise_no_alert():
    assert alerts_for({"sbp": None, "spo2": None}, DEFAULTS) == []


@pytest.mark.parametrize(
    ("threshold", "direction"), [("≥ 180", HIGH), ("> 130", HIGH), ("< 92", LOW), ("", "")]
)
def test_direction_is_read_from_the_threshold_words(threshold, direction):
    assert rules.direction_of(threshold) == direction


# --- Plausibility --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vital", "lowest", "highest"),
    [
        ("hr", 20, 250),
        ("sbp", 50, 260),
        ("dbp", 20, 160),
        ("spo2", 50, 100),
        ("rr", 2, 60),
        ("sedation", 0, 5),
    ],
)
def test_plausible_range_accepts_its_ends_and_refuses_one_beyond(vital, lowest, highest):
    assert plausibility_problems({vital: lowest}) == {}
    assert plausibility_problems({vital: highest}) == {}
    assert vital in plausibility_problems({vital: lowest - 1})
    assert vital in plausibility_problems({vital: highest + 1})


def test_an_implausible_value_is_refused_with_the_range_in_words():
    problems = plausibility_problems({"sbp": 20, "spo2": 140})

    assert problems == {
        "sbp": "Systolic blood pressure 20 mmHg cannot be right: "
        "enter a value from 50 to 260 mmHg.",
        "spo2": "Oxygen saturation (SpO2) 140 % cannot be right: enter a value from 50 to 100 %.",
    }


def test_a_diastolic_equal_to_the_systolic_is_refused_at_the_diastolic():
    assert set(plausibility_problems({"sbp": 120, "dbp": 120})) == {"dbp"}
    assert plausibility_problems({"sbp": 120, "dbp": 119}) == {}


def test_a_diastolic_alone_is_not_compared():
    assert plausibility_problems({"dbp": 150}) == {}


def test_an_unknown_field_is_refused():
    assert set(plausibility_problems({"temperature": 37})) == {"temperature"}


def test_every_vital_but_sedation_has_its_loinc_code():
    codes = {key: vital.loinc_code for key, vital in rules.VITALS.items()}

    assert codes == {
        "hr": "8867-4",
        "sbp": "8480-6",
        "dbp": "8462-4",
        "spo2": "2708-6",
        "rr": "9279-1",
        "sedation": "",
    }


# --- When the next reading is due ------------------------------------------------------------

START = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(minutes=40)
SCHEDULE = VitalSchedule(every_minutes_during=10, every_minutes_after=15)


def minutes(n: int) -> dt.datetime:
    return START + dt.timedelta(minutes=n)


@pytest.mark.parametrize(
    ("now", "started", "ended", "discharged", "phase"),
    [
        (minutes(-1), None, None, None, BEFORE),
        (minutes(-1), START, END, None, BEFORE),
        (minutes(0), START, None, None, DURING),
        (minutes(39), START, END, None, DURING),
        (minutes(40), START, END, None, AFTER),
        (minutes(99), START, END, minutes(100), AFTER),
        (minutes(100), START, END, minutes(100), DISCHARGED),
    ],
)
def test_phase_of_the_session(now, started, ended, discharged, phase):
    assert phase_at(now, started, ended, discharged) == phase


def due(now, last, started=START, ended=END, discharged=None):
    return next_reading_due(
        now=now,
        last_taken_at=last,
        dose_started_at=started,
        dose_ended_at=ended,
        discharged_at=discharged,
        schedule=SCHEDULE,
    )


def test_during_the_dose_the_next_reading_is_due_ten_minutes_after_the_last():
    reading = due(minutes(12), last=minutes(8))

    assert (reading.phase, reading.due_at, reading.is_overdue) == (DURING, minutes(18), False)


def test_a_reading_exactly_at_its_due_time_is_not_yet_overdue():
    assert due(minutes(18), last=minutes(8)).is_overdue is False
    assert due(minutes(18) + dt.timedelta(seconds=1), last=minutes(8)).is_overdue is True


def test_without_a_reading_since_the_start_the_clock_starts_with_the_dose():
    reading = due(minutes(11), last=minutes(-5))

    assert (reading.due_at, reading.is_overdue) == (minutes(10), True)


def test_after_the_dose_the_reading_is_due_fifteen_minutes_after_the_last():
    reading = due(minutes(50), last=minutes(45))

    assert (reading.phase, reading.due_at) == (AFTER, minutes(60))


def test_after_the_dose_the_clock_starts_at_its_end_when_the_last_reading_was_during_it():
    assert due(minutes(41), last=minutes(38)).due_at == minutes(55)


def test_intervals_follow_the_clinics_settings():
    clinic = SimpleNamespace(vitals_every_minutes_during=5, vitals_every_minutes_after=30)
    reading = next_reading_due(
        now=minutes(3),
        last_taken_at=minutes(1),
        dose_started_at=START,
        dose_ended_at=END,
        schedule=VitalSchedule.from_settings(clinic),
    )

    assert reading.due_at == minutes(6)


def test_no_reading_is_scheduled_before_the_dose_or_after_discharge():
    assert due(minutes(-10), last=None, started=None, ended=None) is None
    assert due(minutes(120), last=minutes(90), discharged=minutes(100)) is None
