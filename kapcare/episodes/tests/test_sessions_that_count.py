"""In a KAP episode a preparation or integration session counts for gates 3 and 4 only when
the episode's therapist recorded it, or when clinic staff attached the therapist's
confirmation; in the in-session model the therapist present at the dose is the episode's
own. A standalone infusion has none of this."""

import datetime as dt

import pytest
import time_machine

from kapcare.accounts.models import Role
from kapcare.dosing import recording
from kapcare.dosing.dose import services as dose_services
from kapcare.dosing.models import DosingRecord
from kapcare.episodes import services
from kapcare.episodes.models import CareSession, Episode, SessionStatus
from kapcare.episodes.tests.test_gate_facts import (
    DOSE,
    NOW,
    actor,
    fetched,
    gates_of,
    give_dose,
    ready_session,
    record_done,
)
from kapcare.episodes.therapy_sessions import TherapySessionInput, record_therapy_session
from kapcare.refusals import Refused
from tests.factories import UserFactory, plan_session

KAP_MODELS = ["in_session", "bracketed", "blended"]


@pytest.fixture(autouse=True)
def at_eight_thirty():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def front_desk(clinic):
    return UserFactory(role=Role.COORDINATOR, clinic=clinic, full_name="Frankie Desk")


def unprepared(patient, clinician, patient_user, model):
    """A first dose on which every gate passes but preparation: none is done yet."""
    return ready_session(patient, clinician, patient_user, model, prepared=False)


def planned_therapy(session, clinician, kind, days_ago):
    return plan_session(
        session.episode, clinician, kind=kind, starts_at=NOW - dt.timedelta(days=days_ago)
    )


def by_the_therapist(session, planned):
    """The episode's therapist records `planned` in their own portal."""
    episode = Episode.objects.select_related("clinic", "patient").get(pk=session.episode_id)
    start = planned.planned_start.astimezone(episode.clinic.zone)
    return record_therapy_session(
        actor=actor(episode.therapist),
        episode=episode,
        session=planned,
        data=TherapySessionInput(
            held_on=start.date(),
            start_time=start.time(),
            duration_minutes=50,
            modality="ifs",
            attended=True,
            coordination_note="Held as planned.",
        ),
    )


def recorded_without_confirmation(planned, by):
    """A session on the record as done by `by` with no confirmation: one recorded before the
    rule, or before the episode named its therapist (the service refuses it today)."""
    CareSession.objects.filter(pk=planned.pk).update(
        status=SessionStatus.DONE, status_changed_by=by, status_changed_at=NOW, run_by=by
    )


def another_therapist():
    return UserFactory(role=Role.THERAPIST, clinic=None, full_name="Olive Other")


def second_dose(session, clinician):
    """`session` given three days ago; the next dose, whose integration gate is read."""
    give_dose(session, NOW - dt.timedelta(days=3))
    colleague = UserFactory(role=Role.CLINICIAN, clinic=clinician.clinic)
    following = plan_session(session.episode, clinician, starts_at=DOSE, clinician=colleague)
    return fetched(following)


# --- Gate 3: preparation ----------------------------------------------------------------------


@pytest.mark.parametrize("model", KAP_MODELS)
def test_the_front_desk_cannot_record_a_preparation_done_without_the_therapists_confirmation(
    patient, clinician, patient_user, front_desk, model
):
    session = unprepared(patient, clinician, patient_user, model)
    planned = planned_therapy(session, clinician, "preparation", 5)

    with pytest.raises(Refused) as refused:
        services.record_session_status(
            actor=actor(front_desk), session=planned, to_status=SessionStatus.DONE
        )

    assert "therapist_confirmation" in refused.value.problems
    assert CareSession.objects.get(pk=planned.pk).status == SessionStatus.PLANNED


@pytest.mark.parametrize("model", KAP_MODELS)
def test_a_preparation_by_the_front_desk_without_confirmation_does_not_count(
    patient, clinician, patient_user, front_desk, model
):
    session = unprepared(patient, clinician, patient_user, model)
    recorded_without_confirmation(planned_therapy(session, clinician, "preparation", 5), front_desk)

    gate = gates_of(session)["preparation"]

    assert not gate.passed
    assert gate.message == (
        "0 preparation sessions done before the first dose; 1 needed. Not counted: a session "
        "recorded by the front desk without the therapist's confirmation."
    )


@pytest.mark.parametrize("model", KAP_MODELS)
def test_a_preparation_by_the_front_desk_with_the_therapists_confirmation_counts(
    patient, clinician, patient_user, front_desk, model
):
    session = unprepared(patient, clinician, patient_user, model)
    record_done(
        planned_therapy(session, clinician, "preparation", 5),
        front_desk,
        confirmation="Email from the therapist, Nov 26",
    )

    assert gates_of(session)["preparation"].passed


