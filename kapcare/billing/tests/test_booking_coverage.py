"""The coverage question at booking (45 CFR 149.610(b)): the session form, the series page
and the booking API ask it while nobody has; a patient asked before has the answer
prefilled; a new or changed answer is kept with the booking, in its transaction."""

import datetime as dt

import pytest
from django.urls import reverse

from kapcare.accounts.models import ApiToken
from kapcare.audit.log import Actor
from kapcare.billing import services
from kapcare.billing.models import Coverage, CoverageRecord
from kapcare.episodes.models import CareSession
from tests.clock import wall_clock
from tests.factories import RoomFactory, open_episode, plan_session

CHICAGO_FORMAT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def episode(patient, clinician, therapist):
    return open_episode(patient, clinician, therapist=therapist)


@pytest.fixture
def room(clinic):
    return RoomFactory(clinic=clinic, name="Suite A")


def local(moment: dt.datetime, episode) -> str:
    return moment.astimezone(episode.clinic.zone).strftime(CHICAGO_FORMAT)


def dose_form(episode, room, clinician, **changes) -> dict:
    return {
        "kind": "dosing",
        "start": local(wall_clock(20, 9), episode),
        "room": room.pk,
        "clinician": clinician.pk,
        "run_by": "",
    } | changes


def record_coverage(patient, by, status=Coverage.SELF_PAY, insurer="Aetna", member_id=""):
    return services.record_coverage(
        actor=Actor(user=by, ip_address="127.0.0.1"),
        patient=patient,
        data=services.CoverageInput(status=status, insurer=insurer, member_id=member_id),
    )


# --- The session form -------------------------------------------------------------------------


def test_booking_a_patient_never_asked_requires_the_answer_at_its_field(
    client, coordinator, clinician, episode, room
):
    client.force_login(coordinator)
    data = dose_form(episode, room, clinician)

    response = client.post(reverse("episodes:session_create", args=[episode.external_id]), data)

    assert response.status_code == 200
    form = response.context["questions"][0].form
    assert "the law requires the question" in form.errors["status"][0]
    html = response.content.decode()
    assert 'id="id_coverage-status_error"' in html
    assert f'value="{data["start"]}"' in html  # nothing typed is lost
    assert not CareSession.objects.filter(episode=episode).exists()
    assert not CoverageRecord.objects.exists()


def test_the_answer_is_kept_with_the_booking(client, coordinator, clinician, episode, room):
    client.force_login(coordinator)
    data = dose_form(episode, room, clinician) | {"coverage-status": Coverage.UNINSURED}

    response = client.post(reverse("episodes:session_create", args=[episode.external_id]), data)

    assert response.status_code == 302
    assert CareSession.objects.filter(episode=episode).count() == 1
    record = CoverageRecord.objects.get(patient=episode.patient)
    assert (record.status, record.recorded_by) == (Coverage.UNINSURED, coordinator)
    chart = client.get(reverse("patients:chart", args=[episode.patient.external_id]))
    assert "Uninsured" in chart.content.decode()


def test_a_refused_booking_keeps_no_answer(client, coordinator, clinician, episode, room):
    plan_session(episode, clinician, starts_at=wall_clock(20, 9), room=room)
    client.force_login(coordinator)
    data = dose_form(episode, room, clinician) | {"coverage-status": Coverage.UNINSURED}

    response = client.post(reverse("episodes:session_create", args=[episode.external_id]), data)

    assert response.status_code == 200
    assert "already booked" in response.context["form"].non_field_errors()[0]
    assert response.context["questions"][0].form["status"].value() == Coverage.UNINSURED
    assert not CoverageRecord.objects.exists()


def test_an_answer_given_before_is_prefilled_and_kept_unless_changed(
    client, coordinator, clinician, episode, room
):
    first = record_coverage(episode.patient, coordinator)
    client.force_login(coordinator)
    url = reverse("episodes:session_create", args=[episode.external_id])

    page = client.get(url)
    assert page.context["questions"][0].form["status"].value() == Coverage.SELF_PAY
    assert 'value="Aetna"' in page.content.decode()

    same = {"coverage-status": Coverage.SELF_PAY, "coverage-insurer": "Aetna"}
    assert client.post(url, dose_form(episode, room, clinician) | same).status_code == 302
    assert list(CoverageRecord.objects.all()) == [first]

    changed = {
        "coverage-status": Coverage.FILING_CLAIM,
        "coverage-insurer": "Aetna",
        "coverage-member_id": "W123",
    }
    later = dose_form(episode, room, clinician, start=local(wall_clock(24, 9), episode))
    assert client.post(url, later | changed).status_code == 302
    newest = services.current_coverage(episode.patient)
    assert (newest.status, newest.member_id) == (Coverage.FILING_CLAIM, "W123")
    assert CoverageRecord.objects.count() == 2


