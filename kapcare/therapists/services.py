"""Changes to the directory: add a therapist, change their entry, verify a credential.

A verification vouches for the facts that were checked: changing a credential's facts
(its `CREDENTIAL_FIELDS`) clears that credential's verification, whoever changes them —
staff or the therapist confirming their own entry."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kapcare.accounts.models import Role, User
from kapcare.refusals import Refused
from kapcare.therapists import rules
from kapcare.therapists.models import Credential, TherapistProfile

# The facts each verification covers.
CREDENTIAL_FIELDS: dict[Credential, tuple[str, ...]] = {
    Credential.LICENCE: ("licence_type", "licence_state", "licence_number", "licence_expires_on"),
    Credential.TRAINING: ("training_programme", "training_completed_on", "training_certificate"),
    Credential.ASKP3: ("is_askp3_member",),
}
VERIFICATION_FIELDS: dict[Credential, tuple[str, str]] = {
    Credential.LICENCE: ("licence_verified_at", "licence_verified_by"),
    Credential.TRAINING: ("training_verified_at", "training_verified_by"),
    Credential.ASKP3: ("askp3_verified_at", "askp3_verified_by"),
}
# What the therapist and staff may change through `update_profile`.
PROFILE_FIELDS = (
    "practice_name",
    "phone",
    "city",
    "state",
    "website",
    "modalities",
    "fee_per_session",
    "npi",
    "tin",
    "is_accepting_patients",
    *(field for fields in CREDENTIAL_FIELDS.values() for field in fields),
)
USER_FIELDS = ("full_name", "credentials")


def create_profile(
    *, actor, clinic, email: str, full_name: str, data: dict, credentials: str = ""
) -> TherapistProfile:
    """A new entry in `clinic`'s directory and the account it names, with no usable
    password: nobody can sign in as the therapist until they accept an invitation. An
    existing therapist account (named earlier by an episode or an authorisation, or listed
    by another clinic) gets the entry instead: each clinic keeps and verifies its own.
    Refused only when `clinic` already lists them; another clinic's entry is not told."""
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        if user is not None and user.role != Role.THERAPIST:
            raise Refused({"email": "This email belongs to someone who is not a therapist."})
        if (
            user is not None
            and TherapistProfile.objects.filter(clinic_id=clinic.pk, user_id=user.pk).exists()
        ):
            raise Refused({"email": "This therapist is already in the directory."})
        if user is None:
            user = User(
                email=email,
                full_name=full_name.strip(),
                credentials=credentials.strip(),
                role=Role.THERAPIST,
            )
            user.set_unusable_password()
            user.save()
        profile = TherapistProfile(user=user, clinic=clinic, created_by=actor.user)
        for field in PROFILE_FIELDS:
            if field in data:
                setattr(profile, field, data[field])
        profile.save()
    return profile


def changed_credentials(profile: TherapistProfile, data: dict) -> set[Credential]:
    """The credentials whose facts `data` changes."""
    return {
        credential
        for credential, fields in CREDENTIAL_FIELDS.items()
        if any(field in data and data[field] != getattr(profile, field) for field in fields)
    }


def update_profile(*, actor, profile: TherapistProfile, data: dict) -> set[Credential]:
    """Apply `data` (any of PROFILE_FIELDS and USER_FIELDS) to the entry; returns the
    credentials whose verification was cleared because their facts changed."""
    with transaction.atomic():
        locked = TherapistProfile.objects.select_for_update().get(pk=profile.pk)
        changed = changed_credentials(locked, data)
        cleared = {
            credential
            for credential in changed
            if getattr(locked, VERIFICATION_FIELDS[credential][0]) is not None
        }
        fields = [field for field in PROFILE_FIELDS if field in data]
        for field in fields:
            setattr(locked, field, data[field])
        for credential in changed:
            at, by = VERIFICATION_FIELDS[credential]
            setattr(locked, at, None)
            setattr(locked, by, None)
            fields += [at, by]
        locked.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
        user_fields = [field for field in USER_FIELDS if field in data]
        if user_fields:
            for field in user_fields:
                setattr(locked.user, field, data[field].strip())
            locked.user.save(update_fields=user_fields)
    profile.refresh_from_db()
    return cleared


def update_own_entries(
    *, actor, profiles: list[TherapistProfile], data: dict
) -> dict[int, set[Credential]]:
    """The therapist's own facts, typed once, applied to every entry that lists them (one
    per clinic), all or nothing. Each entry clears its own verifications of the
    credentials whose facts change for it; returns them by entry pk. A new certificate
    is stored once per entry (each clinic keeps its copy)."""
    certificate = data.get("training_certificate")
    content = None
    if certificate and len(profiles) > 1:
        certificate.seek(0)
        content, name = certificate.read(), certificate.name
    cleared = {}
    with transaction.atomic():
        for profile in profiles:
            entry_data = data
            if content is not None:
                entry_data = {**data, "training_certificate": ContentFile(content, name=name)}
            cleared[profile.pk] = update_profile(actor=actor, profile=profile, data=entry_data)
    return cleared


