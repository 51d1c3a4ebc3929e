"""Credential warnings where the clinic relies on the therapist: on every episode that
names them (`episodes.warning_registry`) and as a gate warning on KAP-model doses
(`episodes.gate_registry`)."""

import datetime as dt
from html import unescape

from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.consents import services as consents
from kapcare.episodes import gate_facts
from kapcare.episodes.models import CareSession
from kapcare.therapists import registrations
from kapcare.therapists.tests.directory_factories import add_therapist, verify
from tests.factories import PatientFactory, UserFactory, authorize, open_episode, plan_session

NOT_IN_DIRECTORY = "The outside therapist is not in the clinic&#x27;s therapist directory."


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
    return next((g for g in report.gates if g.rule == registrations.THERAPIST_GATE), None)


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


def test_unverified_credentials_pass_the_gate_with_a_warning_and_a_link(client, clinician, patient):
    profile = add_therapist(clinician)
    session = plan_session(open_episode(patient, clinician, therapist=profile.user), clinician)
    client.force_login(clinician)

    gate = therapist_gate(session)
    assert gate.passed
    assert gate.warning
    assert not gate.blocks
    assert gate.fix_url == reverse("therapists:detail", args=[profile.external_id])
    shown = gates(client, session)
    assert (
        'Outside therapist\'s credentials <span class="badge badge-warn">Passed, take note' in shown
    )
    assert "Outside therapist: KAP training not verified by the clinic." in shown


def test_verified_credentials_pass_the_gate_plainly(client, clinician, patient):
    profile = verify(add_therapist(clinician), clinician)
    session = plan_session(open_episode(patient, clinician, therapist=profile.user), clinician)
    client.force_login(clinician)

    gate = therapist_gate(session)
    assert gate.passed
    assert not gate.warning
    assert gate.message.startswith("Licence and KAP training verified by the clinic")
    assert gate.fix_url == ""
    assert 'Outside therapist\'s credentials <span class="badge badge-ok">Passed</span>' in gates(
        client, session
    )


def test_a_therapist_not_in_the_directory_is_a_gate_warning_linking_to_add_them(clinician, patient):
    therapist = UserFactory(role=Role.THERAPIST, clinic=None)
    session = plan_session(open_episode(patient, clinician, therapist=therapist), clinician)

    gate = therapist_gate(session)

    assert gate.warning
    assert gate.message == registrations.NOT_IN_DIRECTORY
    assert gate.fix_url == reverse("therapists:create")


def test_a_licence_expiring_by_the_dose_day_is_judged_on_that_day(clinician, patient):
    session_day = dt.date(2026, 12, 1)  # plan_session's default start
    profile = verify(add_therapist(clinician, licence_expires_on=dt.date(2026, 11, 30)), clinician)
    session = plan_session(open_episode(patient, clinician, therapist=profile.user), clinician)
    assert session.planned_start.date() == session_day

    gate = therapist_gate(session)

    assert gate.warning
    assert "Licence expired on Nov 30, 2026." in gate.message


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
