"""The one NPI and TIN check, as the clinic's settings, the therapist's directory entry and
its form use it."""

import pytest
from django.core.exceptions import ValidationError

from kapcare import identifiers

# (value, has the form of an NPI). 1234567893 is the example NPI CMS publishes.
NPIS = [
    ("1234567893", True),
    ("1987654325", True),
    ("123456789", False),  # nine digits
    ("12345678931", False),  # eleven
    ("123456789O", False),  # a letter O for the zero
    ("123-456-7893", False),
    ("", False),
]

# (value, has the form of a TIN)
TINS = [
    ("12-3456789", True),
    ("123456789", True),
    ("62-0000002", True),
    ("123-45-6789", False),  # an SSN written with its own hyphens
    ("12-345678", False),
    ("12-34567890", False),
    ("1-23456789", False),
    ("AB-3456789", False),
    ("", False),
]


@pytest.mark.parametrize(("value", "expected"), NPIS, ids=[v or "empty" for v, _ in NPIS])
def test_npi_form(value, expected):
    assert identifiers.is_npi(value) is expected


@pytest.mark.parametrize(("value", "expected"), TINS, ids=[v or "empty" for v, _ in TINS])
def test_tin_form(value, expected):
    assert identifiers.is_tin(value) is expected


@pytest.mark.parametrize(
    ("validator", "value", "message"),
    [
        (identifiers.npi_validator, "123", identifiers.NPI_MESSAGE),
        (identifiers.tin_validator, "123", identifiers.TIN_MESSAGE),
        (identifiers.ein_validator, "123", identifiers.EIN_MESSAGE),
    ],
    ids=["npi", "tin", "ein"],
)
def test_validators_say_what_is_wrong(validator, value, message):
    with pytest.raises(ValidationError) as refused:
        validator(value)
    assert refused.value.messages == [message]


def test_every_field_uses_the_shared_check():
    from kapcare.clinics.models import Clinic
    from kapcare.therapists.forms import DirectoryEntryForm
    from kapcare.therapists.models import TherapistProfile

    assert identifiers.npi_validator in Clinic._meta.get_field("npi").validators
    assert identifiers.ein_validator in Clinic._meta.get_field("tin").validators
    assert identifiers.npi_validator in TherapistProfile._meta.get_field("npi").validators
    assert identifiers.tin_validator in TherapistProfile._meta.get_field("tin").validators
    form = DirectoryEntryForm.base_fields
    assert identifiers.npi_validator in form["npi"].validators
    assert identifiers.tin_validator in form["tin"].validators
