"""The therapist portal's pages: recording a planned or a new session, sending a
questionnaire, and the "Your sessions" section of the shared record. Each page under every
state of the sharing authorisation (authorised, scope missing, expired, revoked one request
ago, another therapist's, not named on the episode), the access log, and what was typed
kept with each problem at its field."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents import services as consent_services
from kapcare.episodes.models import CareSession, SessionStatus
from kapcare.measures.models import AssessmentLink
from kapcare.scopes import Scope
from tests.factories import UserFactory, authorize, open_episode, plan_session

OK, DENIED, MISSING = 200, 403, 404
NOW = dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.UTC)  # 2 PM in Chicago


@pytest.fixture(autouse=True)
def _at_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def episode(patient, clinician, therapist):
    return open_episode(patient, clinician, therapist=therapist)


@pytest.fixture
def planned(episode, clinician):
    """An integration session planned for yesterday, run by the episode's therapist."""
    return plan_session(
        episode, clinician, kind="integration", starts_at=NOW - dt.timedelta(days=1)
    )


def new_url(patient) -> str:
    return reverse("therapist_portal:record_new_session", args=[patient.external_id])


def planned_url(session) -> str:
    return reverse("therapist_portal:record_planned_session", args=[session.external_id])


def send_url(patient) -> str:
    return reverse("therapist_portal:send_questionnaire", args=[patient.external_id])


def shared_url(patient) -> str:
    return reverse("sharing:shared_record", args=[patient.external_id])


PAGES = {
    "record_new_session": lambda patient, session: new_url(patient),
    "record_planned_session": lambda patient, session: planned_url(session),
    "send_questionnaire": lambda patient, session: send_url(patient),
}
# The scope each page needs; None: any live authorisation (policy.THERAPIST_SCOPES).
PAGE_SCOPES = {
    "record_new_session": None,
    "record_planned_session": None,
    "send_questionnaire": Scope.MEASURES,
}
RECORD_PAGES = ["record_new_session", "record_planned_session"]


def form(**changes) -> dict:
    return {
        "kind": "integration",
        "held_on": "2026-11-30",
        "start_time": "16:00",
        "duration_minutes": "50",
        "modality": "emdr",
        "attendance": "attended",
        "coordination_note": "Ready for the next dose.",
    } | changes


# --- Every page under every state of the authorisation -----------------------------------


@pytest.mark.parametrize("page", sorted(PAGES))
def test_an_authorised_therapist_opens_the_page(client, therapist, patient, planned, page):
    authorize(patient, therapist, scopes=Scope.values)
    client.force_login(therapist)

    response = client.get(PAGES[page](patient, planned))

    assert response.status_code == OK
    assert patient.display_name in response.content.decode()


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize("scope", Scope.values)
def test_each_scope_alone_opens_only_the_pages_it_covers(
    client, therapist, patient, planned, page, scope
):
    authorize(patient, therapist, scopes=[scope])
    client.force_login(therapist)

    response = client.get(PAGES[page](patient, planned))

    needed = PAGE_SCOPES[page]
    assert response.status_code == (OK if needed in (None, scope) else MISSING)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_an_expired_authorisation_opens_nothing(client, therapist, patient, planned, page):
    today = consent_services.clinic_today(patient.clinic)
    authorization = authorize(
        patient, therapist, scopes=Scope.values, expires_on=today + dt.timedelta(days=1)
    )
    url = PAGES[page](patient, planned)
    with time_machine.travel(authorization.expires_at - dt.timedelta(minutes=1)):
        client.force_login(therapist)  # a fresh sign-in: idle sessions end
        assert client.get(url).status_code == OK
    with time_machine.travel(authorization.expires_at + dt.timedelta(minutes=1)):
        client.force_login(therapist)
        assert client.get(url).status_code == MISSING


@pytest.mark.parametrize("page", sorted(PAGES))
def test_revoked_one_request_ago_the_page_answers_404(
    client, therapist, patient, patient_user, planned, page
):
    authorization = authorize(patient, therapist, scopes=Scope.values)
    client.force_login(therapist)
    url = PAGES[page](patient, planned)
    assert client.get(url).status_code == OK
    patient_client = Client()
    patient_client.force_login(patient_user)
    patient_client.post(reverse("sharing:portal_revoke", args=[authorization.external_id]))

    assert client.get(url).status_code == MISSING
    assert client.post(url, form(instrument="phq9")).status_code == MISSING


@pytest.mark.parametrize("page", sorted(PAGES))
def test_another_therapists_authorisation_opens_nothing(client, therapist, patient, planned, page):
    colleague = UserFactory(role=Role.THERAPIST, clinic=None)
    authorize(patient, colleague, scopes=Scope.values)
    client.force_login(therapist)

    assert client.get(PAGES[page](patient, planned)).status_code == MISSING


