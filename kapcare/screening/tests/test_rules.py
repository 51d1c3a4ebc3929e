"""The screening rules, table by table. No database."""

import datetime as dt
from dataclasses import dataclass

import pytest

from kapcare.screening import rules
from kapcare.screening.rules import (
    ABSOLUTE,
    ELIGIBLE,
    ELIGIBLE_WITH_CONDITIONS,
    NOT_ELIGIBLE,
    RELATIVE,
    BloodPressureThresholds,
    InteractionClass,
    ScreeningFindings,
)

# --- The default catalogue --------------------------------------------------------------------

DEFAULTS = {c.code: c for c in rules.DEFAULT_CONTRAINDICATIONS}


@pytest.mark.parametrize(
    ("code", "severity"),
    [
        ("uncontrolled_hypertension", ABSOLUTE),
        ("controlled_hypertension", RELATIVE),
        ("unstable_cardiovascular_disease", ABSOLUTE),
        ("recent_myocardial_infarction", ABSOLUTE),
        ("aneurysm", ABSOLUTE),
        ("intracerebral_haemorrhage", ABSOLUTE),
        ("active_psychosis", ABSOLUTE),
        ("psychotic_disorder_history", RELATIVE),
        ("pregnancy", ABSOLUTE),
        ("active_substance_use_disorder", ABSOLUTE),
        ("substance_use_disorder_history", RELATIVE),
        ("raised_intracranial_or_intraocular_pressure", ABSOLUTE),
        ("severe_hepatic_impairment", ABSOLUTE),
        ("ketamine_hypersensitivity", ABSOLUTE),
        ("prior_adverse_reaction_to_ketamine", RELATIVE),
    ],
)
def test_default_contraindication_has_the_documented_severity(code, severity):
    assert DEFAULTS[code].severity == severity


def test_every_default_names_its_source_and_says_why_in_it():
    for entry in rules.DEFAULT_CONTRAINDICATIONS:
        assert entry.source.startswith(entry.severity.capitalize()), entry.code
    for entry in rules.DEFAULT_MEDICATION_INTERACTIONS:
        assert entry.source, entry.code
        assert entry.note, entry.code
        assert entry.keywords, entry.code


def test_default_codes_and_names_are_unique():
    codes = [c.code for c in rules.DEFAULT_CONTRAINDICATIONS]
    names = [c.name.lower() for c in rules.DEFAULT_CONTRAINDICATIONS]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)


# --- Interacting medications ------------------------------------------------------------------

DEFAULT_CLASSES = [
    InteractionClass(name=i.name, keywords=i.keywords, note=i.note)
    for i in rules.DEFAULT_MEDICATION_INTERACTIONS
]


@pytest.mark.parametrize(
    ("medication", "flagged_as"),
    [
        ("Xanax 0.5 mg", ["Benzodiazepines"]),
        ("alprazolam", ["Benzodiazepines"]),
        ("Klonopin (clonazepam)", ["Benzodiazepines"]),
        ("LORAZEPAM", ["Benzodiazepines"]),
        ("  Ativan  ", ["Benzodiazepines"]),
        ("Lamictal XR", ["Lamotrigine"]),
        ("lamotrigine 200mg", ["Lamotrigine"]),
        ("Nardil", ["Monoamine oxidase inhibitors (MAOIs)"]),
        ("Emsam patch", ["Monoamine oxidase inhibitors (MAOIs)"]),
        ("Adderall XR 20 mg", ["Stimulants"]),
        ("Vyvanse", ["Stimulants"]),
        ("methylphenidate ER", ["Stimulants"]),
        ("modafinil", ["Stimulants"]),
        ("Sertraline 100 mg", []),
        ("Bupropion", []),
        ("lisinopril", []),
        ("", []),
        # whole words only: a keyword inside another word is not a match
        ("Maoism", []),
        ("Benzodiazepines as needed", ["Benzodiazepines"]),
        ("mixed amphetamine salts", ["Stimulants"]),
        ("Alprazolamine", []),
    ],
)
def test_medication_is_flagged_by_keyword(medication, flagged_as):
    assert [c.name for c in rules.interaction_flags(medication, DEFAULT_CLASSES)] == flagged_as


def test_a_medication_can_belong_to_two_classes():
    classes = [
        InteractionClass("Sedatives", ("zolpidem",)),
        InteractionClass("Sleep aids", ("zolpidem", "ambien")),
    ]

    assert [c.name for c in rules.interaction_flags("Zolpidem 5mg", classes)] == [
        "Sedatives",
        "Sleep aids",
    ]


