"""GET /api/v1/rooms: the caller's clinic's rooms, for clinic staff only; PATCH
/api/v1/rooms/{id}: the admin renames a room or sets its bedside monitor."""

import pytest

from kapcare.accounts.models import ApiToken
from kapcare.audit.models import AccessAction, AccessLogEntry
from tests.factories import RoomFactory

URL = "/api/v1/rooms"


def bearer(user):
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def test_staff_get_their_clinics_rooms_in_name_order(client, coordinator, clinic, other_clinic):
    second = RoomFactory(clinic=clinic, name="Suite 2", is_active=False, monitor_device_id="MON-2")
    first = RoomFactory(clinic=clinic, name="Suite 1")
    RoomFactory(clinic=other_clinic, name="Harbour Room")

    response = client.get(URL, headers=bearer(coordinator))

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": str(first.external_id),
            "name": "Suite 1",
            "is_active": True,
            "monitor_device_id": "",
        },
        {
            "id": str(second.external_id),
            "name": "Suite 2",
            "is_active": False,
            "monitor_device_id": "MON-2",
        },
    ]


@pytest.mark.parametrize("persona", ["therapist", "patient_user"])
def test_anyone_but_clinic_staff_is_refused(client, request, persona):
    response = client.get(URL, headers=bearer(request.getfixturevalue(persona)))

    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not allow this."}


def test_without_a_token_the_answer_is_401(client, db):
    assert client.get(URL).status_code == 401


# --- PATCH /rooms/{id} ---------------------------------------------------------------------------


def patch(client, room, user, body):
    return client.patch(
        f"{URL}/{room.external_id}", body, content_type="application/json", headers=bearer(user)
    )


def test_the_admin_sets_a_rooms_monitor_and_the_change_is_logged(client, clinic_admin, clinic):
    room = RoomFactory(clinic=clinic, name="Suite 1")

    response = patch(client, room, clinic_admin, {"monitor_device_id": " 0012080000000001 "})

    assert response.status_code == 200
    assert response.json() == {
        "id": str(room.external_id),
        "name": "Suite 1",
        "is_active": True,
        "monitor_device_id": "0012080000000001",
    }
    room.refresh_from_db()
    assert room.monitor_device_id == "0012080000000001"
    entry = AccessLogEntry.objects.filter(action=AccessAction.UPDATE, object_type="room").get()
    assert (entry.actor_id, entry.object_id) == (clinic_admin.pk, str(room.external_id))


def test_fields_left_out_stay_as_they_are(client, clinic_admin, clinic):
    room = RoomFactory(clinic=clinic, name="Suite 1", is_active=False, monitor_device_id="M-1")

    patch(client, room, clinic_admin, {"name": "Suite One"})

    room.refresh_from_db()
    assert (room.name, room.is_active, room.monitor_device_id) == ("Suite One", False, "M-1")


def test_an_empty_id_takes_the_monitor_off_the_room(client, clinic_admin, clinic):
    room = RoomFactory(clinic=clinic, monitor_device_id="M-1")

    patch(client, room, clinic_admin, {"monitor_device_id": ""})

    room.refresh_from_db()
    assert room.monitor_device_id == ""


def test_a_monitor_set_on_another_room_is_refused_at_the_field(client, clinic_admin, clinic):
    RoomFactory(clinic=clinic, name="Suite 1", monitor_device_id="M-1")
    room = RoomFactory(clinic=clinic, name="Suite 2")

    response = patch(client, room, clinic_admin, {"monitor_device_id": "M-1"})

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "monitor_device_id": ["This monitor is already set on Suite 1: a monitor feeds one room."]
    }


def test_another_clinic_may_use_the_same_monitor_id(client, clinic_admin, clinic, other_clinic):
    RoomFactory(clinic=other_clinic, monitor_device_id="M-1")
    room = RoomFactory(clinic=clinic)

    assert patch(client, room, clinic_admin, {"monitor_device_id": "M-1"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"monitor_device_id": "MON|1"}, "monitor_device_id"),
        ({"monitor_device_id": "MON 1"}, "monitor_device_id"),
        ({"monitor_device_id": "M" * 101}, "monitor_device_id"),
        ({"monitor_device_id": None}, "monitor_device_id"),
        ({"monitor_device_id": 12}, "monitor_device_id"),
        ({"name": "  "}, "name"),
        ({"name": None}, "name"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_input_answers_422_at_its_field(client, clinic_admin, clinic, body, field):
    room = RoomFactory(clinic=clinic, name="Suite 1")

    response = patch(client, room, clinic_admin, body)

    assert response.status_code == 422
    assert field in response.json()["errors"]
    room.refresh_from_db()
    assert (room.name, room.monitor_device_id) == ("Suite 1", "")


@pytest.mark.parametrize(
    "persona", ["coordinator", "clinician", "nurse", "therapist", "patient_user"]
)
def test_only_the_admin_may_change_a_room(client, request, clinic, persona):
    room = RoomFactory(clinic=clinic)

    response = patch(client, room, request.getfixturevalue(persona), {"monitor_device_id": "M-9"})

    assert response.status_code == 403
    room.refresh_from_db()
    assert room.monitor_device_id == ""


def test_another_clinics_room_answers_404(client, clinic_admin, other_clinic):
    room = RoomFactory(clinic=other_clinic)

    assert patch(client, room, clinic_admin, {"monitor_device_id": "M-9"}).status_code == 404


def test_an_unknown_room_answers_404(client, clinic_admin):
    response = client.patch(
        f"{URL}/not-a-room", {}, content_type="application/json", headers=bearer(clinic_admin)
    )

    assert response.status_code == 404
