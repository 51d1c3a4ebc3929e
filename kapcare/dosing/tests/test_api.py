"""The dosing-session API: a reading from a bedside device with its alerts, the session's
record, and the clinic's list; who may use them, and the access log."""

import datetime as dt
import uuid

import pytest
import time_machine

from kapcare.accounts.models import ApiToken, Role
from kapcare.audit.models import AccessAction, AccessLogEntry, Channel
from kapcare.dosing.models import (
    AdverseEvent,
    DosingRecord,
    Intervention,
    Observation,
)
from kapcare.dosing.tests.test_vitals_service import DOSE, NOW, actor, dosing_record, take
from kapcare.episodes import services as episodes_services
from kapcare.episodes.models import CareSession
from tests.factories import PatientFactory, UserFactory, open_episode, plan_session


@pytest.fixture(autouse=True)
def at_twenty_past_nine():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def record(patient, clinician):
    return dosing_record(patient, clinician)


def bearer(user) -> dict:
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def vitals_url(record) -> str:
    return f"/api/v1/dosing-sessions/{record.session.external_id}/vitals"


def session_url(record) -> str:
    return f"/api/v1/dosing-sessions/{record.session.external_id}"


def post(client, record, user, body):
    return client.post(
        vitals_url(record), body, content_type="application/json", headers=bearer(user)
    )


# --- POST /dosing-sessions/{id}/vitals ---------------------------------------------------


