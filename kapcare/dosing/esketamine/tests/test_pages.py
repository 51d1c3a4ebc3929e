"""Esketamine's pages, per role: the part on the dosing record, the prescription, each
device, the effects check, the REMS enrolment, the REMS form as PDF with the recorded
blood pressures, its submission, and the list of forms to send."""

import datetime as dt
import html
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from kapcare.dosing.esketamine.tests.fixtures import (
    DOSE,
    LOT,
    NOW,
    all_devices_taken,
    at,
    certified,
    fetched,
    minutes,
    prescribed,
    under_way,
)
from kapcare.dosing.models import (
    ControlledSubstanceEntry,
    NasalDevice,
    RemsEnrolment,
    RemsFormSubmission,
)
from tests.factories import UserFactory


def record_url(record) -> str:
    return reverse("dosing:record", args=[record.session.external_id])


def url(name: str, record) -> str:
    return reverse(f"esketamine:{name}", args=[record.session.external_id])


def pdf_text(response) -> str:
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


# --- The part on the record page ----------------------------------------------------------


def test_the_record_page_shows_the_dose_in_devices_and_the_enrolment(
    client, clinician, patient, patient_user
):
    record = prescribed(patient, clinician, patient_user)
    client.force_login(clinician)

    with at(NOW):
        page = client.get(record_url(record)).content.decode()

    assert "Esketamine 84 mg intranasal: 3 devices of 28 mg, 5 minutes apart" in page
    assert "RP-778812" in page


def test_an_esketamine_record_shows_the_device_form_not_ketamines_by_the_mg(
    client, clinician, patient, patient_user
):
    record = under_way(patient, clinician, patient_user)
    client.force_login(clinician)

    with at(minutes(1)):
        page = client.get(record_url(record)).content.decode()

    assert f'action="{url("device", record)}"' in page
    session_use = reverse("substances:session_use", args=[record.session.external_id])
    assert f'action="{session_use}"' not in page
    assert "Record the ketamine used" not in page
    assert 'id="substances-esketamine-note"' in page


def test_a_ketamine_record_still_shows_the_session_use_form(client, clinician, patient):
    from kapcare.dosing.tests.test_vitals_service import dosing_record

    record = dosing_record(patient, clinician)
    client.force_login(clinician)

    page = client.get(record_url(record)).content.decode()

    session_use = reverse("substances:session_use", args=[record.session.external_id])
    assert f'action="{session_use}"' in page
    assert 'id="substances-esketamine-note"' not in page


def test_a_use_by_the_mg_posted_on_an_esketamine_record_is_refused(
    client, clinician, patient, patient_user
):
    record = under_way(patient, clinician, patient_user)
    client.force_login(clinician)
    before = ControlledSubstanceEntry.objects.count()
    form = {"lot_number": LOT, "drawn_mg": "84", "given_mg": "84", "wasted_mg": "0"}

    with at(minutes(1)):
        response = client.post(
            reverse("substances:session_use", args=[record.session.external_id]),
            form,
            follow=True,
        )

    assert "Esketamine is not drawn by the mg" in html.unescape(response.content.decode())
    assert ControlledSubstanceEntry.objects.count() == before


def test_a_clinic_that_gives_no_esketamine_shows_no_such_part(client, clinician, patient):
    from kapcare.dosing.tests.test_vitals_service import dosing_record

    record = dosing_record(patient, clinician)
    client.force_login(clinician)

    page = client.get(record_url(record)).content.decode()

    assert 'id="esketamine"' not in page


def test_the_clinician_prescribes_from_the_page(client, clinician, patient, patient_user):
    record = prescribed(patient, clinician, patient_user)
    client.force_login(clinician)

    with at(NOW):
        response = client.post(url("prescribe", record), {"dose_mg": "56", "lot_number": LOT})

    assert response.status_code == 302
    assert fetched(record).dose_mg == 56


def test_a_dose_outside_the_list_is_refused_at_its_field(client, clinician, patient, patient_user):
    record = prescribed(patient, clinician, patient_user)
    client.force_login(clinician)

    with at(NOW):
        response = client.post(url("prescribe", record), {"dose_mg": "70", "lot_number": LOT})

    assert response.status_code == 422
    assert "Choose the dose: 56 mg or 84 mg." in response.content.decode()


def test_a_first_treatment_at_84_mg_is_refused_at_the_dose_on_the_page(
    client, clinician, patient, patient_user
):
    record = prescribed(patient, clinician, patient_user, dose_mg="56", first=True)
    client.force_login(clinician)

    with at(NOW):
        response = client.post(url("prescribe", record), {"dose_mg": "84", "lot_number": LOT})

    assert response.status_code == 422
    page = html.unescape(response.content.decode())
    dose_error = page[page.index('id="esketamine_dose_mg_error"') :][:400]
    assert "84 mg cannot be the patient's first esketamine treatment" in dose_error
    assert 'value="84" selected' in page  # what was chosen is kept
    assert fetched(record).dose_mg == 56


