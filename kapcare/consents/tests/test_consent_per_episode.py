"""The treatment consent is signed for an episode and names its model; a standalone
infusion has a consent of its own that promises no psychotherapy; a change of model asks
for re-consent on the pages and in the API; signatures from before keep their text."""

import importlib

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from kapcare.consents import services
from kapcare.consents.models import DocumentKind, Signature, SigningMethod, sha256_hex
from kapcare.consents.tests.conftest import open_course
from kapcare.consents.tests.test_api import bearer, consents_url
from kapcare.consents.tests.test_documents_fixtures import USER_AGENT, sign
from kapcare.episodes.models import Episode
from tests.factories import PatientFactory


def change_model(episode, model):
    """What the plan edit stores (the service is tested in episodes)."""
    Episode.objects.filter(pk=episode.pk).update(model=model)


@pytest.fixture
def standalone_patient(clinic, clinician, patient_user):
    patient = PatientFactory(clinic=clinic, given_name="Sid", family_name="Standalone")
    open_course(patient, clinician, model="standalone")
    return patient


# --- The document each model asks for ---------------------------------------------------------


def test_a_standalone_episode_gets_the_standalone_consent(standalone_patient):
    version = services.treatment_version_for(standalone_patient)

    assert version.document.kind == DocumentKind.STANDALONE
    assert version.document.title == "Standalone infusion consent"


def test_the_standalone_consent_promises_no_psychotherapy_and_keeps_the_medical_facts(
    standalone_patient,
):
    text = services.text_to_sign(
        services.treatment_version_for(standalone_patient), standalone_patient
    )

    assert text.startswith("# Consent to standalone ketamine infusions")
    assert "This treatment is **not ketamine-assisted psychotherapy**" in text
    assert "no psychotherapy is\npromised" in text
    assert "no preparation or integration sessions and no therapist" in text
    assert "**off-label**" in text
    assert "## Risks and side effects" in text
    assert "**whole course**" in text
    assert "**generally not covered by\ninsurance**" in text
    assert "{{" not in text


@pytest.mark.parametrize(
    ("model", "words"),
    [
        ("in_session", "**In-session ketamine-assisted psychotherapy (KAP).**"),
        ("bracketed", "**Bracketed ketamine-assisted psychotherapy (KAP).**"),
        ("blended", "**Blended ketamine-assisted psychotherapy (KAP).**"),
    ],
)
def test_the_kap_consent_names_the_episodes_own_model(patient, model, words):
    change_model(services.consent_episode(patient), model)

    version = services.treatment_version_for(patient)
    text = services.text_to_sign(version, patient)

    assert version.document.kind == DocumentKind.TREATMENT
    assert words in text
    assert text.count("ketamine-assisted psychotherapy (KAP).**") == 1


def test_every_model_of_care_has_its_words_in_the_consent():
    from kapcare.consents import rules
    from kapcare.episodes.rules import MODELS

    assert set(rules.CARE_MODEL_WORDS) == set(MODELS)


def test_a_standalone_signature_is_for_the_episode_names_its_model_and_is_current(
    standalone_patient, coordinator
):
    signature = sign(standalone_patient, by=coordinator, method=SigningMethod.CLINIC_TABLET)

    episode = services.consent_episode(standalone_patient)
    assert (signature.kind, signature.episode_id) == (DocumentKind.STANDALONE, episode.pk)
    assert signature.care_model == "standalone"
    assert "**Standalone ketamine infusions.**" in signature.signed_text
    assert services.episode_consent_status(episode)[0] == "current"


def test_the_kap_consent_cannot_be_signed_for_a_standalone_episode(standalone_patient, coordinator):
    kap = services.current_version(standalone_patient.clinic, DocumentKind.TREATMENT)

    with pytest.raises(services.Refused):
        services.sign_treatment_consent(
            actor=services.Actor(user=coordinator, ip_address="127.0.0.1"),
            patient=standalone_patient,
            version=kap,
            signer=services.SignatureInput(
                typed_name=standalone_patient.full_name,
                agreed=True,
                method=SigningMethod.CLINIC_TABLET,
            ),
            expected_sha256=sha256_hex(services.text_to_sign(kap, standalone_patient)),
        )

    assert not Signature.objects.filter(patient=standalone_patient).exists()


