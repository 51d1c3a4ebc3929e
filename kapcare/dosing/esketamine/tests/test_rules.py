"""Esketamine's pure rules, table by table: the label's doses, the devices 5 minutes apart,
the REMS form's blood pressures, the effects before discharge, the enrolment gate and when
the form is due. No database."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kapcare.dosing.esketamine import rules

CHICAGO = ZoneInfo("America/Chicago")
FIRST = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # 9:00 AM in Chicago


def at(minutes: int) -> dt.datetime:
    return FIRST + dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("dose", "problem"),
    [
        (None, "Choose the dose"),
        (Decimal(28), "28 mg is not a Spravato dose"),
        (Decimal(56), ""),
        (Decimal(70), "70 mg is not a Spravato dose"),
        (Decimal(84), ""),
        (Decimal(112), "112 mg is not a Spravato dose"),
    ],
)
def test_only_the_labels_doses_are_accepted(dose, problem):
    found = rules.dose_problem(dose)
    assert found.startswith(problem) if problem else found == ""


# The label's induction (Spravato prescribing information, section 2.2, Table 1): "Day 1
# starting dose: 56 mg; subsequent doses: 56 mg or 84 mg".
@pytest.mark.parametrize(
    ("dose", "treated_before", "problem"),
    [
        (Decimal(56), False, ""),
        (Decimal(84), False, "84 mg cannot be the patient's first esketamine treatment"),
        (Decimal(56), True, ""),
        (Decimal(84), True, ""),
        (None, False, ""),  # no dose: `dose_problem` asks for one
    ],
)
def test_the_first_treatment_is_56_mg(dose, treated_before, problem):
    found = rules.first_dose_problem(dose, treated_before=treated_before)
    assert found.startswith(problem) if problem else found == ""
    if problem:
        assert "starts at 56 mg on day 1" in found


@pytest.mark.parametrize(("dose", "devices"), [(Decimal(56), 2), (Decimal(84), 3)])
def test_a_dose_is_a_number_of_28_mg_devices(dose, devices):
    assert rules.devices_for(dose) == devices


@pytest.mark.parametrize(
    ("given", "previous", "taken", "problem"),
    [
        (0, None, 0, ""),
        (1, 0, 4, "wait 5 minutes between devices"),
        (1, 0, 5, ""),
        (2, 5, 9, "wait 5 minutes between devices"),
        (2, 5, 10, ""),
        (1, 10, 8, "This is before the previous device"),
        (3, 10, 20, "All 3 devices of this dose are recorded."),
        (0, None, 31, "This time is still to come"),
    ],
)
def test_devices_are_at_least_5_minutes_apart_and_no_more_than_prescribed(
    given, previous, taken, problem
):
    found = rules.device_problem(
        devices_given=given,
        devices_prescribed=3,
        previous_given_at=at(previous) if previous is not None else None,
        at=at(taken),
        now=at(30),
        zone=CHICAGO,
    )
    assert (problem in found) if problem else found == ""


def test_the_refusal_says_from_when_the_next_device_may_be_taken():
    found = rules.device_problem(
        devices_given=1,
        devices_prescribed=2,
        previous_given_at=at(0),
        at=at(3),
        now=at(30),
        zone=CHICAGO,
    )
    assert found == (
        "Device 1 was taken at 9:00 AM: wait 5 minutes between devices (from 9:05 AM)."
    )


@pytest.mark.parametrize(
    ("readings", "discharged", "now", "expected"),
    [
        # Nothing taken, nothing given yet: nothing is missing.
        ([], None, -10, [(None, False), (None, False), (None, False)]),
        # The first device given without a pre-dose reading: missing at once.
        ([], None, 5, [(None, True), (None, False), (None, False)]),
        # Before, and at 35 minutes (inside 30–50): both there.
        ([-5, 35], None, 45, [(-5, False), (35, False), (None, False)]),
        # The nearest to 40 minutes is chosen.
        ([-5, 31, 42, 49], None, 60, [(-5, False), (42, False), (None, False)]),
        # At 29 minutes is too early: missing once the window closed at 50.
        ([-5, 29], None, 51, [(-5, False), (None, True), (None, False)]),
        ([-5, 29], None, 50, [(-5, False), (None, False), (None, False)]),
        # Discharged at 130 with a reading at 105: within 30 minutes.
        ([-5, 40, 105], 130, 130, [(-5, False), (40, False), (105, False)]),
        # Discharged at 140 with the last reading at 105: missing.
        ([-5, 40, 105], 140, 140, [(-5, False), (40, False), (None, True)]),
    ],
)
def test_the_rems_forms_blood_pressures(readings, discharged, now, expected):
    checks = rules.blood_pressure_checks(
        first_device_at=at(0) if now >= 0 else None,
        readings=[at(m) for m in readings],
        discharged_at=at(discharged) if discharged is not None else None,
        now=at(now),
    )
    assert [(c.taken_at, c.is_missing) for c in checks] == [
        (at(m) if m is not None else None, missing) for m, missing in expected
    ]
    assert [c.label for c in checks] == [
        "Before the first device",
        "About 40 minutes after",
        "Before discharge",
    ]


@pytest.mark.parametrize(
    ("sedation", "dissociation", "respiration", "unresolved"),
    [
        (True, True, True, ()),
        (False, True, True, ("sedation",)),
        (True, False, True, ("dissociation",)),
        (True, True, False, ("respiratory depression",)),
        (False, False, False, ("sedation", "dissociation", "respiratory depression")),
    ],
)
def test_each_effect_not_resolved_is_named(sedation, dissociation, respiration, unresolved):
    assert (
        rules.unresolved_effects(
            sedation_resolved=sedation,
            dissociation_resolved=dissociation,
            respiratory_depression_resolved=respiration,
        )
        == unresolved
    )


@pytest.mark.parametrize(
    ("unresolved", "checked", "problem"),
    [
        ((), False, "No check of esketamine's effects yet"),
        (("dissociation",), True, "Not yet resolved: dissociation."),
        ((), True, ""),
    ],
)
def test_the_effects_criterion(unresolved, checked, problem):
    found = rules.effects_problem(unresolved, checked)
    assert found.startswith(problem) if problem else found == ""


DAY = dt.date(2026, 3, 2)


@pytest.mark.parametrize(
    ("enrolment_id", "enrolled_on", "passed", "message"),
    [
        (None, None, False, "The patient is not recorded as enrolled"),
        ("RP-1", DAY + dt.timedelta(days=1), False, "The REMS enrolment is dated Mar 3, 2026"),
        ("RP-1", DAY, True, "Enrolled in the Spravato REMS on Mar 2, 2026 (RP-1)."),
        ("RP-1", DAY - dt.timedelta(days=30), True, "Enrolled in the Spravato REMS on Jan 31"),
    ],
)
def test_the_rems_enrolment_gate(enrolment_id, enrolled_on, passed, message):
    result = rules.rems_enrolment_gate(enrolment_id, enrolled_on, DAY)
    assert result[0] is passed
    assert result[1].startswith(message)


@pytest.mark.parametrize(
    ("dose", "expiry", "confirmed_by", "before", "passed", "message"),
    [
        (None, DAY, "", True, False, "No dose is prescribed yet"),
        (Decimal(70), DAY, "N. Nurse, RN", True, False, "70 mg is not a Spravato dose"),
        (Decimal(56), DAY - dt.timedelta(days=1), "N. Nurse, RN", True, False, "The lot"),
        (Decimal(56), DAY, "", True, False, "Esketamine 56 mg intranasal (2 devices of 28 mg) is"),
        (Decimal(84), DAY, "N. Nurse, RN", True, True, "Esketamine 84 mg intranasal (3 devices"),
        (Decimal(84), DAY, "N. Nurse, RN", False, False, "84 mg cannot be the patient's first"),
        (Decimal(56), DAY, "N. Nurse, RN", False, True, "Esketamine 56 mg intranasal (2 devices"),
    ],
)
def test_the_esketamine_dose_gate(dose, expiry, confirmed_by, before, passed, message):
    result = rules.dose_gate(
        dose_mg=dose,
        lot_expiry=expiry,
        dose_day=DAY,
        prescribed_by="D. Doctor, MD",
        confirmed_by=confirmed_by,
        treated_before=before,
    )
    assert result[0] is passed
    assert result[1].startswith(message)


@pytest.mark.parametrize(
    ("today", "submitted", "state"),
    [
        (DAY, False, "due"),
        (DAY + dt.timedelta(days=7), False, "due"),
        (DAY + dt.timedelta(days=8), False, "overdue"),
        (DAY + dt.timedelta(days=30), True, "submitted"),
    ],
)
def test_the_form_is_due_within_7_days_of_the_session(today, submitted, state):
    due_on = rules.form_due_on(DAY, 7)
    assert due_on == DAY + dt.timedelta(days=7)
    assert rules.form_state(due_on, submitted, today) == state
