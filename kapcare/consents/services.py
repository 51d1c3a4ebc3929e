"""Writes for consents and sharing: publishing a document version, signing, withdrawing,
authorising a therapist and revoking. Each runs in one transaction with its access-log
row and is the only place its change is made, for the pages and the API alike; emails go
out on commit.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from django.apps import apps
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts import step_up
from kapcare.accounts.models import Role, User
from kapcare.accounts.step_up import Reauthentication
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.consents import defaults, placeholders, rules
from kapcare.consents.models import (
    TREATMENT_KINDS,
    ConsentDocument,
    ConsentVersion,
    DocumentKind,
    SharingAuthorization,
    Signature,
    SigningMethod,
    Withdrawal,
    sha256_hex,
    treatment_kind_for,
)
from kapcare.episodes.rules import CLOSED_STATES
from kapcare.links import absolute_url
from kapcare.notifications.models import NotificationKind
from kapcare.notifications.services import notify
from kapcare.patients.models import Patient
from kapcare.refusals import Refused
from kapcare.scopes import SCOPE_FIELDS, Scope
from kapcare.therapists.invitations import name_therapist

# --- Documents --------------------------------------------------------------------------------


def ensure_default_documents(clinic, *, published_at: datetime | None = None) -> None:
    """Give `clinic` the default treatment consent and sharing authorisation (version 1)
    the first time they are needed, published now (or at `published_at`: the demo's clinic
    opened months ago). A document that exists is never touched, so an admin's versions
    are never undone."""
    existing = set(
        ConsentDocument.objects.filter(clinic_id=clinic.pk).values_list("kind", flat=True)
    )
    for kind, (title, body) in defaults.DOCUMENTS.items():
        if kind in existing:
            continue
        with transaction.atomic():
            document, created = ConsentDocument.objects.get_or_create(
                clinic_id=clinic.pk, kind=kind, defaults={"title": title}
            )
            if created:
                ConsentVersion.objects.create(
                    document=document,
                    number=1,
                    body_markdown=body,
                    requires_reconsent=True,
                    change_summary="The default text shipped with kapcare.",
                    published_at=published_at or timezone.now(),
                )


def current_version(clinic, kind: str) -> ConsentVersion:
    ensure_default_documents(clinic)
    return (
        ConsentVersion.objects.select_related("document")
        .filter(document__clinic_id=clinic.pk, document__kind=kind)
        .order_by("-number")
        .first()
    )


def publish_version(
    *,
    actor: Actor,
    document: ConsentDocument,
    body_markdown: str,
    requires_reconsent: bool,
    reauthentication: Reauthentication | None,
    change_summary: str = "",
) -> ConsentVersion:
    """Publish the next version of `document`, the admin re-entering their code
    (`step_up`: a published version cannot be withdrawn, and patients may be asked to sign
    it again). Earlier versions stay as they were."""
    step_up.require(reauthentication, actor, what="publish the version")
    problems = {}
    if not body_markdown.strip():
        problems["body_markdown"] = "The document needs its text."
    unknown = rules.unknown_placeholders(body_markdown)
    if unknown:
        names = ", ".join("{{ " + name + " }}" for name in unknown)
        problems["body_markdown"] = (
            f"Unknown placeholder {names}. Use only: "
            + ", ".join("{{ " + name + " }}" for name in rules.PLACEHOLDERS)
            + "."
        )
    if problems:
        raise Refused(problems)
    with transaction.atomic():
        locked = ConsentDocument.objects.select_for_update().get(pk=document.pk)
        last = locked.versions.aggregate(n=Max("number"))["n"] or 0
        version = ConsentVersion.objects.create(
            document=locked,
            number=last + 1,
            body_markdown=body_markdown.strip() + "\n",
            requires_reconsent=requires_reconsent,
            change_summary=change_summary.strip(),
            published_by=actor.user,
            published_with=reauthentication.method,
        )
        record_access(actor, AccessAction.CREATE, obj=version, clinic_id=locked.clinic_id)
    return version


def consent_episode(patient: Patient):
    """The episode a treatment consent is signed for now: the patient's current course (the
    newest episode that is not closed), or None. Read through the app registry because
    `episodes` builds on `consents`, not the other way round."""
    Episode = apps.get_model("episodes", "Episode")
    return (
        Episode.objects.filter(patient_id=patient.pk)
        .exclude(state__in=CLOSED_STATES)
        .order_by("-created_at", "-id")
        .first()
    )


def treatment_version_for(patient: Patient, episode=None) -> ConsentVersion:
    """The current version of the treatment consent for `episode` (default: the patient's
    current course): the standalone-infusion consent for a standalone infusion, the KAP
    consent otherwise (and while no course is open)."""
    episode = episode if episode is not None else consent_episode(patient)
    kind = treatment_kind_for(episode.model) if episode is not None else DocumentKind.TREATMENT
    return current_version(patient.clinic, kind)


def particulars(patient: Patient, names: Collection[str] | None = None, **extra) -> dict[str, str]:
    """The values of the placeholders for `patient`: the clinic's and the patient's own,
    the model of care of their current course, those other apps registered
    (`placeholders`; only the ones in `names` when given, as they may cost queries), then
    `extra`."""
    clinic = patient.clinic
    values = {
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone or "the clinic",
        "patient_name": patient.full_name,
        "patient_birth_date": f"{patient.birth_date:%B} {patient.birth_date.day}, "
        f"{patient.birth_date.year}",
    }
    if (names is None or "care_model" in names) and "care_model" not in extra:
        episode = consent_episode(patient)
        values["care_model"] = rules.care_model_words(episode.model if episode else None)
    values.update(placeholders.values_for(patient, names))
    values.update(extra)
    return values


def text_to_sign(version: ConsentVersion, patient: Patient, **extra) -> str:
    """The exact Markdown the patient reads and signs: the version's text with the
    particulars filled in. Its SHA-256 is stored with the signature."""
    body = version.body_markdown
    values = particulars(patient, rules.placeholder_names(body), **extra)
    return rules.fill_placeholders(body, values)


# --- Signing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureInput:
    """What the signer gave: the typed name, the explicit agreement, and how they signed."""

    typed_name: str
    agreed: bool
    user_agent: str = ""
    method: str = SigningMethod.PORTAL


def _signature_problems(patient: Patient, signer: SignatureInput) -> dict[str, str]:
    problems = {}
    name_problem = rules.typed_name_problem(signer.typed_name, patient.full_name)
    if name_problem:
        problems["typed_name"] = name_problem
    if not signer.agreed:
        problems["agreed"] = "Tick the box to say you have read and agree."
    return problems


def _method_problems(actor: Actor, signer: SignatureInput) -> dict[str, str]:
    """Who may sign how: the patient in the portal; staff only with the patient at a clinic
    tablet, the staff member then recorded as witness."""
    role = getattr(actor.user, "role", None)
    if signer.method == SigningMethod.PORTAL and role != Role.PATIENT:
        return {"__all__": "Only the patient signs in the portal."}
    if signer.method == SigningMethod.CLINIC_TABLET and role not in (
        Role.COORDINATOR,
        Role.CLINICIAN,
    ):
        return {"__all__": "A clinic tablet signature needs a coordinator or clinician present."}
    if signer.method not in SigningMethod.values:
        return {"__all__": "Unknown signing method."}
    return {}


def _create_signature(
    actor, patient, version, text, signer, episode=None, signed_at: datetime | None = None
) -> Signature:
    witness = actor.user if signer.method == SigningMethod.CLINIC_TABLET else None
    return Signature.objects.create(
        patient=patient,
        version=version,
        kind=version.document.kind,
        episode=episode,
        care_model=episode.model if episode is not None else "",
        signed_text=text,
        text_sha256=sha256_hex(text),
        typed_name=" ".join(signer.typed_name.split()),
        agreed=True,
        signed_at=signed_at or timezone.now(),
        ip_address=actor.ip_address,
        user_agent=signer.user_agent[:500],
        method=signer.method,
        signed_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
        witnessed_by=witness,
    )


def sign_treatment_consent(
    *,
    actor: Actor,
    patient: Patient,
    version: ConsentVersion,
    signer: SignatureInput,
    expected_sha256: str,
    now: datetime | None = None,
) -> Signature:
    """Record the patient's signature on `version` of the treatment consent, for their
    current course of care and naming its model, signed now (`now`: the demo's story
    signs at its own time, as the dose services take `now`).

    `expected_sha256` is the hash of the text the signer was shown; if the text to sign
    has changed since (a new version, a changed model of care, a changed clinic name), the
    signature is refused rather than recorded against words the patient did not read.
    """
    if version.document.kind not in TREATMENT_KINDS:
        raise ValueError("Not a treatment consent.")
    problems = _method_problems(actor, signer) or _signature_problems(patient, signer)
    if problems:
        raise Refused(problems)
    with transaction.atomic():
        episode = consent_episode(patient)
        if episode is None:
            raise Refused({"__all__": NO_COURSE_TO_SIGN})
        latest = treatment_version_for(patient, episode)
        text = text_to_sign(version, patient)
        if latest.pk != version.pk or sha256_hex(text) != expected_sha256:
            raise Refused(
                {
                    "__all__": "The consent changed while you were reading it. Read the current "
                    "text below and sign again."
                }
            )
        signature = _create_signature(actor, patient, version, text, signer, episode, now)
        record_access(actor, AccessAction.CREATE, patient=patient, obj=signature)
    return signature


NO_COURSE_TO_SIGN = (
    "There is no open course of care to consent to: the treatment consent is signed for "
    "one course and names its model, so the clinic opens the course first."
)


def withdraw(*, actor: Actor, signature: Signature, reason: str = "") -> Withdrawal:
    """Record that the patient withdraws a signed treatment consent (the signature stays)."""
    if signature.kind not in TREATMENT_KINDS:
        raise Refused({"__all__": "A sharing authorisation is revoked, not withdrawn."})
    with transaction.atomic():
        if Withdrawal.objects.filter(signature_id=signature.pk).exists():
            raise Refused({"__all__": "This consent was already withdrawn."})
        withdrawal = Withdrawal.objects.create(
            signature=signature, withdrawn_by=actor.user, reason=reason.strip()
        )
        record_access(actor, AccessAction.UPDATE, patient=signature.patient, obj=withdrawal)
    return withdrawal


def episode_consent_status(
    episode, patient: Patient | None = None
) -> tuple[str, Signature | None, ConsentVersion]:
    """(status, latest treatment signature for `episode` or None, the current version of
    the document its model asks for), in three queries: gate 2 reads the status.
    `patient` is the episode's, when the caller has it with its clinic."""
    patient = patient if patient is not None else episode.patient
    current = treatment_version_for(patient, episode)
    signature = (
        Signature.objects.filter(episode_id=episode.pk, kind__in=TREATMENT_KINDS)
        .select_related("version", "withdrawal")
        .order_by("-signed_at", "-id")
        .first()
    )
    reconsent = set(
        ConsentVersion.objects.filter(
            document_id=current.document_id, requires_reconsent=True
        ).values_list("number", flat=True)
    )
    # A signature on the other document (the episode's model moved between KAP and a
    # standalone infusion) names another treatment, whatever its model field says.
    on_right_document = signature is not None and signature.version.document_id == (
        current.document_id
    )
    status = rules.consent_status(
        signature.version.number if signature else None,
        signature is not None and hasattr(signature, "withdrawal"),
        current.number,
        reconsent,
        signed_for_model=signature.care_model if on_right_document else None,
        episode_model=episode.model,
    )
    return status, signature, current