@pytest.mark.parametrize("model", KAP_MODELS)
def test_a_preparation_recorded_by_the_named_therapist_counts(
    patient, clinician, patient_user, model
):
    session = unprepared(patient, clinician, patient_user, model)
    recorded = by_the_therapist(session, planned_therapy(session, clinician, "preparation", 5))

    assert recorded.therapist_confirmation == ""
    assert gates_of(session)["preparation"].passed


@pytest.mark.parametrize("model", KAP_MODELS)
def test_a_preparation_recorded_by_another_therapist_does_not_count(
    patient, clinician, patient_user, model
):
    session = unprepared(patient, clinician, patient_user, model)
    other = another_therapist()
    recorded_without_confirmation(planned_therapy(session, clinician, "preparation", 5), other)

    gate = gates_of(session)["preparation"]

    assert not gate.passed
    assert (
        "Not counted: a session recorded by Olive Other, who is not the episode's therapist."
        in (gate.message)
    )


# --- Gate 4: integration ----------------------------------------------------------------------


@pytest.mark.parametrize("model", KAP_MODELS)
def test_an_integration_by_the_front_desk_without_confirmation_does_not_count(
    patient, clinician, patient_user, front_desk, model
):
    following = second_dose(ready_session(patient, clinician, patient_user, model), clinician)
    recorded_without_confirmation(
        planned_therapy(following, clinician, "integration", 1), front_desk
    )

    gate = gates_of(following)["integration"]

    assert not gate.passed
    assert gate.message.endswith(
        "Not counted: a session recorded by the front desk without the therapist's confirmation."
    )


@pytest.mark.parametrize("model", KAP_MODELS)
def test_an_integration_with_the_therapists_confirmation_counts(
    patient, clinician, patient_user, front_desk, model
):
    following = second_dose(ready_session(patient, clinician, patient_user, model), clinician)
    record_done(
        planned_therapy(following, clinician, "integration", 1),
        front_desk,
        confirmation="Phone call with the therapist, Nov 30",
    )

    assert gates_of(following)["integration"].passed


@pytest.mark.parametrize("model", KAP_MODELS)
def test_an_integration_recorded_by_the_named_therapist_counts(
    patient, clinician, patient_user, model
):
    following = second_dose(ready_session(patient, clinician, patient_user, model), clinician)
    by_the_therapist(following, planned_therapy(following, clinician, "integration", 1))

    assert gates_of(following)["integration"].passed


@pytest.mark.parametrize("model", KAP_MODELS)
def test_an_integration_recorded_by_another_therapist_does_not_count(
    patient, clinician, patient_user, model
):
    following = second_dose(ready_session(patient, clinician, patient_user, model), clinician)
    other = another_therapist()
    recorded_without_confirmation(planned_therapy(following, clinician, "integration", 1), other)

    gate = gates_of(following)["integration"]

    assert not gate.passed
    assert "who is not the episode's therapist" in gate.message


# --- The therapist present at an in-session dose --------------------------------------------


def test_in_session_the_therapist_present_is_the_episodes_therapist(
    patient, clinician, patient_user
):
    session = ready_session(patient, clinician, patient_user, "in_session")
    therapist = session.episode.therapist

    gate = gates_of(session)["therapist_present"]

    assert gate.passed
    assert (
        gate.message == f"{therapist.full_name}, the episode's therapist, is recorded as present."
    )
    record = DosingRecord.objects.get(session_id=session.pk)
    assert record.present_therapist_id == therapist.pk


def test_in_session_another_person_recorded_present_does_not_pass(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user, "in_session")
    first = session.episode.therapist
    # The episode's therapist changed after the first one was recorded as present.
    other = another_therapist()
    Episode.objects.filter(pk=session.episode_id).update(therapist=other)

    gate = gates_of(session)["therapist_present"]

    assert not gate.passed
    assert f"{first.full_name} was recorded as present" in gate.message
    assert other.full_name in gate.message


def test_in_session_the_therapist_present_is_refused_when_no_therapist_is_named(
    patient, clinician, patient_user
):
    session = ready_session(patient, clinician, patient_user, "in_session")
    Episode.objects.filter(pk=session.episode_id).update(therapist=None)
    record = recording.record_for(actor(clinician), fetched(session))

    with pytest.raises(Refused) as refused:
        dose_services.record_set_and_setting(
            actor=actor(clinician),
            record=record,
            data=dose_services.SettingInput(therapist_present=True),
        )

    assert "therapist_present" in refused.value.problems


@pytest.mark.parametrize("model", ["bracketed", "blended"])
def test_other_kap_models_have_no_therapist_present_gate(patient, clinician, patient_user, model):
    session = ready_session(patient, clinician, patient_user, model)

    assert "therapist_present" not in gates_of(session)


# --- Standalone -------------------------------------------------------------------------------


def test_a_standalone_infusion_is_unaffected(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user, "standalone")

    gates = gates_of(session)

    assert {"preparation", "integration", "therapist_present"}.isdisjoint(gates)
    assert all(gate.passed for gate in gates.values())
