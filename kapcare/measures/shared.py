"""What measures add to the shared record an outside therapist sees: questionnaire scores
and trends (scope `measures`) and safety alerts (scope `safety_alerts`), each only when the
patient's live authorisation names that scope. Registered in the shared-record registry
(`patients.shared`) by the consents app, which owns sharing.

What is shown is the minimum the therapist needs to coordinate care (HIPAA's minimum
necessary standard, 45 CFR 164.502(b)):

- Measures: totals, bands and PHQ-9 response/remission over time, and licensed scale
  totals. Not the item answers, not who entered them, and not the item-level flags (such as
  "item 9 above 0") unless the patient also shares safety alerts: a flag is safety
  information, which the patient chose separately.
- Safety alerts: when an alert was raised, by which questionnaire and why, and whether and
  on what day a clinician reviewed it. Not the clinician's review note: it is the clinic's
  record of its own response (who was called, what was said, the safety plan) and may name
  other people; the therapist who needs more calls the clinic.

Each context function runs a fixed number of queries, whatever the length of the record.
"""

from dataclasses import dataclass
from datetime import date, datetime

from kapcare import policy
from kapcare.measures.chart import patient_histories
from kapcare.measures.instruments import INSTRUMENTS, LICENSED_SCALES
from kapcare.measures.models import LicensedScaleResult, SafetyAlert
from kapcare.patients.shared import SharedSection
from kapcare.policy import Action
from kapcare.scopes import Scope

MEASURES_TEMPLATE = "measures/shared/measures.html"
SAFETY_ALERTS_TEMPLATE = "measures/shared/safety_alerts.html"


@dataclass(frozen=True)
class LicensedTotal:
    short_name: str
    name: str
    total: int
    maximum: int
    administered_on: date


def shared_measures(request, patient) -> dict | None:
    """The patient's questionnaire history, or None unless the user may see it (for a
    therapist: a live authorisation with the `measures` scope). Four queries."""
    user = request.user
    if not policy.can(user, Action.VIEW_ASSESSMENTS, patient):
        return None
    histories = patient_histories(patient)
    licensed = [
        LicensedTotal(
            short_name=LICENSED_SCALES[result.scale].short_name,
            name=LICENSED_SCALES[result.scale].name,
            total=result.total,
            maximum=LICENSED_SCALES[result.scale].maximum,
            administered_on=result.administered_on,
        )
        for result in LicensedScaleResult.objects.filter(patient_id=patient.pk)
        .only("scale", "total", "administered_on")
        .order_by("-administered_on", "-recorded_at")
    ]
    return {
        "histories": histories,
        "licensed": licensed,
        "shows_flags": policy.can(user, Action.VIEW_PATIENT_SAFETY_ALERTS, patient),
        "remission_below": patient.clinic.remission_phq9_below,
        "response_fall_percent": patient.clinic.response_fall_percent,
    }


@dataclass(frozen=True)
class SharedAlert:
    """A safety alert as the therapist sees it: what and when, and whether it was reviewed."""

    raised_at: datetime
    instrument: str
    reason: str
    reviewed_at: datetime | None

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None


def shared_safety_alerts(request, patient) -> dict | None:
    """The patient's safety alerts, newest first, or None unless the user may see them (for
    a therapist: a live authorisation with the `safety_alerts` scope). Two queries."""
    if not policy.can(request.user, Action.VIEW_PATIENT_SAFETY_ALERTS, patient):
        return None
    alerts = [
        SharedAlert(
            raised_at=alert.raised_at,
            instrument=INSTRUMENTS[alert.assessment.instrument].short_name,
            reason=alert.get_kind_display(),
            reviewed_at=alert.reviewed_at,
        )
        for alert in SafetyAlert.objects.filter(patient_id=patient.pk)
        .select_related("assessment")
        .only("raised_at", "kind", "reviewed_at", "assessment__instrument")
        .order_by("-raised_at", "-pk")
    ]
    return {
        "alerts": alerts,
        "open_count": sum(1 for alert in alerts if not alert.is_reviewed),
        "clinic": patient.clinic,
    }


def shared_sections() -> list[SharedSection]:
    """The two sections, keyed by the scope each shows (see `patients.shared`)."""
    return [
        SharedSection(
            key=Scope.SAFETY_ALERTS.value,
            template=SAFETY_ALERTS_TEMPLATE,
            context=shared_safety_alerts,
            order=30,
        ),
        SharedSection(
            key=Scope.MEASURES.value, template=MEASURES_TEMPLATE, context=shared_measures, order=40
        ),
    ]
