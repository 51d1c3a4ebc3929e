"""What the minute job queues by itself, besides what the pages queue as they go:
appointment reminders and overdue integrations. Each gathers its facts in a fixed number
of queries (one more per clinic for the overdue integrations, as `episodes.queries` asks
them), leaves out what is already queued, and inserts the rest in one statement.

This module reads episodes and consents, so it sits above them (like the pages), while
`services` (notify, deliver) sits below every app that sends email.

No email says more than "an appointment at <clinic> on <date>" or "an integration session
is overdue at <clinic>": not the patient's name, not the kind of session (a dosing session
is itself health information), only a link that asks for a sign-in."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Max
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from kapcare.clinics.models import Clinic
from kapcare.consents.models import SharingAuthorization
from kapcare.episodes.models import CareSession, SessionKind, SessionStatus
from kapcare.episodes.queries import overdue_integrations
from kapcare.notifications import reminders
from kapcare.notifications.models import Notification, NotificationKind
from kapcare.notifications.services import queue_many, queued_keys
from kapcare.policy import Action
from kapcare.scopes import Scope


@dataclass(frozen=True)
class Planned:
    """One email the job means to queue, before it is rendered."""

    key: str
    kind: NotificationKind
    to: str
    subject: str
    template: str
    context: dict
    clinic: Clinic
    # An email to an outside therapist about one patient: sent only while they may still
    # `therapist_action` on the patient, and then logged as a disclosure of the care
    # session it is about: (therapist, patient, action, care session external id).
    to_therapist: tuple | None = None
    # An email to the patient: sent with the clinic's name and logo (an HTML part).
    to_patient: bool = False


def queue_due_notifications(now: dt.datetime, site_url: str) -> int:
    """Queue every reminder and overdue flag that is due at `now` and not yet queued;
    returns how many were queued."""
    planned = [*appointment_reminders(now, site_url), *overdue_integration_flags(now, site_url)]
    known = queued_keys(item.key for item in planned)
    rows = []
    for item in planned:
        if item.key in known:
            continue
        known.add(item.key)
        # Times in the email are the clinic's, as on every page.
        with timezone.override(item.clinic.zone):
            body = render_to_string(item.template, item.context)
        row = Notification(
            key=item.key[:200],
            kind=item.kind,
            to_email=item.to,
            subject=item.subject,
            body=body,
            due_at=now,
            clinic=item.clinic if item.to_patient else None,
        )
        if item.to_therapist:
            therapist, patient, action, session_id = item.to_therapist
            row.therapist, row.patient, row.therapist_action = therapist, patient, action
            row.disclosed_object_type = "caresession"
            row.disclosed_object_id = str(session_id)[:64]
        rows.append(row)
    return queue_many(rows)


def appointment_reminders(now: dt.datetime, site_url: str) -> Iterator[Planned]:
    """A reminder to the patient for every planned session within their clinic's
    `appointment_reminder_hours`; for a dosing session, also to the episode's therapist
    while the patient shares their schedule with them. Three queries."""
    longest = Clinic.objects.aggregate(hours=Max("appointment_reminder_hours"))["hours"]
    if not longest:
        return
    sessions = [
        session
        for session in CareSession.objects.filter(
            status=SessionStatus.PLANNED,
            started_at__isnull=True,
            # Sessions booked at the clinic; the therapist's own practice reminds of the
            # sessions it holds (an email saying "at <clinic>" would send them to the
            # wrong place).
            appointment__isnull=False,
            planned_start__gt=now,
            planned_start__lte=now + dt.timedelta(hours=longest),
        ).select_related("patient__clinic", "patient__user", "episode__therapist")
        if reminders.is_due_a_reminder(
            planned_start=session.planned_start,
            status=session.status,
            started_at=session.started_at,
            now=now,
            reminder_hours=session.patient.clinic.appointment_reminder_hours,
        )
    ]
    sharing = SharingAuthorization.objects.live_pairs(
        {
            (session.patient_id, session.episode.therapist_id)
            for session in sessions
            if session.kind == SessionKind.DOSING and session.episode.therapist_id
        },
        now,
        scope=Scope.SCHEDULE,
    )
    sign_in = site_url + reverse("accounts:login")
    for session in sessions:
        patient, clinic = session.patient, session.patient.clinic
        context = {"clinic": clinic, "starts_at": session.planned_start, "link": sign_in}
        subject = f"Your appointment at {clinic.name}"
        recipient = _patient_email(patient)
        if recipient:
            yield Planned(
                reminders.reminder_key(session.external_id, session.planned_start),
                NotificationKind.APPOINTMENT_REMINDER,
                recipient,
                subject,
                "notifications/email/appointment_reminder.txt",
                context,
                clinic,
                to_patient=True,
            )
        therapist = session.episode.therapist
        if (patient.pk, session.episode.therapist_id) in sharing and therapist.is_active:
            yield Planned(
                reminders.therapist_reminder_key(
                    session.external_id, session.planned_start, therapist.pk
                ),
                NotificationKind.APPOINTMENT_REMINDER,
                therapist.email,
                f"An appointment at {clinic.name}",
                "notifications/email/appointment_reminder_therapist.txt",
                {**context, "link": _shared_record_link(site_url, patient)},
                clinic,
                to_therapist=(therapist, patient, Action.VIEW_SCHEDULE, session.external_id),
            )


def overdue_integration_flags(now: dt.datetime, site_url: str) -> Iterator[Planned]:
    """For each overdue integration (`episodes.queries.overdue_integrations`): one email to
    the clinic's clinical inbox (or its address) and one to the episode's therapist while
    the patient shares their schedule with them. Two queries per clinic and three more."""
    clinics = {clinic.pk: clinic for clinic in Clinic.objects.all()}
    overdue = [item for pk in clinics for item in overdue_integrations(pk, now)]
    if not overdue:
        return
    doses = _last_doses([item.episode.pk for item in overdue])
    # When the dose was is schedule information: the therapist hears of an overdue
    # integration only while the patient shares their schedule with them.
    sharing = SharingAuthorization.objects.live_pairs(
        {
            (item.episode.patient_id, item.episode.therapist_id)
            for item in overdue
            if item.episode.therapist_id
        },
        now,
        scope=Scope.SCHEDULE,
    )
    for item in overdue:
        episode, clinic = item.episode, clinics[item.episode.clinic_id]
        dose_id = doses.get(episode.pk)
        if dose_id is None:
            continue
        context = {"clinic": clinic, "overdue": item.overdue_in_words}
        subject = f"kapcare: an integration session is overdue at {clinic.name}"
        inbox = clinic.clinical_inbox or clinic.email
        if inbox:
            link = site_url + reverse("episodes:detail", args=[episode.external_id])
            yield Planned(
                reminders.integration_overdue_key(dose_id, inbox),
                NotificationKind.INTEGRATION_OVERDUE,
                inbox,
                subject,
                "notifications/email/integration_overdue.txt",
                {**context, "link": link},
                clinic,
            )
        therapist = episode.therapist
        if (episode.patient_id, episode.therapist_id) in sharing and therapist.is_active:
            yield Planned(
                reminders.integration_overdue_key(dose_id, therapist.email),
                NotificationKind.INTEGRATION_OVERDUE,
                therapist.email,
                subject,
                "notifications/email/integration_overdue_therapist.txt",
                {**context, "link": _shared_record_link(site_url, episode.patient)},
                clinic,
                to_therapist=(therapist, episode.patient, Action.VIEW_SCHEDULE, dose_id),
            )


def _patient_email(patient) -> str:
    """Their portal account's address, else the one on their record."""
    if patient.user_id and patient.user.is_active and patient.user.email:
        return patient.user.email
    return patient.email


def _shared_record_link(site_url: str, patient) -> str:
    return site_url + reverse("sharing:shared_record", args=[patient.external_id])


def _last_doses(episode_ids: list[int]) -> dict[int, object]:
    """Each episode's last dose done (its external id), as `overdue_integrations` reads
    it: the latest by when it was given, then by id. One query."""
    doses = (
        CareSession.objects.filter(
            episode_id__in=episode_ids, kind=SessionKind.DOSING, status=SessionStatus.DONE
        )
        .annotate(given_at=Coalesce("started_at", "planned_start"))
        .order_by("episode_id", "-given_at", "-pk")
        .values_list("episode_id", "external_id")
    )
    last: dict[int, object] = {}
    for episode_id, external_id in doses:
        last.setdefault(episode_id, external_id)
    return last
