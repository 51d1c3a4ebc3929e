"""When a patient may go home after a dose (docs/clinical-reference.md#discharge), as
pure functions over plain values.

The criteria, each from the clinic's settings (clinics.Clinic):
- a minimum observation after the dose ends (`discharge_observation_minutes`, default
  60 min; 2 h for esketamine under its REMS);
- the modified Aldrete score (Aldrete JA. The post-anesthesia recovery score revisited.
  J Clin Anesth 1995;7:89–91) of the last discharge check at least
  `discharge_aldrete_minimum` (default 9 of 10);
- vitals back near baseline: the last systolic pressure and heart rate since the dose
  ended within `discharge_vitals_within_percent` (default 20 %, the band of the Aldrete
  circulation item's full score) of the pre-dose values;
- alert and oriented, an escort present (no driving until the next day), and written
  after-care instructions given.

`discharge_problems` answers with what is still unmet, each as a sentence a nurse
understands; an empty list means the patient may go. No Django here.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

# --- The modified Aldrete score -----------------------------------------------------------


@dataclass(frozen=True)
class AldreteItem:
    key: str
    label: str
    # The wording of each score, 2 first, as the clinician reads it at the bedside.
    descriptions: tuple[tuple[int, str], ...]


# Aldrete 1995, the modified post-anaesthetic recovery score: five items, 0–2 each
# (docs/clinical-reference.md#modified-aldrete-score).
ALDRETE_ITEMS: tuple[AldreteItem, ...] = (
    AldreteItem(
        "activity",
        "Activity",
        (
            (2, "Able to move 4 extremities voluntarily or on command"),
            (1, "Able to move 2 extremities voluntarily or on command"),
            (0, "Able to move no extremities voluntarily or on command"),
        ),
    ),
    AldreteItem(
        "respiration",
        "Respiration",
        (
            (2, "Able to breathe deeply and cough freely"),
            (1, "Dyspnoea or limited breathing"),
            (0, "Apnoeic"),
        ),
    ),
    AldreteItem(
        "circulation",
        "Circulation",
        (
            (2, "Blood pressure within ± 20 % of the pre-anaesthetic level"),
            (1, "Blood pressure ± 20–49 % of the pre-anaesthetic level"),
            (0, "Blood pressure ± 50 % or more of the pre-anaesthetic level"),
        ),
    ),
    AldreteItem(
        "consciousness",
        "Consciousness",
        (
            (2, "Fully awake"),
            (1, "Arousable on calling"),
            (0, "Not responding"),
        ),
    ),
    AldreteItem(
        "oxygen_saturation",
        "Oxygen saturation",
        (
            (2, "Able to keep SpO2 above 92 % on room air"),
            (1, "Needs oxygen to keep SpO2 above 90 %"),
            (0, "SpO2 below 90 % even with oxygen"),
        ),
    ),
)
ALDRETE_KEYS = tuple(item.key for item in ALDRETE_ITEMS)
ALDRETE_MAXIMUM = 2 * len(ALDRETE_ITEMS)


def aldrete_score(items: Mapping[str, int]) -> int:
    """The modified Aldrete score (0–10): the sum of the five items, each 0, 1 or 2.
    A missing item or a value out of 0–2 is a programming error (ValueError): the form
    offers only the three choices."""
    missing = [key for key in ALDRETE_KEYS if key not in items]
    if missing:
        raise ValueError(f"Aldrete items missing: {', '.join(missing)}")
    for key in ALDRETE_KEYS:
        value = items[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2:
            raise ValueError(f"Aldrete item {key} must be 0, 1 or 2, not {value!r}")
    return sum(items[key] for key in ALDRETE_KEYS)


# --- Discharge ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DischargeSettings:
    """The clinic's discharge settings (clinics.Clinic; defaults in
    docs/clinical-reference.md#discharge)."""

    observation_minutes: int = 60
    aldrete_minimum: int = 9
    vitals_within_percent: int = 20
    time_zone: str = "America/Chicago"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class DischargeFacts:
    """What the record says at `now`. The assessment fields are the last discharge
    check's (None/False when there is none); the vitals are the last values taken since
    the dose ended (None when there is none) and the pre-dose values: blood pressure from
    the day-of checklist, heart rate from the first reading before the dose, if any."""

    now: datetime
    dose_ended_at: datetime | None
    assessed_at: datetime | None = None
    aldrete: int | None = None
    alert_and_oriented: bool = False
    escort_present: bool = False
    aftercare_given: bool = False
    baseline_systolic: int | None = None
    baseline_heart_rate: int | None = None
    latest_systolic: int | None = None
    latest_heart_rate: int | None = None
    # Values of the last reading since the dose ended that crossed an alert threshold,
    # in words ("SpO2 88 < 92").
    latest_alerts: tuple[str, ...] = ()


def discharge_problems(facts: DischargeFacts, settings: DischargeSettings) -> list[str]:
    """What still stands between the patient and going home, in the order a nurse checks
    it; empty when every criterion is met."""
    problems: list[str] = []
    problems += _observation_problems(facts, settings)
    problems += _assessment_problems(facts, settings)
    problems += _vitals_problems(facts, settings)
    if facts.latest_alerts:
        problems.append(
            "The last reading has values outside the clinic's alert thresholds ("
            + "; ".join(facts.latest_alerts)
            + "): treat and take the vital signs again before discharge."
        )
    return problems


