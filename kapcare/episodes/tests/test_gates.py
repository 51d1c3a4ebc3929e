"""The dosing gates as pure rules (docs/clinical-reference.md#gates): every rule at each of
its edges, for each model of care. No database: the facts are plain values."""

import dataclasses
import datetime as dt

import pytest

from kapcare.episodes.gates import rules as gate_rules
from kapcare.episodes.gates.rules import GateFacts, GateSettings

DOSE = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)  # 9:00 AM in Chicago
SETTINGS = GateSettings(time_zone="America/Chicago")
KAP_MODELS = ["in_session", "bracketed", "blended"]
ALL_MODELS = [*KAP_MODELS, "standalone"]


def first_dose(model="blended", **changes) -> GateFacts:
    """A first dose on which every gate passes; `changes` break one thing at a time."""
    facts = GateFacts(
        model=model,
        dose_at=DOSE,
        eligibility_state="eligible",
        eligibility_is_eligible=True,
        eligibility_label="Eligible until Mar 1, 2027",
        consent_status=gate_rules.CONSENT_CURRENT,
        preparation_sessions_done=1,
        latest_phq9_at=DOSE - dt.timedelta(days=1),
        latest_gad7_at=DOSE - dt.timedelta(days=1),
        has_baseline_phq9=True,
        checklist_recorded=True,
        fasting_confirmed=True,
        escort_confirmed=True,
        pregnancy_test=gate_rules.PREGNANCY_NEGATIVE,
        medication_changes_reviewed=True,
        weight_measured_on=dt.date(2026, 11, 20),
        blood_pressure_systolic=128,
        blood_pressure_diastolic=82,
    )
    return dataclasses.replace(facts, **changes)


def later_dose(model="blended", **changes) -> GateFacts:
    """The second dose, two days after the first, with integration done in between."""
    previous = DOSE - dt.timedelta(days=2)
    base = first_dose(
        model,
        previous_episode_dose_at=previous,
        previous_dose_at=previous,
        integration_done_since_previous_dose=True,
    )
    return dataclasses.replace(base, **changes)


def result(facts: GateFacts, rule: str, settings: GateSettings = SETTINGS) -> gate_rules.GateResult:
    return next(r for r in gate_rules.evaluate_gates(facts, settings) if r.rule == rule)


# --- Which rules apply ------------------------------------------------------------------------


@pytest.mark.parametrize("model", KAP_MODELS)
def test_kap_models_have_all_nine_rules(model):
    assert [r.rule for r in gate_rules.evaluate_gates(first_dose(model), SETTINGS)] == [
        "eligibility",
        "consent",
        "preparation",
        "integration",
        "measures",
        "safety_review",
        "dose_interval",
        "day_of_checklist",
        "blood_pressure",
    ]


def test_standalone_infusion_has_no_preparation_or_integration_rule():
    rules = [r.rule for r in gate_rules.evaluate_gates(first_dose("standalone"), SETTINGS)]

    assert "preparation" not in rules
    assert "integration" not in rules
    assert len(rules) == 7


@pytest.mark.parametrize("model", ALL_MODELS)
def test_a_complete_first_dose_passes_every_rule(model):
    results = gate_rules.evaluate_gates(first_dose(model), SETTINGS)

    assert [r.rule for r in results if not r.passed] == []


@pytest.mark.parametrize("model", ALL_MODELS)
def test_a_complete_later_dose_passes_every_rule(model):
    results = gate_rules.evaluate_gates(later_dose(model), SETTINGS)

    assert [r.rule for r in results if not r.passed] == []


def test_standalone_infusion_starts_with_no_preparation_and_no_integration():
    facts = later_dose(
        "standalone", preparation_sessions_done=0, integration_done_since_previous_dose=False
    )

    assert gate_rules.blocking(gate_rules.evaluate_gates(facts, SETTINGS), set()) == []


