"""Staff invite from the directory page; the therapist keeps their own entry; naming a new
therapist on an episode or an authorisation makes a directory entry and an invitation."""

import datetime as dt

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role, User
from kapcare.audit.log import Actor
from kapcare.episodes import services as episode_services
from kapcare.therapists.models import TherapistInvitation, TherapistProfile
from kapcare.therapists.tests.directory_factories import add_therapist, certificate, verify
from kapcare.therapists.tests.test_invitations_fixtures import accept_form, invite
from tests.factories import authorize

OWN_PROFILE = reverse("therapist_account:own_profile")


def invite_url(profile) -> str:
    return reverse("therapist_account:invite", args=[profile.external_id])


def detail_url(profile) -> str:
    return reverse("therapists:detail", args=[profile.external_id])


# --- Inviting from the directory ---------------------------------------------------------------


def test_staff_invite_and_are_told_to_whom_and_until_when(
    client, coordinator, django_capture_on_commit_callbacks
):
    profile = add_therapist(coordinator)
    client.force_login(coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(invite_url(profile), follow=True)

    invitation = TherapistInvitation.objects.get()
    until = timezone.localtime(invitation.expires_at, profile.clinic.zone)
    assert response.redirect_chain == [(detail_url(profile), 302)]
    assert (
        f"Invitation sent to tess@practice.example, valid until {until:%B} {until.day}, "
        f"{until.year}." in response.content.decode()
    )
    assert mail.outbox[-1].to == ["tess@practice.example"]


def test_staff_of_another_clinic_get_404_and_nothing_is_sent(client, coordinator, outsider):
    profile = add_therapist(coordinator)
    client.force_login(outsider)

    response = client.post(invite_url(profile))

    assert response.status_code == 404
    assert not TherapistInvitation.objects.exists()


def test_a_therapist_cannot_invite(client, coordinator, therapist):
    profile = add_therapist(coordinator)
    client.force_login(therapist)

    response = client.post(invite_url(profile))

    assert response.status_code == 403
    assert not TherapistInvitation.objects.exists()


def test_inviting_someone_who_has_an_account_says_so(client, coordinator, therapist):
    profile = add_therapist(coordinator, email=therapist.email)
    client.force_login(coordinator)

    response = client.post(invite_url(profile), follow=True)

    assert "already has an account" in response.content.decode()
    assert not TherapistInvitation.objects.exists()


def test_the_invite_page_answers_only_post(client, coordinator):
    client.force_login(coordinator)

    assert client.get(invite_url(add_therapist(coordinator))).status_code == 405


def test_the_directory_page_shows_each_state_of_the_invitation(
    client, coordinator, django_capture_on_commit_callbacks
):
    profile = add_therapist(coordinator)
    client.force_login(coordinator)

    def page() -> str:
        return client.get(detail_url(profile)).content.decode()

    assert "Not invited" in page()
    assert "Send an invitation to tess@practice.example" in page()
    invitation = invite(profile, coordinator)
    assert "Invitation pending" in page()
    assert "Send a new invitation" in page()
    TherapistInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert "Invitation expired" in page()
    TherapistProfile.objects.filter(pk=profile.pk).update(invitation_accepted_at=timezone.now())
    assert "Account active" in page()
    assert "Send a new invitation" not in page()


# --- The therapist's own entry -----------------------------------------------------------------


def accepted(coordinator, **data):
    """A directory entry invited by `coordinator` whose therapist has set a password."""
    profile = add_therapist(coordinator, **data)
    invite(profile, coordinator)
    user = profile.user
    user.set_password("seven swans a-swimming")
    user.save(update_fields=["password"])
    return profile


def test_the_therapist_edits_their_entry_and_is_told_which_verifications_were_cleared(
    client, coordinator
):
    profile = verify(accepted(coordinator), coordinator)
    client.force_login(profile.user)

    response = client.post(
        OWN_PROFILE,
        accept_form(profile, training_programme="MAPS KAP training", fee_per_session="180"),
        follow=True,
    )

    page = response.content.decode()
    assert "Your directory entry is saved." in page
    assert "You changed your KAP training: Music City Ketamine will verify it again" in page
    profile.refresh_from_db()
    assert (profile.training_programme, profile.fee_per_session) == ("MAPS KAP training", 180)
    assert profile.training_verified_at is None
    assert profile.licence_verified_at is not None


def test_a_certificate_that_is_not_a_pdf_or_image_is_refused_at_the_field(client, coordinator):
    profile = accepted(coordinator)
    client.force_login(profile.user)

    response = client.post(
        OWN_PROFILE,
        {
            **accept_form(profile, city="Franklin"),
            "training_certificate": certificate(b"MZ\x90\x00", "c.pdf"),
        },
    )

    assert list(response.context["form"].errors) == ["training_certificate"]
    assert 'value="Franklin"' in response.content.decode()
    assert TherapistProfile.objects.get().city == "Nashville"


def test_a_therapist_no_clinic_has_listed_is_told_so(client, therapist):
    client.force_login(therapist)

    response = client.get(OWN_PROFILE)

    assert response.status_code == 200
    assert "No clinic has listed you in its directory yet" in response.content.decode()


def test_the_therapist_finds_their_entry_in_the_menu(client, therapist):
    client.force_login(therapist)

    labels = dict(client.get(reverse("therapist_home")).context["nav_items"])

    assert labels["Your directory entry"] == OWN_PROFILE


def test_the_own_entry_page_reads_the_entry_in_one_query(client, coordinator):
    profile = accepted(coordinator)
    client.force_login(profile.user)

    with CaptureQueriesContext(connection) as queries:
        assert client.get(OWN_PROFILE).status_code == 200

    reads = [q for q in queries.captured_queries if "therapists_therapistprofile" in q["sql"]]
    assert len(reads) == 1  # the entry with its account and clinic, joined


def test_the_invitation_on_the_directory_page_costs_the_same_for_one_or_many_sent(
    client, coordinator, django_assert_max_num_queries
):
    profile = add_therapist(coordinator)
    invite(profile, coordinator)
    client.force_login(coordinator)
    client.get(detail_url(profile))  # the session is settled
    with CaptureQueriesContext(connection) as one:
        client.get(detail_url(profile))
    for _ in range(4):
        invite(profile, coordinator)

    with django_assert_max_num_queries(len(one)):
        response = client.get(detail_url(profile))

    assert "Invitation pending" in response.content.decode()


# --- Naming a new therapist elsewhere ----------------------------------------------------------


def test_a_new_therapist_named_on_an_episode_becomes_an_invited_directory_entry(
    patient, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        episode = episode_services.open_episode_naming_therapist(
            actor=Actor(user=coordinator, ip_address="127.0.0.1"),
            patient=patient,
            data=episode_services.EpisodeInput(model="blended", diagnosis_code="F33.2"),
            therapist=episode_services.TherapistInput(email="Nia@Practice.example", name="Nia New"),
        )

    profile = TherapistProfile.objects.get(user__email="nia@practice.example")
    assert episode.therapist_id == profile.user_id
    assert (profile.clinic_id, profile.created_by_id) == (patient.clinic_id, coordinator.pk)
    assert not profile.user.has_usable_password()
    assert TherapistInvitation.objects.get(profile=profile).created_by_id == coordinator.pk
    message = mail.outbox[-1]
    assert "/invitations/" in message.body
    assert "password-reset" not in message.body
    for name in (patient.given_name, patient.family_name):
        assert name not in message.subject + message.body


def test_a_new_therapist_named_in_an_authorisation_becomes_an_invited_directory_entry(
    patient, django_capture_on_commit_callbacks
):
    newcomer = User(full_name="Nina Newcomer", email="nina@practice.example")

    with django_capture_on_commit_callbacks(execute=True):
        authorization = authorize(patient, newcomer)

    profile = TherapistProfile.objects.get(user=authorization.therapist)
    assert (profile.user.role, profile.user.clinic_id, profile.clinic_id) == (
        Role.THERAPIST,
        None,
        patient.clinic_id,
    )
    assert TherapistInvitation.objects.filter(profile=profile).count() == 1
    invitation_emails = [m for m in mail.outbox if "/invitations/" in m.body]
    assert [m.to for m in invitation_emails] == [["nina@practice.example"]]
    assert patient.family_name not in invitation_emails[0].body


def test_an_existing_therapist_is_found_not_invited_again(
    patient, coordinator, therapist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        episode = episode_services.open_episode_naming_therapist(
            actor=Actor(user=coordinator, ip_address="127.0.0.1"),
            patient=patient,
            data=episode_services.EpisodeInput(model="blended", diagnosis_code="F33.2"),
            therapist=episode_services.TherapistInput(email=therapist.email),
        )

    assert episode.therapist_id == therapist.pk
    assert not TherapistInvitation.objects.exists()
    assert mail.outbox == []
