"""MedicationAdministration: the dose given in a dosing session, ketamine or esketamine in
RxNorm, the route in SNOMED CT (docs/clinical-reference.md#rxnorm, #snomed-ct-routes).
Only doses that were started are administrations; a prescribed dose not yet given is not.
Part of the dosing record: clinic staff only (the therapist's session summary gives no
exact dose; docs/clinical-reference.md#session-summary-for-the-therapist)."""

from django.db.models import Q

from kapcare import policy
from kapcare.dosing.models import DosingRecord, Drug
from kapcare.episodes.models import ROUTE_SNOMED, DoseRoute
from kapcare.fhir import codes
from kapcare.fhir.resources.base import (
    Source,
    concept,
    instant,
    patient_reference,
    practitioner_reference,
    reference,
    without_empty,
)


def dosage(record: DosingRecord) -> dict:
    route = (
        concept(
            codes.SNOMED_CT, ROUTE_SNOMED[DoseRoute(record.route)], DoseRoute(record.route).label
        )
        if record.route
        else None
    )
    dose = (
        {"value": float(record.dose_mg), "unit": "mg", "system": codes.UCUM, "code": "mg"}
        if record.dose_mg is not None
        else None
    )
    return without_empty({"route": route, "dose": dose})


def to_fhir(record: DosingRecord) -> dict:
    code, display = codes.DRUG_RXNORM[record.drug]
    finished = record.dose_ended_at is not None or record.discharged_at is not None
    performer = practitioner_reference(record.confirmed_by or record.prescribed_by)
    return without_empty(
        {
            "status": "completed" if finished else "in-progress",
            "medicationCodeableConcept": concept(codes.RXNORM, code, display)
            | {"text": Drug(record.drug).label},
            "subject": patient_reference(record.patient),
            "context": reference("Encounter", record.session.external_id),
            "effectivePeriod": without_empty(
                {"start": instant(record.dose_started_at), "end": instant(record.dose_ended_at)}
            ),
            "performer": [{"actor": performer}] if performer else None,
            "dosage": dosage(record) or None,
        }
    )


SOURCE = Source(
    resource_type="MedicationAdministration",
    model=DosingRecord,
    actions=(policy.Action.VIEW_DOSING_RECORD,),
    to_fhir_data=to_fhir,
    related=("patient", "session", "confirmed_by", "prescribed_by"),
    base=Q(dose_started_at__isnull=False),
)
