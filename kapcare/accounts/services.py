"""Account changes that span a user record and an email: invitations and deactivation."""

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from kapcare.accounts.models import Role, User
from kapcare.links import absolute_url
from kapcare.notifications.models import NotificationKind
from kapcare.notifications.services import notify


class InvitationError(ValueError):
    pass


def set_password_link(user: User) -> str:
    """A single-use link to choose a password: Django's reset token, which stops working
    once the password is set, and expires after PASSWORD_RESET_TIMEOUT."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", args=[uid, token])
    return absolute_url(path)


def invite_user(
    *,
    invited_by: User,
    email: str,
    full_name: str,
    role: Role,
    clinic,
    credentials: str = "",
) -> User:
    """Create an account with no usable password and email a link to choose one.

    The email carries no health information: only the clinic's name and the link.
    """
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise InvitationError("An account with this email already exists.")
    with transaction.atomic():
        # An outside therapist belongs to no clinic; `clinic` is then the one inviting them.
        user = User(
            email=email,
            full_name=full_name,
            role=role,
            clinic=None if role == Role.THERAPIST else clinic,
            credentials=credentials,
        )
        user.set_unusable_password()
        user.save()
        link = set_password_link(user)
        context = {"user": user, "clinic": clinic, "link": link, "invited_by": invited_by}
        notify(
            key=f"account-invitation:{user.pk}",
            kind=NotificationKind.INVITATION,
            to=email,
            subject=f"Your kapcare account at {clinic.name}",
            template="accounts/email/invitation.txt",
            context=context,
            # A patient's portal invitation carries their clinic's name and logo.
            clinic=clinic if role == Role.PATIENT else None,
        )
    return user


def set_active(*, user: User, is_active: bool) -> None:
    """Deactivate or reactivate an account. Accounts are never deleted: the access log and
    every record they signed point at them."""
    if user.is_active != is_active:
        user.is_active = is_active
        user.save(update_fields=["is_active"])
