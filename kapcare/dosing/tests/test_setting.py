"""Set and setting: music, eye shades, lighting, the therapist present (which the
in-session model requires before the dose starts) and the patient's intention."""

import pytest
import time_machine
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing import recording
from kapcare.dosing.dose import services as dose_services
from kapcare.dosing.models import DosingRecord, Lighting
from kapcare.episodes import services as episode_services
from kapcare.episodes.gates import facts as gate_facts
from kapcare.episodes.tests.test_gate_facts import (
    DOSE,
    GOOD_CHECKLIST,
    NOW,
    actor,
    dose_checked,
    fetched,
    ready_episode,
)
from kapcare.refusals import Refused
from tests.factories import RoomFactory, UserFactory, plan_session
from tests.second_factor import reauthenticated

CALM = dose_services.SettingInput(
    music="Ambient piano",
    eye_shades=True,
    lighting=Lighting.DIM,
    therapist_present=True,
    intention="To meet my grief with kindness.",
)


@pytest.fixture(autouse=True)
def at_eight_thirty():
    with time_machine.travel(NOW, tick=False):
        yield


def dose_session(patient, clinician, patient_user, model, *, checked=True, **planned):
    """A planned dose of `model` with every gate passing but the therapist's presence."""
    episode = ready_episode(patient, clinician, patient_user, model)
    session = plan_session(episode, clinician, starts_at=DOSE, **planned)
    episode_services.record_day_of_checklist(
        actor=actor(clinician), session=session, data=GOOD_CHECKLIST
    )
    session = fetched(session)
    if checked:
        record = dose_checked(session, clinician)
        DosingRecord.objects.filter(pk=record.pk).update(therapist_present=False)
    return fetched(session)


@pytest.fixture
def in_session(patient, clinician, patient_user):
    return dose_session(patient, clinician, patient_user, "in_session")


def record_of(session, by) -> DosingRecord:
    return recording.record_for(actor(by), session)


def gates_of(session) -> dict:
    return {g.rule: g for g in gate_facts.gate_report(fetched(session), NOW).gates}


# --- The service --------------------------------------------------------------------------------


def test_the_set_and_setting_is_recorded(in_session, clinician):
    record = record_of(in_session, clinician)

    dose_services.record_set_and_setting(actor=actor(clinician), record=record, data=CALM)

    stored = DosingRecord.objects.get(pk=record.pk)
    assert (stored.music, stored.eye_shades, stored.lighting) == ("Ambient piano", True, "dim")
    assert stored.therapist_present is True
    assert stored.intention == "To meet my grief with kindness."


def test_recording_the_setting_is_logged(in_session, clinician):
    record = record_of(in_session, clinician)

    dose_services.record_set_and_setting(actor=actor(clinician), record=record, data=CALM)

    assert AccessLogEntry.objects.filter(
        action=AccessAction.UPDATE,
        actor=clinician,
        object_type="dosingrecord",
        object_id=str(record.external_id),
    ).exists()


def test_only_a_clinician_records_the_setting(in_session, clinician, coordinator):
    record = record_of(in_session, clinician)

    with pytest.raises(Refused):
        dose_services.record_set_and_setting(actor=actor(coordinator), record=record, data=CALM)

    assert DosingRecord.objects.get(pk=record.pk).music == ""


def test_an_unknown_lighting_is_refused_at_its_field(in_session, clinician):
    record = record_of(in_session, clinician)
    data = dose_services.SettingInput(lighting="disco")

    with pytest.raises(Refused) as refusal:
        dose_services.record_set_and_setting(actor=actor(clinician), record=record, data=data)

    assert refusal.value.problems == {"lighting": "Choose the lighting from the list."}


def test_a_signed_record_refuses_a_new_setting(in_session, clinician):
    record = record_of(in_session, clinician)
    DosingRecord.objects.filter(pk=record.pk).update(signed_at=NOW, signed_by=clinician)

    with pytest.raises(Refused) as refusal:
        dose_services.record_set_and_setting(actor=actor(clinician), record=record, data=CALM)

    assert refusal.value.problems == {"__all__": "This record is signed: add an addendum instead."}


