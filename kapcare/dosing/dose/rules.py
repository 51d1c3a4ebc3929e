"""The dose of ketamine as pure functions: the arithmetic from mg/kg and weight, the clinic's
per-route maximum, what is plausible to type, and whether a prescription is ready for the
dose to start (docs/clinical-reference.md#dose-checked-by-a-second-person).

Doses are `Decimal` throughout — a float would turn 0.5 × 72.4 into 36.199999… — and the
dose in milligrams is rounded half up to 0.1 mg, the smallest step a nurse draws up with a
1 mL syringe of ketamine 10 mg/mL (0.01 mL). The maxima are the clinic's settings
(`Clinic.max_mg_per_kg_<route>` and `max_total_mg_<route>`, read by the services and handed
here as `DoseCaps`); the weight must be the patient's latest and recent enough
(`Clinic.weight_recent_days`, as gate 8 reads it).

No Django here: only plain values in and sentences out.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

# The dose is drawn up to 0.1 mg (see above).
MG_STEP = Decimal("0.1")
# What the record stores: mg/kg to three decimals (DosingRecord.prescribed_mg_per_kg), the
# weight to 0.1 kg (patients.BodyMeasurement.weight_kg).
MG_PER_KG_PLACES = 3
WEIGHT_PLACES = 1

# Plausibility, not clinical limits: a number outside these is a typing mistake, whatever
# the clinic's maximum. 10 mg/kg is above any anaesthetic induction dose of ketamine (IV
# 1–4.5 mg/kg, IM 6.5–13 mg/kg: Ketalar label), the adult weights of 30–300 kg cover every
# patient the clinic treats; infusions last minutes to a few hours.
MG_PER_KG_MAX_PLAUSIBLE = Decimal("10")
WEIGHT_MIN_PLAUSIBLE = Decimal("30")
WEIGHT_MAX_PLAUSIBLE = Decimal("300")
INFUSION_MINUTES_MIN = 5
INFUSION_MINUTES_MAX = 240

ROUTE_ABBREVIATIONS = {
    "iv": "IV",
    "im": "IM",
    "sublingual": "sublingual",
    "intranasal": "intranasal",
}


def format_decimal(value: Decimal) -> str:
    """0.500 → "0.5", 100 → "100", never "1E+2"."""
    return format(value.normalize(), "f")


def format_mg(value: Decimal) -> str:
    return f"{value.quantize(MG_STEP)} mg"


def format_kg(value: Decimal) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-WEIGHT_PLACES))} kg"


@dataclass(frozen=True)
class DoseCalculation:
    mg_per_kg: Decimal
    weight_kg: Decimal
    dose_mg: Decimal

    @property
    def arithmetic(self) -> str:
        """The sum as the clinician checks it: "0.5 mg/kg × 72.4 kg = 36.2 mg"."""
        return (
            f"{format_decimal(self.mg_per_kg)} mg/kg × {format_kg(self.weight_kg)} "
            f"= {format_mg(self.dose_mg)}"
        )


def _require_decimal(name: str, value) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")


def compute_dose(mg_per_kg: Decimal, weight_kg: Decimal) -> DoseCalculation:
    """The dose in mg: mg/kg × kg, rounded half up to 0.1 mg (see the module's docstring).
    Floats are refused: a dose is never computed in binary floating point."""
    _require_decimal("mg_per_kg", mg_per_kg)
    _require_decimal("weight_kg", weight_kg)
    dose = (mg_per_kg * weight_kg).quantize(MG_STEP, rounding=ROUND_HALF_UP)
    return DoseCalculation(mg_per_kg=mg_per_kg, weight_kg=weight_kg, dose_mg=dose)


@dataclass(frozen=True)
class DoseCaps:
    """The clinic's maximum for one route (`Clinic.max_mg_per_kg_<route>`,
    `Clinic.max_total_mg_<route>`; docs/clinical-reference.md#dose-maxima-per-route)."""

    route_label: str
    max_mg_per_kg: Decimal
    max_total_mg: Decimal

    @property
    def description(self) -> str:
        return (
            f"{self.route_label}: at most {format_decimal(self.max_mg_per_kg)} mg/kg and "
            f"{format_decimal(self.max_total_mg)} mg in all"
        )


def cap_problems(calc: DoseCalculation, caps: DoseCaps) -> list[str]:
    """Each of the clinic's maxima the dose goes above, as a sentence naming the maximum.
    A dose exactly at a maximum is within it; the total is compared as drawn up (after
    rounding to 0.1 mg)."""
    problems = []
    if calc.mg_per_kg > caps.max_mg_per_kg:
        problems.append(
            f"{format_decimal(calc.mg_per_kg)} mg/kg is above the clinic's maximum of "
            f"{format_decimal(caps.max_mg_per_kg)} mg/kg for {caps.route_label}."
        )
    if calc.dose_mg > caps.max_total_mg:
        problems.append(
            f"{format_mg(calc.dose_mg)} is above the clinic's maximum total of "
            f"{format_decimal(caps.max_total_mg)} mg for {caps.route_label}."
        )
    return problems


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def mg_per_kg_problem(mg_per_kg: Decimal) -> str:
    """ "" when the prescribed mg/kg is plausible: above 0, at most 10, three decimals."""
    _require_decimal("mg_per_kg", mg_per_kg)
    if not mg_per_kg.is_finite() or mg_per_kg <= 0:
        return "Enter a dose above 0 mg/kg."
    if mg_per_kg > MG_PER_KG_MAX_PLAUSIBLE:
        return (
            f"{format_decimal(mg_per_kg)} mg/kg is not a plausible ketamine dose (at most "
            f"{format_decimal(MG_PER_KG_MAX_PLAUSIBLE)} mg/kg): check the number."
        )
    if _places(mg_per_kg) > MG_PER_KG_PLACES:
        return f"Give the dose in mg/kg to at most {MG_PER_KG_PLACES} decimal places."
    return ""


def weight_problem(weight_kg: Decimal | None) -> str:
    """ "" when the weight is plausible for an adult: 30–300 kg inclusive."""
    if weight_kg is None:
        return "No weight is recorded: record the patient's weight first."
    _require_decimal("weight_kg", weight_kg)
    if not WEIGHT_MIN_PLAUSIBLE <= weight_kg <= WEIGHT_MAX_PLAUSIBLE:
        return (
            f"The recorded weight of {format_kg(weight_kg)} is not plausible (between "
            f"{format_decimal(WEIGHT_MIN_PLAUSIBLE)} and {format_decimal(WEIGHT_MAX_PLAUSIBLE)} "
            "kg): record the weight again."
        )
    return ""


def infusion_minutes_problem(route: str, minutes: int | None) -> str:
    """An IV dose needs an infusion duration (the clinic's default is 40 minutes:
    docs/clinical-reference.md#infusion-duration); other routes have none."""
    if route != "iv":
        return ""
    if minutes is None:
        return "Enter how long the infusion runs, in minutes."
    if not INFUSION_MINUTES_MIN <= minutes <= INFUSION_MINUTES_MAX:
        return (
            f"Enter an infusion duration between {INFUSION_MINUTES_MIN} and "
            f"{INFUSION_MINUTES_MAX} minutes."
        )
    return ""


def lot_expiry_problem(lot_expiry: date | None, dose_day: date) -> str:
    """A lot may be used up to and including its expiry date."""
    if lot_expiry is None:
        return "Enter the lot's expiry date from the vial."
    if lot_expiry < dose_day:
        return (
            f"This lot expired on {_day(lot_expiry)}, before the dose on {_day(dose_day)}: "
            "use another lot."
        )
    return ""


def weight_age_problem(
    measured_on: date | None,
    weight_kg: Decimal | None,
    latest_measured_on: date | None,
    latest_weight_kg: Decimal | None,
    dose_day: date,
    recent_days: int,
) -> str:
    """ "" when the weight the dose was computed from is the patient's latest and was
    recorded within `recent_days` of the dose day (the clinic's `weight_recent_days`,
    default 30; exactly `recent_days` before still counts, as gate 8 has it)."""
    if measured_on is None or weight_kg is None:
        return "No weight is recorded: record the patient's weight first."
    if (latest_measured_on, latest_weight_kg) != (measured_on, weight_kg):
        latest = (
            f"{format_kg(latest_weight_kg)} on {_day(latest_measured_on)}"
            if latest_measured_on is not None and latest_weight_kg is not None
            else "none by the day of the dose"
        )
        return (
            f"The dose was computed from {format_kg(weight_kg)} of {_day(measured_on)}, which "
            f"is no longer the patient's latest weight ({latest}): prescribe the dose again."
        )
    if (dose_day - measured_on).days > recent_days:
        return (
            f"The weight was recorded on {_day(measured_on)}, more than {recent_days} "
            f"day{'s' if recent_days != 1 else ''} before the dose: record a new weight and "
            "prescribe the dose again."
        )
    return ""


@dataclass(frozen=True)
class Prescription:
    """What the record holds of a prescription, for the gate."""

    route: str
    calc: DoseCalculation | None
    weight_measured_on: date | None
    above_maximum_reason: str
    lot_expiry: date | None
    prescribed_by: str
    confirmed_by: str  # "" until a second person checks it


def dose_gate(
    prescription: Prescription | None,
    caps: DoseCaps | None,
    latest_measured_on: date | None,
    latest_weight_kg: Decimal | None,
    dose_day: date,
    weight_recent_days: int,
) -> tuple[bool, str]:
    """The gate "Dose prescribed and checked by a second person": a dose is given
    only when a clinician has prescribed it from the patient's latest, recent weight,
    within the clinic's maximum (or above it with the clinician's reason), from a lot that
    has not expired, and a second clinician or nurse has checked it. Never waivable."""
    if prescription is None or prescription.calc is None:
        return False, "No dose is prescribed yet: a clinician prescribes it on the dosing record."
    calc = prescription.calc
    problem = weight_age_problem(
        prescription.weight_measured_on,
        calc.weight_kg,
        latest_measured_on,
        latest_weight_kg,
        dose_day,
        weight_recent_days,
    )
    if problem:
        return False, problem
    if caps is not None and not prescription.above_maximum_reason.strip():
        above = cap_problems(calc, caps)
        if above:
            return False, " ".join(above) + " A clinician must prescribe it again with a reason."
    expiry = lot_expiry_problem(prescription.lot_expiry, dose_day)
    if expiry:
        return False, expiry
    route = ROUTE_ABBREVIATIONS.get(prescription.route, prescription.route)
    described = f"{format_mg(calc.dose_mg)} {route} ({calc.arithmetic})"
    if not prescription.confirmed_by:
        return False, (
            f"{described} is prescribed by {prescription.prescribed_by}; a second clinician "
            "or nurse must check it on the dosing record."
        )
    return True, (
        f"{described}, prescribed by {prescription.prescribed_by} and checked by "
        f"{prescription.confirmed_by}."
    )


def therapist_gate(
    model: str,
    therapist_present: bool,
    *,
    therapist: str = "",
    present: str = "",
    present_is_therapist: bool = True,
) -> tuple[bool, str] | None:
    """In the in-session model the episode's own therapist sits with the patient through
    the dose (docs/clinical-reference.md#therapist-present-during-the-dose): `therapist` is
    the episode's therapist (empty when none is named), `present` who was recorded as
    present and `present_is_therapist` whether that is still the episode's therapist. For
    the other models there is no such rule (None)."""
    if model != "in_session":
        return None
    if not therapist:
        return False, (
            "In the in-session model the episode's therapist is present for the dose, and "
            "no therapist is named for this episode: name one on the episode."
        )
    if therapist_present and present_is_therapist:
        return True, f"{therapist}, the episode's therapist, is recorded as present."
    if therapist_present:
        return False, (
            f"{present or 'Someone else'} was recorded as present, but the episode's therapist "
            f"is {therapist}: record {therapist} as present under set and setting."
        )
    return False, (
        f"In the in-session model the episode's therapist, {therapist}, is present for the "
        "dose: record it under set and setting."
    )


def _day(value: date) -> str:
    return f"{value:%b} {value.day}, {value.year}"
