"""What needs the therapist's attention, patient by patient, for their home page — in six
queries whatever the number of patients and the scopes they share.

Each item is read only for the patients whose live authorisation to this therapist names
the scope that covers it: the database applies the scope (a subquery on the live
authorisations, as `policy` reads them), so the page asks no question per patient:

- upcoming dose: the next planned dosing session (scope `schedule`);
- integration due or overdue: after the last dose of an open KAP episode that names this
  therapist, no integration session done since; due within the clinic's
  `integration_window_hours` after the dose ended
  (docs/clinical-reference.md#integration-window), overdue after. The dose's date is
  schedule information, so this too needs `schedule`;
- new session summary (scope `session_summaries`): a summary released after the last
  integration session this therapist recorded as held for the patient (or ever, before the
  first) — one not yet taken into an integration session. The access log cannot say when
  the therapist last *opened* the record: the home page's list logs a disclosure of every
  patient it names, in rows the shared record's own read cannot be told apart from;
- open safety alert (scope `safety_alerts`): a safety alert not yet reviewed by a clinician.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Exists, Max, Min, OuterRef, Q
from django.db.models.functions import Coalesce

from kapcare.consents.models import SharingAuthorization
from kapcare.consents.sharing_views import AuthorizedPatient
from kapcare.dosing.models import TherapistSummary
from kapcare.episodes import rules
from kapcare.episodes.models import CareModel, CareSession, Episode, SessionKind, SessionStatus
from kapcare.episodes.queries import integration_due, with_last_dose
from kapcare.measures.models import SafetyAlert
from kapcare.messaging.services import visible_threads, with_unread
from kapcare.patients.models import Patient
from kapcare.scopes import Scope


@dataclass(frozen=True)
class IntegrationDue:
    dose_given_at: datetime
    due_by: datetime
    now: datetime

    @property
    def is_overdue(self) -> bool:
        return self.due_by < self.now


@dataclass
class PatientAttention:
    """One patient on the therapist's home page: who, what is shared, what needs doing."""

    entry: AuthorizedPatient
    scopes: frozenset[str]
    next_dose_at: datetime | None = None
    integration: list[IntegrationDue] = field(default_factory=list)
    new_summary_at: datetime | None = None
    open_alerts: int = 0
    # Messages from the clinic about this patient the therapist has not read.
    unread_messages: int = 0
    # A dose under way now (schedule scope), beside the next one planned.
    dose_under_way_since: datetime | None = None
    # An open episode names this therapist: they may record sessions.
    records_sessions: bool = False
    # The patient's clinic's time zone, in which its times are shown.
    time_zone: str = "UTC"

    @property
    def patient(self):
        return self.entry.patient

    @property
    def authorizations(self):
        return self.entry.authorizations

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.next_dose_at
            or self.dose_under_way_since
            or self.integration
            or self.new_summary_at
            or self.open_alerts
            or self.unread_messages
        )


def _sharing(therapist, scope: Scope, now: datetime, patient_ids):
    """The ids of the patients of `patient_ids` whose live authorisation to `therapist`
    names `scope`, as a subquery (no query of its own)."""
    return (
        SharingAuthorization.objects.live(now)
        .filter(therapist_id=therapist.pk, patient_id__in=patient_ids)
        .with_scope(scope)
        .values("patient_id")
    )


def attention_for(therapist, caseload: list[AuthorizedPatient], now: datetime):
    """The caseload with what needs attention, patients needing it first (by name within
    each group, the caseload's order)."""
    rows = {
        entry.patient.pk: PatientAttention(
            entry, frozenset(s for a in entry.authorizations for s in a.scopes)
        )
        for entry in caseload
    }
    if not rows:
        return []
    zones = Patient.objects.filter(pk__in=list(rows)).values_list("pk", "clinic__time_zone")
    for pk, zone in zones:
        rows[pk].time_zone = zone
    shown = list(rows)

    def sharing(scope: Scope):
        return _sharing(therapist, scope, now, shown)

    _add_next_doses(rows, sharing(Scope.SCHEDULE), now)
    _add_episodes(therapist, rows, sharing(Scope.SCHEDULE), now)
    _add_new_summaries(therapist, rows, sharing(Scope.SESSION_SUMMARIES))
    _add_open_alerts(rows, sharing(Scope.SAFETY_ALERTS))
    _add_unread_messages(therapist, rows)
    return sorted(rows.values(), key=lambda row: not row.needs_attention)


