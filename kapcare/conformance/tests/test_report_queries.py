"""The episode's conformance report reads a fixed number of queries whatever the number of
doses: each dose's course gates, therapist gate, record and readings come from queries
shared by all the doses."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kapcare.conformance import rules
from kapcare.conformance.report import INTEGRATION, MONITORING, THERAPIST, evaluate
from kapcare.dosing.models import DosingRecord, Observation, VitalSource
from kapcare.episodes.models import CareSession, SessionKind, SessionStatus
from kapcare.outcomes.tests.factories import course
from tests.factories import UserFactory, authorize

pytestmark = pytest.mark.django_db


def _recorded(episode, clinician) -> None:
    """A dosing record with a start and two readings for each dose, and an integration
    session after each."""
    doses = CareSession.objects.filter(episode=episode, kind=SessionKind.DOSING)
    for session in doses:
        record = DosingRecord.objects.create(
            session=session,
            patient_id=episode.patient_id,
            clinic_id=episode.clinic_id,
            dose_started_at=session.started_at,
        )
        Observation.objects.bulk_create(
            Observation(
                record=record,
                patient_id=episode.patient_id,
                reading_id=f"00000000-0000-0000-0000-{n:012d}",
                vital="heart_rate",
                value=70,
                unit="/min",
                taken_at=session.started_at + dt.timedelta(minutes=15 * n),
                source=VitalSource.MANUAL,
                entered_by=clinician,
            )
            for n in range(2)
        )
        CareSession.objects.create(
            episode=episode,
            patient_id=episode.patient_id,
            kind=SessionKind.INTEGRATION,
            status=SessionStatus.DONE,
            planned_start=session.started_at + dt.timedelta(days=1),
            planned_end=session.started_at + dt.timedelta(days=1, hours=1),
            created_by=clinician,
        )


def _episode(clinic, clinician, doses: int):
    therapist = UserFactory(role="therapist", clinic=None)
    episode = course(clinic, model="bracketed", doses=doses, after=8)
    episode.therapist = therapist
    episode.save(update_fields=["therapist"])
    authorize(episode.patient, therapist, scopes=("schedule", "session_summaries"), by=clinician)
    _recorded(episode, clinician)
    return type(episode).objects.select_related("patient__clinic", "clinic").get(pk=episode.pk)


def _queries(episode) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as captured:
        elements = evaluate(episode).elements
    return len(captured), elements


def test_the_report_reads_as_many_queries_for_one_dose_as_for_eight(clinic, clinician):
    one, _ = _queries(_episode(clinic, clinician, 1))
    eight, elements = _queries(_episode(clinic, clinician, 8))

    assert eight == one
    by_element = {e.element: e for e in elements}
    # The report still judges every dose: eight monitored doses, seven integrations.
    assert by_element[MONITORING].status in (rules.MET, rules.NOT_MET)
    assert by_element[THERAPIST].status != rules.NOT_APPLICABLE
    assert by_element[INTEGRATION].status != rules.NOT_APPLICABLE
