"""The dose arithmetic and the clinic's maximum, at every edge: Decimal throughout, half up
to 0.1 mg, exactly at a maximum passes and 0.001 mg/kg (or 0.1 mg) above fails."""

import datetime as dt
from decimal import Decimal as D

import pytest

from kapcare.dosing.dose import rules as dose_rules
from kapcare.dosing.dose.rules import DoseCaps, Prescription, compute_dose

IV = DoseCaps(route_label="IV", max_mg_per_kg=D("1.00"), max_total_mg=D("100"))
DOSE_DAY = dt.date(2026, 12, 1)


# --- The arithmetic -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mg_per_kg", "weight", "dose"),
    [
        ("0.5", "72.4", "36.2"),
        ("0.5", "72.5", "36.3"),  # 36.25: half up, not to even
        ("0.5", "72.3", "36.2"),  # 36.15 → 36.2
        ("0.75", "80.1", "60.1"),  # 60.075 → 60.1
        ("0.123", "70.0", "8.6"),  # 8.61 → 8.6
        ("0.001", "30.0", "0.0"),  # 0.03 → 0.0
        ("10", "300.0", "3000.0"),
        ("0.15", "31.0", "4.7"),  # 4.65 → 4.7 (in floats 4.6499999999999995 → 4.6)
        ("0.85", "31.0", "26.4"),  # 26.35 → 26.4 (in floats 26.349999999999998 → 26.3)
    ],
)
def test_dose_is_mg_per_kg_times_weight_rounded_half_up_to_a_tenth(mg_per_kg, weight, dose):
    calc = compute_dose(D(mg_per_kg), D(weight))

    assert calc.dose_mg == D(dose)
    assert str(calc.dose_mg) == dose


def test_the_dose_is_a_decimal_with_one_decimal_place():
    calc = compute_dose(D("0.5"), D("72.4"))

    assert isinstance(calc.dose_mg, D)
    assert calc.dose_mg.as_tuple().exponent == -1


@pytest.mark.parametrize(
    ("mg_per_kg", "weight", "arithmetic"),
    [
        ("0.5", "72.4", "0.5 mg/kg × 72.4 kg = 36.2 mg"),
        ("0.500", "72", "0.5 mg/kg × 72.0 kg = 36.0 mg"),
        ("1", "100.0", "1 mg/kg × 100.0 kg = 100.0 mg"),
        ("0.125", "64.8", "0.125 mg/kg × 64.8 kg = 8.1 mg"),
    ],
)
def test_the_arithmetic_is_shown_as_the_clinician_checks_it(mg_per_kg, weight, arithmetic):
    assert compute_dose(D(mg_per_kg), D(weight)).arithmetic == arithmetic


@pytest.mark.parametrize(("mg_per_kg", "weight"), [(0.5, D("72.4")), (D("0.5"), 72.4)])
def test_a_float_is_refused_in_the_arithmetic(mg_per_kg, weight):
    with pytest.raises(TypeError):
        compute_dose(mg_per_kg, weight)


# --- The clinic's maximum -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mg_per_kg", "weight", "expected"),
    [
        ("1.000", "80.0", []),  # exactly at the mg/kg maximum
        ("1.001", "80.0", ["1.001 mg/kg is above the clinic's maximum of 1 mg/kg for IV."]),
        ("0.5", "200.0", []),  # exactly 100.0 mg, the total maximum
        ("0.5", "200.1", ["100.1 mg is above the clinic's maximum total of 100 mg for IV."]),
        # 0.999 × 100.1 = 99.9999 → 100.0 mg as drawn up: within the total
        ("0.999", "100.1", []),
        (
            "1.001",
            "100.0",
            [
                "1.001 mg/kg is above the clinic's maximum of 1 mg/kg for IV.",
                "100.1 mg is above the clinic's maximum total of 100 mg for IV.",
            ],
        ),
    ],
)
def test_cap_problems_name_each_maximum_crossed(mg_per_kg, weight, expected):
    assert dose_rules.cap_problems(compute_dose(D(mg_per_kg), D(weight)), IV) == expected


