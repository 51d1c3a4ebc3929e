"""The clinic's DEA registration number (kapcare/clinics/dea_numbers.py): no database."""

import pytest

from kapcare.clinics.dea_numbers import dea_number_problem

SHAPE = "A DEA registration number is two letters and seven digits, e.g. AB1234563."
CHECK = "This DEA registration number's check digit does not match: check it."


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("AB1234563", None),
        ("ab1234563", None),
        ("BC7654329", None),
        ("M91234563", None),
        ("AB1234564", CHECK),
        ("AB123456", SHAPE),
        ("A11234563", SHAPE),
        ("AB12345634", SHAPE),
        ("", SHAPE),
    ],
)
def test_a_dea_number_is_two_letters_and_seven_digits_with_its_check_digit(number, problem):
    assert dea_number_problem(number) == problem