def test_every_failure_names_where_to_fix_it():
    nothing_yet = GateFacts(model="blended", dose_at=DOSE, open_alerts=1)
    second_dose_too_soon = dataclasses.replace(
        nothing_yet, previous_episode_dose_at=DOSE, previous_dose_at=DOSE
    )

    failures = [
        r
        for facts in (nothing_yet, second_dose_too_soon)
        for r in gate_rules.evaluate_gates(facts, SETTINGS)
        if not r.passed
    ]

    assert {r.rule for r in failures} == set(gate_rules.RULE_TITLES)
    assert all(r.fix and r.message.endswith(".") for r in failures)


# --- Gate 1: eligibility ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "is_eligible", "passed", "says"),
    [
        ("eligible", True, True, "Eligible until"),
        ("eligible_with_conditions", True, True, "Eligible until"),
        ("not_screened", False, False, "No eligibility decision"),
        ("not_eligible", False, False, "not eligible"),
        ("expired", False, False, "expired"),
        ("review_needed", False, False, "review eligibility"),
    ],
)
def test_eligibility(state, is_eligible, passed, says):
    facts = first_dose(
        eligibility_state=state, eligibility_is_eligible=is_eligible, eligibility_label=state
    )
    if is_eligible:
        facts = dataclasses.replace(facts, eligibility_label="Eligible until Mar 1, 2027")

    gate = result(facts, "eligibility")

    assert gate.passed is passed
    assert says in gate.message
    assert gate.fix == ("" if passed else "screening")


# --- Gate 2: consent --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "passed"),
    [("current", True), ("not_signed", False), ("outdated", False), ("withdrawn", False)],
)
def test_consent_must_be_signed_current_and_not_withdrawn(status, passed):
    gate = result(first_dose(consent_status=status), "consent")

    assert gate.passed is passed
    assert gate.fix == ("" if passed else "consents")


# --- Gate 3: preparation ----------------------------------------------------------------------


@pytest.mark.parametrize("model", KAP_MODELS)
@pytest.mark.parametrize(
    ("trauma", "done", "passed"),
    [
        (False, 0, False),
        (False, 1, True),
        (True, 1, False),
        (True, 2, True),
        (True, 3, True),
    ],
)
def test_first_dose_needs_preparation_more_after_trauma(model, trauma, done, passed):
    facts = first_dose(model, has_trauma_history=trauma, preparation_sessions_done=done)

    assert result(facts, "preparation").passed is passed


def test_preparation_count_is_the_clinics_setting():
    settings = dataclasses.replace(SETTINGS, preparation_sessions_required=3)

    gate = result(first_dose(preparation_sessions_done=2), "preparation", settings)

    assert not gate.passed
    assert gate.message == "2 preparation sessions done before the first dose; 3 needed."


def test_trauma_history_is_named_as_the_reason_for_more_preparation():
    gate = result(first_dose(has_trauma_history=True), "preparation")

    assert gate.message == (
        "1 preparation session done before the first dose; 2 needed (trauma history)."
    )


def test_later_doses_need_no_new_preparation():
    assert result(later_dose(preparation_sessions_done=0), "preparation").passed


# --- Gate 4: integration ----------------------------------------------------------------------


@pytest.mark.parametrize("model", KAP_MODELS)
@pytest.mark.parametrize(
    ("is_later_dose", "integration_done", "passed"),
    [(False, False, True), (True, False, False), (True, True, True)],
)
def test_integration_after_the_previous_dose(model, is_later_dose, integration_done, passed):
    make = later_dose if is_later_dose else first_dose
    facts = make(model, integration_done_since_previous_dose=integration_done)

    gate = result(facts, "integration")

    assert gate.passed is passed
    assert gate.fix == ("" if passed else "sessions")


def test_missing_integration_names_the_previous_dose_in_the_clinics_time():
    gate = result(later_dose(integration_done_since_previous_dose=False), "integration")

    assert "Nov 29, 2026, 9:00 AM" in gate.message


# --- Gate 5: PHQ-9 and GAD-7 ------------------------------------------------------------------


