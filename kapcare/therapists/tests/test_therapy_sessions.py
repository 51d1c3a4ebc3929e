"""The therapist records the preparation and integration sessions they held
(`episodes.therapy_sessions.record_therapy_session`): a planned one at the time it was held,
or a new one; each refusal in words at its field, nothing written when refused; the access
log; and gate 4, which an integration session recorded after a dose satisfies."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents import services as consent_services
from kapcare.episodes import services
from kapcare.episodes.models import CareSession, SessionStatus
from kapcare.episodes.tests.test_gate_facts import (
    DOSE,
    GOOD_CHECKLIST,
    fetched,
    gates_of,
    give_dose,
    ready_session,
)
from kapcare.episodes.therapy_sessions import TherapySessionInput, record_therapy_session
from kapcare.refusals import Refused
from tests.factories import UserFactory, authorize, open_episode, plan_session

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 12, 1, 14, 30, tzinfo=dt.UTC)  # 8:30 AM in Chicago
YESTERDAY = dt.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def _at_now():
    with time_machine.travel(NOW, tick=False):
        yield


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def held(**changes) -> TherapySessionInput:
    values = {
        "kind": "integration",
        "held_on": YESTERDAY,
        "start_time": dt.time(16, 0),
        "duration_minutes": 50,
        "modality": "ifs",
        "attended": True,
        "coordination_note": "Ready for the next dose.",
    }
    return TherapySessionInput(**(values | changes))


@pytest.fixture
def episode(patient, clinician, therapist):
    authorize(patient, therapist, scopes=["measures"])
    return open_episode(patient, clinician, therapist=therapist)


@pytest.fixture
def planned(episode, clinician):
    """A preparation session planned for yesterday morning, run by the episode's therapist."""
    return plan_session(
        episode,
        clinician,
        kind="preparation",
        starts_at=dt.datetime(2026, 11, 30, 15, tzinfo=dt.UTC),
    )


def refusal(therapist, episode, data, session=None) -> dict:
    with pytest.raises(Refused) as refused:
        record_therapy_session(actor=actor(therapist), episode=episode, session=session, data=data)
    return refused.value.problems


# --- Recording ------------------------------------------------------------------------------


def test_a_session_not_planned_is_created_done_and_run_by_the_therapist(episode, therapist):
    session = record_therapy_session(actor=actor(therapist), episode=episode, data=held())

    session.refresh_from_db()
    assert (session.kind, session.status, session.run_by_id) == (
        "integration",
        "done",
        therapist.pk,
    )
    assert (session.modality, session.duration_minutes) == ("ifs", 50)
    assert session.status_note == "Ready for the next dose."
    assert session.status_changed_by_id == therapist.pk


def test_the_time_held_is_read_in_the_clinics_time_zone(episode, therapist):
    session = record_therapy_session(actor=actor(therapist), episode=episode, data=held())

    assert session.planned_start == dt.datetime(2026, 11, 30, 16, 0, tzinfo=CHICAGO)
    assert session.planned_end - session.planned_start == dt.timedelta(minutes=50)


def test_a_planned_session_is_recorded_at_the_time_it_was_held(planned, episode, therapist):
    recorded = record_therapy_session(
        actor=actor(therapist),
        episode=episode,
        session=planned,
        data=held(start_time=dt.time(11, 15), duration_minutes=45, modality="cbt"),
    )

    assert recorded.pk == planned.pk
    planned.refresh_from_db()
    assert planned.status == SessionStatus.DONE
    assert planned.planned_start == dt.datetime(2026, 11, 30, 11, 15, tzinfo=CHICAGO)
    assert (planned.modality, planned.duration_minutes) == ("cbt", 45)
    assert CareSession.objects.filter(episode=episode).count() == 1


def test_a_missed_session_is_recorded_missed_with_the_reason(planned, episode, therapist):
    record_therapy_session(
        actor=actor(therapist),
        episode=episode,
        session=planned,
        data=held(attended=False, coordination_note="Patient unwell; rebooking."),
    )

    planned.refresh_from_db()
    assert (planned.status, planned.status_note) == ("missed", "Patient unwell; rebooking.")


def test_a_missed_session_needs_no_length_or_modality_and_keeps_its_booked_time(
    planned, episode, therapist
):
    booked = planned.planned_end - planned.planned_start
    record_therapy_session(
        actor=actor(therapist),
        episode=episode,
        session=planned,
        data=held(attended=False, duration_minutes=None, modality="", coordination_note="No-show."),
    )

    planned.refresh_from_db()
    assert (planned.status, planned.modality, planned.duration_minutes) == ("missed", "", None)
    assert planned.planned_end - planned.planned_start == booked


def test_a_session_held_needs_its_length_and_modality(episode, therapist):
    problems = refusal(therapist, episode, held(duration_minutes=None, modality=""))

    assert set(problems) == {"duration_minutes", "modality"}


