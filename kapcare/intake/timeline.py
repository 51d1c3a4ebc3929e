"""What the intake app adds to a patient's chart timeline."""

from kapcare.intake.models import ConsultationRequest
from kapcare.patients.timeline import NEWEST, TimelineEvent, TimelineWindow


def consultation_events(patient, window: TimelineWindow = NEWEST) -> list[TimelineEvent]:
    """The day the person first asked the clinic for a call, if they came that way.

    One query whatever the record holds. No link: the chart is also read by the patient,
    who cannot open the front desk's queue.
    """
    received = window.newest(
        ConsultationRequest.objects.filter(patient_id=patient.pk), "created_at"
    ).values_list("created_at", flat=True)
    return [
        TimelineEvent(
            when=created_at,
            title="Asked for a consultation",
            detail="Through the clinic's consultation request form",
            kind="intake",
        )
        for created_at in received
    ]
