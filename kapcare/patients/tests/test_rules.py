from datetime import date
from decimal import Decimal

import pytest

from kapcare.patients import rules


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(1990, 6, 15), date(2026, 6, 14), 35),
        (date(1990, 6, 15), date(2026, 6, 15), 36),
        (date(2000, 2, 29), date(2026, 2, 28), 25),
        (date(2000, 2, 29), date(2026, 3, 1), 26),
    ],
)
def test_age_counts_completed_years(birth, on, age):
    assert rules.age_on(birth, on) == age


@pytest.mark.parametrize(
    ("value", "unit", "kg"),
    [
        (Decimal("70"), "kg", Decimal("70.0")),
        (Decimal("154"), "lb", Decimal("69.9")),
        (Decimal("220.5"), "lb", Decimal("100.0")),
    ],
)
def test_weight_is_stored_in_kilograms(value, unit, kg):
    assert rules.to_kilograms(value, unit) == kg


@pytest.mark.parametrize(
    ("value", "unit", "cm"),
    [(Decimal("170"), "cm", Decimal("170.0")), (Decimal("69"), "in", Decimal("175.3"))],
)
def test_height_is_stored_in_centimetres(value, unit, cm):
    assert rules.to_centimetres(value, unit) == cm


@pytest.mark.parametrize(
    ("kg", "refused"),
    [
        (Decimal("24.9"), True),
        (Decimal("25"), False),
        (Decimal("350"), False),
        (Decimal("350.1"), True),
    ],
)
def test_implausible_weights_are_refused(kg, refused):
    assert (rules.weight_problem(kg) is not None) == refused


@pytest.mark.parametrize(
    ("cm", "refused"),
    [
        (Decimal("99.9"), True),
        (Decimal("100"), False),
        (Decimal("250"), False),
        (Decimal("251"), True),
    ],
)
def test_implausible_heights_are_refused(cm, refused):
    assert (rules.height_problem(cm) is not None) == refused


@pytest.mark.parametrize(
    ("birth", "problem"),
    [
        (date(2026, 11, 27), "future"),
        (date(1900, 1, 1), "120 years"),
        (date(1980, 5, 5), None),
    ],
)
def test_birth_date_problems_are_named(birth, problem):
    found = rules.birth_date_problem(birth, date(2026, 11, 26))
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_body_mass_index_is_kilograms_over_metres_squared():
    assert rules.body_mass_index(Decimal("70"), Decimal("175")) == Decimal("22.9")