def test_a_missed_session_needs_a_note(episode, therapist):
    problems = refusal(therapist, episode, held(attended=False, coordination_note=" "))

    assert problems == {
        "coordination_note": "Say briefly why the session was missed, for the clinic."
    }


# --- Refusals at the field, nothing written ----------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"held_on": dt.date(1999, 12, 31)}, "held_on", "between 2000 and 2100"),
        ({"held_on": dt.date(9999, 12, 31)}, "held_on", "between 2000 and 2100"),
        ({"held_on": dt.date(2026, 12, 2)}, "held_on", "starts in the future"),
        ({"held_on": dt.date(2026, 12, 1), "start_time": dt.time(9, 0)}, "held_on", "future"),
        ({"duration_minutes": 0}, "duration_minutes", "from 1 to 240"),
        ({"duration_minutes": 241}, "duration_minutes", "from 1 to 240"),
        ({"modality": "hypnosis"}, "modality", "Choose a modality"),
        ({"coordination_note": "x" * 1001}, "coordination_note", "1000 characters"),
        ({"kind": "dosing"}, "kind", "The clinic records dosing sessions"),
        ({"kind": ""}, "kind", "Choose preparation or integration"),
    ],
)
def test_bad_input_is_refused_at_its_field(episode, therapist, changes, field, words):
    problems = refusal(therapist, episode, held(**changes))

    assert words in problems[field]
    assert not CareSession.objects.filter(episode=episode).exists()


def test_a_missed_session_may_be_recorded_for_later_today(episode, therapist):
    session = record_therapy_session(
        actor=actor(therapist),
        episode=episode,
        data=held(
            held_on=dt.date(2026, 12, 1), attended=False, coordination_note="Cancelled by text."
        ),
    )

    assert session.status == SessionStatus.MISSED


def test_a_dosing_session_is_refused_in_words(episode, clinician, therapist):
    dose = plan_session(episode, clinician, starts_at=NOW - dt.timedelta(days=1))

    problems = refusal(therapist, episode, held(), session=dose)

    assert problems == {
        "__all__": "Only a preparation or integration session can be recorded here."
    }
    assert CareSession.objects.get(pk=dose.pk).status == SessionStatus.PLANNED


@pytest.mark.parametrize(
    ("status", "words"), [("done", "already done"), ("cancelled", "already cancelled")]
)
def test_a_session_already_recorded_is_refused_in_words(
    planned, episode, clinician, therapist, status, words
):
    services.record_session_status(
        actor=actor(clinician),
        session=planned,
        to_status=status,
        note="By the clinic.",
        therapist_confirmation="Email, same day",
    )

    problems = refusal(therapist, episode, held(), session=planned)

    assert words in problems["__all__"]


def test_a_closed_episode_is_refused_in_words(episode, clinician, therapist):
    services.change_state(
        actor=actor(clinician), episode=episode, to_state="discontinued", reason="Moved away."
    )

    problems = refusal(therapist, episode, held())

    assert problems == {
        "__all__": "This episode is discontinued; the clinic no longer takes sessions for it."
    }


def test_a_session_booked_at_the_clinic_is_left_to_the_clinic(episode, clinician, therapist):
    booked = plan_session(
        episode,
        clinician,
        kind="integration",
        starts_at=NOW - dt.timedelta(days=1),
        clinician=clinician,
    )

    problems = refusal(therapist, episode, held(), session=booked)

    assert "the clinic records it" in problems["__all__"]


def test_a_therapist_the_episode_does_not_name_is_refused(episode, patient):
    colleague = UserFactory(role=Role.THERAPIST, clinic=None)
    authorize(patient, colleague)

    problems = refusal(colleague, episode, held())

    assert "__all__" in problems
    assert not CareSession.objects.filter(episode=episode).exists()


def test_a_revoked_authorisation_is_refused(episode, patient, patient_user, therapist):
    for authorization in patient.sharing_authorizations.all():
        consent_services.revoke_authorization(
            actor=actor(patient_user), authorization=authorization
        )

    problems = refusal(therapist, episode, held())

    assert "__all__" in problems


# --- Access log -----------------------------------------------------------------------------


def test_a_new_session_is_logged_as_created_then_changed(episode, patient, therapist):
    before = AccessLogEntry.objects.count()

    session = record_therapy_session(actor=actor(therapist), episode=episode, data=held())

    rows = AccessLogEntry.objects.order_by("id")[before:]
    assert [(r.action, r.object_id, r.patient_id) for r in rows] == [
        (AccessAction.CREATE, str(session.external_id), patient.pk),
        (AccessAction.UPDATE, str(session.external_id), patient.pk),
    ]
    assert {r.actor_id for r in rows} == {therapist.pk}


def test_a_planned_session_is_logged_as_changed(planned, episode, therapist):
    before = AccessLogEntry.objects.count()

    record_therapy_session(actor=actor(therapist), episode=episode, session=planned, data=held())

    rows = list(AccessLogEntry.objects.order_by("id")[before:])
    assert [(r.action, r.object_id) for r in rows] == [
        (AccessAction.UPDATE, str(planned.external_id))
    ]


