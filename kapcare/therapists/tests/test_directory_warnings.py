"""Credential warnings where the clinic relies on the therapist: on every episode that
names them (`episodes.gates.warning_registry`) and as a gate warning on KAP-model doses
(`episodes.gates.registry`)."""

import datetime as dt
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.billing import services as billing
from kapcare.billing.models import Coverage
from kapcare.consents import services as consents
from kapcare.episodes.gates import facts as gate_facts
from kapcare.episodes.models import CareSession
from kapcare.therapists import registrations
from kapcare.therapists.models import Credential
from kapcare.therapists.tests.directory_factories import add_therapist, verify
from tests.factories import PatientFactory, UserFactory, authorize, open_episode, plan_session

NOT_IN_DIRECTORY = "The outside therapist is not in the clinic&#x27;s therapist directory."


@pytest.fixture(autouse=True)
def coverage_answered(patient, clinician):
    """The coverage question answered, so that the only warnings an episode shows here are
    the therapist's (billing's own warning: kapcare/billing/tests)."""
    billing.record_coverage(
        actor=Actor(user=clinician, ip_address="127.0.0.1"),
        patient=patient,
        data=billing.CoverageInput(status=Coverage.UNINSURED),
    )


def page(client, episode) -> str:
    return client.get(reverse("episodes:detail", args=[episode.external_id])).content.decode()


def gates(client, session) -> str:
    return unescape(
        client.get(reverse("gates:session", args=[session.external_id])).content.decode()
    )


def therapist_gate(session):
    fetched = CareSession.objects.select_related("episode__clinic", "patient__clinic").get(
        pk=session.pk
    )
    report = gate_facts.gate_report(fetched, timezone.now())
    return next((g for g in report.gates if g.rule == registrations.THERAPIST_IN_LOOP), None)


# --- The episode page --------------------------------------------------------------------------


def test_an_episode_warns_when_its_therapist_is_not_in_the_directory(client, clinician, patient):
    episode = open_episode(
        patient, clinician, therapist=UserFactory(role=Role.THERAPIST, clinic=None)
    )
    client.force_login(clinician)

    assert NOT_IN_DIRECTORY in page(client, episode)


def test_an_episode_shows_its_therapists_credential_warnings_until_verified(
    client, clinician, patient
):
    profile = add_therapist(clinician)
    episode = open_episode(patient, clinician, therapist=profile.user)
    authorize(patient, profile.user, by=clinician)
    client.force_login(clinician)

    shown = page(client, episode)
    assert "Outside therapist: Licence not verified by the clinic." in shown
    assert "Outside therapist: KAP training not verified by the clinic." in shown

    verify(profile, clinician)

    shown = page(client, episode)
    assert "Outside therapist:" not in shown
    assert 'id="warnings-heading"' not in shown


def test_an_expired_licence_warns_on_the_episode(client, clinician, patient):
    today = timezone.localdate(timezone=clinician.clinic.zone)
    profile = verify(
        add_therapist(clinician, licence_expires_on=today - dt.timedelta(days=1)), clinician
    )
    episode = open_episode(patient, clinician, therapist=profile.user)
    client.force_login(clinician)

    assert "Outside therapist: Licence expired on" in page(client, episode)


def test_a_therapist_in_another_clinics_directory_is_not_in_this_one(
    client, clinician, outsider, patient
):
    profile = verify(add_therapist(outsider), outsider)
    episode = open_episode(patient, clinician, therapist=profile.user)
    client.force_login(clinician)

    assert NOT_IN_DIRECTORY in page(client, episode)


def test_a_standalone_infusion_has_no_therapist_warning(client, clinician, patient):
    episode = open_episode(patient, clinician, model="standalone")
    client.force_login(clinician)

    assert 'id="warnings-heading"' not in page(client, episode)


def test_the_warnings_take_two_queries_whatever_the_number_of_episodes(
    clinician, clinic, django_assert_num_queries
):
    profile = add_therapist(clinician)
    stranger = UserFactory(role=Role.THERAPIST, clinic=None)
    episodes = [
        open_episode(PatientFactory(clinic=clinic), clinician, therapist=therapist)
        for therapist in (profile.user, stranger, profile.user, stranger)
    ]
    for episode in episodes:
        episode.clinic = clinic

    with django_assert_num_queries(2):
        found = registrations.episode_warnings(episodes, timezone.localdate())

    assert found[episodes[1].pk] == [registrations.NOT_IN_DIRECTORY, registrations.NOT_AUTHORISED]
    assert found[episodes[0].pk] == found[episodes[2].pk] != []