@pytest.mark.parametrize("page", RECORD_PAGES)
def test_an_authorised_therapist_the_episode_does_not_name_gets_404(client, patient, planned, page):
    colleague = UserFactory(role=Role.THERAPIST, clinic=None)
    authorize(patient, colleague, scopes=Scope.values)
    client.force_login(colleague)

    assert client.get(PAGES[page](patient, planned)).status_code == MISSING
    assert client.post(PAGES[page](patient, planned), form()).status_code == MISSING


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize("role", ["coordinator", "clinician", "patient_user"])
def test_other_roles_are_refused(client, request, patient, planned, page, role):
    client.force_login(request.getfixturevalue(role))

    assert client.get(PAGES[page](patient, planned)).status_code == DENIED


def test_a_dosing_session_has_no_record_page_for_the_therapist(
    client, therapist, patient, episode, clinician
):
    authorize(patient, therapist, scopes=Scope.values)
    dose = plan_session(episode, clinician, starts_at=NOW - dt.timedelta(days=1))
    client.force_login(therapist)

    assert client.get(planned_url(dose)).status_code == MISSING


# --- Recording through the pages ---------------------------------------------------------


@pytest.fixture
def authorised(client, patient, therapist):
    authorize(patient, therapist, scopes=[Scope.SAFETY_ALERTS])
    client.force_login(therapist)
    return client


def test_the_form_says_psychotherapy_notes_stay_in_the_therapists_records(
    authorised, patient, episode
):
    content = authorised.get(new_url(patient)).content.decode()

    note_field = content.index('name="coordination_note"')
    guidance = content.index("Psychotherapy notes stay in your own records.")
    assert 0 < note_field - guidance < 400  # right above the note's box, under its label
    assert "write only what the clinic needs to coordinate care" in content.lower()


def test_recording_a_new_session_creates_it_and_returns_to_the_shared_record(
    authorised, patient, episode, therapist
):
    response = authorised.post(new_url(patient), form())

    assert response.status_code == 302
    assert response["Location"] == shared_url(patient)
    session = CareSession.objects.get(episode=episode)
    assert (session.kind, session.status, session.modality) == ("integration", "done", "emdr")
    assert session.run_by_id == therapist.pk


def test_recording_a_planned_session_as_missed(authorised, planned):
    response = authorised.post(
        planned_url(planned), form(attendance="missed", coordination_note="No-show; texted.")
    )

    assert response.status_code == 302
    planned.refresh_from_db()
    assert (planned.status, planned.status_note) == (SessionStatus.MISSED, "No-show; texted.")


def test_the_planned_form_starts_from_the_planned_time(authorised, planned):
    response = authorised.get(planned_url(planned))

    initial = response.context["form"].initial
    assert str(initial["held_on"]) == "2026-11-30"
    assert initial["start_time"] == dt.time(14, 0)  # 2 PM Chicago
    assert "kind" not in response.context["form"].fields


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"held_on": "1999-12-31"}, "held_on", "between 2000 and 2100"),
        ({"held_on": "2026-12-02"}, "held_on", "starts in the future"),
        ({"held_on": "soon"}, "held_on", "Enter the date as a date"),
        ({"duration_minutes": "0"}, "duration_minutes", "from 1 to 240"),
        ({"duration_minutes": "fifty"}, "duration_minutes", "whole number of minutes"),
        ({"modality": "reiki"}, "modality", "Choose a modality"),
        ({"attendance": "missed", "coordination_note": ""}, "coordination_note", "why"),
        ({"coordination_note": "x" * 1001}, "coordination_note", "1000 characters"),
        ({"kind": ""}, "kind", "Choose preparation or integration"),
    ],
)
def test_bad_input_is_shown_at_its_field_and_nothing_typed_is_lost(
    authorised, patient, episode, changes, field, words
):
    response = authorised.post(new_url(patient), form(**changes))

    assert response.status_code == OK
    errors = response.context["form"].errors
    assert words in " ".join(errors[field])
    assert (
        response.context["form"].data["coordination_note"] == form(**changes)["coordination_note"]
    )
    assert not CareSession.objects.filter(episode=episode).exists()


def test_a_session_already_recorded_says_so(authorised, planned):
    authorised.post(planned_url(planned), form())

    response = authorised.post(planned_url(planned), form())

    assert response.status_code == OK
    assert "This session is done; there is nothing more to record." in response.content.decode()
    assert CareSession.objects.filter(episode=planned.episode).count() == 1


def test_a_closed_episode_refuses_at_the_top_of_the_form(authorised, patient, episode, clinician):
    from kapcare.audit.log import Actor
    from kapcare.episodes import services

    services.change_state(
        actor=Actor(user=clinician, ip_address=None),
        episode=episode,
        to_state="discontinued",
        reason="Moved away.",
    )

    response = authorised.post(new_url(patient), form())

    assert response.status_code == OK
    assert "This episode is discontinued" in response.content.decode()


# --- Access log ---------------------------------------------------------------------------


def test_opening_a_record_page_is_a_disclosure(authorised, patient, therapist, planned):
    authorised.get(planned_url(planned))

    entry = AccessLogEntry.objects.filter(actor=therapist, patient=patient).latest("id")
    assert (entry.action, entry.object_id) == (AccessAction.DISCLOSE, str(planned.external_id))


