"""The consents API: reading and signing the treatment consent, authorising a therapist to
see parts of the record and revoking it, who may do each, the access log, and a
therapist's API access following the live authorisation request by request."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kapcare.accounts.models import ApiToken, Role, User
from kapcare.api import api
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessLogEntry
from kapcare.consents import rules, services
from kapcare.consents.models import (
    ConsentDocument,
    DocumentKind,
    SharingAuthorization,
    Signature,
    SigningMethod,
    sha256_hex,
)
from kapcare.measures import services as measures_services
from kapcare.measures.models import Source
from tests.second_factor import reauthenticated

ALL_SCOPES = ["schedule", "session_summaries", "measures", "safety_alerts"]


def bearer(user):
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def consents_url(patient):
    return f"/api/v1/patients/{patient.external_id}/consents"


def authorizations_url(patient):
    return f"/api/v1/patients/{patient.external_id}/authorizations"


def revoke_url(authorization_id):
    return f"/api/v1/authorizations/{authorization_id}/revoke"


def post(client, url, user, body=None):
    return client.post(url, body, content_type="application/json", headers=bearer(user))


def text_shown(client, user, patient):
    return client.get(f"{consents_url(patient)}/current", headers=bearer(user)).json()


def signature_body(patient, shown, **changes):
    return {
        "typed_name": patient.full_name,
        "agreed": True,
        "version": shown["version"],
        "text_sha256": shown["text_sha256"],
        **changes,
    }


def sign(client, user, patient, **changes):
    shown = text_shown(client, user, patient)
    return post(client, consents_url(patient), user, signature_body(patient, shown, **changes))


def authorize(client, user, patient, **changes):
    body = {
        "therapist_email": "theo@example.org",
        "scopes": ["measures"],
        "typed_name": patient.full_name,
        "agreed": True,
        **changes,
    }
    return post(client, authorizations_url(patient), user, body)


def same_instant(text: str, value: dt.datetime) -> bool:
    """The API writes datetimes to the millisecond."""
    return abs(dt.datetime.fromisoformat(text) - value) < dt.timedelta(milliseconds=1)


def errors(response):
    assert response.status_code == 422, response.content
    return response.json()["errors"]


def actor(user):
    return Actor(user=user, ip_address=None)


def signed_in_portal(patient):
    """The patient's signature on the current treatment consent, made through the service."""
    version = services.current_version(patient.clinic, DocumentKind.TREATMENT)
    return services.sign_treatment_consent(
        actor=actor(patient.user),
        patient=patient,
        version=version,
        signer=services.SignatureInput(typed_name=patient.full_name, agreed=True),
        expected_sha256=sha256_hex(services.text_to_sign(version, patient)),
    )


def authorized(patient, by, therapist_email="theo@example.org", scopes=("measures",)):
    """An authorisation made through the service, on the clinic tablet unless `by` is the
    patient."""
    method = SigningMethod.PORTAL if by.role == Role.PATIENT else SigningMethod.CLINIC_TABLET
    return services.authorize_sharing(
        actor=actor(by),
        patient=patient,
        request=services.AuthorizationInput(
            therapist_email=therapist_email,
            therapist_name="Theo Therapist",
            scopes=list(scopes),
            expires_on=services.clinic_today(patient.clinic) + dt.timedelta(days=30),
        ),
        signer=services.SignatureInput(typed_name=patient.full_name, agreed=True, method=method),
        expected_sha256=None,
    )


# --- Reading a patient's consents -------------------------------------------------------------


def test_patient_without_a_signature_is_not_signed_on_version_1(client, patient_user, patient):
    response = client.get(consents_url(patient), headers=bearer(patient_user))

    assert response.status_code == 200
    episode = services.consent_episode(patient)
    assert response.json() == {
        "treatment_status": "not_signed",
        "treatment_document": "treatment",
        "current_treatment_version": 1,
        "episode_id": str(episode.external_id),
        "care_model": "blended",
        "items": [],
    }


def test_signature_is_listed_with_its_particulars_and_status_current(client, patient_user, patient):
    signature = signed_in_portal(patient)

    body = client.get(consents_url(patient), headers=bearer(patient_user)).json()

    assert body["treatment_status"] == "current"
    [item] = body["items"]
    assert same_instant(item.pop("signed_at"), signature.signed_at)
    assert [item] == [
        {
            "id": str(signature.external_id),
            "kind": "treatment",
            "title": "KAP treatment consent",
            "version": 1,
            "typed_name": "Pat Patient",
            "method": "portal",
            "witness_name": None,
            "text_sha256": signature.text_sha256,
            "withdrawn_at": None,
            "episode_id": str(signature.episode.external_id),
            "care_model": "blended",
        }
    ]


