"""The money side's pure rules, table by table: business days with weekends and US federal
holidays, the Good Faith Estimate's deadlines, a recurring course's cover, and the code
lines of a session. Dates are built from next year's calendar (never written out), so the
tables hold on any day the suite runs."""

import calendar
import datetime as dt
from decimal import Decimal

import pytest

from kapcare.billing import codes as defaults
from kapcare.billing import rules
from tests.clock import today

YEAR = today().year + 1
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The `n`-th `weekday` of the month (n = -1: the last)."""
    days = [
        dt.date(year, month, day)
        for day in range(1, calendar.monthrange(year, month)[1] + 1)
        if dt.date(year, month, day).weekday() == weekday
    ]
    return days[n - 1] if n > 0 else days[n]


def next_monday(year: int) -> dt.date:
    day = dt.date(year, 3, 2)
    return day + dt.timedelta(days=(MON - day.weekday()) % 7)


def year_with_july_4_on(weekday: int) -> int:
    return next(year for year in range(YEAR, YEAR + 12) if dt.date(year, 7, 4).weekday() == weekday)


MONDAY = next_monday(YEAR)  # an ordinary week in March: no federal holiday
THANKSGIVING = nth_weekday(YEAR, 11, THU, 4)
MLK_DAY = nth_weekday(YEAR, 1, MON, 3)
MEMORIAL_DAY = nth_weekday(YEAR, 5, MON, -1)
LABOR_DAY = nth_weekday(YEAR, 9, MON, 1)
SATURDAY_FOURTH = dt.date(year_with_july_4_on(SAT), 7, 4)  # observed on Friday the 3rd
SUNDAY_FOURTH = dt.date(year_with_july_4_on(SUN), 7, 4)  # observed on Monday the 5th
DAY = dt.timedelta(days=1)

ADD_BUSINESS_DAYS = [
    # (why, start, count, expected)
    ("next weekday", MONDAY, 1, MONDAY + DAY),
    ("Friday to Monday", MONDAY + 4 * DAY, 1, MONDAY + 7 * DAY),
    ("from a Saturday", MONDAY + 5 * DAY, 1, MONDAY + 7 * DAY),
    ("from a Sunday", MONDAY + 6 * DAY, 1, MONDAY + 7 * DAY),
    ("three across a weekend", MONDAY + 4 * DAY, 3, MONDAY + 9 * DAY),
    ("ten is two weeks", MONDAY, 10, MONDAY + 14 * DAY),
    ("zero is the same day", MONDAY, 0, MONDAY),
    ("over Thanksgiving", THANKSGIVING - DAY, 1, THANKSGIVING + DAY),
    ("over Martin Luther King Jr. Day", MLK_DAY - 3 * DAY, 1, MLK_DAY + DAY),
    ("over Memorial Day", MEMORIAL_DAY - 3 * DAY, 1, MEMORIAL_DAY + DAY),
    ("three over Labor Day", LABOR_DAY - 3 * DAY, 3, LABOR_DAY + 3 * DAY),
    (
        "a Saturday's holiday is observed on Friday",
        SATURDAY_FOURTH - 2 * DAY,
        1,
        SATURDAY_FOURTH + 2 * DAY,
    ),
    (
        "a Sunday's holiday is observed on Monday",
        SUNDAY_FOURTH - 2 * DAY,
        1,
        SUNDAY_FOURTH + 2 * DAY,
    ),
]


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [row[1:] for row in ADD_BUSINESS_DAYS],
    ids=[row[0] for row in ADD_BUSINESS_DAYS],
)
def test_add_business_days(start, count, expected):
    assert rules.add_business_days(start, count) == expected


@pytest.mark.parametrize(
    ("day", "is_business"),
    [
        (MONDAY, True),
        (MONDAY + 5 * DAY, False),
        (THANKSGIVING, False),
        (THANKSGIVING + DAY, True),
        (dt.date(YEAR, 6, 19) if dt.date(YEAR, 6, 19).weekday() < 5 else MONDAY - DAY, False),
        (nth_weekday(YEAR, 10, MON, 2), False),  # Columbus Day
        (SATURDAY_FOURTH - DAY, False),
        (SUNDAY_FOURTH + DAY, False),
    ],
)
def test_is_business_day(day, is_business):
    assert rules.is_business_day(day) is is_business


def test_counting_backwards_is_refused():
    with pytest.raises(ValueError, match="forwards"):
        rules.add_business_days(MONDAY, -1)


ESTIMATE_DUE = [
    # (why, scheduled on, service on, requested, due on, rule)
    ("requested: 3 business days", MONDAY, None, True, MONDAY + 3 * DAY, rules.REQUESTED),
    ("requested from a Friday", MONDAY + 4 * DAY, None, True, MONDAY + 9 * DAY, rules.REQUESTED),
    ("10 business days ahead: 3", MONDAY, MONDAY + 14 * DAY, False, MONDAY + 3 * DAY, "10+"),
    ("9 business days ahead: 1", MONDAY, MONDAY + 11 * DAY, False, MONDAY + DAY, "3+"),
    ("3 business days ahead: 1", MONDAY, MONDAY + 3 * DAY, False, MONDAY + DAY, "3+"),
    ("2 business days ahead: none", MONDAY, MONDAY + 2 * DAY, False, None, ""),
    ("over a weekend, 2 business days", MONDAY + 3 * DAY, MONDAY + 7 * DAY, False, None, ""),
    ("from a Friday, 3 ahead", MONDAY + 4 * DAY, MONDAY + 9 * DAY, False, MONDAY + 7 * DAY, "3+"),
    ("nothing booked yet", MONDAY, None, False, None, ""),
    (
        "Thanksgiving does not count",
        THANKSGIVING - DAY,
        THANKSGIVING + 2 * DAY + 2 * DAY,
        False,
        None,
        "",
    ),
]


@pytest.mark.parametrize(
    ("scheduled_on", "service_on", "requested", "due_on", "rule"),
    [row[1:] for row in ESTIMATE_DUE],
    ids=[row[0] for row in ESTIMATE_DUE],
)
def test_estimate_due(scheduled_on, service_on, requested, due_on, rule):
    due = rules.estimate_due(scheduled_on, service_on, requested=requested)

    assert (due.due_on, due.rule) == (due_on, rule)


def next_leap_year() -> int:
    return next(year for year in range(YEAR, YEAR + 8) if calendar.isleap(year))


@pytest.mark.parametrize(
    ("issued_on", "until"),
    [
        (dt.date(YEAR, 1, 15), dt.date(YEAR + 1, 1, 14)),
        (dt.date(YEAR, 4, 1), dt.date(YEAR + 1, 3, 31)),
        (dt.date(YEAR, 12, 31), dt.date(YEAR + 1, 12, 30)),
        (dt.date(next_leap_year(), 2, 29), dt.date(next_leap_year() + 1, 2, 28)),
    ],
)
def test_an_estimate_covers_a_recurring_course_for_12_months(issued_on, until):
    assert rules.covered_until(issued_on) == until


# --- Code lines ---------------------------------------------------------------------------------


def table(**overrides) -> dict[str, rules.Code]:
    """The default code table as plain values; `overrides` by key: a dict of changes."""
    codes = {
        key: rules.Code(key, system, code, description, modifiers, "", None, is_active)
        for key, system, code, description, modifiers, is_active, _ in defaults.DEFAULT_CODES
    }
    for key, changes in overrides.items():
        codes[key] = rules.Code(**{**codes[key].__dict__, **changes})
    return codes


PRICE = Decimal("475.00")
ON = {"is_active": True}

CODE_LINES = [
    # (why, session, codes, session price, expected [(code, units, charge)])
    (
        "IV, 40 minutes",
        rules.Session(rules.DOSING, 40, rules.IV),
        table(),
        PRICE,
        [("96365", 1, "475.00"), ("J3490", 1, "0.00")],
    ),
    (
        "IV, 100 minutes: one added hour",
        rules.Session(rules.DOSING, 100, rules.IV),
        table(),
        PRICE,
        [("96365", 1, "475.00"), ("96366", 1, "0.00"), ("J3490", 1, "0.00")],
    ),
    (
        "IV, 90 minutes: 30 beyond the hour is not an added hour",
        rules.Session(rules.DOSING, 90, rules.IV),
        table(),
        PRICE,
        [("96365", 1, "475.00"), ("J3490", 1, "0.00")],
    ),
    (
        "IV, 151 minutes: two added hours",
        rules.Session(rules.DOSING, 151, rules.IV),
        table(),
        PRICE,
        [("96365", 1, "475.00"), ("96366", 2, "0.00"), ("J3490", 1, "0.00")],
    ),
    (
        "IM with monitoring in use",
        rules.Session(rules.DOSING, 100, rules.IM),
        table(psychedelic_monitoring_first=ON),
        PRICE,
        [("96372", 1, "475.00"), ("J3490", 1, "0.00"), ("0820T", 2, "0.00")],
    ),
    (
        "sublingual, monitoring off: the drug carries the price",
        rules.Session(rules.DOSING, 120, rules.SUBLINGUAL),
        table(),
        PRICE,
        [("J3490", 1, "475.00")],
    ),
    (
        "sublingual, monitoring on: 0820T first",
        rules.Session(rules.DOSING, 120, rules.SUBLINGUAL),
        table(psychedelic_monitoring_first=ON),
        PRICE,
        [("0820T", 2, "475.00"), ("J3490", 1, "0.00")],
    ),
    (
        "esketamine 56 mg",
        rules.Session(rules.DOSING, 120, rules.INTRANASAL, "esketamine", 56),
        table(),
        PRICE,
        [("G2082", 1, "475.00")],
    ),
    (
        "esketamine 84 mg",
        rules.Session(rules.DOSING, 120, rules.INTRANASAL, "esketamine", 84),
        table(),
        PRICE,
        [("G2083", 1, "475.00")],
    ),
    (
        "consultation, 25 minutes, its own price",
        rules.Session(rules.CONSULTATION, 25),
        table(office_visit_low={"price": Decimal("150")}),
        None,
        [("99213", 1, "150.00")],
    ),
    (
        "consultation, 30 minutes",
        rules.Session(rules.CONSULTATION, 30),
        table(),
        Decimal("200"),
        [("99214", 1, "200.00")],
    ),
    (
        "therapy, 50 minutes",
        rules.Session(rules.THERAPY, 50),
        table(),
        Decimal("150"),
        [("90834", 1, "150.00")],
    ),
    (
        "therapy, 53 minutes",
        rules.Session(rules.THERAPY, 53),
        table(),
        Decimal("150"),
        [("90837", 1, "150.00")],
    ),
    (
        "therapy, 30 minutes",
        rules.Session(rules.THERAPY, 30),
        table(),
        Decimal("90"),
        [("90832", 1, "90.00")],
    ),
    (
        "price unknown: nothing invented",
        rules.Session(rules.THERAPY, 50),
        table(),
        None,
        [("90834", 1, "0.00")],
    ),
    (
        "a line with its own price is added to the session's",
        rules.Session(rules.DOSING, 40, rules.IM),
        table(ketamine_drug={"price": Decimal("12.50"), "ndc": "0409-2051-05"}),
        PRICE,
        [("96372", 1, "475.00"), ("J3490", 1, "12.50")],
    ),
    (
        "a line switched off is left out",
        rules.Session(rules.DOSING, 40, rules.IV),
        table(ketamine_drug={"is_active": False}),
        PRICE,
        [("96365", 1, "475.00")],
    ),
]


@pytest.mark.parametrize(
    ("session", "codes", "price", "expected"),
    [row[1:] for row in CODE_LINES],
    ids=[row[0] for row in CODE_LINES],
)
def test_code_lines(session, codes, price, expected):
    lines = rules.code_lines(session, codes, price)

    assert [(line.code, line.units, f"{line.charge}") for line in lines] == expected


def test_a_drug_line_carries_its_ndc():
    codes = table(ketamine_drug={"ndc": "0409-2051-05"})

    lines = rules.code_lines(rules.Session(rules.DOSING, 40, rules.IV), codes, PRICE)

    assert lines[-1].ndc == "0409-2051-05"


def test_an_unknown_route_is_refused():
    with pytest.raises(ValueError, match="Unknown route"):
        rules.code_lines(rules.Session(rules.DOSING, 40, "oral"), table(), PRICE)


# --- Esketamine by planned dose (docs/billing-reference.md#esketamine-by-planned-dose) --------


@pytest.mark.parametrize(
    ("doses", "planned_mg", "started_before", "course"),
    [
        (8, None, False, [(56, 8)]),
        (8, 56, False, [(56, 8)]),
        (8, 84, False, [(56, 1), (84, 7)]),
        (8, 84, True, [(84, 8)]),
        (1, 84, False, [(56, 1)]),
        (1, 84, True, [(84, 1)]),
        (0, 84, False, []),
    ],
    ids=[
        "none-planned-is-56",
        "56-throughout",
        "84-after-the-starting-56",
        "84-for-a-patient-already-started",
        "a-single-first-treatment-is-56",
        "a-single-later-treatment-at-84",
        "no-doses",
    ],
)
def test_an_esketamine_course_is_counted_by_dose(doses, planned_mg, started_before, course):
    assert rules.esketamine_course(doses, planned_mg, started_before=started_before) == course


@pytest.mark.parametrize(
    ("mg", "code"),
    [(28, "G2082"), (56, "G2082"), (57, "G2083"), (84, "G2083")],
    ids=["28", "56", "57", "84"],
)
def test_esketamine_is_g2082_up_to_56_mg_and_g2083_above(mg, code):
    session = rules.Session(rules.DOSING, 120, rules.INTRANASAL, "esketamine", mg)

    [line] = rules.code_lines(session, table(), PRICE)

    assert line.code == code
