"""Practitioner: a person of the clinic (clinician, nurse, coordinator, admin) or an
outside therapist, as named on the records they wrote. Not patient data: a staff member
looks up the people of their clinic; anyone else only themselves."""

from django.db.models import F

from kapcare.accounts.models import User
from kapcare.fhir.resources.base import Source, identifier, staff_users, without_empty


def to_fhir(user: User) -> dict:
    return without_empty(
        {
            "identifier": [identifier(user.external_id)],
            "active": user.is_active,
            "name": [{"text": user.full_name}],
            "qualification": ([{"code": {"text": user.credentials}}] if user.credentials else None),
        }
    )


SOURCE = Source(
    resource_type="Practitioner",
    model=User,
    actions=(),
    to_fhir_data=to_fhir,
    patient_path="",
    last_updated=F("date_joined"),
    visible=staff_users,
)
