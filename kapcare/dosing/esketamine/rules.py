"""Esketamine (Spravato) as pure functions: the dose in nasal devices, the spacing of the
devices, the blood-pressure readings the REMS Patient Monitoring Form asks for, the effects
that must have resolved before discharge, the REMS enrolment gate and when the monitoring
form is due. Sources: the Spravato prescribing information (Janssen, revised 2025) and the
Spravato REMS (docs/clinical-reference.md#esketamine).

No Django here: plain values in, sentences out.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

# Each nasal device holds 28 mg, given as two sprays, one per nostril; a dose is 56 mg
# (2 devices) or 84 mg (3 devices), with a 5-minute rest after each device (label,
# section 2.1 and 2.5: "Dosage and Administration").
DEVICE_MG = Decimal(28)
DOSES_MG = (Decimal(56), Decimal(84))
# The first treatment of treatment-resistant depression is 56 mg: induction, weeks 1–4,
# "Day 1 starting dose: 56 mg; subsequent doses: 56 mg or 84 mg", twice a week (label,
# section 2.2, Table 1; docs/clinical-reference.md#esketamine).
FIRST_DOSE_MG = Decimal(56)
MINUTES_BETWEEN_DEVICES = 5
# Blood pressure before the dose, at about 40 minutes after it, and as clinically
# warranted until discharge (label, section 2.5 and 5.6; the REMS Patient Monitoring Form
# records pre-dose, ~40-minute and pre-discharge readings). "About" 40 minutes: a reading
# from 30 to 50 minutes after the first device counts; "before discharge": within the 30
# minutes before the patient leaves.
BP_AFTER_DOSE_MINUTES = 40
BP_AFTER_DOSE_WINDOW_MINUTES = 10
BP_BEFORE_DISCHARGE_MINUTES = 30

SEDATION = "sedation"
DISSOCIATION = "dissociation"
RESPIRATORY_DEPRESSION = "respiratory depression"

FORM_SUBMITTED = "submitted"
FORM_DUE = "due"
FORM_OVERDUE = "overdue"


def _mg(value: Decimal) -> str:
    return f"{value.normalize():f} mg"


def _clock(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def _day(value: date) -> str:
    return f"{value:%b} {value.day}, {value.year}"


# --- The dose -----------------------------------------------------------------------------


def dose_problem(dose_mg: Decimal | None) -> str:
    """Why `dose_mg` is not an esketamine dose; "" when it is one the label allows."""
    if dose_mg is None:
        return "Choose the dose: 56 mg (2 devices) or 84 mg (3 devices)."
    if dose_mg not in DOSES_MG:
        return (
            f"{_mg(dose_mg)} is not a Spravato dose: the label allows 56 mg (2 devices) "
            "or 84 mg (3 devices)."
        )
    return ""


def first_dose_problem(dose_mg: Decimal | None, *, treated_before: bool) -> str:
    """Why `dose_mg` cannot be the patient's first esketamine treatment; "" when it can, or
    when the patient was given esketamine before (`treated_before`). The label's induction
    starts at 56 mg on day 1; 84 mg only from the second treatment."""
    if dose_mg is None or treated_before or dose_mg == FIRST_DOSE_MG:
        return ""
    return (
        f"{_mg(dose_mg)} cannot be the patient's first esketamine treatment: the label's "
        f"induction starts at {_mg(FIRST_DOSE_MG)} on day 1 (56 or 84 mg from the second "
        "treatment on)."
    )


def devices_for(dose_mg: Decimal) -> int:
    """The number of 28 mg devices that make `dose_mg` (a dose `dose_problem` accepts)."""
    return int(dose_mg // DEVICE_MG)


def device_problem(
    *,
    devices_given: int,
    devices_prescribed: int,
    previous_given_at: datetime | None,
    at: datetime,
    now: datetime,
    zone: ZoneInfo,
) -> str:
    """Why the next device cannot be recorded as taken at `at`; "" when it can: not more
    devices than prescribed, not in the future, and at least 5 minutes after the previous
    one."""
    if devices_given >= devices_prescribed:
        return f"All {devices_prescribed} devices of this dose are recorded."
    if at > now:
        return "This time is still to come: enter when the device was taken."
    if previous_given_at is not None:
        if at < previous_given_at:
            return f"This is before the previous device ({_clock(previous_given_at, zone)})."
        ready = previous_given_at + timedelta(minutes=MINUTES_BETWEEN_DEVICES)
        if at < ready:
            return (
                f"Device {devices_given} was taken at {_clock(previous_given_at, zone)}: wait "
                f"{MINUTES_BETWEEN_DEVICES} minutes between devices (from "
                f"{_clock(ready, zone)})."
            )
    return ""


def dose_gate(
    *,
    dose_mg: Decimal | None,
    lot_expiry: date | None,
    dose_day: date,
    prescribed_by: str,
    confirmed_by: str,
    treated_before: bool,
) -> tuple[bool, str]:
    """The gate "dose prescribed and checked" for esketamine: a dose the label allows (56 mg
    at the first treatment: `treated_before` says whether the patient was given esketamine
    before), a lot in date, and the second person's check. Never waivable."""
    if dose_mg is None:
        return False, "No dose is prescribed yet: a clinician prescribes it on the dosing record."
    problem = dose_problem(dose_mg) or first_dose_problem(dose_mg, treated_before=treated_before)
    if problem:
        return False, problem + " A clinician must prescribe it again."
    if lot_expiry is None or lot_expiry < dose_day:
        return False, "The lot of the devices has expired: prescribe from a lot in date."
    described = f"Esketamine {_mg(dose_mg)} intranasal ({devices_for(dose_mg)} devices of 28 mg)"
    if not confirmed_by:
        return False, (
            f"{described} is prescribed by {prescribed_by}; a second clinician or nurse must "
            "check it on the dosing record."
        )
    return True, f"{described}, prescribed by {prescribed_by} and checked by {confirmed_by}."


