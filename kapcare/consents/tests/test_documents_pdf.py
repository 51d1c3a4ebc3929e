"""A signed document as PDF: what it prints (the signed text, not today's), who may have
it, and the export row in the access log."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents import pdf, services
from kapcare.consents.models import Signature, SigningMethod, sha256_hex
from kapcare.consents.tests.test_documents_fixtures import (
    actor,
    authorize,
    publish,
    sign,
)
from tests.factories import UserFactory


@pytest.fixture
def signed(patient, patient_user):
    """The patient's signature on the current treatment consent, in the portal."""
    return sign(patient, by=patient_user)


def pdf_url(signature) -> str:
    return reverse("consents:signature_pdf", args=[signature.external_id])


def pdf_text(response) -> str:
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_is_an_attachment_named_without_the_patient(client, patient_user, signed):
    client.force_login(patient_user)

    response = client.get(pdf_url(signed))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"] == (
        f'attachment; filename="consent-{signed.external_id}.pdf"'
    )
    assert "Patient" not in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]


def test_the_printed_hash_is_the_hash_of_the_stored_text(client, coordinator, patient, signed):
    client.force_login(coordinator)

    text = pdf_text(client.get(pdf_url(signed)))

    stored = Signature.objects.get(pk=signed.pk)
    assert stored.hash_matches
    assert sha256_hex(stored.signed_text) in text
    assert stored.text_sha256 in text


def test_pdf_prints_the_signature_block(client, coordinator, clinician, patient):
    signature = sign(patient, by=clinician, method=SigningMethod.CLINIC_TABLET)
    client.force_login(coordinator)

    text = pdf_text(client.get(pdf_url(signature)))

    assert "Consent to ketamine-assisted psychotherapy" in text
    assert "off-label" in text
    assert "Pat Patient" in text
    assert "On a clinic tablet, with staff present" in text
    assert "Cal Clinician, CRNA" in text
    assert "127.0.0.1" in text
    assert "KAP treatment consent, version 1" in text
    assert "America/Chicago" in text


def test_pdf_prints_the_text_signed_not_the_versions_text_today(
    client, coordinator, patient, clinic, signed
):
    clinic.name = "Renamed Ketamine Clinic"
    clinic.save(update_fields=["name"])
    client.force_login(coordinator)

    text = pdf_text(client.get(pdf_url(signed)))

    assert "agree to ketamine-assisted psychotherapy at Music City Ketamine" in " ".join(
        text.split()
    )


def test_pdf_of_an_older_version_keeps_its_text(
    client, patient_user, patient, clinic, clinic_admin, signed
):
    publish(clinic, clinic_admin)
    client.force_login(patient_user)

    text = pdf_text(client.get(pdf_url(signed)))

    assert "version 1" in text
    assert "We reviewed this text again." not in text


def test_pdf_shows_the_withdrawal(client, patient_user, signed):
    services.withdraw(actor=actor(patient_user), signature=signed, reason="Changed my mind.")
    client.force_login(patient_user)

    text = " ".join(pdf_text(client.get(pdf_url(signed))).split())

    assert "This consent was withdrawn on" in text
    assert "Changed my mind." in text


def test_a_sharing_authorisation_has_its_own_file_name(client, patient_user, patient, therapist):
    authorization = authorize(patient, by=patient_user, therapist=therapist)
    client.force_login(patient_user)

    response = client.get(pdf_url(authorization.signature))

    assert response.status_code == 200
    assert (
        f"sharing-authorisation-{authorization.signature.external_id}.pdf"
        in (response["Content-Disposition"])
    )


def test_the_pdf_is_logged_as_an_export_of_the_signature(client, clinician, patient, signed):
    client.force_login(clinician)
    before = AccessLogEntry.objects.count()

    client.get(pdf_url(signed))

    rows = list(AccessLogEntry.objects.order_by("id")[before:])
    assert [(r.action, r.patient_id, r.object_type, r.object_id) for r in rows] == [
        (AccessAction.EXPORT, patient.pk, "signature", str(signed.external_id))
    ]


def test_staff_of_another_clinic_get_404_and_only_the_refusal_is_logged(client, outsider, signed):
    client.force_login(outsider)
    before = set(AccessLogEntry.objects.values_list("pk", flat=True))

    assert client.get(pdf_url(signed)).status_code == 404
    added = AccessLogEntry.objects.exclude(pk__in=before)
    assert list(added.values_list("action", flat=True)) == [AccessAction.REFUSED]


@pytest.mark.parametrize("role", ["admin", "clinician"])
def test_other_clinic_roles_get_404_too(client, other_clinic, signed, role):
    client.force_login(UserFactory(role=role, clinic=other_clinic))

    assert client.get(pdf_url(signed)).status_code == 404


def test_a_therapist_is_refused(client, therapist, signed):
    client.force_login(therapist)

    assert client.get(pdf_url(signed)).status_code == 403


def test_a_therapist_with_an_authorisation_is_still_refused(
    client, therapist, patient, patient_user, signed
):

    authorize(patient, by=patient_user, therapist=therapist)
    client.force_login(therapist)

    assert client.get(pdf_url(signed)).status_code == 403


def test_another_patient_gets_404(client, clinic, other_patient, signed):
    other_user = UserFactory(role="patient", clinic=clinic)
    other_patient.user = other_user
    other_patient.save(update_fields=["user"])
    client.force_login(other_user)

    assert client.get(pdf_url(signed)).status_code == 404


def test_an_unknown_signature_is_404(client, coordinator):
    client.force_login(coordinator)

    url = reverse("consents:signature_pdf", args=["00000000-0000-4000-8000-000000000000"])

    assert client.get(url).status_code == 404


def test_filename_never_names_the_patient(signed):
    assert pdf.filename(signed) == f"consent-{signed.external_id}.pdf"
