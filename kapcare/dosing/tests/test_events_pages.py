"""The events part of the dosing record page: the dose's course and the adverse events,
the forms that add them, who may post, and bad input shown again at its field (422) with
nothing typed lost. The part reads the record in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing.events import services as events_services
from kapcare.dosing.events.views import events_context
from kapcare.dosing.models import AdverseEvent, InfusionChange, Intervention
from kapcare.dosing.tests.test_events_fixtures import actor, at, fetched, minutes, under_way
from tests.factories import PatientFactory, UserFactory


@pytest.fixture
def record(patient, clinician, coordinator, patient_user):
    record = under_way(patient, clinician, coordinator, patient_user)
    with at(minutes(1)):
        events_services.record_dose_started(actor=actor(clinician), record=record)
    return fetched(record)


@pytest.fixture
def now():
    with at(minutes(20)):
        yield


def url(name, record):
    return reverse(name, args=[record.session.external_id])


def page(record):
    return reverse("dosing:record", args=[record.session.external_id])


def add_event(record, clinician, **fields):
    return events_services.record_adverse_event(
        actor=actor(clinician),
        record=fetched(record),
        kind=fields.get("kind", "hypertension"),
        severity=fields.get("severity", "moderate"),
        onset_at=fields.get("onset_at", minutes(15)),
    )


# --- The page ------------------------------------------------------------------------------


def test_the_record_page_shows_the_dose_course_and_the_events(client, clinician, record, now):
    event = add_event(record, clinician)
    events_services.record_intervention(
        actor=actor(clinician), event=event, drug="Labetalol", dose="10 mg IV"
    )
    client.force_login(clinician)

    response = client.get(page(record))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="events-heading"' in body
    assert "the infusion runs until" in body  # 9:40, 40 min after the start
    assert "Hypertension" in body
    assert "Moderate" in body
    assert "Labetalol, 10 mg IV" in body


def test_the_page_offers_the_forms_to_a_clinician(client, clinician, record, now):
    client.force_login(clinician)

    body = client.get(page(record)).content.decode()

    assert f'action="{url("events:adverse", record)}"' in body
    assert f'action="{url("events:infusion", record)}"' in body
    assert f'action="{url("events:dose", record)}"' in body


def test_a_coordinator_sees_the_events_without_the_forms(client, coordinator, record, now):
    client.force_login(coordinator)

    body = client.get(page(record)).content.decode()

    assert 'id="events-heading"' in body
    assert url("events:adverse", record) not in body


# --- Posting -------------------------------------------------------------------------------


def test_a_clinician_records_an_adverse_event(client, clinician, record, now):
    client.force_login(clinician)

    response = client.post(
        url("events:adverse", record),
        {"kind": "nausea_vomiting", "severity": "mild", "onset_at": "09:18", "description": ""},
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#events")
    stored = AdverseEvent.objects.get()
    assert (stored.kind, stored.severity, stored.onset_at) == (
        "nausea_vomiting",
        "mild",
        minutes(18),
    )


def test_an_event_without_severity_comes_back_at_its_field_with_what_was_typed(
    client, clinician, record, now
):
    client.force_login(clinician)

    response = client.post(
        url("events:adverse", record),
        {"kind": "other", "onset_at": "09:18", "description": "Transient diplopia"},
    )

    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="adverse_severity_error"' in body
    assert "Choose mild, moderate or severe." in body
    assert "Transient diplopia" in body
    assert not AdverseEvent.objects.exists()


def test_a_refusal_of_the_service_lands_at_its_field(client, clinician, record, now):
    client.force_login(clinician)

    response = client.post(
        url("events:adverse", record), {"kind": "other", "severity": "mild", "onset_at": "09:18"}
    )

    assert response.status_code == 422
    assert 'id="adverse_description_error"' in response.content.decode()


def test_a_redisplay_is_logged_as_a_view(client, clinician, record, patient, now):
    client.force_login(clinician)
    before = AccessLogEntry.objects.filter(patient=patient, action=AccessAction.VIEW).count()

    client.post(url("events:adverse", record), {"kind": "other"})

    assert AccessLogEntry.objects.filter(patient=patient, action=AccessAction.VIEW).count() > before


def test_a_time_that_is_not_a_time_is_refused_at_its_field(client, clinician, record, now):
    client.force_login(clinician)

    response = client.post(
        url("events:adverse", record), {"kind": "agitation", "severity": "mild", "onset_at": "9h"}
    )

    assert response.status_code == 422
    assert "Enter the time as hours and minutes" in response.content.decode()


def test_a_pause_without_a_reason_comes_back_at_the_reason(client, clinician, record, now):
    client.force_login(clinician)

    response = client.post(url("events:infusion", record), {"kind": "paused", "at": "09:15"})

    assert response.status_code == 422
    assert 'id="infusion_reason_error"' in response.content.decode()
    assert not InfusionChange.objects.exists()


def test_a_clinician_pauses_the_infusion_with_a_reason(client, clinician, record, now):
    client.force_login(clinician)

    response = client.post(
        url("events:infusion", record), {"kind": "paused", "at": "09:15", "reason": "BP 184/102"}
    )

    assert response.status_code == 302
    change = InfusionChange.objects.get()
    assert (change.kind, change.at, change.reason) == ("paused", minutes(15), "BP 184/102")


def test_a_clinician_records_the_end_of_the_infusion(client, clinician, record):
    with at(minutes(45)):
        client.force_login(clinician)
        response = client.post(url("events:dose", record), {"moment": "ended", "at": "09:42"})

    assert response.status_code == 302
    assert fetched(record).dose_ended_at == minutes(42)


def test_an_end_too_early_comes_back_at_the_end_form(client, clinician, record, now):
    client.force_login(clinician)

    response = client.post(url("events:dose", record), {"moment": "ended", "at": ""})

    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="dose_ended_at_error"' in body
    assert "runs until 9:40 AM" in body


def test_an_intervention_names_its_event_in_the_form(client, clinician, record, now):
    event = add_event(record, clinician)
    client.force_login(clinician)

    response = client.post(
        url("events:intervention", record),
        {"event": str(event.external_id), "drug": "Labetalol", "dose": "10 mg IV", "given_at": ""},
    )

    assert response.status_code == 302
    assert Intervention.objects.get().event_id == event.pk


def test_an_intervention_without_a_drug_comes_back_at_its_event(client, clinician, record, now):
    event = add_event(record, clinician)
    client.force_login(clinician)

    response = client.post(
        url("events:intervention", record),
        {"event": str(event.external_id), "drug": "", "dose": "10 mg IV"},
    )

    body = response.content.decode()
    assert response.status_code == 422
    assert f'id="intervention_{event.external_id}_drug_error"' in body
    assert 'value="10 mg IV"' in body


def test_an_event_of_another_record_is_not_found(client, clinic, clinician, coordinator, record):
    # Another patient's session, run by another clinician at the same hour.
    other_user = UserFactory(role=Role.PATIENT, clinic=clinic)
    other_clinician = UserFactory(role=Role.CLINICIAN, clinic=clinic)
    other = PatientFactory(clinic=clinic, user=other_user)
    other_record = under_way(other, other_clinician, coordinator, other_user)
    with at(minutes(20)):
        event = add_event(other_record, other_clinician)
        client.force_login(clinician)

        response = client.post(
            url("events:intervention", record), {"event": str(event.external_id), "drug": "X"}
        )

    assert response.status_code == 404
    assert not Intervention.objects.exists()


@pytest.mark.parametrize("event_id", ["", "not-an-id", "8f14e45f-ceea-467f-a0e6-3a5e2c1b7d10"])
def test_an_unknown_event_is_not_found(client, clinician, record, event_id, now):
    client.force_login(clinician)

    response = client.post(url("events:intervention", record), {"event": event_id, "drug": "X"})

    assert response.status_code == 404


# --- Who may post ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("coordinator", 403), ("clinic_admin", 403), ("therapist", 403), ("patient_user", 403)],
)
def test_only_a_clinician_may_record_events(client, request, record, persona, status, now):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(url("events:adverse", record), {"kind": "agitation", "severity": "mild"})

    assert response.status_code == status
    assert not AdverseEvent.objects.exists()


def test_a_clinician_of_another_clinic_gets_404(client, other_clinic, record, now):
    client.force_login(UserFactory(role=Role.CLINICIAN, clinic=other_clinic))

    response = client.post(url("events:adverse", record), {"kind": "agitation", "severity": "mild"})

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["events:dose", "events:infusion", "events:adverse"])
def test_the_event_urls_are_post_only(client, clinician, record, name, now):
    client.force_login(clinician)

    assert client.get(url(name, record)).status_code == 405


# --- Queries -----------------------------------------------------------------------------


def queries_of_part(rf, clinician, record) -> int:
    request = rf.get("/")
    request.user = clinician
    with CaptureQueriesContext(connection) as queries:
        events_context(request, fetched(record))
    return len(queries)


def test_the_part_reads_the_same_number_of_queries_whatever_the_events(rf, clinician, record, now):
    add_event(record, clinician)
    one = queries_of_part(rf, clinician, record)
    for n in range(4):
        event = add_event(record, clinician, onset_at=minutes(10 + n))
        events_services.record_intervention(actor=actor(clinician), event=event, drug="Ondansetron")
    events_services.record_infusion_change(
        actor=actor(clinician), record=fetched(record), kind="paused", reason="Nausea"
    )

    assert queries_of_part(rf, clinician, record) == one
