"""API schemas for a patient, with fields named as FHIR's Patient resource names them
(`given_name`, `family_name`, `birth_date`; `id` is the opaque external id).

Input fields are taken as plain text and validated by `PatientForm`, the form the web
pages use, so that the API answers with the same messages; the schema forbids unknown
fields and documents formats and required fields for clients.
"""

import uuid
from typing import Annotated

from ninja import ModelSchema
from pydantic import WithJsonSchema

from kapcare.api_schemas import InputSchema, Page
from kapcare.patients.models import Patient, SexAtBirth
from kapcare.patients.services import PATIENT_FIELDS
from kapcare.text import model_text

DateText = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
SexAtBirthCode = Annotated[
    str, WithJsonSchema({"type": "string", "enum": [code.value for code in SexAtBirth]})
]


class PatientOut(ModelSchema):
    id: uuid.UUID
    sex_at_birth: SexAtBirth

    class Meta:
        model = Patient
        fields = [*PATIENT_FIELDS, "created_at", "updated_at"]

    @staticmethod
    def resolve_id(patient: Patient) -> uuid.UUID:
        return patient.external_id


def _text(field_name: str):
    return model_text(Patient, field_name) | None


class PatientFields(InputSchema):
    """The fields a client may send; unknown fields are refused. Each text is no longer
    than its column, as the form says."""

    given_name: _text("given_name") = None
    family_name: _text("family_name") = None
    preferred_name: _text("preferred_name") = None
    birth_date: DateText | None = None
    sex_at_birth: SexAtBirthCode | None = None
    gender_identity: _text("gender_identity") = None
    pronouns: _text("pronouns") = None
    email: _text("email") = None
    phone: _text("phone") = None
    address_line: _text("address_line") = None
    city: _text("city") = None
    state: _text("state") = None
    postal_code: _text("postal_code") = None
    emergency_contact_name: _text("emergency_contact_name") = None
    emergency_contact_relationship: _text("emergency_contact_relationship") = None
    emergency_contact_phone: _text("emergency_contact_phone") = None


class PatientCreate(PatientFields):
    """The required fields are given, and not null."""

    given_name: _text("given_name")
    family_name: _text("family_name")
    birth_date: DateText
    sex_at_birth: SexAtBirthCode


class PatientPatch(PatientFields):
    """Only the fields sent are changed; the others keep their values."""


class PatientPage(Page):
    items: list[PatientOut]