def test_list_shows_authorisations_witnesses_and_withdrawals(
    client, coordinator, patient_user, patient
):
    consent = signed_in_portal(patient)
    withdrawal = services.withdraw(actor=actor(patient_user), signature=consent)
    authorization = authorized(patient, by=coordinator)

    body = client.get(consents_url(patient), headers=bearer(coordinator)).json()

    assert body["treatment_status"] == "withdrawn"
    by_id = {item["id"]: item for item in body["items"]}
    sharing = by_id[str(authorization.signature.external_id)]
    assert (sharing["kind"], sharing["method"], sharing["witness_name"]) == (
        "sharing",
        "clinic_tablet",
        "Cora Coordinator",
    )
    assert same_instant(by_id[str(consent.external_id)]["withdrawn_at"], withdrawal.withdrawn_at)


def test_signature_on_an_earlier_version_is_outdated_when_a_new_one_asks_for_reconsent(
    client, clinic_admin, patient_user, patient
):
    signed_in_portal(patient)
    document = ConsentDocument.objects.get(clinic=patient.clinic, kind=DocumentKind.TREATMENT)
    services.publish_version(
        actor=actor(clinic_admin),
        document=document,
        body_markdown="# Consent\n\nNew wording, {{ patient_name }}.",
        requires_reconsent=True,
        reauthentication=reauthenticated(clinic_admin),
    )

    body = client.get(consents_url(patient), headers=bearer(patient_user)).json()

    assert (body["treatment_status"], body["current_treatment_version"]) == ("outdated", 2)
    assert body["items"][0]["version"] == 1


@pytest.mark.parametrize("persona", ["coordinator", "clinician", "clinic_admin"])
def test_clinic_staff_read_a_patients_consents(client, request, persona, patient):
    response = client.get(consents_url(patient), headers=bearer(request.getfixturevalue(persona)))

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("persona", "status"),
    # A therapist's role never reads consents, even with an authorisation: 403.
    [("outsider", 404), ("patient_user", 404), ("therapist", 403)],
)
def test_others_cannot_read_a_patients_consents(
    client, request, coordinator, other_patient, therapist, persona, status
):
    authorized(other_patient, by=coordinator)

    user = request.getfixturevalue(persona)
    response = client.get(consents_url(other_patient), headers=bearer(user))

    assert response.status_code == status
    assert "items" not in response.json()


def test_reading_consents_is_logged_as_viewing_the_patient_through_the_api(
    client, clinician, patient
):
    client.get(consents_url(patient), headers=bearer(clinician))

    row = AccessLogEntry.objects.get(patient=patient)
    assert (row.actor_id, row.action, row.channel, row.object_type) == (
        clinician.pk,
        "view",
        "api",
        "patient",
    )


def test_reading_consents_needs_a_token(client, patient):
    assert client.get(consents_url(patient)).status_code == 401


def query_count(client, url, headers):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, headers=headers).status_code == 200
    return len(queries)


def test_consents_query_count_does_not_grow_with_the_signatures(
    client, coordinator, patient_user, patient, django_assert_max_num_queries
):
    headers = bearer(coordinator)
    services.withdraw(actor=actor(patient_user), signature=signed_in_portal(patient))
    few = query_count(client, consents_url(patient), headers)
    for _ in range(3):
        signed_in_portal(patient)
        authorized(patient, by=coordinator)

    with django_assert_max_num_queries(few):
        response = client.get(consents_url(patient), headers=headers)

    assert len(response.json()["items"]) == 7


# --- The text to sign ------------------------------------------------------------------------


def test_text_to_sign_is_the_current_version_with_the_patients_particulars(
    client, patient_user, patient
):
    response = client.get(f"{consents_url(patient)}/current", headers=bearer(patient_user))

    body = response.json()
    assert (body["version"], body["title"]) == (1, "KAP treatment consent")
    assert "**Patient:** Pat Patient, born" in body["text"]
    assert "**Clinic:** Music City Ketamine" in body["text"]
    assert "{{" not in body["text"]
    assert body["text_sha256"] == sha256_hex(body["text"])