@pytest.mark.parametrize("role", ["coordinator", "nurse", "clinic_admin"])
def test_only_a_clinician_prescribes_or_records_a_device(
    client, request, clinician, patient, patient_user, role
):
    record = under_way(patient, clinician, patient_user)
    client.force_login(request.getfixturevalue(role))

    with at(minutes(1)):
        assert client.post(url("prescribe", record), {"dose_mg": "56"}).status_code == 403
        assert client.post(url("device", record), {}).status_code == 403
        assert client.post(url("resolution", record), {}).status_code == 403

    assert not NasalDevice.objects.filter(record=record).exists()


def test_a_clinician_of_another_clinic_gets_404(client, clinician, patient, patient_user):
    record = under_way(patient, clinician, patient_user)
    stranger = UserFactory(role="clinician", clinic=UserFactory().clinic)
    client.force_login(stranger)

    with at(minutes(1)):
        assert client.post(url("device", record), {}).status_code == 404


def test_devices_are_recorded_from_the_page_5_minutes_apart(
    client, clinician, patient, patient_user
):
    record = under_way(patient, clinician, patient_user)
    client.force_login(clinician)

    with at(minutes(1)):
        assert client.post(url("device", record), {}).status_code == 302
    with at(minutes(4)):
        refused = client.post(url("device", record), {})

    assert refused.status_code == 422
    assert "wait 5 minutes between devices" in refused.content.decode()
    assert NasalDevice.objects.filter(record=record).count() == 1


def test_the_effects_check_is_recorded_from_the_page(client, clinician, patient, patient_user):
    record = all_devices_taken(patient, clinician, patient_user)
    client.force_login(clinician)

    with at(minutes(100)):
        response = client.post(
            url("resolution", record),
            {"sedation_resolved": "on", "dissociation_resolved": "on"},
        )

    assert response.status_code == 302
    check = fetched(record).resolution_checks.get()
    assert (
        check.sedation_resolved,
        check.dissociation_resolved,
        check.respiratory_depression_resolved,
    ) == (True, True, False)


# --- REMS enrolment -----------------------------------------------------------------------


def test_the_clinician_records_the_enrolment(client, clinician, patient):
    client.force_login(clinician)
    page = reverse("esketamine:enrolment", args=[patient.external_id])

    with at(NOW):
        assert client.get(page).status_code == 200
        response = client.post(
            page, {"enrolment_id": "RP-1", "enrolled_on": (NOW.date() - dt.timedelta(days=2))}
        )

    assert response.status_code == 302
    assert RemsEnrolment.objects.get(patient=patient).recorded_by_id == clinician.pk


def test_an_enrolment_without_its_id_is_refused_at_the_field(client, clinician, patient):
    client.force_login(clinician)

    with at(NOW):
        response = client.post(
            reverse("esketamine:enrolment", args=[patient.external_id]),
            {"enrolled_on": NOW.date()},
        )

    assert response.status_code == 422
    assert "Enter the patient&#x27;s REMS enrolment id." in response.content.decode()


# --- The REMS form --------------------------------------------------------------------------


def test_the_rems_form_pdf_contains_the_recorded_blood_pressures(
    client, clinician, patient, patient_user
):
    record = all_devices_taken(patient, clinician, patient_user)
    client.force_login(clinician)

    with at(minutes(60)):
        response = client.get(url("form_pdf", record))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response)
    assert "126/80" in text  # before the first device
    assert "138/86" in text  # at 41 minutes
    assert "RP-778812" in text
    assert "HCS-55321" in text
    assert "84 mg intranasal" in text


def test_the_coordinator_downloads_the_form_and_records_it_sent(
    client, clinician, coordinator, patient, patient_user
):
    record = all_devices_taken(patient, clinician, patient_user)

    with at(DOSE + dt.timedelta(days=1)):
        client.force_login(coordinator)
        assert client.get(url("form_pdf", record)).status_code == 200
        response = client.post(url("submission", record), {"confirmation": "RMS-77"})

    assert response.status_code == 302
    assert RemsFormSubmission.objects.get(record=record).submitted_by_id == coordinator.pk


@pytest.mark.parametrize("role", ["therapist", "patient_user"])
def test_patients_and_therapists_cannot_open_the_form(
    client, request, clinician, patient, patient_user, role
):
    record = all_devices_taken(patient, clinician, patient_user)
    client.force_login(request.getfixturevalue(role))

    with at(minutes(60)):
        assert client.get(url("form_pdf", record)).status_code == 403
        assert client.post(url("submission", record), {"confirmation": "X"}).status_code == 403


def test_the_overdue_form_is_listed_and_counted_on_the_clinicians_home(
    client, clinician, nurse, patient, patient_user
):
    all_devices_taken(patient, clinician, patient_user)

    with at(DOSE + dt.timedelta(days=8)):
        client.force_login(nurse)
        listed = client.get(reverse("esketamine:forms")).content.decode()
        home = client.get(reverse("clinician_home")).content.decode()

    assert "Overdue (1)" in listed
    assert patient.display_name in listed
    assert "1 overdue" in home


def test_the_register_shows_the_clinics_rems_certification(client, clinician, clinic):
    certified(clinic)
    client.force_login(clinician)

    page = client.get(reverse("substances:register")).content.decode()

    assert "Spravato REMS healthcare setting certification: HCS-55321" in page
