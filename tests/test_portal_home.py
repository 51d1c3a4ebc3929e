"""The patient's portal home: one page in the order a patient needs it — the next sessions
(when, what, where, with whom), what to do before the next dose, the course so far, its
cost, consents and sharing, questionnaires, who viewed the record, the journal — with one
h1 and headings in order, every card from its own app, and a number of queries that does
not grow with the record."""

import datetime as dt
import itertools
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.episodes.models import DayOfChecklist, SessionStatus
from kapcare.episodes.portal.before_dose import FASTING_RULE, questionnaire_due
from kapcare.journal.tests.factories import journal_entry
from kapcare.measures import services as measures_services
from kapcare.measures.models import Source
from kapcare.patients.models import SexAtBirth
from tests.factories import RoomFactory, authorize, open_episode, plan_session, raise_alert

NOW = dt.datetime(2026, 11, 27, 18, 0, tzinfo=dt.UTC)
BEFORE_DOSE = 'id="before-dose-heading"'


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def episode(patient, clinician):
    return open_episode(patient, clinician)


@pytest.fixture
def next_dose(episode, clinician, clinic):
    """A dosing session in three days, in Suite Lotus with Cal Clinician."""
    room = RoomFactory(clinic=clinic, name="Suite Lotus")
    return plan_session(episode, clinician, starts_at=NOW + dt.timedelta(days=3), room=room)


def home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    return response.content.decode()


def complete(patient, instrument, answers):
    measures_services.record_assessment(
        actor=Actor(user=patient.user, ip_address=None),
        patient=patient,
        instrument=instrument,
        answers=answers,
        source=Source.PORTAL,
    )


def test_portal_home_shows_each_part_in_order_and_logs_the_view(
    client, patient_user, patient, next_dose
):
    journal_entry(patient)

    page = home(client, patient_user)

    headings = [
        "Your course of care",
        "Before your next dose",
        "Your course so far",
        "Your course and its cost",
        "Consent forms",
        "Sharing with your therapist",
        "Questionnaires",
        "Who viewed your record",
        "Your journal",
        "Your details",
        "If you are in crisis",
    ]
    positions = [page.index(f">{heading}</h2>") for heading in headings]
    assert positions == sorted(positions)
    assert reverse("audit:my_access_log") in page
    assert reverse("journal:list") in page
    assert reverse("consents:portal_consents") in page
    assert reverse("sharing:portal_list") in page
    assert AccessLogEntry.objects.filter(
        patient=patient, actor=patient_user, action=AccessAction.VIEW
    ).exists()


def test_portal_home_has_one_h1_and_headings_in_order(client, patient_user, patient, next_dose):
    page = home(client, patient_user)

    levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", page)]
    assert levels.count(1) == 1
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))


def test_next_sessions_say_where_and_with_whom(client, patient_user, next_dose):
    page = home(client, patient_user)

    assert "At Music City Ketamine, Suite Lotus, with Cal Clinician, CRNA" in page


def test_before_the_next_dose_names_fasting_escort_and_pregnancy_test(
    client, patient_user, next_dose
):
    page = home(client, patient_user)

    assert BEFORE_DOSE in page
    assert FASTING_RULE in page
    assert "No driving until the next day." in page
    assert "Pregnancy test" in page


def test_no_pregnancy_test_for_a_patient_recorded_male(client, patient_user, patient, next_dose):
    patient.sex_at_birth = SexAtBirth.MALE
    patient.save(update_fields=["sex_at_birth"])

    assert "Pregnancy test" not in home(client, patient_user)


def test_no_pregnancy_test_once_the_clinician_marked_it_not_applying(
    client, patient_user, patient, clinician, next_dose
):
    DayOfChecklist.objects.create(
        session=next_dose, patient=patient, pregnancy_test="not_applicable", recorded_by=clinician
    )

    assert "Pregnancy test" not in home(client, patient_user)


def test_questionnaires_due_before_the_next_dose_link_to_the_portal(
    client, patient_user, next_dose
):
    page = home(client, patient_user)

    assert reverse("measures:portal_questionnaire", args=["phq9"]) in page
    assert reverse("measures:portal_questionnaire", args=["gad7"]) in page
    assert "Fill in the PHQ-9" in page
    assert "Fill in the GAD-7" in page


def test_questionnaires_disappear_once_completed_within_the_window(
    client, patient_user, patient, next_dose
):
    complete(patient, "phq9", [0] * 9)
    page = home(client, patient_user)
    assert "Fill in the PHQ-9" not in page
    assert "Fill in the GAD-7" in page

    complete(patient, "gad7", [0] * 7)
    page = home(client, patient_user)

    assert "Fill in the GAD-7" not in page
    assert "Your PHQ-9 and GAD-7 are up to date for this dose" in page


def test_questionnaires_completed_before_the_window_are_still_due(
    client, patient_user, patient, episode, clinician
):
    complete(patient, "phq9", [0] * 9)
    complete(patient, "gad7", [0] * 7)
    plan_session(episode, clinician, starts_at=NOW + dt.timedelta(days=10))

    page = home(client, patient_user)

    assert "Fill in the PHQ-9" in page
    assert "earlier answers are too early for this dose" in page


@pytest.mark.parametrize(
    ("completed_days_before", "due"), [(None, True), (8, True), (7, False), (1, False), (-1, True)]
)
def test_a_questionnaire_counts_only_within_the_window_before_the_dose(completed_days_before, due):
    dose_at = NOW + dt.timedelta(days=3)
    completed_at = (
        None
        if completed_days_before is None
        else dose_at - dt.timedelta(days=completed_days_before)
    )

    is_due, opens = questionnaire_due(completed_at, dose_at, 7, NOW)

    assert is_due is due
    assert opens == dose_at - dt.timedelta(days=7)


def test_no_before_dose_card_without_a_dosing_session_ahead(client, patient_user, episode):
    assert BEFORE_DOSE not in home(client, patient_user)


def test_course_timeline_lists_sessions_held(client, patient_user, episode, clinician):
    held = plan_session(episode, clinician, starts_at=NOW - dt.timedelta(days=2))
    held.status = SessionStatus.DONE
    held.save(update_fields=["status"])

    page = home(client, patient_user)

    assert "Dosing session: done" in page


def test_portal_home_runs_the_same_queries_with_one_and_with_many_records(
    client, patient_user, patient, therapist, episode, clinician, django_assert_max_num_queries
):
    plan_session(episode, clinician, starts_at=NOW + dt.timedelta(days=2))
    journal_entry(patient)
    client.force_login(patient_user)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("portal:home"))
    queries_for_one = len(one)  # read now: the next request empties the query log
    for day in range(3, 9):
        session = plan_session(episode, clinician, starts_at=NOW + dt.timedelta(days=day))
        journal_entry(patient, session=session)
    past = plan_session(episode, clinician, starts_at=NOW - dt.timedelta(days=3))
    past.status = SessionStatus.DONE
    past.save(update_fields=["status"])
    authorize(patient, therapist)
    for _ in range(3):
        raise_alert(clinician, patient)

    with django_assert_max_num_queries(queries_for_one):
        response = client.get(reverse("portal:home"))

    assert response.status_code == 200
