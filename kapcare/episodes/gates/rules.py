"""The dosing gates (docs/clinical-reference.md#gates, gates 1–9) as pure functions.

Before a dosing session starts, every rule is evaluated over plain values
(`GateFacts`, gathered from the records by `gates/facts.py`) against the clinic's settings
(`GateSettings`). Each answers pass or fail with a sentence a person understands and a
symbolic `fix` (where the record that fixes it lives) that the page turns into a link.
A standalone infusion (not KAP) has no preparation or integration rules.

No Django here, and nothing from other apps: the gates read only what they are given.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kapcare.episodes import rules
from kapcare.words import duration_in_words

# --- Rule ids, in the order the page shows them ----------------------------------------------

ELIGIBILITY = "eligibility"
CONSENT = "consent"
PREPARATION = "preparation"
INTEGRATION = "integration"
MEASURES = "measures"
SAFETY_REVIEW = "safety_review"
DOSE_INTERVAL = "dose_interval"
DAY_OF_CHECKLIST = "day_of_checklist"
BLOOD_PRESSURE = "blood_pressure"

RULE_TITLES = {
    ELIGIBILITY: "Eligibility",
    CONSENT: "Treatment consent",
    PREPARATION: "Preparation",
    INTEGRATION: "Integration since the last dose",
    MEASURES: "PHQ-9 and GAD-7",
    SAFETY_REVIEW: "Safety review",
    DOSE_INTERVAL: "Time since the last dose",
    DAY_OF_CHECKLIST: "Day-of checklist",
    BLOOD_PRESSURE: "Pre-dose blood pressure",
}

# Where the record that fixes a failing rule lives; the page turns each into a link.
FIX_SCREENING = "screening"
FIX_CONSENTS = "consents"
FIX_SESSIONS = "sessions"
FIX_MEASURES = "measures"
FIX_ALERTS = "alerts"
FIX_CHECKLIST = "checklist"
FIX_BODY_MEASUREMENT = "body_measurement"

# Values the facts carry, as the other apps spell them (mirrored here to stay pure):
# screening's eligibility states, consents' treatment consent statuses, and the day-of
# checklist's pregnancy test results.
ELIGIBILITY_NOT_SCREENED = "not_screened"
ELIGIBILITY_NOT_ELIGIBLE = "not_eligible"
ELIGIBILITY_EXPIRED = "expired"
ELIGIBILITY_REVIEW_NEEDED = "review_needed"

CONSENT_NOT_SIGNED = "not_signed"
CONSENT_CURRENT = "current"
CONSENT_OUTDATED = "outdated"
CONSENT_WITHDRAWN = "withdrawn"
CONSENT_MODEL_CHANGED = "model_changed"

PREGNANCY_NOT_APPLICABLE = "not_applicable"
PREGNANCY_NEGATIVE = "negative"
PREGNANCY_POSITIVE = "positive"
PREGNANCY_NOT_DONE = "not_done"


@dataclass(frozen=True)
class GateSettings:
    """The clinic's settings the gates read (clinics.Clinic; defaults in
    docs/clinical-reference.md#gates)."""

    time_zone: str = "America/Chicago"
    preparation_sessions_required: int = 1
    preparation_sessions_with_trauma: int = 2
    measures_recent_days: int = 7
    minimum_dose_interval_hours: int = 48
    weight_recent_days: int = 30
    bp_warn_systolic: int = 140
    bp_warn_diastolic: int = 90
    bp_hold_systolic: int = 160
    bp_hold_diastolic: int = 100
    pre_dose_bp_valid_minutes: int = 60

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class GateFacts:
    """What the records say about one dosing session, as plain values.

    `dose_at` is when the dose is given: the planned start while it is ahead, the moment
    of starting once it is due. "Previous dose" means a dose already started (in progress
    or done) before this one: of this episode for preparation, integration and the
    baseline; of any episode of the patient for the interval between doses.
    """

    model: str
    dose_at: datetime
    # Gate 1
    eligibility_state: str = ELIGIBILITY_NOT_SCREENED
    eligibility_is_eligible: bool = False
    eligibility_label: str = ""
    eligibility_detail: str = ""
    # Gate 2
    consent_status: str = CONSENT_NOT_SIGNED
    # Gates 3, 4 and 5's baseline
    has_trauma_history: bool = False
    preparation_sessions_done: int = 0
    # Why each session done that did not count was left out (`gates/facts.py`): KAP counts a
    # session only when the episode's therapist recorded it or confirmed it.
    preparation_not_counted: tuple[str, ...] = ()
    previous_episode_dose_at: datetime | None = None
    integration_done_since_previous_dose: bool = False
    integration_not_counted: tuple[str, ...] = ()
    # Gate 5
    latest_phq9_at: datetime | None = None
    latest_gad7_at: datetime | None = None
    has_baseline_phq9: bool = False
    # Gate 6
    open_alerts: int = 0
    oldest_open_alert_at: datetime | None = None
    # Gate 7
    previous_dose_at: datetime | None = None
    # Gate 8
    checklist_recorded: bool = False
    checklist_recorded_at: datetime | None = None
    fasting_confirmed: bool = False
    escort_confirmed: bool = False
    pregnancy_test: str = PREGNANCY_NOT_DONE
    pregnancy_test_applies: bool = True
    medication_changes_reviewed: bool = False
    weight_measured_on: date | None = None
    # Gate 9
    blood_pressure_systolic: int | None = None
    blood_pressure_diastolic: int | None = None
    blood_pressure_taken_at: datetime | None = None

    @property
    def is_first_dose(self) -> bool:
        """The first dose of this episode."""
        return self.previous_episode_dose_at is None


