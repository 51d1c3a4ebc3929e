"""Helpers shared by the consent document tests (no tests here): signatures, versions and
authorisations made through the services, as the pages make them."""

import datetime as dt

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.consents import services
from kapcare.consents.models import ConsentDocument, DocumentKind, SigningMethod, sha256_hex
from tests.factories import UserFactory, open_episode
from tests.second_factor import reauthenticated

USER_AGENT = "Mozilla/5.0 (pytest) kapcare-tests"


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def treatment_document(clinic) -> ConsentDocument:
    services.ensure_default_documents(clinic)
    return ConsentDocument.objects.get(clinic=clinic, kind=DocumentKind.TREATMENT)


def sign(patient, *, by, method=SigningMethod.PORTAL, model="blended"):
    """`patient` signs the current treatment consent for their current course, `by` being
    the signed-in account. Without an open course, one of `model` is opened first (by a
    clinician of the clinic), as a treatment consent is always signed for a course."""
    if services.consent_episode(patient) is None:
        open_episode(patient, UserFactory(role=Role.CLINICIAN, clinic=patient.clinic), model)
    version = services.treatment_version_for(patient)
    text = services.text_to_sign(version, patient)
    return services.sign_treatment_consent(
        actor=actor(by),
        patient=patient,
        version=version,
        signer=services.SignatureInput(
            typed_name=patient.full_name, agreed=True, user_agent=USER_AGENT, method=method
        ),
        expected_sha256=sha256_hex(text),
    )


def publish(clinic, admin, *, requires_reconsent=True, summary="Clarified the cost section."):
    """Publish the next version of the clinic's treatment consent (its text plus a line)."""
    document = treatment_document(clinic)
    current = services.current_version(clinic, DocumentKind.TREATMENT)
    return services.publish_version(
        actor=actor(admin),
        document=document,
        body_markdown=current.body_markdown + "\nWe reviewed this text again.\n",
        requires_reconsent=requires_reconsent,
        change_summary=summary,
        reauthentication=reauthenticated(admin),
    )


def authorize(patient, *, by, therapist):
    """`patient` authorises `therapist` to see their measures for 30 days."""
    expires_on = services.clinic_today(patient.clinic) + dt.timedelta(days=30)
    request = services.AuthorizationInput(
        therapist_email=therapist.email,
        therapist_name=therapist.full_name,
        scopes=["measures"],
        expires_on=expires_on,
    )
    values = services.authorization_particulars(patient, request)
    version = services.current_version(patient.clinic, DocumentKind.SHARING)
    text = services.text_to_sign(version, patient, **values)
    return services.authorize_sharing(
        actor=actor(by),
        patient=patient,
        request=request,
        signer=services.SignatureInput(typed_name=patient.full_name, agreed=True),
        expected_sha256=sha256_hex(text),
    )