def test_a_refusal_leaves_no_log_row(episode, therapist):
    before = AccessLogEntry.objects.count()

    refusal(therapist, episode, held(duration_minutes=0))

    assert AccessLogEntry.objects.count() == before


# --- Gate 4 ---------------------------------------------------------------------------------


@pytest.fixture
def second_dose(patient, clinician, patient_user, therapist):
    """A first dose given three days ago in the therapist's episode, and the next one
    planned today (as `episodes/tests/test_gate_facts.py` builds it)."""
    authorize(patient, therapist, scopes=["schedule"])
    first = ready_session(patient, clinician, patient_user, therapist=therapist)
    give_dose(first, NOW - dt.timedelta(days=3))
    colleague = UserFactory(role=Role.CLINICIAN, clinic=clinician.clinic)
    following = plan_session(first.episode, clinician, starts_at=DOSE, clinician=colleague)
    services.record_day_of_checklist(actor=actor(clinician), session=following, data=GOOD_CHECKLIST)
    return fetched(following)


def test_an_integration_session_recorded_after_a_dose_passes_the_next_doses_gate(
    second_dose, therapist
):
    assert not gates_of(second_dose)["integration"].passed

    record_therapy_session(actor=actor(therapist), episode=second_dose.episode, data=held())

    assert gates_of(second_dose)["integration"].passed


def test_a_missed_integration_session_does_not_pass_the_gate(second_dose, therapist):
    record_therapy_session(
        actor=actor(therapist),
        episode=second_dose.episode,
        data=held(attended=False, coordination_note="No-show."),
    )

    assert not gates_of(second_dose)["integration"].passed


# --- Before and after the dose ----------------------------------------------------------------


def test_an_integration_session_held_before_the_dose_it_follows_ended_is_refused(
    second_dose, therapist
):
    given_at = (NOW - dt.timedelta(days=3)).astimezone(CHICAGO)  # a two-hour block
    during = given_at + dt.timedelta(minutes=90)
    before = CareSession.objects.count()

    problems = refusal(
        therapist,
        second_dose.episode,
        held(held_on=during.date(), start_time=during.time().replace(tzinfo=None)),
    )

    ended = given_at + dt.timedelta(hours=2)
    assert problems["held_on"] == (
        "An integration session starts after the dose it follows, which ended at "
        f"{ended:%A, %B} {ended.day}, {ended:%-I:%M %p}. Check the date and time."
    )
    assert CareSession.objects.count() == before


def test_a_planned_integration_held_before_its_dose_is_refused_though_an_earlier_dose_came_first(
    second_dose, therapist, clinician
):
    """The dose an integration session follows is the last one before its booking: held the
    day before that dose, it would integrate the dose before — which it was not booked for."""
    integration = plan_session(
        second_dose.episode, clinician, kind="integration", starts_at=NOW - dt.timedelta(hours=2)
    )
    CareSession.objects.filter(pk=second_dose.pk).update(planned_start=NOW - dt.timedelta(days=1))
    day_before = (NOW - dt.timedelta(days=2)).astimezone(CHICAGO)

    problems = refusal(
        therapist,
        second_dose.episode,
        held(held_on=day_before.date(), start_time=dt.time(10, 0)),
        session=integration,
    )

    assert "after the dose it follows" in problems["held_on"]
    integration.refresh_from_db()
    assert integration.status == SessionStatus.PLANNED


def test_a_preparation_session_held_after_the_dose_it_prepares_is_refused(
    episode, clinician, therapist
):
    preparation = plan_session(
        episode, clinician, kind="preparation", starts_at=NOW - dt.timedelta(days=2)
    )
    plan_session(episode, clinician, starts_at=NOW - dt.timedelta(days=1))
    this_morning = NOW.astimezone(CHICAGO) - dt.timedelta(hours=1)

    problems = refusal(
        therapist,
        episode,
        held(held_on=this_morning.date(), start_time=dt.time(7, 0), kind="preparation"),
        session=preparation,
    )

    assert problems["held_on"].startswith(
        "A preparation session ends before the dose it prepares, which was given at"
    )


def test_a_preparation_session_that_ends_as_the_dose_begins_is_recorded(
    episode, clinician, therapist
):
    dose_at = NOW - dt.timedelta(hours=3)
    preparation = plan_session(
        episode, clinician, kind="preparation", starts_at=dose_at - dt.timedelta(days=1)
    )
    plan_session(episode, clinician, starts_at=dose_at)
    starts = (dose_at - dt.timedelta(minutes=50)).astimezone(CHICAGO)

    recorded = record_therapy_session(
        actor=actor(therapist),
        episode=episode,
        session=preparation,
        data=held(held_on=starts.date(), start_time=starts.time().replace(tzinfo=None)),
    )

    assert recorded.status == SessionStatus.DONE
