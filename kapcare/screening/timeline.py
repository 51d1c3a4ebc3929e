"""What the screening app adds to a patient's chart timeline."""

from django.urls import reverse

from kapcare.patients.timeline import NEWEST, TimelineEvent, TimelineWindow
from kapcare.screening import rules
from kapcare.screening.models import EligibilityDecision, MedicalScreening


def screening_events(patient, window: TimelineWindow = NEWEST) -> list[TimelineEvent]:
    """Each screening signed off and each eligibility decision, in two queries.

    Linked to the screening page, which the patient may open for their own record too.
    """
    url = reverse("screening:detail", args=[patient.external_id])
    events = []
    completed = window.newest(
        MedicalScreening.objects.filter(
            patient_id=patient.pk, completed_at__isnull=False
        ).select_related("completed_by"),
        "completed_at",
    )
    for screening in completed:
        events.append(
            TimelineEvent(
                when=screening.completed_at,
                title="Medical screening completed",
                detail=f"Signed by {screening.completed_by.display_name}",
                url=url,
                kind="screening",
            )
        )
    decisions = window.newest(
        EligibilityDecision.objects.filter(patient_id=patient.pk).select_related("decided_by"),
        "decided_at",
    )
    for decision in decisions:
        detail = f"Signed by {decision.decided_by.display_name}"
        if decision.valid_until:
            detail += f"; valid until {rules.format_day(decision.valid_until)}"
        events.append(
            TimelineEvent(
                when=decision.decided_at,
                title=f"Eligibility: {decision.get_decision_display()}",
                detail=detail,
                url=url,
                kind="eligibility",
            )
        )
    return events