@pytest.mark.parametrize("model", ALL_MODELS)
@pytest.mark.parametrize("instrument", ["latest_phq9_at", "latest_gad7_at"])
@pytest.mark.parametrize(
    ("completed_at", "passed"),
    [
        (DOSE - dt.timedelta(days=7), True),
        (DOSE - dt.timedelta(days=7, minutes=1), False),
        (DOSE - dt.timedelta(days=8), False),
        (DOSE, True),
        (DOSE + dt.timedelta(minutes=1), False),
        (None, False),
    ],
)
def test_questionnaires_within_seven_days_before_the_dose(model, instrument, completed_at, passed):
    gate = result(first_dose(model, **{instrument: completed_at}), "measures")

    assert gate.passed is passed
    assert gate.fix == ("" if passed else "measures")


def test_questionnaire_window_is_the_clinics_setting():
    settings = dataclasses.replace(SETTINGS, measures_recent_days=3)
    facts = first_dose(latest_phq9_at=DOSE - dt.timedelta(days=4))

    assert not result(facts, "measures", settings).passed


def test_old_questionnaire_is_named_with_its_date():
    facts = first_dose(latest_phq9_at=DOSE - dt.timedelta(days=8), latest_gad7_at=None)

    assert result(facts, "measures").message == (
        "PHQ-9 and GAD-7 must be completed within the 7 days before the dose; the last PHQ-9 "
        "was on Nov 23, 2026 and no GAD-7 is recorded."
    )


def test_first_doses_recent_phq9_is_the_baseline():
    gate = result(first_dose(has_baseline_phq9=False), "measures")

    assert gate.passed
    assert "baseline" in gate.message
    assert not gate.warning


def test_later_dose_without_a_baseline_passes_with_a_warning():
    gate = result(later_dose(has_baseline_phq9=False), "measures")

    assert gate.passed
    assert gate.warning
    assert "no baseline" in gate.message


# --- Gate 6: safety review --------------------------------------------------------------------


@pytest.mark.parametrize("model", ALL_MODELS)
@pytest.mark.parametrize(("open_alerts", "passed"), [(0, True), (1, False), (2, False)])
def test_open_safety_alert_needs_a_review(model, open_alerts, passed):
    facts = first_dose(model, open_alerts=open_alerts, oldest_open_alert_at=DOSE)

    gate = result(facts, "safety_review")

    assert gate.passed is passed
    assert gate.fix == ("" if passed else "alerts")


def test_open_alert_says_when_it_was_raised():
    facts = first_dose(open_alerts=1, oldest_open_alert_at=DOSE - dt.timedelta(hours=3))

    assert result(facts, "safety_review").message == (
        "1 safety alert, the first raised Dec 1, 2026, 6:00 AM, needs a clinician's safety review."
    )


# --- Gate 7: interval between doses -----------------------------------------------------------


@pytest.mark.parametrize("model", ALL_MODELS)
@pytest.mark.parametrize(
    ("since", "passed"),
    [
        (dt.timedelta(hours=47, minutes=59), False),
        (dt.timedelta(hours=48), True),
        (dt.timedelta(hours=72), True),
        (dt.timedelta(hours=1), False),
        (None, True),
    ],
)
def test_minimum_interval_since_the_previous_dose(model, since, passed):
    previous = DOSE - since if since is not None else None

    gate = result(first_dose(model, previous_dose_at=previous), "dose_interval")

    assert gate.passed is passed
    assert gate.fix == ("" if passed else "sessions")


def test_interval_is_the_clinics_setting():
    settings = dataclasses.replace(SETTINGS, minimum_dose_interval_hours=72)
    facts = first_dose(previous_dose_at=DOSE - dt.timedelta(hours=71))

    assert not result(facts, "dose_interval", settings).passed


def test_too_soon_says_when_the_dose_may_be_given():
    facts = first_dose(previous_dose_at=DOSE - dt.timedelta(hours=47, minutes=59))

    assert result(facts, "dose_interval").message == (
        "Only 47 hours 59 minutes since the previous dose (Nov 29, 2026, 9:01 AM); at least "
        "48 hours are needed, so not before Dec 1, 2026, 9:01 AM."
    )


