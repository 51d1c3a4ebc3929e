"""A date far outside the clinic's (a typo such as year 9999 or 0001) is refused at its
field, on the session form, the series page and the API, never a server error; nothing is
booked and what was typed stays on the page."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from kapcare.accounts.models import ApiToken
from kapcare.audit.log import Actor
from kapcare.dates import OUT_OF_RANGE
from kapcare.episodes import services
from kapcare.episodes.models import CareSession
from kapcare.refusals import Refused
from kapcare.scheduling.models import Appointment
from tests.factories import RoomFactory, asked_coverage, open_episode

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)

# The end of Python's calendar with and without an offset, and its start with an offset
# ahead of UTC: each overflows once a session's length is added or it is turned into UTC.
OUT_OF_RANGE_STARTS = ["9999-12-31T23:30:00Z", "9999-12-31T23:30", "0001-01-01T00:00+05:00"]


@pytest.fixture(autouse=True)
def _fixed_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def suite(clinic):
    return RoomFactory(clinic=clinic, name="Suite A")


@pytest.fixture
def episode(patient, clinician, therapist, suite):
    asked_coverage(patient, clinician)  # every booking asks it first (billing.booking)
    return open_episode(patient, clinician, therapist=therapist, treating_clinician=clinician)


# --- API --------------------------------------------------------------------------------------


def plan_by_api(client, user, episode, body):
    _, token = ApiToken.issue(user, "tests")
    return client.post(
        f"/api/v1/episodes/{episode.external_id}/sessions",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.mark.parametrize("start", OUT_OF_RANGE_STARTS)
def test_api_answers_422_at_start_for_a_date_out_of_range(
    client, coordinator, clinician, episode, suite, start
):
    body = {
        "kind": "dosing",
        "start": start,
        "room_id": str(suite.external_id),
        "clinician_email": clinician.email,
    }

    response = plan_by_api(client, coordinator, episode, body)

    assert response.status_code == 422
    assert response.json()["errors"] == {"start": [OUT_OF_RANGE]}
    assert not CareSession.objects.filter(episode=episode).exists()


def test_api_plans_a_session_on_the_last_day_in_range(client, coordinator, episode):
    body = {"kind": "preparation", "start": "2100-12-31T10:00"}

    response = plan_by_api(client, coordinator, episode, body)

    assert response.status_code == 201


# --- Session form -----------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["9999-12-31T23:30", "0001-01-01T00:00"])
def test_session_form_shows_a_date_out_of_range_at_start_keeping_it(
    client, coordinator, clinician, episode, suite, start
):
    client.force_login(coordinator)
    url = reverse("episodes:session_create", kwargs={"episode_id": episode.external_id})

    response = client.post(
        url,
        {"kind": "dosing", "start": start, "room": suite.pk, "clinician": clinician.pk},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["start"] == [OUT_OF_RANGE]
    assert f'value="{start}"' in response.content.decode()
    assert not Appointment.objects.exists()


# --- Series page ------------------------------------------------------------------------------


def plan_url(episode, **query):
    url = reverse("series:plan", kwargs={"episode_id": episode.external_id})
    return url + "?" + "&".join(f"{key}={value}" for key, value in query.items())


@pytest.mark.parametrize("first_day", ["9999-12-25", "0001-01-01"])
def test_series_page_shows_a_first_day_out_of_range_at_its_field(
    client, coordinator, episode, first_day
):
    client.force_login(coordinator)

    response = client.get(plan_url(episode, first_day=first_day))

    assert response.status_code == 200
    assert response.context["choice_form"].errors["first_day"] == [OUT_OF_RANGE]
    assert response.context["formset"].forms == []


def test_series_row_with_a_start_out_of_range_is_refused_at_its_row(
    client, coordinator, clinician, episode, suite
):
    client.force_login(coordinator)
    row = {
        "include": "on",
        "kind": "dosing",
        "dose_number": "1",
        "start": "9999-12-31T23:30",
        "room": str(suite.external_id),
        "clinician": str(clinician.external_id),
    }
    data = {"sessions-TOTAL_FORMS": "1", "sessions-INITIAL_FORMS": "1"}
    data |= {f"sessions-0-{name}": value for name, value in row.items()}

    response = client.post(plan_url(episode, first_day="2026-12-07"), data)

    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["start"] == [OUT_OF_RANGE]
    assert not CareSession.objects.filter(episode=episode).exists()


def test_the_session_service_refuses_a_start_out_of_range_before_any_arithmetic(
    episode, clinician, suite
):
    far = dt.datetime(9999, 12, 31, 23, 30, tzinfo=dt.UTC)

    with pytest.raises(Refused) as refusal:
        services.add_session(
            actor=Actor(user=clinician, ip_address=None),
            episode=episode,
            data=services.SessionInput(
                kind="dosing", starts_at=far, room=suite, clinician=clinician
            ),
        )

    assert refusal.value.problems["starts_at"] == OUT_OF_RANGE