def test_reading_the_text_to_sign_is_logged(client, coordinator, patient):
    client.get(f"{consents_url(patient)}/current", headers=bearer(coordinator))

    row = AccessLogEntry.objects.get(patient=patient)
    assert (row.action, row.channel) == ("view", "api")


def test_staff_of_another_clinic_get_404_for_the_text_to_sign(client, outsider, patient):
    response = client.get(f"{consents_url(patient)}/current", headers=bearer(outsider))

    assert response.status_code == 404
    assert "text" not in response.json()


# --- Signing the treatment consent ------------------------------------------------------------


def test_patient_signs_in_the_portal_and_is_answered_201_with_the_signature(
    client, patient_user, patient
):
    shown = text_shown(client, patient_user, patient)

    response = post(
        client,
        consents_url(patient),
        patient_user,
        signature_body(patient, shown, typed_name="  pat   PATIENT "),
    )

    assert response.status_code == 201
    signature = Signature.objects.get()
    body = response.json()
    assert body["id"] == str(signature.external_id)
    assert (body["kind"], body["version"], body["method"]) == ("treatment", 1, "portal")
    assert (body["typed_name"], body["witness_name"]) == ("pat PATIENT", None)
    assert body["text_sha256"] == shown["text_sha256"] == signature.text_sha256
    assert signature.signed_text == shown["text"]
    assert (signature.signed_by_id, signature.witnessed_by_id) == (patient_user.pk, None)


def test_after_signing_the_treatment_status_is_current(client, patient_user, patient):
    sign(client, patient_user, patient)

    body = client.get(consents_url(patient), headers=bearer(patient_user)).json()

    assert body["treatment_status"] == "current"


@pytest.mark.parametrize(("persona", "witness"), [("coordinator", "Cora"), ("clinician", "Cal")])
def test_staff_token_signs_on_the_clinic_tablet_as_witness(
    client, request, patient, persona, witness
):
    user = request.getfixturevalue(persona)

    response = sign(client, user, patient)

    assert response.status_code == 201
    assert response.json()["method"] == "clinic_tablet"
    assert response.json()["witness_name"].startswith(witness)
    signature = Signature.objects.get()
    assert (signature.method, signature.witnessed_by_id) == ("clinic_tablet", user.pk)


def test_signing_sends_the_user_agent_and_address_to_the_record(client, patient_user, patient):
    shown = text_shown(client, patient_user, patient)

    client.post(
        consents_url(patient),
        signature_body(patient, shown),
        content_type="application/json",
        headers={**bearer(patient_user), "User-Agent": "kapcare-ios/1.0"},
        REMOTE_ADDR="203.0.113.9",
    )

    signature = Signature.objects.get()
    assert (signature.user_agent, signature.ip_address) == ("kapcare-ios/1.0", "203.0.113.9")


def test_signing_is_logged_as_creating_the_signature_and_not_as_a_read(
    client, patient_user, patient
):
    shown = text_shown(client, patient_user, patient)
    before = set(AccessLogEntry.objects.values_list("pk", flat=True))

    post(client, consents_url(patient), patient_user, signature_body(patient, shown))

    [row] = AccessLogEntry.objects.exclude(pk__in=before)
    assert (row.action, row.channel, row.object_type, row.actor_id) == (
        "create",
        "api",
        "signature",
        patient_user.pk,
    )
    assert row.object_id == str(Signature.objects.get().external_id)


def test_wrong_typed_name_is_refused_naming_the_field(client, patient_user, patient):
    response = sign(client, patient_user, patient, typed_name="P. Patient")

    assert errors(response) == {
        "typed_name": ["Type your full name as it is on your record: Pat Patient."]
    }
    assert not Signature.objects.exists()


def test_signing_without_agreeing_is_refused_naming_the_field(client, patient_user, patient):
    response = sign(client, patient_user, patient, agreed=False)

    assert list(errors(response)) == ["agreed"]
    assert not Signature.objects.exists()


