"""Changes to the directory: add a therapist, change their entry, verify a credential.

A verification vouches for the facts that were checked: changing a credential's facts
(its `CREDENTIAL_FIELDS`) clears that credential's verification, whoever changes them —
staff or the therapist confirming their own entry."""

from django.db import transaction
from django.utils import timezone

from kapcare.accounts.models import Role, User
from kapcare.refusals import Refused
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
    "is_accepting_patients",
    *(field for fields in CREDENTIAL_FIELDS.values() for field in fields),
)
USER_FIELDS = ("full_name", "credentials")


def create_profile(*, actor, clinic, email: str, full_name: str, data: dict) -> TherapistProfile:
    """A new directory entry and the account it names, with no usable password: nobody can
    sign in as the therapist until they accept an invitation. An existing therapist
    account (named earlier by an episode or an authorisation) gets the entry instead."""
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        if user is not None and user.role != Role.THERAPIST:
            raise Refused({"email": "This email belongs to someone who is not a therapist."})
        if user is not None and TherapistProfile.objects.filter(user_id=user.pk).exists():
            raise Refused({"email": "This therapist is already in the directory."})
        if user is None:
            user = User(email=email, full_name=full_name.strip(), role=Role.THERAPIST)
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
        cleared = {
            credential
            for credential in changed_credentials(locked, data)
            if getattr(locked, VERIFICATION_FIELDS[credential][0]) is not None
        }
        fields = [field for field in PROFILE_FIELDS if field in data]
        for field in fields:
            setattr(locked, field, data[field])
        for credential in changed_credentials(profile, data):
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


def verify_credential(*, actor, profile: TherapistProfile, credential: Credential) -> None:
    """Staff vouch that they checked one credential's facts as they now stand (who, when).
    A credential with nothing to check cannot be verified."""
    problem = _unverifiable(profile, credential)
    if problem:
        raise Refused({"credential": problem})
    at, by = VERIFICATION_FIELDS[credential]
    with transaction.atomic():
        locked = TherapistProfile.objects.select_for_update().get(pk=profile.pk)
        setattr(locked, at, timezone.now())
        setattr(locked, by, actor.user)
        locked.save(update_fields=[at, by, "updated_at"])
    profile.refresh_from_db()


def _unverifiable(profile: TherapistProfile, credential: Credential) -> str:
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
