"""The measures API: instruments as published, completing a questionnaire (scores, bands,
flags, safety alerts, messages that name the item), who may do it, and the list."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kapcare.accounts.models import ApiToken
from kapcare.api import api
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessLogEntry
from kapcare.measures import services
from kapcare.measures.models import Assessment, AssessmentStatus, SafetyAlert, Source

INSTRUMENTS_URL = "/api/v1/instruments"

MODERATELY_SEVERE_PHQ9 = [2, 2, 2, 2, 2, 2, 2, 1, 0]  # total 15, item 9 "Not at all"
NO_RISK_CSSRS = [False, False, None, None, None, False, None]


def bearer(user):
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def assessments_url(patient):
    return f"/api/v1/patients/{patient.external_id}/assessments"


def submit(client, user, patient, instrument, answers):
    return client.post(
        assessments_url(patient),
        {"instrument": instrument, "answers": answers},
        content_type="application/json",
        headers=bearer(user),
    )


def record(patient, user, instrument, answers, source=Source.STAFF):
    actor = Actor(user=user, ip_address=None)
    return services.record_assessment(
        actor=actor, patient=patient, instrument=instrument, answers=answers, source=source
    ).assessment


# Instruments


def test_instruments_lists_the_four_public_domain_instruments(client, coordinator):
    response = client.get(INSTRUMENTS_URL, headers=bearer(coordinator))

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == ["phq9", "gad7", "pcl5", "cssrs_screen"]


def test_instrument_carries_its_items_options_bands_and_loinc_codes(client, coordinator):
    response = client.get(f"{INSTRUMENTS_URL}/phq9", headers=bearer(coordinator))

    body = response.json()
    assert (body["short_name"], body["kind"]) == ("PHQ-9", "likert")
    assert (body["loinc_panel"], body["loinc_total"]) == ("44249-1", "44261-6")
    assert body["options"][0] == {"value": 0, "label": "Not at all"}
    assert body["bands"][3] == {"low": 15, "high": 19, "label": "moderately severe"}
    assert len(body["items"]) == 9
    assert body["items"][8] == {
        "number": 9,
        "label": "9",
        "text": "Thoughts that you would be better off dead or of hurting yourself in some way",
        "loinc": "44260-8",
        "only_if_yes_to": None,
    }


def test_cssrs_screener_is_published_with_yes_no_options_and_its_skip_logic(client, coordinator):
    body = client.get(f"{INSTRUMENTS_URL}/cssrs_screen", headers=bearer(coordinator)).json()

    assert body["kind"] == "yes_no"
    assert body["options"] == [{"value": True, "label": "Yes"}, {"value": False, "label": "No"}]
    assert (body["items"][6]["label"], body["items"][6]["only_if_yes_to"]) == ("6b", 6)
    assert body["bands"] == []


def test_unknown_instrument_is_404_json(client, coordinator):
    response = client.get(f"{INSTRUMENTS_URL}/bdi2", headers=bearer(coordinator))

    assert response.status_code == 404
    assert response.json() == {"detail": "No such instrument."}


def test_therapist_token_may_read_the_instruments(client, therapist):
    assert client.get(INSTRUMENTS_URL, headers=bearer(therapist)).status_code == 200


def test_instruments_need_a_token(client, db):
    assert client.get(INSTRUMENTS_URL).status_code == 401


# Completing a questionnaire


def test_completion_answers_201_with_id_total_band_and_flags(client, coordinator, patient):
    response = submit(client, coordinator, patient, "phq9", MODERATELY_SEVERE_PHQ9)

    assert response.status_code == 201
    body = response.json()
    assessment = Assessment.objects.get()
    assert body["id"] == str(assessment.external_id)
    assert (body["instrument"], body["total"], body["band"]) == ("phq9", 15, "moderately severe")
    assert (body["flags"], body["alert_id"], body["source"]) == ([], None, "staff")
    assert set(body) == {
        "id",
        "instrument",
        "total",
        "band",
        "flags",
        "completed_at",
        "source",
        "alert_id",
    }


def test_completion_is_stored_as_completed_and_entered_by_the_tokens_owner(
    client, coordinator, patient
):
    submit(client, coordinator, patient, "phq9", MODERATELY_SEVERE_PHQ9)

    assessment = Assessment.objects.get()
    assert assessment.patient_id == patient.pk
    assert assessment.status == AssessmentStatus.COMPLETED
    assert assessment.entered_by_id == coordinator.pk
    assert assessment.answers == MODERATELY_SEVERE_PHQ9


@pytest.mark.parametrize(
    ("instrument", "answers", "total", "band"),
    [
        ("phq9", [0] * 9, 0, "minimal"),
        ("phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
        ("phq9", [3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe"),
        ("gad7", [2, 2, 2, 2, 2, 0, 0], 10, "moderate"),
        ("gad7", [3] * 7, 21, "severe"),
        ("pcl5", [2] * 16 + [1] * 4, 36, "probable ptsd"),
        ("pcl5", [1] * 20, 20, "below threshold"),
        ("cssrs_screen", NO_RISK_CSSRS, None, "no risk"),
        ("cssrs_screen", [True, True, True, False, False, False, None], None, "moderate risk"),
    ],
)
def test_total_and_band_are_as_published(
    client, coordinator, patient, instrument, answers, total, band
):
    body = submit(client, coordinator, patient, instrument, answers).json()

    assert (body["total"], body["band"]) == (total, band)


def test_cssrs_items_skipped_by_design_may_be_null(client, coordinator, patient):
    response = submit(
        client, coordinator, patient, "cssrs_screen", [True, False, None, None, None, False, None]
    )

    assert response.status_code == 201
    assert response.json()["band"] == "low risk"


def test_phq9_item_9_above_0_is_flagged_and_raises_a_safety_alert(client, coordinator, patient):
    response = submit(client, coordinator, patient, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])

    body = response.json()
    alert = SafetyAlert.objects.get()
    assert "suicidal_ideation" in body["flags"]
    assert body["alert_id"] == str(alert.external_id)
    assert (alert.kind, alert.patient_id, alert.clinic_id) == (
        "suicidal_ideation",
        patient.pk,
        patient.clinic_id,
    )
    assert alert.assessment.external_id == Assessment.objects.get().external_id


def test_high_risk_cssrs_screen_raises_a_safety_alert(client, coordinator, patient):
    response = submit(
        client, coordinator, patient, "cssrs_screen", [True, True, False, True, False, False, None]
    )

    body = response.json()
    assert (body["band"], body["flags"]) == ("high risk", ["suicide_risk_high"])
    assert body["alert_id"] == str(SafetyAlert.objects.get(kind="suicide_risk_high").external_id)


def test_completion_without_a_flag_raises_no_alert(client, coordinator, patient):
    submit(client, coordinator, patient, "phq9", MODERATELY_SEVERE_PHQ9)

    assert not SafetyAlert.objects.exists()


def test_completion_is_logged_through_the_api_and_not_as_a_read(client, coordinator, patient):
    submit(client, coordinator, patient, "phq9", MODERATELY_SEVERE_PHQ9)

    rows = AccessLogEntry.objects.filter(patient=patient)
    assert {(row.object_type, row.action) for row in rows} == {
        ("assessment", "create"),
        ("assessment", "update"),
    }
    assert {(row.actor_id, row.channel) for row in rows} == {(coordinator.pk, "api")}


# Answers that cannot be scored


def refusal(response):
    assert response.status_code == 422
    return response.json()["detail"]


def test_value_out_of_range_is_refused_naming_the_item(client, coordinator, patient):
    response = submit(client, coordinator, patient, "phq9", [0, 0, 4, 0, 0, 0, 0, 0, 0])

    assert response.json() == {"detail": "Item 3 must be one of 0, 1, 2, 3; got 4."}


def test_refused_answers_leave_no_assessment_behind(client, coordinator, patient):
    submit(client, coordinator, patient, "phq9", [0, 0, 4, 0, 0, 0, 0, 0, 0])

    assert not Assessment.objects.exists()
    assert not AccessLogEntry.objects.filter(patient=patient).exists()


def test_yes_or_no_for_a_likert_item_is_refused_naming_the_item(client, coordinator, patient):
    response = submit(client, coordinator, patient, "gad7", [0, 0, True, 0, 0, 0, 0])

    assert refusal(response) == "Item 3 must be one of 0, 1, 2, 3; got True."


def test_text_for_a_likert_item_is_refused_naming_the_item(client, coordinator, patient):
    response = submit(client, coordinator, patient, "gad7", [0, 0, "2", 0, 0, 0, 0])

    assert refusal(response) == "Item 3 must be one of 0, 1, 2, 3; got '2'."


def test_number_for_a_yes_no_item_is_refused_naming_the_item(client, coordinator, patient):
    response = submit(
        client, coordinator, patient, "cssrs_screen", [False, False, None, None, None, 1, None]
    )

    assert refusal(response) == "Item 6 must be yes (True) or no (False); got 1."


def test_wrong_number_of_answers_is_refused(client, coordinator, patient):
    response = submit(client, coordinator, patient, "phq9", [0] * 8)

    assert refusal(response) == "PHQ-9 has 9 items; got 8 answers."


def test_too_many_unanswered_items_are_refused_naming_them(client, coordinator, patient):
    response = submit(client, coordinator, patient, "phq9", [None, None, None, 0, 0, 0, 0, 0, 0])

    assert "items 1, 2 and 3 are unanswered" in refusal(response)


def test_cssrs_follow_up_answered_after_a_no_is_refused_naming_it(client, coordinator, patient):
    response = submit(
        client, coordinator, patient, "cssrs_screen", [False, False, None, None, None, False, True]
    )

    assert refusal(response).startswith("Item 6b is asked only after a yes to item 6")


def test_unknown_instrument_is_refused_naming_the_known_ones(client, coordinator, patient):
    response = submit(client, coordinator, patient, "bdi2", [0] * 21)

    assert refusal(response) == (
        "Unknown instrument 'bdi2'; expected one of cssrs_screen, gad7, pcl5, phq9."
    )


def test_unknown_field_in_the_body_is_refused(client, coordinator, patient):
    response = client.post(
        assessments_url(patient),
        {"instrument": "gad7", "answers": [0] * 7, "total": 0},
        content_type="application/json",
        headers=bearer(coordinator),
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {"total": ["This field is not known."]}


# Who may complete one


@pytest.mark.parametrize("persona", ["coordinator", "clinician", "clinic_admin"])
def test_clinic_staff_enter_a_questionnaire_for_a_patient(client, request, persona, patient):
    user = request.getfixturevalue(persona)

    response = submit(client, user, patient, "gad7", [0] * 7)

    assert response.status_code == 201
    assert Assessment.objects.get().source == Source.STAFF


def test_patient_completes_their_own_questionnaire_as_in_the_portal(client, patient_user, patient):
    response = submit(client, patient_user, patient, "gad7", [0] * 7)

    assert response.status_code == 201
    assert response.json()["source"] == "portal"
    assessment = Assessment.objects.get()
    assert (assessment.source, assessment.entered_by_id) == (Source.PORTAL, patient_user.pk)


def test_patient_gets_404_completing_another_patients_questionnaire(
    client, patient_user, patient, other_patient
):
    response = submit(client, patient_user, other_patient, "gad7", [0] * 7)

    assert response.status_code == 404
    assert not Assessment.objects.exists()


def test_therapist_is_refused_with_403(client, therapist, patient):
    response = submit(client, therapist, patient, "gad7", [0] * 7)

    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_staff_of_another_clinic_get_404(client, outsider, patient):
    response = submit(client, outsider, patient, "gad7", [0] * 7)

    assert response.status_code == 404
    assert not Assessment.objects.exists()


def test_completing_needs_a_token(client, patient):
    response = client.post(
        assessments_url(patient),
        {"instrument": "gad7", "answers": [0] * 7},
        content_type="application/json",
    )

    assert response.status_code == 401
    assert not Assessment.objects.exists()


# Listing a patient's assessments


@pytest.fixture
def history(patient, coordinator):
    """Three completions a week apart (GAD-7, PHQ-9, GAD-7) and one unfinished PHQ-9."""
    start = dt.datetime(2025, 3, 3, 15, tzinfo=dt.UTC)
    made = []
    for week, (instrument, answers) in enumerate(
        [("gad7", [3] * 7), ("phq9", MODERATELY_SEVERE_PHQ9), ("gad7", [0] * 7)]
    ):
        with time_machine.travel(start + dt.timedelta(weeks=week), tick=False):
            made.append(record(patient, coordinator, instrument, answers))
    services.start_assessment(
        actor=Actor(user=coordinator, ip_address=None),
        patient=patient,
        instrument="phq9",
        source=Source.PORTAL,
    )
    return made


def listed(response):
    assert response.status_code == 200
    return [item["id"] for item in response.json()["items"]]


def test_list_shows_completed_assessments_newest_first(client, coordinator, patient, history):
    response = client.get(assessments_url(patient), headers=bearer(coordinator))

    assert listed(response) == [str(a.external_id) for a in reversed(history)]
    assert response.json()["next"] is None
    newest = response.json()["items"][0]
    assert newest == {
        "id": str(history[2].external_id),
        "instrument": "gad7",
        "total": 0,
        "band": "minimal",
        "flags": [],
        "completed_at": "2025-03-17T15:00:00Z",
        "source": "staff",
    }


def test_list_filters_by_instrument(client, coordinator, patient, history):
    response = client.get(
        f"{assessments_url(patient)}?instrument=gad7", headers=bearer(coordinator)
    )

    assert listed(response) == [str(history[2].external_id), str(history[0].external_id)]


def test_list_filter_by_unknown_instrument_is_refused_naming_the_known_ones(
    client, coordinator, patient
):
    response = client.get(
        f"{assessments_url(patient)}?instrument=bdi2", headers=bearer(coordinator)
    )

    assert "cssrs_screen, gad7, pcl5, phq9" in refusal(response)


def test_list_is_paged_newest_first(client, coordinator, patient, history):
    headers = bearer(coordinator)
    first = client.get(f"{assessments_url(patient)}?limit=2", headers=headers)
    second = client.get(first.json()["next"], headers=headers)

    assert listed(first) + listed(second) == [str(a.external_id) for a in reversed(history)]
    assert second.json()["next"] is None


def test_a_cursor_from_one_patients_list_is_refused_on_anothers(
    client, coordinator, patient, other_patient, history
):
    record(other_patient, coordinator, "gad7", [1] * 7)
    headers = bearer(coordinator)
    cursor = client.get(f"{assessments_url(patient)}?limit=1", headers=headers).json()["next"]

    response = client.get(
        f"{assessments_url(other_patient)}?{cursor.split('?', 1)[1]}", headers=headers
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["cursor"]


def test_list_shows_only_that_patients_assessments(
    client, coordinator, patient, other_patient, history
):
    record(other_patient, coordinator, "gad7", [1] * 7)

    response = client.get(assessments_url(other_patient), headers=bearer(coordinator))

    assert len(listed(response)) == 1


def test_reading_the_list_is_logged_as_viewing_the_patient(client, clinician, patient, history):
    client.get(assessments_url(patient), headers=bearer(clinician))

    row = AccessLogEntry.objects.get(patient=patient, action="view")
    assert (row.actor_id, row.channel, row.object_type) == (clinician.pk, "api", "patient")


def test_patient_lists_their_own_assessments(client, patient_user, patient, history):
    assert len(listed(client.get(assessments_url(patient), headers=bearer(patient_user)))) == 3


@pytest.mark.parametrize(
    ("persona", "status"),
    # A therapist without a live authorisation with the measures scope: as if it did not exist.
    [("therapist", 404), ("outsider", 404), ("patient_user", 404)],
)
def test_others_cannot_list_a_patients_assessments(
    client, request, other_patient, patient, persona, status
):
    record(other_patient, request.getfixturevalue("coordinator"), "gad7", [1] * 7)
    user = request.getfixturevalue(persona)

    response = client.get(assessments_url(other_patient), headers=bearer(user))

    assert response.status_code == status
    assert "items" not in response.json()


def test_listing_needs_a_token(client, patient):
    assert client.get(assessments_url(patient)).status_code == 401


def list_query_count(client, patient, headers):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(assessments_url(patient), headers=headers).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_the_number_of_assessments(
    client, coordinator, patient, django_assert_max_num_queries
):
    headers = bearer(coordinator)
    record(patient, coordinator, "gad7", [0] * 7)
    few = list_query_count(client, patient, headers)
    for _ in range(10):
        record(patient, coordinator, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])

    with django_assert_max_num_queries(few):
        response = client.get(assessments_url(patient), headers=headers)

    assert len(listed(response)) == 11


# Description


def test_openapi_describes_the_measures_endpoints(db):
    schema = api.get_openapi_schema()

    assert {
        "/api/v1/instruments",
        "/api/v1/instruments/{instrument_id}",
        "/api/v1/patients/{patient_id}/assessments",
    } <= set(schema["paths"])
    assessments = schema["paths"]["/api/v1/patients/{patient_id}/assessments"]
    assert {"get", "post"} <= set(assessments)
    body = schema["components"]["schemas"]["AssessmentIn"]
    assert body["properties"]["instrument"]["enum"] == ["phq9", "gad7", "pcl5", "cssrs_screen"]
    assert body["additionalProperties"] is False
