"""A therapist who works with two clinics has an entry in each clinic's directory, under one
account: each clinic adds, keeps and verifies its own entry, sees only its own, and judges
its episodes and doses by its own; the therapist keeps their facts once for every entry."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from kapcare import policy
from kapcare.accounts.models import ApiToken, Role, User
from kapcare.audit.log import Actor
from kapcare.episodes import services as episodes
from kapcare.therapists import invitations, registrations, services
from kapcare.therapists.models import Credential, TherapistProfile
from kapcare.therapists.tests.directory_factories import (
    PDF,
    add_therapist,
    certificate,
    complete_credentials,
    verify,
)
from kapcare.therapists.tests.test_invitations_fixtures import (
    PASSWORD,
    accept_form,
    invite,
    link_in_last_email,
)
from tests.factories import PatientFactory, UserFactory, open_episode, plan_session

EMAIL = "tess@practice.example"
OWN_PROFILE = reverse("therapist_account:own_profile")


@pytest.fixture
def other_clinician(other_clinic):
    return UserFactory(
        email="olly@elsewhere.example",
        full_name="Olly Otherclinic",
        role=Role.CLINICIAN,
        clinic=other_clinic,
    )


@pytest.fixture
def listed_by_a(coordinator):
    """Tess, in the first clinic's directory with her licence and training verified."""
    return verify(add_therapist(coordinator), coordinator)


def detail_url(profile) -> str:
    return reverse("therapists:detail", args=[profile.external_id])


def entry_form(**changes) -> dict:
    form = {
        "full_name": "Tess Therapist",
        "email": EMAIL,
        "licence_type": "lmft",
        "licence_state": "TN",
        "licence_number": "LMFT-1234",
        "licence_expires_on": complete_credentials()["licence_expires_on"].isoformat(),
        "is_accepting_patients": "on",
    }
    return form | changes


# --- Adding a therapist another clinic lists ------------------------------------------------------


def test_a_second_clinic_adds_a_therapist_another_clinic_lists_without_being_told(
    client, outsider, listed_by_a
):
    client.force_login(outsider)

    response = client.post(reverse("therapists:create"), entry_form(), follow=True)

    entry = TherapistProfile.objects.get(clinic=outsider.clinic)
    assert response.redirect_chain == [(detail_url(entry), 302)]
    assert entry.user_id == listed_by_a.user_id
    page = response.content.decode()
    assert listed_by_a.clinic.name not in page
    assert "already in the directory" not in page
    # Each clinic verifies for itself: the first clinic's verification is not copied.
    assert entry.licence_verified_at is None
    assert entry.training_verified_at is None


def test_a_clinic_still_cannot_list_the_same_therapist_twice(coordinator, listed_by_a):
    with pytest.raises(services.Refused) as refused:
        add_therapist(coordinator)

    assert refused.value.problems == {"email": "This therapist is already in the directory."}
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapistProfile.objects.create(user=listed_by_a.user, clinic=listed_by_a.clinic)


def test_each_clinic_sees_only_its_own_entry(client, coordinator, outsider, listed_by_a):
    theirs = add_therapist(outsider)
    client.force_login(coordinator)

    assert client.get(detail_url(theirs)).status_code == 404
    assert [
        e.profile.pk for e in client.get(reverse("therapists:directory")).context["entries"]
    ] == [listed_by_a.pk]


# --- Warnings and the gate: by the episode's clinic's own entry ---------------------------------


def test_a_second_clinics_episode_warns_until_that_clinic_lists_and_verifies_the_therapist(
    outsider, other_clinician, outsider_patient, listed_by_a
):
    episode = open_episode(outsider_patient, other_clinician, therapist=listed_by_a.user)
    today = timezone.localdate()

    # (The patient has authorised no one: that warning stays, last, throughout.)
    assert registrations.episode_warnings([episode], today)[episode.pk] == [
        registrations.NOT_IN_DIRECTORY,
        registrations.NOT_AUTHORISED,
    ]

    theirs = add_therapist(outsider)
    assert registrations.episode_warnings([episode], today)[episode.pk] == [
        "Outside therapist: Licence not verified by the clinic.",
        "Outside therapist: KAP training not verified by the clinic.",
        registrations.NOT_AUTHORISED,
    ]

    verify(theirs, other_clinician)
    assert registrations.episode_warnings([episode], today)[episode.pk] == [
        registrations.NOT_AUTHORISED
    ]


def test_the_warnings_of_two_clinics_episodes_come_from_each_clinics_entry_in_two_queries(
    clinician,
    patient,
    outsider,
    other_clinician,
    outsider_patient,
    listed_by_a,
    django_assert_num_queries,
):
    add_therapist(outsider)  # listed, not verified, by the second clinic
    ours = open_episode(patient, clinician, therapist=listed_by_a.user)
    theirs = open_episode(outsider_patient, other_clinician, therapist=listed_by_a.user)
    episodes = [ours, theirs]
    for episode in episodes:
        episode.clinic  # noqa: B018 — fetched before counting, as the episode list does

    with django_assert_num_queries(2):
        found = registrations.episode_warnings(episodes, timezone.localdate())

    assert found[ours.pk] == [registrations.NOT_AUTHORISED]
    assert "Outside therapist: Licence not verified by the clinic." in found[theirs.pk]