# --- Signing needs a course -------------------------------------------------------------------


def test_without_an_open_course_the_consent_cannot_be_signed(clinic, coordinator):
    patient = PatientFactory(clinic=clinic, given_name="Nora", family_name="Nocourse")
    version = services.treatment_version_for(patient)

    with pytest.raises(services.Refused) as refused:
        services.sign_treatment_consent(
            actor=services.Actor(user=coordinator, ip_address="127.0.0.1"),
            patient=patient,
            version=version,
            signer=services.SignatureInput(
                typed_name=patient.full_name,
                agreed=True,
                user_agent=USER_AGENT,
                method=SigningMethod.CLINIC_TABLET,
            ),
            expected_sha256=sha256_hex(services.text_to_sign(version, patient)),
        )

    assert refused.value.problems == {"__all__": services.NO_COURSE_TO_SIGN}
    assert services.treatment_consent_status(patient)[0] == "no_course"


# --- The pages ask for re-consent -------------------------------------------------------------


def test_after_a_model_change_the_portal_asks_to_sign_the_consent_for_the_course(
    client, patient, patient_user
):
    sign(patient, by=patient_user)
    change_model(services.consent_episode(patient), "standalone")
    client.force_login(patient_user)

    html = client.get(reverse("consents:portal_consents")).content.decode()

    assert "The model changed: re-consent" in html
    assert "Read and sign the consent for your course" in html
    assert "Standalone infusion consent" in html


def test_after_a_model_change_the_portal_signing_page_shows_the_standalone_consent(
    client, patient, patient_user
):
    sign(patient, by=patient_user)
    change_model(services.consent_episode(patient), "standalone")
    client.force_login(patient_user)

    response = client.get(reverse("consents:portal_sign"))

    assert response.context["version"].document.kind == DocumentKind.STANDALONE
    assert "not ketamine-assisted psychotherapy" in response.content.decode()


def test_after_a_model_change_the_chart_offers_the_tablet_again(
    client, patient, patient_user, coordinator
):
    sign(patient, by=patient_user)
    change_model(services.consent_episode(patient), "bracketed")
    client.force_login(coordinator)

    html = client.get(reverse("consents:patient_consents", args=[patient.external_id])).content

    assert b"The model changed: re-consent" in html
    assert reverse("consents:tablet_sign", args=[patient.external_id]).encode() in html


# --- The API ----------------------------------------------------------------------------------


def test_api_text_to_sign_for_a_standalone_episode_is_the_standalone_consent(
    client, clinic, clinician, patient_user, patient
):
    change_model(services.consent_episode(patient), "standalone")

    body = client.get(f"{consents_url(patient)}/current", headers=bearer(patient_user)).json()

    episode = services.consent_episode(patient)
    assert (body["document"], body["care_model"]) == ("standalone_infusion", "standalone")
    assert body["episode_id"] == str(episode.external_id)
    assert body["title"] == "Standalone infusion consent"
    assert "not ketamine-assisted psychotherapy" in body["text"]


def test_api_signs_the_standalone_consent_for_the_episode(client, patient_user, patient):
    change_model(services.consent_episode(patient), "standalone")
    shown = client.get(f"{consents_url(patient)}/current", headers=bearer(patient_user)).json()

    response = client.post(
        consents_url(patient),
        {
            "typed_name": patient.full_name,
            "agreed": True,
            "version": shown["version"],
            "text_sha256": shown["text_sha256"],
        },
        content_type="application/json",
        headers=bearer(patient_user),
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["care_model"]) == ("standalone_infusion", "standalone")
    assert body["episode_id"] == shown["episode_id"]


