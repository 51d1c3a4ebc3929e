"""Every text the directory's forms take fits its column: too long is refused at the field
with the limit in words, never a database error (PostgreSQL enforces the length; SQLite
does not, so run these on PostgreSQL too: `DATABASE_URL=postgres://… pytest`)."""

import pytest
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse

from kapcare.accounts.models import User
from kapcare.therapists.forms import DirectoryEntryForm
from kapcare.therapists.invitation_forms import AcceptInvitationForm, OwnProfileForm
from kapcare.therapists.models import TherapistProfile
from kapcare.therapists.tests.directory_factories import add_therapist
from kapcare.therapists.tests.test_invitations_fixtures import (
    accept_form,
    invite,
    link_in_last_email,
)

LONG_WEBSITE = "https://reyes-therapy.example/" + "about-us/" * 25  # 255 characters
TOO_LONG_WEBSITE = "Enter at most 200 characters (this has 255). Enter the practice’s home page."


def column(name: str):
    for model in (TherapistProfile, User):
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    raise AssertionError(f"No column for the form field {name}")


@pytest.mark.parametrize("form_class", [DirectoryEntryForm, OwnProfileForm, AcceptInvitationForm])
def test_every_text_field_of_the_entry_forms_is_no_longer_than_its_column(form_class):
    for name, field in form_class.base_fields.items():
        if not isinstance(field, forms.CharField) or name.startswith("password"):
            continue
        assert field.max_length == column(name).max_length, name


def test_the_website_is_as_long_as_the_models_and_the_limit_is_said_in_words():
    assert len(LONG_WEBSITE) == 255
    form = DirectoryEntryForm(
        {"full_name": "Rowan Reyes", "email": "rowan@x.example", "website": LONG_WEBSITE}
    )

    assert form.errors["website"] == [TOO_LONG_WEBSITE.replace("’", "'")]


def test_adding_an_entry_with_a_too_long_website_is_refused_at_the_field(client, coordinator):
    client.force_login(coordinator)

    response = client.post(
        reverse("therapists:create"),
        {"full_name": "Rowan Reyes", "email": "rowan@x.example", "website": LONG_WEBSITE},
    )

    assert response.status_code == 200
    assert "website" in response.context["form"].errors
    assert LONG_WEBSITE in response.content.decode()  # what was typed is kept
    assert not TherapistProfile.objects.exists()


def test_changing_an_entry_with_a_too_long_practice_name_is_refused_at_the_field(
    client, coordinator
):
    profile = add_therapist(coordinator)
    client.force_login(coordinator)

    response = client.post(
        reverse("therapists:edit", args=[profile.external_id]),
        {"full_name": "Tess Therapist", "practice_name": "P" * 201},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["practice_name"] == [
        "Enter at most 200 characters (this has 201)."
    ]
    assert TherapistProfile.objects.get().practice_name == ""


def test_the_therapist_keeping_their_entry_is_told_the_website_is_too_long(client, coordinator):
    profile = add_therapist(coordinator)
    profile.user.set_password("seven swans a-swimming")
    profile.user.save()
    client.force_login(profile.user)
    form = accept_form(profile, website=LONG_WEBSITE)
    del form["password"], form["password_again"]

    response = client.post(reverse("therapist_account:own_profile"), form)

    assert response.status_code == 200
    assert "website" in response.context["form"].errors
    assert TherapistProfile.objects.get().website == ""


def test_accepting_an_invitation_with_a_too_long_licence_number_sets_no_password(
    client, coordinator, django_capture_on_commit_callbacks
):
    profile = add_therapist(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        invite(profile, coordinator)

    response = client.post(link_in_last_email(), accept_form(profile, licence_number="L" * 41))

    assert response.status_code == 200
    assert response.context["form"].errors["licence_number"] == [
        "Enter at most 40 characters (this has 41)."
    ]
    assert not User.objects.get(pk=profile.user_id).has_usable_password()
