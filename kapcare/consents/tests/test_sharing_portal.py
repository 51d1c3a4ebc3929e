"""The patient's sharing pages in the portal: the list with each authorisation's status, the
two-step "Authorise a therapist" (details, then the exact text to read and sign), and
revoking."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents import services
from kapcare.consents.models import DocumentKind, SharingAuthorization, SigningMethod, sha256_hex
from kapcare.scopes import Scope
from tests.factories import PatientFactory, UserFactory, authorize

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def portal_new() -> str:
    return reverse("sharing:portal_authorize")


def details(clinic, **changes) -> dict:
    """Step 1 as the form posts it: Theo, measures and safety alerts, for 90 days."""
    today = services.clinic_today(clinic)
    data = {
        "step": "details",
        "therapist_name": "Theo Therapist",
        "therapist_email": "theo@example.org",
        "scopes": [Scope.MEASURES, Scope.SAFETY_ALERTS],
        "expires_on": (today + dt.timedelta(days=90)).isoformat(),
        "purpose": services.DEFAULT_PURPOSE,
    }
    data.update(changes)
    return data


def sign(client, url, data, *, typed_name="Pat Patient", agreed=True, **changes):
    """Post the details, read the hash of the text step 2 showed, and sign it."""
    shown = client.post(url, data)
    signing = {**data, "step": "sign", "text_sha256": shown.context["text_sha256"]}
    signing["typed_name"] = typed_name
    if agreed:
        signing["agreed"] = "on"
    signing.update(changes)
    return client.post(url, signing)


@pytest.fixture
def signed_in(client, patient_user, patient):
    client.force_login(patient_user)
    return client


# --- Step 1 -------------------------------------------------------------------------------


def test_step_one_offers_each_scope_separately_with_the_policys_words(signed_in):
    response = signed_in.get(portal_new())

    content = response.content.decode()
    assert response.status_code == 200
    for scope in Scope:
        assert f'value="{scope.value}"' in content
        assert scope.label in content
    assert content.count('type="checkbox" name="scopes"') == 4


def test_step_one_defaults_to_the_clinics_length_from_the_clinics_today(signed_in, clinic):
    # 03:00 UTC on March 2 is still March 1 in Chicago.
    with time_machine.travel(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        response = signed_in.get(portal_new())

    form = response.context["form"]
    assert form["expires_on"].value() == dt.date(2027, 2, 28)
    assert form["purpose"].value() == services.DEFAULT_PURPOSE


def test_step_one_follows_the_clinics_setting(signed_in, clinic):
    clinic.sharing_authorization_months = 6
    clinic.save(update_fields=["sharing_authorization_months"])

    with time_machine.travel(dt.datetime(2026, 3, 2, 15, 0, tzinfo=CHICAGO), tick=False):
        response = signed_in.get(portal_new())

    assert response.context["form"]["expires_on"].value() == dt.date(2026, 9, 1)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"scopes": []}, "scopes", "Choose at least one part of the record to share."),
        ({"therapist_email": "theo"}, "therapist_email", "Enter the therapist's email address"),
        ({"therapist_name": "  "}, "therapist_name", "Enter the therapist's name."),
        ({"expires_on": "2020-01-01"}, "expires_on", "The expiry date must be after today."),
        ({"expires_on": "2199-01-01"}, "expires_on", "can last at most 12 months"),
        ({"expires_on": "next year"}, "expires_on", "Enter a date"),
        ({"scopes": ["measures", "diary"]}, "scopes", "Choose from the parts listed."),
    ],
)
def test_step_one_problems_are_shown_at_their_field_and_nothing_is_lost(
    signed_in, clinic, changes, field, message
):
    data = details(clinic, **{"therapist_name": "Dr. Theodora Marsh", **changes})

    response = signed_in.post(portal_new(), data)

    assert response.status_code == 200
    assert response.context["step"] == "details"
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    content = response.content.decode()
    assert services.DEFAULT_PURPOSE in content
    assert f'value="{data["therapist_email"]}"' in content
    if field != "therapist_name":
        assert 'value="Dr. Theodora Marsh"' in content
    assert not SharingAuthorization.objects.exists()


def test_an_email_that_belongs_to_clinic_staff_is_refused_at_step_one(
    signed_in, clinic, coordinator
):
    response = signed_in.post(portal_new(), details(clinic, therapist_email=coordinator.email))

    assert response.context["step"] == "details"
    assert "not a therapist's" in response.context["form"].errors["therapist_email"][0]


# --- Step 2 -------------------------------------------------------------------------------


def test_valid_details_show_the_exact_text_to_sign_and_its_hash(signed_in, clinic, patient):
    data = details(clinic)

    response = signed_in.post(portal_new(), data)

    assert response.context["step"] == "sign"
    request = response.context["form"].authorization_input()
    expected = services.text_to_sign(
        services.current_version(clinic, DocumentKind.SHARING),
        patient,
        **services.authorization_particulars(patient, request),
    )
    assert response.context["text_sha256"] == sha256_hex(expected)
    content = response.content.decode()
    assert "<strong>With whom:</strong> Theo Therapist (theo@example.org)" in content
    assert f"<li>{Scope.MEASURES.label}</li>" in content
    assert f"<li>{Scope.SCHEDULE.label}</li>" not in content
    assert f'name="text_sha256" value="{sha256_hex(expected)}"' in content


def test_step_two_carries_every_detail_in_hidden_fields(signed_in, clinic):
    data = details(clinic, purpose="To plan integration sessions.")

    content = signed_in.post(portal_new(), data).content.decode()

    for name, value in [
        ("therapist_name", "Theo Therapist"),
        ("therapist_email", "theo@example.org"),
        ("scopes", "measures"),
        ("scopes", "safety_alerts"),
        ("expires_on", data["expires_on"]),
        ("purpose", "To plan integration sessions."),
    ]:
        assert f'<input type="hidden" name="{name}" value="{value}">' in content


def test_change_details_returns_to_step_one_with_the_values_kept(signed_in, clinic):
    data = details(clinic, therapist_name="Dr. Marsh", therapist_email="marsh@practice.example")

    response = signed_in.post(portal_new(), {**data, "step": "sign", "change": "1"})

    assert response.context["step"] == "details"
    form = response.context["form"]
    assert not form.errors
    assert form["therapist_name"].value() == "Dr. Marsh"
    assert form["scopes"].value() == ["measures", "safety_alerts"]
    assert form["expires_on"].value() == data["expires_on"]
    assert not SharingAuthorization.objects.exists()


def test_markup_typed_into_the_details_is_shown_as_text(signed_in, clinic):
    data = details(clinic, therapist_name="<script>alert(1)</script> **Theo**")

    content = signed_in.post(portal_new(), data).content.decode()

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_signing_records_the_authorisation_signed_in_the_portal(
    signed_in, clinic, patient, patient_user, therapist
):
    response = sign(signed_in, portal_new(), details(clinic))

    assert response.status_code == 302
    assert response["Location"] == reverse("sharing:portal_list")
    authorization = SharingAuthorization.objects.get()
    assert authorization.therapist_id == therapist.pk
    assert authorization.scopes == [Scope.MEASURES, Scope.SAFETY_ALERTS]
    assert authorization.purpose == services.DEFAULT_PURPOSE
    signature = authorization.signature
    assert signature.method == SigningMethod.PORTAL
    assert (signature.signed_by_id, signature.witnessed_by_id) == (patient_user.pk, None)
    assert signature.typed_name == "Pat Patient"
    assert signature.hash_matches
    assert "Theo Therapist" in signature.signed_text


def test_signing_says_so_on_the_list(signed_in, clinic):
    sign(signed_in, portal_new(), details(clinic))

    content = signed_in.get(reverse("sharing:portal_list")).content.decode()
    assert "Signed. Theo Therapist can now see what you chose" in content


def test_signing_logs_the_signature_and_the_authorisation(signed_in, clinic, patient):
    sign(signed_in, portal_new(), details(clinic))

    created = set(
        AccessLogEntry.objects.filter(patient=patient, action=AccessAction.CREATE).values_list(
            "object_type", flat=True
        )
    )
    assert created == {"signature", "sharingauthorization"}


@pytest.mark.parametrize(
    ("signing", "field", "message"),
    [
        ({"typed_name": "Pat"}, "typed_name", "Type your full name as it is on your record"),
        ({"typed_name": ""}, "typed_name", "Type your full name to sign."),
        ({"agreed": False}, "agreed", "Tick the box"),
    ],
)
def test_signature_problems_are_shown_at_their_field_with_the_details_kept(
    signed_in, clinic, signing, field, message
):
    data = details(clinic, purpose="To plan integration sessions.")

    response = sign(signed_in, portal_new(), data, **signing)

    assert response.status_code == 200
    assert response.context["step"] == "sign"
    assert message in " ".join(response.context["signature_form"].errors[field])
    content = response.content.decode()
    assert '<input type="hidden" name="purpose" value="To plan integration sessions.">' in content
    assert not SharingAuthorization.objects.exists()


def test_typed_name_is_kept_when_the_box_was_not_ticked(signed_in, clinic):
    response = sign(signed_in, portal_new(), details(clinic), agreed=False)

    assert 'value="Pat Patient"' in response.content.decode()


def test_details_changed_after_reading_are_not_signed(signed_in, clinic):
    """The hash was of the text for measures and alerts; the post now asks for the
    schedule too, so the text it would sign is not the one read."""
    response = sign(
        signed_in, portal_new(), details(clinic), scopes=["measures", "safety_alerts", "schedule"]
    )

    assert response.context["step"] == "sign"
    assert "changed while you were reading" in str(response.context["signature_form"].errors)
    assert f"<li>{Scope.SCHEDULE.label}</li>" in response.content.decode()
    assert not SharingAuthorization.objects.exists()


def test_an_account_made_meanwhile_for_the_email_sends_the_patient_back_to_step_one(
    signed_in, clinic
):
    data = details(clinic, therapist_email="new@practice.example")
    shown = signed_in.post(portal_new(), data)
    UserFactory(email="new@practice.example", role=Role.PATIENT)

    response = signed_in.post(
        portal_new(),
        {
            **data,
            "step": "sign",
            "text_sha256": shown.context["text_sha256"],
            "typed_name": "Pat Patient",
            "agreed": "on",
        },
    )

    assert response.context["step"] == "details"
    assert "not a therapist's" in response.context["form"].errors["therapist_email"][0]


# --- The list -----------------------------------------------------------------------------


def test_list_shows_each_authorisation_with_its_status_in_words(
    signed_in, clinic, patient, patient_user, therapist
):
    today = services.clinic_today(clinic)
    authorize(patient, therapist, scopes=[Scope.MEASURES], expires_on=today + dt.timedelta(days=1))
    revoked = authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    services.revoke_authorization(
        actor=services.Actor(user=patient_user, ip_address=None), authorization=revoked
    )
    authorize(patient, therapist, scopes=[Scope.SAFETY_ALERTS])

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=3)):
        signed_in.force_login(patient_user)
        response = signed_in.get(reverse("sharing:portal_list"))

    statuses = [row.status for row in response.context["rows"]]
    assert statuses == ["active", "revoked", "expired"]
    content = response.content.decode()
    for words in ("✓ Active", "✕ Revoked", "Expired", "by you"):
        assert words in content
    assert content.count(">Revoke<") == 1  # only the one in force


def test_list_says_when_nothing_is_shared(signed_in):
    response = signed_in.get(reverse("sharing:portal_list"))

    assert "You have not authorised the clinic to share anything" in response.content.decode()


def test_list_logs_the_view_of_the_patients_record(signed_in, patient, patient_user):
    signed_in.get(reverse("sharing:portal_list"))

    entry = AccessLogEntry.objects.filter(patient=patient).latest("id")
    assert (entry.action, entry.actor_id) == (AccessAction.VIEW, patient_user.pk)


def test_list_runs_the_same_queries_for_one_authorisation_or_many(
    signed_in, patient, therapist, coordinator, django_assert_max_num_queries
):
    authorize(patient, therapist, by=coordinator)
    signed_in.get(reverse("sharing:portal_list"))
    with django_assert_max_num_queries(12) as one:
        signed_in.get(reverse("sharing:portal_list"))
    baseline = len(one)
    for _ in range(4):
        authorize(patient, therapist, by=coordinator)

    with django_assert_max_num_queries(baseline):
        response = signed_in.get(reverse("sharing:portal_list"))

    assert len(response.context["rows"]) == 5


# --- Revoking -----------------------------------------------------------------------------


@pytest.fixture
def authorization(patient, therapist):
    return authorize(patient, therapist, scopes=[Scope.MEASURES])


def revoke_url(authorization) -> str:
    return reverse("sharing:portal_revoke", args=[authorization.external_id])


def test_revoke_asks_to_confirm_first(signed_in, authorization):
    response = signed_in.get(revoke_url(authorization))

    assert response.status_code == 200
    assert "Revoke your authorisation for Theo Therapist" in response.content.decode()
    authorization.refresh_from_db()
    assert authorization.revoked_at is None


def test_revoking_ends_it_at_once_with_the_reason_and_says_so(
    signed_in, authorization, patient_user
):
    response = signed_in.post(
        revoke_url(authorization), {"reason": "I changed therapist."}, follow=True
    )

    assert "Revoked. Theo Therapist can no longer see your record." in response.content.decode()
    authorization.refresh_from_db()
    assert authorization.revoked_at is not None
    assert authorization.revoked_by_id == patient_user.pk
    assert authorization.revocation_reason == "I changed therapist."


def test_revoking_is_logged_as_a_change(signed_in, authorization, patient):
    signed_in.post(revoke_url(authorization), {"reason": ""})

    assert AccessLogEntry.objects.filter(
        patient=patient, action=AccessAction.UPDATE, object_type="sharingauthorization"
    ).exists()


def test_a_revoked_authorisation_cannot_be_revoked_again(signed_in, authorization):
    signed_in.post(revoke_url(authorization), {"reason": "first"})
    authorization.refresh_from_db()
    first = authorization.revoked_at

    page = signed_in.get(revoke_url(authorization))
    signed_in.post(revoke_url(authorization), {"reason": "second"})

    assert "no longer in force" in page.content.decode()
    authorization.refresh_from_db()
    assert (authorization.revoked_at, authorization.revocation_reason) == (first, "first")


def test_a_patient_cannot_revoke_another_patients_authorisation(
    client, clinic, therapist, authorization
):
    someone = UserFactory(role=Role.PATIENT, clinic=clinic)
    PatientFactory(clinic=clinic, user=someone)
    client.force_login(someone)

    assert client.get(revoke_url(authorization)).status_code == 404
    assert client.post(revoke_url(authorization)).status_code == 404
    authorization.refresh_from_db()
    assert authorization.revoked_at is None


def test_an_unknown_authorisation_is_not_found(signed_in, authorization):
    url = reverse("sharing:portal_revoke", args=["00000000-0000-0000-0000-000000000000"])

    assert signed_in.get(url).status_code == 404


def test_a_sign_post_without_the_hash_shows_the_text_again(signed_in, clinic):
    data = {**details(clinic), "step": "sign", "typed_name": "Pat Patient", "agreed": "on"}

    response = signed_in.post(portal_new(), data)

    assert response.status_code == 200
    assert response.context["step"] == "sign"
    assert "The page was incomplete" in str(response.context["signature_form"].non_field_errors())
    assert "The page was incomplete" in response.content.decode()
    assert not SharingAuthorization.objects.exists()
