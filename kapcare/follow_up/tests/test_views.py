"""The patient's choice about follow-up questionnaires: portal and staff pages."""

from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.follow_up import services


def test_a_patient_opts_out_in_the_portal(client, patient_user, patient):
    client.force_login(patient_user)
    url = reverse("follow_up:portal")

    assert client.get(url).status_code == 200
    response = client.post(url, {"receive": "no"})

    assert response.status_code == 302
    assert services.is_opted_out(patient)
    assert AccessLogEntry.objects.filter(
        patient=patient, action=AccessAction.CREATE, object_type="followuppreference"
    ).exists()


def test_staff_record_the_patients_choice_on_their_behalf(client, coordinator, patient):
    client.force_login(coordinator)
    url = reverse("follow_up:patient", args=[patient.external_id])
    client.post(url, {"receive": "no"})
    assert services.is_opted_out(patient)

    client.post(url, {"receive": "yes"})
    assert not services.is_opted_out(patient)
    assert patient.follow_up_preferences.count() == 2


def test_a_missing_choice_is_named_at_the_field_and_nothing_is_saved(client, coordinator, patient):
    client.force_login(coordinator)
    response = client.post(reverse("follow_up:patient", args=[patient.external_id]), {})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not patient.follow_up_preferences.exists()


def test_staff_of_another_clinic_get_404(client, patient, other_clinic):
    from kapcare.accounts.models import Role
    from tests.factories import UserFactory

    outsider = UserFactory(role=Role.COORDINATOR, clinic=other_clinic)
    client.force_login(outsider)
    url = reverse("follow_up:patient", args=[patient.external_id])

    assert client.post(url, {"receive": "no"}).status_code == 404
    assert not patient.follow_up_preferences.exists()