def test_recording_logs_the_write_and_no_read(authorised, patient, therapist, planned):
    before = AccessLogEntry.objects.filter(actor=therapist).count()

    authorised.post(planned_url(planned), form())

    rows = AccessLogEntry.objects.filter(actor=therapist).order_by("id")[before:]
    assert [r.action for r in rows] == [AccessAction.UPDATE]


def test_a_refused_post_is_logged_as_the_record_shown_again(
    authorised, patient, therapist, episode
):
    before = AccessLogEntry.objects.filter(actor=therapist).count()

    authorised.post(new_url(patient), form(duration_minutes="0"))

    rows = AccessLogEntry.objects.filter(actor=therapist).order_by("id")[before:]
    assert [r.action for r in rows] == [AccessAction.DISCLOSE]


def test_a_refused_therapist_leaves_no_disclosure_only_the_refusal(
    client, therapist, patient, episode
):
    client.force_login(therapist)

    client.get(new_url(patient))

    rows = AccessLogEntry.objects.filter(actor=therapist)
    assert list(rows.values_list("action", "patient_id")) == [(AccessAction.REFUSED, patient.pk)]


# --- Sending a questionnaire --------------------------------------------------------------


@pytest.fixture
def measures_shared(client, patient, therapist):
    authorize(patient, therapist, scopes=[Scope.MEASURES])
    client.force_login(therapist)
    return client


def test_sending_a_questionnaire_emails_a_link_without_phi(
    measures_shared, patient, therapist, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = measures_shared.post(send_url(patient), {"instrument": "phq9"})

    assert response.status_code == 302
    link = AssessmentLink.objects.get(patient=patient)
    assert (link.instrument, link.sent_by_id) == ("phq9", therapist.pk)
    [message] = mailoutbox
    text = f"{message.subject}\n{message.body}"
    for phi in (patient.given_name, patient.family_name, "PHQ", "depression"):
        assert phi not in text
    assert message.to == [patient.email]


def test_sending_is_logged_as_a_write(measures_shared, patient, therapist):
    measures_shared.post(send_url(patient), {"instrument": "gad7"})

    entry = AccessLogEntry.objects.filter(actor=therapist, patient=patient).latest("id")
    assert (entry.action, entry.object_type) == (AccessAction.CREATE, "assessmentlink")


def test_sending_without_a_choice_says_so_at_the_field(measures_shared, patient):
    response = measures_shared.post(send_url(patient), {})

    assert response.status_code == OK
    assert response.context["form"].errors["instrument"] == ["Choose the questionnaire to send."]
    assert not AssessmentLink.objects.exists()


def test_the_shared_record_offers_the_questionnaire_only_under_measures(client, patient, therapist):
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    client.force_login(therapist)
    assert send_url(patient) not in client.get(shared_url(patient)).content.decode()

    authorize(patient, therapist, scopes=[Scope.MEASURES])
    assert send_url(patient) in client.get(shared_url(patient)).content.decode()


# --- "Your sessions" on the shared record ---------------------------------------------------

SECTION = 'id="shared-therapy-sessions-heading"'


def test_the_section_lists_planned_sessions_with_a_record_button_and_recorded_ones(
    authorised, patient, episode, planned, clinician
):
    done = plan_session(
        episode, clinician, kind="preparation", starts_at=NOW - dt.timedelta(days=3)
    )
    authorised.post(planned_url(done), form(modality="act", duration_minutes="55"))

    content = authorised.get(shared_url(patient)).content.decode()

    assert SECTION in content
    assert planned_url(planned) in content
    assert planned_url(done) not in content
    assert "ACT" in content
    assert "55 min" in content
    assert "✓ Attended" in content


def test_the_section_shows_for_any_scope_but_only_to_the_named_therapist(client, patient, episode):
    colleague = UserFactory(role=Role.THERAPIST, clinic=None)
    authorize(patient, colleague, scopes=Scope.values)
    client.force_login(colleague)

    assert SECTION not in client.get(shared_url(patient)).content.decode()


def test_the_section_leaves_out_dosing_sessions(authorised, patient, episode, clinician):
    dose = plan_session(episode, clinician, starts_at=NOW + dt.timedelta(days=2))

    content = authorised.get(shared_url(patient)).content.decode()

    assert SECTION in content
    assert str(dose.external_id) not in content


def _count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == OK
    return len(queries)


def test_the_shared_record_runs_the_same_queries_for_one_session_or_many(
    client, patient, therapist, episode, clinician, django_assert_max_num_queries
):
    authorize(patient, therapist, scopes=Scope.values)
    client.force_login(therapist)
    plan_session(episode, clinician, kind="integration", starts_at=NOW - dt.timedelta(days=1))
    client.get(shared_url(patient))
    one = _count(client, shared_url(patient))
    for days in range(2, 8):
        session = plan_session(
            episode, clinician, kind="integration", starts_at=NOW - dt.timedelta(days=days)
        )
        if days % 2:
            client.post(
                planned_url(session), form(held_on=str((NOW - dt.timedelta(days=days)).date()))
            )

    with django_assert_max_num_queries(one):
        response = client.get(shared_url(patient))

    section = next(c for s, c in response.context["sections"] if s.key == "therapy_sessions")
    assert len(section["planned"]) + len(section["recorded"]) == 7
