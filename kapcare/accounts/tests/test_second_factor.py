"""Two-factor sign-in: setting up the authenticator app, the code after the password,
recovery codes, and the gate that keeps a session without its second factor off every page."""

import re

import django_otp
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts import second_factor
from tests.factories import PASSWORD
from tests.second_factor import (
    code_for,
    give_authenticator,
    sign_in_with_password_only,
    unused_code,
)

ENROL = reverse("second_factor:enrol")
CODE = reverse("second_factor:verify")
OVERVIEW = reverse("second_factor:overview")


def shown_key(html: str) -> str:
    return re.search(r'id="manual-key"[^>]*>([A-Z2-7 ]+)<', html).group(1).replace(" ", "")


def enrolled(client, user) -> tuple[TOTPDevice, list[str]]:
    """Set up the app through the page, as a person would; the device and recovery codes."""
    sign_in_with_password_only(client, user)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user)
    response = client.post(ENROL, {"code": code_for(device)})
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", response.content.decode())
    return TOTPDevice.objects.get(pk=device.pk), codes


def is_verified(client) -> bool:
    return django_otp.DEVICE_ID_SESSION_KEY in client.session


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- Enrolment -----------------------------------------------------------------------------


def test_the_set_up_page_shows_a_qr_code_and_the_key_to_type(client, clinician):
    sign_in_with_password_only(client, clinician)

    html = client.get(ENROL).content.decode()

    device = TOTPDevice.objects.get(user=clinician, confirmed=False)
    assert '<svg role="img" aria-labelledby="qr-caption"' in html
    assert shown_key(html) == second_factor.manual_key(device).replace(" ", "")
    assert "Confirm and turn on" in html


def test_reloading_the_set_up_page_keeps_the_same_key(client, clinician):
    sign_in_with_password_only(client, clinician)

    first = shown_key(client.get(ENROL).content.decode())
    second = shown_key(client.get(ENROL).content.decode())

    assert first == second
    assert TOTPDevice.objects.filter(user=clinician).count() == 1


def test_a_code_from_the_app_turns_it_on_and_shows_ten_recovery_codes(client, clinician):
    device, codes = enrolled(client, clinician)

    assert device.confirmed
    assert len(codes) == 10 == len(set(codes))
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=clinician).values_list("token", flat=True)
    )
    assert is_verified(client)
    assert client.get("/clinical/").status_code == 200


def test_the_recovery_codes_page_is_never_cached(client, clinician):
    sign_in_with_password_only(client, clinician)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=clinician)

    response = client.post(ENROL, {"code": code_for(device)})

    assert "no-store" in response["Cache-Control"]


def test_a_wrong_code_at_set_up_is_refused_at_the_field(client, clinician):
    sign_in_with_password_only(client, clinician)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=clinician)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    response = client.post(ENROL, {"code": wrong})

    assert response.status_code == 422
    assert "That code does not match" in response.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert not is_verified(client)


def test_someone_with_an_app_must_pass_it_before_replacing_it(client, clinician):
    give_authenticator(clinician)
    sign_in_with_password_only(client, clinician)

    response = client.get(ENROL)

    assert response["Location"].startswith(CODE)


def test_moving_to_a_new_phone_retires_the_old_app_and_codes(client, clinician):
    old, old_codes = enrolled(client, clinician)
    client.get(ENROL)
    new = TOTPDevice.objects.get(user=clinician, confirmed=False)

    response = client.post(ENROL, {"code": unused_code(new)})

    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert TOTPDevice.objects.get(user=clinician).pk == new.pk
    assert not StaticToken.objects.filter(token__in=old_codes).exists()


# --- The code after the password -------------------------------------------------------------


def test_the_apps_code_verifies_the_session_and_goes_on_to_the_page_asked_for(client, clinician):
    device = give_authenticator(clinician)
    sign_in_with_password_only(client, clinician)

    response = client.post(CODE, {"code": code_for(device), "next": "/patients/"})

    assert response["Location"] == "/patients/"
    assert is_verified(client)


def test_a_code_is_accepted_once(client, clinician):
    device = give_authenticator(clinician)
    code = code_for(device)
    sign_in_with_password_only(client, clinician)
    client.post(CODE, {"code": code})
    client.logout()
    sign_in_with_password_only(client, clinician)

    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=5), tick=False):
        response = client.post(CODE, {"code": code})

    assert response.status_code == 422
    assert not is_verified(client)


def test_an_outside_link_in_next_is_ignored(client, clinician):
    device = give_authenticator(clinician)
    sign_in_with_password_only(client, clinician)

    response = client.post(CODE, {"code": code_for(device), "next": "https://evil.example/"})

    assert response["Location"] == reverse("home")


def test_a_recovery_code_works_once(client, clinician):
    _, codes = enrolled(client, clinician)
    client.logout()
    sign_in_with_password_only(client, clinician)

    assert client.post(CODE, {"code": codes[0].upper()}).status_code == 302
    assert is_verified(client)
    client.logout()
    sign_in_with_password_only(client, clinician)
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=5), tick=False):
        response = client.post(CODE, {"code": codes[0]})

    assert response.status_code == 422
    assert StaticToken.objects.filter(device__user=clinician).count() == 9


def test_a_wrong_code_says_how_many_tries_are_left(client, clinician):
    give_authenticator(clinician)
    sign_in_with_password_only(client, clinician)

    response = client.post(CODE, {"code": "not-a-code"})

    assert response.status_code == 422
    assert "4 more tries before you are signed out" in response.content.decode()


