"""The report "Estimates due or late": the Good Faith Estimates owed and not issued whose
deadline is today or past, and those issued after their deadline (45 CFR 149.610(b):
within 1 or 3 business days of scheduling; `reports.rules`).

Owed and not issued: sessions of an open course, not cancelled or missed, of a patient
whose newest coverage answer is uninsured or self-pay, booked after the course's newest
estimate (or with none). kapcare issues the estimate as the booking commits, so a row here
means the automatic issue did not happen (the queue was down, the coverage was answered
late): issue it from the patient's estimates page. Four queries, whatever the clinic holds.
"""

import datetime as dt

from django.db.models import F, Max, OuterRef, Subquery
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from kapcare.billing.models import NEEDS_ESTIMATE, CoverageRecord, GoodFaithEstimate
from kapcare.billing.reports import Report, Table
from kapcare.billing.reports import rules as lateness_rules

COLUMNS = (
    "Patient",
    "Status",
    "Scheduled on",
    "First service",
    "Due",
    "Issued on",
    "Business days late",
    "Estimate",
)


def _owed_sessions(clinic):
    """(episode, patient, booked at, starts at) of the sessions that may be owed an
    estimate: one query."""
    from kapcare.episodes import rules as episode_rules
    from kapcare.episodes.models import CareSession, SessionStatus

    newest_coverage = CoverageRecord.objects.filter(patient_id=OuterRef("patient_id")).order_by(
        "-recorded_at", "-id"
    )
    return (
        CareSession.objects.filter(patient__clinic_id=clinic.pk)
        .exclude(episode__state__in=episode_rules.CLOSED_STATES)
        .exclude(status__in=[SessionStatus.CANCELLED, SessionStatus.MISSED])
        .annotate(coverage=Subquery(newest_coverage.values("status")[:1]))
        .filter(coverage__in=NEEDS_ESTIMATE)
        .values_list("episode_id", "patient_id", "created_at", "planned_start")
    )


def _not_issued(clinic, today: dt.date) -> list[dict]:
    zone = clinic.zone
    sessions = list(_owed_sessions(clinic))
    episode_ids = {episode_id for episode_id, *_ in sessions}
    newest = dict(
        GoodFaithEstimate.objects.filter(episode_id__in=episode_ids)
        .values("episode_id")
        .annotate(newest=Max("issued_at"))
        .values_list("episode_id", "newest")
    )
    uncovered: dict[int, tuple[int, list]] = {}
    for episode_id, patient_id, created_at, planned_start in sessions:
        issued = newest.get(episode_id)
        if issued is None or created_at > issued:
            uncovered.setdefault(episode_id, (patient_id, []))[1].append(
                (created_at, planned_start)
            )
    found = []
    for patient_id, booked in uncovered.values():
        booked_on = timezone.localtime(min(at for at, _ in booked), zone).date()
        services_on = [timezone.localtime(start, zone).date() for _, start in booked]
        due = lateness_rules.unissued_due(booked_on, services_on)
        late = lateness_rules.lateness(due.due_on, None, today)
        if late is not None:
            found.append(
                {
                    "patient_id": patient_id,
                    "late": late,
                    "scheduled_on": booked_on,
                    "first_service": min((d for d in services_on if d >= booked_on), default=None),
                    "due_on": due.due_on,
                    "issued_on": None,
                    "estimate": "Not issued",
                }
            )
    return found


def _issued_late(clinic, today: dt.date) -> list[dict]:
    late_ones = (
        GoodFaithEstimate.objects.filter(clinic_id=clinic.pk, due_on__isnull=False)
        .annotate(issued_on=TruncDate("issued_at", tzinfo=clinic.zone))
        .filter(issued_on__gt=F("due_on"))
        .values_list("patient_id", "scheduled_on", "due_on", "issued_on", "version")
        .order_by("due_on", "id")
    )
    found = []
    for patient_id, scheduled_on, due_on, issued_on, version in late_ones:
        late = lateness_rules.lateness(due_on, issued_on, today)
        if late is not None:
            found.append(
                {
                    "patient_id": patient_id,
                    "late": late,
                    "scheduled_on": scheduled_on,
                    "first_service": None,
                    "due_on": due_on,
                    "issued_on": issued_on,
                    "estimate": f"Version {version}",
                }
            )
    return found


def build(clinic, today: dt.date) -> Table:
    from kapcare.patients.models import Patient

    found = _not_issued(clinic, today) + _issued_late(clinic, today)
    found.sort(key=lambda row: (lateness_rules.ORDER[row["late"].status], row["due_on"]))
    patients = Patient.objects.in_bulk({row["patient_id"] for row in found})
    rows, links = [], []
    for row in found:
        patient = patients[row["patient_id"]]
        rows.append(
            (
                patient.display_name,
                row["late"].status,
                row["scheduled_on"],
                row["first_service"] or "",
                row["due_on"],
                row["issued_on"] or "",
                row["late"].business_days_late,
                row["estimate"],
            )
        )
        links.append(reverse("billing:patient_estimates", args=[patient.external_id]))
    return Table(rows=rows, patients=patients.values(), links=links)


ESTIMATES_DUE = Report(
    slug="estimates-due",
    title="Estimates due or late",
    description="Good Faith Estimates owed to uninsured or self-pay patients that are due "
    "today or overdue and not issued, and those issued after their deadline (within 1 "
    "business day of scheduling 3 or more business days ahead, 3 business days for 10 or "
    "more ahead or on request).",
    columns=COLUMNS,
    build=build,
)