# --- Blood pressure -------------------------------------------------------------------------


@dataclass(frozen=True)
class BloodPressureCheck:
    """One reading the REMS form asks for: when it was taken (None if not), and whether its
    time has passed without one (`is_missing`)."""

    label: str
    taken_at: datetime | None
    is_missing: bool


def blood_pressure_checks(
    *,
    first_device_at: datetime | None,
    readings: list[datetime],
    discharged_at: datetime | None,
    now: datetime,
) -> list[BloodPressureCheck]:
    """The three readings of the REMS form, from the times of the blood pressures taken
    (`readings`, in any order): the last before the first device; the one nearest 40 minutes
    after it within its window; the last in the 30 minutes before discharge. A reading is
    missing once its time has passed: the pre-dose one once a device was taken, the
    40-minute one once its window closed, the pre-discharge one once the patient left."""
    ordered = sorted(readings)
    before = [t for t in ordered if first_device_at is None or t <= first_device_at]
    pre_dose = before[-1] if before else None
    after = None
    window_closed = False
    if first_device_at is not None:
        target = first_device_at + timedelta(minutes=BP_AFTER_DOSE_MINUTES)
        window = timedelta(minutes=BP_AFTER_DOSE_WINDOW_MINUTES)
        inside = [t for t in ordered if abs(t - target) <= window]
        after = min(inside, key=lambda t: abs(t - target)) if inside else None
        window_closed = now > target + window
    leaving = None
    if discharged_at is not None:
        earliest = discharged_at - timedelta(minutes=BP_BEFORE_DISCHARGE_MINUTES)
        last = [t for t in ordered if earliest <= t <= discharged_at]
        leaving = last[-1] if last else None
    return [
        BloodPressureCheck(
            "Before the first device",
            pre_dose,
            pre_dose is None and first_device_at is not None,
        ),
        BloodPressureCheck("About 40 minutes after", after, after is None and window_closed),
        BloodPressureCheck(
            "Before discharge", leaving, leaving is None and discharged_at is not None
        ),
    ]


# --- Discharge ------------------------------------------------------------------------------


def unresolved_effects(
    *, sedation_resolved: bool, dissociation_resolved: bool, respiratory_depression_resolved: bool
) -> tuple[str, ...]:
    """The effects not (yet) recorded as resolved. The label: observe until the patient is
    safe to leave, at least 2 hours, for sedation, dissociation and respiratory depression
    (section 5.1–5.3)."""
    return tuple(
        name
        for name, resolved in (
            (SEDATION, sedation_resolved),
            (DISSOCIATION, dissociation_resolved),
            (RESPIRATORY_DEPRESSION, respiratory_depression_resolved),
        )
        if not resolved
    )


def effects_problem(unresolved: tuple[str, ...], checked: bool) -> str:
    """The discharge criterion of esketamine's effects, in words; "" when met."""
    if not checked:
        return (
            "No check of esketamine's effects yet: record whether sedation, dissociation and "
            "respiratory depression have resolved."
        )
    if not unresolved:
        return ""
    return "Not yet resolved: " + ", ".join(unresolved) + ". Observe until they resolve."


# --- REMS -----------------------------------------------------------------------------------


def rems_enrolment_gate(
    enrolment_id: str | None, enrolled_on: date | None, dose_day: date
) -> tuple[bool, str]:
    """The gate "REMS patient enrolment": a patient is enrolled in the Spravato REMS before
    the first treatment (Spravato REMS). Never waivable."""
    if not enrolment_id or enrolled_on is None:
        return False, (
            "The patient is not recorded as enrolled in the Spravato REMS: a clinician "
            "records the enrolment before the first esketamine dose."
        )
    if enrolled_on > dose_day:
        return False, (
            f"The REMS enrolment is dated {_day(enrolled_on)}, after the dose's day: enrol "
            "the patient before the dose."
        )
    return True, f"Enrolled in the Spravato REMS on {_day(enrolled_on)} ({enrolment_id})."


def form_due_on(session_day: date, due_days: int) -> date:
    """The last day to send the session's REMS Patient Monitoring Form."""
    return session_day + timedelta(days=due_days)


def form_state(due_on: date, is_submitted: bool, today: date) -> str:
    if is_submitted:
        return FORM_SUBMITTED
    return FORM_OVERDUE if today > due_on else FORM_DUE
