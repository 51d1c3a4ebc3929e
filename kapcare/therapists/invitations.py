"""Inviting an outside therapist: staff send a link, the therapist opens it, sets a password
and confirms their directory entry.

Until they accept, the therapist exists only as a directory entry: their account has no
usable password, so nobody can sign in as them and Django's password-reset form sends
them nothing (it skips accounts without a usable password).

The link is single use (`accepted_at`), expires after the clinic's
`therapist_invitation_valid_days`, and a newer invitation supersedes an older one. The
token is a credential: only its SHA-256 is stored (as `accounts.ApiToken`), and the
outbox wipes the email's body once it is sent. The email names the clinic, the link and
when it expires — never a patient. Directory entries are professional information, not
patient data, so nothing here writes the access log; who invited is on the invitation.
"""

import datetime as dt
import secrets
from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role, User, hash_token
from kapcare.audit.log import Actor
from kapcare.links import absolute_url
from kapcare.notifications.models import NotificationKind
from kapcare.notifications.services import notify
from kapcare.refusals import Refused
from kapcare.therapists import services
from kapcare.therapists.models import Credential, TherapistInvitation, TherapistProfile

TOKEN_BYTES = 32

PENDING, EXPIRED, ACCEPTED, SUPERSEDED, NOT_INVITED, HAS_ACCOUNT = (
    "pending",
    "expired",
    "accepted",
    "superseded",
    "not_invited",
    "has_account",
)


class InvitationError(ValueError):
    """An invitation link that does not work; `invitation` is None for an unknown one."""

    reason = "unknown"

    def __init__(self, invitation: TherapistInvitation | None = None) -> None:
        super().__init__(self.reason)
        self.invitation = invitation


class InvitationUnknown(InvitationError):
    reason = "unknown"


class InvitationExpired(InvitationError):
    reason = EXPIRED


class InvitationUsed(InvitationError):
    reason = ACCEPTED


class InvitationSuperseded(InvitationError):
    reason = SUPERSEDED


class InvitationNotNeeded(InvitationError):
    """The therapist set a password meanwhile (another clinic's invitation): a link never
    sets a password again."""

    reason = HAS_ACCOUNT


ERRORS = {
    EXPIRED: InvitationExpired,
    ACCEPTED: InvitationUsed,
    SUPERSEDED: InvitationSuperseded,
}


def invitation_url(token: str) -> str:
    return absolute_url(reverse("therapist_account:accept", args=[token]))


def _refusal(actor_user, profile: TherapistProfile) -> dict[str, str]:
    if getattr(actor_user, "clinic_id", None) != profile.clinic_id:
        return {"__all__": "This therapist is in another clinic's directory."}
    user = profile.user
    if profile.has_accepted_invitation or user.has_usable_password():
        return {
            "__all__": f"{user.display_name} already has an account and needs no invitation: "
            f"they sign in with {user.email} and their password (or reset it from the "
            "sign-in page)."
        }
    if not user.is_active:
        return {"__all__": f"{user.display_name}'s account is deactivated."}
    return {}


def invite_therapist(*, actor, profile: TherapistProfile) -> TherapistInvitation:
    """Email `profile`'s therapist a link to set a password and confirm their entry.

    Refused when the therapist already has an account (a password set through another
    clinic's invitation, say) or the entry is another clinic's.
    Any pending invitation is superseded: only the newest link works. Runs in the
    caller's transaction when there is one (the email goes out on commit)."""
    clinic = profile.clinic
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    with transaction.atomic():
        # Locked, so that two re-sends at once leave one pending invitation, and an
        # acceptance meanwhile is seen.
        locked = (
            TherapistProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
        )
        problems = _refusal(actor.user, locked)
        if problems:
            raise Refused(problems)
        TherapistInvitation.objects.filter(
            profile_id=profile.pk,
            accepted_at__isnull=True,
            superseded_at__isnull=True,
        ).update(superseded_at=now)
        invitation = TherapistInvitation.objects.create(
            profile=profile,
            token_hash=hash_token(token),
            created_at=now,
            created_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
            expires_at=now + dt.timedelta(days=clinic.therapist_invitation_valid_days),
        )
        notify(
            key=f"invitation:{invitation.external_id}",
            kind=NotificationKind.INVITATION,
            to=profile.user.email,
            subject=f"{clinic.name} invites you to kapcare",
            template="therapists/email/invitation.txt",
            context={
                "clinic": clinic,
                "name": profile.user.full_name,
                "url": invitation_url(token),
                "expires_at": invitation.expires_at,
            },
        )
    return invitation


def add_and_invite_therapist(*, actor, clinic, email: str, full_name: str) -> User:
    """A therapist named for the first time (on an episode, in a sharing authorisation)
    becomes an entry in `clinic`'s directory and is invited to accept it; returns their
    account, which has no usable password until they do. Runs in the caller's
    transaction, so a refused episode or authorisation invites nobody."""
    try:
        with transaction.atomic():
            profile = services.create_profile(
                actor=actor, clinic=clinic, email=email, full_name=full_name, data={}
            )
            invite_therapist(actor=actor, profile=profile)
    except Refused as refused:
        raise Refused(
            {
                "therapist_email" if field == "email" else field: message
                for field, message in refused.problems.items()
            }
        ) from refused
    return profile.user


