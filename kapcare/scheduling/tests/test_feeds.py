"""The calendar feeds as a calendar application fetches them: parsed with `icalendar`,
checked against the live authorisation on every fetch, minimal in what they say, and
logged."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents import services as consents
from kapcare.episodes import services
from kapcare.scheduling import feeds
from kapcare.scopes import Scope
from tests.factories import (
    PatientFactory,
    RoomFactory,
    UserFactory,
    authorize,
    open_episode,
    plan_session,
)

DIAGNOSIS = "Major depressive disorder, recurrent, severe"


def days_from_now(days: float) -> dt.datetime:
    return timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=days)


def fetch(client, feed, status=200):
    response = client.get(reverse("feeds:ics", args=[feed.token]))
    assert response.status_code == status
    return response


def events(client, feed) -> list:
    return Calendar.from_ical(fetch(client, feed).content).walk("VEVENT")


def summaries(client, feed) -> list[str]:
    return [str(event["SUMMARY"]) for event in events(client, feed)]


@pytest.fixture
def jane(clinic):
    return PatientFactory(clinic=clinic, given_name="Jane", family_name="Evans")


@pytest.fixture
def room(clinic):
    return RoomFactory(clinic=clinic, name="Suite 1")


@pytest.fixture
def episode(jane, clinician, therapist):
    return open_episode(
        jane, clinician, therapist=therapist, diagnosis_code="F33.2", diagnosis_text=DIAGNOSIS
    )


@pytest.fixture
def dosing(episode, clinician, room):
    return plan_session(episode, clinician, starts_at=days_from_now(2), room=room)


@pytest.fixture
def shares_schedule(jane, therapist, clinician):
    return authorize(jane, therapist, scopes=[Scope.SCHEDULE], by=clinician)


@pytest.fixture
def therapist_feed(therapist):
    return feeds.feed_for_user(therapist)


@pytest.fixture
def patient_feed(patient_user):
    return feeds.feed_for_user(patient_user)


def cancel(session, by):
    return services.record_session_status(
        actor=Actor(user=by, ip_address="127.0.0.1"),
        session=session,
        to_status="cancelled",
        note="The patient has a fever.",
    )


# --- Initials -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "family", "expected"),
    [
        ("Jane", "Evans", "J.E."),
        ("jane", "evans", "J.E."),
        ("  Mary Ann ", "van der Berg", "M.V."),
        ("Jane", "", "J."),
        ("", "", ""),
    ],
)
def test_initials_take_the_first_letter_of_each_name(given, family, expected):
    assert feeds.initials(given, family) == expected


# --- The calendar itself ------------------------------------------------------------------


def test_feed_is_icalendar_that_no_cache_may_keep(client, therapist_feed):
    response = fetch(client, therapist_feed)

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    calendar = Calendar.from_ical(response.content)
    assert (str(calendar["VERSION"]), str(calendar["PRODID"])) == ("2.0", feeds.PRODID)
    assert str(calendar["X-WR-CALNAME"])


def test_event_has_its_session_as_uid_and_its_times_in_utc(
    client, therapist_feed, dosing, shares_schedule
):
    content = fetch(client, therapist_feed).content.decode()
    [event] = Calendar.from_ical(content).walk("VEVENT")

    assert str(event["UID"]) == f"{dosing.external_id}@kapcare"
    assert event["DTSTART"].dt == dosing.planned_start
    assert f"DTSTART:{dosing.planned_start.astimezone(dt.UTC):%Y%m%dT%H%M%S}Z" in content
    assert event["DTEND"].dt == dosing.planned_end
    assert "DTSTAMP" in event
    assert str(event["STATUS"]) == "CONFIRMED"


def test_cancelled_session_is_marked_cancelled(
    client, therapist_feed, dosing, shares_schedule, clinician
):
    cancel(dosing, clinician)

    [event] = events(client, therapist_feed)

    assert str(event["STATUS"]) == "CANCELLED"


def test_unknown_token_answers_404(client, db):
    assert client.get(reverse("feeds:ics", args=["not-a-token"])).status_code == 404


# --- The therapist's feed -----------------------------------------------------------------


def test_therapist_feed_shows_a_patient_who_shares_the_schedule_by_initials_and_kind(
    client, therapist_feed, dosing, shares_schedule
):
    assert summaries(client, therapist_feed) == ["J.E. — Dosing session"]


def test_therapist_feed_names_no_patient_and_no_diagnosis(
    client, therapist_feed, dosing, shares_schedule, clinician
):
    cancel(dosing, clinician)  # a status note that must stay in the clinic

    content = fetch(client, therapist_feed).content.decode()

    for secret in ("Jane", "Evans", DIAGNOSIS, "F33.2", "fever", "Suite 1"):
        assert secret not in content


@pytest.mark.parametrize("scope", sorted(set(Scope.values) - {Scope.SCHEDULE}))
def test_therapist_feed_is_empty_without_the_schedule_scope(
    client, therapist_feed, dosing, jane, therapist, clinician, scope
):
    authorize(jane, therapist, scopes=[scope], by=clinician)

    assert events(client, therapist_feed) == []


def test_revoked_therapists_feed_is_empty_on_the_next_fetch(
    client, therapist_feed, dosing, shares_schedule, clinician
):
    assert len(events(client, therapist_feed)) == 1
    consents.revoke_authorization(
        actor=Actor(user=clinician, ip_address="127.0.0.1"), authorization=shares_schedule
    )

    calendar = Calendar.from_ical(fetch(client, therapist_feed).content)

    assert calendar.walk("VEVENT") == []
    assert str(calendar["VERSION"]) == "2.0"


def test_expired_authorisation_empties_the_therapists_feed(
    client, therapist_feed, dosing, shares_schedule
):
    with time_machine.travel(shares_schedule.expires_at + dt.timedelta(minutes=1)):
        assert events(client, therapist_feed) == []


def test_therapist_feed_leaves_out_another_therapists_patient(
    client, therapist_feed, clinician, clinic, room
):
    colleague = UserFactory(role=Role.THERAPIST, clinic=None)
    other = PatientFactory(clinic=clinic)
    authorize(other, colleague, scopes=[Scope.SCHEDULE], by=clinician)
    plan_session(open_episode(other, clinician, therapist=colleague), clinician, room=room)

    assert events(client, therapist_feed) == []


def test_therapist_feed_carries_the_sessions_the_therapist_runs(
    client, therapist_feed, episode, clinician, shares_schedule
):
    plan_session(episode, clinician, kind="preparation", starts_at=days_from_now(1))

    assert summaries(client, therapist_feed) == ["J.E. — Preparation session"]


def test_therapist_feed_leaves_out_preparation_run_by_someone_else(
    client, therapist_feed, episode, clinician, shares_schedule
):
    plan_session(
        episode, clinician, kind="preparation", starts_at=days_from_now(1), clinician=clinician
    )

    assert events(client, therapist_feed) == []


def test_feed_reaches_back_a_month(
    client, therapist_feed, episode, clinician, room, shares_schedule
):
    plan_session(episode, clinician, starts_at=days_from_now(-(feeds.PAST_DAYS + 1)), room=room)
    recent = plan_session(episode, clinician, starts_at=days_from_now(-3), room=room)

    [event] = events(client, therapist_feed)

    assert str(event["UID"]) == f"{recent.external_id}@kapcare"


def test_deactivated_therapists_feed_answers_404(
    client, therapist, therapist_feed, dosing, shares_schedule
):
    therapist.is_active = False
    therapist.save(update_fields=["is_active"])

    fetch(client, therapist_feed, status=404)


def test_therapist_fetch_is_a_disclosure_of_each_patient_shown(
    client, therapist, therapist_feed, dosing, shares_schedule, jane
):
    before = AccessLogEntry.objects.count()

    fetch(client, therapist_feed)

    [entry] = AccessLogEntry.objects.order_by("id")[before:]
    assert (entry.actor_id, entry.patient_id, entry.action) == (
        therapist.pk,
        jane.pk,
        AccessAction.DISCLOSE,
    )
    assert entry.ip_address == "127.0.0.1"


def test_empty_therapist_feed_discloses_nothing(client, therapist, therapist_feed, dosing):
    fetch(client, therapist_feed)

    assert not AccessLogEntry.objects.filter(actor=therapist).exists()


def test_therapist_feed_runs_the_same_queries_for_one_patient_or_many(
    client, clinic, clinician, therapist, therapist_feed, dosing, shares_schedule, room
):
    with CaptureQueriesContext(connection) as one:
        fetch(client, therapist_feed)
    for day in range(3, 7):
        other = PatientFactory(clinic=clinic)
        authorize(other, therapist, scopes=[Scope.SCHEDULE], by=clinician)
        episode = open_episode(other, clinician, therapist=therapist)
        plan_session(episode, clinician, starts_at=days_from_now(day), room=room)
        plan_session(episode, clinician, kind="integration", starts_at=days_from_now(day + 0.5))

    with CaptureQueriesContext(connection) as many:
        assert len(events(client, therapist_feed)) == 9

    assert len(many) == len(one) <= 3  # the feed, the sessions, the log insert


# --- The patient's feed -------------------------------------------------------------------


def test_patient_feed_shows_own_sessions_with_the_clinic(
    client, patient, patient_feed, clinician, therapist, room, dosing
):
    mine = plan_session(
        open_episode(patient, clinician, therapist=therapist),
        clinician,
        starts_at=days_from_now(4),
        room=room,
    )

    [event] = events(client, patient_feed)

    assert str(event["UID"]) == f"{mine.external_id}@kapcare"
    assert str(event["SUMMARY"]) == "Dosing session — Music City Ketamine"
    assert str(event["LOCATION"]) == "Music City Ketamine"


def test_patient_feed_is_a_view_of_the_own_record(client, patient, patient_user, patient_feed):
    fetch(client, patient_feed)

    entry = AccessLogEntry.objects.latest("id")
    assert (entry.actor_id, entry.patient_id, entry.action) == (
        patient_user.pk,
        patient.pk,
        AccessAction.VIEW,
    )


def test_patient_feed_runs_the_same_queries_however_many_sessions(
    client, patient, patient_feed, clinician, therapist, room
):
    episode = open_episode(patient, clinician, therapist=therapist)
    plan_session(episode, clinician, starts_at=days_from_now(1), room=room)
    with CaptureQueriesContext(connection) as one:
        fetch(client, patient_feed)
    for day in range(2, 6):
        plan_session(episode, clinician, starts_at=days_from_now(day), room=room)

    with CaptureQueriesContext(connection) as many:
        assert len(events(client, patient_feed)) == 5

    assert len(many) == len(one)


# --- A room's feed ------------------------------------------------------------------------


def test_room_feed_shows_its_appointments_by_initials_and_purpose(client, room, dosing, clinic):
    elsewhere = RoomFactory(clinic=clinic, name="Suite 2")
    plan_session(dosing.episode, dosing.created_by, starts_at=days_from_now(5), room=elsewhere)
    feed = feeds.feed_for_room(room)

    [event] = events(client, feed)

    assert str(event["SUMMARY"]) == "J.E. — Dosing session"
    assert str(event["LOCATION"]) == "Music City Ketamine, Suite 1"
    assert str(event["UID"]) == f"{dosing.appointment.external_id}@kapcare"


def test_room_fetch_lists_each_patient_shown(client, room, dosing, jane):
    feed = feeds.feed_for_room(room)

    fetch(client, feed)

    entry = AccessLogEntry.objects.latest("id")
    assert (entry.patient_id, entry.action, entry.actor_id) == (jane.pk, AccessAction.LIST, None)


# --- A new address ------------------------------------------------------------------------


def test_new_address_retires_the_old_one_at_once(client, therapist, therapist_feed):
    old = therapist_feed.token

    feeds.regenerate(actor=Actor(user=therapist, ip_address="127.0.0.1"), feed=therapist_feed)

    assert client.get(reverse("feeds:ics", args=[old])).status_code == 404
    assert therapist_feed.token != old
    fetch(client, therapist_feed)


def test_the_feed_is_made_once_per_owner(therapist, room):
    assert feeds.feed_for_user(therapist).pk == feeds.feed_for_user(therapist).pk
    assert feeds.feed_for_room(room).pk == feeds.feed_for_room(room).pk