@dataclass(frozen=True)
class GateResult:
    """One rule's answer. `warning` marks a pass that still needs the clinician's eye
    (a blood pressure at the warn level, a course without a baseline)."""

    rule: str
    passed: bool
    message: str
    fix: str = ""
    warning: bool = False

    @property
    def title(self) -> str:
        return RULE_TITLES[self.rule]


# --- Wording helpers --------------------------------------------------------------------------


def _day(value: date) -> str:
    return f"{value:%b} {value.day}, {value.year}"


def _when(value: datetime, settings: GateSettings) -> str:
    """A time as the clinic reads it: "Dec 1, 2026, 9:00 AM"."""
    local = value.astimezone(settings.zone)
    hour = local.hour % 12 or 12
    return f"{_day(local.date())}, {hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _hours(delta: timedelta) -> str:
    """A duration in words, rounded down: "47 hours 59 minutes" near the minimum interval,
    "13 days" a fortnight on (kapcare/words.py)."""
    return duration_in_words(delta)


def _local_date(value: datetime, settings: GateSettings) -> date:
    return value.astimezone(settings.zone).date()


# --- The rules --------------------------------------------------------------------------------


def eligibility_rule(facts: GateFacts, settings: GateSettings) -> GateResult:
    """Gate 1: eligibility determined by a clinician, less than 12 months old (the clinic's
    `eligibility_valid_months`, applied where the status is computed), with no absolute
    contraindication recorded since (docs/clinical-reference.md#eligibility-decision-validity)."""
    if facts.eligibility_is_eligible:
        return GateResult(ELIGIBILITY, True, f"{facts.eligibility_label}.")
    messages = {
        ELIGIBILITY_NOT_SCREENED: "No eligibility decision is recorded: a clinician must "
        "complete the medical screening and decide.",
        ELIGIBILITY_NOT_ELIGIBLE: "A clinician found the patient not eligible.",
        ELIGIBILITY_EXPIRED: f"The eligibility decision has expired "
        f"({facts.eligibility_label.lower()}): a clinician must screen the patient again.",
        ELIGIBILITY_REVIEW_NEEDED: f"{facts.eligibility_detail or 'The screening changed'}. "
        "A clinician must review eligibility.",
    }
    message = messages.get(facts.eligibility_state, "The patient is not eligible.")
    return GateResult(ELIGIBILITY, False, message, FIX_SCREENING)


def consent_rule(facts: GateFacts, settings: GateSettings) -> GateResult:
    """Gate 2: the episode's treatment consent signed for this episode, naming its model,
    on the current template version of the document its model asks for, not withdrawn
    (docs/clinical-reference.md#treatment-consent, #consent-per-model-of-care)."""
    messages = {
        CONSENT_CURRENT: "The treatment consent is signed on the current version.",
        CONSENT_NOT_SIGNED: "The patient has not signed the treatment consent.",
        CONSENT_MODEL_CHANGED: "The model changed: re-consent. The patient's signed consent "
        "is for another model of care than this episode's.",
        CONSENT_OUTDATED: "The treatment consent changed since the patient signed it; the "
        "new version asks for their signature again.",
        CONSENT_WITHDRAWN: "The patient withdrew their treatment consent.",
    }
    passed = facts.consent_status == CONSENT_CURRENT
    message = messages.get(facts.consent_status, "The treatment consent is not current.")
    return GateResult(CONSENT, passed, message, "" if passed else FIX_CONSENTS)


