"""API: a patient's consents and sharing authorisations.

The same policy, access helper and services as the pages: a patient's own token signs in
the portal's name; a coordinator's or clinician's token signs for the patient at a clinic
tablet, its owner recorded as witness. Every write goes through `consents.services`, which
checks it, stores it and logs it in one transaction; what it refuses comes back as 422
with the field it is about, as the forms show it.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Body, Router
from ninja.errors import HttpError

from kapcare import policy
from kapcare.accounts.models import Role, User
from kapcare.audit.log import Actor
from kapcare.consents import rules, services
from kapcare.consents.models import (
    SharingAuthorization,
    Signature,
    SigningMethod,
    sha256_hex,
)
from kapcare.consents.schemas import (
    AuthorizationIn,
    AuthorizationOut,
    ConsentsOut,
    ConsentTextOut,
    RevocationIn,
    SignatureOut,
    TreatmentSignatureIn,
)
from kapcare.patients.access import get_patient, parse_external_id
from kapcare.patients.access import refused as refused_access
from kapcare.policy import Action

router = Router()

REFUSED = {
    422: {"description": "Not valid; `errors` names each field with its message."},
}


def refused(error: services.Refused) -> ValidationError:
    """The service's refusal in the API's error format (`errors` per field)."""
    return ValidationError({field: [message] for field, message in error.problems.items()})


def treatment_signing_for(user) -> tuple[Action, str]:
    """A patient signs in the portal; a coordinator or clinician signs with the patient at
    a clinic tablet, as witness. Any other role is refused by the witness action's policy."""
    if policy.can(user, Action.SIGN_OWN_CONSENT):
        return Action.SIGN_OWN_CONSENT, SigningMethod.PORTAL
    return Action.WITNESS_CONSENT, SigningMethod.CLINIC_TABLET


def get_authorization(request: HttpRequest, authorization_id, action: Action):
    """The authorisation with `authorization_id`, if `request.user` may do `action` on it;
    404 for an unknown id and one out of reach alike (see `get_patient`)."""
    records = SharingAuthorization.objects.select_related("patient__clinic")
    if not policy.can(request.user, action):
        raise refused_access(request, records, authorization_id, PermissionDenied())
    authorization = (
        SharingAuthorization.objects.select_related("patient__clinic", "signature")
        .filter(
            external_id=parse_external_id(authorization_id),
            patient__in=policy.visible_patients(request.user),
        )
        .first()
    )
    if authorization is None or not policy.can(request.user, action, authorization):
        raise refused_access(request, records, authorization_id, Http404("No such authorisation."))
    return authorization


# --- Treatment consent ------------------------------------------------------------------------


@router.get(
    "/patients/{patient_id}/consents",
    response=ConsentsOut,
    tags=["consents"],
    summary="A patient's signed consents and authorisations",
)
def list_consents(request: HttpRequest, patient_id: str) -> dict:
    """Every signature (treatment consents and sharing authorisations), newest first, and
    where the patient stands with the treatment consent of their current course
    (`model_changed`: the episode's model changed since they signed; `no_course`: no
    episode is open to consent to). The read is logged."""
    patient = get_patient(request, patient_id, Action.VIEW_CONSENTS)
    status, _, current = services.treatment_consent_status(patient)
    episode = services.consent_episode(patient)
    signatures = (
        Signature.objects.filter(patient_id=patient.pk)
        .select_related("version__document", "witnessed_by", "withdrawal", "episode")
        .order_by("-signed_at", "-id")
    )
    return {
        "treatment_status": status,
        "treatment_document": current.document.kind,
        "current_treatment_version": current.number,
        "episode_id": episode.external_id if episode else None,
        "care_model": episode.model if episode else None,
        "items": list(signatures),
    }


@router.get(
    "/patients/{patient_id}/consents/current",
    response=ConsentTextOut,
    tags=["consents"],
    summary="The treatment consent to sign",
)
def read_consent_to_sign(request: HttpRequest, patient_id: str) -> dict:
    """The current version of the treatment consent for the patient's current course as
    they sign it: the standalone-infusion consent for a standalone episode, the KAP consent
    otherwise; Markdown with their particulars and the course's model filled in, and the
    SHA-256 to send back when signing. 422 when no course is open. The read is logged."""
    patient = get_patient(request, patient_id, Action.VIEW_CONSENTS)
    episode = services.consent_episode(patient)
    if episode is None:
        raise ValidationError({"episode": services.NO_COURSE_TO_SIGN})
    version = services.treatment_version_for(patient, episode)
    text = services.text_to_sign(version, patient)
    return {
        "version": version.number,
        "document": version.document.kind,
        "episode_id": episode.external_id,
        "care_model": episode.model,
        "title": version.document.title,
        "text": text,
        "text_sha256": sha256_hex(text),
    }