def test_the_episode_page_takes_the_same_queries_with_or_without_warnings(
    client, clinician, patient, django_assert_max_num_queries
):
    profile = add_therapist(clinician)
    episode = open_episode(patient, clinician, therapist=profile.user)
    client.force_login(clinician)
    with django_assert_max_num_queries(60) as warned:
        page(client, episode)
    verify(profile, clinician)

    with django_assert_max_num_queries(len(warned.captured_queries)):
        page(client, episode)


# --- The gate on KAP-model doses ---------------------------------------------------------------
# What blocks a dose is in test_therapist_in_loop.py; here, what the gates page shows.


def test_a_therapist_in_the_loop_passes_the_gate_on_the_page(client, clinician, patient):
    profile = verify(add_therapist(clinician), clinician)
    authorize(patient, profile.user, scopes=["schedule", "session_summaries"])
    session = plan_session(open_episode(patient, clinician, therapist=profile.user), clinician)
    client.force_login(clinician)

    gate = therapist_gate(session)

    assert gate.passed
    assert not gate.warning
    assert 'Therapist in the loop <span class="badge badge-ok">Passed</span>' in gates(
        client, session
    )


def test_unverified_training_blocks_the_dose_on_the_page_with_a_link_to_the_entry(
    client, clinician, patient
):
    profile = verify(add_therapist(clinician), clinician, Credential.LICENCE)
    authorize(patient, profile.user, scopes=["schedule", "session_summaries"])
    session = plan_session(open_episode(patient, clinician, therapist=profile.user), clinician)
    client.force_login(clinician)

    gate = therapist_gate(session)
    shown = gates(client, session)

    assert not gate.passed
    assert gate.message == "The therapist's KAP training is not verified by the clinic."
    assert gate.fix_url == reverse("therapists:detail", args=[profile.external_id])
    assert "The therapist&#x27;s KAP training is not verified by the clinic." in shown or (
        "The therapist's KAP training is not verified by the clinic." in shown
    )


def test_a_therapist_not_in_the_directory_links_to_add_them(clinician, patient):
    therapist = UserFactory(role=Role.THERAPIST, clinic=None)
    session = plan_session(open_episode(patient, clinician, therapist=therapist), clinician)

    gate = therapist_gate(session)

    assert not gate.passed
    assert "The therapist is not in the clinic's directory." in gate.message
    assert gate.fix_url == reverse("therapists:create")


def test_a_licence_expiring_by_the_dose_day_is_judged_on_that_day(clinician, patient):
    dose_at = timezone.now() + dt.timedelta(days=10)
    expires_on = timezone.localdate(dose_at, clinician.clinic.zone) - dt.timedelta(days=1)
    profile = verify(add_therapist(clinician, licence_expires_on=expires_on), clinician)
    authorize(patient, profile.user, scopes=["schedule", "session_summaries"])
    session = plan_session(
        open_episode(patient, clinician, therapist=profile.user), clinician, starts_at=dose_at
    )

    gate = therapist_gate(session)

    assert not gate.passed
    assert gate.message == "The therapist's licence is not in force on the day of the dose."


def test_a_standalone_infusion_has_no_therapist_gate(clinician, patient):
    session = plan_session(open_episode(patient, clinician, model="standalone"), clinician)

    assert therapist_gate(session) is None


def test_an_episode_warns_until_the_patient_authorises_its_therapist_and_again_after_revoking(
    client, clinician, patient, patient_user
):
    profile = verify(add_therapist(clinician), clinician)
    episode = open_episode(patient, clinician, therapist=profile.user)
    client.force_login(clinician)
    assert registrations.NOT_AUTHORISED in unescape(page(client, episode))

    authorization = authorize(patient, profile.user, by=clinician)
    assert 'id="warnings-heading"' not in page(client, episode)

    consents.revoke_authorization(
        actor=Actor(user=patient_user, ip_address="127.0.0.1"), authorization=authorization
    )
    assert registrations.NOT_AUTHORISED in unescape(page(client, episode))