def test_caps_describe_themselves_in_words():
    sublingual = DoseCaps(route_label="sublingual", max_mg_per_kg=D("3.00"), max_total_mg=D(300))

    assert sublingual.description == "sublingual: at most 3 mg/kg and 300 mg in all"


# --- What is plausible to type ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mg_per_kg", "problem"),
    [
        ("0", "Enter a dose above 0 mg/kg."),
        ("-0.5", "Enter a dose above 0 mg/kg."),
        ("0.001", ""),
        ("10", ""),
        ("10.000", ""),
        (
            "10.001",
            "10.001 mg/kg is not a plausible ketamine dose (at most 10 mg/kg): check the number.",
        ),
        ("0.5001", "Give the dose in mg/kg to at most 3 decimal places."),
        ("0.5000", ""),
    ],
)
def test_mg_per_kg_must_be_above_zero_and_at_most_ten(mg_per_kg, problem):
    assert dose_rules.mg_per_kg_problem(D(mg_per_kg)) == problem


@pytest.mark.parametrize(
    ("weight", "plausible"),
    [("29.9", False), ("30.0", True), ("72.4", True), ("300.0", True), ("300.1", False)],
)
def test_weight_must_be_between_30_and_300_kg(weight, plausible):
    assert (dose_rules.weight_problem(D(weight)) == "") is plausible


def test_no_weight_asks_for_one():
    assert dose_rules.weight_problem(None).startswith("No weight is recorded")


@pytest.mark.parametrize(
    ("route", "minutes", "plausible"),
    [
        ("iv", None, False),
        ("iv", 4, False),
        ("iv", 5, True),
        ("iv", 40, True),
        ("iv", 240, True),
        ("iv", 241, False),
        ("im", None, True),
        ("sublingual", None, True),
    ],
)
def test_an_iv_dose_needs_a_plausible_infusion_duration(route, minutes, plausible):
    assert (dose_rules.infusion_minutes_problem(route, minutes) == "") is plausible


@pytest.mark.parametrize(
    ("expiry", "usable"),
    [
        (dt.date(2026, 11, 30), False),
        (dt.date(2026, 12, 1), True),  # a lot may be used on its expiry date
        (dt.date(2027, 6, 30), True),
        (None, False),
    ],
)
def test_a_lot_expired_before_the_dose_day_is_refused(expiry, usable):
    assert (dose_rules.lot_expiry_problem(expiry, DOSE_DAY) == "") is usable


# --- The weight the dose was computed from ------------------------------------------------------


def age_problem(measured_on, weight="72.4", latest_on=None, latest="72.4", recent_days=30):
    latest_on = latest_on or measured_on
    return dose_rules.weight_age_problem(
        measured_on, D(weight), latest_on, D(latest), DOSE_DAY, recent_days
    )


@pytest.mark.parametrize(
    ("days_before", "recent"),
    [(0, True), (29, True), (30, True), (31, False)],
)
def test_the_weight_counts_up_to_the_clinics_recent_days_before_the_dose(days_before, recent):
    measured_on = DOSE_DAY - dt.timedelta(days=days_before)

    assert (age_problem(measured_on) == "") is recent


def test_the_recent_days_are_the_clinics_setting():
    measured_on = DOSE_DAY - dt.timedelta(days=10)

    assert age_problem(measured_on, recent_days=10) == ""
    assert "more than 9 days before the dose" in age_problem(measured_on, recent_days=9)


def test_a_newer_weight_makes_the_dose_stale():
    problem = age_problem(dt.date(2026, 11, 20), latest_on=dt.date(2026, 11, 30), latest="70.1")

    assert problem == (
        "The dose was computed from 72.4 kg of Nov 20, 2026, which is no longer the patient's "
        "latest weight (70.1 kg on Nov 30, 2026): prescribe the dose again."
    )


def test_a_second_weight_on_the_same_day_that_differs_makes_the_dose_stale():
    assert age_problem(dt.date(2026, 11, 30), latest="74.0") != ""


