"""Consent: a patient's signature on a consent document (treatment consent, or the
authorisation to share with an outside therapist), active until withdrawn."""

from django.core.exceptions import ObjectDoesNotExist
from django.db.models.functions import Coalesce

from kapcare import policy
from kapcare.consents.models import TREATMENT_KINDS, DocumentKind, Signature
from kapcare.fhir import codes
from kapcare.fhir.resources.base import (
    Source,
    coding,
    instant,
    patient_reference,
    reference,
    without_empty,
)

# What a consent is about (hl7.org/fhir/R4/codesystem-consentscope.html): treatment, or
# the patient's privacy (an authorisation to disclose).
SCOPE = {"treatment": "Treatment", "patient-privacy": "Privacy Consent"}
# Every kapcare consent is a patient opting in (HL7 v3 ActCode OPTIN), the rule R4 asks
# for in `policyRule` where no policy document is referenced (invariant ppc-1).
OPT_IN = coding(codes.V3_ACT_CODE, "OPTIN", "opt-in")


def is_withdrawn(signature: Signature) -> bool:
    try:
        return signature.withdrawal is not None
    except ObjectDoesNotExist:
        return False


def to_fhir(signature: Signature) -> dict:
    scope = "treatment" if signature.kind in TREATMENT_KINDS else "patient-privacy"
    code, display = codes.CONSENT_CATEGORY_LOINC
    return without_empty(
        {
            "status": "inactive" if is_withdrawn(signature) else "active",
            "scope": {"coding": [coding(codes.CONSENT_SCOPE, scope, SCOPE[scope])]},
            "category": [
                {
                    "coding": [coding(codes.LOINC, code, display)],
                    "text": DocumentKind(signature.kind).label,
                }
            ],
            "patient": patient_reference(signature.patient),
            "dateTime": instant(signature.signed_at),
            "performer": [patient_reference(signature.patient)],
            "organization": [reference("Organization", signature.patient.clinic.external_id)],
            "sourceAttachment": {
                "contentType": "text/markdown",
                "title": signature.version.document.title,
                "creation": instant(signature.signed_at),
            },
            "policyRule": {"coding": [OPT_IN]},
        }
    )


SOURCE = Source(
    resource_type="Consent",
    model=Signature,
    actions=(policy.Action.VIEW_CONSENTS,),
    to_fhir_data=to_fhir,
    last_updated=Coalesce("withdrawal__withdrawn_at", "signed_at"),
    related=("patient__clinic", "version__document", "withdrawal"),
)