def _add_next_doses(rows, patient_ids, now) -> None:
    """The next dose planned and a dose under way, per patient, in one query."""
    doses = (
        CareSession.objects.filter(patient_id__in=patient_ids, kind=SessionKind.DOSING)
        .filter(
            Q(status=SessionStatus.PLANNED, planned_start__gte=now)
            | Q(status=SessionStatus.IN_PROGRESS)
        )
        .values("patient_id", "status")
        .annotate(at=Min(Coalesce("started_at", "planned_start")))
    )
    for dose in doses:
        row = rows.get(dose["patient_id"])
        if row is None:
            continue
        if dose["status"] == SessionStatus.IN_PROGRESS:
            row.dose_under_way_since = dose["at"]
        else:
            row.next_dose_at = dose["at"]


def _add_unread_messages(therapist, rows) -> None:
    """The clinic's unread messages to the therapist, per patient, in one query (the
    threads the policy lets them read: their own, under a live authorisation)."""
    threads = with_unread(
        visible_threads(therapist).filter(patient_id__in=list(rows)), therapist
    ).filter(unread__gt=0)
    for patient_id, unread in threads.values_list("patient_id", "unread"):
        if patient_id in rows:
            rows[patient_id].unread_messages += unread


def _add_episodes(therapist, rows, schedule_patients, now) -> None:
    """Open KAP episodes naming the therapist: they may record sessions in them; and, for
    patients who share their schedule, the integration due after the last dose. One query
    (as `episodes.queries.overdue_integrations` reads a dose and its integration)."""
    episodes = (
        with_last_dose(
            Episode.objects.filter(therapist_id=therapist.pk, patient_id__in=list(rows))
            .exclude(model=CareModel.STANDALONE)
            .exclude(state__in=rules.CLOSED_STATES)
        )
        .annotate(
            shares_schedule=Exists(schedule_patients.filter(patient_id=OuterRef("patient_id")))
        )
        .select_related("clinic")
        .only("patient_id", "clinic__integration_window_hours")
    )
    for episode in episodes:
        row = rows[episode.patient_id]
        row.records_sessions = True
        if not episode.shares_schedule:
            continue
        if episode.last_dose_given_at is None or episode.is_integrated:
            continue
        window = timedelta(hours=episode.clinic.integration_window_hours)
        _, due_by = integration_due(episode, window)
        row.integration.append(IntegrationDue(episode.last_dose_given_at, due_by, now))


def _add_new_summaries(therapist, rows, patient_ids) -> None:
    released = (
        TherapistSummary.objects.filter(patient_id__in=patient_ids, released_at__isnull=False)
        .values("patient_id")
        .annotate(latest=Max("released_at"))
    )
    # Only compared with the summaries of patients sharing them (`released`): read for the
    # page's patients, by their ids.
    integrated = dict(
        CareSession.objects.filter(
            patient_id__in=list(rows),
            run_by_id=therapist.pk,
            kind=SessionKind.INTEGRATION,
            status=SessionStatus.DONE,
        )
        .values("patient_id")
        .annotate(latest=Max("planned_start"))
        .values_list("patient_id", "latest")
    )
    for row in released:
        if row["patient_id"] not in rows:
            continue
        last_integration = integrated.get(row["patient_id"])
        if last_integration is None or row["latest"] > last_integration:
            rows[row["patient_id"]].new_summary_at = row["latest"]


def _add_open_alerts(rows, patient_ids) -> None:
    alerts = (
        SafetyAlert.objects.filter(patient_id__in=patient_ids, reviewed_at__isnull=True)
        .values("patient_id")
        .annotate(count=Count("pk"))
    )
    for row in alerts:
        if row["patient_id"] in rows:
            rows[row["patient_id"]].open_alerts = row["count"]
