"""API tokens expire, and stop working when their owner's password changes (on the page or
by a reset link) or the account is deactivated; the owner sees why on the profile page."""

import datetime as dt
import re

import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import ApiToken, RevokedReason
from kapcare.words import clock
from tests.factories import PASSWORD

ME = "/api/v1/me"
PROFILE = reverse("accounts:profile")
NEW_PASSWORD = "a new and much longer passphrase"


def api_status(client, token) -> int:
    return client.get(ME, headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_expires_after_the_configured_lifetime(coordinator):
    with time_machine.travel(timezone.now(), tick=False):
        record, _ = ApiToken.issue(coordinator, "EHR sync")

    assert record.expires_at - record.created_at == dt.timedelta(days=90)


def test_the_lifetime_is_a_setting(coordinator, settings):
    settings.API_TOKEN_LIFETIME_DAYS = 7

    record, _ = ApiToken.issue(coordinator, "EHR sync")

    assert record.expires_at.date() == (timezone.now() + dt.timedelta(days=7)).date()


def test_an_expired_token_answers_401(client, coordinator):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _, token = ApiToken.issue(coordinator, "EHR sync")
        traveller.shift(dt.timedelta(days=89, hours=23))
        assert api_status(client, token) == 200

        traveller.shift(dt.timedelta(hours=2))
        response = client.get(ME, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_changing_the_password_on_the_page_revokes_every_token(client, coordinator):
    _, first = ApiToken.issue(coordinator, "EHR sync")
    _, second = ApiToken.issue(coordinator, "Report script")
    client.force_login(coordinator)

    client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert api_status(client, first) == api_status(client, second) == 401
    reasons = set(ApiToken.objects.values_list("revoked_reason", flat=True))
    assert reasons == {RevokedReason.PASSWORD_CHANGED}


def test_a_password_reset_revokes_every_token(
    client, clinician, django_capture_on_commit_callbacks
):
    _, token = ApiToken.issue(clinician, "EHR sync")
    with django_capture_on_commit_callbacks(execute=True):  # the email goes out by a task
        client.post(reverse("accounts:password_reset"), {"email": clinician.email})
    link = re.search(r"https?://\S+?(/accounts/password-reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]

    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert api_status(client, token) == 401


def test_asking_for_a_reset_alone_does_not_revoke_tokens(client, clinician):
    _, token = ApiToken.issue(clinician, "EHR sync")

    client.post(reverse("accounts:password_reset"), {"email": clinician.email})

    assert api_status(client, token) == 200


def test_deactivation_revokes_tokens_and_reactivation_does_not_bring_them_back(
    client, clinic_admin, clinician
):
    _, token = ApiToken.issue(clinician, "EHR sync")
    client.force_login(clinic_admin)
    url = reverse("people:set_active", args=[clinician.external_id])

    client.post(url, {"active": "0"})
    client.post(url, {"active": "1"})

    assert api_status(client, token) == 401
    assert ApiToken.objects.get().revoked_reason == RevokedReason.DEACTIVATED


def test_saving_other_fields_leaves_tokens_alone(client, coordinator):
    _, token = ApiToken.issue(coordinator, "EHR sync")
    coordinator.full_name = "Cora C. Coordinator"

    coordinator.save(update_fields=["full_name"])

    assert api_status(client, token) == 200


def test_profile_lists_each_token_with_its_expiry_and_why_it_stopped(client, coordinator):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        old, _ = ApiToken.issue(coordinator, "Old laptop")
        traveller.shift(dt.timedelta(days=91))
        live, _ = ApiToken.issue(coordinator, "EHR sync")
        gone, _ = ApiToken.issue(coordinator, "Report script")
        gone.revoke()
        client.force_login(coordinator)

        response = client.get(PROFILE)

    rows = {
        name: row
        for row in re.findall(r"<tr>(.*?)</tr>", response.text, re.S)
        for name in ("Old laptop", "EHR sync", "Report script")
        if f"<td>{name}</td>" in row
    }
    assert "Expired" in rows["Old laptop"]
    assert reverse("accounts:revoke_token", args=[old.external_id]) not in rows["Old laptop"]
    assert "Active" in rows["EHR sync"]
    expires = timezone.localtime(live.expires_at, coordinator.clinic.zone)
    assert f"{expires:%Y-%m-%d}, {clock(expires)}" in rows["EHR sync"]
    assert reverse("accounts:revoke_token", args=[live.external_id]) in rows["EHR sync"]
    assert "revoked by you" in rows["Report script"]