def test_a_version_that_is_not_current_is_refused_naming_the_field(
    client, clinic_admin, patient_user, patient
):
    shown = text_shown(client, patient_user, patient)
    document = ConsentDocument.objects.get(clinic=patient.clinic, kind=DocumentKind.TREATMENT)
    services.publish_version(
        actor=actor(clinic_admin),
        document=document,
        body_markdown="# Consent\n\nNew wording.",
        requires_reconsent=True,
        reauthentication=reauthenticated(clinic_admin),
    )

    response = post(client, consents_url(patient), patient_user, signature_body(patient, shown))

    [message] = errors(response)["version"]
    assert message.startswith("Version 1 is not the current treatment consent; sign version 2")
    assert not Signature.objects.exists()


def test_a_hash_of_another_text_is_refused_naming_the_field(client, patient_user, patient):
    shown = text_shown(client, patient_user, patient)

    response = post(
        client,
        consents_url(patient),
        patient_user,
        signature_body(patient, shown, text_sha256=sha256_hex("something else")),
    )

    [message] = errors(response)["text_sha256"]
    assert message.startswith("This is not the SHA-256 of version 1")
    assert not Signature.objects.exists()


def test_refused_signature_leaves_no_log_row(client, patient_user, patient):
    shown = text_shown(client, patient_user, patient)
    before = AccessLogEntry.objects.count()

    post(
        client,
        consents_url(patient),
        patient_user,
        signature_body(patient, shown, typed_name="Someone"),
    )

    assert AccessLogEntry.objects.count() == before


def test_unknown_field_in_the_signature_is_refused(client, patient_user, patient):
    shown = text_shown(client, patient_user, patient)

    response = post(
        client,
        consents_url(patient),
        patient_user,
        signature_body(patient, shown, method="clinic_tablet"),
    )

    assert errors(response) == {"method": ["This field is not known."]}


@pytest.mark.parametrize(
    ("persona", "status"),
    # Admins and therapists may not sign or witness; others do not see the patient.
    [("clinic_admin", 403), ("therapist", 403), ("outsider", 404)],
)
def test_others_cannot_sign_for_a_patient(client, request, patient, persona, status):
    version = services.current_version(patient.clinic, DocumentKind.TREATMENT)
    body = signature_body(
        patient,
        {"version": 1, "text_sha256": sha256_hex(services.text_to_sign(version, patient))},
    )

    response = post(client, consents_url(patient), request.getfixturevalue(persona), body)

    assert response.status_code == status
    assert not Signature.objects.exists()


def test_patient_gets_404_signing_for_another_patient(client, patient_user, other_patient):
    version = services.current_version(other_patient.clinic, DocumentKind.TREATMENT)
    body = signature_body(
        other_patient,
        {"version": 1, "text_sha256": sha256_hex(services.text_to_sign(version, other_patient))},
    )

    response = post(client, consents_url(other_patient), patient_user, body)

    assert response.status_code == 404
    assert not Signature.objects.exists()


# --- Authorising a therapist ------------------------------------------------------------------


def test_patient_authorises_a_therapist_and_is_answered_201(
    client, patient_user, patient, therapist
):
    response = authorize(client, patient_user, patient, scopes=["measures", "schedule"])

    assert response.status_code == 201
    authorization = SharingAuthorization.objects.get()
    body = response.json()
    today = services.clinic_today(patient.clinic)
    assert body == {
        "id": str(authorization.external_id),
        "therapist_name": "Theo Therapist",
        "therapist_email": "theo@example.org",
        "scopes": ["schedule", "measures"],
        "purpose": services.DEFAULT_PURPOSE,
        "expires_on": rules.default_expiry(today, 12).isoformat(),
        "status": "active",
        "signature_id": str(authorization.signature.external_id),
        "text_sha256": authorization.signature.text_sha256,
        "signed_at": body["signed_at"],
        "revoked_at": None,
    }
    assert authorization.therapist_id == therapist.pk
    assert authorization.signature.method == "portal"


def test_the_signed_authorisation_text_names_the_therapist_scopes_and_expiry(
    client, patient_user, patient, therapist
):
    expires_on = services.clinic_today(patient.clinic) + dt.timedelta(days=90)

    authorize(
        client, patient_user, patient, expires_on=expires_on.isoformat(), purpose="Couples work."
    )

    text = SharingAuthorization.objects.get().signature.signed_text
    assert "Theo Therapist" in text
    assert "Questionnaire scores and trends" in text
    assert "Couples work." in text
    assert f"{expires_on:%B} {expires_on.day}, {expires_on.year}" in text
    assert sha256_hex(text) == SharingAuthorization.objects.get().signature.text_sha256


