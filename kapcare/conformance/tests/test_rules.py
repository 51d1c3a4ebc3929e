import datetime as dt

import pytest

from kapcare.conformance import rules
from kapcare.dosing.vitals.rules import VitalSchedule

T0 = dt.datetime(2025, 3, 3, 15, 0, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("checks", "status"),
    [
        ([], rules.NOT_APPLICABLE),
        ([rules.Check("Dose 1", True, "ok")], rules.MET),
        ([rules.Check("Dose 1", True, "ok"), rules.Check("Dose 2", False, "no")], rules.NOT_MET),
        ([rules.Check("Dose 1", False, "no", waiver_reason="Seen by MD")], rules.WAIVED),
        (
            [
                rules.Check("Dose 1", False, "no", waiver_reason="Seen by MD"),
                rules.Check("Dose 2", False, "no"),
            ],
            rules.NOT_MET,
        ),
    ],
)
def test_an_element_is_met_only_when_every_dose_passed_or_was_waived(checks, status):
    assert rules.combine("x", checks, none_detail="none").status == status


def test_a_not_met_element_names_the_failing_doses_and_links_the_fix():
    result = rules.combine(
        "x",
        [rules.Check("Dose 1", True, "ok"), rules.Check("Dose 2", False, "Unsigned.", "/fix/")],
        none_detail="none",
    )
    assert result.detail == "Dose 2: Unsigned."
    assert result.url == "/fix/"


def test_a_waived_element_gives_the_reason():
    result = rules.combine(
        "x", [rules.Check("Dose 1", False, "no", waiver_reason="Seen by MD")], none_detail=""
    )
    assert "Seen by MD" in result.detail


SCHEDULE = VitalSchedule(every_minutes_during=10, every_minutes_after=15)


def gaps(taken, ended=40, discharged=100):
    return rules.monitoring_gaps(
        [at(m) for m in taken],
        dose_started_at=at(0),
        dose_ended_at=at(ended),
        discharged_at=at(discharged),
        schedule=SCHEDULE,
    )


def test_readings_on_schedule_leave_no_gap():
    assert gaps([-5, 10, 20, 30, 40, 55, 70, 85, 100]) == []


def test_a_missed_reading_during_the_dose_is_a_gap():
    assert gaps([-5, 10, 30, 40, 55, 70, 85, 100]) == [(at(20), at(30))]


def test_a_missed_reading_after_the_dose_is_a_gap():
    assert gaps([-5, 10, 20, 30, 40, 55, 85, 100]) == [(at(70), at(85))]


def test_no_dose_start_has_no_schedule():
    assert (
        rules.monitoring_gaps(
            [], dose_started_at=None, dose_ended_at=None, discharged_at=None, schedule=SCHEDULE
        )
        == []
    )
