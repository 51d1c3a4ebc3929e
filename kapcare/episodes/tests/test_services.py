"""The course-of-care services: the episode's state machine (every allowed edge, a sample
of refused ones, who/when/why recorded), sessions booked with their appointments all or
nothing, what happened to a session, naming and inviting the therapist, and the plan."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from kapcare.accounts.models import Role, User
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.episodes import rules, services
from kapcare.episodes.models import CareSession, Episode, EpisodeTransition
from kapcare.refusals import Refused
from kapcare.scheduling.models import Appointment, AppointmentStatus
from tests.factories import RoomFactory, UserFactory, open_episode, plan_session

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fixed_now():
    with time_machine.travel(NOW, tick=False):
        yield


def actor(user):
    return Actor(user=user, ip_address="127.0.0.1")


def put_in_state(episode, state):
    """Test setup only: place the episode in `state` without walking the course."""
    Episode.objects.filter(pk=episode.pk).update(state=state)
    episode.state = state
    return episode


# --- The state machine ------------------------------------------------------------------------

ALLOWED = [(s, t) for s, targets in rules.TRANSITIONS.items() for t in sorted(targets)]
REFUSED = [
    (rules.REFERRED, rules.CONSENTED),
    (rules.SCREENING, rules.IN_TREATMENT),
    (rules.PREPARING, rules.COMPLETED),
    (rules.IN_TREATMENT, rules.SCREENING),
    (rules.COMPLETED, rules.FOLLOW_UP),
    (rules.DISCONTINUED, rules.REFERRED),
]


@pytest.mark.parametrize(("state", "to_state"), ALLOWED)
def test_every_allowed_edge_moves_the_episode(patient, clinician, state, to_state):
    episode = put_in_state(open_episode(patient, clinician, model="bracketed"), state)

    services.change_state(
        actor=actor(clinician), episode=episode, to_state=to_state, reason="Clinical decision."
    )

    assert Episode.objects.get(pk=episode.pk).state == to_state


@pytest.mark.parametrize(("state", "to_state"), REFUSED)
def test_an_edge_not_allowed_is_refused_and_records_nothing(patient, clinician, state, to_state):
    episode = put_in_state(open_episode(patient, clinician), state)

    with pytest.raises(Refused) as refused:
        services.change_state(
            actor=actor(clinician), episode=episode, to_state=to_state, reason="x"
        )

    assert "to_state" in refused.value.problems
    assert Episode.objects.get(pk=episode.pk).state == state
    assert EpisodeTransition.objects.filter(episode=episode).count() == 1  # the opening only


def test_a_standalone_infusion_cannot_enter_preparation(patient, clinician):
    episode = put_in_state(open_episode(patient, clinician, model="standalone"), rules.CONSENTED)

    with pytest.raises(Refused):
        services.change_state(actor=actor(clinician), episode=episode, to_state=rules.PREPARING)


def test_each_move_records_who_when_and_why(patient, coordinator, clinician):
    episode = open_episode(patient, coordinator)

    services.change_state(
        actor=actor(clinician), episode=episode, to_state=rules.SCREENING, reason=" Referral read. "
    )

    last = EpisodeTransition.objects.filter(episode=episode).order_by("changed_at", "id").last()
    assert (last.from_state, last.to_state) == (rules.REFERRED, rules.SCREENING)
    assert last.changed_by == clinician
    assert last.changed_at == NOW
    assert last.reason == "Referral read."


def test_opening_records_the_first_move_into_referred(patient, coordinator):
    episode = open_episode(patient, coordinator)

    first = EpisodeTransition.objects.get(episode=episode)
    assert (first.from_state, first.to_state, first.changed_by) == ("", rules.REFERRED, coordinator)


def test_discontinuing_needs_a_reason(patient, clinician):
    episode = put_in_state(open_episode(patient, clinician), rules.IN_TREATMENT)

    with pytest.raises(Refused) as refused:
        services.change_state(
            actor=actor(clinician), episode=episode, to_state=rules.DISCONTINUED, reason=""
        )

    assert "Say why" in refused.value.problems["to_state"]
    assert Episode.objects.get(pk=episode.pk).state == rules.IN_TREATMENT


def test_a_move_is_logged_as_an_update_of_the_episode(patient, clinician):
    episode = open_episode(patient, clinician)

    services.change_state(actor=actor(clinician), episode=episode, to_state=rules.SCREENING)

    assert AccessLogEntry.objects.filter(
        patient=patient, action=AccessAction.UPDATE, object_id=str(episode.external_id)
    ).exists()


# --- Sessions ---------------------------------------------------------------------------------


def test_planning_a_dosing_session_books_its_room_and_clinician(patient, clinician):
    episode = open_episode(patient, clinician)
    room = RoomFactory(clinic=patient.clinic)

    session = plan_session(episode, clinician, room=room)

    appointment = session.appointment
    assert (appointment.room, appointment.clinician, appointment.patient) == (
        room,
        clinician,
        patient,
    )
    clinic = patient.clinic
    minutes = clinic.checkin_minutes + clinic.infusion_minutes + clinic.recovery_minutes
    assert session.planned_end - session.planned_start == dt.timedelta(minutes=minutes)


def test_a_double_booking_creates_neither_session_nor_appointment(patient, clinician):
    episode = open_episode(patient, clinician)
    room = RoomFactory(clinic=patient.clinic)
    plan_session(episode, clinician, room=room)

    with pytest.raises(Refused) as refused:
        plan_session(
            episode, clinician, room=room, starts_at=dt.datetime(2026, 12, 1, 15, 30, tzinfo=dt.UTC)
        )

    assert "already booked" in refused.value.problems["__all__"]
    assert CareSession.objects.filter(episode=episode).count() == 1
    assert Appointment.objects.count() == 1


def test_a_session_at_the_therapists_practice_books_nothing(patient, clinician, therapist):
    episode = open_episode(patient, clinician, therapist=therapist)

    session = plan_session(episode, clinician, kind="integration")

    assert session.appointment is None
    assert session.run_by == therapist


def test_a_standalone_infusion_refuses_a_preparation_session(patient, clinician):
    episode = open_episode(patient, clinician, model="standalone")

    with pytest.raises(Refused) as refused:
        plan_session(episode, clinician, kind="preparation")

    assert "kind" in refused.value.problems


def test_a_preparation_session_is_recorded_as_done(patient, clinician, coordinator):
    episode = open_episode(patient, clinician)
    session = plan_session(
        episode, clinician, kind="preparation", starts_at=NOW - dt.timedelta(days=1)
    )

    services.record_session_status(
        actor=actor(coordinator), session=session, to_status=rules.DONE, note="Went well."
    )

    session.refresh_from_db()
    assert (session.status, session.status_changed_by, session.status_changed_at) == (
        rules.DONE,
        coordinator,
        NOW,
    )


def test_a_planned_dose_cannot_be_recorded_as_done(patient, clinician):
    session = plan_session(
        open_episode(patient, clinician), clinician, starts_at=NOW - dt.timedelta(hours=3)
    )

    with pytest.raises(Refused) as refused:
        services.record_session_status(actor=actor(clinician), session=session, to_status="done")

    assert "status" in refused.value.problems


def test_a_missed_session_needs_a_reason(patient, clinician):
    session = plan_session(open_episode(patient, clinician), clinician, kind="preparation")

    with pytest.raises(Refused) as refused:
        services.record_session_status(actor=actor(clinician), session=session, to_status="missed")

    assert "note" in refused.value.problems


def test_cancelling_a_session_frees_its_appointment(patient, clinician):
    session = plan_session(open_episode(patient, clinician), clinician)

    services.record_session_status(
        actor=actor(clinician), session=session, to_status="cancelled", note="Unwell."
    )

    assert Appointment.objects.get(pk=session.appointment_id).status == AppointmentStatus.CANCELLED


# --- Naming the therapist ---------------------------------------------------------------------


def open_with(patient, by, email, name="", model="blended"):
    return services.open_episode_naming_therapist(
        actor=actor(by),
        patient=patient,
        data=services.EpisodeInput(model=model, diagnosis_code="F33.2"),
        therapist=services.TherapistInput(email=email, name=name),
    )


def test_an_existing_therapist_is_named_by_email(patient, coordinator, therapist):
    episode = open_with(patient, coordinator, "THEO@example.org")

    assert episode.therapist == therapist
    assert mail.outbox == []


def test_an_unknown_therapist_is_invited_without_naming_the_patient(
    patient, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        episode = open_with(patient, coordinator, "new@practice.example", "Nia New")

    invited = User.objects.get(email="new@practice.example")
    assert (episode.therapist, invited.role) == (invited, Role.THERAPIST)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert patient.given_name not in message.body + message.subject
    assert patient.family_name not in message.body + message.subject


def test_an_unknown_therapist_without_a_name_is_refused_at_the_name(patient, coordinator):
    with pytest.raises(Refused) as refused:
        open_with(patient, coordinator, "new@practice.example")

    assert "therapist_name" in refused.value.problems
    assert not Episode.objects.exists()


def test_a_clinic_account_cannot_be_named_as_therapist(patient, coordinator, clinician):
    with pytest.raises(Refused) as refused:
        open_with(patient, coordinator, clinician.email)

    assert "therapist_email" in refused.value.problems


def test_a_refused_episode_invites_nobody(patient, coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Refused):
        services.open_episode_naming_therapist(
            actor=actor(coordinator),
            patient=patient,
            data=services.EpisodeInput(model="blended", diagnosis_code="not a code"),
            therapist=services.TherapistInput(email="new@practice.example", name="Nia New"),
        )

    assert not User.objects.filter(email="new@practice.example").exists()
    assert mail.outbox == []


def test_a_standalone_infusion_ignores_the_therapist(patient, coordinator, therapist):
    episode = open_with(patient, coordinator, therapist.email, model="standalone")

    assert episode.therapist is None


# --- The plan ---------------------------------------------------------------------------------


def plan(**changes):
    values = {
        "dose_route": "im",
        "planned_doses": 4,
        "planned_preparation_sessions": 3,
        "planned_integration_sessions": 4,
        "therapist_fee": None,
    } | changes
    return services.PlanInput(**values)


def test_the_plan_is_changed_and_logged(patient, coordinator, clinician):
    episode = open_episode(patient, coordinator)

    services.update_plan(
        actor=actor(coordinator),
        episode=episode,
        data=plan(treating_clinician=clinician),
    )

    episode.refresh_from_db()
    assert (episode.dose_route, episode.planned_doses, episode.treating_clinician) == (
        "im",
        4,
        clinician,
    )
    assert AccessLogEntry.objects.filter(
        action=AccessAction.UPDATE, object_id=str(episode.external_id)
    ).exists()


def test_a_clinician_of_another_clinic_is_refused_for_the_plan(patient, coordinator, other_clinic):
    stranger = UserFactory(role=Role.CLINICIAN, clinic=other_clinic)
    episode = open_episode(patient, coordinator)

    with pytest.raises(Refused) as refused:
        services.update_plan(
            actor=actor(coordinator),
            episode=episode,
            data=plan(treating_clinician=stranger),
        )

    assert "treating_clinician" in refused.value.problems


def test_a_standalone_plan_keeps_no_preparation_integration_or_fee(patient, coordinator):
    episode = open_episode(patient, coordinator, model="standalone")

    services.update_plan(
        actor=actor(coordinator),
        episode=episode,
        data=plan(therapist_fee=150),
    )

    episode.refresh_from_db()
    assert (
        episode.planned_preparation_sessions,
        episode.planned_integration_sessions,
        episode.therapist_fee,
    ) == (0, 0, None)


def test_closing_an_episode_cancels_its_planned_sessions_and_frees_their_slots(patient, clinician):
    episode = put_in_state(open_episode(patient, clinician), rules.IN_TREATMENT)
    dose = plan_session(episode, clinician, starts_at=NOW + dt.timedelta(days=2))
    integration = plan_session(episode, clinician, kind="integration", starts_at=NOW)

    services.change_state(
        actor=actor(clinician),
        episode=episode,
        to_state=rules.DISCONTINUED,
        reason="Moved out of state.",
    )

    for session in (dose, integration):
        session.refresh_from_db()
        assert session.status == "cancelled"
        assert session.status_note == "Episode discontinued: Moved out of state."
    assert Appointment.objects.get(pk=dose.appointment_id).status == AppointmentStatus.CANCELLED


def test_a_dose_under_way_is_not_recorded_as_done_but_discharged(patient, clinician):
    session = plan_session(
        open_episode(patient, clinician), clinician, starts_at=NOW - dt.timedelta(hours=3)
    )
    CareSession.objects.filter(pk=session.pk).update(status="in_progress")  # test setup

    with pytest.raises(Refused) as refused:
        services.record_session_status(actor=actor(clinician), session=session, to_status="done")

    assert "discharged" in refused.value.problems["status"]
