"""Signing the treatment consent (in the portal and on a clinic tablet), the status that
follows from new versions, withdrawing, and the immutability of what was signed."""

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents import services
from kapcare.consents.models import (
    ConsentVersion,
    DocumentKind,
    Signature,
    SigningMethod,
    Withdrawal,
    sha256_hex,
)
from kapcare.consents.tests.conftest import open_course
from kapcare.consents.tests.test_documents_fixtures import (
    USER_AGENT,
    actor,
    publish,
    sign,
)


@pytest.fixture
def signed(patient, patient_user):
    """The patient's signature on the current treatment consent, in the portal."""
    return sign(patient, by=patient_user)


PORTAL_SIGN = reverse("consents:portal_sign")


def text_hash(patient) -> str:
    version = services.current_version(patient.clinic, DocumentKind.TREATMENT)
    return sha256_hex(services.text_to_sign(version, patient))


def sign_data(patient, **changes) -> dict:
    data = {"typed_name": patient.full_name, "agreed": "on", "text_sha256": text_hash(patient)}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def status_of(patient) -> str:
    return services.treatment_consent_status(patient)[0]


# --- The portal -------------------------------------------------------------------------------


def test_sign_page_shows_the_exact_text_with_the_particulars_filled_in(
    client, patient_user, patient
):
    client.force_login(patient_user)

    response = client.get(PORTAL_SIGN)

    html = response.content.decode()
    assert "<h2>Consent to ketamine-assisted psychotherapy</h2>" in html
    assert "<strong>Patient:</strong> Pat Patient, born" in html
    assert "Music City Ketamine" in html
    assert "{{" not in html.split("<article", 1)[1].split("</article>", 1)[0]
    assert f'value="{text_hash(patient)}"' in html
    assert 'for="id_typed_name"' in html
    assert 'for="id_agreed"' in html
    assert "I have read this consent and agree" in html


def test_patient_signs_in_the_portal_and_the_hash_matches_the_stored_text(
    client, patient_user, patient
):
    client.force_login(patient_user)

    response = client.post(PORTAL_SIGN, sign_data(patient), headers={"User-Agent": USER_AGENT})

    assert response.status_code == 302
    assert response["Location"] == reverse("consents:portal_consents")
    signature = Signature.objects.get(patient=patient)
    assert signature.text_sha256 == sha256_hex(signature.signed_text)
    assert signature.hash_matches
    assert signature.text_sha256 == text_hash(patient)
    assert signature.typed_name == "Pat Patient"
    assert signature.method == SigningMethod.PORTAL
    assert signature.witnessed_by_id is None
    assert signature.signed_by_id == patient_user.pk
    assert signature.ip_address == "127.0.0.1"
    assert signature.user_agent == USER_AGENT
    assert status_of(patient) == "current"


def test_signing_is_logged_once_as_a_creation(client, patient_user, patient):
    client.force_login(patient_user)
    before = AccessLogEntry.objects.count()

    client.post(PORTAL_SIGN, sign_data(patient))

    rows = list(AccessLogEntry.objects.order_by("id")[before:])
    assert [(r.action, r.object_type, r.patient_id) for r in rows] == [
        (AccessAction.CREATE, "signature", patient.pk)
    ]


def test_a_typed_name_that_is_not_the_patients_is_an_error_at_the_field_and_is_kept(
    client, patient_user, patient
):
    client.force_login(patient_user)

    response = client.post(PORTAL_SIGN, sign_data(patient, typed_name="Patricia P."))

    assert response.status_code == 200
    assert response.context["form"].errors["typed_name"] == [
        "Type your full name as it is on your record: Pat Patient."
    ]
    html = response.content.decode()
    assert 'value="Patricia P."' in html
    assert '<input type="checkbox" name="agreed" required id="id_agreed" checked>' in html
    assert not Signature.objects.exists()


def test_case_and_spacing_of_the_typed_name_do_not_matter(client, patient_user, patient):
    client.force_login(patient_user)

    client.post(PORTAL_SIGN, sign_data(patient, typed_name="  pat   PATIENT "))

    assert Signature.objects.get().typed_name == "pat PATIENT"


def test_without_the_box_ticked_nothing_is_signed_and_the_name_is_kept(
    client, patient_user, patient
):
    client.force_login(patient_user)

    response = client.post(PORTAL_SIGN, sign_data(patient, agreed=None))

    assert response.context["form"].errors["agreed"] == [
        "Tick the box to say you have read and agree."
    ]
    assert 'value="Pat Patient"' in response.content.decode()
    assert not Signature.objects.exists()