def preparation_rule(facts: GateFacts, settings: GateSettings) -> GateResult:
    """Gate 3 (KAP models): completed preparation sessions before the first dose — Dore
    et al. 2019 (J Psychoactive Drugs) used one to three; more when a trauma history is
    flagged. The clinic's `preparation_sessions_required` / `_with_trauma`
    (docs/clinical-reference.md#preparation-sessions)."""
    needed = rules.preparation_sessions_needed(
        facts.has_trauma_history,
        settings.preparation_sessions_required,
        settings.preparation_sessions_with_trauma,
    )
    done = facts.preparation_sessions_done
    if not facts.is_first_dose:
        return GateResult(
            PREPARATION, True, "Preparation comes before the first dose; this is a later dose."
        )
    why = " (trauma history)" if facts.has_trauma_history and needed > 0 else ""
    if done >= needed:
        return GateResult(
            PREPARATION,
            True,
            f"{_plural(done, 'preparation session')} done; {needed} needed{why}.",
        )
    return GateResult(
        PREPARATION,
        False,
        f"{_plural(done, 'preparation session')} done before the first dose; {needed} needed{why}."
        + _not_counted_note(facts.preparation_not_counted),
        FIX_SESSIONS,
    )


def _not_counted_note(reasons: tuple[str, ...]) -> str:
    """' Not counted: a session recorded by the front desk without the therapist's
    confirmation.' — why sessions done were left out, or nothing."""
    if not reasons:
        return ""
    if len(reasons) == 1:
        return f" Not counted: a session {reasons[0]}."
    listed = "; ".join(f"one {reason}" for reason in reasons)
    return f" Not counted: {len(reasons)} sessions, {listed}."


def integration_rule(facts: GateFacts, settings: GateSettings) -> GateResult:
    """Gate 4 (KAP models): an integration session done after the previous dose, before
    the next one (the integration that gives the dose its meaning;
    docs/clinical-reference.md#integration-before-the-next-dose)."""
    if facts.is_first_dose:
        return GateResult(INTEGRATION, True, "This is the first dose: no integration is due yet.")
    previous = _when(facts.previous_episode_dose_at, settings)
    if facts.integration_done_since_previous_dose:
        return GateResult(
            INTEGRATION, True, f"An integration session was done after the dose of {previous}."
        )
    return GateResult(
        INTEGRATION,
        False,
        f"No integration session is recorded as done since the previous dose ({previous})."
        + _not_counted_note(facts.integration_not_counted),
        FIX_SESSIONS,
    )


def measures_rule(facts: GateFacts, settings: GateSettings) -> GateResult:
    """Gate 5: PHQ-9 and GAD-7 completed within the clinic's `measures_recent_days`
    (default 7) before the dose, and a baseline PHQ-9 before the first dose (the
    response and remission measures, NQF 1884 and CMS159, are against it;
    docs/clinical-reference.md#questionnaires-before-a-dose).

    At the first dose the recent PHQ-9 is the baseline. At a later dose a missing baseline
    can no longer be fixed, so it is said, not blocked."""
    since = facts.dose_at - timedelta(days=settings.measures_recent_days)
    window = _plural(settings.measures_recent_days, "day")
    missing = []
    for name, completed_at in (("PHQ-9", facts.latest_phq9_at), ("GAD-7", facts.latest_gad7_at)):
        if completed_at is None:
            missing.append(f"no {name} is recorded")
        elif not since <= completed_at <= facts.dose_at:
            missing.append(f"the last {name} was on {_day(_local_date(completed_at, settings))}")
    if missing:
        return GateResult(
            MEASURES,
            False,
            f"PHQ-9 and GAD-7 must be completed within the {window} before the dose; "
            f"{' and '.join(missing)}.",
            FIX_MEASURES,
        )
    if facts.is_first_dose:
        return GateResult(
            MEASURES,
            True,
            f"PHQ-9 and GAD-7 completed within the {window} before the dose; this PHQ-9 is "
            "the baseline.",
        )
    if not facts.has_baseline_phq9:
        return GateResult(
            MEASURES,
            True,
            f"PHQ-9 and GAD-7 completed within the {window} before the dose, but no PHQ-9 was "
            "completed before the first dose: there is no baseline to measure response "
            "against.",
            warning=True,
        )
    return GateResult(
        MEASURES, True, f"PHQ-9 and GAD-7 completed within the {window} before the dose."
    )


