"""Gate 2 per episode: the consent signed for this episode, on the document its model asks
for, naming the model it has now."""

import pytest
import time_machine
from django.urls import reverse

from kapcare.consents import services as consents
from kapcare.consents.models import DocumentKind
from kapcare.consents.tests.test_documents_fixtures import sign
from kapcare.episodes import services
from kapcare.episodes.tests.test_gate_facts import NOW, actor, gates_of, ready_session
from tests.factories import open_episode

MODEL_CHANGED = (
    "The model changed: re-consent. The patient's signed consent is for another model of "
    "care than this episode's."
)


@pytest.fixture(autouse=True)
def at_eight_thirty():
    with time_machine.travel(NOW, tick=False):
        yield


def change_model(episode, model, by):
    """The plan edit, changing only the model of care."""
    return services.update_plan(
        actor=actor(by),
        episode=episode,
        data=services.PlanInput(
            dose_route=episode.dose_route,
            planned_doses=episode.planned_doses,
            planned_preparation_sessions=episode.planned_preparation_sessions,
            planned_integration_sessions=episode.planned_integration_sessions,
            treating_clinician=episode.treating_clinician,
            model=model,
        ),
    )


def test_a_standalone_episode_passes_the_gate_with_the_standalone_consent(
    patient, clinician, patient_user
):
    session = ready_session(patient, clinician, patient_user, "standalone")

    gate = gates_of(session)["consent"]

    signature = session.episode.consent_signatures.get()
    assert gate.passed
    assert signature.kind == DocumentKind.STANDALONE
    assert (signature.episode_id, signature.care_model) == (session.episode_id, "standalone")


def test_a_kap_consent_does_not_satisfy_a_standalone_episode(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user, "blended", in_loop=False)

    change_model(session.episode, "standalone", clinician)

    gate = gates_of(session)["consent"]
    assert not gate.passed
    assert gate.message == MODEL_CHANGED
    assert gate.fix_url == reverse("consents:patient_consents", args=[patient.external_id])


def test_a_standalone_consent_does_not_satisfy_a_kap_episode(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user, "standalone")

    change_model(session.episode, "bracketed", clinician)

    gate = gates_of(session)["consent"]
    assert (gate.passed, gate.message) == (False, MODEL_CHANGED)


def test_a_change_between_kap_models_asks_for_re_consent_and_a_new_signature_passes(
    patient, clinician, patient_user
):
    session = ready_session(patient, clinician, patient_user, "blended")
    change_model(session.episode, "bracketed", clinician)
    assert not gates_of(session)["consent"].passed

    signature = sign(patient, by=patient_user)

    assert gates_of(session)["consent"].passed
    assert signature.care_model == "bracketed"
    assert "Bracketed ketamine-assisted psychotherapy" in signature.signed_text


def test_the_signature_given_before_the_change_keeps_its_text(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user, "blended")
    before = session.episode.consent_signatures.get()
    text = before.signed_text

    change_model(session.episode, "in_session", clinician)
    sign(patient, by=patient_user)

    before.refresh_from_db()
    assert before.signed_text == text
    assert before.hash_matches
    assert "Blended ketamine-assisted psychotherapy" in before.signed_text
    assert before.care_model == "blended"


def test_a_consent_for_another_episode_does_not_count(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user, "blended")
    services.change_state(
        actor=actor(clinician), episode=session.episode, to_state="discontinued", reason="Moved."
    )
    later = open_episode(patient, clinician, model="blended")

    status, signature, _ = consents.episode_consent_status(later)

    assert (status, signature) == ("not_signed", None)


def test_saving_the_plan_without_a_model_keeps_the_model(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user, "blended")

    episode = change_model(session.episode, None, clinician)

    assert episode.model == "blended"
    assert gates_of(session)["consent"].passed


def test_an_unknown_model_is_refused_at_the_field(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user, "blended")

    with pytest.raises(services.Refused) as refused:
        change_model(session.episode, "microdosing", clinician)

    assert refused.value.problems["model"] == "Choose one of the four models."
