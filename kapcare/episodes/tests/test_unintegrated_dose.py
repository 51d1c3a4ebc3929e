"""The episode keeps the planned end of its last dose while no integration session that
counts follows it (`Episode.unintegrated_dose_planned_end`): database triggers write it in
the transaction of every write of a session, whichever path writes it, and of a change of
the episode's therapist. `overdue_integrations` reads the clinic's overdue episodes through
it (`test_overdue.py` for the list itself)."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.db import connection

from kapcare.audit.log import Actor
from kapcare.episodes import services
from kapcare.episodes.models import CareSession, Episode, SessionStatus
from kapcare.episodes.therapy_sessions import TherapySessionInput, record_therapy_session
from tests.factories import RoomFactory, UserFactory, authorize, open_episode, plan_session

NOW = dt.datetime(2026, 12, 10, 18, 0, tzinfo=dt.UTC)
DOSE_STARTS = NOW - dt.timedelta(days=5)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


@pytest.fixture
def episode(patient, clinician, therapist):
    return open_episode(patient, clinician, therapist=therapist)


@pytest.fixture
def dose(episode, clinician, clinic):
    """A dose done through its discharge (`complete_dosing_session`); started through the
    gates elsewhere."""
    session = plan_session(
        episode, clinician, starts_at=DOSE_STARTS, room=RoomFactory(clinic=clinic)
    )
    CareSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.IN_PROGRESS, started_at=DOSE_STARTS
    )
    session.refresh_from_db()
    return services.complete_dosing_session(actor=actor(clinician), session=session)


def awaited(episode) -> dt.datetime | None:
    return Episode.objects.values_list("unintegrated_dose_planned_end", flat=True).get(
        pk=episode.pk
    )


def planned_integration(episode, by, days_after_dose=1):
    return plan_session(
        episode,
        by,
        kind="integration",
        starts_at=DOSE_STARTS + dt.timedelta(days=days_after_dose),
    )


def test_an_episode_without_a_dose_awaits_nothing(episode):
    assert awaited(episode) is None


def test_a_dose_discharged_awaits_its_integration(episode, dose):
    assert awaited(episode) == dose.planned_end


def test_a_dose_only_planned_awaits_nothing(episode, clinician, clinic):
    plan_session(episode, clinician, starts_at=DOSE_STARTS, room=RoomFactory(clinic=clinic))

    assert awaited(episode) is None


def test_integration_recorded_by_staff_with_the_therapists_confirmation_settles_it(
    episode, dose, clinician
):
    services.record_session_status(
        actor=actor(clinician),
        session=planned_integration(episode, clinician),
        to_status=SessionStatus.DONE,
        therapist_confirmation="Email, Dec 6",
    )

    assert awaited(episode) is None


def test_integration_recorded_by_staff_without_confirmation_leaves_it_awaited(
    episode, dose, clinician
):
    """Staff who are not the therapist need the confirmation to record it (refused
    otherwise); one on the record without it, from before that rule, does not count."""
    session = planned_integration(episode, clinician)
    CareSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.DONE, status_changed_by=clinician
    )

    assert awaited(episode) == dose.planned_end


def test_integration_recorded_by_the_therapist_in_their_portal_settles_it(
    episode, dose, clinician, therapist, patient
):
    authorize(patient, therapist, scopes=["measures"])
    session = planned_integration(episode, clinician)
    start = session.planned_start.astimezone(episode.clinic.zone)
    record_therapy_session(
        actor=actor(therapist),
        episode=Episode.objects.select_related("clinic", "patient").get(pk=episode.pk),
        session=session,
        data=TherapySessionInput(
            held_on=start.date(),
            start_time=start.time(),
            duration_minutes=50,
            modality="ifs",
            attended=True,
        ),
    )

    assert awaited(episode) is None


def test_integration_missed_leaves_it_awaited(episode, dose, clinician):
    services.record_session_status(
        actor=actor(clinician),
        session=planned_integration(episode, clinician),
        to_status=SessionStatus.MISSED,
        note="Did not come.",
    )

    assert awaited(episode) == dose.planned_end


def test_integration_before_the_dose_does_not_settle_it(episode, dose, clinician):
    services.record_session_status(
        actor=actor(clinician),
        session=planned_integration(episode, clinician, days_after_dose=-1),
        to_status=SessionStatus.DONE,
        therapist_confirmation="Email",
    )

    assert awaited(episode) == dose.planned_end


def test_a_later_dose_awaits_its_own_integration(episode, dose, clinician, clinic):
    services.record_session_status(
        actor=actor(clinician),
        session=planned_integration(episode, clinician),
        to_status=SessionStatus.DONE,
        therapist_confirmation="Email",
    )
    later = plan_session(
        episode,
        clinician,
        starts_at=DOSE_STARTS + dt.timedelta(days=2),
        room=RoomFactory(clinic=clinic),
    )
    CareSession.objects.filter(pk=later.pk).update(status=SessionStatus.DONE)

    assert awaited(episode) == later.planned_end


def test_naming_the_therapist_who_recorded_the_integration_settles_it(patient, clinician, clinic):
    """A session counts when the episode's therapist ran and recorded it: naming that
    therapist on the episode afterwards changes the answer."""
    episode = open_episode(patient, clinician)
    session = plan_session(
        episode, clinician, starts_at=DOSE_STARTS, room=RoomFactory(clinic=clinic)
    )
    CareSession.objects.filter(pk=session.pk).update(status=SessionStatus.DONE)
    integration = planned_integration(episode, clinician)
    other = UserFactory(role="therapist", clinic=None)
    CareSession.objects.filter(pk=integration.pk).update(
        status=SessionStatus.DONE, run_by=other, status_changed_by=other
    )
    assert awaited(episode) is not None

    Episode.objects.filter(pk=episode.pk).update(therapist=other)

    assert awaited(episode) is None


def test_the_migration_fills_episodes_written_before_it(episode, dose):
    migration = importlib.import_module("kapcare.episodes.migrations.0008_kept_unintegrated_dose")
    Episode.objects.filter(pk=episode.pk).update(unintegrated_dose_planned_end=None)

    with connection.cursor() as cursor:
        cursor.execute(migration.REFRESH)

    assert awaited(episode) == dose.planned_end