def vitals_out_of_range(facts: DischargeFacts, settings: DischargeSettings) -> bool:
    """Whether the patient would leave with vital signs not shown to be back in range: the
    last reading crossed an alert threshold, the last systolic pressure or heart rate is
    outside the band around its pre-dose value, or none was taken since the dose ended.
    Discharging over these needs a second clinician; over the other criteria (observation
    time, the Aldrete score, escort) the discharging clinician's reason is enough."""
    if facts.latest_alerts:
        return True
    if facts.dose_ended_at is None or facts.dose_ended_at > facts.now:
        return False
    if facts.latest_systolic is None and facts.latest_heart_rate is None:
        return True
    pairs = [
        (facts.latest_systolic, facts.baseline_systolic),
        (facts.latest_heart_rate, facts.baseline_heart_rate),
    ]
    return any(
        latest is not None
        and baseline is not None
        and not is_near_baseline(latest, baseline, settings.vitals_within_percent)
        for latest, baseline in pairs
    )


def earliest_discharge_at(dose_ended_at: datetime, settings: DischargeSettings) -> datetime:
    """The first moment the observation time allows a discharge: the clinic's minimum
    observation after the dose ended (docs/clinical-reference.md#discharge), in the
    clinic's zone. The other criteria may still hold the patient longer."""
    ready_at = dose_ended_at.timestamp() + settings.observation_minutes * 60
    return datetime.fromtimestamp(ready_at, tz=settings.zone)


def _observation_problems(facts: DischargeFacts, settings: DischargeSettings) -> list[str]:
    if facts.dose_ended_at is None:
        return [
            "The dose has not ended: record when the infusion ended or when the dose was taken."
        ]
    if facts.dose_ended_at > facts.now:
        return [f"The dose ends at {_time(facts.dose_ended_at, settings)}: it has not ended yet."]
    observed = int((facts.now - facts.dose_ended_at).total_seconds() // 60)
    required = settings.observation_minutes
    if observed >= required:
        return []
    ready = earliest_discharge_at(facts.dose_ended_at, settings)
    return [
        f"Observed for {observed} min since the dose ended at "
        f"{_time(facts.dose_ended_at, settings)}; the clinic requires {required} min "
        f"(until {_time(ready, settings)})."
    ]


def _assessment_problems(facts: DischargeFacts, settings: DischargeSettings) -> list[str]:
    if facts.aldrete is None or facts.assessed_at is None:
        return [
            "No discharge check yet: record the modified Aldrete score, whether the patient "
            "is alert and oriented, the escort and the after-care instructions."
        ]
    if facts.dose_ended_at is not None and facts.assessed_at < facts.dose_ended_at:
        return ["The last discharge check was made before the dose ended: check again."]
    problems = []
    if facts.aldrete < settings.aldrete_minimum:
        problems.append(
            f"The modified Aldrete score is {facts.aldrete} of {ALDRETE_MAXIMUM}; "
            f"the clinic requires at least {settings.aldrete_minimum}."
        )
    if not facts.alert_and_oriented:
        problems.append("The patient is not yet recorded as alert and oriented.")
    if not facts.escort_present:
        problems.append(
            "No escort is recorded as present to take the patient home "
            "(no driving until the next day)."
        )
    if not facts.aftercare_given:
        problems.append("Written after-care instructions are not recorded as given.")
    return problems


def _vitals_problems(facts: DischargeFacts, settings: DischargeSettings) -> list[str]:
    if facts.dose_ended_at is None or facts.dose_ended_at > facts.now:
        return []  # nothing to compare yet: the dose itself is the problem
    if facts.latest_systolic is None and facts.latest_heart_rate is None:
        return ["No vital signs since the dose ended: take a set before discharge."]
    problems = []
    if facts.baseline_systolic is None:
        problems.append(
            "There is no pre-dose blood pressure on the day-of checklist to compare with."
        )
    elif facts.latest_systolic is None:
        problems.append("No systolic blood pressure since the dose ended.")
    elif not is_near_baseline(
        facts.latest_systolic, facts.baseline_systolic, settings.vitals_within_percent
    ):
        problems.append(
            _not_near(
                "Systolic pressure",
                facts.latest_systolic,
                facts.baseline_systolic,
                "mmHg",
                settings,
            )
        )
    if facts.baseline_heart_rate is not None:
        if facts.latest_heart_rate is None:
            problems.append("No heart rate since the dose ended.")
        elif not is_near_baseline(
            facts.latest_heart_rate, facts.baseline_heart_rate, settings.vitals_within_percent
        ):
            problems.append(
                _not_near(
                    "Heart rate",
                    facts.latest_heart_rate,
                    facts.baseline_heart_rate,
                    "beats/min",
                    settings,
                )
            )
    return problems


def is_near_baseline(value: int, baseline: int, within_percent: int) -> bool:
    """Whether `value` is within `within_percent` % of `baseline`, edges included (the
    Aldrete circulation item: "± 20 % of the pre-anaesthetic level"). Whole numbers only,
    so no rounding decides."""
    return abs(value - baseline) * 100 <= within_percent * baseline


def near_baseline_range(baseline: int, within_percent: int) -> tuple[int, int]:
    """The whole values that count as near `baseline` (lowest, highest)."""
    lowest = -(-baseline * (100 - within_percent) // 100)  # rounded up
    highest = baseline * (100 + within_percent) // 100
    return lowest, highest


def _not_near(name: str, value: int, baseline: int, unit: str, settings) -> str:
    lowest, highest = near_baseline_range(baseline, settings.vitals_within_percent)
    return (
        f"{name} {value} {unit} is not back near the pre-dose {baseline} {unit}: the clinic "
        f"asks for within {settings.vitals_within_percent} % ({lowest}–{highest} {unit})."
    )


def _time(value: datetime, settings: DischargeSettings) -> str:
    return clock_time(value, settings.zone)


def clock_time(value: datetime, zone: ZoneInfo) -> str:
    """A moment as the clinic's wall clock reads it ("9:40 AM")."""
    local = value.astimezone(zone)
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
