"""KAP needs a therapist in the loop: the gate `therapist_in_loop` on every in-session,
bracketed and blended dose — a named therapist, authorised by the patient to see the schedule
and session summaries, licence in force and verified, KAP training verified (or the clinic's
reasoned choice not to require it) — blocking unless a clinician waives it; nothing for a
standalone infusion. The rule itself is table-tested without a database at the end."""

import dataclasses
import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from kapcare.accounts.models import ApiToken
from kapcare.audit.log import Actor
from kapcare.consents import services as consents
from kapcare.episodes import services as episode_services
from kapcare.episodes.gates import facts as gate_facts
from kapcare.episodes.models import CareSession
from kapcare.therapists import registrations, rules
from kapcare.therapists.models import Credential, TherapistProfile
from kapcare.therapists.tests.directory_factories import add_therapist, verify
from tests.factories import authorize, open_episode, plan_session
from tests.second_factor import reauthenticated

KAP_MODELS = ["in_session", "bracketed", "blended"]
IN_LOOP = ["schedule", "session_summaries"]


def gate_of(session):
    fetched = CareSession.objects.select_related("episode__clinic", "patient__clinic").get(
        pk=session.pk
    )
    report = gate_facts.gate_report(fetched, timezone.now())
    return next((g for g in report.gates if g.rule == registrations.THERAPIST_IN_LOOP), None)


def dose_for(patient, clinician, model, therapist=None):
    episode = open_episode(patient, clinician, model=model, therapist=therapist)
    return plan_session(episode, clinician, starts_at=timezone.now() + dt.timedelta(days=2))


def listed(clinician, *credentials, **data):
    """The clinic's entry for a therapist, with `credentials` verified (both by default)."""
    return verify(add_therapist(clinician, **data), clinician, *credentials)


# --- The gate, per model ------------------------------------------------------------------------


@pytest.mark.parametrize("model", KAP_MODELS)
def test_a_therapist_in_the_loop_passes(clinician, patient, model):
    profile = listed(clinician)
    authorize(patient, profile.user, scopes=IN_LOOP)

    gate = gate_of(dose_for(patient, clinician, model, profile.user))

    assert gate.passed
    assert not gate.warning


@pytest.mark.parametrize("model", KAP_MODELS)
def test_no_therapist_named_blocks(clinician, patient, model):
    gate = gate_of(dose_for(patient, clinician, model))

    assert not gate.passed
    assert gate.message == "No therapist is named on this episode: KAP needs one in the loop."


@pytest.mark.parametrize("model", KAP_MODELS)
def test_a_therapist_the_patient_has_not_authorised_blocks(clinician, patient, model):
    profile = listed(clinician)

    gate = gate_of(dose_for(patient, clinician, model, profile.user))

    assert not gate.passed
    assert gate.message.startswith(
        "The patient has not authorised sharing the schedule and session summaries"
    )


@pytest.mark.parametrize("model", KAP_MODELS)
def test_an_authorisation_without_session_summaries_blocks(clinician, patient, model):
    profile = listed(clinician)
    authorize(patient, profile.user, scopes=["schedule", "measures"])

    gate = gate_of(dose_for(patient, clinician, model, profile.user))

    assert not gate.passed
    assert gate.message.startswith("The patient has not authorised sharing session summaries")


@pytest.mark.parametrize("model", KAP_MODELS)
def test_an_authorisation_revoked_a_second_ago_blocks(clinician, patient, patient_user, model):
    profile = listed(clinician)
    authorization = authorize(patient, profile.user, scopes=IN_LOOP)
    session = dose_for(patient, clinician, model, profile.user)
    assert gate_of(session).passed

    consents.revoke_authorization(
        actor=Actor(user=patient_user, ip_address="127.0.0.1"), authorization=authorization
    )
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=1)):
        gate = gate_of(session)

    assert not gate.passed


@pytest.mark.parametrize("model", KAP_MODELS)
def test_an_expired_licence_blocks(clinician, patient, model):
    profile = listed(clinician, licence_expires_on=timezone.localdate() - dt.timedelta(days=1))
    authorize(patient, profile.user, scopes=IN_LOOP)

    gate = gate_of(dose_for(patient, clinician, model, profile.user))

    assert not gate.passed
    assert gate.message == "The therapist's licence is not in force on the day of the dose."


@pytest.mark.parametrize("model", KAP_MODELS)
def test_an_unverified_licence_blocks(clinician, patient, model):
    profile = listed(clinician, Credential.TRAINING)
    authorize(patient, profile.user, scopes=IN_LOOP)

    gate = gate_of(dose_for(patient, clinician, model, profile.user))

    assert not gate.passed
    assert gate.message == "The therapist's licence is not verified by the clinic."


