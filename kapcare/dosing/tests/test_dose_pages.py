"""The dose on the dosing record page: the arithmetic and the caps shown, the prescription
form for clinicians with the lot from the register, the second check by a clinician or
nurse who types their own password, messages at the fields with
nothing typed lost, and who may post at all."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing import recording
from kapcare.dosing.dose import services as dose_services
from kapcare.dosing.models import DosingRecord
from kapcare.episodes import services as episode_services
from kapcare.episodes.tests.test_gate_facts import (
    DOSE,
    GOOD_CHECKLIST,
    NOW,
    actor,
    fetched,
    ready_episode,
)
from tests.factories import PASSWORD, UserFactory, plan_session, receive_lot, vouched


@pytest.fixture(autouse=True)
def at_eight_thirty():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def lot(clinic):
    return receive_lot(clinic, "KET-2611", dt.date(2027, 6, 30))


@pytest.fixture
def session(patient, clinician, patient_user):
    episode = ready_episode(patient, clinician, patient_user)
    planned = plan_session(episode, clinician, starts_at=DOSE)
    episode_services.record_day_of_checklist(
        actor=actor(clinician), session=planned, data=GOOD_CHECKLIST
    )
    return fetched(planned)


def record_url(session) -> str:
    return reverse("dosing:record", args=[session.external_id])


def prescribe_url(session) -> str:
    return reverse("dose:prescribe", args=[session.external_id])


def confirm_url(session) -> str:
    return reverse("dose:confirm", args=[session.external_id])


GOOD = {
    "route": "iv",
    "mg_per_kg": "0.5",
    "infusion_minutes": "40",
    "lot_number": "KET-2611",
    "above_maximum_reason": "",
}


def prescribed(session, clinician) -> DosingRecord:
    record = recording.record_for(actor(clinician), session)
    return dose_services.prescribe_dose(
        actor=actor(clinician),
        record=record,
        route="iv",
        mg_per_kg=Decimal("0.5"),
        infusion_minutes=40,
        lot_number="KET-2611",
    )


# --- Prescribing on the page --------------------------------------------------------------------


def test_a_clinician_prescribes_and_is_sent_back_to_the_dose(client, clinician, session):
    client.force_login(clinician)

    response = client.post(prescribe_url(session), GOOD)

    assert response.status_code == 302
    assert response["Location"] == record_url(session) + "#dose"
    assert DosingRecord.objects.get(session=session).dose_mg == Decimal("36.3")


def test_the_page_shows_the_arithmetic_and_who_prescribed(client, clinician, session):
    prescribed(session, clinician)
    client.force_login(clinician)

    page = client.get(record_url(session)).content.decode()

    assert "0.5 mg/kg × 72.5 kg = 36.3 mg" in page
    assert "by Cal Clinician, CRNA" in page
    assert "Not checked yet" in page
    assert "a clinician or nurse of the clinic, not the prescriber" in page
    assert "KET-2611 — expires Jun 30, 2027, 1000 mg on hand" in page


def test_the_page_shows_the_clinics_maximum_per_route(client, clinician, session):
    client.force_login(clinician)

    response = client.get(record_url(session))

    page = response.content.decode()
    assert "The clinic's maximum per route" in page
    assert '<th scope="row">Sublingual</th><td>3 mg/kg</td><td>300 mg</td>' in page
    assert 'Intravenous <span class="muted">(this dose)</span></th><td>1 mg/kg</td>' in page


def test_bad_input_comes_back_at_the_field_with_everything_typed(client, clinician, session):
    client.force_login(clinician)

    response = client.post(
        prescribe_url(session), {**GOOD, "mg_per_kg": "12", "infusion_minutes": "55"}
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "12 mg/kg is not a plausible ketamine dose" in page
    assert 'value="55"' in page
    assert '<option value="KET-2611" selected>' in page
    assert 'value="12"' in page
    assert DosingRecord.objects.get(session=session).dose_mg is None


def test_a_dose_above_the_maximum_asks_for_the_reason_at_its_field(client, clinician, session):
    client.force_login(clinician)

    response = client.post(prescribe_url(session), {**GOOD, "mg_per_kg": "1.5"})

    assert response.status_code == 422
    dose = dict(response.context["parts"])
    form = next(context for part, context in dose.items() if part.key == "dose")["form"]
    assert form.errors["above_maximum_reason"][0].startswith(
        "1.5 mg/kg is above the clinic's maximum of 1 mg/kg for IV."
    )


def test_a_number_that_is_not_a_number_is_refused_at_the_field(client, clinician, session):
    client.force_login(clinician)

    response = client.post(prescribe_url(session), {**GOOD, "mg_per_kg": "half"})

    assert response.status_code == 422
    assert "Enter the dose in mg/kg as a number" in response.content.decode()


def test_a_refused_post_still_logs_the_record_shown(client, clinician, session):
    client.force_login(clinician)

    client.post(prescribe_url(session), {**GOOD, "mg_per_kg": "0"})

    assert AccessLogEntry.objects.filter(
        action=AccessAction.VIEW, actor=clinician, object_type="dosingrecord"
    ).exists()


@pytest.mark.parametrize("role", ["coordinator", "clinic_admin", "therapist", "patient_user"])
def test_only_a_clinician_may_post_a_prescription(client, request, session, role):
    client.force_login(request.getfixturevalue(role))

    response = client.post(prescribe_url(session), GOOD)

    assert response.status_code == 403
    assert not DosingRecord.objects.filter(session=session, dose_mg__isnull=False).exists()


def test_another_clinics_clinician_gets_404(client, session, other_clinic):
    stranger = UserFactory(role=Role.CLINICIAN, clinic=other_clinic)
    client.force_login(stranger)

    assert client.post(prescribe_url(session), GOOD).status_code == 404


def test_the_prescription_is_post_only(client, clinician, session):
    client.force_login(clinician)

    assert client.get(prescribe_url(session)).status_code == 405


# --- The second check on the page ---------------------------------------------------------------


def check(session, record, email, password=PASSWORD) -> dict:
    return {
        "prescribed_at": record.prescribed_at.isoformat(),
        "second_email": email,
        "second_password": password,
    }


def test_a_nurse_checks_the_dose_typing_her_own_password(client, clinician, nurse, session):
    record = prescribed(session, clinician)
    client.force_login(nurse)

    page = client.get(record_url(session)).content.decode()
    assert "I have checked this dose" in page

    response = client.post(confirm_url(session), check(session, record, nurse.email))

    assert response.status_code == 302
    stored = DosingRecord.objects.get(pk=record.pk)
    assert (stored.confirmed_by_id, stored.confirmed_at) == (nurse.pk, NOW)


def test_on_the_prescribers_screen_the_nurse_types_her_password(client, clinician, nurse, session):
    record = prescribed(session, clinician)
    client.force_login(clinician)

    response = client.post(confirm_url(session), check(session, record, nurse.email))

    assert response.status_code == 302
    assert DosingRecord.objects.get(pk=record.pk).confirmed_by_id == nurse.pk


def test_a_coordinator_is_refused_as_the_checker(client, clinician, coordinator, session):
    record = prescribed(session, clinician)
    client.force_login(clinician)

    response = client.post(confirm_url(session), check(session, record, coordinator.email))

    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="confirm_second_email_error"' in page
    assert "Cora Coordinator may not act as the second checker" in page
    assert DosingRecord.objects.get(pk=record.pk).confirmed_at is None


def test_a_coordinator_may_not_post_the_check_at_all(client, clinician, coordinator, session):
    record = prescribed(session, clinician)
    client.force_login(coordinator)

    assert "I have checked this dose" not in client.get(record_url(session)).content.decode()
    response = client.post(confirm_url(session), check(session, record, coordinator.email))

    assert response.status_code == 403
    assert DosingRecord.objects.get(pk=record.pk).confirmed_at is None


def test_a_wrong_password_is_refused_at_the_field_keeping_the_email(
    client, clinician, nurse, session
):
    record = prescribed(session, clinician)
    client.force_login(clinician)

    response = client.post(
        confirm_url(session), check(session, record, nurse.email, password="not hers")
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="confirm_second_password_error"' in page
    assert "That email and password do not match an active account." in page
    assert f'value="{nurse.email}"' in page
    assert 'value="not hers"' not in page
    assert DosingRecord.objects.get(pk=record.pk).confirmed_at is None


def test_the_prescriber_cannot_be_their_own_checker(client, clinician, nurse, session):
    record = prescribed(session, clinician)
    client.force_login(nurse)

    response = client.post(confirm_url(session), check(session, record, clinician.email))

    assert response.status_code == 422
    assert "The second person must be someone other than you." in response.content.decode()
    assert DosingRecord.objects.get(pk=record.pk).confirmed_at is None


def test_the_patient_cannot_check_a_dose(client, clinician, patient_user, session):
    record = prescribed(session, clinician)
    client.force_login(patient_user)

    response = client.post(confirm_url(session), check(session, record, patient_user.email))

    assert response.status_code == 403


# --- Links --------------------------------------------------------------------------------------


def test_the_gates_page_links_to_the_dosing_record(client, clinician, session):
    client.force_login(clinician)

    page = client.get(reverse("gates:session", args=[session.external_id])).content.decode()

    assert f'href="{record_url(session)}">Open the dosing record' in page
    assert f'href="{record_url(session)}#dose">Open the dose on the dosing record' in page


def test_the_episode_page_links_each_dose_to_its_record(client, clinician, session):
    client.force_login(clinician)

    page = client.get(reverse("episodes:detail", args=[session.episode.external_id]))

    assert f'href="{record_url(session)}">Dosing record' in page.content.decode()


# --- Queries ------------------------------------------------------------------------------------


def test_the_dose_part_runs_the_same_queries_before_and_after_prescribing(
    client, clinician, coordinator, session, django_assert_max_num_queries
):
    client.force_login(coordinator)
    client.get(record_url(session))  # the record is opened on the first visit
    with CaptureQueriesContext(connection) as before:
        client.get(record_url(session))
    record = prescribed(session, clinician)
    checker = UserFactory(role=Role.NURSE, clinic=session.patient.clinic)
    dose_services.confirm_dose(actor=actor(checker), record=record, checker=vouched(checker))

    with django_assert_max_num_queries(len(before) + 2):  # the prescriber and the checker
        assert client.get(record_url(session)).status_code == 200
