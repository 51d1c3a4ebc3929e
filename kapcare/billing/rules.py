"""The money side's rules, as pure functions over plain values (no Django, no ORM).

- Business days and the Good Faith Estimate's deadlines (45 CFR 149.610(b);
  docs/billing-reference.md#when-an-estimate-is-due).
- The code lines of one session: which CPT/HCPCS codes, how many units, and the expected
  charge from the clinic's price list (docs/billing-reference.md#the-code-table).
"""

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import holidays

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# --- Business days ----------------------------------------------------------------------------


@cache
def _federal_holidays(year: int) -> frozenset[dt.date]:
    """The US federal holidays of `year` with their observed days (5 U.S.C. 6103, as the
    `holidays` package keeps them), e.g. a Saturday's Independence Day on the Friday."""
    return frozenset(holidays.country_holidays("US", years=year, observed=True).keys())


def is_business_day(day: dt.date) -> bool:
    """Monday to Friday and not a US federal holiday (the regulation counts business days;
    CMS reads them as federal business days)."""
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def add_business_days(day: dt.date, count: int) -> dt.date:
    """The `count`-th business day after `day` (`day` itself is not counted)."""
    if count < 0:
        raise ValueError("Count forwards only.")
    while count:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


def business_days_between(start: dt.date, end: dt.date) -> int:
    """How many business days come after `start`, up to and including `end` (0 when `end`
    is not after `start`)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            count += 1
    return count


# Whom the rule gives how long (45 CFR 149.610(b)).
SCHEDULED_3_DAYS_AHEAD, SCHEDULED_10_DAYS_AHEAD, REQUESTED = "3+", "10+", "request"


@dataclass(frozen=True)
class EstimateDue:
    due_on: dt.date | None  # None: no estimate is required by the timing rule
    rule: str  # "3+", "10+", "request" or ""
    explanation: str


def estimate_due(
    scheduled_on: dt.date, service_on: dt.date | None, *, requested: bool = False
) -> EstimateDue:
    """When a Good Faith Estimate is due, by 45 CFR 149.610(b):

    - on request: within 3 business days of the request;
    - the service scheduled at least 10 business days ahead: within 3 business days of
      scheduling;
    - at least 3 business days ahead: within 1 business day of scheduling;
    - fewer than 3 business days ahead: the rule sets no deadline (an estimate may still be
      given; the clinic issues one at once).
    """
    if requested:
        return EstimateDue(
            add_business_days(scheduled_on, 3),
            REQUESTED,
            "Requested: due within 3 business days of the request.",
        )
    ahead = business_days_between(scheduled_on, service_on) if service_on else 0
    if ahead >= 10:
        return EstimateDue(
            add_business_days(scheduled_on, 3),
            SCHEDULED_10_DAYS_AHEAD,
            "Scheduled 10 or more business days ahead: due within 3 business days.",
        )
    if ahead >= 3:
        return EstimateDue(
            add_business_days(scheduled_on, 1),
            SCHEDULED_3_DAYS_AHEAD,
            "Scheduled 3 or more business days ahead: due within 1 business day.",
        )
    return EstimateDue(
        None, "", "Scheduled fewer than 3 business days ahead: no deadline under the rule."
    )


# A recurring course may be covered by one estimate for up to 12 months (45 CFR
# 149.610(b), recurring items or services; docs/billing-reference.md#recurring-services).
RECURRING_COVER_MONTHS = 12


def covered_until(issued_on: dt.date, months: int = RECURRING_COVER_MONTHS) -> dt.date:
    """The last day an estimate of a recurring course covers: the day before the same day
    `months` later (the month's last day when it has no such day)."""
    month_index = issued_on.month - 1 + months
    year, month = issued_on.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if issued_on.day > last:  # 29 February: to the 28th
        return dt.date(year, month, last)
    return dt.date(year, month, issued_on.day) - dt.timedelta(days=1)


# --- The code lines of a session ---------------------------------------------------------------

# The keys of the code table: each a service the clinic gives, named as the clinic speaks.
IV_FIRST_HOUR = "iv_infusion_first_hour"
IV_ADDED_HOUR = "iv_infusion_added_hour"
IM_INJECTION = "im_injection"
KETAMINE_DRUG = "ketamine_drug"
ESKETAMINE_UP_TO_56 = "esketamine_up_to_56mg"
ESKETAMINE_OVER_56 = "esketamine_over_56mg"
VISIT_LOW = "office_visit_low"
VISIT_MODERATE = "office_visit_moderate"
MONITORING_FIRST = "psychedelic_monitoring_first"
MONITORING_SECOND = "psychedelic_monitoring_second"
MONITORING_STAFF = "psychedelic_monitoring_staff"
PSYCHOTHERAPY_30 = "psychotherapy_30"
PSYCHOTHERAPY_45 = "psychotherapy_45"
PSYCHOTHERAPY_60 = "psychotherapy_60"

DOSING, CONSULTATION, THERAPY = "dosing", "consultation", "therapy"
IV, IM, SUBLINGUAL, INTRANASAL = "iv", "im", "sublingual", "intranasal"
ESKETAMINE_LOWER_DOSE_MG = 56


@dataclass(frozen=True)
class Session:
    """A planned or completed session, as billing sees it."""

    kind: str  # DOSING, CONSULTATION or THERAPY (preparation or integration)
    minutes: int  # the service's time: the infusion, the visit, the therapy hour
    route: str = ""  # for a dosing session
    drug: str = "ketamine"  # "ketamine" or "esketamine"
    esketamine_mg: int = ESKETAMINE_LOWER_DOSE_MG


@dataclass(frozen=True)
class Code:
    """One current line of the clinic's code table."""

    key: str
    system: str  # "CPT" or "HCPCS"
    code: str
    description: str
    modifiers: str = ""
    ndc: str = ""
    price: Decimal | None = None  # its own price; None: included in the session's price
    is_active: bool = True


@dataclass(frozen=True)
class CodeLine:
    key: str
    system: str
    code: str
    description: str
    modifiers: str
    units: int
    ndc: str
    charge: Decimal  # expected charge, dollars and cents
    note: str = ""


def infusion_added_hours(minutes: int) -> int:
    """Units of 96366 after 96365's first hour: each added hour, and a final part over 30
    minutes (CPT's infusion time rule; docs/billing-reference.md#iv-infusion)."""
    beyond = max(minutes - 60, 0)
    return beyond // 60 + (1 if beyond % 60 > 30 else 0)


def monitoring_hours(minutes: int) -> int:
    """Units of 0820T ("each hour"): whole hours, a last part of more than 30 minutes
    counted as an hour, at least one."""
    return max(minutes // 60 + (1 if minutes % 60 > 30 else 0), 1)


def psychotherapy_key(minutes: int) -> str:
    """90832 (16–37 min), 90834 (38–52 min), 90837 (53 min or more): CPT's time bands."""
    if minutes >= 53:
        return PSYCHOTHERAPY_60
    if minutes >= 38:
        return PSYCHOTHERAPY_45
    return PSYCHOTHERAPY_30


ESKETAMINE_STARTING_DOSE_MG = 56


def esketamine_course(
    planned_doses: int, planned_mg: int | None, *, started_before: bool
) -> list[tuple[int, int]]:
    """(mg, sessions) of an esketamine course as an estimate counts it, to code each
    session G2082 (up to 56 mg) or G2083 (more than 56 mg;
    docs/billing-reference.md#esketamine-by-planned-dose): the first treatment of a patient
    never given esketamine is 56 mg (Spravato label, induction: "Day 1 starting dose:
    56 mg"), the others the episode's planned dose (56 mg when none is planned)."""
    if planned_doses < 1:
        return []
    dose = planned_mg or ESKETAMINE_STARTING_DOSE_MG
    if started_before or dose == ESKETAMINE_STARTING_DOSE_MG:
        return [(dose, planned_doses)]
    course = [(ESKETAMINE_STARTING_DOSE_MG, 1)]
    return course + ([(dose, planned_doses - 1)] if planned_doses > 1 else [])


def _service_keys(session: Session) -> list[tuple[str, int]]:
    """(code key, units), the primary service first."""
    if session.kind == CONSULTATION:
        # 2021 E/M by time: 99214 from 30 minutes, 99213 from 20.
        return [(VISIT_MODERATE if session.minutes >= 30 else VISIT_LOW, 1)]
    if session.kind == THERAPY:
        return [(psychotherapy_key(session.minutes), 1)]
    if session.kind != DOSING:
        raise ValueError(f"Unknown session kind {session.kind!r}.")
    if session.drug == "esketamine" or session.route == INTRANASAL:
        lower = session.esketamine_mg <= ESKETAMINE_LOWER_DOSE_MG
        return [(ESKETAMINE_UP_TO_56 if lower else ESKETAMINE_OVER_56, 1)]
    monitoring = [(MONITORING_FIRST, monitoring_hours(session.minutes))]
    if session.route == IV:
        added = infusion_added_hours(session.minutes)
        lines = [(IV_FIRST_HOUR, 1)] + ([(IV_ADDED_HOUR, added)] if added else [])
        return [*lines, (KETAMINE_DRUG, 1), *monitoring]
    if session.route == IM:
        return [(IM_INJECTION, 1), (KETAMINE_DRUG, 1), *monitoring]
    if session.route == SUBLINGUAL:
        return [*monitoring, (KETAMINE_DRUG, 1)]
    raise ValueError(f"Unknown route {session.route!r}.")


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def code_lines(
    session: Session, codes: Mapping[str, Code], session_price: Decimal | None
) -> list[CodeLine]:
    """The code lines of `session` with their expected charges.

    `codes` is the clinic's current code table by key; a line whose code is missing or
    switched off (monitoring codes are off unless the clinic uses them) is left out.
    `session_price` is the clinic's price for the whole session (the dosing price of its
    route, the therapist's fee, the consultation's price): it is charged on the first line
    kept, and the other lines are "included" at $0.00 unless their code carries a price
    of its own (charged per unit). A session whose price is not known has every line at
    the codes' own prices, and says so.
    """
    lines: list[CodeLine] = []
    for key, units in _service_keys(session):
        code = codes.get(key)
        if code is None or not code.is_active:
            continue
        if not lines and session_price is not None:
            charge, note = money(session_price), "The session's price."
        elif code.price is not None:
            charge, note = money(code.price * units), ""
        else:
            charge = ZERO
            note = (
                "Included in the session's price."
                if session_price is not None
                else "Price not on the price list."
            )
        lines.append(
            CodeLine(
                key=key,
                system=code.system,
                code=code.code,
                description=code.description,
                modifiers=code.modifiers,
                units=units,
                ndc=code.ndc,
                charge=charge,
                note=note,
            )
        )
    return lines