@pytest.mark.parametrize(
    ("typed", "keywords"),
    [
        ("alprazolam, Xanax", ("alprazolam", "xanax")),
        ("alprazolam\nxanax;  ativan ", ("alprazolam", "xanax", "ativan")),
        ("xanax, XANAX, ,", ("xanax",)),
        ("st  john's   wort", ("st john's wort",)),
        ("", ()),
    ],
)
def test_keywords_are_parsed_from_what_the_admin_typed(typed, keywords):
    assert rules.parse_keywords(typed) == keywords


def test_multi_word_keyword_matches_across_extra_spaces():
    assert rules.matches_keyword("St  John's Wort 300 mg", "st john's wort")


# --- Blood pressure ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("systolic", "diastolic", "problems"),
    [
        (120, 80, {}),
        (60, 30, {}),
        (260, 159, {}),
        (None, None, {}),
        (59, 40, {"systolic": "between 60 and 260"}),
        (261, 100, {"systolic": "between 60 and 260"}),
        (1400, 90, {"systolic": "between 60 and 260"}),
        (120, 29, {"diastolic": "between 30 and 160"}),
        (250, 161, {"diastolic": "between 30 and 160"}),
        (80, 120, {"diastolic": "lower than systolic"}),
        (100, 100, {"diastolic": "lower than systolic"}),
        (120, None, {"diastolic": "both numbers"}),
        (None, 80, {"systolic": "both numbers"}),
    ],
)
def test_implausible_blood_pressure_is_refused_at_its_field(systolic, diastolic, problems):
    found = rules.blood_pressure_problems(systolic, diastolic)

    assert set(found) == set(problems)
    for name, fragment in problems.items():
        assert fragment in found[name]


@pytest.mark.parametrize(
    ("systolic", "diastolic", "level"),
    [
        (120, 80, rules.BP_NORMAL),
        (139, 89, rules.BP_NORMAL),
        (140, 70, rules.BP_WARN),
        (120, 90, rules.BP_WARN),
        (159, 99, rules.BP_WARN),
        (160, 80, rules.BP_HOLD),
        (130, 100, rules.BP_HOLD),
    ],
)
def test_blood_pressure_is_classified_at_the_default_levels(systolic, diastolic, level):
    assert rules.classify_blood_pressure(systolic, diastolic, BloodPressureThresholds()) == level


def test_a_clinic_deferring_at_140_90_holds_there():
    strict = BloodPressureThresholds(hold_systolic=140, hold_diastolic=90)

    assert rules.classify_blood_pressure(142, 85, strict) == rules.BP_HOLD


# --- Pregnancy --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sex", "asked"), [("F", True), ("UNK", True), ("ASKU", True), ("M", False)]
)
def test_pregnancy_is_asked_unless_male_at_birth(sex, asked):
    assert rules.pregnancy_question_applies(sex) is asked


@pytest.mark.parametrize(
    ("status", "present"),
    [
        (rules.PREGNANT, True),
        (rules.BREASTFEEDING, True),
        (rules.POSSIBLY_PREGNANT, None),
        (rules.NOT_PREGNANT, False),
        (rules.NOT_APPLICABLE, False),
    ],
)
def test_pregnancy_status_answers_the_pregnancy_contraindication(status, present):
    assert rules.pregnancy_contraindication_present(status) is present


# --- Substance use ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "last_use", "problem"),
    [
        (rules.NEVER, "", None),
        (rules.NEVER, rules.PAST_WEEK, "leave 'last use' empty"),
        (rules.DAILY, "", "when you last used"),
        (rules.DAILY, rules.PAST_WEEK, None),
        (rules.WEEKLY, rules.OVER_A_YEAR, "cannot have been last more than a year ago"),
        (rules.NOT_IN_PAST_YEAR, rules.OVER_A_YEAR, None),
        (rules.NOT_IN_PAST_YEAR, rules.PAST_MONTH, "more than a year ago"),
        (rules.MONTHLY_OR_LESS, rules.PAST_YEAR, None),
    ],
)
def test_substance_use_answers_must_agree(frequency, last_use, problem):
    found = rules.substance_use_problem(frequency, last_use)

    if problem is None:
        assert found is None
    else:
        assert problem in found


@pytest.mark.parametrize(
    ("uses", "flags"),
    [
        ([(rules.ALCOHOL, rules.MONTHLY_OR_LESS)], []),
        ([(rules.ALCOHOL, rules.DAILY)], ["daily or almost daily"]),
        ([(rules.CANNABIS, rules.WEEKLY)], ["weekly"]),
        ([(rules.DISSOCIATIVES, rules.MONTHLY_OR_LESS)], ["ask about misuse"]),
        ([(rules.DISSOCIATIVES, rules.DAILY)], ["ask about misuse"]),
        ([(rules.DISSOCIATIVES, rules.NOT_IN_PAST_YEAR)], []),
        ([(s, rules.NEVER) for s, _ in rules.SUBSTANCES], []),
        (
            [(rules.ALCOHOL, rules.DAILY), (rules.DISSOCIATIVES, rules.WEEKLY)],
            ["Alcohol: used daily", "Ketamine or other dissociatives"],
        ),
    ],
)
def test_substance_use_raises_flags_for_the_clinician(uses, flags):
    found = rules.substance_use_flags(uses)

    assert len(found) == len(flags)
    for text, fragment in zip(found, flags, strict=True):
        assert fragment in text


