"""The page an invitation link opens: the therapist confirms their entry, sets a password
and is signed in; the link works once, expires, and gives way to a newer one."""

import datetime as dt

import time_machine
from django.contrib.auth import get_user
from django.core import mail
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import User
from kapcare.therapists.models import TherapistInvitation, TherapistProfile
from kapcare.therapists.tests.directory_factories import JPEG, add_therapist, certificate, verify
from kapcare.therapists.tests.test_invitations_fixtures import (
    PASSWORD,
    accept_form,
    invite,
    link_in_last_email,
)


def invited(coordinator, django_capture_on_commit_callbacks, **data):
    """A directory entry invited by `coordinator`, and the path its email links to."""
    profile = add_therapist(coordinator, **data)
    with django_capture_on_commit_callbacks(execute=True):
        invite(profile, coordinator)
    return profile, link_in_last_email()


def can_sign_in(client, email, password=PASSWORD) -> bool:
    return client.login(request=HttpRequest(), username=email, password=password)


def test_the_link_shows_the_entry_to_confirm(
    client, coordinator, django_capture_on_commit_callbacks
):
    _, link = invited(coordinator, django_capture_on_commit_callbacks)

    response = client.get(link)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Join Music City Ketamine’s directory of therapists" in page
    assert 'value="LMFT-1234"' in page
    assert "tess@practice.example" in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_accepting_sets_the_password_signs_in_and_leads_to_the_therapist_home(
    client, coordinator, django_capture_on_commit_callbacks
):
    profile, link = invited(coordinator, django_capture_on_commit_callbacks)

    response = client.post(link, accept_form(profile, phone="615-555-0199"))

    assert response["Location"] == reverse("therapist_home")
    assert get_user(client).pk == profile.user_id
    profile.refresh_from_db()
    assert profile.invitation_accepted_at is not None
    assert profile.phone == "615-555-0199"
    assert profile.user.check_password(PASSWORD)
    assert TherapistInvitation.objects.get().accepted_at is not None


def test_before_accepting_the_therapist_cannot_sign_in_nor_get_a_reset_email_and_after_they_can(
    client, coordinator, django_capture_on_commit_callbacks
):
    profile, link = invited(coordinator, django_capture_on_commit_callbacks)
    sent = len(mail.outbox)

    assert not can_sign_in(client, profile.user.email)
    client.post(reverse("accounts:password_reset"), {"email": profile.user.email})
    assert len(mail.outbox) == sent  # Django skips accounts without a usable password

    client.post(link, accept_form(profile))
    client.logout()
    assert can_sign_in(client, profile.user.email)


def test_the_link_works_once_and_a_second_post_changes_nothing(
    client, coordinator, django_capture_on_commit_callbacks
):
    profile, link = invited(coordinator, django_capture_on_commit_callbacks)
    client.post(link, accept_form(profile))
    client.logout()

    response = client.post(
        link, accept_form(profile, password="another long passphrase", city="Memphis")
    )

    assert response.status_code == 410
    assert "This invitation has already been used" in response.content.decode()
    profile.refresh_from_db()
    assert profile.city == "Nashville"
    assert profile.user.check_password(PASSWORD)
    assert not get_user(client).is_authenticated


def test_an_expired_link_tells_the_therapist_whom_to_ask(
    client, clinic, coordinator, django_capture_on_commit_callbacks
):
    profile, link = invited(coordinator, django_capture_on_commit_callbacks)

    with time_machine.travel(timezone.now() + dt.timedelta(days=15)):
        response = client.post(link, accept_form(profile))

    page = response.content.decode()
    assert response.status_code == 410
    assert "This invitation has expired" in page
    assert clinic.phone in page
    assert clinic.email in page
    assert not User.objects.get(pk=profile.user_id).has_usable_password()


def test_a_link_replaced_by_a_newer_invitation_no_longer_works(
    client, coordinator, django_capture_on_commit_callbacks
):
    profile, old_link = invited(coordinator, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        invite(profile, coordinator)
    new_link = link_in_last_email()

    old = client.get(old_link)
    new = client.get(new_link)

    assert old.status_code == 410
    assert "This invitation has been replaced" in old.content.decode()
    assert new.status_code == 200


def test_an_unknown_link_is_not_found(client, coordinator, django_capture_on_commit_callbacks):
    invited(coordinator, django_capture_on_commit_callbacks)

    response = client.get(reverse("therapist_account:accept", args=["no-such-token"]))

    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()


def test_a_weak_password_is_refused_at_the_field_keeping_what_was_typed(
    client, coordinator, django_capture_on_commit_callbacks
):
    profile, link = invited(coordinator, django_capture_on_commit_callbacks)

    response = client.post(
        link, accept_form(profile, password="short", practice_name="Riverbend Counselling")
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["password"]
    assert "too short" in errors["password"][0]
    assert 'value="Riverbend Counselling"' in response.content.decode()
    profile.refresh_from_db()
    assert (profile.practice_name, profile.invitation_accepted_at) == ("", None)
    assert not profile.user.has_usable_password()


def test_two_different_passwords_are_refused_at_the_second(
    client, coordinator, django_capture_on_commit_callbacks
):
    profile, link = invited(coordinator, django_capture_on_commit_callbacks)

    response = client.post(link, accept_form(profile, again="seven swans a-swimmin"))

    assert list(response.context["form"].errors) == ["password_again"]
    assert TherapistInvitation.objects.get().accepted_at is None


def test_changing_a_verified_licence_clears_its_verification_and_says_so(
    client, coordinator, django_capture_on_commit_callbacks
):
    profile, link = invited(coordinator, django_capture_on_commit_callbacks)
    verify(profile, coordinator)

    response = client.post(link, accept_form(profile, licence_number="LMFT-9999"), follow=True)

    profile.refresh_from_db()
    assert profile.licence_verified_at is None
    assert profile.training_verified_at is not None
    assert "You changed your Licence: Music City Ketamine will verify it again" in (
        response.content.decode()
    )


def test_confirming_without_changes_keeps_the_verifications(
    client, coordinator, django_capture_on_commit_callbacks
):
    profile, link = invited(coordinator, django_capture_on_commit_callbacks)
    verify(profile, coordinator)

    client.post(link, accept_form(profile))

    profile.refresh_from_db()
    assert profile.licence_verified_at is not None
    assert profile.training_verified_at is not None


def test_the_certificate_sent_on_accepting_is_kept(
    client, coordinator, django_capture_on_commit_callbacks
):
    profile, link = invited(coordinator, django_capture_on_commit_callbacks)

    client.post(link, {**accept_form(profile), "training_certificate": certificate(JPEG, "c.jpg")})

    assert TherapistProfile.objects.get().training_certificate.name.endswith(".jpg")