def test_a_refused_signature_still_logs_the_view(client, patient_user, patient):
    client.force_login(patient_user)
    before = AccessLogEntry.objects.count()

    client.post(PORTAL_SIGN, sign_data(patient, agreed=None))

    rows = list(AccessLogEntry.objects.order_by("id")[before:])
    assert [(r.action, r.patient_id) for r in rows] == [(AccessAction.VIEW, patient.pk)]


def test_a_text_changed_while_reading_is_not_signed_and_the_new_text_is_shown(
    client, patient_user, patient, clinic, clinic_admin
):
    client.force_login(patient_user)
    data = sign_data(patient)
    publish(clinic, clinic_admin)

    response = client.post(PORTAL_SIGN, data)

    assert response.status_code == 200
    form = response.context["form"]
    assert "The consent changed while you were reading it." in form.non_field_errors()[0]
    assert "agreed" in form.errors  # to be ticked again, for the new words
    html = response.content.decode()
    assert 'value="Pat Patient"' in html
    assert f'value="{text_hash(patient)}"' in html
    assert "We reviewed this text again." in html
    assert not Signature.objects.exists()


def test_the_signature_is_on_the_version_that_was_shown(
    client, patient_user, patient, clinic, clinic_admin
):
    publish(clinic, clinic_admin)
    client.force_login(patient_user)

    client.post(PORTAL_SIGN, sign_data(patient))

    assert Signature.objects.get().version.number == 2


# --- Status after new versions ----------------------------------------------------------------


def test_not_signed_until_the_patient_signs(patient):
    assert status_of(patient) == "not_signed"


def test_a_version_requiring_reconsent_makes_the_signature_outdated(
    patient, clinic, clinic_admin, signed
):
    publish(clinic, clinic_admin, requires_reconsent=True)

    assert status_of(patient) == "outdated"


def test_a_version_without_reconsent_leaves_the_signature_current(
    patient, clinic, clinic_admin, signed
):
    publish(clinic, clinic_admin, requires_reconsent=False)

    assert status_of(patient) == "current"


def test_signing_the_new_version_makes_it_current_again(
    patient, patient_user, clinic, clinic_admin, signed
):
    publish(clinic, clinic_admin, requires_reconsent=True)
    sign(patient, by=patient_user)

    assert status_of(patient) == "current"


def test_portal_says_outdated_in_words_and_asks_to_sign_again(
    client, patient_user, patient, clinic, clinic_admin, signed
):
    publish(clinic, clinic_admin, requires_reconsent=True)
    client.force_login(patient_user)

    html = client.get(reverse("consents:portal_consents")).content.decode()

    assert '<span class="badge badge-warn">New version to sign</span>' in html
    assert "it is now version 2" in html
    assert "Read and sign the new version" in html


# --- Withdrawing ------------------------------------------------------------------------------


def test_patient_withdraws_and_the_signature_is_kept(client, patient_user, patient, signed):
    client.force_login(patient_user)
    url = reverse("consents:portal_withdraw", args=[signed.external_id])

    response = client.post(url, {"reason": "I want to think about it."})

    assert response.status_code == 302
    withdrawal = Withdrawal.objects.get(signature=signed)
    assert withdrawal.reason == "I want to think about it."
    assert withdrawal.withdrawn_by_id == patient_user.pk
    kept = Signature.objects.get(pk=signed.pk)
    assert kept.signed_text == signed.signed_text
    assert kept.hash_matches
    assert status_of(patient) == "withdrawn"


def test_the_portal_shows_the_withdrawal_in_words(client, patient_user, patient, signed):
    services.withdraw(actor=actor(patient_user), signature=signed)
    client.force_login(patient_user)

    html = client.get(reverse("consents:portal_consents")).content.decode()

    assert '<span class="badge badge-danger">Withdrawn</span>' in html
    assert "Sign the consent again" in html


def test_withdrawing_twice_is_shown_not_recorded_again(client, patient_user, patient, signed):
    services.withdraw(actor=actor(patient_user), signature=signed)
    client.force_login(patient_user)
    url = reverse("consents:portal_withdraw", args=[signed.external_id])

    response = client.post(url, {"reason": "again"})

    assert response.status_code == 200
    assert "already withdrawn" in response.content.decode()
    assert Withdrawal.objects.count() == 1


