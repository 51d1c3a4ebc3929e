"""The DEA records' pure rules (kapcare/dosing/substances/inventory/rules.py): no database."""

import datetime as dt
from decimal import Decimal as D

import pytest

from kapcare.dosing.substances.inventory.rules import (
    CountLine,
    add_years,
    business_days_after,
    form_106_by,
    next_biennial_due,
    notify_dea_by,
    parse_strength,
    reconcile_count,
)

MONDAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("text", "shown", "units_of_100_mg"),
    [
        ("50 mg/mL", "50 mg/mL", "2.00 mL"),
        ("50mg/ml", "50 mg/mL", "2.00 mL"),
        ("500 mg/10 mL", "500 mg/10 mL", "2.00 mL"),
        ("100 mg/mL", "100 mg/mL", "1.00 mL"),
        ("100 mg/troche", "100 mg/troche", "1.00 troche"),
        ("28 mg/device", "28 mg/device", "3.57 device"),
        ("12.5 mg/0.5 mL", "12.5 mg/0.5 mL", "4.00 mL"),
    ],
)
def test_a_strength_reads_as_mg_per_unit_of_the_form(text, shown, units_of_100_mg):
    strength = parse_strength(text)

    assert str(strength) == shown
    assert f"{strength.units_of(D(100))} {strength.unit}" == units_of_100_mg


@pytest.mark.parametrize("text", ["", "50", "50 mg", "mg/mL", "0 mg/mL", "50 mg/0 mL", "5 g/mL"])
def test_what_is_not_a_strength_is_refused(text):
    assert parse_strength(text) is None


@pytest.mark.parametrize(
    ("last", "due"),
    [
        (None, None),
        (dt.date(2026, 12, 7), dt.date(2028, 12, 7)),
        (dt.date(2028, 2, 29), dt.date(2030, 2, 28)),
        (dt.date(2026, 1, 1), dt.date(2028, 1, 1)),
    ],
)
def test_the_next_biennial_inventory_is_due_two_years_after_the_last(last, due):
    assert next_biennial_due(last) == due


def test_a_leap_day_moves_back_never_later():
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)


@pytest.mark.parametrize(
    ("discovered", "notify_by"),
    [
        (MONDAY, MONDAY + dt.timedelta(days=1)),
        (MONDAY + dt.timedelta(days=3), MONDAY + dt.timedelta(days=4)),  # Thursday → Friday
        (MONDAY + dt.timedelta(days=4), MONDAY + dt.timedelta(days=7)),  # Friday → Monday
        (MONDAY + dt.timedelta(days=5), MONDAY + dt.timedelta(days=7)),  # Saturday → Monday
        (MONDAY + dt.timedelta(days=6), MONDAY + dt.timedelta(days=7)),  # Sunday → Monday
    ],
)
def test_the_dea_is_notified_within_one_business_day(discovered, notify_by):
    assert notify_dea_by(discovered) == notify_by


def test_form_106_follows_within_45_days():
    assert form_106_by(MONDAY) == MONDAY + dt.timedelta(days=45)


def test_business_days_skip_weekends():
    assert business_days_after(MONDAY, 5) == MONDAY + dt.timedelta(days=7)


@pytest.mark.parametrize(
    ("expected", "counted", "lines"),
    [
        ({"A": D(100)}, {"A": D(100)}, [("A", D(100), D(100), None)]),
        (
            {"A": D(100)},
            {"A": D("97.5")},
            [
                (
                    "A",
                    D(100),
                    D("97.5"),
                    "Lot A: 97.5 mg counted, the register shows 100 mg: 2.5 mg less than "
                    "the register.",
                )
            ],
        ),
        (
            {"A": D(100)},
            {},
            [
                (
                    "A",
                    D(100),
                    D(0),
                    "Lot A: 0 mg counted, the register shows 100 mg: 100 mg "
                    "less than the register.",
                )
            ],
        ),
        (
            {},
            {"B": D(5)},
            [
                (
                    "B",
                    D(0),
                    D(5),
                    "Lot B: 5 mg counted, the register shows 0 mg: 5 mg more than the register.",
                )
            ],
        ),
        (
            {"B": D(1), "A": D(2)},
            {"A": D(2), "B": D(1)},
            [("A", D(2), D(2), None), ("B", D(1), D(1), None)],
        ),
    ],
)
def test_a_count_is_compared_with_the_register_lot_by_lot(expected, counted, lines):
    result = reconcile_count(expected, counted)

    assert [
        (line.lot_number, line.expected_mg, line.counted_mg, line.discrepancy) for line in result
    ] == lines


def test_a_count_line_knows_its_difference():
    line = CountLine("A", expected_mg=D(10), counted_mg=D(7))

    assert (line.difference_mg, line.is_discrepancy) == (D(-3), True)