def _fact_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return str(value)  # a choice (LicenceType.LMFT) as the value stored, "lmft"
    return str(getattr(value, "name", value) or "")  # a certificate by its stored name


def credential_fingerprint(profile: TherapistProfile, credential: Credential) -> str:
    """A SHA-256 of one credential's facts (its CREDENTIAL_FIELDS) as they stand on
    `profile`: the verify form posts the fingerprint of the facts it showed, so that staff
    vouch only for facts they saw."""
    facts = [_fact_text(getattr(profile, field)) for field in CREDENTIAL_FIELDS[credential]]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()


CREDENTIAL_NAMES = {
    Credential.LICENCE: "licence",
    Credential.TRAINING: "KAP training",
    Credential.ASKP3: "ASKP3 membership",
}


def changed_since_seen(credential: Credential) -> str:
    return (
        f"The {CREDENTIAL_NAMES[credential]} details changed since you opened this page; "
        "check them again."
    )


def verify_credential(
    *, actor, profile: TherapistProfile, credential: Credential, fingerprint: str
) -> None:
    """Staff vouch that they checked one credential's facts (who, when): the facts whose
    `credential_fingerprint` they saw. Refused when the facts changed since (the row is
    read locked, so a change cannot slip in between), or when there is nothing to check."""
    at, by = VERIFICATION_FIELDS[credential]
    with transaction.atomic():
        locked = TherapistProfile.objects.select_for_update().get(pk=profile.pk)
        if fingerprint != credential_fingerprint(locked, credential):
            raise Refused({"credential": changed_since_seen(credential)})
        problem = nothing_to_verify(locked, credential)
        if problem:
            raise Refused({"credential": problem})
        setattr(locked, at, timezone.now())
        setattr(locked, by, actor.user)
        locked.save(update_fields=[at, by, "updated_at"])
    profile.refresh_from_db()


def nothing_to_verify(profile: TherapistProfile, credential: Credential) -> str:
    """Why `credential` cannot be verified yet (its facts are missing), or ""."""
    if credential == Credential.LICENCE and not (
        profile.licence_type and profile.licence_number and profile.licence_expires_on
    ):
        return "Enter the licence type, number and expiry before verifying it."
    if credential == Credential.TRAINING and not (
        profile.training_programme and profile.training_completed_on
    ):
        return "Enter the training programme and completion date before verifying it."
    if credential == Credential.ASKP3 and not profile.is_askp3_member:
        return "The therapist is not recorded as an ASKP3 member."
    return ""


# --- Reading the directory -------------------------------------------------------------------


def facts_of(profile: TherapistProfile) -> rules.CredentialFacts:
    """The entry's credentials as the pure rules take them."""
    return rules.CredentialFacts(
        licence_type=profile.licence_type,
        licence_state=profile.licence_state,
        licence_number=profile.licence_number,
        licence_expires_on=profile.licence_expires_on,
        licence_verified=profile.licence_verified_at is not None,
        training_programme=profile.training_programme,
        training_completed_on=profile.training_completed_on,
        training_verified=profile.training_verified_at is not None,
        has_training_certificate=bool(profile.training_certificate),
        is_askp3_member=profile.is_askp3_member,
        askp3_verified=profile.askp3_verified_at is not None,
    )


@dataclass(frozen=True)
class Standing:
    """An entry's credentials judged on one day: verified or not, and why."""

    is_verified: bool
    warnings: list[str]
    notes: list[str]


def standing_of(profile: TherapistProfile, today: date, warning_days: int) -> Standing:
    facts = facts_of(profile)
    return Standing(
        is_verified=rules.is_verified(facts, today),
        warnings=rules.credential_warnings(facts, today, warning_days),
        notes=rules.credential_notes(facts),
    )


def search_directory(
    clinic_id: int,
    *,
    name: str = "",
    place: str = "",
    modality: str = "",
    verified_on: date | None = None,
):
    """The clinic's entries matching every criterion given, in one query: `name` in the
    therapist's name, email or practice; `place` in the city or the state code; a modality;
    `verified_on` (a day) keeps the entries verified on it."""
    entries = TherapistProfile.objects.for_clinic(clinic_id).select_related("user")
    if name:
        entries = entries.filter(
            Q(user__full_name__icontains=name)
            | Q(user__email__icontains=name)
            | Q(practice_name__icontains=name)
        )
    if place:
        entries = entries.filter(Q(city__icontains=place) | Q(state__iexact=place))
    if verified_on is not None:
        entries = entries.verified_on(verified_on)
    if modality:
        # JSON containment is not on SQLite; the list is one clinic's directory, small
        # enough to filter in Python after the one query.
        return [entry for entry in entries if modality in entry.modalities]
    return list(entries)