def test_a_reading_returns_what_was_stored_and_its_alerts(client, clinician, record):
    response = post(
        client,
        record,
        clinician,
        {"taken_at": "2026-12-01T15:18:00Z", "hr": 88, "sbp": 186, "dbp": 104, "spo2": 91},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["alerts"] == [
        {"vital": "sbp", "value": 186, "threshold": "≥ 180"},
        {"vital": "spo2", "value": 91, "threshold": "< 92"},
    ]
    assert (body["hr"], body["sbp"], body["dbp"], body["spo2"], body["rr"]) == (
        88,
        186,
        104,
        91,
        None,
    )
    assert body["source"] == "device"
    assert dt.datetime.fromisoformat(body["taken_at"]) == dt.datetime(
        2026, 12, 1, 15, 18, tzinfo=dt.UTC
    )
    assert uuid.UUID(body["reading_id"])
    assert [(o["vital"], o["loinc_code"], o["unit"]) for o in body["observations"]] == [
        ("hr", "8867-4", "/min"),
        ("sbp", "8480-6", "mmHg"),
        ("dbp", "8462-4", "mmHg"),
        ("spo2", "2708-6", "%"),
    ]


def test_any_subset_of_vitals_may_be_sent(client, clinician, record):
    response = post(client, record, clinician, {"spo2": 97})

    assert response.status_code == 201
    assert response.json()["alerts"] == []
    assert list(Observation.objects.values_list("vital", flat=True)) == ["spo2"]


def test_without_a_time_the_reading_is_taken_now(client, clinician, record):
    post(client, record, clinician, {"hr": 70})

    assert Observation.objects.get().taken_at == NOW


def test_a_time_without_an_offset_is_read_in_the_clinics_zone(client, clinician, record):
    post(client, record, clinician, {"taken_at": "2026-12-01T09:15:00", "hr": 70})

    assert Observation.objects.get().taken_at == dt.datetime(2026, 12, 1, 15, 15, tzinfo=dt.UTC)


def test_an_implausible_value_answers_422_naming_the_field(client, clinician, record):
    response = post(client, record, clinician, {"sbp": 20, "hr": 80})

    assert response.status_code == 422
    body = response.json()
    assert list(body["errors"]) == ["sbp"]
    assert "cannot be right" in body["errors"]["sbp"][0]
    assert not Observation.objects.exists()


def test_a_diastolic_above_the_systolic_answers_422_at_the_diastolic(client, clinician, record):
    response = post(client, record, clinician, {"sbp": 90, "dbp": 120})

    assert list(response.json()["errors"]) == ["dbp"]


def test_a_value_that_is_not_a_number_answers_422_naming_the_field(client, clinician, record):
    response = post(client, record, clinician, {"spo2": "high"})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["spo2"]


def test_an_unknown_field_answers_422(client, clinician, record):
    response = post(client, record, clinician, {"hr": 80, "temperature": 37})

    assert response.status_code == 422
    assert response.json()["errors"] == {"temperature": ["This field is not known."]}


def test_an_empty_reading_answers_422(client, clinician, record):
    response = post(client, record, clinician, {"taken_at": "2026-12-01T15:18:00Z"})

    assert response.status_code == 422
    assert response.json()["detail"] == "Enter at least one vital sign."


def test_a_time_to_come_answers_422_at_the_time(client, clinician, record):
    response = post(client, record, clinician, {"taken_at": "2026-12-01T15:40:00Z", "hr": 80})

    assert list(response.json()["errors"]) == ["taken_at"]


def test_a_year_out_of_range_answers_422_at_the_time(client, clinician, record):
    response = post(client, record, clinician, {"taken_at": "9999-12-31T23:59:00", "hr": 80})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["taken_at"]


def test_a_signed_record_answers_409(client, clinician, record):
    DosingRecord.objects.filter(pk=record.pk).update(signed_at=NOW, signed_by=clinician)

    response = post(client, record, clinician, {"hr": 80})

    assert response.status_code == 409
    assert "signed" in response.json()["detail"]


def test_a_reading_is_logged_as_created_through_the_api(client, clinician, record, patient):
    post(client, record, clinician, {"hr": 80})

    entry = AccessLogEntry.objects.latest("id")
    assert (entry.action, entry.channel, entry.patient_id) == (
        AccessAction.CREATE,
        Channel.API,
        patient.pk,
    )


@pytest.mark.parametrize("persona", ["coordinator", "therapist", "patient_user"])
def test_only_a_clinician_may_send_vitals(client, request, record, persona):
    response = post(client, record, request.getfixturevalue(persona), {"hr": 80})

    assert response.status_code == 403


def test_a_session_of_another_clinic_answers_404(client, record, outsider):
    clinician_elsewhere = UserFactory(role=Role.CLINICIAN, clinic=outsider.clinic)

    response = post(client, record, clinician_elsewhere, {"hr": 80})

    assert response.status_code == 404


def test_an_unknown_session_answers_404(client, clinician):
    response = client.post(
        f"/api/v1/dosing-sessions/{uuid.uuid4()}/vitals",
        {"hr": 80},
        content_type="application/json",
        headers=bearer(clinician),
    )

    assert response.status_code == 404


# --- GET /dosing-sessions/{id} ---------------------------------------------------------------


def test_the_session_gives_dose_vitals_events_discharge_and_signature(
    client, coordinator, clinician, record
):
    take(record, clinician, taken_at=NOW - dt.timedelta(minutes=10), hr=80, sbp=130)
    take(record, clinician, taken_at=NOW - dt.timedelta(minutes=1), sbp=184)
    event = AdverseEvent.objects.create(
        record=record,
        patient=record.patient,
        kind="hypertension",
        severity="moderate",
        onset_at=NOW - dt.timedelta(minutes=1),
        recorded_by=clinician,
    )
    Intervention.objects.create(
        event=event,
        record=record,
        drug="Labetalol",
        dose="10 mg IV",
        given_at=NOW,
        recorded_by=clinician,
    )

    response = client.get(session_url(record), headers=bearer(coordinator))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "patient_id",
        "room_id",
        "status",
        "planned_start",
        "started_at",
        "drug",
        "dose",
        "vitals",
        "events",
        "discharge",
        "signed",
        "signed_at",
    }
    assert (body["id"], body["status"], body["signed"]) == (
        str(record.session.external_id),
        "planned",
        False,
    )
    assert body["drug"] == {"code": "ketamine", "name": "Ketamine"}
    assert set(body["dose"]) == {
        "route",
        "mg_per_kg",
        "weight_kg",
        "mg",
        "confirmed",
        "confirmed_at",
        "infusion_minutes",
        "started_at",
        "ended_at",
    }
    assert [(r["hr"], r["sbp"]) for r in body["vitals"]] == [(80, 130), (None, 184)]
    assert body["vitals"][1]["alerts"] == [{"vital": "sbp", "value": 184, "threshold": "≥ 180"}]
    assert body["events"][0]["kind"] == "hypertension"
    assert body["events"][0]["interventions"][0]["drug"] == "Labetalol"
    assert body["discharge"]["discharged_at"] is None
    assert body["discharge"]["ready"] is False
    assert body["discharge"]["unmet"]


def test_reading_the_session_is_logged_as_a_view(client, coordinator, record, patient):
    client.get(session_url(record), headers=bearer(coordinator))

    entry = AccessLogEntry.objects.latest("id")
    assert (entry.action, entry.channel, entry.patient_id, entry.actor_id) == (
        AccessAction.VIEW,
        Channel.API,
        patient.pk,
        coordinator.pk,
    )


@pytest.mark.parametrize("persona", ["therapist", "patient_user"])
def test_the_session_is_for_clinic_staff_only(client, request, record, persona):
    response = client.get(session_url(record), headers=bearer(request.getfixturevalue(persona)))

    assert response.status_code == 403


def test_the_session_of_another_clinic_answers_404(client, record, outsider):
    response = client.get(session_url(record), headers=bearer(outsider))

    assert response.status_code == 404


def test_a_preparation_session_has_no_dosing_record(client, coordinator, clinician, patient):
    episode = open_episode(patient, clinician)
    preparation = plan_session(episode, clinician, kind="preparation", starts_at=DOSE)

    response = client.get(
        f"/api/v1/dosing-sessions/{preparation.external_id}", headers=bearer(coordinator)
    )

    assert response.status_code == 404


