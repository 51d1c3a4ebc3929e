"""Vital signs during a dosing session (docs/clinical-reference.md#dosing-session), as pure
functions.

- What is measured, with the LOINC code FHIR R4's vital-signs profile gives each
  (docs/clinical-reference.md#loinc: systolic 8480-6, diastolic 8462-4, heart rate 8867-4,
  respiratory rate 9279-1, SpO2 2708-6) and its UCUM-style unit. Sedation is scored on the
  Modified Observer's Assessment of Alertness/Sedation scale (MOAA/S, 0–5; Chernik et al.
  1990, J Clin Psychopharmacol 10:244): we found no LOINC code we could confirm for the
  MOAA/S score, so its code is left empty rather than guessed.
- Which values are plausible at all: outside these ranges a value is a typing or device
  error, not a reading, and is refused with a message (SBP 20, SpO2 140).
- Which plausible values raise an alert, against the clinic's thresholds (`VitalThresholds`;
  defaults in docs/clinical-reference.md#vital-sign-alert-thresholds: SBP ≥ 180 or < 90, DBP
  ≥ 110, HR > 130 or < 50, SpO2 < 92 %, RR < 10 or > 30 — note ≥ for blood pressure, > for
  heart and respiratory rate).
- When the next reading is due: every 10 min during the infusion and every 15 min after it
  (published practice at Emory and Yale, docs/clinical-reference.md#vital-sign-schedule; clinic
  settings).

No Django here: the functions read only what they are given.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

# --- What is measured ---------------------------------------------------------------------------

HEART_RATE = "hr"
SYSTOLIC = "sbp"
DIASTOLIC = "dbp"
SPO2 = "spo2"
RESPIRATORY_RATE = "rr"
SEDATION = "sedation"


@dataclass(frozen=True)
class Vital:
    key: str
    name: str  # as a clinician says it
    short_name: str  # a column heading
    loinc_code: str  # "" where no code is confirmed
    unit: str
    plausible_min: int
    plausible_max: int


# Plausible ranges: wide enough for any living adult on a monitor (bradycardia to 20/min,
# SVT to 250/min; SBP 50–260 and DBP 20–160 mmHg, the measuring range of clinical
# oscillometric cuffs; SpO2 50–100 %, pulse oximeters are not calibrated below 70 % and
# cannot read above 100 %; RR 2–60/min); outside them a value is an entry or device error.
VITALS: dict[str, Vital] = {
    v.key: v
    for v in (
        Vital(HEART_RATE, "Heart rate", "HR", "8867-4", "/min", 20, 250),
        Vital(SYSTOLIC, "Systolic blood pressure", "SBP", "8480-6", "mmHg", 50, 260),
        Vital(DIASTOLIC, "Diastolic blood pressure", "DBP", "8462-4", "mmHg", 20, 160),
        Vital(SPO2, "Oxygen saturation (SpO2)", "SpO2", "2708-6", "%", 50, 100),
        Vital(RESPIRATORY_RATE, "Respiratory rate", "RR", "9279-1", "/min", 2, 60),
        # MOAA/S (Chernik 1990): no LOINC code confirmed, see the module docstring.
        Vital(SEDATION, "Sedation (MOAA/S)", "MOAA/S", "", "{score}", 0, 5),
    )
}

# MOAA/S levels, as Chernik et al. 1990 describe them.
MOAAS_LEVELS = {
    5: "5 — responds readily to name in a normal tone",
    4: "4 — lethargic response to name in a normal tone",
    3: "3 — responds only after name is called loudly or repeatedly",
    2: "2 — responds only after mild prodding or shaking",
    1: "1 — responds only after a painful trapezius squeeze",
    0: "0 — no response to a painful trapezius squeeze",
}

# How far ahead of the server's clock a reading's time may be: a monitor's or a tablet's
# clock runs a little fast, a reading is not taken in the future.
CLOCK_TOLERANCE = timedelta(minutes=2)


def plausibility_problems(values: Mapping[str, int | None]) -> dict[str, str]:
    """A message per field whose value cannot be a real reading: outside its plausible
    range, or a diastolic not below the systolic taken with it. Missing values (None) are
    not checked; an unknown field is refused."""
    problems: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        vital = VITALS.get(key)
        if vital is None:
            problems[key] = "This is not a vital sign kapcare records."
        elif not vital.plausible_min <= value <= vital.plausible_max:
            unit = "" if vital.key == SEDATION else f" {vital.unit}"
            problems[key] = (
                f"{vital.name} {value}{unit} cannot be right: enter a value from "
                f"{vital.plausible_min} to {vital.plausible_max}{unit}."
            )
    systolic, diastolic = values.get(SYSTOLIC), values.get(DIASTOLIC)
    if (
        systolic is not None
        and diastolic is not None
        and SYSTOLIC not in problems
        and DIASTOLIC not in problems
        and diastolic >= systolic
    ):
        problems[DIASTOLIC] = (
            f"Diastolic {diastolic} is not below systolic {systolic}: check both values."
        )
    return problems


# --- Alerts -------------------------------------------------------------------------------------

HIGH = "high"
LOW = "low"


@dataclass(frozen=True)
class VitalThresholds:
    """The clinic's alert thresholds (clinics.Clinic `vitals_*`; defaults in
    docs/clinical-reference.md#vital-sign-alert-thresholds).
    Blood pressure alerts at or above its high threshold; heart and respiratory rate only
    above theirs; every low threshold alerts below it."""

    systolic_high: int = 180  # SBP ≥
    systolic_low: int = 90  # SBP <
    diastolic_high: int = 110  # DBP ≥
    heart_rate_high: int = 130  # HR >
    heart_rate_low: int = 50  # HR <
    spo2_low: int = 92  # SpO2 <
    respiratory_rate_low: int = 10  # RR <
    respiratory_rate_high: int = 30  # RR >

    @classmethod
    def from_settings(cls, settings) -> "VitalThresholds":
        """From an object with the clinic's `vitals_*` attributes (a Clinic)."""
        return cls(
            systolic_high=settings.vitals_systolic_high,
            systolic_low=settings.vitals_systolic_low,
            diastolic_high=settings.vitals_diastolic_high,
            heart_rate_high=settings.vitals_heart_rate_high,
            heart_rate_low=settings.vitals_heart_rate_low,
            spo2_low=settings.vitals_spo2_low,
            respiratory_rate_low=settings.vitals_respiratory_rate_low,
            respiratory_rate_high=settings.vitals_respiratory_rate_high,
        )

    def limits(self) -> list[tuple[str, str, str, int]]:
        """(vital, direction, comparison, threshold) for every limit, in display order."""
        return [
            (SYSTOLIC, HIGH, "≥", self.systolic_high),
            (SYSTOLIC, LOW, "<", self.systolic_low),
            (DIASTOLIC, HIGH, "≥", self.diastolic_high),
            (HEART_RATE, HIGH, ">", self.heart_rate_high),
            (HEART_RATE, LOW, "<", self.heart_rate_low),
            (SPO2, LOW, "<", self.spo2_low),
            (RESPIRATORY_RATE, LOW, "<", self.respiratory_rate_low),
            (RESPIRATORY_RATE, HIGH, ">", self.respiratory_rate_high),
        ]


