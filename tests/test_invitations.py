"""Clinic admins invite staff; staff invite a patient to the portal. Each invitee gets a
single-use link to choose a password, and then signs in."""

import re

from django.core import mail
from django.http import HttpRequest
from django.urls import reverse

from kapcare.accounts.models import Role, User
from kapcare.audit.models import AccessAction, AccessLogEntry


def follow_link_and_choose_password(client, password="a long new passphrase"):
    link = re.search(r"http://testserver(\S+)", mail.outbox[-1].body).group(1)
    form_url = client.get(link)["Location"]
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def test_admin_invites_a_nurse_who_then_signs_in(
    client, clinic_admin, django_capture_on_commit_callbacks
):
    client.force_login(clinic_admin)
    data = {
        "full_name": "Nina Nurse",
        "email": "Nina@Example.org",
        "role": "clinician",
        "credentials": "CRNA",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("people:list"), data)

    assert response.status_code == 302
    nina = User.objects.get(email="nina@example.org")
    assert (nina.role, nina.clinic_id, nina.has_usable_password()) == (
        Role.CLINICIAN,
        clinic_admin.clinic_id,
        False,
    )
    assert mail.outbox[-1].to == ["nina@example.org"]
    client.logout()
    assert follow_link_and_choose_password(client).status_code == 302
    assert client.login(
        request=HttpRequest(), username="nina@example.org", password="a long new passphrase"
    )


def test_invitation_link_works_once(client, clinic_admin, django_capture_on_commit_callbacks):
    client.force_login(clinic_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("people:list"),
            {"full_name": "N", "email": "n@example.org", "role": "coordinator"},
        )
    client.logout()
    follow_link_and_choose_password(client)

    link = re.search(r"http://testserver(\S+)", mail.outbox[-1].body).group(1)
    response = client.get(link, follow=True)

    assert "has been used or has expired" in response.content.decode()


def test_duplicate_email_is_refused_at_the_field(client, clinic_admin, coordinator):
    client.force_login(clinic_admin)

    response = client.post(
        reverse("people:list"),
        {"full_name": "Again", "email": coordinator.email, "role": "coordinator"},
    )

    assert response.context["form"].errors["email"] == [
        "An account with this email already exists."
    ]
    assert 'value="Again"' in response.content.decode()


def test_admin_deactivates_staff_who_are_then_refused(client, clinic_admin, coordinator):
    client.force_login(clinic_admin)

    client.post(reverse("people:set_active", args=[coordinator.external_id]), {"active": "0"})

    coordinator.refresh_from_db()
    assert not coordinator.is_active
    assert not client.login(
        request=HttpRequest(), username=coordinator.email, password="correct horse battery staple"
    )


def test_admin_cannot_touch_another_clinics_staff(client, clinic_admin, outsider):
    client.force_login(clinic_admin)

    response = client.post(
        reverse("people:set_active", args=[outsider.external_id]), {"active": "0"}
    )

    assert response.status_code == 404
    outsider.refresh_from_db()
    assert outsider.is_active


def test_admin_cannot_deactivate_themself(client, clinic_admin):
    client.force_login(clinic_admin)

    client.post(reverse("people:set_active", args=[clinic_admin.external_id]), {"active": "0"})

    clinic_admin.refresh_from_db()
    assert clinic_admin.is_active


def test_patient_is_invited_to_the_portal_and_sees_their_record(
    client, coordinator, other_patient, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("patients:invite_to_portal", args=[other_patient.external_id]))

    other_patient.refresh_from_db()
    assert other_patient.user.role == Role.PATIENT
    assert AccessLogEntry.objects.filter(patient=other_patient, action=AccessAction.UPDATE).exists()
    assert "Olive" not in mail.outbox[-1].subject
    client.logout()
    follow_link_and_choose_password(client)
    client.login(
        request=HttpRequest(), username=other_patient.email, password="a long new passphrase"
    )
    assert "Hello, Olive" in client.get(reverse("portal:home")).content.decode()


def test_patient_without_email_cannot_be_invited(client, coordinator, other_patient):
    other_patient.email = ""
    other_patient.save(update_fields=["email"])
    client.force_login(coordinator)

    response = client.post(
        reverse("patients:invite_to_portal", args=[other_patient.external_id]), follow=True
    )

    assert "Add the patient&#x27;s email address first." in response.content.decode()
    other_patient.refresh_from_db()
    assert other_patient.user_id is None