def test_a_wrong_answer_is_shown_at_its_field(client, coordinator, clinician, episode, room):
    client.force_login(coordinator)
    data = dose_form(episode, room, clinician) | {
        "coverage-status": Coverage.FILING_CLAIM,
        "coverage-insurer": "Cigna",
    }

    response = client.post(reverse("episodes:session_create", args=[episode.external_id]), data)

    assert response.status_code == 200
    assert "member ID" in response.context["questions"][0].form.errors["member_id"][0]
    assert 'value="Cigna"' in response.content.decode()
    assert not CareSession.objects.exists()


# --- The series page --------------------------------------------------------------------------


def series_row(episode) -> dict:
    return {
        "sessions-TOTAL_FORMS": "1",
        "sessions-INITIAL_FORMS": "1",
        "sessions-0-include": "on",
        "sessions-0-kind": "preparation",
        "sessions-0-dose_number": "",
        "sessions-0-start": local(wall_clock(15, 10), episode),
        "sessions-0-room": "",
        "sessions-0-clinician": "",
    }


def test_the_series_page_asks_the_question_and_books_with_the_answer(client, coordinator, episode):
    client.force_login(coordinator)
    url = reverse("series:plan", args=[episode.external_id])

    refused = client.post(url, series_row(episode))
    assert refused.status_code == 200
    assert "status" in refused.context["questions"][0].form.errors
    assert not CareSession.objects.filter(episode=episode).exists()

    booked = client.post(url, series_row(episode) | {"coverage-status": Coverage.SELF_PAY})
    assert booked.status_code == 200  # the insurer is missing for an insured patient
    assert "Name the insurer" in booked.context["questions"][0].form.errors["insurer"][0]

    answered = series_row(episode) | {
        "coverage-status": Coverage.SELF_PAY,
        "coverage-insurer": "Aetna",
    }
    assert client.post(url, answered).status_code == 302
    assert CareSession.objects.filter(episode=episode).count() == 1
    assert services.current_coverage(episode.patient).status == Coverage.SELF_PAY


# --- The booking API --------------------------------------------------------------------------


def api_post(client, user, episode, body):
    token = ApiToken.issue(user, "tests")[1]
    return client.post(
        f"/api/v1/episodes/{episode.external_id}/sessions",
        body,
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )


def api_body(episode, room, clinician, **extra) -> dict:
    start = wall_clock(20, 9).isoformat()
    return {
        "kind": "dosing",
        "start": start,
        "room_id": str(room.external_id),
        "clinician_email": clinician.email,
    } | extra


def test_the_api_asks_the_question_of_a_patient_never_asked(
    client, coordinator, clinician, episode, room
):
    response = api_post(client, coordinator, episode, api_body(episode, room, clinician))

    assert response.status_code == 422
    assert "the law requires the question" in response.json()["errors"]["coverage.status"][0]
    assert not CareSession.objects.exists()


@pytest.mark.parametrize(
    ("coverage", "field"),
    [
        ({"status": "insured"}, "coverage.status"),
        ({"status": "filing_claim", "insurer": "Aetna"}, "coverage.member_id"),
        ({"status": "self_pay"}, "coverage.insurer"),
    ],
    ids=["unknown-status", "claim-without-member-id", "insured-without-insurer"],
)
def test_the_api_names_a_wrong_answer_at_its_field(
    client, coordinator, clinician, episode, room, coverage, field
):
    body = api_body(episode, room, clinician, coverage=coverage)

    response = api_post(client, coordinator, episode, body)

    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not CoverageRecord.objects.exists()
    assert not CareSession.objects.exists()


def test_the_api_keeps_the_answer_with_the_booking(client, coordinator, clinician, episode, room):
    body = api_body(episode, room, clinician, coverage={"status": "uninsured"})

    response = api_post(client, coordinator, episode, body)

    assert response.status_code == 201
    assert services.current_coverage(episode.patient).status == Coverage.UNINSURED


def test_the_api_books_a_patient_asked_before_without_asking_again(
    client, coordinator, clinician, episode, room
):
    record_coverage(episode.patient, coordinator)

    response = api_post(client, coordinator, episode, api_body(episode, room, clinician))

    assert response.status_code == 201
    assert CoverageRecord.objects.count() == 1