@dataclass(frozen=True)
class Alert:
    vital: str
    value: int
    threshold: str  # the limit crossed, in words: "≥ 180", "< 90"

    @property
    def direction(self) -> str:
        return direction_of(self.threshold)


_COMPARE = {
    "≥": lambda value, limit: value >= limit,
    ">": lambda value, limit: value > limit,
    "<": lambda value, limit: value < limit,
}


def alerts_for(values: Mapping[str, int | None], thresholds: VitalThresholds) -> list[Alert]:
    """Each value beyond the clinic's thresholds, with the limit it crossed, in the order
    of `VitalThresholds.limits` (a value crosses at most one of its limits)."""
    alerts = []
    for vital, _direction, comparison, limit in thresholds.limits():
        value = values.get(vital)
        if value is not None and _COMPARE[comparison](value, limit):
            alerts.append(Alert(vital=vital, value=value, threshold=f"{comparison} {limit}"))
    return alerts


def direction_of(threshold: str) -> str:
    """HIGH for a threshold crossed upwards ("≥ 180", "> 130"), LOW for "< 90", "" for
    none (a stored observation that raised no alert)."""
    if threshold.startswith(("≥", ">")):
        return HIGH
    if threshold.startswith("<"):
        return LOW
    return ""


# --- When the next reading is due ---------------------------------------------------------------

BEFORE = "before"
DURING = "during"
AFTER = "after"
DISCHARGED = "discharged"


@dataclass(frozen=True)
class VitalSchedule:
    """How often vitals are taken (clinics.Clinic `vitals_every_minutes_*`: every 10 min
    during and every 15 min after the infusion, Emory and Yale practice;
    docs/clinical-reference.md#vital-sign-schedule)."""

    every_minutes_during: int = 10
    every_minutes_after: int = 15

    @classmethod
    def from_settings(cls, settings) -> "VitalSchedule":
        return cls(
            every_minutes_during=settings.vitals_every_minutes_during,
            every_minutes_after=settings.vitals_every_minutes_after,
        )


def phase_at(
    now: datetime,
    dose_started_at: datetime | None,
    dose_ended_at: datetime | None,
    discharged_at: datetime | None = None,
) -> str:
    """Where the session stands: before the dose starts, during it (from its start until
    it ends), after it (until discharge), or discharged."""
    if discharged_at is not None and now >= discharged_at:
        return DISCHARGED
    if dose_started_at is None or now < dose_started_at:
        return BEFORE
    if dose_ended_at is None or now < dose_ended_at:
        return DURING
    return AFTER


@dataclass(frozen=True)
class ReadingDue:
    phase: str
    due_at: datetime
    is_overdue: bool


def next_reading_due(
    *,
    now: datetime,
    last_taken_at: datetime | None,
    dose_started_at: datetime | None,
    dose_ended_at: datetime | None,
    discharged_at: datetime | None = None,
    schedule: VitalSchedule,
) -> ReadingDue | None:
    """When the next reading is due, and whether it is overdue (`now` past it).

    During the dose a reading is due every `every_minutes_during` after the last one, after
    the dose every `every_minutes_after`; a phase's clock starts at the phase's beginning
    when no reading was taken in it yet (the reading just before the dose counts as the
    first). Before the dose and after discharge there is no schedule (None): the pre-dose
    reading is the day-of checklist's."""
    phase = phase_at(now, dose_started_at, dose_ended_at, discharged_at)
    if phase == DURING:
        begins, every = dose_started_at, schedule.every_minutes_during
    elif phase == AFTER:
        begins, every = dose_ended_at, schedule.every_minutes_after
    else:
        return None
    base = max(last_taken_at, begins) if last_taken_at is not None else begins
    due_at = base + timedelta(minutes=every)
    return ReadingDue(phase=phase, due_at=due_at, is_overdue=now > due_at)
