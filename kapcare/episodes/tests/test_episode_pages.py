"""The episode pages: opening an episode (validation at the field, nothing lost, the
therapist by email), the episode's page (history, timeline in time order, "Move to"),
changing the plan, the chart's "Course of care", the chart's timeline and the portal card."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.episodes import rules, services
from kapcare.episodes.models import Episode, EpisodeTransition
from kapcare.episodes.tests.test_services import put_in_state
from tests.factories import RoomFactory, open_episode, plan_session

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fixed_now():
    with time_machine.travel(NOW, tick=False):
        yield


def create_url(patient):
    return reverse("episodes:create", kwargs={"patient_id": patient.external_id})


def detail_url(episode):
    return reverse("episodes:detail", kwargs={"episode_id": episode.external_id})


def episode_form(**changes):
    return {
        "model": "blended",
        "diagnosis_code": "F33.2",
        "diagnosis_text": "Major depressive disorder, recurrent, severe",
        "treating_clinician": "",
        "therapist_email": "",
        "therapist_name": "",
        "therapist_fee": "",
        "goals": "Feel present with my children.",
        "dose_route": "iv",
        "planned_doses": "",
        "planned_preparation_sessions": "",
        "planned_integration_sessions": "",
    } | changes


# --- Opening an episode -----------------------------------------------------------------------


def test_the_form_describes_each_model(client, coordinator, patient):
    client.force_login(coordinator)

    html = client.get(create_url(patient)).content.decode()

    for description in rules.MODEL_DESCRIPTIONS.values():
        assert escape(description) in html


def test_opening_an_episode_takes_you_to_its_page(client, coordinator, clinician, patient):
    client.force_login(coordinator)

    response = client.post(
        create_url(patient), episode_form(treating_clinician=clinician.pk, diagnosis_code="f332")
    )

    episode = Episode.objects.get(patient=patient)
    assert response["Location"] == detail_url(episode)
    assert (episode.model, episode.diagnosis_code, episode.treating_clinician) == (
        "blended",
        "F33.2",
        clinician,
    )
    assert episode.planned_doses == patient.clinic.induction_doses


def test_a_bad_diagnosis_code_is_shown_at_its_field_and_nothing_is_lost(
    client, coordinator, patient
):
    client.force_login(coordinator)

    response = client.post(create_url(patient), episode_form(diagnosis_code="depression"))

    form = response.context["form"]
    assert list(form.errors) == ["diagnosis_code"]
    html = response.content.decode()
    assert 'value="depression"' in html
    assert "Feel present with my children." in html
    assert not Episode.objects.exists()


def test_an_unknown_therapist_without_a_name_is_asked_for_the_name(client, coordinator, patient):
    client.force_login(coordinator)

    response = client.post(
        create_url(patient), episode_form(therapist_email="new@practice.example")
    )

    assert "therapist_name" in response.context["form"].errors
    assert 'value="new@practice.example"' in response.content.decode()


def test_a_standalone_infusion_ignores_what_was_typed_for_the_therapist(
    client, coordinator, patient, therapist
):
    client.force_login(coordinator)

    client.post(
        create_url(patient),
        episode_form(model="standalone", therapist_email="not an email", therapist_fee="-3"),
    )

    episode = Episode.objects.get(patient=patient)
    assert (episode.therapist, episode.therapist_fee, episode.planned_integration_sessions) == (
        None,
        None,
        0,
    )


def test_a_refused_post_still_logs_the_record_shown_again(client, coordinator, patient):
    client.force_login(coordinator)

    client.post(create_url(patient), episode_form(model=""))

    assert AccessLogEntry.objects.filter(patient=patient, action=AccessAction.VIEW).exists()


# --- The episode's page -----------------------------------------------------------------------


@pytest.fixture
def episode(patient, clinician, therapist):
    return open_episode(patient, clinician, therapist=therapist, goals="Sleep through the night.")


def test_the_page_shows_the_header_and_the_history(client, coordinator, episode, therapist):
    client.force_login(coordinator)

    html = client.get(detail_url(episode)).content.decode()

    assert episode.patient.display_name in html
    assert "Blended KAP" in html
    assert "F33.2" in html
    assert therapist.email in html
    assert "Sleep through the night." in html
    assert "Episode opened." in html


def test_the_timeline_lists_sessions_in_time_order(client, coordinator, clinician, episode):
    later = plan_session(
        episode,
        clinician,
        kind="integration",
        starts_at=dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC),
    )
    earlier = plan_session(
        episode,
        clinician,
        kind="preparation",
        starts_at=dt.datetime(2026, 11, 25, 15, tzinfo=dt.UTC),
    )
    dose = plan_session(episode, clinician, starts_at=dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC))
    client.force_login(coordinator)

    response = client.get(detail_url(episode))

    assert [row.session for row in response.context["rows"]] == [earlier, dose, later]


def test_session_times_are_shown_in_the_clinics_zone(client, coordinator, clinician, episode):
    plan_session(episode, clinician, starts_at=dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC))
    client.force_login(coordinator)

    html = client.get(detail_url(episode)).content.decode()

    assert "Tue Dec 1, 2026, 9:00 AM" in html  # 15:00 UTC in Chicago


def test_moving_the_state_records_who_and_why(client, clinician, episode):
    client.force_login(clinician)

    response = client.post(detail_url(episode), {"to_state": "screening", "reason": "Referral in."})

    assert response.status_code == 302
    last = EpisodeTransition.objects.filter(episode=episode).last()
    assert (last.to_state, last.changed_by, last.reason) == ("screening", clinician, "Referral in.")


def test_discontinuing_without_a_reason_is_refused_at_the_reason(client, clinician, episode):
    client.force_login(clinician)

    response = client.post(detail_url(episode), {"to_state": "discontinued", "reason": ""})

    assert list(response.context["state_form"].errors) == ["reason"]
    assert Episode.objects.get(pk=episode.pk).state == rules.REFERRED


def test_a_state_not_reachable_is_refused_at_the_state(client, clinician, episode):
    client.force_login(clinician)

    response = client.post(detail_url(episode), {"to_state": "completed", "reason": "Done."})

    assert list(response.context["state_form"].errors) == ["to_state"]


def test_the_move_to_list_offers_only_the_next_states(client, clinician, episode):
    client.force_login(clinician)

    response = client.get(detail_url(episode))

    offered = [v for v, _ in response.context["state_form"].fields["to_state"].choices if v]
    assert offered == ["screening", "discontinued"]


def test_a_closed_episode_offers_no_move(client, clinician, episode):
    put_in_state(episode, rules.COMPLETED)
    client.force_login(clinician)

    html = client.get(detail_url(episode)).content.decode()

    assert "This episode is closed." in html


def test_the_page_answers_in_a_fixed_number_of_queries(
    client, coordinator, clinician, episode, django_assert_max_num_queries
):
    client.force_login(coordinator)
    plan_session(episode, clinician, kind="preparation")
    url = detail_url(episode)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    room = RoomFactory(clinic=episode.clinic)
    for day in range(2, 10):
        plan_session(
            episode,
            clinician,
            room=room,
            starts_at=dt.datetime(2026, 12, day, 15, tzinfo=dt.UTC),
        )
        plan_session(
            episode,
            clinician,
            kind="integration",
            starts_at=dt.datetime(2026, 12, day, 20, tzinfo=dt.UTC),
        )
    for state in ("screening", "eligible", "consented", "preparing"):
        services.change_state(
            actor=Actor(user=clinician, ip_address=None), episode=episode, to_state=state
        )

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)

    assert len(response.context["rows"]) == 17


def test_reading_the_page_is_logged_for_the_patient(client, coordinator, episode):
    client.force_login(coordinator)

    client.get(detail_url(episode))

    assert AccessLogEntry.objects.filter(
        patient=episode.patient, action=AccessAction.VIEW, object_id=str(episode.external_id)
    ).exists()


def test_another_clinics_staff_get_not_found(client, outsider, episode):
    client.force_login(outsider)

    assert client.get(detail_url(episode)).status_code == 404


def test_the_patient_is_refused_the_staff_page(client, patient_user, episode):
    client.force_login(patient_user)

    assert client.get(detail_url(episode)).status_code == 403


# --- Changing the plan ------------------------------------------------------------------------


def test_changing_the_plan_saves_it(client, coordinator, episode, therapist):
    client.force_login(coordinator)
    url = reverse("episodes:edit", kwargs={"episode_id": episode.external_id})

    response = client.post(
        url,
        {
            "treating_clinician": "",
            "therapist_email": therapist.email,
            "therapist_name": "",
            "therapist_fee": "160",
            "dose_route": "im",
            "planned_doses": "8",
            "planned_preparation_sessions": "2",
            "planned_integration_sessions": "8",
        },
    )

    assert response.status_code == 302
    episode.refresh_from_db()
    assert (episode.planned_doses, episode.dose_route, str(episode.therapist_fee)) == (
        8,
        "im",
        "160.00",
    )


def test_changing_the_model_on_the_plan_page_saves_it_and_drops_the_therapist(
    client, coordinator, episode, therapist
):
    client.force_login(coordinator)
    url = reverse("episodes:edit", kwargs={"episode_id": episode.external_id})

    response = client.post(
        url,
        {
            "model": "standalone",
            "dose_route": "iv",
            "planned_doses": "6",
            "therapist_email": therapist.email,
            "planned_integration_sessions": "6",
        },
    )

    assert response.status_code == 302
    episode.refresh_from_db()
    assert (episode.model, episode.therapist_id, episode.planned_integration_sessions) == (
        "standalone",
        None,
        0,
    )


def test_an_unknown_model_on_the_plan_page_is_refused_at_the_field(client, coordinator, episode):
    client.force_login(coordinator)
    url = reverse("episodes:edit", kwargs={"episode_id": episode.external_id})

    response = client.post(url, {"model": "microdosing", "dose_route": "iv", "planned_doses": "6"})

    assert response.context["form"].errors["model"] == ["Choose one of the four models."]


def test_a_plan_without_doses_is_refused_at_the_field(client, coordinator, episode):
    client.force_login(coordinator)
    url = reverse("episodes:edit", kwargs={"episode_id": episode.external_id})

    response = client.post(url, {"dose_route": "iv", "planned_doses": "0"})

    assert "planned_doses" in response.context["form"].errors


# --- The chart, its timeline and the portal ---------------------------------------------------


def chart(client, user, patient):
    client.force_login(user)
    return client.get(reverse("patients:chart", kwargs={"patient_id": patient.external_id}))


def test_the_chart_shows_each_episode_with_its_next_session(
    client, coordinator, clinician, episode
):
    plan_session(episode, clinician, starts_at=dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC))

    html = chart(client, coordinator, episode.patient).content.decode()

    assert "Course of care" in html
    assert detail_url(episode) in html
    assert "Tue Dec 1, 2026, 9:00 AM" in html
    assert reverse("episodes:create", kwargs={"patient_id": episode.patient.external_id}) in html


def test_the_chart_section_does_not_grow_with_the_episodes(
    client, coordinator, clinician, patient, django_assert_max_num_queries
):
    open_episode(patient, clinician)
    with CaptureQueriesContext(connection) as small:
        chart(client, coordinator, patient)
    for _ in range(4):
        episode = open_episode(patient, clinician)
        plan_session(episode, clinician, kind="preparation")

    with django_assert_max_num_queries(len(small.captured_queries)):
        chart(client, coordinator, patient)


def test_the_chart_timeline_has_the_moves_and_sessions_recorded(
    client, coordinator, clinician, episode
):
    session = plan_session(
        episode, clinician, kind="preparation", starts_at=NOW - dt.timedelta(days=2)
    )
    services.record_session_status(
        actor=Actor(user=clinician, ip_address=None),
        session=session,
        to_status="done",
        therapist_confirmation="Phone call, same day",
    )

    events = chart(client, coordinator, episode.patient).context["timeline"]

    titles = [event.title for event in events]
    assert "Blended KAP: Referred" in titles
    assert "Preparation session: done" in titles
    done = next(e for e in events if e.title == "Preparation session: done")
    assert "confirmed by the therapist: Phone call, same day" in done.detail


def portal(client, patient_user):
    client.force_login(patient_user)
    return client.get(reverse("portal:home"))


def test_the_portal_explains_the_model_and_lists_the_next_sessions(
    client, patient_user, clinician, episode
):
    plan_session(episode, clinician, starts_at=dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC))

    html = portal(client, patient_user).content.decode()

    assert "Your course of care" in html
    assert "your own therapist" in html
    assert "Tuesday, December 1, 9:00 AM" in html


def test_the_portal_has_no_card_without_an_open_episode(client, patient_user, patient):
    html = portal(client, patient_user).content.decode()

    assert "Your course of care" not in html


# --- The therapist picked from the directory ---------------------------------------------------


def test_the_therapist_is_picked_from_the_clinic_directory(client, coordinator, patient):
    from kapcare.therapists.tests.directory_factories import add_therapist

    listed = add_therapist(coordinator, email="rae@practice.example", full_name="Rae Listed")
    client.force_login(coordinator)

    html = client.get(create_url(patient)).content.decode()
    response = client.post(
        create_url(patient), episode_form(therapist_from_directory=listed.user.email)
    )

    assert "Rae Listed" in html
    assert response.status_code == 302
    assert Episode.objects.get(patient=patient).therapist_id == listed.user.pk


def test_a_directory_pick_and_another_typed_email_is_asked_about_at_the_field(
    client, coordinator, patient
):
    from kapcare.therapists.tests.directory_factories import add_therapist

    listed = add_therapist(coordinator, email="rae@practice.example", full_name="Rae Listed")
    client.force_login(coordinator)

    response = client.post(
        create_url(patient),
        episode_form(therapist_from_directory=listed.user.email, therapist_email="x@y.example"),
    )

    assert list(response.context["form"].errors) == ["therapist_email"]
    assert 'value="x@y.example"' in response.content.decode()