def treatment_consent_status(patient: Patient) -> tuple[str, Signature | None, ConsentVersion]:
    """Where the patient stands with the treatment consent of their current course: as
    `episode_consent_status`; with no course open, `NO_COURSE`, their latest treatment
    signature (for an earlier course) and the KAP consent's current version."""
    episode = consent_episode(patient)
    if episode is not None:
        return episode_consent_status(episode, patient)
    latest = (
        Signature.objects.filter(patient_id=patient.pk, kind__in=TREATMENT_KINDS)
        .select_related("version", "withdrawal")
        .order_by("-signed_at", "-id")
        .first()
    )
    return rules.NO_COURSE, latest, current_version(patient.clinic, DocumentKind.TREATMENT)


# --- Sharing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationInput:
    therapist_email: str
    therapist_name: str
    scopes: list[str]
    expires_on: date | None
    purpose: str = ""


DEFAULT_PURPOSE = (
    "To coordinate my ketamine-assisted psychotherapy between the clinic and my therapist."
)


def clinic_today(clinic) -> date:
    return timezone.localtime(timezone.now(), clinic.zone).date()


def authorization_particulars(patient: Patient, request: AuthorizationInput) -> dict[str, str]:
    expires = request.expires_on
    return {
        "therapist_name": request.therapist_name.strip(),
        "therapist_email": request.therapist_email.strip().lower(),
        "shared_items": "\n".join(
            f"- {Scope(scope).label}" for scope in Scope.values if scope in request.scopes
        ),
        "purpose": request.purpose.strip() or DEFAULT_PURPOSE,
        "expires_on": f"{expires:%B} {expires.day}, {expires.year}" if expires else "",
    }