def test_the_dose_gate_of_a_second_clinic_reads_its_own_entry_and_links_to_it(
    outsider, other_clinician, outsider_patient, listed_by_a
):
    episode = open_episode(outsider_patient, other_clinician, therapist=listed_by_a.user)
    session = plan_session(episode, other_clinician)

    (gate,) = registrations.therapist_gates(session, timezone.now())
    assert "The therapist is not in the clinic's directory." in gate.message
    assert gate.fix_url == reverse("therapists:create")

    theirs = verify(add_therapist(outsider), other_clinician)
    (gate,) = registrations.therapist_gates(session, timezone.now())
    assert "directory" not in gate.message
    assert gate.fix_url == detail_url(theirs)


# --- Who may read an entry ----------------------------------------------------------------------


def test_an_entry_is_read_by_its_clinics_staff_and_by_the_therapist_it_names(
    coordinator, outsider, listed_by_a
):
    theirs = add_therapist(outsider)
    tess = User.objects.get(email=EMAIL)
    tess.set_password(PASSWORD)
    tess.save()

    assert policy.can_read_therapist_profile(coordinator, listed_by_a)
    assert not policy.can_read_therapist_profile(coordinator, theirs)
    assert policy.can_read_therapist_profile(outsider, theirs)
    assert not policy.can_read_therapist_profile(outsider, listed_by_a)
    assert policy.can_read_therapist_profile(tess, listed_by_a)
    assert policy.can_read_therapist_profile(tess, theirs)
    other_therapist = UserFactory(role=Role.THERAPIST, clinic=None)
    assert not policy.can_read_therapist_profile(other_therapist, theirs)


def test_the_api_gives_each_clinic_its_own_entry_and_flags(client, outsider, listed_by_a):
    theirs = add_therapist(outsider)
    _, token = ApiToken.issue(outsider, "tests")

    body = client.get("/api/v1/therapists", headers={"Authorization": f"Bearer {token}"}).json()

    assert [(t["id"], t["licence_verified"]) for t in body] == [(str(theirs.external_id), False)]


def test_a_patient_finds_only_the_therapists_their_clinic_verified(
    client, patient_user, outsider, other_clinician, listed_by_a
):
    other_patient_user = UserFactory(role=Role.PATIENT, clinic=outsider.clinic)
    PatientFactory(clinic=outsider.clinic, user=other_patient_user)
    add_therapist(outsider)  # not verified by the second clinic
    client.force_login(other_patient_user)

    assert client.get(reverse("therapists:find")).context["profiles"] == []

    client.force_login(patient_user)
    assert [p.pk for p in client.get(reverse("therapists:find")).context["profiles"]] == [
        listed_by_a.pk
    ]


# --- Invitations: one account, one password ------------------------------------------------------


def sent_link(profile, by, capture) -> str:
    with capture(execute=True):
        invite(profile, by)
    return link_in_last_email()


def test_a_therapist_with_an_account_needs_no_invitation_from_a_second_clinic(
    client, coordinator, outsider, listed_by_a, django_capture_on_commit_callbacks
):
    client.post(
        sent_link(listed_by_a, coordinator, django_capture_on_commit_callbacks),
        accept_form(listed_by_a),
    )
    theirs = add_therapist(outsider)
    sent = len(mail.outbox)
    client.force_login(outsider)

    page = client.get(detail_url(theirs)).content.decode()

    assert "Tess Therapist already has an account and needs no invitation" in page
    assert reverse("therapist_account:invite", args=[theirs.external_id]) not in page
    response = client.post(
        reverse("therapist_account:invite", args=[theirs.external_id]), follow=True
    )
    assert "already has an account and needs no invitation" in response.content.decode()
    assert len(mail.outbox) == sent
    assert not theirs.invitations.exists()


def test_once_one_clinics_link_set_the_password_the_other_clinics_link_sets_nothing(
    client, coordinator, outsider, listed_by_a, django_capture_on_commit_callbacks
):
    theirs = add_therapist(outsider)
    second_link = sent_link(theirs, outsider, django_capture_on_commit_callbacks)
    first_link = sent_link(listed_by_a, coordinator, django_capture_on_commit_callbacks)
    client.post(first_link, accept_form(listed_by_a))
    client.logout()

    response = client.get(second_link)

    assert response.status_code == 410
    assert "You already have an account" in response.content.decode()
    response = client.post(second_link, accept_form(theirs, password="another one entirely"))
    assert response.status_code == 410
    assert User.objects.get(email=EMAIL).check_password(PASSWORD)
    pending = theirs.invitations.get()
    with pytest.raises(invitations.InvitationNotNeeded):
        invitations.accept_invitation(
            invitation=pending, password="another one entirely", profile_data={}
        )
    assert User.objects.get(email=EMAIL).check_password(PASSWORD)


