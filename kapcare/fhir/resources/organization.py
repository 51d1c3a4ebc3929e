"""Organization: the clinic. Open to its staff and to the patients it treats."""

from django.db.models import Q

from kapcare import policy
from kapcare.clinics.models import Clinic
from kapcare.fhir.resources.base import Source, identifier, without_empty


def to_fhir(clinic: Clinic) -> dict:
    telecom = []
    if clinic.phone:
        telecom.append({"system": "phone", "value": clinic.phone})
    if clinic.email:
        telecom.append({"system": "email", "value": clinic.email})
    return without_empty(
        {
            "identifier": [identifier(clinic.external_id)],
            "active": True,
            "type": [{"text": "Ketamine clinic"}],
            "name": clinic.name,
            "telecom": telecom,
        }
    )


def visible(user):
    own = Q(pk=user.clinic_id) if getattr(user, "clinic_id", None) else Q(pk__in=[])
    treating = Q(pk__in=policy.visible_patients(user).values("clinic_id"))
    return Clinic.objects.filter(own | treating)


SOURCE = Source(
    resource_type="Organization",
    model=Clinic,
    actions=(),
    to_fhir_data=to_fhir,
    patient_path="",
    visible=visible,
)
