"""Converting a consultation request into a patient record, from the request's page."""

import pytest
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.intake.models import RequestStatus, StatusChange
from kapcare.patients.models import Patient
from tests.factories import ConsultationRequestFactory

REST_OF_THE_FORM = {
    "preferred_name": "",
    "birth_date": "1980-02-04",
    "sex_at_birth": "F",
    "gender_identity": "",
    "pronouns": "she/her",
    "address_line": "",
    "city": "Nashville",
    "state": "TN",
    "postal_code": "",
    "emergency_contact_name": "",
    "emergency_contact_relationship": "",
    "emergency_contact_phone": "",
}


def convert_url(consultation_request):
    return reverse("intake:convert", args=[consultation_request.external_id])


def form_data(consultation_request):
    return {
        "given_name": consultation_request.given_name,
        "family_name": consultation_request.family_name,
        "email": consultation_request.email,
        "phone": consultation_request.phone,
        **REST_OF_THE_FORM,
    }


def test_the_patient_form_is_prefilled_from_the_request(client, coordinator, consultation_request):
    client.force_login(coordinator)

    response = client.get(convert_url(consultation_request))

    assert response.status_code == 200
    assert response.context["form"].initial == {
        "given_name": "Rosa",
        "family_name": "Parks",
        "email": "rosa@example.org",
        "phone": "615-555-0150",
    }
    html = response.content.decode()
    assert 'value="Rosa"' in html
    assert 'value="615-555-0150"' in html


def test_converting_registers_the_patient_in_the_same_clinic_and_opens_the_chart(
    client, coordinator, clinic, consultation_request
):
    client.force_login(coordinator)

    response = client.post(convert_url(consultation_request), form_data(consultation_request))

    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:chart", args=[patient.external_id])
    assert patient.clinic_id == clinic.pk
    assert (patient.given_name, patient.family_name) == ("Rosa", "Parks")
    assert patient.created_by_id == coordinator.pk
    consultation_request.refresh_from_db()
    assert consultation_request.status == RequestStatus.CONVERTED
    assert consultation_request.patient_id == patient.pk
    change = StatusChange.objects.get()
    assert (change.from_status, change.to_status, change.changed_by_id) == (
        "new",
        "converted",
        coordinator.pk,
    )


def test_converting_writes_the_access_log(client, coordinator, consultation_request):
    client.force_login(coordinator)

    client.post(convert_url(consultation_request), form_data(consultation_request))

    patient = Patient.objects.get()
    rows = list(AccessLogEntry.objects.order_by("id"))
    assert [(r.action, r.object_type) for r in rows] == [
        (AccessAction.CREATE, "patient"),
        (AccessAction.UPDATE, "consultationrequest"),
    ]
    assert all(r.patient_id == patient.pk and r.actor_id == coordinator.pk for r in rows)
    assert rows[1].object_id == str(consultation_request.external_id)


def test_opening_the_convert_page_is_logged_as_a_view(client, coordinator, consultation_request):
    client.force_login(coordinator)

    client.get(convert_url(consultation_request))

    entry = AccessLogEntry.objects.get()
    assert (entry.action, entry.object_id) == (
        AccessAction.VIEW,
        str(consultation_request.external_id),
    )


def test_an_invalid_patient_form_keeps_what_was_typed_and_converts_nothing(
    client, coordinator, consultation_request
):
    client.force_login(coordinator)
    data = {**form_data(consultation_request), "birth_date": "2090-01-01"}

    response = client.post(convert_url(consultation_request), data)

    assert response.status_code == 200
    assert "birth_date" in response.context["form"].errors
    assert 'value="Nashville"' in response.content.decode()
    assert not Patient.objects.exists()
    consultation_request.refresh_from_db()
    assert consultation_request.status == RequestStatus.NEW


def test_a_converted_request_cannot_be_converted_twice(client, coordinator, consultation_request):
    client.force_login(coordinator)
    client.post(convert_url(consultation_request), form_data(consultation_request))

    response = client.post(
        convert_url(consultation_request), form_data(consultation_request), follow=True
    )

    assert Patient.objects.count() == 1
    assert response.redirect_chain[0][0] == reverse(
        "intake:detail", args=[consultation_request.external_id]
    )
    assert "cannot be converted twice" in response.content.decode()


def test_the_converted_request_links_to_the_patients_chart(
    client, coordinator, consultation_request
):
    client.force_login(coordinator)
    client.post(convert_url(consultation_request), form_data(consultation_request))
    patient = Patient.objects.get()

    response = client.get(reverse("intake:detail", args=[consultation_request.external_id]))

    html = response.content.decode()
    assert reverse("patients:chart", args=[patient.external_id]) in html
    assert "Convert to patient" not in html
    assert response.context["form"].has_choices is False


def test_a_declined_request_is_not_offered_for_conversion(client, coordinator, clinic):
    declined = ConsultationRequestFactory(clinic=clinic, status=RequestStatus.DECLINED)
    client.force_login(coordinator)

    response = client.post(convert_url(declined), form_data(declined))

    assert response.status_code == 302
    assert response["Location"] == reverse("intake:detail", args=[declined.external_id])
    assert not Patient.objects.exists()


def test_clinic_admin_may_convert(client, clinic_admin, consultation_request):
    client.force_login(clinic_admin)

    response = client.post(convert_url(consultation_request), form_data(consultation_request))

    assert response.status_code == 302
    assert Patient.objects.get().created_by_id == clinic_admin.pk


@pytest.mark.parametrize("persona", ["clinician", "therapist", "patient_user"])
def test_roles_outside_the_front_desk_cannot_convert(
    client, request, consultation_request, persona
):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(convert_url(consultation_request), form_data(consultation_request))

    assert response.status_code == 403
    assert not Patient.objects.filter(family_name="Parks").exists()


def test_outsider_gets_404_and_converts_nothing(client, outsider, consultation_request):
    client.force_login(outsider)

    response = client.post(convert_url(consultation_request), form_data(consultation_request))

    assert response.status_code == 404
    assert not Patient.objects.exists()