def test_coordinator_authorises_on_the_clinic_tablet_as_witness(
    client, coordinator, patient, therapist
):
    response = authorize(client, coordinator, patient)

    assert response.status_code == 201
    signature = SharingAuthorization.objects.get().signature
    assert (signature.method, signature.witnessed_by_id) == ("clinic_tablet", coordinator.pk)


def test_authorising_is_logged_as_creating_the_signature_and_the_authorisation(
    client, patient_user, patient, therapist
):
    authorize(client, patient_user, patient)

    rows = AccessLogEntry.objects.filter(patient=patient)
    assert sorted((row.object_type, row.action) for row in rows) == [
        ("sharingauthorization", "create"),
        ("signature", "create"),
    ]
    assert {(row.actor_id, row.channel) for row in rows} == {(patient_user.pk, "api")}


def test_therapist_without_an_account_needs_a_name(client, patient_user, patient):
    response = authorize(client, patient_user, patient, therapist_email="new@example.org")

    assert errors(response) == {"therapist_name": ["Enter the therapist's name."]}
    assert not User.objects.filter(email="new@example.org").exists()


def test_therapist_without_an_account_is_invited_by_an_email_without_the_patients_name(
    client, patient_user, patient, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = authorize(
            client,
            patient_user,
            patient,
            therapist_email="New.Therapist@Example.org",
            therapist_name="Nina New",
        )

    assert response.status_code == 201
    invited = User.objects.get(email="new.therapist@example.org")
    assert (invited.role, invited.full_name) == (Role.THERAPIST, "Nina New")
    assert invited.clinic_id is None
    assert {message.to[0] for message in mailoutbox} == {"new.therapist@example.org"}
    assert all("Patient" not in message.body for message in mailoutbox)


def test_unknown_scope_is_refused_naming_it(client, patient_user, patient, therapist):
    response = authorize(client, patient_user, patient, scopes=["measures", "diary"])

    assert errors(response) == {"scopes": ["Unknown part of the record: diary."]}
    assert not SharingAuthorization.objects.exists()


def test_no_scope_is_refused(client, patient_user, patient, therapist):
    response = authorize(client, patient_user, patient, scopes=[])

    assert list(errors(response)) == ["scopes"]


def test_expiry_in_the_past_is_refused_naming_the_field(client, patient_user, patient, therapist):
    response = authorize(client, patient_user, patient, expires_on="2020-01-01")

    assert errors(response) == {"expires_on": ["The expiry date must be after today."]}
    assert not SharingAuthorization.objects.exists()


def test_expiry_beyond_the_clinics_longest_is_refused_naming_the_field(
    client, patient_user, patient, therapist
):
    response = authorize(client, patient_user, patient, expires_on="2199-01-01")

    [message] = errors(response)["expires_on"]
    assert message.startswith("An authorisation can last at most 12 months")


def test_email_of_a_non_therapist_account_is_refused(client, patient_user, patient, coordinator):
    response = authorize(
        client, patient_user, patient, therapist_email=coordinator.email, therapist_name="Cora"
    )

    assert list(errors(response)) == ["therapist_email"]


def test_wrong_typed_name_on_an_authorisation_is_refused(client, patient_user, patient, therapist):
    response = authorize(client, patient_user, patient, typed_name="Somebody Else")

    assert list(errors(response)) == ["typed_name"]
    assert not Signature.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("clinic_admin", 403), ("therapist", 403), ("outsider", 404)],
)
def test_others_cannot_authorise_sharing(client, request, patient, persona, status):
    response = authorize(client, request.getfixturevalue(persona), patient)

    assert response.status_code == status
    assert not SharingAuthorization.objects.exists()


def test_patient_gets_404_authorising_for_another_patient(
    client, patient_user, other_patient, therapist
):
    response = authorize(client, patient_user, other_patient)

    assert response.status_code == 404
    assert not SharingAuthorization.objects.exists()


# --- Listing authorisations -------------------------------------------------------------------


def test_authorisations_are_listed_newest_first_with_their_status(
    client, coordinator, patient_user, patient, therapist
):
    first = authorized(patient, by=coordinator)
    services.revoke_authorization(actor=actor(patient_user), authorization=first)
    second = authorized(patient, by=patient_user, scopes=ALL_SCOPES)

    response = client.get(authorizations_url(patient), headers=bearer(patient_user))

    assert response.status_code == 200
    assert [(item["id"], item["status"]) for item in response.json()] == [
        (str(second.external_id), "active"),
        (str(first.external_id), "revoked"),
    ]
    assert response.json()[0]["scopes"] == ALL_SCOPES


