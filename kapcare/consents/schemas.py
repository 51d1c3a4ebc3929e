"""API schemas for consents and sharing authorisations.

A signature and an authorisation are named by their opaque external ids. What a signer
sends is checked by `consents.services`, the module the pages use too, so the API refuses
with the same messages, keyed by the same field names.
"""

import datetime as dt
import uuid
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Schema
from pydantic import Field, WithJsonSchema

from kapcare.api_schemas import InputSchema
from kapcare.consents.models import DocumentKind, SharingAuthorization, Signature, SigningMethod
from kapcare.consents.sharing_forms import RevokeForm
from kapcare.scopes import Scope
from kapcare.text import form_text, model_text

# Taken as sent and checked by the service, whose message names the unknown scope: a schema
# enum here would answer "scopes.0: Input should be …" for the first one only.
ScopeName = Annotated[
    str, WithJsonSchema({"type": "string", "enum": list(Scope.values)}, mode="validation")
]
TreatmentStatus = Literal[
    "not_signed", "current", "outdated", "withdrawn", "model_changed", "no_course"
]
TreatmentDocument = Literal["treatment", "standalone_infusion"]
AuthorizationStatus = Literal["active", "expired", "revoked"]
TypedName = model_text(Signature, "typed_name")
# Only true is accepted; false is refused by the service, whose message asks for the tick.
Agreed = Annotated[
    bool,
    WithJsonSchema(
        {"const": True, "description": "Must be true: the patient read the text and agrees."},
        mode="validation",
    ),
]


class SignatureOut(Schema):
    id: uuid.UUID
    kind: DocumentKind
    title: str = Field(description="The document's title.")
    version: int = Field(description="The number of the document version signed.")
    signed_at: dt.datetime
    typed_name: str
    method: SigningMethod
    witness_name: str | None = Field(
        description="The staff member present at a clinic-tablet signature; null in the portal."
    )
    text_sha256: str = Field(description="SHA-256 (hex) of the exact text signed.")
    withdrawn_at: dt.datetime | None
    episode_id: uuid.UUID | None = Field(
        description="The episode a treatment consent was signed for; null on an authorisation "
        "(and on a consent signed before consents were per episode, when its episode could "
        "not be told)."
    )
    care_model: str | None = Field(
        description="The model of care the signed treatment consent names (`in_session`, "
        "`bracketed`, `blended`, `standalone`); null when it names none."
    )

    @staticmethod
    def resolve_id(signature: Signature) -> uuid.UUID:
        return signature.external_id

    @staticmethod
    def resolve_episode_id(signature: Signature) -> uuid.UUID | None:
        return signature.episode.external_id if signature.episode_id else None

    @staticmethod
    def resolve_care_model(signature: Signature) -> str | None:
        return signature.care_model or None

    @staticmethod
    def resolve_title(signature: Signature) -> str:
        return signature.version.document.title

    @staticmethod
    def resolve_version(signature: Signature) -> int:
        return signature.version.number

    @staticmethod
    def resolve_witness_name(signature: Signature) -> str | None:
        return signature.witnessed_by.full_name if signature.witnessed_by_id else None

    @staticmethod
    def resolve_withdrawn_at(signature: Signature) -> dt.datetime | None:
        withdrawal = getattr(signature, "withdrawal", None)
        return withdrawal.withdrawn_at if withdrawal is not None else None


class ConsentsOut(Schema):
    treatment_status: TreatmentStatus = Field(
        description="Where the patient's current course stands with its treatment consent: "
        "`outdated` when a later version asks for re-consent, `model_changed` when the "
        "course's model changed since signing (re-consent), `no_course` when no episode is "
        "open to consent to."
    )
    treatment_document: TreatmentDocument = Field(
        description="The consent the current course asks for: the KAP consent, or the "
        "standalone-infusion consent for a standalone episode."
    )
    current_treatment_version: int
    episode_id: uuid.UUID | None = Field(description="The current course, if one is open.")
    care_model: str | None = Field(description="The current course's model of care.")
    items: list[SignatureOut] = Field(description="Every signature, newest first.")


class ConsentTextOut(Schema):
    version: int
    document: TreatmentDocument = Field(description="Which treatment consent this is.")
    episode_id: uuid.UUID = Field(description="The course of care it is signed for.")
    care_model: str = Field(description="The course's model of care, which the text names.")
    title: str
    text: str = Field(description="Markdown, with the patient's particulars filled in.")
    text_sha256: str = Field(description="Send it back when signing.")


class TreatmentSignatureIn(InputSchema):
    """The patient's signature on the current treatment consent, as shown by
    `GET /patients/{id}/consents/current`."""

    typed_name: TypedName = Field(description="The patient's full name as on their record.")
    agreed: Agreed
    version: int = Field(description="The version number of the text shown.")
    text_sha256: model_text(Signature, "text_sha256") = Field(
        description="SHA-256 (hex) of the text shown."
    )


class AuthorizationIn(InputSchema):
    """The patient's signed authorisation to share parts of their record with one
    therapist."""

    therapist_email: model_text(SharingAuthorization, "therapist_email")
    therapist_name: model_text(SharingAuthorization, "therapist_name") = Field(
        "", description="Required unless a therapist account with this email exists."
    )
    scopes: list[ScopeName] = Field(
        description="What is shared; at least one.", json_schema_extra={"minItems": 1}
    )
    expires_on: dt.date | None = Field(
        None,
        description="The last day in force; by default the clinic's authorisation length "
        "(12 months) from today.",
    )
    purpose: model_text(SharingAuthorization, "purpose") = Field(
        "", description="Why; by default coordinating the patient's KAP."
    )
    typed_name: TypedName = Field(description="The patient's full name as on their record.")
    agreed: Agreed


class RevocationIn(InputSchema):
    reason: form_text(RevokeForm, "reason") = ""


class AuthorizationOut(Schema):
    id: uuid.UUID
    therapist_name: str
    therapist_email: str
    scopes: list[ScopeName]
    purpose: str
    expires_on: dt.date
    status: AuthorizationStatus
    signature_id: uuid.UUID
    text_sha256: str = Field(description="SHA-256 (hex) of the authorisation text signed.")
    signed_at: dt.datetime
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_id(authorization: SharingAuthorization) -> uuid.UUID:
        return authorization.external_id

    @staticmethod
    def resolve_status(authorization: SharingAuthorization) -> str:
        return authorization.status_on(timezone.now())

    @staticmethod
    def resolve_signature_id(authorization: SharingAuthorization) -> uuid.UUID:
        return authorization.signature.external_id

    @staticmethod
    def resolve_text_sha256(authorization: SharingAuthorization) -> str:
        return authorization.signature.text_sha256

    @staticmethod
    def resolve_signed_at(authorization: SharingAuthorization) -> dt.datetime:
        return authorization.signature.signed_at