# --- GET /dosing-sessions ------------------------------------------------------------------


@pytest.fixture
def three_sessions(clinic, clinician, patient):
    """A planned session, one cancelled, one completed (yesterday) of the clinic."""
    planned = dosing_record(patient, clinician).session
    other = PatientFactory(clinic=clinic)
    episode = open_episode(other, clinician)
    cancelled = plan_session(episode, clinician, starts_at=DOSE + dt.timedelta(days=3))
    episodes_services.record_session_status(
        actor=actor(clinician), session=cancelled, to_status="cancelled", note="Unwell."
    )
    done = plan_session(episode, clinician, starts_at=DOSE - dt.timedelta(days=2))
    # A dose is done only after its gates, start and discharge: set here, as if it had run.
    CareSession.objects.filter(pk=done.pk).update(status="done")
    return {"planned": planned, "cancelled": cancelled, "done": done}


def list_sessions(client, user, **query):
    return client.get("/api/v1/dosing-sessions", query, headers=bearer(user))


def test_the_list_filters_by_status_in_the_apis_words(client, coordinator, three_sessions):
    completed = list_sessions(client, coordinator, status="completed").json()["items"]
    planned = list_sessions(client, coordinator, status="planned").json()["items"]
    in_progress = list_sessions(client, coordinator, status="in_progress").json()["items"]

    assert [(s["id"], s["status"]) for s in completed] == [
        (str(three_sessions["done"].external_id), "completed")
    ]
    assert [s["id"] for s in planned] == [str(three_sessions["planned"].external_id)]
    assert in_progress == []


def test_without_a_status_the_list_gives_every_dosing_session_by_start(
    client, coordinator, three_sessions
):
    body = list_sessions(client, coordinator).json()["items"]

    assert [s["status"] for s in body] == ["completed", "planned", "cancelled"]
    assert set(body[0]) == {
        "id",
        "patient_id",
        "room_id",
        "status",
        "planned_start",
        "started_at",
        "drug",
        "dose_started_at",
        "dose_ended_at",
        "discharged_at",
        "signed",
    }
    planned = next(s for s in body if s["status"] == "planned")
    assert planned["drug"] == {"code": "ketamine", "name": "Ketamine"}
    assert next(s for s in body if s["status"] == "cancelled")["drug"] is None  # no record


def test_each_session_names_the_room_its_appointment_holds(client, coordinator, three_sessions):
    body = list_sessions(client, coordinator).json()["items"]
    rooms = {
        str(s.external_id): str(s.appointment.room.external_id) for s in three_sessions.values()
    }

    assert {s["id"]: s["room_id"] for s in body} == rooms
    one = client.get(f"/api/v1/dosing-sessions/{body[0]['id']}", headers=bearer(coordinator))
    assert one.json()["room_id"] == rooms[body[0]["id"]]


def test_an_unknown_status_answers_422_naming_it(client, coordinator):
    response = list_sessions(client, coordinator, status="done")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["status"]


def test_the_list_shows_only_the_callers_clinic(client, outsider, three_sessions):
    assert list_sessions(client, outsider).json() == {"items": [], "next": None}


def test_the_list_is_paged_by_start_keeping_the_status_filter(client, coordinator, three_sessions):
    first = list_sessions(client, coordinator, limit=2).json()
    second = client.get(first["next"], headers=bearer(coordinator)).json()

    assert [s["status"] for s in first["items"]] == ["completed", "planned"]
    assert [s["status"] for s in second["items"]] == ["cancelled"]
    assert second["next"] is None
    only_planned = list_sessions(client, coordinator, status="planned", limit=1).json()
    assert only_planned["next"] is None


@pytest.mark.parametrize("persona", ["therapist", "patient_user"])
def test_the_list_is_for_clinic_staff_only(client, request, persona):
    response = list_sessions(client, request.getfixturevalue(persona))

    assert response.status_code == 403


def test_each_patient_listed_is_logged(client, coordinator, three_sessions, patient):
    list_sessions(client, coordinator)

    listed = AccessLogEntry.objects.filter(action=AccessAction.LIST, actor=coordinator)
    assert set(listed.values_list("patient_id", flat=True)) == {
        patient.pk,
        three_sessions["done"].patient_id,
    }


def test_the_list_takes_the_same_queries_however_many_sessions(
    client, coordinator, clinician, clinic, django_assert_max_num_queries
):
    headers = bearer(coordinator)
    dosing_record(PatientFactory(clinic=clinic), clinician)
    client.get("/api/v1/dosing-sessions", headers=headers)
    with django_assert_max_num_queries(10) as few:
        client.get("/api/v1/dosing-sessions", headers=headers)
    for day in range(1, 5):
        episode = open_episode(PatientFactory(clinic=clinic), clinician)
        plan_session(episode, clinician, starts_at=DOSE + dt.timedelta(days=day))

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/dosing-sessions", headers=headers)

    assert len(response.json()["items"]) == 5