def test_no_weight_at_all_is_a_problem():
    assert dose_rules.weight_age_problem(None, None, None, None, DOSE_DAY, 30).startswith(
        "No weight is recorded"
    )


# --- The gate -----------------------------------------------------------------------------------


def prescription(**changes) -> Prescription:
    values = {
        "route": "iv",
        "calc": compute_dose(D("0.5"), D("72.4")),
        "weight_measured_on": dt.date(2026, 11, 30),
        "above_maximum_reason": "",
        "lot_expiry": dt.date(2027, 6, 30),
        "prescribed_by": "Cal Clinician, CRNA",
        "confirmed_by": "Cora Coordinator",
        **changes,
    }
    return Prescription(**values)


def gate(p, caps=IV, latest_on=dt.date(2026, 11, 30), latest=D("72.4")):
    return dose_rules.dose_gate(p, caps, latest_on, latest, DOSE_DAY, 30)


def test_the_dose_gate_passes_when_prescribed_and_checked():
    assert gate(prescription()) == (
        True,
        "36.2 mg IV (0.5 mg/kg × 72.4 kg = 36.2 mg), prescribed by Cal Clinician, CRNA and "
        "checked by Cora Coordinator.",
    )


def test_the_dose_gate_fails_without_a_prescription():
    passed, message = gate(None, caps=None)

    assert not passed
    assert message.startswith("No dose is prescribed yet")


def test_the_dose_gate_fails_until_a_second_person_checks_it():
    passed, message = gate(prescription(confirmed_by=""))

    assert not passed
    assert message.endswith("a second clinician or nurse must check it on the dosing record.")


def test_the_dose_gate_fails_when_the_weight_is_too_old():
    old = dt.date(2026, 10, 31)

    passed, message = gate(prescription(weight_measured_on=old), latest_on=old)

    assert not passed
    assert "more than 30 days before the dose" in message


def test_the_dose_gate_fails_when_a_newer_weight_was_recorded():
    passed, message = gate(prescription(), latest=D("80.0"))

    assert not passed
    assert "no longer the patient's latest weight" in message


def test_the_dose_gate_fails_above_a_lowered_maximum_without_a_reason():
    lowered = DoseCaps(route_label="IV", max_mg_per_kg=D("0.4"), max_total_mg=D("100"))

    passed, message = gate(prescription(), caps=lowered)

    assert not passed
    assert message == (
        "0.5 mg/kg is above the clinic's maximum of 0.4 mg/kg for IV. A clinician must "
        "prescribe it again with a reason."
    )


def test_the_dose_gate_passes_above_the_maximum_with_the_clinicians_reason():
    lowered = DoseCaps(route_label="IV", max_mg_per_kg=D("0.4"), max_total_mg=D("100"))

    passed, _ = gate(prescription(above_maximum_reason="Partial response at 0.4."), caps=lowered)

    assert passed


def test_the_dose_gate_fails_when_the_lot_has_expired():
    passed, message = gate(prescription(lot_expiry=dt.date(2026, 11, 30)))

    assert not passed
    assert message.startswith("This lot expired on Nov 30, 2026")


@pytest.mark.parametrize(
    ("model", "present", "expected"),
    [
        ("in_session", True, True),
        ("in_session", False, False),
        ("blended", False, None),
        ("bracketed", False, None),
        ("standalone", False, None),
    ],
)
def test_the_therapist_must_be_present_only_in_the_in_session_model(model, present, expected):
    result = dose_rules.therapist_gate(model, present, therapist="Rachel Kim", present="Rachel Kim")

    assert (result[0] if result else None) is expected


def test_in_session_another_person_recorded_present_does_not_pass():
    passed, message = dose_rules.therapist_gate(
        "in_session",
        True,
        therapist="Rachel Kim",
        present="Sam Stand-in",
        present_is_therapist=False,
    )

    assert not passed
    assert "Sam Stand-in was recorded as present" in message
    assert "Rachel Kim" in message


def test_in_session_without_a_named_therapist_does_not_pass():
    passed, message = dose_rules.therapist_gate("in_session", True)

    assert not passed
    assert "no therapist is named" in message
