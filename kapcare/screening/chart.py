"""The screening section of the patient chart: eligibility status, what the latest
screening found, and links to the screening pages for those allowed."""

from django.utils import timezone

from kapcare import policy
from kapcare.policy import Action
from kapcare.screening import status


def chart_context(request, patient) -> dict:
    """The section's context in at most six queries, whatever the record holds."""
    screening = status.latest_screening(patient)
    return {
        "patient": patient,
        "eligibility": status.eligibility_for(patient, timezone.localdate(), latest=screening),
        "screening": screening,
        "findings": status.findings_for(
            screening, status.blood_pressure_thresholds(patient.clinic)
        ),
        "can_view": policy.can(request.user, Action.VIEW_MEDICAL_SCREENING, patient),
        "can_complete": policy.can(request.user, Action.COMPLETE_MEDICAL_SCREENING, patient),
        "can_decide": policy.can(request.user, Action.DECIDE_ELIGIBILITY, patient),
    }