def safety_review_rule(facts: GateFacts, settings: GateSettings) -> GateResult:
    """Gate 6: a positive PHQ-9 item 9 or a high-risk C-SSRS screen needs a clinician's
    safety review before the next dose (Columbia triage guidance;
    docs/clinical-reference.md#safety-review). An alert still open from before the previous
    dose counts too: it was waived for that dose, never reviewed."""
    if facts.open_alerts == 0:
        return GateResult(SAFETY_REVIEW, True, "No safety alert is waiting for a review.")
    oldest = facts.oldest_open_alert_at
    since = f", the first raised {_when(oldest, settings)}" if oldest else ""
    alerts = "safety alert" if facts.open_alerts == 1 else "safety alerts"
    return GateResult(
        SAFETY_REVIEW,
        False,
        f"{facts.open_alerts} {alerts}{since}, "
        f"{'needs' if facts.open_alerts == 1 else 'need'} a clinician's safety review.",
        FIX_ALERTS,
    )


def dose_interval_rule(facts: GateFacts, settings: GateSettings) -> GateResult:
    """Gate 7: at least the clinic's `minimum_dose_interval_hours` (default 48) since the
    previous dose of any episode: the repeated-infusion studies dosed on alternate days,
    six infusions over 12 days (Murrough et al. 2013, Biol Psychiatry;
    docs/clinical-reference.md#minimum-interval-between-doses)."""
    minimum = timedelta(hours=settings.minimum_dose_interval_hours)
    need = _plural(settings.minimum_dose_interval_hours, "hour")
    if facts.previous_dose_at is None:
        return GateResult(DOSE_INTERVAL, True, "No previous dose.")
    since = facts.dose_at - facts.previous_dose_at
    previous = _when(facts.previous_dose_at, settings)
    earliest = _when(facts.previous_dose_at + minimum, settings)
    if since >= minimum:
        return GateResult(
            DOSE_INTERVAL,
            True,
            f"{_hours(since)} since the previous dose ({previous}); at least {need} needed.",
        )
    return GateResult(
        DOSE_INTERVAL,
        False,
        f"Only {_hours(max(since, timedelta(0)))} since the previous dose ({previous}); at "
        f"least {need} are needed, so not before {earliest}.",
        FIX_SESSIONS,
    )


def day_of_checklist_rule(facts: GateFacts, settings: GateSettings) -> GateResult:
    """Gate 8: fasting confirmed, escort or ride home confirmed, a pregnancy test where it
    applies, medication changes reviewed, and a weight recorded within the clinic's
    `weight_recent_days` (default 30) for weight-based dosing
    (docs/clinical-reference.md#day-of-checklist)."""
    if facts.pregnancy_test == PREGNANCY_POSITIVE:
        return GateResult(
            DAY_OF_CHECKLIST,
            False,
            "The pregnancy test is positive: pregnancy is an absolute contraindication.",
            FIX_CHECKLIST,
        )
    dose_day = _local_date(facts.dose_at, settings)
    if facts.checklist_recorded_at is not None:
        recorded_on = _local_date(facts.checklist_recorded_at, settings)
        if recorded_on != dose_day:
            return GateResult(
                DAY_OF_CHECKLIST,
                False,
                f"The checklist was last confirmed on {_day(recorded_on)}; confirm it again "
                "on the day of the dose.",
                FIX_CHECKLIST,
            )
    missing = []
    if not facts.fasting_confirmed:
        missing.append("fasting")
    if not facts.escort_confirmed:
        missing.append("an escort or ride home")
    if facts.pregnancy_test_applies and facts.pregnancy_test == PREGNANCY_NOT_DONE:
        missing.append("a negative pregnancy test")
    if not facts.medication_changes_reviewed:
        missing.append("the review of medication changes")
    weight_problem = ""
    if facts.weight_measured_on is None:
        weight_problem = "No weight is recorded."
    elif (dose_day - facts.weight_measured_on).days > settings.weight_recent_days:
        weight_problem = (
            f"The last weight was recorded on {_day(facts.weight_measured_on)}, more than "
            f"{_plural(settings.weight_recent_days, 'day')} before the dose."
        )
    if not missing and not weight_problem:
        return GateResult(
            DAY_OF_CHECKLIST,
            True,
            "Fasting, escort, pregnancy test, medication changes and a recent weight are "
            "all confirmed.",
        )
    sentences = []
    if missing:
        if not facts.checklist_recorded:
            sentences.append("The day-of checklist is not filled in yet.")
        else:
            sentences.append(f"Still to confirm: {', '.join(missing)}.")
    if weight_problem:
        sentences.append(weight_problem)
    fix = FIX_BODY_MEASUREMENT if not missing else FIX_CHECKLIST
    return GateResult(DAY_OF_CHECKLIST, False, " ".join(sentences), fix)