# --- Gate 8: day-of checklist -----------------------------------------------------------------


@pytest.mark.parametrize("model", ALL_MODELS)
@pytest.mark.parametrize(
    ("changes", "passed", "fix"),
    [
        ({}, True, ""),
        ({"fasting_confirmed": False}, False, "checklist"),
        ({"escort_confirmed": False}, False, "checklist"),
        ({"medication_changes_reviewed": False}, False, "checklist"),
        ({"pregnancy_test": "not_done"}, False, "checklist"),
        ({"pregnancy_test": "not_done", "pregnancy_test_applies": False}, True, ""),
        ({"pregnancy_test": "not_applicable"}, True, ""),
        ({"pregnancy_test": "positive"}, False, "checklist"),
        ({"pregnancy_test": "positive", "pregnancy_test_applies": False}, False, "checklist"),
        ({"weight_measured_on": dt.date(2026, 11, 1)}, True, ""),
        ({"weight_measured_on": dt.date(2026, 10, 31)}, False, "body_measurement"),
        ({"weight_measured_on": None}, False, "body_measurement"),
        ({"weight_measured_on": None, "fasting_confirmed": False}, False, "checklist"),
    ],
)
def test_day_of_checklist(model, changes, passed, fix):
    gate = result(first_dose(model, **changes), "day_of_checklist")

    assert gate.passed is passed
    assert gate.fix == fix


def test_weight_window_is_the_clinics_setting():
    settings = dataclasses.replace(SETTINGS, weight_recent_days=7)

    gate = result(
        first_dose(weight_measured_on=dt.date(2026, 11, 20)), "day_of_checklist", settings
    )

    assert gate.message == (
        "The last weight was recorded on Nov 20, 2026, more than 7 days before the dose."
    )


def test_checklist_lists_what_is_still_to_confirm():
    facts = first_dose(fasting_confirmed=False, medication_changes_reviewed=False)

    assert result(facts, "day_of_checklist").message == (
        "Still to confirm: fasting, the review of medication changes."
    )


def test_checklist_not_filled_in_says_so():
    facts = first_dose(
        checklist_recorded=False,
        fasting_confirmed=False,
        escort_confirmed=False,
        medication_changes_reviewed=False,
        pregnancy_test="not_done",
    )

    assert result(facts, "day_of_checklist").message == "The day-of checklist is not filled in yet."


# --- Gate 9: pre-dose blood pressure ----------------------------------------------------------


@pytest.mark.parametrize("model", ALL_MODELS)
@pytest.mark.parametrize(
    ("systolic", "diastolic", "passed", "warning"),
    [
        (128, 82, True, False),
        (139, 89, True, False),
        (140, 80, True, True),
        (130, 90, True, True),
        (159, 99, True, True),
        (160, 99, False, False),
        (159, 100, False, False),
        (185, 115, False, False),
        (None, None, False, False),
    ],
)
def test_pre_dose_blood_pressure(model, systolic, diastolic, passed, warning):
    facts = first_dose(model, blood_pressure_systolic=systolic, blood_pressure_diastolic=diastolic)

    gate = result(facts, "blood_pressure")

    assert (gate.passed, gate.warning) == (passed, warning)
    assert gate.fix == ("" if passed else "checklist")


def test_a_clinic_that_holds_at_140_90_blocks_there():
    settings = dataclasses.replace(
        SETTINGS, bp_warn_systolic=130, bp_warn_diastolic=85, bp_hold_systolic=140,
        bp_hold_diastolic=90,
    )  # fmt: skip
    facts = first_dose(blood_pressure_systolic=140, blood_pressure_diastolic=80)

    gate = result(facts, "blood_pressure", settings)

    assert not gate.passed
    assert gate.message == (
        "140/80 mmHg is at or above the hold level (140/90): recheck after rest, or defer the dose."
    )


