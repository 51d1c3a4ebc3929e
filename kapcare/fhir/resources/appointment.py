"""Appointment: a booked block of the clinic's calendar for a patient (rooms and clinician
blocks without a patient are not about anyone, and not served)."""

from django.db.models import Q
from django.db.models.functions import Coalesce

from kapcare import policy
from kapcare.fhir.resources.base import (
    Source,
    instant,
    patient_reference,
    practitioner_reference,
    without_empty,
)
from kapcare.scheduling.models import Appointment, AppointmentStatus

STATUS = {AppointmentStatus.BOOKED: "booked", AppointmentStatus.CANCELLED: "cancelled"}


def to_fhir(appointment: Appointment) -> dict:
    participants = [{"actor": patient_reference(appointment.patient), "status": "accepted"}]
    if appointment.clinician is not None:
        participants.append(
            {"actor": practitioner_reference(appointment.clinician), "status": "accepted"}
        )
    return without_empty(
        {
            "status": STATUS[appointment.status],
            "description": appointment.purpose,
            "start": instant(appointment.starts_at),
            "end": instant(appointment.ends_at),
            "created": appointment.booked_at.date().isoformat(),
            "participant": participants,
        }
    )


SOURCE = Source(
    resource_type="Appointment",
    model=Appointment,
    actions=(policy.Action.VIEW_SCHEDULE,),
    to_fhir_data=to_fhir,
    last_updated=Coalesce("cancelled_at", "booked_at"),
    related=("patient", "clinician"),
    base=Q(patient__isnull=False),
)