# --- The therapist gate -------------------------------------------------------------------------


def test_the_in_session_model_fails_until_the_therapist_is_present(in_session, clinician):
    gate = gates_of(in_session)["therapist_present"]

    assert not gate.passed
    assert not gate.waivable
    assert gate.fix_url.endswith(f"/dosing-sessions/{in_session.external_id}/record/#setting")


def test_the_therapist_present_passes_the_gate(in_session, clinician):
    record = record_of(in_session, clinician)

    dose_services.record_set_and_setting(actor=actor(clinician), record=record, data=CALM)

    assert gates_of(in_session)["therapist_present"].passed


def test_without_a_record_the_therapist_gate_fails(patient, clinician, patient_user):
    session = dose_session(patient, clinician, patient_user, "in_session", checked=False)

    gates = gates_of(session)

    assert not DosingRecord.objects.exists()
    assert not gates["therapist_present"].passed


@pytest.mark.parametrize("model", ["blended", "bracketed", "standalone"])
def test_other_models_have_no_therapist_gate(patient, clinician, patient_user, model):
    session = dose_session(patient, clinician, patient_user, model)

    assert "therapist_present" not in gates_of(session)


def test_the_in_session_start_waits_for_the_therapist(in_session, clinician):
    with pytest.raises(Refused) as refusal:
        episode_services.start_dosing_session(actor=actor(clinician), session=in_session, now=DOSE)

    assert list(refusal.value.problems) == ["therapist_present"]


def test_the_therapist_gate_cannot_be_waived(in_session, clinician):
    with pytest.raises(Refused) as refusal:
        episode_services.waive_gate(
            actor=actor(clinician),
            session=in_session,
            rule="therapist_present",
            reason="Late.",
            reauthentication=reauthenticated(clinician),
        )

    assert "cannot be waived" in refusal.value.problems["rule"]


# --- The page -----------------------------------------------------------------------------------


def setting_url(session) -> str:
    return reverse("dose:setting", args=[session.external_id])


def test_a_clinician_saves_the_setting_from_the_page(client, clinician, in_session):
    client.force_login(clinician)

    response = client.post(
        setting_url(in_session),
        {"music": "Rain", "lighting": "dark", "therapist_present": "on", "intention": "Rest."},
    )

    assert response.status_code == 302
    assert response["Location"].endswith("/record/#setting")
    stored = DosingRecord.objects.get(session=in_session)
    assert (stored.music, stored.lighting, stored.therapist_present) == ("Rain", "dark", True)
    assert stored.eye_shades is False


def test_a_bad_setting_comes_back_with_what_was_typed(client, clinician, in_session):
    client.force_login(clinician)

    response = client.post(
        setting_url(in_session), {"music": "x" * 201, "intention": "Stay with it."}
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "Name the music in at most 200 characters." in page
    assert "Stay with it." in page


def test_the_page_shows_the_booked_room_and_the_in_session_requirement(
    client, clinic, patient, clinician, patient_user
):
    room = RoomFactory(clinic=clinic, name="Suite 2 (Cumberland)")
    session = dose_session(patient, clinician, patient_user, "in_session", room=room)
    client.force_login(clinician)

    page = client.get(reverse("dosing:record", args=[session.external_id])).content.decode()

    assert "Suite 2 (Cumberland)" in page
    assert "Required for the in-session model" in page


@pytest.mark.parametrize("role", ["coordinator", "clinic_admin", "therapist", "patient_user"])
def test_only_a_clinician_may_post_the_setting(client, request, in_session, role):
    client.force_login(request.getfixturevalue(role))

    assert client.post(setting_url(in_session), {"music": "Rain"}).status_code == 403


def test_another_clinics_clinician_gets_404_on_the_setting(client, in_session, other_clinic):
    client.force_login(UserFactory(role=Role.CLINICIAN, clinic=other_clinic))

    assert client.post(setting_url(in_session), {"music": "Rain"}).status_code == 404
