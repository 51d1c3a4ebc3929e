"""The clinic's DEA registration number, checked as the DEA forms it: a pure function, no
Django (docs/clinical-reference.md#dea-records)."""

import re

# The first letter of a DEA registration number names the kind of registrant (DEA
# Diversion Control: A, B, F, G practitioners and hospitals; M mid-level practitioners;
# the others distributors, researchers, manufacturers...).
_DEA_NUMBER = re.compile(r"^[A-Z][A-Z9]\d{7}$")


def dea_number_problem(number: str) -> str | None:
    """Why `number` is not a DEA registration number, in words; None when it is: two
    letters then seven digits whose last is the check digit (the sum of the 1st, 3rd and
    5th digits plus twice the sum of the 2nd, 4th and 6th ends in the 7th)."""
    number = (number or "").strip().upper()
    if not _DEA_NUMBER.match(number):
        return "A DEA registration number is two letters and seven digits, e.g. AB1234563."
    digits = [int(c) for c in number[2:]]
    total = digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])
    if total % 10 != digits[6]:
        return "This DEA registration number's check digit does not match: check it."
    return None
