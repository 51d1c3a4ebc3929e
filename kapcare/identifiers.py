"""The provider identifiers printed on Good Faith Estimates (45 CFR 149.610(c);
docs/billing-reference.md#providers): the National Provider Identifier and the Taxpayer
Identification Number, as the clinic and each therapist enter them.

One pattern and one message for each, used by the clinic's settings, the therapist's
directory entry and its forms. The checks are of form only: an NPI is 10 digits and a TIN 9
digits, with or without the hyphen after the first two (12-3456789). The NPI's check digit
(Luhn, with the 80840 prefix) is not checked here.
"""

from django.core.validators import RegexValidator

NPI_PATTERN = r"^\d{10}$"
NPI_MESSAGE = "An NPI is 10 digits."
NPI_MAX_LENGTH = 10

TIN_PATTERN = r"^\d{2}-?\d{7}$"
TIN_MESSAGE = "A TIN is 9 digits, e.g. 12-3456789."
# A clinic's TIN is its Employer Identification Number.
EIN_MESSAGE = "A TIN (EIN) is 9 digits, e.g. 12-3456789."
TIN_MAX_LENGTH = 10

npi_validator = RegexValidator(NPI_PATTERN, NPI_MESSAGE)
tin_validator = RegexValidator(TIN_PATTERN, TIN_MESSAGE)
ein_validator = RegexValidator(TIN_PATTERN, EIN_MESSAGE)


def is_npi(value: str) -> bool:
    """Whether `value` has the form of an NPI."""
    return npi_validator.regex.search(value) is not None


def is_tin(value: str) -> bool:
    """Whether `value` has the form of a TIN (an EIN or SSN, hyphen after two digits or none)."""
    return tin_validator.regex.search(value) is not None
