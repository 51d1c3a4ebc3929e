"""Writing the patient's journal: an entry, a change to it, sharing it with one therapist
and taking it back. Each write is one transaction with its access-log row, and only the
patient who keeps the journal may make it (the pages and any later API call these).

What may be shared with whom is read live: a therapist is offered, and accepted, only
while the patient's sharing authorisation to them is in force (any scope: the journal is
the patient's own words, given by the patient's choice, entry by entry)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.consents.models import SharingAuthorization
from kapcare.episodes.models import CareSession, SessionKind, SessionStatus
from kapcare.journal.models import EntryKind, JournalEntry
from kapcare.patients.models import Patient
from kapcare.refusals import Refused

# Long enough for a page of writing, short enough to keep a page readable.
BODY_MAX_LENGTH = 10_000

# A dose to come may still be written for; one given (started or done) may be reflected on.
UPCOMING = (SessionStatus.PLANNED,)
GIVEN = (SessionStatus.IN_PROGRESS, SessionStatus.DONE)


@dataclass(frozen=True)
class EntryInput:
    kind: str
    body: str
    dosing_session: CareSession | None = None


@dataclass(frozen=True)
class DoseChoices:
    """The patient's dosing sessions an entry may be about: those to come (for an
    intention) soonest first, and those given (for a reflection) latest first."""

    upcoming: list[CareSession]
    given: list[CareSession]

    def find(self, external_id: str) -> CareSession | None:
        for session in self.upcoming + self.given:
            if str(session.external_id) == str(external_id):
                return session
        return None


def dose_choices(patient: Patient, now: datetime) -> DoseChoices:
    """One query."""
    sessions = list(
        CareSession.objects.filter(
            patient_id=patient.pk,
            kind=SessionKind.DOSING,
            status__in=UPCOMING + GIVEN,
        )
        .only("external_id", "status", "planned_start", "patient_id")
        .order_by("planned_start", "id")
    )
    upcoming = [s for s in sessions if s.status in UPCOMING and s.planned_start >= now]
    given = [s for s in reversed(sessions) if s.status in GIVEN]
    return DoseChoices(upcoming=upcoming, given=given)


def _check_owner(actor: Actor, patient: Patient) -> None:
    user = actor.user
    if patient.user_id is None or patient.user_id != getattr(user, "pk", None):
        raise Refused({"__all__": "Only the patient keeps their journal."})


def _problems(data: EntryInput, patient: Patient, now: datetime, before=None) -> dict[str, str]:
    problems: dict[str, str] = {}
    if data.kind not in EntryKind.values:
        problems["kind"] = "Choose an intention before a dose or a reflection after one."
    body = data.body.strip()
    if not body:
        problems["body"] = "Write something: the entry is empty."
    elif len(body) > BODY_MAX_LENGTH:
        problems["body"] = (
            f"An entry holds up to {BODY_MAX_LENGTH:,} characters; this one has {len(body):,}."
        )
    session = data.dosing_session
    unchanged = (
        before is not None
        and before.kind == data.kind
        and before.dosing_session_id == (session.pk if session else None)
    )
    if session is not None and not unchanged and "kind" not in problems:
        if session.patient_id != patient.pk or session.kind != SessionKind.DOSING:
            problems["dosing_session"] = "Choose one of your dosing sessions."
        elif data.kind == EntryKind.INTENTION and not (
            session.status in UPCOMING and session.planned_start >= now
        ):
            problems["dosing_session"] = (
                "An intention is for a dose to come: choose one of your upcoming sessions, or none."
            )
        elif data.kind == EntryKind.REFLECTION and session.status not in GIVEN:
            problems["dosing_session"] = (
                "A reflection is about a dose you have had: choose one of your past "
                "sessions, or none."
            )
    return problems


def create_entry(*, actor: Actor, patient: Patient, data: EntryInput) -> JournalEntry:
    """A new entry, private: nobody but the patient reads it until they share it."""
    _check_owner(actor, patient)
    now = timezone.now()
    problems = _problems(data, patient, now)
    if problems:
        raise Refused(problems)
    with transaction.atomic():
        entry = JournalEntry.objects.create(
            patient=patient,
            kind=data.kind,
            dosing_session=data.dosing_session,
            body=data.body.strip(),
            created_at=now,
        )
        record_access(actor, AccessAction.CREATE, patient=patient, obj=entry)
    return entry


def update_entry(*, actor: Actor, entry: JournalEntry, data: EntryInput) -> JournalEntry:
    """The patient rewrites an entry; a shared entry stays shared (the therapist reads the
    entry as it is now). The dose it is about is checked only when it changes, so an
    intention may be finished after the dose it was for."""
    patient = entry.patient
    _check_owner(actor, patient)
    problems = _problems(data, patient, timezone.now(), before=entry)
    if problems:
        raise Refused(problems)
    with transaction.atomic():
        entry.kind = data.kind
        entry.dosing_session = data.dosing_session
        entry.body = data.body.strip()
        entry.save(update_fields=["kind", "dosing_session", "body", "updated_at"])
        record_access(actor, AccessAction.UPDATE, patient=patient, obj=entry)
    return entry


def share_entry(*, actor: Actor, entry: JournalEntry, therapist: str) -> JournalEntry:
    """Show this one entry to one therapist the patient has authorised (any scope), until
    the patient stops sharing it or the authorisation ends. Sharing with another therapist
    takes it from the first. `therapist` is the therapist's opaque id, as the form sends
    it."""
    patient = entry.patient
    _check_owner(actor, patient)
    now = timezone.now()
    therapists = {
        str(t.external_id): t for t in SharingAuthorization.objects.therapists_of(patient, now)
    }
    if not therapists:
        raise Refused(
            {
                "therapist": "You have not authorised a therapist to receive your records, "
                "so there is nobody to share with. Authorise your therapist first."
            }
        )
    if str(therapist) not in therapists:
        raise Refused({"therapist": "Choose one of the therapists you have authorised."})
    with transaction.atomic():
        entry.shared_with = therapists[str(therapist)]
        entry.shared_at = now
        entry.save(update_fields=["shared_with", "shared_at", "updated_at"])
        record_access(actor, AccessAction.UPDATE, patient=patient, obj=entry)
    return entry


def unshare_entry(*, actor: Actor, entry: JournalEntry) -> JournalEntry:
    """Make the entry private again: the therapist sees it no more, from the next request."""
    patient = entry.patient
    _check_owner(actor, patient)
    if not entry.is_shared:
        return entry
    with transaction.atomic():
        entry.shared_with = None
        entry.shared_at = None
        entry.save(update_fields=["shared_with", "shared_at", "updated_at"])
        record_access(actor, AccessAction.UPDATE, patient=patient, obj=entry)
    return entry