# --- The therapist's own entries: typed once, saved to each ---------------------------------------


@pytest.fixture
def listed_by_both(coordinator, outsider, listed_by_a):
    """Tess, signed in, listed and verified by both clinics."""
    theirs = verify(add_therapist(outsider), outsider)
    tess = listed_by_a.user
    tess.set_password(PASSWORD)
    tess.save()
    return listed_by_a, theirs


def own_form(profile, **changes) -> dict:
    data = accept_form(profile, **changes)
    del data["password"], data["password_again"]
    return data


def test_the_own_entry_page_names_every_clinic_that_lists_the_therapist(client, listed_by_both):
    ours, theirs = listed_by_both
    client.force_login(ours.user)

    page = client.get(OWN_PROFILE).content.decode()

    assert f"You are listed in the directories of {ours.clinic.name} and " in page or (
        f"You are listed in the directories of {theirs.clinic.name} and " in page
    )
    assert f"What {ours.clinic.name} has verified" in page
    assert f"What {theirs.clinic.name} has verified" in page


def test_a_change_typed_once_updates_every_entry_and_clears_each_clinics_verification(
    client, listed_by_both
):
    ours, theirs = listed_by_both
    client.force_login(ours.user)

    response = client.post(
        OWN_PROFILE, own_form(ours, licence_number="LMFT-9999", city="Memphis"), follow=True
    )

    page = response.content.decode()
    for entry in (ours, theirs):
        entry.refresh_from_db()
        assert (entry.licence_number, entry.city) == ("LMFT-9999", "Memphis")
        assert entry.licence_verified_at is None
        assert entry.training_verified_at is not None
        assert f"{entry.clinic.name} will verify it again" in page
    assert "are saved" in page


def test_a_certificate_uploaded_once_is_kept_by_each_clinic(client, listed_by_both):
    ours, theirs = listed_by_both
    client.force_login(ours.user)

    client.post(OWN_PROFILE, own_form(ours) | {"training_certificate": certificate()})

    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.training_certificate.name != theirs.training_certificate.name
    for entry in (ours, theirs):
        assert entry.training_verified_at is None
        response = client.get(reverse("therapists:certificate", args=[entry.external_id]))
        assert b"".join(response.streaming_content) == PDF


def test_entries_that_differ_are_pointed_out_before_saving_makes_them_the_same(
    client, outsider, listed_by_both
):
    ours, theirs = listed_by_both
    services.update_profile(
        actor=Actor(user=outsider, ip_address=None), profile=theirs, data={"phone": "901-555-0100"}
    )
    services.update_profile(
        actor=Actor(user=ours.user, ip_address=None), profile=ours, data={"city": "Knoxville"}
    )
    client.force_login(ours.user)

    page = client.get(OWN_PROFILE).content.decode()

    assert f"the entry of {theirs.clinic.name} differs from the details shown below" in page
    client.post(OWN_PROFILE, own_form(ours))
    theirs.refresh_from_db()
    assert (theirs.city, theirs.phone) == ("Knoxville", "")
    # Only contact details differed: the second clinic's verifications stand.
    assert theirs.licence_verified_at is not None


def test_a_change_refused_at_a_field_saves_no_entry(client, listed_by_both):
    ours, _ = listed_by_both
    client.force_login(ours.user)

    response = client.post(OWN_PROFILE, own_form(ours, city="Memphis", licence_state="ZZ"))

    assert response.status_code == 200
    assert response.context["form"].errors["licence_state"]
    assert set(TherapistProfile.objects.values_list("city", flat=True)) == {"Nashville"}


def test_one_entry_is_verified_by_one_clinic_only(coordinator, outsider, listed_by_both):
    ours, theirs = listed_by_both
    services.update_profile(
        actor=Actor(user=ours.user, ip_address=None),
        profile=theirs,
        data={"is_askp3_member": True},
    )
    theirs.refresh_from_db()

    services.verify_credential(
        actor=Actor(user=outsider, ip_address=None),
        profile=theirs,
        credential=Credential.ASKP3,
        fingerprint=services.credential_fingerprint(theirs, Credential.ASKP3),
    )

    assert TherapistProfile.objects.get(pk=theirs.pk).askp3_verified_by_id == outsider.pk
    assert TherapistProfile.objects.get(pk=ours.pk).askp3_verified_at is None


def test_an_episode_naming_another_clinics_therapist_lists_them_unverified_here(
    listed_by_a, other_clinic, other_clinician, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        account = episodes.find_or_invite_therapist(
            actor=Actor(user=other_clinician, ip_address=None),
            clinic=other_clinic,
            therapist=episodes.TherapistInput(email=EMAIL.upper(), name="Tess"),
            model="blended",
        )

    assert account.pk == listed_by_a.user_id
    entry = TherapistProfile.objects.get(clinic=other_clinic, user=account)
    assert entry.licence_verified_at is None
    assert listed_by_a.licence_verified_at is not None  # the first clinic's stays its own
    assert mail.outbox == []  # she has an account: no invitation