def test_staff_record_a_withdrawal_the_patient_asked_for(client, coordinator, patient, signed):
    client.force_login(coordinator)
    url = reverse("consents:patient_withdraw", args=[patient.external_id, signed.external_id])

    response = client.post(url, {"reason": "Asked by phone."})

    assert response["Location"] == reverse("consents:patient_consents", args=[patient.external_id])
    withdrawal = Withdrawal.objects.get(signature=signed)
    assert withdrawal.withdrawn_by_id == coordinator.pk
    entry = AccessLogEntry.objects.latest("id")
    assert (entry.action, entry.object_type, entry.patient_id) == (
        AccessAction.UPDATE,
        "withdrawal",
        patient.pk,
    )


def test_a_sharing_signature_cannot_be_withdrawn_here(client, patient_user, patient, therapist):
    from kapcare.consents.tests.test_documents_fixtures import authorize

    authorization = authorize(patient, by=patient_user, therapist=therapist)
    client.force_login(patient_user)
    url = reverse("consents:portal_withdraw", args=[authorization.signature.external_id])

    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


# --- The clinic tablet ------------------------------------------------------------------------


def test_tablet_page_tells_staff_to_hand_it_to_the_patient(client, coordinator, patient):
    client.force_login(coordinator)

    html = client.get(reverse("consents:tablet_sign", args=[patient.external_id])).content
    html = html.decode()

    assert "Hand the tablet to the patient" in html
    assert "Cora Coordinator, are recorded as the witness" in html
    assert 'autocomplete="off"' in html


def test_tablet_page_keeps_the_staff_menu_out_of_the_patients_way(client, coordinator, patient):
    client.force_login(coordinator)

    html = client.get(reverse("consents:tablet_sign", args=[patient.external_id])).content

    assert f'href="{reverse("patients:list")}"'.encode() not in html
    assert f'href="{reverse("measures:alerts")}"'.encode() not in html


def test_tablet_signature_records_the_staff_member_as_witness(client, clinician, patient):
    client.force_login(clinician)
    url = reverse("consents:tablet_sign", args=[patient.external_id])

    response = client.post(url, sign_data(patient), headers={"User-Agent": "Tablet browser"})

    assert response["Location"] == reverse("consents:patient_consents", args=[patient.external_id])
    signature = Signature.objects.get(patient=patient)
    assert signature.method == SigningMethod.CLINIC_TABLET
    assert signature.witnessed_by_id == clinician.pk
    assert signature.signed_by_id == clinician.pk
    assert signature.user_agent == "Tablet browser"
    assert signature.hash_matches


def test_on_the_tablet_the_patient_still_types_their_own_name(client, coordinator, patient):
    client.force_login(coordinator)
    url = reverse("consents:tablet_sign", args=[patient.external_id])

    response = client.post(url, sign_data(patient, typed_name="Cora Coordinator"))

    assert "typed_name" in response.context["form"].errors
    assert not Signature.objects.exists()


def test_a_patient_without_a_portal_account_signs_on_the_tablet(
    client, coordinator, clinician, other_patient
):
    open_course(other_patient, clinician)
    client.force_login(coordinator)
    url = reverse("consents:tablet_sign", args=[other_patient.external_id])

    client.post(url, sign_data(other_patient))

    assert status_of(other_patient) == "current"


# --- Immutability -----------------------------------------------------------------------------


def test_the_database_refuses_to_change_a_signature(signed):
    with pytest.raises(DatabaseError), transaction.atomic():
        Signature.objects.filter(pk=signed.pk).update(typed_name="Someone Else")

    assert Signature.objects.get(pk=signed.pk).typed_name == "Pat Patient"


def test_saving_a_changed_signature_is_refused(signed):
    signed.signed_text = "Different words."

    with pytest.raises(DatabaseError), transaction.atomic():
        signed.save()


def test_the_database_refuses_to_change_a_published_version(clinic):
    version = services.current_version(clinic, DocumentKind.TREATMENT)

    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentVersion.objects.filter(pk=version.pk).update(body_markdown="Rewritten.")


def test_the_database_refuses_to_change_a_withdrawal(patient_user, signed):
    withdrawal = services.withdraw(actor=actor(patient_user), signature=signed, reason="x")

    with pytest.raises(DatabaseError), transaction.atomic():
        Withdrawal.objects.filter(pk=withdrawal.pk).update(reason="Never mind.")
