"""The password-change page: every signed-in user, linked from the profile, keeps the
session it was used in."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

CHANGE = reverse("accounts:password_change")
PROFILE = reverse("accounts:profile")
NEW_PASSWORD = "a new and much longer passphrase"


def change(client, old=PASSWORD, new=NEW_PASSWORD, again=None):
    data = {"old_password": old, "new_password1": new, "new_password2": again or new}
    return client.post(CHANGE, data)


@pytest.mark.parametrize(
    "persona", ["coordinator", "clinician", "clinic_admin", "therapist", "patient_user"]
)
def test_every_signed_in_user_reaches_the_page_from_their_profile(client, persona, request):
    client.force_login(request.getfixturevalue(persona))

    assert f'href="{CHANGE}"' in client.get(PROFILE).text
    response = client.get(CHANGE)

    assert response.status_code == 200
    assert 'name="old_password"' in response.text


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get(CHANGE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_changing_the_password_keeps_this_session_and_the_new_one_signs_in(
    client, coordinator, django_user_model
):
    client.force_login(coordinator)

    response = change(client)

    assert response.status_code == 302
    assert response["Location"] == PROFILE
    assert "Your password is changed" in client.get(PROFILE).text
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert django_user_model.objects.get(pk=coordinator.pk).check_password(NEW_PASSWORD)


def test_other_sessions_are_signed_out(client, coordinator, django_user_model):
    from django.test import Client

    other = Client()
    other.force_login(coordinator)
    client.force_login(coordinator)

    change(client)

    assert other.get(PROFILE).status_code == 302


def test_a_wrong_current_password_is_said_at_its_field_and_nothing_changes(
    client, coordinator, django_user_model
):
    client.force_login(coordinator)

    response = change(client, old="not my password")

    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    assert django_user_model.objects.get(pk=coordinator.pk).check_password(PASSWORD)


def test_a_weak_new_password_is_refused_at_its_field(client, coordinator):
    client.force_login(coordinator)

    response = change(client, new="short")

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