@router.post(
    "/patients/{patient_id}/consents",
    response={201: SignatureOut},
    tags=["consents"],
    summary="Sign the treatment consent",
    openapi_extra={"responses": REFUSED},
)
def sign_consent(request: HttpRequest, patient_id: str, payload: TreatmentSignatureIn) -> Signature:
    """Records the patient's signature, for their current course, on the current version
    shown by `GET /patients/{id}/consents/current`: `version` and `text_sha256` must be that
    version's and that text's, so nothing is signed that the patient was not shown (a
    change of the course's model in between changes the text)."""
    action, method = treatment_signing_for(request.user)
    patient = get_patient(request, patient_id, action, log_as=None)
    if services.consent_episode(patient) is None:
        raise ValidationError({"episode": services.NO_COURSE_TO_SIGN})
    version = services.treatment_version_for(patient)
    text_url = f"GET /api/v1/patients/{patient.external_id}/consents/current"
    if payload.version != version.number:
        raise ValidationError(
            {
                "version": f"Version {payload.version} is not the current treatment consent; "
                f"sign version {version.number}, as {text_url} shows it."
            }
        )
    if payload.text_sha256.strip().lower() != sha256_hex(services.text_to_sign(version, patient)):
        raise ValidationError(
            {
                "text_sha256": f"This is not the SHA-256 of version {version.number} as this "
                f"patient signs it; show the text {text_url} gives and send its hash."
            }
        )
    try:
        signature = services.sign_treatment_consent(
            actor=Actor.from_request(request),
            patient=patient,
            version=version,
            signer=services.SignatureInput(
                typed_name=payload.typed_name,
                agreed=payload.agreed,
                user_agent=request.headers.get("User-Agent", ""),
                method=method,
            ),
            expected_sha256=payload.text_sha256.strip().lower(),
        )
    except services.Refused as error:
        raise refused(error) from error
    return signature


# --- Sharing authorisations -------------------------------------------------------------------


@router.get(
    "/patients/{patient_id}/authorizations",
    response=list[AuthorizationOut],
    tags=["authorizations"],
    summary="A patient's sharing authorisations",
)
def list_authorizations(request: HttpRequest, patient_id: str) -> list[SharingAuthorization]:
    """Newest first, active, expired and revoked alike. The read is logged."""
    patient = get_patient(request, patient_id, Action.VIEW_AUTHORIZATIONS)
    return services.authorizations_for_patient(patient)


def therapist_name_for(payload: AuthorizationIn) -> str:
    """The name sent, or else the name on the therapist's account, if they have one."""
    if payload.therapist_name.strip():
        return payload.therapist_name
    return (
        User.objects.filter(email__iexact=payload.therapist_email.strip(), role=Role.THERAPIST)
        .values_list("full_name", flat=True)
        .first()
        or ""
    )


@router.post(
    "/patients/{patient_id}/authorizations",
    response={201: AuthorizationOut},
    tags=["authorizations"],
    summary="Authorise sharing with a therapist",
    openapi_extra={"responses": REFUSED},
)
def create_authorization(
    request: HttpRequest, patient_id: str, payload: AuthorizationIn
) -> SharingAuthorization:
    """Records the patient's signed authorisation (HIPAA 45 CFR 164.508(c)) for one
    therapist to see the chosen scopes until `expires_on`. A therapist without an account
    is invited by email; the email names the clinic, never the patient."""
    patient = get_patient(request, patient_id, Action.AUTHORIZE_SHARING, log_as=None)
    is_patient = request.user.role == Role.PATIENT
    method = SigningMethod.PORTAL if is_patient else SigningMethod.CLINIC_TABLET
    expires_on = payload.expires_on or rules.default_expiry(
        services.clinic_today(patient.clinic), patient.clinic.sharing_authorization_months
    )
    try:
        authorization = services.authorize_sharing(
            actor=Actor.from_request(request),
            patient=patient,
            request=services.AuthorizationInput(
                therapist_email=payload.therapist_email,
                therapist_name=therapist_name_for(payload),
                scopes=payload.scopes,
                expires_on=expires_on,
                purpose=payload.purpose,
            ),
            signer=services.SignatureInput(
                typed_name=payload.typed_name,
                agreed=payload.agreed,
                user_agent=request.headers.get("User-Agent", ""),
                method=method,
            ),
            expected_sha256=None,
        )
    except services.Refused as error:
        raise refused(error) from error
    return authorization


@router.post(
    "/authorizations/{authorization_id}/revoke",
    response=AuthorizationOut,
    tags=["authorizations"],
    summary="Revoke a sharing authorisation",
    openapi_extra={"responses": {409: {"description": "Already revoked."}}},
)
def revoke_authorization(
    request: HttpRequest, authorization_id: str, payload: Body[RevocationIn | None] = None
) -> SharingAuthorization:
    """Ends the authorisation at once: the therapist's next request is refused. By the
    patient or the staff of their clinic; revoking twice is refused with 409."""
    authorization = get_authorization(request, authorization_id, Action.REVOKE_AUTHORIZATION)
    try:
        return services.revoke_authorization(
            actor=Actor.from_request(request),
            authorization=authorization,
            reason=payload.reason if payload is not None else "",
        )
    except services.Refused as error:
        raise HttpError(409, " ".join(error.problems.values())) from error
