"""GET /api/v1/rooms: the caller's clinic's rooms, for clinic staff only."""

import pytest

from kapcare.accounts.models import ApiToken
from tests.factories import RoomFactory

URL = "/api/v1/rooms"


def bearer(user):
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def test_staff_get_their_clinics_rooms_in_name_order(client, coordinator, clinic, other_clinic):
    second = RoomFactory(clinic=clinic, name="Suite 2", is_active=False)
    first = RoomFactory(clinic=clinic, name="Suite 1")
    RoomFactory(clinic=other_clinic, name="Harbour Room")

    response = client.get(URL, headers=bearer(coordinator))

    assert response.status_code == 200
    assert response.json() == [
        {"id": str(first.external_id), "name": "Suite 1", "is_active": True},
        {"id": str(second.external_id), "name": "Suite 2", "is_active": False},
    ]


@pytest.mark.parametrize("persona", ["therapist", "patient_user"])
def test_anyone_but_clinic_staff_is_refused(client, request, persona):
    response = client.get(URL, headers=bearer(request.getfixturevalue(persona)))

    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not allow this."}


def test_without_a_token_the_answer_is_401(client, db):
    assert client.get(URL).status_code == 401
