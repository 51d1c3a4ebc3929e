"""Patient: kapcare's patient record, with the clinic as its managing organisation."""

from django.db.models import Q

from kapcare import policy
from kapcare.fhir import codes
from kapcare.fhir.resources.base import (
    BadSearch,
    Source,
    identifier,
    reference,
    without_empty,
)
from kapcare.fhir.search import date_filter, external_ids, string_filter
from kapcare.patients.models import Patient, SexAtBirth

# FHIR's administrative gender from the one coded sex kapcare keeps, the sex assigned at
# birth (US Core birth sex codes); "asked but declined" is "unknown" in FHIR's value set.
GENDER = {
    SexAtBirth.FEMALE: "female",
    SexAtBirth.MALE: "male",
    SexAtBirth.UNKNOWN: "unknown",
    SexAtBirth.DECLINED: "unknown",
}


def to_fhir(patient: Patient) -> dict:
    names = [{"use": "official", "family": patient.family_name, "given": [patient.given_name]}]
    if patient.preferred_name:
        names.append({"use": "usual", "given": [patient.preferred_name]})
    telecom = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    address = without_empty(
        {
            "line": [patient.address_line] if patient.address_line else None,
            "city": patient.city,
            "state": patient.state,
            "postalCode": patient.postal_code,
        }
    )
    contact = without_empty(
        {
            "relationship": (
                [{"text": patient.emergency_contact_relationship}]
                if patient.emergency_contact_relationship
                else None
            ),
            "name": (
                {"text": patient.emergency_contact_name} if patient.emergency_contact_name else None
            ),
            "telecom": (
                [{"system": "phone", "value": patient.emergency_contact_phone}]
                if patient.emergency_contact_phone
                else None
            ),
        }
    )
    return without_empty(
        {
            "extension": [{"url": codes.US_CORE_BIRTH_SEX, "valueCode": patient.sex_at_birth}],
            "identifier": [identifier(patient.external_id)],
            "active": True,
            "name": names,
            "telecom": telecom,
            "gender": GENDER.get(patient.sex_at_birth, "unknown"),
            "birthDate": patient.birth_date.isoformat(),
            "address": [address] if address else None,
            "contact": [contact] if contact else None,
            "managingOrganization": reference("Organization", patient.clinic.external_id),
        }
    )


def by_identifier(values: list[str]) -> Q:
    """`identifier=[system|]value`: kapcare's own identifier, the id as a URN."""
    wanted = Q(pk__in=[])
    for value in values:
        for token in value.split(","):
            system, _, code = token.rpartition("|")
            if system not in ("", codes.URI_SYSTEM):
                continue
            ids = external_ids([code.removeprefix("urn:uuid:")], strict=False)
            wanted |= Q(external_id__in=ids)
    return wanted


def by_birthdate(values: list[str]) -> Q:
    try:
        return date_filter("birth_date", values, dates_only=True)
    except BadSearch as error:
        raise BadSearch(f"birthdate: {error}") from error


SOURCE = Source(
    resource_type="Patient",
    model=Patient,
    actions=(policy.Action.VIEW_PATIENT, policy.Action.VIEW_SHARED_RECORD),
    to_fhir_data=to_fhir,
    patient_path="",
    related=("clinic",),
    search={
        "identifier": by_identifier,
        "family": string_filter("family_name"),
        "given": string_filter("given_name"),
        "birthdate": by_birthdate,
    },
)