def _authorization_problems(patient: Patient, request: AuthorizationInput) -> dict[str, str]:
    problems = {}
    email = request.therapist_email.strip().lower()
    if not email or "@" not in email:
        problems["therapist_email"] = "Enter the therapist's email address."
    if not request.therapist_name.strip():
        problems["therapist_name"] = "Enter the therapist's name."
    unknown = [s for s in request.scopes if s not in Scope.values]
    if unknown:
        problems["scopes"] = f"Unknown part of the record: {', '.join(unknown)}."
    elif not request.scopes:
        problems["scopes"] = "Choose at least one part of your record to share."
    expiry = rules.expiry_problem(
        request.expires_on,
        clinic_today(patient.clinic),
        patient.clinic.sharing_authorization_months,
    )
    if expiry:
        problems["expires_on"] = expiry
    if "therapist_email" not in problems:
        account = User.objects.filter(email__iexact=email).first()
        if account is not None and account.role != Role.THERAPIST:
            problems["therapist_email"] = (
                "This email belongs to an account that is not a therapist's; check the address."
            )
    return problems


def authorize_sharing(
    *,
    actor: Actor,
    patient: Patient,
    request: AuthorizationInput,
    signer: SignatureInput,
    expected_sha256: str | None,
) -> SharingAuthorization:
    """Record the patient's signed authorisation to share the chosen scopes with one
    therapist. A therapist without an account is invited by email (the email names the
    clinic only, never the patient). `expected_sha256` is the hash of the text the signer
    was shown (None from the API, where the caller sends the particulars themselves)."""
    problems = _method_problems(actor, signer) or _authorization_problems(
        patient, request
    ) | _signature_problems(patient, signer)
    if problems:
        raise Refused(problems)
    clinic = patient.clinic
    email = request.therapist_email.strip().lower()
    with transaction.atomic():
        version = current_version(clinic, DocumentKind.SHARING)
        values = authorization_particulars(patient, request)
        text = text_to_sign(version, patient, **values)
        if expected_sha256 is not None and sha256_hex(text) != expected_sha256:
            raise Refused(
                {
                    "__all__": "The authorisation text changed while you were reading it. Read "
                    "it again below and sign."
                }
            )
        # A new therapist becomes an entry in the clinic's directory, invited to accept it.
        therapist = name_therapist(
            actor=actor,
            clinic=clinic,
            email=email,
            full_name=request.therapist_name.strip(),
        )
        signature = _create_signature(actor, patient, version, text, signer)
        expires_at = timezone.make_aware(
            timezone.datetime.combine(
                date.fromordinal(request.expires_on.toordinal() + 1), timezone.datetime.min.time()
            ),
            clinic.zone,
        )
        authorization = SharingAuthorization.objects.create(
            patient=patient,
            clinic=clinic,
            therapist=therapist,
            therapist_name=values["therapist_name"],
            therapist_email=email,
            purpose=values["purpose"],
            expires_on=request.expires_on,
            expires_at=expires_at,
            signature=signature,
            created_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
            **{field: scope in request.scopes for scope, field in SCOPE_FIELDS.items()},
        )
        record_access(actor, AccessAction.CREATE, patient=patient, obj=signature)
        record_access(actor, AccessAction.CREATE, patient=patient, obj=authorization)
        _notify_therapist(authorization, "granted")
    return authorization