def blood_pressure_level(systolic: int, diastolic: int, settings: GateSettings) -> str:
    """ "hold" at or above either hold level, "warn" at or above either warn level, else
    "normal" (the same comparison as the screening's)."""
    if systolic >= settings.bp_hold_systolic or diastolic >= settings.bp_hold_diastolic:
        return "hold"
    if systolic >= settings.bp_warn_systolic or diastolic >= settings.bp_warn_diastolic:
        return "warn"
    return "normal"


def blood_pressure_rule(facts: GateFacts, settings: GateSettings) -> GateResult:
    """Gate 9: the pre-dose blood pressure below the clinic's hold level (default
    160/100 mmHg); at the warn level (default 140/90: ACC/AHA 2017 stage 2, the Spravato
    label's level for weighing a dose) it passes with a warning. Ketamine raises blood
    pressure, peaking about 40 minutes into an infusion (Yale series;
    docs/clinical-reference.md#pre-dose-blood-pressure)."""
    systolic, diastolic = facts.blood_pressure_systolic, facts.blood_pressure_diastolic
    if systolic is None or diastolic is None:
        return GateResult(
            BLOOD_PRESSURE, False, "No pre-dose blood pressure is recorded.", FIX_CHECKLIST
        )
    reading = f"{systolic}/{diastolic} mmHg"
    taken_at = facts.blood_pressure_taken_at
    valid = timedelta(minutes=settings.pre_dose_bp_valid_minutes)
    if taken_at is not None and not facts.dose_at - valid <= taken_at <= facts.dose_at + valid:
        return GateResult(
            BLOOD_PRESSURE,
            False,
            f"{reading} was taken {_when(taken_at, settings)}, not within "
            f"{_plural(settings.pre_dose_bp_valid_minutes, 'minute')} of the dose: take it "
            "again.",
            FIX_CHECKLIST,
        )
    hold = f"{settings.bp_hold_systolic}/{settings.bp_hold_diastolic}"
    warn = f"{settings.bp_warn_systolic}/{settings.bp_warn_diastolic}"
    level = blood_pressure_level(systolic, diastolic, settings)
    if level == "hold":
        return GateResult(
            BLOOD_PRESSURE,
            False,
            f"{reading} is at or above the hold level ({hold}): recheck after rest, or "
            "defer the dose.",
            FIX_CHECKLIST,
        )
    if level == "warn":
        return GateResult(
            BLOOD_PRESSURE,
            True,
            f"{reading} is at or above the warn level ({warn}) but below the hold level "
            f"({hold}): watch it closely during the infusion.",
            warning=True,
        )
    return GateResult(BLOOD_PRESSURE, True, f"{reading}, below the warn level ({warn}).")


# --- All of them ------------------------------------------------------------------------------

Rule = Callable[[GateFacts, GateSettings], GateResult]

ALL_RULES: tuple[tuple[str, Rule], ...] = (
    (ELIGIBILITY, eligibility_rule),
    (CONSENT, consent_rule),
    (PREPARATION, preparation_rule),
    (INTEGRATION, integration_rule),
    (MEASURES, measures_rule),
    (SAFETY_REVIEW, safety_review_rule),
    (DOSE_INTERVAL, dose_interval_rule),
    (DAY_OF_CHECKLIST, day_of_checklist_rule),
    (BLOOD_PRESSURE, blood_pressure_rule),
)

