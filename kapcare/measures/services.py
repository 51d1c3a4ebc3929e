"""Completing a questionnaire, raising safety alerts, and reviewing them.

Shared by the patient portal, the single-purpose link, staff entry and the API, so a
completion is scored, stored, alerted and logged the same way whoever sends it.
"""

from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.links import absolute_url
from kapcare.measures import scoring
from kapcare.measures.instruments import INSTRUMENTS
from kapcare.measures.models import (
    AlertKind,
    Assessment,
    AssessmentStatus,
    SafetyAlert,
    Source,
)
from kapcare.notifications.models import NotificationKind
from kapcare.notifications.services import notify

# Which scoring flags raise a safety alert (Columbia triage;
# docs/clinical-reference.md#safety-review).
ALERTING_FLAGS = {
    scoring.SUICIDAL_IDEATION: AlertKind.SUICIDAL_IDEATION,
    scoring.SUICIDE_RISK_HIGH: AlertKind.SUICIDE_RISK_HIGH,
}


class AssessmentError(ValueError):
    pass


@dataclass(frozen=True)
class Completion:
    assessment: Assessment
    alerts: list[SafetyAlert]

    @property
    def needs_crisis_resources(self) -> bool:
        return bool(self.alerts)


def scoring_options(instrument: str, clinic) -> dict[str, object]:
    """The clinic's settings that change how an instrument is scored."""
    if instrument == "pcl5":
        return {"cutoff": clinic.pcl5_provisional_cutoff}
    return {}


def start_assessment(
    *, actor: Actor, patient, instrument: str, source: Source, resume: bool = True
) -> Assessment:
    """The patient's unfinished questionnaire of this kind from this source, or a new one:
    a patient who leaves halfway finds their answers kept. With `resume=False` a new one
    is always started (answers given in one go must not complete someone's draft)."""
    if instrument not in INSTRUMENTS:
        raise AssessmentError(f"Unknown questionnaire “{instrument}”.")
    with transaction.atomic():
        assessment = (
            Assessment.objects.select_for_update()
            .filter(
                patient=patient,
                instrument=instrument,
                source=source,
                status=AssessmentStatus.IN_PROGRESS,
            )
            .order_by("-started_at")
            .first()
        )
        if assessment is None:
            size = len(INSTRUMENTS[instrument].items)
            assessment = Assessment.objects.create(
                patient=patient,
                instrument=instrument,
                source=source,
                answers=[None] * size,
                entered_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
            )
            record_access(actor, AccessAction.CREATE, patient=patient, obj=assessment)
    return assessment


def save_progress(*, actor: Actor, assessment: Assessment, answers: list) -> Assessment:
    """Keep partial answers of an unfinished questionnaire. Each given answer is checked
    against the item's options; `None` leaves an item unanswered."""
    definition = INSTRUMENTS[assessment.instrument]
    if len(answers) != len(definition.items):
        raise AssessmentError(
            f"{definition.short_name} has {len(definition.items)} items; got {len(answers)}."
        )
    allowed = {option.value for option in definition.options}
    for item, value in zip(definition.items, answers, strict=True):
        if value is not None and (
            value not in allowed or isinstance(value, bool) != (definition.kind == "yes_no")
        ):
            raise AssessmentError(f"Item {item.label}: {value!r} is not one of the answers.")
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.is_completed:
            raise AssessmentError("This questionnaire is already completed.")
        locked.answers = list(answers)
        locked.save(update_fields=["answers"])
        record_access(actor, AccessAction.UPDATE, patient=assessment.patient, obj=locked)
    assessment.answers = list(answers)
    return assessment


def complete_assessment(*, actor: Actor, assessment: Assessment, answers: list) -> Completion:
    """Score and store the answers, and raise any safety alert, all in one transaction.

    Raises `scoring.AnswerError` (with a message naming the item) when the answers cannot
    be scored. Alert emails to the clinic's clinical inbox go out once the transaction
    has committed.
    """
    patient = assessment.patient
    result = scoring.score(
        assessment.instrument, answers, **scoring_options(assessment.instrument, patient.clinic)
    )
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.is_completed:
            raise AssessmentError("This questionnaire is already completed.")
        locked.answers = list(answers)
        locked.total = result.total
        locked.band = result.band
        locked.flags = list(result.flags)
        locked.details = {**result.details, "missing_items": list(result.missing_items)}
        locked.status = AssessmentStatus.COMPLETED
        locked.completed_at = timezone.now()
        locked.save()
        record_access(actor, AccessAction.UPDATE, patient=patient, obj=locked)
        alerts = [
            SafetyAlert.objects.create(
                clinic_id=patient.clinic_id, patient=patient, assessment=locked, kind=kind
            )
            for flag, kind in ALERTING_FLAGS.items()
            if flag in result.flags
        ]
        for alert in alerts:
            email_clinical_inbox(alert)
    return Completion(assessment=locked, alerts=alerts)


def record_assessment(
    *, actor: Actor, patient, instrument: str, answers: list, source: Source
) -> Completion:
    """Start and complete a questionnaire in one step (staff entry, the API)."""
    with transaction.atomic():
        assessment = start_assessment(
            actor=actor, patient=patient, instrument=instrument, source=source
        )
        return complete_assessment(actor=actor, assessment=assessment, answers=answers)


def email_clinical_inbox(alert: SafetyAlert) -> None:
    """Tell the clinic's clinical inbox, without health information: a link, not the
    answers. Queued in the alert's transaction; sent once it commits."""
    clinic = alert.patient.clinic
    if not clinic.clinical_inbox:
        return
    link = absolute_url(reverse("measures:alert", args=[alert.external_id]))
    notify(
        key=f"safety-alert:{alert.external_id}",
        kind=NotificationKind.SAFETY_ALERT,
        to=clinic.clinical_inbox,
        subject=f"kapcare: a safety alert needs review at {clinic.name}",
        template="measures/email/safety_alert.txt",
        context={"alert": alert, "link": link, "clinic": clinic},
    )


def review_alert(*, actor: Actor, alert: SafetyAlert, note: str) -> SafetyAlert:
    """A clinician records what was done. Only then does the alert leave the home pages."""
    note = note.strip()
    if not note:
        raise AssessmentError("Say what was done: contact made, safety plan, referral.")
    with transaction.atomic():
        locked = SafetyAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.reviewed_at is not None:
            raise AssessmentError("This alert was already reviewed.")
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = actor.user
        locked.review_note = note
        locked.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
        record_access(actor, AccessAction.UPDATE, patient=alert.patient, obj=locked)
    return locked
