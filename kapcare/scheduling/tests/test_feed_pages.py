"""The pages where a therapist or a patient finds their own calendar address, and a clinic
admin a room's, and where each makes a new one."""

import pytest
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.scheduling import feeds
from tests.factories import RoomFactory, UserFactory

MY_FEED = reverse("feeds:my_feed")


def room_url(room) -> str:
    return reverse("feeds:room_feed", args=[room.external_id])


def ics_path(feed) -> str:
    return reverse("feeds:ics", args=[feed.token])


@pytest.fixture
def room(clinic):
    return RoomFactory(clinic=clinic, name="Suite 1")


@pytest.mark.parametrize("persona", ["therapist", "patient_user"])
def test_own_feed_page_shows_the_address_for_https_and_webcal(client, request, persona, patient):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    response = client.get(MY_FEED)

    content = response.content.decode()
    path = ics_path(feeds.feed_for_user(user))
    assert f"http://testserver{path}" in content
    assert f"webcal://testserver{path}" in content
    assert "no-store" in response["Cache-Control"]


def test_therapist_page_says_only_patients_who_share_their_schedule_appear(client, therapist):
    client.force_login(therapist)

    content = client.get(MY_FEED).content.decode()

    assert "Dates and times of dosing sessions" in content
    assert "by initials only" in content


def test_patient_page_says_what_an_event_shows(client, patient_user, patient):
    client.force_login(patient_user)

    content = client.get(MY_FEED).content.decode()

    assert "Dosing session — Music City Ketamine" in content


def test_new_address_stops_the_old_one_at_once(client, therapist):
    client.force_login(therapist)
    old = feeds.feed_for_user(therapist)

    response = client.post(MY_FEED)

    assert response.status_code == 302
    assert client.get(ics_path(old)).status_code == 404
    new = feeds.feed_for_user(therapist)
    assert new.token != old.token
    assert client.get(ics_path(new)).status_code == 200
    assert "new address" in client.get(MY_FEED).content.decode()


def test_patients_new_address_is_logged_under_their_record(client, patient_user, patient):
    client.force_login(patient_user)

    client.post(MY_FEED)

    entry = AccessLogEntry.objects.latest("id")
    assert (entry.patient_id, entry.action, entry.object_type) == (
        patient.pk,
        AccessAction.UPDATE,
        "calendarfeed",
    )


def test_admin_sees_a_rooms_address(client, clinic_admin, room):
    client.force_login(clinic_admin)

    content = client.get(room_url(room)).content.decode()

    assert ics_path(feeds.feed_for_room(room)) in content
    assert "Suite 1" in content


def test_admin_makes_a_new_address_for_a_room(client, clinic_admin, room):
    old = feeds.feed_for_room(room)
    client.force_login(clinic_admin)

    response = client.post(room_url(room))

    assert response["Location"] == room_url(room)
    assert client.get(ics_path(old)).status_code == 404


def test_admin_of_another_clinic_gets_404_on_a_rooms_feed(client, other_clinic, room):
    client.force_login(UserFactory(role=Role.ADMIN, clinic=other_clinic))

    assert client.get(room_url(room)).status_code == 404
    assert client.post(room_url(room)).status_code == 404


def test_therapist_home_links_to_the_feed(client, therapist):
    client.force_login(therapist)

    assert MY_FEED in client.get(reverse("therapist_home")).content.decode()


def test_portal_home_links_to_the_feed(client, patient_user, patient):
    client.force_login(patient_user)

    content = client.get(reverse("portal:home")).content.decode()

    assert "Your sessions in your calendar" in content
    assert MY_FEED in content