# Preparation and integration belong to KAP; a standalone infusion has neither.
KAP_ONLY = frozenset({PREPARATION, INTEGRATION})

# Rules no waiver passes. An open safety alert (PHQ-9 item 9 above 0) is passed only by a
# clinician's review of the alert itself (docs/clinical-reference.md#safety-review): a
# waiver would let the dose go ahead while nobody has assessed the risk.
NOT_WAIVABLE = frozenset({SAFETY_REVIEW})


def is_waivable(rule: str) -> bool:
    """Whether a clinician may let a dose go ahead although `rule` fails."""
    return rule not in NOT_WAIVABLE


def rules_for(model: str) -> list[str]:
    """The rule ids that apply to an episode of `model`, in order."""
    return [rule for rule, _ in ALL_RULES if rules.is_kap(model) or rule not in KAP_ONLY]


def evaluate_gates(facts: GateFacts, settings: GateSettings) -> list[GateResult]:
    """Every rule that applies to the session's model, in the order the page shows them."""
    applicable = set(rules_for(facts.model))
    return [check(facts, settings) for rule, check in ALL_RULES if rule in applicable]


def waiver_basis(rule: str, facts: GateFacts) -> str:
    """The facts a waiver of `rule` was given on. A waiver holds only while they are
    unchanged: a waived blood pressure does not cover a new, higher reading, nor a waived
    safety review a new alert."""
    basis = {
        ELIGIBILITY: (facts.eligibility_state, facts.eligibility_detail),
        CONSENT: (facts.consent_status,),
        PREPARATION: (facts.preparation_sessions_done,),
        INTEGRATION: (facts.previous_episode_dose_at, facts.integration_done_since_previous_dose),
        MEASURES: (facts.latest_phq9_at, facts.latest_gad7_at, facts.has_baseline_phq9),
        SAFETY_REVIEW: (facts.open_alerts, facts.oldest_open_alert_at),
        DOSE_INTERVAL: (facts.previous_dose_at,),
        DAY_OF_CHECKLIST: (
            facts.fasting_confirmed,
            facts.escort_confirmed,
            facts.pregnancy_test,
            facts.medication_changes_reviewed,
            facts.weight_measured_on,
            facts.checklist_recorded_at.date() if facts.checklist_recorded_at else None,
        ),
        BLOOD_PRESSURE: (
            facts.blood_pressure_systolic,
            facts.blood_pressure_diastolic,
            facts.blood_pressure_taken_at,
        ),
    }[rule]
    return "|".join("" if value is None else str(value) for value in basis)


def blocking(results: list[GateResult], waived: set[str] | frozenset[str]) -> list[GateResult]:
    """The failing rules no clinician has waived: while any is left, the dose cannot start."""
    return [r for r in results if not r.passed and r.rule not in waived]


# --- Day-of checklist input -------------------------------------------------------------------

# Plausible pre-dose readings (mmHg): outside these a value is a typing mistake, not a
# blood pressure (beyond the physiological range seen at rest in an outpatient).
SYSTOLIC_RANGE = (60, 260)
DIASTOLIC_RANGE = (30, 160)


def blood_pressure_entry_problems(systolic: int | None, diastolic: int | None) -> dict[str, str]:
    """What is wrong with a typed pre-dose blood pressure, by field ({} when fine or when
    neither value is given)."""
    problems: dict[str, str] = {}
    if systolic is None and diastolic is None:
        return problems
    if systolic is None:
        problems["blood_pressure_systolic"] = "Enter the systolic value with the diastolic."
    if diastolic is None:
        problems["blood_pressure_diastolic"] = "Enter the diastolic value with the systolic."
    low, high = SYSTOLIC_RANGE
    if systolic is not None and not low <= systolic <= high:
        problems["blood_pressure_systolic"] = f"Enter a systolic value from {low} to {high} mmHg."
    low, high = DIASTOLIC_RANGE
    if diastolic is not None and not low <= diastolic <= high:
        problems["blood_pressure_diastolic"] = f"Enter a diastolic value from {low} to {high} mmHg."
    if not problems and systolic <= diastolic:
        problems["blood_pressure_diastolic"] = (
            "The diastolic value must be lower than the systolic; check the order."
        )
    return problems