def test_after_a_wrong_code_the_next_try_must_wait(client, clinician):
    device = give_authenticator(clinician)
    sign_in_with_password_only(client, clinician)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        client.post(CODE, {"code": "000000" if code_for(device) != "000000" else "111111"})
        too_soon = client.post(CODE, {"code": code_for(device)})
    with time_machine.travel(now + timezone.timedelta(seconds=3), tick=False):
        later = client.post(CODE, {"code": code_for(device)})

    assert too_soon.status_code == 422
    assert "Too many wrong codes" in too_soon.content.decode()
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 0
    assert later.status_code == 302


def test_five_wrong_codes_sign_the_session_out(client, clinician, settings):
    give_authenticator(clinician)
    sign_in_with_password_only(client, clinician)
    start = timezone.now()

    for attempt in range(5):
        # Each try after django-otp's growing wait (1, 2, 4, 8 s).
        with time_machine.travel(start + timezone.timedelta(seconds=20 * attempt), tick=False):
            response = client.post(CODE, {"code": "wrong code"})

    assert response["Location"] == reverse("accounts:login")
    assert not is_signed_in(client)


# --- Who must pass the second factor ---------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "clinician", "clinic_admin", "therapist"])
def test_staff_and_therapists_without_an_app_are_sent_to_set_one_up(client, request, role):
    user = request.getfixturevalue(role)
    sign_in_with_password_only(client, user)

    response = client.get(reverse("accounts:profile"))

    assert response["Location"] == f"{ENROL}?next=%2Faccounts%2Fprofile%2F"


def test_staff_with_an_app_are_asked_for_its_code_before_any_page(client, coordinator, patient):
    give_authenticator(coordinator)
    sign_in_with_password_only(client, coordinator)

    response = client.get(reverse("patients:chart", args=[patient.external_id]))

    assert response["Location"].startswith(f"{CODE}?next=")


def test_a_refused_htmx_request_is_told_where_to_go(client, coordinator):
    sign_in_with_password_only(client, coordinator)

    response = client.post("/patients/", {"query": "x"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 204
    assert response["HX-Redirect"] == ENROL


def test_signing_out_is_open_before_the_second_factor(client, coordinator):
    sign_in_with_password_only(client, coordinator)

    client.post(reverse("accounts:logout"))

    assert not is_signed_in(client)


def test_patients_need_no_second_factor_by_default(client, patient_user, patient):
    sign_in_with_password_only(client, patient_user)

    assert client.get(reverse("portal:home")).status_code == 200


def test_patients_need_one_when_their_clinic_asks(client, clinic, patient_user, patient):
    clinic.patients_need_second_factor = True
    clinic.save(update_fields=["patients_need_second_factor"])
    sign_in_with_password_only(client, patient_user)

    response = client.get(reverse("portal:home"))

    assert response["Location"].startswith(ENROL)


def test_the_clinic_admin_turns_it_on_for_patients_in_the_settings(client, clinic, clinic_admin):
    from kapcare.clinics.forms import ClinicSettingsForm

    client.force_login(clinic_admin)
    data = {
        name: value
        for name, value in ClinicSettingsForm(instance=clinic).initial.items()
        if value is not None and value is not False
    }
    data["patients_need_second_factor"] = "on"

    response = client.post(reverse("clinics:settings"), data)

    assert response.status_code == 302, response.context["form"].errors
    clinic.refresh_from_db()
    assert clinic.patients_need_second_factor


def test_a_verified_session_costs_no_query_for_the_check(
    client, coordinator, django_assert_num_queries
):
    from django.test import RequestFactory

    from kapcare.accounts.second_factor_middleware import SecondFactorMiddleware

    client.force_login(coordinator)
    request = RequestFactory().get("/desk/")
    request.user = coordinator
    request.session = client.session
    assert request.session.keys()  # already read by the authentication middleware
    middleware = SecondFactorMiddleware(lambda request: "the page")

    with django_assert_num_queries(0):
        assert middleware(request) == "the page"


# --- The person's overview and new recovery codes ---------------------------------------------


def test_new_recovery_codes_need_the_current_code_and_retire_the_old_ones(client, clinician):
    device, old_codes = enrolled(client, clinician)
    later = timezone.now() + timezone.timedelta(seconds=31)
    with time_machine.travel(later, tick=False):
        refused = client.post(
            reverse("second_factor:new_recovery_codes"),
            {"reauthentication": PASSWORD, "reauthentication_code": "123"},
        )
    with time_machine.travel(later + timezone.timedelta(seconds=2), tick=False):
        response = client.post(
            reverse("second_factor:new_recovery_codes"),
            {"reauthentication": PASSWORD, "reauthentication_code": unused_code(device)},
        )

    new_codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", response.content.decode())
    assert refused.status_code == 422
    assert len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)
    assert set(
        StaticToken.objects.filter(device__user=clinician).values_list("token", flat=True)
    ) == set(new_codes)


def test_the_overview_counts_the_recovery_codes_left(client, clinician):
    _, codes = enrolled(client, clinician)
    client.logout()
    sign_in_with_password_only(client, clinician)
    client.post(CODE, {"code": codes[3]})

    assert "9 of 10" in client.get(OVERVIEW).content.decode()
