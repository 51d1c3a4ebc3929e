"""The discharge part of the dosing record page: what is still unmet in words, the
discharge check with each modified Aldrete item's worded scores as radio buttons, the
discharge refused with its reasons (422) until met or a clinician writes why, then the
session done."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.dosing.discharge.rules import ALDRETE_ITEMS
from kapcare.dosing.discharge.views import discharge_context
from kapcare.dosing.models import DischargeAssessment
from kapcare.dosing.tests.test_events_fixtures import (
    at,
    checked,
    fetched,
    minutes,
    ready_to_go,
    vitals,
)
from kapcare.episodes.models import CareSession, SessionStatus
from tests.factories import PASSWORD, UserFactory

FULL_CHECK = {
    **{item.key: "2" for item in ALDRETE_ITEMS},
    "alert_and_oriented": "on",
    "escort_present": "on",
    "aftercare_given": "on",
}


@pytest.fixture
def record(patient, clinician, coordinator, patient_user):
    """The dose ended at 9:40 with a good check at 10:35: ready from 10:40."""
    return ready_to_go(patient, clinician, coordinator, patient_user)


def url(name, record):
    return reverse(name, args=[record.session.external_id])


def page(record):
    return reverse("dosing:record", args=[record.session.external_id])


def session_status(record):
    return CareSession.objects.get(pk=record.session_id).status


# --- The page ------------------------------------------------------------------------------


def test_the_page_lists_what_is_unmet_in_words(client, clinician, record):
    with at(minutes(90)):
        client.force_login(clinician)
        body = client.get(page(record)).content.decode()

    assert 'id="discharge-unmet"' in body
    assert "Observed for 50 min since the dose ended at 9:40 AM" in body


def test_the_page_says_when_every_criterion_is_met(client, clinician, record):
    with at(minutes(100)):
        client.force_login(clinician)
        body = client.get(page(record)).content.decode()

    assert 'id="discharge-unmet"' not in body
    assert "Every discharge criterion is met." in body


def test_each_aldrete_item_offers_its_three_worded_scores(client, clinician, record):
    with at(minutes(90)):
        client.force_login(clinician)
        body = client.get(page(record)).content.decode()

    for item in ALDRETE_ITEMS:
        assert f"<legend>{item.label} " in body
        for score, words in item.descriptions:
            assert f'name="{item.key}" value="{score}"' in body
            assert f"{score} – {words}" in body


def test_a_coordinator_sees_the_discharge_without_the_forms(client, coordinator, record):
    with at(minutes(90)):
        client.force_login(coordinator)
        body = client.get(page(record)).content.decode()

    assert 'id="discharge-heading"' in body
    assert url("discharge:discharge", record) not in body


# --- Discharge ---------------------------------------------------------------------------


def test_discharge_is_refused_with_its_reasons_at_the_override_field(client, clinician, record):
    with at(minutes(90)):
        client.force_login(clinician)
        response = client.post(url("discharge:discharge", record), {"override_reason": ""})

    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="discharge_override_reason_error"' in body
    assert "Not discharged: 1 criterion is unmet" in body
    assert "Observed for 50 min since the dose ended" in body
    assert fetched(record).discharged_at is None
    assert session_status(record) == SessionStatus.IN_PROGRESS


def test_a_clinician_discharges_with_criteria_unmet_and_a_reason(client, clinician, record):
    with at(minutes(90)):
        client.force_login(clinician)
        response = client.post(
            url("discharge:discharge", record),
            {
                "override_reason": "Fully recovered at 50 min; escort waiting.",
                "reauthentication": PASSWORD,
            },
        )

    assert response.status_code == 302
    discharged = fetched(record)
    assert discharged.discharge_override_reason == "Fully recovered at 50 min; escort waiting."
    assert discharged.discharged_by_id == clinician.pk
    assert session_status(record) == SessionStatus.DONE


def test_discharge_when_met_moves_the_session_to_done(client, clinician, record):
    with at(minutes(100)):
        client.force_login(clinician)
        response = client.post(url("discharge:discharge", record), {})
        body = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert session_status(record) == SessionStatus.DONE
    assert "✓ Discharged" in body


def test_the_page_shows_the_override_reason_after_discharge(client, clinician, record):
    with at(minutes(90)):
        client.force_login(clinician)
        client.post(
            url("discharge:discharge", record),
            {"override_reason": "Ride leaving now.", "reauthentication": PASSWORD},
        )
        body = client.get(page(record)).content.decode()

    assert "Discharged although criteria were unmet." in body
    assert "(confirmed with their password)" in body
    assert "Ride leaving now." in body


def test_a_discharge_against_the_criteria_asks_for_the_password_keeping_the_reason(
    client, clinician, record
):
    with at(minutes(90)):
        client.force_login(clinician)
        page_before = client.get(page(record)).content.decode()
        response = client.post(
            url("discharge:discharge", record), {"override_reason": "Ride leaving now."}
        )

    body = response.content.decode()
    assert 'id="discharge_reauthentication"' in page_before
    assert response.status_code == 422
    assert 'id="discharge_reauthentication_error"' in body
    assert "Ride leaving now." in body
    assert fetched(record).discharged_at is None


def test_a_second_clinician_confirms_an_override_over_vitals_with_their_own_password(
    client, clinician, record
):
    colleague = UserFactory(role=Role.CLINICIAN, clinic=clinician.clinic, email="casey@example.org")
    vitals(record, clinician, minutes(97), sbp=170, hr=76)
    override = {
        "override_reason": "Pressure settling; husband driving.",
        "reauthentication": PASSWORD,
    }
    with at(minutes(100)):
        client.force_login(clinician)
        without = client.post(url("discharge:discharge", record), override)
        wrong = client.post(
            url("discharge:discharge", record),
            override | {"second_email": "casey@example.org", "second_password": "not it"},
        )
        right = client.post(
            url("discharge:discharge", record),
            override | {"second_email": "casey@example.org", "second_password": PASSWORD},
        )
        body = client.get(page(record)).content.decode()

    assert without.status_code == 422
    assert 'id="discharge_second_email_error"' in without.content.decode()
    assert "a second clinician confirms this discharge" in without.content.decode()
    assert wrong.status_code == 422
    assert 'id="discharge_second_password_error"' in wrong.content.decode()
    assert "Pressure settling; husband driving." in wrong.content.decode()  # kept as typed
    assert right.status_code == 302
    assert fetched(record).discharge_confirmed_by_id == colleague.pk
    assert f"Confirmed by a second clinician, {colleague.display_name}" in body


# --- Discharge checks ----------------------------------------------------------------------


def test_a_clinician_records_a_discharge_check(client, clinician, record):
    with at(minutes(99)):
        client.force_login(clinician)
        response = client.post(url("discharge:assessment", record), {**FULL_CHECK, "activity": "1"})

    assert response.status_code == 302
    latest = DischargeAssessment.objects.order_by("-assessed_at").first()
    assert latest.assessed_at == minutes(99)
    assert latest.aldrete_score == 9


def test_a_check_without_an_item_comes_back_at_it_keeping_the_rest(client, clinician, record):
    data = {key: value for key, value in FULL_CHECK.items() if key != "respiration"}
    data["circulation"] = "1"

    with at(minutes(99)):
        client.force_login(clinician)
        response = client.post(url("discharge:assessment", record), data)

    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="discharge_check_respiration_error"' in body
    assert "Choose the respiration score." in body
    assert 'value="1" required id="discharge_check_circulation_1" checked' in body
    assert DischargeAssessment.objects.count() == 1


def test_a_score_out_of_range_is_refused_at_its_field(client, clinician, record):
    with at(minutes(99)):
        client.force_login(clinician)
        response = client.post(url("discharge:assessment", record), {**FULL_CHECK, "activity": "3"})

    assert response.status_code == 422
    assert 'id="discharge_check_activity_error"' in response.content.decode()


# --- Who may post ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["coordinator", "clinic_admin", "therapist", "patient_user"])
@pytest.mark.parametrize("name", ["discharge:discharge", "discharge:assessment"])
def test_only_a_clinician_may_discharge_or_check(client, request, record, persona, name):
    with at(minutes(100)):
        client.force_login(request.getfixturevalue(persona))
        response = client.post(url(name, record), FULL_CHECK)

    assert response.status_code == 403
    assert fetched(record).discharged_at is None


def test_a_clinician_of_another_clinic_gets_404(client, other_clinic, record):
    with at(minutes(100)):
        client.force_login(UserFactory(role=Role.CLINICIAN, clinic=other_clinic))
        response = client.post(url("discharge:discharge", record), {})

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["discharge:discharge", "discharge:assessment"])
def test_the_discharge_urls_are_post_only(client, clinician, record, name):
    with at(minutes(100)):
        client.force_login(clinician)
        assert client.get(url(name, record)).status_code == 405


# --- Queries -----------------------------------------------------------------------------


def queries_of_part(rf, clinician, record) -> int:
    request = rf.get("/")
    request.user = clinician
    with CaptureQueriesContext(connection) as queries:
        discharge_context(request, fetched(record))
    return len(queries)


def test_the_part_reads_the_same_number_of_queries_whatever_the_record_holds(rf, clinician, record):
    with at(minutes(100)):
        one = queries_of_part(rf, clinician, record)
    for n in range(6):
        vitals(record, clinician, minutes(91 + n), hr=75, sbp=128)
        checked(record, clinician, minutes(91 + n))

    with at(minutes(100)):
        assert queries_of_part(rf, clinician, record) == one
