"""Signing in by email, lockout, idle logout and password reset."""

import re

import time_machine
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD
from tests.second_factor import give_authenticator, unused_code

LOGIN = "/accounts/login/"
CODE = "/accounts/two-factor/code/"


def sign_in(client, email, password=PASSWORD):
    return client.post(LOGIN, {"username": email, "password": password})


def sign_in_with_code(client, user):
    """The password page, then the code from the authenticator app."""
    device = give_authenticator(user)
    sign_in(client, user.email)
    return client.post(CODE, {"code": unused_code(device)})


def test_staff_sign_in_by_email_and_land_on_their_home(client, clinician):
    device = give_authenticator(clinician)
    response = sign_in(client, "CAL@example.org")

    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == f"{CODE}?next=%2Fhome%2F"
    response = client.post(f"{CODE}?next=%2Fhome%2F", {"code": unused_code(device)})
    assert response["Location"] == "/home/"
    assert client.get(response["Location"])["Location"] == "/clinical/"


def test_wrong_password_gets_a_plain_message_and_keeps_the_email(client, clinician):
    response = sign_in(client, clinician.email, "wrong")

    html = response.content.decode()
    assert response.status_code == 200
    assert "do not match an account" in html
    assert f'value="{clinician.email}"' in html


def test_passwords_are_hashed_with_argon2_in_production():
    from kapcare import settings

    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_five_failures_lock_the_account_even_with_the_right_password(client, coordinator):
    for _ in range(5):
        sign_in(client, coordinator.email, "wrong-password")

    response = sign_in(client, coordinator.email)

    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_ends_after_the_cool_off(client, coordinator):
    with time_machine.travel("2026-11-26 10:00Z", tick=False) as traveller:
        for _ in range(5):
            sign_in(client, coordinator.email, "wrong-password")
        traveller.move_to("2026-11-26 10:16Z")

        response = sign_in(client, coordinator.email)

    assert response.status_code == 302


def test_staff_are_signed_out_after_15_idle_minutes(client, coordinator):
    with time_machine.travel("2026-11-26 10:00Z", tick=False) as traveller:
        sign_in_with_code(client, coordinator)
        traveller.move_to("2026-11-26 10:14Z")
        assert client.get("/desk/").status_code == 200
        traveller.move_to("2026-11-26 10:29:30Z")

        response = client.get("/desk/")

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_outside_therapists_are_signed_out_after_15_idle_minutes(client, therapist):
    with time_machine.travel("2026-11-26 10:00Z", tick=False) as traveller:
        sign_in(client, therapist.email)
        traveller.move_to("2026-11-26 10:16Z")

        response = client.get("/therapist/")

    assert response["Location"] == LOGIN


def test_patients_have_a_longer_idle_allowance(client, patient_user, patient):
    with time_machine.travel("2026-11-26 10:00Z", tick=False) as traveller:
        sign_in(client, patient_user.email)
        traveller.move_to("2026-11-26 10:30Z")

        response = client.get("/portal/")

    assert response.status_code == 200


def test_idle_htmx_request_is_told_to_go_to_sign_in(client, coordinator):
    with time_machine.travel("2026-11-26 10:00Z", tick=False) as traveller:
        sign_in(client, coordinator.email)
        traveller.move_to("2026-11-26 10:20Z")

        response = client.post("/patients/", {"query": "x"}, HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"] == LOGIN


def test_password_reset_by_email_lets_the_user_sign_in_with_the_new_password(
    client, clinician, django_capture_on_commit_callbacks
):
    # The email is queued in the request and sent by a task once the request commits.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": clinician.email})

    assert len(mail.outbox) == 1
    assert clinician.email in mail.outbox[0].to
    link = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    new_password = "a brand new long passphrase"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302

    assert sign_in(client, clinician.email, new_password).status_code == 302


def test_password_reset_does_not_reveal_whether_an_account_exists(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert len(mail.outbox) == 0


def test_sign_out_is_a_post(client, coordinator):
    client.force_login(coordinator)

    client.post(reverse("accounts:logout"))

    assert "_auth_user_id" not in client.session
