"""The therapist's summary of a dosing session: drafted from the record (pure text,
`summary.rules`), edited by a clinician until released, released once the record is
signed, and then told to the episode's therapist if the patient shares summaries with
them."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kapcare import policy
from kapcare.accounts import step_up
from kapcare.accounts.step_up import Reauthentication
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.consents.models import SharingAuthorization
from kapcare.dosing.models import (
    DosingRecord,
    InfusionChangeKind,
    PatientExperience,
    TherapistSummary,
)
from kapcare.dosing.recording import lock_for_signing, refuse_unless_clinician
from kapcare.dosing.summary import rules
from kapcare.dosing.summary.rules import NotableEvent, SummaryFacts
from kapcare.links import absolute_url
from kapcare.notifications.models import NotificationKind
from kapcare.notifications.services import notify
from kapcare.refusals import Refused
from kapcare.scopes import Scope


def summary_facts(record: DosingRecord):
    """What the summary's draft is made of, read from the record: three queries (events,
    an early stop of the infusion, the patient's account)."""
    clinic = record.patient.clinic
    started = record.dose_started_at or record.session.started_at or record.session.planned_start
    account = PatientExperience.objects.filter(record_id=record.pk).first()
    return SummaryFacts(
        session_date=timezone.localdate(started, clinic.zone),
        route=record.route,
        mg_per_kg=record.prescribed_mg_per_kg,
        dose_mg=record.dose_mg,
        shows_exact_dose=clinic.summary_shows_exact_dose,
        events=[
            NotableEvent(kind=event.get_kind_display(), severity=event.get_severity_display())
            for event in record.events.only("record_id", "kind", "severity").order_by(
                "onset_at", "id"
            )
        ],
        infusion_stopped_early=record.infusion_changes.filter(
            kind=InfusionChangeKind.STOPPED
        ).exists(),
        dissociation=account.dissociation if account else None,
        bring_to_integration=account.bring_to_integration if account else "",
    )


def draft_summary(record: DosingRecord) -> str:
    """The therapist summary's first draft, from the record (`summary.rules`)."""
    return rules.draft_summary(summary_facts(record))


def summary_recipient(record: DosingRecord):
    """The live sharing authorisation through which the episode's therapist may read
    this record's summary (the `session_summaries` scope), or None: one query."""
    therapist_id = record.session.episode.therapist_id
    if therapist_id is None:
        return None
    return (
        SharingAuthorization.objects.live(timezone.now())
        .with_scope(Scope.SESSION_SUMMARIES)
        .filter(patient_id=record.patient_id, therapist_id=therapist_id)
        .order_by("-expires_at", "-id")
        .first()
    )


def _write_summary(actor: Actor, record: DosingRecord, text: str):
    """Save the summary's text, unless it was released; inside the caller's transaction,
    with the record's row locked."""
    text = text.strip()
    if not text:
        raise Refused({"text": "Write the summary (the draft is a starting point)."})
    summary = TherapistSummary.objects.select_for_update().filter(record_id=record.pk).first()
    if summary is not None and summary.is_released:
        raise Refused({"__all__": "This summary was released: it can no longer be changed."})
    if summary is None:
        summary = TherapistSummary(record=record, patient_id=record.patient_id)
    summary.text = text
    summary.edited_by = actor.user
    summary.edited_at = timezone.now()
    created = summary.pk is None
    summary.save()
    action = AccessAction.CREATE if created else AccessAction.UPDATE
    record_access(actor, action, patient=record.patient, obj=summary)
    return summary


def save_summary(*, actor: Actor, record: DosingRecord, text: str):
    """Save the clinician's edit of the summary; it can be edited until it is released."""
    refuse_unless_clinician(actor, record, "edit the therapist's summary")
    with transaction.atomic():
        locked = lock_for_signing(record)
        return _write_summary(actor, locked, text)


def release_summary(
    *,
    actor: Actor,
    record: DosingRecord,
    reauthentication: Reauthentication | None,
    text: str | None = None,
):
    """Release the summary (with `text`, saved first, when given) once the record is
    signed, the clinician re-entering their code (`step_up`: a disclosure outside the
    clinic that cannot be called back). The episode's therapist is told by email on
    commit, if the patient lets them read summaries (`summary_recipient`); whoever reads it
    later, the shared record shows it only under a live authorisation with that scope."""
    refuse_unless_clinician(actor, record, "release the therapist's summary")
    step_up.require(reauthentication, actor, what="release the summary")
    with transaction.atomic():
        locked = lock_for_signing(record)
        if not locked.is_signed:
            raise Refused({"__all__": "Sign the record before releasing its summary."})
        if text is not None:
            summary = _write_summary(actor, locked, text)
        else:
            summary = (
                TherapistSummary.objects.select_for_update().filter(record_id=locked.pk).first()
            )
            if summary is None:
                raise Refused({"text": "Write the summary before releasing it."})
            if summary.is_released:
                raise Refused({"__all__": "This summary was already released."})
        summary.released_at = timezone.now()
        summary.released_by = actor.user
        summary.released_with = reauthentication.method
        summary.save(update_fields=["released_at", "released_by", "released_with"])
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=summary)
        recipient = summary_recipient(locked)
        if recipient is not None:
            _notify_summary_ready(recipient, locked)
    return summary


def _notify_summary_ready(authorization, record) -> None:
    """Tell the therapist a summary is ready. The email carries no health information:
    not the patient's name or initials, not the session's date; only a link to the shared
    record (named by its opaque id), which asks them to sign in."""
    patient = record.patient
    link = absolute_url(reverse("sharing:shared_record", args=[patient.external_id]))
    recipient = authorization.therapist_email
    notify(
        key=f"summary-released:{record.external_id}:{recipient.lower()}",
        kind=NotificationKind.SUMMARY_RELEASED,
        to=recipient,
        subject="A session summary is ready for you",
        template="dosing/email/summary_ready.txt",
        context={"clinic": patient.clinic, "link": link},
        # Sent only if the patient still shares summaries with them when it goes.
        therapist=authorization.therapist,
        patient=patient,
        therapist_action=policy.Action.VIEW_SESSION_SUMMARIES,
    )