# --- Completing a screening -------------------------------------------------------------------


def complete_values(**overrides):
    values = {
        "systolic": 120,
        "diastolic": 80,
        "weight_kg": 70,
        "pregnancy_status": rules.NOT_PREGNANT,
        "unreviewed_conditions": [],
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({}, set()),
        ({"systolic": None, "diastolic": None}, {"systolic", "diastolic"}),
        ({"weight_kg": None}, {"weight"}),
        ({"pregnancy_status": rules.POSSIBLY_PREGNANT}, {"pregnancy_status"}),
        ({"pregnancy_status": rules.PREGNANT}, set()),
        ({"unreviewed_conditions": ["Active psychosis"]}, {"__all__"}),
    ],
)
def test_screening_is_completed_only_with_everything_reviewed(overrides, fields):
    assert set(rules.completion_problems(**complete_values(**overrides))) == fields


# --- Eligibility decisions --------------------------------------------------------------------

CLEAR = ScreeningFindings(is_completed=True, blood_pressure="120/80", blood_pressure_level="normal")
ABSOLUTE_PSYCHOSIS = ScreeningFindings(
    is_completed=True, absolute_contraindications=("Active psychosis",)
)
RELATIVE_HISTORY = ScreeningFindings(
    is_completed=True, relative_contraindications=("History of a psychotic disorder",)
)
BENZODIAZEPINE = ScreeningFindings(
    is_completed=True, medication_flags=("Xanax 1 mg — Benzodiazepines: may blunt",)
)
HIGH_BP = ScreeningFindings(
    is_completed=True, blood_pressure="165/95", blood_pressure_level=rules.BP_HOLD
)
NOT_COMPLETED = ScreeningFindings(is_completed=False)


@pytest.mark.parametrize(
    ("decision", "findings", "conditions", "justification", "refused_at", "message"),
    [
        (ELIGIBLE, CLEAR, "", "", set(), ""),
        (ELIGIBLE, NOT_COMPLETED, "", "", {"__all__"}, "completed and signed"),
        (NOT_ELIGIBLE, NOT_COMPLETED, "", "Reason", {"__all__"}, "completed and signed"),
        (ELIGIBLE, ABSOLUTE_PSYCHOSIS, "", "Sure", {"decision"}, "Active psychosis"),
        (ELIGIBLE_WITH_CONDITIONS, ABSOLUTE_PSYCHOSIS, "x", "y", {"decision"}, "Active psychosis"),
        (NOT_ELIGIBLE, ABSOLUTE_PSYCHOSIS, "", "", set(), ""),
        (ELIGIBLE, RELATIVE_HISTORY, "", "", {"justification"}, "History of a psychotic"),
        (ELIGIBLE, RELATIVE_HISTORY, "", "  ", {"justification"}, "History of a psychotic"),
        (ELIGIBLE, RELATIVE_HISTORY, "", "Remote episode, stable 10 years", set(), ""),
        (ELIGIBLE_WITH_CONDITIONS, RELATIVE_HISTORY, "Weekly check-in", "", {"justification"}, ""),
        (ELIGIBLE_WITH_CONDITIONS, CLEAR, "", "", {"conditions"}, "Write the conditions"),
        (ELIGIBLE_WITH_CONDITIONS, CLEAR, "Hold caffeine", "", set(), ""),
        (ELIGIBLE, BENZODIAZEPINE, "", "", {"justification"}, "Benzodiazepines"),
        (ELIGIBLE, HIGH_BP, "", "", {"justification"}, "165/95"),
        (NOT_ELIGIBLE, CLEAR, "", "", {"justification"}, "why the patient is not eligible"),
        (NOT_ELIGIBLE, CLEAR, "", "Prefers to wait", set(), ""),
    ],
)
def test_eligibility_decision_is_refused_as_the_rules_say(
    decision, findings, conditions, justification, refused_at, message
):
    problems = rules.decision_problems(
        decision, findings, conditions=conditions, justification=justification
    )

    assert set(problems) == refused_at
    assert message in " ".join(problems.values())