def test_an_authorisation_past_its_last_day_is_listed_as_expired(
    client, coordinator, patient, therapist
):
    authorization = authorized(patient, by=coordinator)

    with time_machine.travel(authorization.expires_at + dt.timedelta(seconds=1)):
        response = client.get(authorizations_url(patient), headers=bearer(coordinator))

    assert response.json()[0]["status"] == "expired"


@pytest.mark.parametrize(
    ("persona", "status"), [("outsider", 404), ("patient_user", 404), ("therapist", 403)]
)
def test_others_cannot_list_a_patients_authorisations(
    client, request, coordinator, other_patient, therapist, persona, status
):
    authorized(other_patient, by=coordinator)

    response = client.get(
        authorizations_url(other_patient), headers=bearer(request.getfixturevalue(persona))
    )

    assert response.status_code == status


def test_listing_authorisations_is_logged(client, coordinator, patient):
    client.get(authorizations_url(patient), headers=bearer(coordinator))

    row = AccessLogEntry.objects.get(patient=patient)
    assert (row.action, row.channel, row.actor_id) == ("view", "api", coordinator.pk)


def test_authorisations_query_count_does_not_grow_with_their_number(
    client, coordinator, patient, therapist, django_assert_max_num_queries
):
    headers = bearer(coordinator)
    authorized(patient, by=coordinator)
    few = query_count(client, authorizations_url(patient), headers)
    for _ in range(4):
        authorized(patient, by=coordinator)

    with django_assert_max_num_queries(few):
        response = client.get(authorizations_url(patient), headers=headers)

    assert len(response.json()) == 5


# --- Revoking ---------------------------------------------------------------------------------


def test_patient_revokes_and_is_answered_with_the_revoked_authorisation(
    client, coordinator, patient_user, patient, therapist
):
    authorization = authorized(patient, by=coordinator)

    response = post(
        client,
        revoke_url(authorization.external_id),
        patient_user,
        {"reason": "Changed therapist."},
    )

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (
        str(authorization.external_id),
        "revoked",
    )
    authorization.refresh_from_db()
    assert authorization.revoked_at is not None
    assert (authorization.revoked_by_id, authorization.revocation_reason) == (
        patient_user.pk,
        "Changed therapist.",
    )


@pytest.mark.parametrize("persona", ["coordinator", "clinician", "clinic_admin"])
def test_clinic_staff_revoke_without_a_reason(client, request, patient, therapist, persona):
    user = request.getfixturevalue(persona)
    authorization = authorized(patient, by=request.getfixturevalue("coordinator"))

    response = client.generic("POST", revoke_url(authorization.external_id), headers=bearer(user))

    assert response.status_code == 200
    assert response.json()["status"] == "revoked"


def test_revoking_twice_is_refused_with_409(client, coordinator, patient, therapist):
    authorization = authorized(patient, by=coordinator)
    post(client, revoke_url(authorization.external_id), coordinator)

    response = post(client, revoke_url(authorization.external_id), coordinator)

    assert response.status_code == 409
    assert response.json() == {"detail": "This authorisation was already revoked."}


def test_revoking_is_logged_as_a_change(client, coordinator, patient_user, patient, therapist):
    authorization = authorized(patient, by=coordinator)
    before = set(AccessLogEntry.objects.values_list("pk", flat=True))

    post(client, revoke_url(authorization.external_id), patient_user)

    [row] = AccessLogEntry.objects.exclude(pk__in=before)
    assert (row.action, row.channel, row.object_type, row.object_id) == (
        "update",
        "api",
        "sharingauthorization",
        str(authorization.external_id),
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    # The therapist is told by email and may not revoke through the API: the patient does.
    [("outsider", 404), ("patient_user", 404), ("therapist", 403)],
)
def test_others_cannot_revoke(
    client, request, coordinator, other_patient, therapist, persona, status
):
    authorization = authorized(other_patient, by=coordinator)
    user = request.getfixturevalue(persona)

    response = post(client, revoke_url(authorization.external_id), user)

    assert response.status_code == status
    authorization.refresh_from_db()
    assert authorization.revoked_at is None


