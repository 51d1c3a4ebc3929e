"""Courses of care with their doses and PHQ-9 totals, written straight to the tables the
outcome figures read (the services that write them in practice are tested in their apps)."""

import datetime as dt

from django.utils import timezone

from kapcare.accounts.models import Role, User
from kapcare.episodes.models import CareSession, Episode, SessionKind, SessionStatus
from kapcare.measures.instruments import PHQ9
from kapcare.measures.models import Assessment, AssessmentStatus, Source
from kapcare.outcomes import summary
from tests.factories import PatientFactory, UserFactory


def _clinician(clinic):
    found = User.objects.filter(clinic_id=clinic.pk, role=Role.CLINICIAN).first()
    return found or UserFactory(clinic=clinic, role=Role.CLINICIAN)


def course(
    clinic,
    *,
    model="bracketed",
    baseline=20,
    after=None,
    later=(),
    doses=6,
    route="iv",
    diagnosis="F33.2",
    first_dose_days_ago=200,
    state="follow_up",
    patient=None,
):
    """One patient's episode: a baseline PHQ-9 two days before the first of `doses` doses
    (two days apart), `after` a week after the last, then each of `later` as
    (days after the end of induction, total)."""
    now = timezone.now()
    first = now - dt.timedelta(days=first_dose_days_ago)
    patient = patient or PatientFactory(clinic=clinic)
    clinician = _clinician(clinic)
    episode = Episode.objects.create(
        clinic=clinic,
        patient=patient,
        model=model,
        state=state,
        state_changed_at=now,
        diagnosis_code=diagnosis,
        dose_route=route,
        created_by=clinician,
    )
    dose_times = [first + dt.timedelta(days=2 * n) for n in range(doses)]
    CareSession.objects.bulk_create(
        CareSession(
            episode=episode,
            patient=patient,
            kind=SessionKind.DOSING,
            status=SessionStatus.DONE,
            planned_start=when,
            planned_end=when + dt.timedelta(hours=2),
            started_at=when,
            created_by=clinician,
        )
        for when in dose_times
    )
    end = dose_times[-1] if dose_times else first
    totals = [(first - dt.timedelta(days=2), baseline)]
    if after is not None:
        totals.append((end + dt.timedelta(days=7), after))
    totals += [(end + dt.timedelta(days=days), total) for days, total in later]
    Assessment.objects.bulk_create(
        Assessment(
            patient=patient,
            instrument=PHQ9.id,
            status=AssessmentStatus.COMPLETED,
            answers=[],
            total=total,
            source=Source.PORTAL,
            completed_at=when,
        )
        for when, total in totals
        if total is not None
    )
    # Bulk writes send no signal: the kept summary is refreshed as the task would.
    summary.refresh_patients([patient.pk])
    return episode