def test_reasons_list_absolute_findings_first():
    findings = ScreeningFindings(
        is_completed=True,
        absolute_contraindications=("Pregnancy or breastfeeding",),
        relative_contraindications=("Hypertension, controlled on treatment",),
        medication_flags=("Xanax — Benzodiazepines: may blunt",),
        blood_pressure="145/85",
        blood_pressure_level=rules.BP_WARN,
        other_flags=("Alcohol: used daily",),
    )

    assert findings.reasons == (
        "Absolute contraindication: Pregnancy or breastfeeding",
        "Relative contraindication: Hypertension, controlled on treatment",
        "Medication: Xanax — Benzodiazepines: may blunt",
        "Blood pressure at screening 145/85 mmHg, at or above the warning level (140/90).",
        "Alcohol: used daily",
    )


# --- Validity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "result"),
    [
        (dt.date(2026, 1, 15), 12, dt.date(2027, 1, 15)),
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2028, 2, 29), 12, dt.date(2029, 2, 28)),
        (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),
        (dt.date(2026, 12, 1), 6, dt.date(2027, 6, 1)),
        (dt.date(2026, 5, 10), 0, dt.date(2026, 5, 10)),
    ],
)
def test_add_months_keeps_the_day_or_the_months_last(day, months, result):
    assert rules.add_months(day, months) == result


@pytest.mark.parametrize(
    ("decided_on", "months", "last_valid_day"),
    [
        (dt.date(2026, 1, 15), 12, dt.date(2027, 1, 14)),
        (dt.date(2026, 3, 1), 12, dt.date(2027, 2, 28)),
        (dt.date(2026, 1, 15), 6, dt.date(2026, 7, 14)),
    ],
)
def test_decision_is_valid_until_the_day_before_it_turns_its_age(
    decided_on, months, last_valid_day
):
    assert rules.valid_until(decided_on, months) == last_valid_day


# --- Status -----------------------------------------------------------------------------------


@dataclass
class Decided:
    decision: str
    valid_until: dt.date | None


UNTIL = dt.date(2027, 1, 14)


@pytest.mark.parametrize(
    ("decision", "today", "state", "label", "badge", "eligible"),
    [
        (None, dt.date(2026, 6, 1), "not_screened", "Not screened", "badge-new", False),
        (
            Decided(ELIGIBLE, UNTIL),
            dt.date(2026, 6, 1),
            ELIGIBLE,
            "Eligible until Jan 14, 2027",
            "badge-ok",
            True,
        ),
        (
            Decided(ELIGIBLE, UNTIL),
            UNTIL,
            ELIGIBLE,
            "Eligible until Jan 14, 2027",
            "badge-ok",
            True,
        ),
        (
            Decided(ELIGIBLE, UNTIL),
            dt.date(2027, 1, 15),
            "expired",
            "Expired on Jan 15, 2027",
            "badge-warn",
            False,
        ),
        (
            Decided(ELIGIBLE_WITH_CONDITIONS, UNTIL),
            dt.date(2026, 6, 1),
            ELIGIBLE_WITH_CONDITIONS,
            "Eligible with conditions until Jan 14, 2027",
            "badge-warn",
            True,
        ),
        (
            Decided(ELIGIBLE_WITH_CONDITIONS, UNTIL),
            dt.date(2027, 3, 1),
            "expired",
            "Expired on Jan 15, 2027",
            "badge-warn",
            False,
        ),
        (
            Decided(NOT_ELIGIBLE, None),
            dt.date(2026, 6, 1),
            NOT_ELIGIBLE,
            "Not eligible",
            "badge-danger",
            False,
        ),
        (
            Decided(NOT_ELIGIBLE, None),
            dt.date(2030, 6, 1),
            NOT_ELIGIBLE,
            "Not eligible",
            "badge-danger",
            False,
        ),
    ],
)
def test_eligibility_status_on_a_day(decision, today, state, label, badge, eligible):
    status = rules.eligibility_status(decision, today)

    assert (status.state, status.label, status.badge, status.is_eligible) == (
        state,
        label,
        badge,
        eligible,
    )


def test_absolute_contraindication_found_after_an_eligible_decision_needs_review():
    status = rules.eligibility_status(
        Decided(ELIGIBLE, UNTIL), dt.date(2026, 6, 1), unresolved_absolute=("Pregnancy",)
    )

    assert status.state == "review_needed"
    assert not status.is_eligible
    assert "Pregnancy" in status.detail


def test_a_later_absolute_contraindication_does_not_change_not_eligible():
    status = rules.eligibility_status(
        Decided(NOT_ELIGIBLE, None), dt.date(2026, 6, 1), unresolved_absolute=("Pregnancy",)
    )

    assert status.state == NOT_ELIGIBLE
