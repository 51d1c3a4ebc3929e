"""Planning a session (times typed in the clinic's zone, a double booking named at the top
of the form with nothing lost) and recording what happened to one."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from kapcare.episodes import rules
from kapcare.episodes.models import CareSession
from kapcare.scheduling.models import Appointment
from tests.factories import RoomFactory, asked_coverage, open_episode, plan_session

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fixed_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def episode(patient, clinician, therapist):
    asked_coverage(patient, clinician)  # every booking asks it first (billing.booking)
    return open_episode(patient, clinician, therapist=therapist)


@pytest.fixture
def room(clinic):
    return RoomFactory(clinic=clinic, name="Suite A")


def new_session_url(episode):
    return reverse("episodes:session_create", kwargs={"episode_id": episode.external_id})


def record_url(session):
    return reverse("episodes:session_record", kwargs={"session_id": session.external_id})


def dose_form(room, booked, **changes):
    return {
        "kind": "dosing",
        "start": "2026-12-01T09:00",
        "room": room.pk,
        "clinician": booked.pk,
        "run_by": "",
    } | changes


# --- Planning ---------------------------------------------------------------------------------


def test_the_start_is_read_in_the_clinics_zone(client, coordinator, clinician, episode, room):
    client.force_login(coordinator)

    response = client.post(new_session_url(episode), dose_form(room, clinician))

    assert response.status_code == 302
    session = CareSession.objects.get(episode=episode)
    assert session.planned_start == dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)  # 9:00 Chicago
    assert session.appointment.room == room


def test_a_double_booking_is_named_at_the_top_and_nothing_typed_is_lost(
    client, coordinator, clinician, episode, room
):
    plan_session(episode, clinician, room=room)  # Dec 1, 9:00–10:55 in Chicago
    client.force_login(coordinator)

    response = client.post(
        new_session_url(episode), dose_form(room, clinician, start="2026-12-01T10:00")
    )

    form = response.context["form"]
    assert "Suite A is already booked Tue Dec 1, 9:00 AM–10:55 AM" in form.non_field_errors()[0]
    html = response.content.decode()
    assert 'value="2026-12-01T10:00"' in html
    assert f'<option value="{room.pk}" selected>' in html
    assert CareSession.objects.filter(episode=episode).count() == 1
    assert Appointment.objects.count() == 1


def test_a_dose_without_a_clinician_is_refused_at_the_clinician(
    client, coordinator, clinician, episode, room
):
    client.force_login(coordinator)

    response = client.post(new_session_url(episode), dose_form(room, clinician, clinician=""))

    assert list(response.context["form"].errors) == ["clinician"]


def test_a_start_that_is_not_a_time_is_refused_at_the_start(
    client, coordinator, clinician, episode, room
):
    client.force_login(coordinator)

    response = client.post(new_session_url(episode), dose_form(room, clinician, start="soon"))

    assert list(response.context["form"].errors) == ["start"]


def test_a_standalone_infusion_offers_only_dosing(client, coordinator, patient, clinician):
    episode = open_episode(patient, clinician, model="standalone")
    client.force_login(coordinator)

    response = client.get(new_session_url(episode))

    assert [value for value, _ in response.context["form"].fields["kind"].choices] == ["dosing"]


def test_the_episodes_therapist_may_run_an_integration_session(
    client, coordinator, episode, therapist
):
    client.force_login(coordinator)

    client.post(
        new_session_url(episode),
        {"kind": "integration", "start": "2026-12-02T14:00", "run_by": therapist.pk},
    )

    session = CareSession.objects.get(episode=episode)
    assert (session.run_by, session.appointment) == (therapist, None)


# --- Recording --------------------------------------------------------------------------------


def test_staff_record_a_preparation_session_as_done(client, coordinator, clinician, episode):
    session = plan_session(
        episode, clinician, kind="preparation", starts_at=NOW - dt.timedelta(days=1)
    )
    client.force_login(coordinator)

    response = client.post(
        record_url(session),
        {
            "status": "done",
            "note": "Intentions set.",
            "therapist_confirmation": "Email from the therapist, Dec 3",
        },
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert (
        session.status,
        session.status_changed_by,
        session.status_note,
        session.therapist_confirmation,
    ) == (rules.DONE, coordinator, "Intentions set.", "Email from the therapist, Dec 3")
    page = client.get(reverse("episodes:detail", args=[episode.external_id]))
    assert "Email from the therapist, Dec 3" in page.content.decode()


def test_staff_recording_a_preparation_as_done_are_asked_for_the_therapists_confirmation(
    client, coordinator, clinician, episode
):
    session = plan_session(
        episode, clinician, kind="preparation", starts_at=NOW - dt.timedelta(days=1)
    )
    client.force_login(coordinator)

    response = client.post(record_url(session), {"status": "done", "note": "Intentions set."})

    assert response.status_code == 200
    assert "therapist_confirmation" in response.context["form"].errors
    session.refresh_from_db()
    assert session.status == rules.PLANNED


def test_a_missed_preparation_needs_no_confirmation(client, coordinator, clinician, episode):
    session = plan_session(
        episode, clinician, kind="preparation", starts_at=NOW - dt.timedelta(days=1)
    )
    client.force_login(coordinator)

    response = client.post(record_url(session), {"status": "missed", "note": "Ill."})

    assert response.status_code == 302


def test_a_missed_session_without_a_reason_is_refused_at_the_note(
    client, coordinator, clinician, episode
):
    session = plan_session(episode, clinician, kind="preparation")
    client.force_login(coordinator)

    response = client.post(record_url(session), {"status": "missed", "note": ""})

    assert list(response.context["form"].errors) == ["note"]
    assert CareSession.objects.get(pk=session.pk).status == rules.PLANNED


def test_a_planned_dose_offers_only_missed_or_cancelled(client, coordinator, clinician, episode):
    session = plan_session(episode, clinician)
    client.force_login(coordinator)

    response = client.get(record_url(session))

    offered = [value for value, _ in response.context["form"].fields["status"].choices]
    assert offered == ["missed", "cancelled"]


def test_a_planned_dose_posted_as_done_is_refused(client, coordinator, clinician, episode):
    session = plan_session(episode, clinician, starts_at=NOW - dt.timedelta(hours=2))
    client.force_login(coordinator)

    response = client.post(record_url(session), {"status": "done", "note": ""})

    assert "status" in response.context["form"].errors
    assert CareSession.objects.get(pk=session.pk).status == rules.PLANNED


def test_a_session_done_before_it_starts_is_refused(client, coordinator, clinician, episode):
    session = plan_session(episode, clinician, kind="integration")  # Dec 1, after NOW
    client.force_login(coordinator)

    response = client.post(record_url(session), {"status": "done", "note": ""})

    assert "before it starts" in response.context["form"].errors["status"][0]


def test_a_closed_session_has_nothing_more_to_record(client, coordinator, clinician, episode):
    session = plan_session(episode, clinician, kind="preparation")
    client.force_login(coordinator)
    client.post(record_url(session), {"status": "cancelled", "note": "Moved."})

    html = client.get(record_url(session)).content.decode()

    assert "nothing more to record" in html


def test_another_clinics_staff_get_not_found(client, outsider, clinician, episode):
    session = plan_session(episode, clinician)
    client.force_login(outsider)

    assert client.get(record_url(session)).status_code == 404


def test_a_therapist_may_not_record_for_now(client, therapist, clinician, episode):
    session = plan_session(episode, clinician, kind="integration")
    client.force_login(therapist)

    assert client.get(record_url(session)).status_code == 403


def test_a_dose_in_progress_offers_nothing_to_record_here(client, clinician, episode):
    session = plan_session(episode, clinician, starts_at=NOW - dt.timedelta(hours=1))
    # Test setup: started, as `services.start_dosing_session` does after the gates.
    CareSession.objects.filter(pk=session.pk).update(status="in_progress")
    client.force_login(clinician)

    response = client.get(record_url(session))

    # It is done when the patient is discharged, from its dosing record.
    assert [value for value, _ in response.context["form"].fields["status"].choices] == []
