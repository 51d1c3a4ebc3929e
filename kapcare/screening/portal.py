"""The health-history card on the patient's portal home."""

from kapcare.screening.models import MedicalScreening


def card_context(request, patient) -> dict:
    """The newest version of the patient's screening, in one query. The portal view has
    already fetched the patient and logged the view."""
    latest = (
        MedicalScreening.objects.filter(patient_id=patient.pk)
        .select_related("completed_by")
        .order_by("-version")
        .first()
    )
    return {"history": latest}
