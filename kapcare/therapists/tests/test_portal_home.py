"""The therapist's home page: each authorised patient with what needs attention, each item
only within the scope that covers it (`therapists.attention`), patients needing attention
first, the list logged as disclosures, and the same queries for one patient or many."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare import views
from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing import recording
from kapcare.dosing.models import TherapistSummary
from kapcare.episodes.models import CareSession, SessionStatus
from kapcare.episodes.therapy_sessions import TherapySessionInput, record_therapy_session
from kapcare.messaging.tests.factories import reply, therapist_thread
from kapcare.scopes import Scope
from tests.factories import (
    PatientFactory,
    UserFactory,
    authorize,
    open_episode,
    plan_session,
    raise_alert,
)

OK = 200
NOW = dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.UTC)  # 2 PM in Chicago
HOME = "/therapist/"


@pytest.fixture(autouse=True)
def _at_now():
    with time_machine.travel(NOW, tick=False):
        yield


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def given_dose(episode, clinician, at) -> CareSession:
    """A dose given at `at`, two hours long (the start itself is tested in episodes)."""
    session = plan_session(episode, clinician, starts_at=at)
    CareSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.DONE, started_at=at, planned_end=at + dt.timedelta(hours=2)
    )
    return session


def released_summary(dose, clinician, at) -> TherapistSummary:
    """A summary released at `at` (releasing a signed record is tested in dosing)."""
    record = recording.record_for(actor(clinician), dose)
    return TherapistSummary.objects.create(
        record=record, patient_id=dose.patient_id, text="Calm session.", released_at=at
    )


def integration_held(episode, therapist, on: dt.date) -> CareSession:
    return record_therapy_session(
        actor=actor(therapist),
        episode=episode,
        data=TherapySessionInput(
            kind="integration",
            held_on=on,
            start_time=dt.time(9, 0),
            duration_minutes=50,
            modality="cbt",
            attended=True,
        ),
    )


def rows(client) -> list:
    response = client.get(HOME)
    assert response.status_code == OK
    return response.context["rows"]


def row_for(client, patient):
    return next(r for r in rows(client) if r.patient.pk == patient.pk)


@pytest.fixture
def episode(patient, clinician, therapist):
    return open_episode(patient, clinician, therapist=therapist)


@pytest.fixture
def signed_in(client, therapist):
    client.force_login(therapist)
    return client


# --- Upcoming dose ------------------------------------------------------------------------


@pytest.mark.parametrize("scope", Scope.values)
def test_the_next_dose_shows_only_under_the_schedule_scope(
    signed_in, patient, therapist, clinician, episode, scope
):
    authorize(patient, therapist, scopes=[scope])
    plan_session(episode, clinician, starts_at=NOW + dt.timedelta(days=5))
    soonest = plan_session(episode, clinician, starts_at=NOW + dt.timedelta(days=2))

    row = row_for(signed_in, patient)

    expected = soonest.planned_start if scope == Scope.SCHEDULE else None
    assert row.next_dose_at == expected
    assert ("Next dose" in signed_in.get(HOME).content.decode()) == (scope == Scope.SCHEDULE)


@pytest.mark.parametrize("scope", Scope.values)
def test_a_dose_under_way_shows_only_under_the_schedule_scope(
    signed_in, patient, therapist, clinician, episode, scope
):
    authorize(patient, therapist, scopes=[scope])
    started = NOW - dt.timedelta(minutes=30)
    dose = plan_session(episode, clinician, starts_at=started)
    CareSession.objects.filter(pk=dose.pk).update(
        status=SessionStatus.IN_PROGRESS, started_at=started
    )

    row = row_for(signed_in, patient)

    assert row.dose_under_way_since == (started if scope == Scope.SCHEDULE else None)
    assert ("Dose under way" in signed_in.get(HOME).content.decode()) == (scope == Scope.SCHEDULE)


# --- Unread messages ------------------------------------------------------------------------


def test_the_clinics_unread_messages_show_until_read(
    signed_in, patient, therapist, clinician, episode
):
    authorize(patient, therapist, scopes=[Scope.MEASURES])
    thread = therapist_thread(patient, therapist, by=clinician, body="Can we talk Thursday?")
    reply(thread, clinician, "Or Friday.")

    assert row_for(signed_in, patient).unread_messages == 2
    assert "2 unread messages" in signed_in.get(HOME).content.decode()

    signed_in.get(reverse("messaging:thread", args=[thread.external_id]))

    assert row_for(signed_in, patient).unread_messages == 0


# --- Integration due or overdue -------------------------------------------------------------


@pytest.mark.parametrize(
    ("dose_ago", "overdue"), [(dt.timedelta(days=1), False), (dt.timedelta(days=4), True)]
)
def test_integration_after_a_dose_is_due_then_overdue(
    signed_in, patient, therapist, clinician, episode, dose_ago, overdue
):
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    given_dose(episode, clinician, NOW - dose_ago)

    [due] = row_for(signed_in, patient).integration

    assert due.is_overdue is overdue
    assert due.due_by == NOW - dose_ago + dt.timedelta(hours=2 + 72)  # dose end + the window
    label = "Integration overdue" if overdue else "Integration due"
    assert label in signed_in.get(HOME).content.decode()


def test_the_window_is_the_clinics_setting(
    signed_in, clinic, patient, therapist, clinician, episode
):
    clinic.integration_window_hours = 24
    clinic.save(update_fields=["integration_window_hours"])
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    given_dose(episode, clinician, NOW - dt.timedelta(days=2))

    [due] = row_for(signed_in, patient).integration

    assert due.is_overdue


def test_an_integration_session_held_after_the_dose_settles_it(
    signed_in, patient, therapist, clinician, episode
):
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    given_dose(episode, clinician, NOW - dt.timedelta(days=4))
    integration_held(episode, therapist, (NOW - dt.timedelta(days=1)).date())

    assert row_for(signed_in, patient).integration == []


@pytest.mark.parametrize("scope", [s for s in Scope.values if s != Scope.SCHEDULE])
def test_integration_is_not_shown_without_the_schedule_scope(
    signed_in, patient, therapist, clinician, episode, scope
):
    authorize(patient, therapist, scopes=[scope])
    given_dose(episode, clinician, NOW - dt.timedelta(days=4))

    assert row_for(signed_in, patient).integration == []


def test_integration_is_shown_only_to_the_therapist_the_episode_names(client, patient, clinician):
    colleague = UserFactory(role=Role.THERAPIST, clinic=None)
    other = UserFactory(role=Role.THERAPIST, clinic=None)
    authorize(patient, colleague, scopes=[Scope.SCHEDULE])
    episode = open_episode(patient, clinician, therapist=other)
    given_dose(episode, clinician, NOW - dt.timedelta(days=4))
    client.force_login(colleague)

    row = row_for(client, patient)

    assert row.integration == []
    assert not row.records_sessions


# --- New session summary --------------------------------------------------------------------


@pytest.mark.parametrize("scope", Scope.values)
def test_a_released_summary_is_new_only_under_the_summaries_scope(
    signed_in, patient, therapist, clinician, episode, scope
):
    authorize(patient, therapist, scopes=[scope])
    dose = given_dose(episode, clinician, NOW - dt.timedelta(days=1))
    released_summary(dose, clinician, NOW - dt.timedelta(hours=12))

    row = row_for(signed_in, patient)

    expected = NOW - dt.timedelta(hours=12) if scope == Scope.SESSION_SUMMARIES else None
    assert row.new_summary_at == expected


def test_a_summary_stops_being_new_once_an_integration_session_is_held_after_it(
    signed_in, patient, therapist, clinician, episode
):
    authorize(patient, therapist, scopes=[Scope.SESSION_SUMMARIES])
    dose = given_dose(episode, clinician, NOW - dt.timedelta(days=3))
    released_summary(dose, clinician, NOW - dt.timedelta(days=2, hours=20))
    integration_held(episode, therapist, (NOW - dt.timedelta(days=1)).date())

    assert row_for(signed_in, patient).new_summary_at is None


def test_an_unreleased_summary_is_not_new(signed_in, patient, therapist, clinician, episode):
    authorize(patient, therapist, scopes=[Scope.SESSION_SUMMARIES])
    dose = given_dose(episode, clinician, NOW - dt.timedelta(days=1))
    released_summary(dose, clinician, None)

    assert row_for(signed_in, patient).new_summary_at is None


# --- Safety alert ---------------------------------------------------------------------------


@pytest.mark.parametrize("scope", Scope.values)
def test_an_open_safety_alert_shows_only_under_its_scope(
    signed_in, patient, therapist, clinician, scope
):
    authorize(patient, therapist, scopes=[scope])
    raise_alert(clinician, patient)

    row = row_for(signed_in, patient)

    assert row.open_alerts == (1 if scope == Scope.SAFETY_ALERTS else 0)
    assert ("Safety alert" in signed_in.get(HOME).content.decode()) == (
        scope == Scope.SAFETY_ALERTS
    )


def test_a_reviewed_alert_needs_no_attention(signed_in, patient, therapist, clinician):
    from kapcare.measures import services as measures_services

    authorize(patient, therapist, scopes=[Scope.SAFETY_ALERTS])
    alert = raise_alert(clinician, patient)
    measures_services.review_alert(actor=actor(clinician), alert=alert, note="Called; safe.")

    assert not row_for(signed_in, patient).needs_attention


# --- Order, links, log, queries -------------------------------------------------------------


def test_patients_needing_attention_come_first(
    signed_in, clinic, coordinator, patient, therapist, clinician
):
    calm = PatientFactory(clinic=clinic, given_name="Aaron", family_name="Able")
    authorize(calm, therapist, scopes=Scope.values, by=coordinator)
    authorize(patient, therapist, scopes=Scope.values)
    raise_alert(clinician, patient)

    assert [r.patient.pk for r in rows(signed_in)] == [patient.pk, calm.pk]


def test_the_home_links_recording_only_where_an_open_episode_names_the_therapist(
    signed_in, clinic, coordinator, patient, therapist, episode
):
    other = PatientFactory(clinic=clinic)
    authorize(other, therapist, scopes=[Scope.MEASURES], by=coordinator)
    authorize(patient, therapist, scopes=[Scope.MEASURES])

    content = signed_in.get(HOME).content.decode()

    record = "therapist_portal:record_new_session"
    assert reverse(record, args=[patient.external_id]) in content
    assert reverse(record, args=[other.external_id]) not in content
    assert reverse("feeds:my_feed") in content


def test_the_list_is_logged_as_one_disclosure_per_patient(
    signed_in, clinic, coordinator, patient, therapist
):
    other = PatientFactory(clinic=clinic)
    authorize(other, therapist, scopes=[Scope.MEASURES], by=coordinator)
    authorize(patient, therapist, scopes=[Scope.MEASURES])
    before = AccessLogEntry.objects.filter(actor=therapist).count()

    signed_in.get(HOME)

    logged = AccessLogEntry.objects.filter(actor=therapist).order_by("id")[before:]
    assert sorted(r.patient_id for r in logged) == sorted([patient.pk, other.pk])
    assert {r.action for r in logged} == {AccessAction.DISCLOSE}


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HOME).status_code == OK
    return len(queries)


def busy_patient(patient, therapist, clinician, by=None):
    """A patient sharing everything, with an upcoming dose, an overdue integration, a new
    summary and an open alert."""
    authorize(patient, therapist, scopes=Scope.values, by=by)
    episode = open_episode(patient, clinician, therapist=therapist)
    dose = given_dose(episode, clinician, NOW - dt.timedelta(days=4))
    released_summary(dose, clinician, NOW - dt.timedelta(days=3))
    plan_session(episode, clinician, starts_at=NOW + dt.timedelta(days=3))
    raise_alert(clinician, patient)


def test_home_runs_the_same_queries_for_one_patient_or_many(
    signed_in, clinic, coordinator, patient, therapist, clinician, django_assert_max_num_queries
):
    busy_patient(patient, therapist, clinician)
    signed_in.get(HOME)  # the session is settled
    one = _queries(signed_in)
    for _ in range(4):
        # Each dose needs its own clinician: they are booked at the same hours.
        colleague = UserFactory(role=Role.CLINICIAN, clinic=clinic)
        busy_patient(PatientFactory(clinic=clinic), therapist, colleague, by=coordinator)

    with django_assert_max_num_queries(one):
        many = rows(signed_in)

    assert len(many) == 5
    assert all(
        r.next_dose_at and r.integration and r.new_summary_at and r.open_alerts for r in many
    )


# --- A page at a time -----------------------------------------------------------------------


def test_the_caseload_comes_a_page_at_a_time_each_patient_once_newest_authorisation_first(
    signed_in, clinic, clinician, therapist, monkeypatch
):
    monkeypatch.setattr(views, "CASELOAD_PAGE", 2)
    oldest, middle, newest = (PatientFactory(clinic=clinic) for _ in range(3))
    for patient in (oldest, middle, newest):
        authorize(patient, therapist, by=clinician)
    # The oldest patient authorises again: their newest authorisation puts them first.
    authorize(oldest, therapist, scopes=("schedule",), by=clinician)

    first = signed_in.get(HOME)
    later = re.search(r'href="([^"]+)" rel="next"', first.content.decode()).group(1)
    second = signed_in.get(later.replace("&amp;", "&"))

    assert {r.patient.pk for r in first.context["rows"]} == {oldest.pk, newest.pk}
    assert [len(r.authorizations) for r in first.context["rows"] if r.patient == oldest] == [2]
    assert [r.patient.pk for r in second.context["rows"]] == [middle.pk]
    assert 'rel="next"' not in second.content.decode()


def test_a_patient_on_the_page_shows_only_the_authorisations_naming_this_therapist(
    signed_in, clinic, clinician, therapist
):
    patient = PatientFactory(clinic=clinic)
    authorize(patient, therapist, scopes=("measures",), by=clinician)
    # The same patient shares their schedule with another therapist too.
    colleague = UserFactory(role=Role.THERAPIST, clinic=None)
    authorize(patient, colleague, scopes=("schedule",), by=clinician)

    (row,) = signed_in.get(HOME).context["rows"]

    assert [a.therapist_id for a in row.authorizations] == [therapist.pk]
    assert [a.scopes for a in row.authorizations] == [["measures"]]