def test_unknown_authorisation_is_404(client, coordinator):
    response = post(client, revoke_url("not-an-id"), coordinator)

    assert response.status_code == 404


# --- A therapist's API access follows the live authorisation ----------------------------------


@pytest.fixture
def scored(patient, coordinator):
    """One GAD-7 on the patient's record."""
    measures_services.record_assessment(
        actor=actor(coordinator),
        patient=patient,
        instrument="gad7",
        answers=[1] * 7,
        source=Source.STAFF,
    )


def assessments(client, headers, patient):
    return client.get(f"/api/v1/patients/{patient.external_id}/assessments", headers=headers)


def test_therapist_sees_assessments_only_with_the_measures_scope_until_revoked(
    client, patient_user, patient, therapist, scored
):
    headers = bearer(therapist)
    assert assessments(client, headers, patient).status_code == 404

    authorize(client, patient_user, patient, scopes=["measures"])
    response = assessments(client, headers, patient)
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1

    authorization_id = client.get(authorizations_url(patient), headers=bearer(patient_user)).json()[
        0
    ]["id"]
    post(client, revoke_url(authorization_id), patient_user)
    assert assessments(client, headers, patient).status_code == 404


def test_therapist_authorised_without_the_measures_scope_gets_404(
    client, patient_user, patient, therapist, scored
):
    authorize(client, patient_user, patient, scopes=["schedule", "safety_alerts"])

    response = assessments(client, bearer(therapist), patient)

    assert response.status_code == 404
    assert "items" not in response.json()


def test_therapist_gets_404_once_the_authorisation_expires(
    client, patient_user, patient, therapist, scored
):
    authorize(client, patient_user, patient)
    expires_at = SharingAuthorization.objects.get().expires_at

    # Each token is made on the day it is used: API tokens expire on their own.
    with time_machine.travel(expires_at - dt.timedelta(seconds=1)):
        assert assessments(client, bearer(therapist), patient).status_code == 200
    with time_machine.travel(expires_at):
        assert assessments(client, bearer(therapist), patient).status_code == 404


def test_therapists_read_is_logged_as_a_disclosure_through_the_api(
    client, patient_user, patient, therapist, scored
):
    authorize(client, patient_user, patient)

    assessments(client, bearer(therapist), patient)

    row = AccessLogEntry.objects.get(actor=therapist)
    assert (row.action, row.channel, row.patient_id) == ("disclose", "api", patient.pk)


def test_another_therapists_authorisation_shows_this_therapist_nothing(
    client, patient_user, patient, therapist, scored
):
    authorize(
        client,
        patient_user,
        patient,
        therapist_email="someone.else@example.org",
        therapist_name="Someone Else",
    )

    assert assessments(client, bearer(therapist), patient).status_code == 404


# --- Description ------------------------------------------------------------------------------


def test_openapi_describes_the_consent_and_authorisation_endpoints(db):
    schema = api.get_openapi_schema()

    assert {
        "/api/v1/patients/{patient_id}/consents",
        "/api/v1/patients/{patient_id}/consents/current",
        "/api/v1/patients/{patient_id}/authorizations",
        "/api/v1/authorizations/{authorization_id}/revoke",
    } <= set(schema["paths"])
    body = schema["components"]["schemas"]["AuthorizationIn"]
    assert body["properties"]["scopes"]["items"]["enum"] == ALL_SCOPES
    assert body["additionalProperties"] is False
    assert schema["components"]["schemas"]["TreatmentSignatureIn"]["additionalProperties"] is False


def test_therapist_sees_item_flags_only_with_the_safety_alerts_scope(
    client, patient, therapist, clinician
):
    from tests.factories import authorize, raise_alert

    raise_alert(clinician, patient)  # a PHQ-9 with item 9 above 0: flag suicidal_ideation
    authorization = authorize(patient, therapist, scopes=["measures"])
    url = f"/api/v1/patients/{patient.external_id}/assessments"

    measures_only = client.get(url, headers=bearer(therapist)).json()["items"]
    services.revoke_authorization(actor=actor(clinician), authorization=authorization)
    authorize(patient, therapist, scopes=["measures", "safety_alerts"])
    with_alerts = client.get(url, headers=bearer(therapist)).json()["items"]

    assert [item["flags"] for item in measures_only] == [[]]
    assert "suicidal_ideation" in with_alerts[0]["flags"]