def test_api_text_shown_before_a_model_change_is_refused(client, patient_user, patient):
    shown = client.get(f"{consents_url(patient)}/current", headers=bearer(patient_user)).json()
    change_model(services.consent_episode(patient), "bracketed")

    response = client.post(
        consents_url(patient),
        {
            "typed_name": patient.full_name,
            "agreed": True,
            "version": shown["version"],
            "text_sha256": shown["text_sha256"],
        },
        content_type="application/json",
        headers=bearer(patient_user),
    )

    assert response.status_code == 422
    assert "text_sha256" in str(response.json())
    assert not Signature.objects.filter(patient=patient).exists()


def test_api_lists_model_changed_after_the_model_changes(client, patient_user, patient):
    sign(patient, by=patient_user)
    change_model(services.consent_episode(patient), "in_session")

    body = client.get(consents_url(patient), headers=bearer(patient_user)).json()

    assert body["treatment_status"] == "model_changed"
    assert (body["care_model"], body["treatment_document"]) == ("in_session", "treatment")
    assert body["items"][0]["care_model"] == "blended"


def test_api_without_an_open_course_says_so_at_the_field(client, clinic, coordinator):
    patient = PatientFactory(clinic=clinic, given_name="Nora", family_name="Nocourse")

    read = client.get(f"{consents_url(patient)}/current", headers=bearer(coordinator))
    listed = client.get(consents_url(patient), headers=bearer(coordinator)).json()

    assert read.status_code == 422
    assert services.NO_COURSE_TO_SIGN in str(read.json())
    assert (listed["treatment_status"], listed["episode_id"]) == ("no_course", None)


# --- Signatures from before consents were per episode -----------------------------------------


class _Editor:
    """What the migration's function uses of a schema editor, on the test's connection."""

    connection = connection

    def execute(self, sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)


def backfill():
    from django.apps import apps

    migration = importlib.import_module("kapcare.consents.migrations.0004_signature_for_episode")
    migration.link_signatures_to_episodes(apps, _Editor())


def unlinked_signature(patient, by) -> Signature:
    """A treatment signature as one was stored before consents were per episode."""
    version = services.current_version(patient.clinic, DocumentKind.TREATMENT)
    text = services.text_to_sign(version, patient, care_model="")
    return Signature.objects.create(
        patient=patient,
        version=version,
        kind=DocumentKind.TREATMENT,
        signed_text=text,
        text_sha256=sha256_hex(text),
        typed_name=patient.full_name,
        agreed=True,
        method=SigningMethod.PORTAL,
        signed_by=by,
    )


def test_an_old_signature_is_linked_to_the_single_open_episode_and_keeps_its_text(
    patient, patient_user
):
    old = unlinked_signature(patient, patient_user)
    text, digest = old.signed_text, old.text_sha256

    backfill()

    old.refresh_from_db()
    episode = services.consent_episode(patient)
    assert (old.episode_id, old.care_model) == (episode.pk, "blended")
    assert (old.signed_text, old.text_sha256) == (text, digest)
    assert services.episode_consent_status(episode)[0] == "current"


def test_an_old_signature_stays_unlinked_when_two_episodes_are_open(
    patient, patient_user, clinician
):
    open_course(patient, clinician, model="bracketed")
    old = unlinked_signature(patient, patient_user)

    backfill()

    old.refresh_from_db()
    assert old.episode_id is None
    assert services.treatment_consent_status(patient)[0] == "not_signed"


def test_an_old_kap_signature_does_not_satisfy_a_standalone_episode(
    standalone_patient, patient_user
):
    old = unlinked_signature(standalone_patient, None)

    backfill()

    old.refresh_from_db()
    episode = services.consent_episode(standalone_patient)
    assert (old.episode_id, old.care_model) == (episode.pk, "")
    assert services.episode_consent_status(episode)[0] == "model_changed"


def test_after_the_backfill_signatures_are_immutable_again(patient, patient_user):
    old = unlinked_signature(patient, patient_user)
    backfill()

    with pytest.raises(DatabaseError), transaction.atomic():
        Signature.objects.filter(pk=old.pk).update(typed_name="Someone Else")