@pytest.mark.parametrize(
    ("systolic", "diastolic", "problems"),
    [
        (None, None, set()),
        (120, 80, set()),
        (60, 30, set()),
        (260, 160, set()),
        (59, 40, {"blood_pressure_systolic"}),
        (261, 100, {"blood_pressure_systolic"}),
        (120, 29, {"blood_pressure_diastolic"}),
        (200, 161, {"blood_pressure_diastolic"}),
        (80, 120, {"blood_pressure_diastolic"}),
        (90, 90, {"blood_pressure_diastolic"}),
        (120, None, {"blood_pressure_diastolic"}),
        (None, 80, {"blood_pressure_systolic"}),
    ],
)
def test_typed_blood_pressure_must_be_plausible(systolic, diastolic, problems):
    assert set(gate_rules.blood_pressure_entry_problems(systolic, diastolic)) == problems


# --- Waivers ----------------------------------------------------------------------------------


def test_a_waived_failure_no_longer_blocks():
    results = gate_rules.evaluate_gates(
        first_dose(consent_status="outdated", open_alerts=1), SETTINGS
    )

    assert [r.rule for r in gate_rules.blocking(results, {"consent"})] == ["safety_review"]


# --- Freshness of the day-of checks, and what a waiver stands on --------------------------------


@pytest.mark.parametrize(
    ("taken_before_dose", "passed"),
    [
        (dt.timedelta(minutes=0), True),
        (dt.timedelta(minutes=60), True),
        (dt.timedelta(minutes=61), False),
        (dt.timedelta(hours=-1), True),  # the page evaluates at the planned start
        (dt.timedelta(days=4), False),
    ],
)
def test_pre_dose_blood_pressure_must_be_taken_within_the_hour(taken_before_dose, passed):
    facts = first_dose(blood_pressure_taken_at=DOSE - taken_before_dose)

    assert result(facts, gate_rules.BLOOD_PRESSURE).passed is passed


def test_pre_dose_blood_pressure_window_is_the_clinics_setting():
    facts = first_dose(blood_pressure_taken_at=DOSE - dt.timedelta(minutes=90))

    settings = dataclasses.replace(SETTINGS, pre_dose_bp_valid_minutes=120)

    assert result(facts, gate_rules.BLOOD_PRESSURE, settings).passed


@pytest.mark.parametrize(
    ("recorded_at", "passed"),
    [
        (DOSE - dt.timedelta(hours=1), True),
        # 11:59 PM in Chicago the evening before a 9:00 AM dose: another day.
        (dt.datetime(2026, 12, 1, 5, 59, tzinfo=dt.UTC), False),
        (DOSE - dt.timedelta(days=3), False),
    ],
)
def test_day_of_checklist_is_confirmed_on_the_day_of_the_dose(recorded_at, passed):
    facts = first_dose(checklist_recorded_at=recorded_at)

    assert result(facts, gate_rules.DAY_OF_CHECKLIST).passed is passed


@pytest.mark.parametrize(
    ("rule", "change"),
    [
        (gate_rules.BLOOD_PRESSURE, {"blood_pressure_systolic": 190}),
        (gate_rules.SAFETY_REVIEW, {"open_alerts": 2}),
        (gate_rules.MEASURES, {"latest_phq9_at": DOSE - dt.timedelta(days=9)}),
        (gate_rules.DOSE_INTERVAL, {"previous_dose_at": DOSE - dt.timedelta(hours=30)}),
        (gate_rules.DAY_OF_CHECKLIST, {"escort_confirmed": False}),
    ],
)
def test_a_waivers_basis_changes_when_the_facts_behind_the_rule_change(rule, change):
    before = first_dose(blood_pressure_systolic=165, open_alerts=1)

    after = dataclasses.replace(before, **change)

    assert gate_rules.waiver_basis(rule, before) != gate_rules.waiver_basis(rule, after)


def test_a_waivers_basis_ignores_facts_of_other_rules():
    before = first_dose(blood_pressure_systolic=165)

    after = dataclasses.replace(before, open_alerts=3)

    assert gate_rules.waiver_basis(gate_rules.BLOOD_PRESSURE, before) == gate_rules.waiver_basis(
        gate_rules.BLOOD_PRESSURE, after
    )
