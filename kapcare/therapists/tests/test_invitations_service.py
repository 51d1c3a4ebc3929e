"""Sending an invitation: who may be invited, what is stored, what the email says."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from kapcare.accounts.models import User, hash_token
from kapcare.audit.log import Actor
from kapcare.notifications.models import Notification, NotificationKind
from kapcare.refusals import Refused
from kapcare.therapists import invitations
from kapcare.therapists.models import TherapistInvitation
from kapcare.therapists.tests.directory_factories import add_therapist
from kapcare.therapists.tests.test_invitations_fixtures import (
    invite,
    link_in_last_email,
    token_of,
)


def test_an_invitation_expires_after_the_clinics_setting(clinic, coordinator):
    clinic.therapist_invitation_valid_days = 5
    clinic.save(update_fields=["therapist_invitation_valid_days"])
    profile = add_therapist(coordinator)

    invitation = invite(profile, coordinator)

    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=5)
    assert invitation.created_by == coordinator


def test_the_email_names_the_clinic_the_link_and_the_expiry(
    coordinator, django_capture_on_commit_callbacks
):
    profile = add_therapist(coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        invite(profile, coordinator)

    message = mail.outbox[-1]
    assert message.to == ["tess@practice.example"]
    assert message.subject == "Music City Ketamine invites you to kapcare"
    assert "http://testserver/invitations/" in message.body
    assert "expires on" in message.body


def test_the_token_is_stored_only_as_its_hash_and_wiped_from_the_outbox_once_sent(
    coordinator, django_capture_on_commit_callbacks
):
    profile = add_therapist(coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(profile, coordinator)

    token = token_of(link_in_last_email())
    invitation.refresh_from_db()
    assert token not in invitation.token_hash
    assert invitation.token_hash == hash_token(token)
    notification = Notification.objects.get(key=f"invitation:{invitation.external_id}")
    assert (notification.kind, notification.body) == (NotificationKind.INVITATION, "")
    assert notification.sent_at is not None


def test_a_new_invitation_supersedes_the_pending_one(coordinator):
    profile = add_therapist(coordinator)
    first = invite(profile, coordinator)

    second = invite(profile, coordinator)

    first.refresh_from_db()
    assert first.superseded_at is not None
    assert second.state_on(timezone.now()) == "pending"
    assert invitations.invitation_status(profile).invitation == second


def test_a_therapist_who_has_an_account_is_not_invited(coordinator, therapist):
    profile = add_therapist(coordinator, email=therapist.email)

    with pytest.raises(Refused) as refused:
        invite(profile, coordinator)

    assert "already has an account" in refused.value.problems["__all__"]
    assert not TherapistInvitation.objects.exists()


def test_another_clinics_entry_cannot_be_invited(coordinator, outsider):
    profile = add_therapist(coordinator)

    with pytest.raises(Refused) as refused:
        invite(profile, outsider)

    assert refused.value.problems == {"__all__": "This therapist is in another clinic's directory."}
    assert not TherapistInvitation.objects.exists()


def test_an_unknown_token_is_an_unknown_invitation(coordinator):
    invite(add_therapist(coordinator), coordinator)

    with pytest.raises(invitations.InvitationUnknown):
        invitations.invitation_for_token("not-a-token")


def test_a_deactivated_therapist_is_not_invited(coordinator):
    profile = add_therapist(coordinator)
    profile.user.is_active = False
    profile.user.save(update_fields=["is_active"])

    with pytest.raises(Refused) as refused:
        invite(profile, coordinator)

    assert "deactivated" in refused.value.problems["__all__"]


@pytest.mark.parametrize(
    ("days_later", "state"),
    [(0, "pending"), (13, "pending"), (15, "expired")],
)
def test_the_directory_shows_the_state_of_the_newest_invitation(coordinator, days_later, state):
    profile = add_therapist(coordinator)
    invitation = invite(profile, coordinator)

    status = invitations.invitation_status(
        profile, now=invitation.created_at + dt.timedelta(days=days_later)
    )

    assert status.state == state
    assert status.can_invite


def test_an_entry_never_invited_is_not_invited_and_an_old_account_counts_as_accepted(
    coordinator, therapist
):
    assert invitations.invitation_status(add_therapist(coordinator)).state == "not_invited"
    with_account = add_therapist(coordinator, email=therapist.email)
    status = invitations.invitation_status(with_account)
    assert (status.state, status.can_invite) == ("accepted", False)


def test_a_staff_account_cannot_become_a_therapist_by_invitation(coordinator, clinician):
    with pytest.raises(Refused) as refused:
        invitations.add_and_invite_therapist(
            actor=Actor(user=coordinator, ip_address=None),
            clinic=coordinator.clinic,
            email=clinician.email,
            full_name="Cal",
        )

    assert "therapist_email" in refused.value.problems
    assert User.objects.get(email=clinician.email).role == "clinician"