@pytest.mark.parametrize("model", KAP_MODELS)
def test_unverified_training_blocks(clinician, patient, model):
    profile = listed(clinician, Credential.LICENCE)
    authorize(patient, profile.user, scopes=IN_LOOP)

    gate = gate_of(dose_for(patient, clinician, model, profile.user))

    assert not gate.passed
    assert gate.message == "The therapist's KAP training is not verified by the clinic."


def test_a_clinic_that_does_not_require_training_notes_it_with_its_reason(
    clinic, clinician, patient
):
    clinic.kap_training_required = False
    clinic.kap_training_not_required_reason = "Our therapists trained before programmes existed."
    clinic.save(update_fields=["kap_training_required", "kap_training_not_required_reason"])
    profile = listed(clinician, Credential.LICENCE)
    authorize(patient, profile.user, scopes=IN_LOOP)

    gate = gate_of(dose_for(patient, clinician, "blended", profile.user))

    assert gate.passed
    assert gate.warning
    assert "Our therapists trained before programmes existed." in gate.message


def test_an_entry_in_another_clinics_directory_does_not_count(
    clinician, patient, other_clinic, outsider
):
    """Each clinic verifies its own entry: the patient's authorisation lists the therapist in
    this clinic's directory, unverified, whatever the other clinic verified."""
    theirs = verify(add_therapist(outsider), outsider)
    authorize(patient, theirs.user, scopes=IN_LOOP)
    ours = TherapistProfile.objects.get(clinic=clinician.clinic, user=theirs.user)

    gate = gate_of(dose_for(patient, clinician, "blended", theirs.user))

    assert ours.licence_verified_at is None
    assert not gate.passed
    assert gate.message.startswith("The therapist's licence is not verified by the clinic.")


def test_a_standalone_infusion_needs_no_therapist(clinician, patient):
    assert gate_of(dose_for(patient, clinician, "standalone")) is None


def test_a_clinician_may_waive_it_with_a_reason(clinician, patient):
    session = dose_for(patient, clinician, "blended")
    episode_services.waive_gate(
        actor=Actor(user=clinician, ip_address="127.0.0.1"),
        session=session,
        rule=registrations.THERAPIST_IN_LOOP,
        reason="Therapist confirmed by phone; paperwork on its way.",
        reauthentication=reauthenticated(clinician),
    )

    fetched = CareSession.objects.select_related("episode__clinic", "patient__clinic").get(
        pk=session.pk
    )
    report = gate_facts.gate_report(fetched, timezone.now())
    gate = next(g for g in report.gates if g.rule == registrations.THERAPIST_IN_LOOP)
    assert gate.waived
    assert not gate.blocks


def test_the_gate_is_listed_by_the_api_with_its_rule_id(client, clinician, patient):
    session = dose_for(patient, clinician, "blended")
    _, token = ApiToken.issue(clinician, "tests")

    response = client.get(
        f"/api/v1/dosing-sessions/{session.external_id}/gates",
        headers={"Authorization": f"Bearer {token}"},
    )

    (gate,) = [g for g in response.json() if g["rule"] == "therapist_in_loop"]
    assert gate["passed"] is False


# --- The rule ---------------------------------------------------------------------------------

DAY = dt.date(2030, 1, 7)  # an arbitrary day; the rule reads no clock
GOOD = rules.CredentialFacts(
    licence_type="lmft",
    licence_state="TN",
    licence_number="1",
    licence_expires_on=DAY,
    licence_verified=True,
    training_programme="Polaris",
    training_verified=True,
)


def loop(**changes) -> rules.LoopFacts:
    values = {
        "has_therapist": True,
        "credentials": GOOD,
        "authorised_scopes": frozenset(IN_LOOP),
        "dose_day": DAY,
    }
    return rules.LoopFacts(**(values | changes))


@pytest.mark.parametrize(
    ("facts", "blocks", "notes"),
    [
        (loop(), 0, 0),
        (loop(has_therapist=False), 1, 0),
        (loop(authorised_scopes=frozenset()), 1, 0),
        (loop(authorised_scopes=frozenset({"schedule", "measures", "safety_alerts"})), 1, 0),
        (loop(credentials=None), 1, 0),
        (loop(credentials=None, authorised_scopes=frozenset()), 2, 0),
        (loop(dose_day=DAY + dt.timedelta(days=1)), 1, 0),  # in force up to its expiry day
        (loop(credentials=rules.CredentialFacts(training_verified=True)), 1, 0),
        (loop(credentials=dataclasses.replace(GOOD, training_verified=False)), 1, 0),
        (
            loop(
                credentials=dataclasses.replace(GOOD, training_verified=False),
                training_required=False,
                training_not_required_reason="Because.",
            ),
            0,
            1,
        ),
    ],
)
def test_what_blocks_and_what_is_noted(facts, blocks, notes):
    found_blocks, found_notes = rules.therapist_in_loop(facts)

    assert (len(found_blocks), len(found_notes)) == (blocks, notes)
