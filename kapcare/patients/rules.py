"""Pure rules about patients' demographic and body data. No Django imports."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

POUNDS_PER_KILOGRAM = Decimal("2.20462262")
CENTIMETRES_PER_INCH = Decimal("2.54")

# Plausibility limits for what a person can weigh or measure; they catch typing slips
# (e.g. 1800 for 180), not clinical judgement. Adults from the WHO growth references'
# extremes, rounded outward.
WEIGHT_KG_RANGE = (Decimal("25"), Decimal("350"))
HEIGHT_CM_RANGE = (Decimal("100"), Decimal("250"))
OLDEST_AGE_YEARS = 120


def to_kilograms(value: Decimal, unit: str) -> Decimal:
    """Weight in kg, to one decimal, from kg or lb."""
    kg = value / POUNDS_PER_KILOGRAM if unit == "lb" else value
    return kg.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def to_centimetres(value: Decimal, unit: str) -> Decimal:
    """Height in cm, to one decimal, from cm or inches."""
    cm = value * CENTIMETRES_PER_INCH if unit == "in" else value
    return cm.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def age_on(birth_date: date, on: date) -> int:
    """Completed years of age on a given day."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(before_birthday)


def birth_date_problem(birth_date: date, today: date) -> str | None:
    """Why a date of birth cannot be right, or None."""
    if birth_date > today:
        return "Date of birth cannot be in the future."
    if age_on(birth_date, today) > OLDEST_AGE_YEARS:
        return f"Date of birth is more than {OLDEST_AGE_YEARS} years ago; check the year."
    return None


def weight_problem(kg: Decimal) -> str | None:
    low, high = WEIGHT_KG_RANGE
    if not low <= kg <= high:
        return f"Weight must be between {low} and {high} kg; check the number and the unit."
    return None


def height_problem(cm: Decimal) -> str | None:
    low, high = HEIGHT_CM_RANGE
    if not low <= cm <= high:
        return f"Height must be between {low} and {high} cm; check the number and the unit."
    return None


def body_mass_index(kg: Decimal, cm: Decimal) -> Decimal:
    """BMI in kg/m², to one decimal."""
    metres = cm / Decimal(100)
    return (kg / (metres * metres)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# A record number as staff read it: the prefix and six digits ("KC-004217"); a clinic past
# 999,999 patients gets more digits.
RECORD_PREFIX = "KC-"
RECORD_DIGITS = 6


def record_id(number: int) -> str:
    """The record number `number` as shown: "KC-004217"."""
    return f"{RECORD_PREFIX}{number:0{RECORD_DIGITS}d}"


def parse_record_id(text: str) -> int | None:
    """The number of a record id as typed — "KC-004217", "kc004217", "KC 4217" — or None
    when `text` is not one (bare digits are a phone number's, not a record id)."""
    cleaned = text.strip().upper().replace(" ", "").replace("-", "")
    prefix = RECORD_PREFIX.replace("-", "")
    if not cleaned.startswith(prefix):
        return None
    digits = cleaned[len(prefix) :]
    if not digits.isdigit() or not digits.isascii() or len(digits) > 9:
        return None
    number = int(digits)
    return number or None