def name_therapist(*, actor, clinic, email: str, full_name: str) -> User:
    """The account of the therapist an episode or a sharing authorisation names by email:
    a new therapist is added to `clinic`'s directory and invited (`add_and_invite_therapist`);
    a therapist with an account whom this clinic does not list yet gets an entry, unverified
    (no invitation: they already have an account), so the clinic's warnings ask for the
    credentials to be checked. Runs in the caller's transaction."""
    email = email.strip().lower()
    account = User.objects.filter(email__iexact=email).first()
    if account is None:
        return add_and_invite_therapist(
            actor=actor, clinic=clinic, email=email, full_name=full_name
        )
    if (
        account.role == Role.THERAPIST
        and not TherapistProfile.objects.filter(clinic_id=clinic.pk, user_id=account.pk).exists()
    ):
        services.create_profile(
            actor=actor, clinic=clinic, email=email, full_name=account.full_name, data={}
        )
    return account


def invitation_for_token(token: str, *, for_update: bool = False) -> TherapistInvitation:
    """The pending invitation `token` opens. Raises InvitationUnknown (no such link),
    InvitationUsed, InvitationExpired or InvitationSuperseded."""
    invitations = TherapistInvitation.objects.select_related("profile__user", "profile__clinic")
    if for_update:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(token_hash=hash_token(token)).first() if token else None
    if invitation is None:
        raise InvitationUnknown()
    _check_works(invitation, invitation.profile.user)
    return invitation


def _check_works(invitation: TherapistInvitation, user: User) -> None:
    """Raise the InvitationError of a link that does not work now. A therapist listed by
    two clinics may hold two links: once one has set their password, the other sets
    nothing (their account exists)."""
    state = invitation.state_on(timezone.now())
    if state != ACCEPTED and user.has_usable_password():
        raise InvitationNotNeeded(invitation)
    if state != PENDING:
        raise ERRORS[state](invitation)


@dataclass(frozen=True)
class Acceptance:
    user: User
    cleared: frozenset[Credential]  # credentials whose verification the changes cleared


def accept_invitation(
    *, invitation: TherapistInvitation, password: str, profile_data: dict
) -> Acceptance:
    """Set the therapist's password and apply the entry as they confirmed it, all or
    nothing, with the invitation locked so that a link works once. Refused at `password`
    when Django's validators refuse it; raises InvitationError when the link stopped
    working meanwhile."""
    with transaction.atomic():
        locked = (
            TherapistInvitation.objects.select_for_update()
            .select_related("profile__user")
            .get(pk=invitation.pk)
        )
        profile = locked.profile
        # The account locked too: two clinics' links accepted at once set one password.
        user = User.objects.select_for_update().get(pk=profile.user_id)
        profile.user = user
        _check_works(locked, user)
        now = timezone.now()
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise Refused({"password": " ".join(error.messages)}) from error
        user.set_password(password)
        user.save(update_fields=["password"])
        locked.accepted_at = now
        locked.save(update_fields=["accepted_at"])
        TherapistProfile.objects.filter(pk=profile.pk).update(invitation_accepted_at=now)
        profile.invitation_accepted_at = now
        cleared = services.update_profile(
            actor=Actor(user=user, ip_address=None), profile=profile, data=profile_data
        )
    return Acceptance(user=user, cleared=frozenset(cleared))


@dataclass(frozen=True)
class InvitationStatus:
    """What the directory page says about inviting a therapist."""

    state: str  # NOT_INVITED, PENDING, EXPIRED or ACCEPTED (a superseded one is never last)
    invitation: TherapistInvitation | None
    accepted_at: dt.datetime | None = None

    @property
    def can_invite(self) -> bool:
        return self.state in {NOT_INVITED, EXPIRED, PENDING}

    @property
    def label(self) -> str:
        return {
            NOT_INVITED: "Not invited",
            PENDING: "Invitation pending",
            EXPIRED: "Invitation expired",
            ACCEPTED: "Account active",
        }[self.state]


def invitation_status(
    profile: TherapistProfile, now: dt.datetime | None = None
) -> InvitationStatus:
    """The state of `profile`'s invitation, from its newest one (one query). A therapist
    who had an account before the directory existed counts as accepted."""
    now = now or timezone.now()
    latest = TherapistInvitation.objects.filter(profile_id=profile.pk).first()
    if profile.has_accepted_invitation or profile.user.has_usable_password():
        return InvitationStatus(ACCEPTED, latest, profile.invitation_accepted_at)
    if latest is None:
        return InvitationStatus(NOT_INVITED, None)
    state = latest.state_on(now)
    return InvitationStatus(EXPIRED if state == SUPERSEDED else state, latest)