def revoke_authorization(
    *, actor: Actor, authorization: SharingAuthorization, reason: str = ""
) -> SharingAuthorization:
    """Revoke at once: the policy reads `revoked_at` on every request, so the therapist's
    next request is refused. Revoking twice is refused (the first revocation stands)."""
    with transaction.atomic():
        locked = SharingAuthorization.objects.select_for_update().get(pk=authorization.pk)
        if locked.revoked_at is not None:
            raise Refused({"__all__": "This authorisation was already revoked."})
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor.user if getattr(actor.user, "is_authenticated", False) else None
        locked.revocation_reason = reason.strip()
        locked.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=locked)
        _notify_therapist(locked, "revoked")
    return locked


def _notify_therapist(authorization: SharingAuthorization, event: str) -> None:
    """Tell the therapist that access was granted or ended. The email carries no health
    information and not even the patient's name: only the clinic and a link to sign in."""
    notify(
        key=f"therapist-access:{authorization.external_id}:{event}",
        kind=NotificationKind.ACCOUNT,
        to=authorization.therapist_email,
        subject=f"A change to your access at {authorization.clinic.name}",
        template="consents/email/therapist_access.txt",
        context={
            "clinic": authorization.clinic,
            "event": event,
            "link": absolute_url(reverse("accounts:login")),
        },
    )


def authorizations_for_patient(patient: Patient) -> list[SharingAuthorization]:
    return list(
        SharingAuthorization.objects.filter(patient_id=patient.pk)
        .select_related("signature", "revoked_by")
        .order_by("-created_at", "-id")
    )


def authorization_problems(patient: Patient, request: AuthorizationInput) -> dict[str, str]:
    """What is wrong with the details of an authorisation, field by field: the checks
    `authorize_sharing` makes, run before the patient is asked to read and sign the text."""
    return _authorization_problems(patient, request)
