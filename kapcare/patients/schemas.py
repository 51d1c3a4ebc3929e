"""API schemas for a patient, with fields named as FHIR's Patient resource names them
(`given_name`, `family_name`, `birth_date`; `id` is the opaque external id).

Input fields are taken as plain text and validated by `PatientForm`, the form the web
pages use, so that the API answers with the same messages; the schema forbids unknown
fields and documents formats and required fields for clients.
"""

import uuid
from typing import Annotated

from ninja import ModelSchema, Schema
from pydantic import ConfigDict, WithJsonSchema

from kapcare.patients.models import Patient, SexAtBirth
from kapcare.patients.services import PATIENT_FIELDS

DateText = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
SexAtBirthCode = Annotated[
    str, WithJsonSchema({"type": "string", "enum": [code.value for code in SexAtBirth]})
]
REQUIRED_ON_CREATE = ["given_name", "family_name", "birth_date", "sex_at_birth"]


class PatientOut(ModelSchema):
    id: uuid.UUID
    sex_at_birth: SexAtBirth

    class Meta:
        model = Patient
        fields = [*PATIENT_FIELDS, "created_at", "updated_at"]

    @staticmethod
    def resolve_id(patient: Patient) -> uuid.UUID:
        return patient.external_id


class PatientFields(Schema):
    """The fields a client may send; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    given_name: str | None = None
    family_name: str | None = None
    preferred_name: str | None = None
    birth_date: DateText | None = None
    sex_at_birth: SexAtBirthCode | None = None
    gender_identity: str | None = None
    pronouns: str | None = None
    email: str | None = None
    phone: str | None = None
    address_line: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_relationship: str | None = None
    emergency_contact_phone: str | None = None


class PatientCreate(PatientFields):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"required": REQUIRED_ON_CREATE})


class PatientPatch(PatientFields):
    """Only the fields sent are changed; the others keep their values."""


class PatientPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PatientOut]
