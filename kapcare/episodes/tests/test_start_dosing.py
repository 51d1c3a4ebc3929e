"""The gate services: the day-of checklist, a clinician's waiver and the start of a dosing
session, which is refused while a rule fails unwaived and moves a consented episode into
treatment."""

import datetime as dt

import pytest
import time_machine

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.episodes import services
from kapcare.episodes.models import (
    DayOfChecklist,
    EpisodeState,
    EpisodeTransition,
    GateWaiver,
    SessionStatus,
)
from kapcare.episodes.tests.test_gate_facts import (
    DOSE,
    GOOD_CHECKLIST,
    NOW,
    actor,
    fetched,
    ready_session,
)
from kapcare.refusals import Refused
from tests.factories import plan_session, raise_alert
from tests.second_factor import reauthenticated


@pytest.fixture(autouse=True)
def at_eight_thirty():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def session(patient, clinician, patient_user):
    return ready_session(patient, clinician, patient_user)


@pytest.fixture
def alerted(session, patient, clinician):
    """The ready session, with a safety alert waiting for review."""
    raise_alert(clinician, patient)
    return session


@pytest.fixture
def held(session, clinician):
    """The ready session, with a pre-dose blood pressure at the hold level."""
    record_bp(session, clinician, 172, 104)
    return fetched(session)


def record_bp(session, by, systolic, diastolic):
    data = {**GOOD_CHECKLIST.__dict__, "blood_pressure_systolic": systolic}
    data["blood_pressure_diastolic"] = diastolic
    services.record_day_of_checklist(
        actor=actor(by), session=session, data=services.ChecklistInput(**data)
    )


def start(session, by, now=DOSE):
    return services.start_dosing_session(actor=actor(by), session=session, now=now)


def waive(session, by, rule="blood_pressure", reason="Rechecked after rest; stable."):
    return services.waive_gate(
        actor=actor(by),
        session=session,
        rule=rule,
        reason=reason,
        reauthentication=reauthenticated(by),
    )


# --- Start ------------------------------------------------------------------------------------


def test_start_is_refused_while_a_rule_fails_unwaived(alerted, clinician):
    with pytest.raises(Refused) as refusal:
        start(alerted, clinician)

    assert list(refusal.value.problems) == ["safety_review"]
    assert refusal.value.problems["safety_review"].startswith("Safety review: 1 safety alert")
    assert fetched(alerted).status == SessionStatus.PLANNED


def test_a_waiver_lets_the_session_start(held, clinician):
    waive(held, clinician)

    started = start(held, clinician)

    assert started.status == SessionStatus.IN_PROGRESS
    assert (started.started_at, started.started_by_id) == (DOSE, clinician.pk)


def test_first_dose_moves_a_consented_episode_into_treatment(session, clinician):
    start(session, clinician)

    episode = fetched(session).episode
    assert episode.state == EpisodeState.IN_TREATMENT
    last = EpisodeTransition.objects.filter(episode=episode).last()
    assert (last.from_state, last.to_state, last.reason) == (
        "consented",
        "in_treatment",
        "First dose started.",
    )


def test_episode_already_in_treatment_stays_there(session, clinician):
    services.change_state(actor=actor(clinician), episode=session.episode, to_state="in_treatment")
    transitions = EpisodeTransition.objects.count()

    start(session, clinician)

    assert EpisodeTransition.objects.count() == transitions


def test_episode_not_yet_consented_cannot_dose(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user)
    services.change_state(
        actor=actor(clinician), episode=session.episode, to_state="screening", reason="Re-screen."
    )

    with pytest.raises(Refused, match="only once the patient has consented"):
        start(fetched(session), clinician)


def test_start_evaluates_the_gates_at_the_moment_of_starting(session, clinician):
    # The blood pressure was taken at 8:30; an hour and a minute later it is too old.
    late = NOW + dt.timedelta(minutes=61)

    with pytest.raises(Refused) as refusal:
        start(session, clinician, now=late)

    assert list(refusal.value.problems) == ["blood_pressure"]


def test_a_dose_starts_only_on_the_day_it_is_booked(session, clinician):
    with pytest.raises(Refused, match="booked for Tuesday December 1"):
        start(session, clinician, now=DOSE - dt.timedelta(days=1))


def test_a_checklist_confirmed_the_day_before_does_not_count(session, clinician):
    DayOfChecklist.objects.filter(session=session).update(
        updated_at=NOW - dt.timedelta(days=1), blood_pressure_taken_at=NOW
    )

    with pytest.raises(Refused) as refusal:
        start(session, clinician)

    assert "confirm it again on the day of the dose" in refusal.value.problems["day_of_checklist"]


def test_a_waived_blood_pressure_does_not_cover_a_new_higher_reading(session, clinician):
    record_bp(session, clinician, 162, 95)
    waive(session, clinician, rule="blood_pressure", reason="Anxious on arrival; rechecked.")
    record_bp(session, clinician, 190, 112)

    with pytest.raises(Refused) as refusal:
        start(fetched(session), clinician)

    assert "190/112" in refusal.value.problems["blood_pressure"]


def test_the_safety_review_cannot_be_waived(alerted, clinician):
    with pytest.raises(Refused) as refusal:
        waive(alerted, clinician, rule="safety_review", reason="Seen in person; safe.")

    assert "“Safety review” cannot be waived" in refusal.value.problems["rule"]
    assert not GateWaiver.objects.exists()


def test_a_safety_review_waiver_given_before_the_rule_changed_does_not_count(
    alerted, clinician, patient
):
    # A waiver recorded before the safety review became unwaivable lets nothing through.
    GateWaiver.objects.create(
        session=alerted,
        patient_id=patient.pk,
        rule="safety_review",
        reason="Given under the old rule.",
        failure="1 safety alert",
        basis="",
        waived_by=clinician,
        waived_at=NOW,
    )

    with pytest.raises(Refused) as refusal:
        start(fetched(alerted), clinician)

    assert list(refusal.value.problems) == ["safety_review"]


def test_a_rule_failing_again_can_be_waived_again(session, clinician):
    record_bp(session, clinician, 162, 95)
    waive(session, clinician, rule="blood_pressure", reason="Anxious on arrival.")
    record_bp(session, clinician, 164, 96)
    waive(session, clinician, rule="blood_pressure", reason="Rechecked after rest; stable.")

    started = start(fetched(session), clinician)

    assert started.status == SessionStatus.IN_PROGRESS
    assert GateWaiver.objects.filter(session=session, rule="blood_pressure").count() == 2


def test_a_started_session_cannot_start_again(session, clinician):
    start(session, clinician)

    with pytest.raises(Refused, match="already in progress"):
        start(fetched(session), clinician)


def test_only_a_clinician_starts_a_dose(session, coordinator):
    with pytest.raises(Refused, match="Only a clinician"):
        start(session, coordinator)


def test_start_is_logged_with_the_patient(session, clinician, patient):
    start(session, clinician)

    entry = AccessLogEntry.objects.filter(object_type="caresession").latest("id")
    assert (entry.action, entry.patient_id) == (AccessAction.UPDATE, patient.pk)


# --- Waivers ----------------------------------------------------------------------------------


def test_waiver_keeps_the_reason_and_what_the_rule_said(held, clinician):
    waiver = waive(held, clinician)

    assert waiver.reason == "Rechecked after rest; stable."
    assert "172/104" in waiver.failure
    assert (waiver.waived_by_id, waiver.patient_id) == (clinician.pk, held.patient_id)


def test_waiver_without_re_entering_the_code_is_refused(held, clinician):
    with pytest.raises(Refused) as refusal:
        services.waive_gate(
            actor=actor(clinician),
            session=held,
            rule="blood_pressure",
            reason="Rechecked after rest; stable.",
            reauthentication=None,
        )

    assert refusal.value.problems == {"reauthentication": "Re-enter your password to waive a gate."}


def test_waiver_needs_a_reason(held, clinician):
    with pytest.raises(Refused) as refusal:
        waive(held, clinician, reason="  ")

    assert set(refusal.value.problems) == {"reason"}


def test_a_passing_rule_cannot_be_waived(session, clinician):
    with pytest.raises(Refused, match="passes; there is nothing to waive"):
        waive(session, clinician, rule="consent")


def test_a_rule_is_waived_once(held, clinician):
    waive(held, clinician)

    with pytest.raises(Refused, match="already waived"):
        waive(held, clinician)


def test_unknown_rule_cannot_be_waived(held, clinician):
    with pytest.raises(Refused) as refusal:
        waive(held, clinician, rule="preparation_extra")

    assert set(refusal.value.problems) == {"rule"}


def test_standalone_infusion_has_no_preparation_rule_to_waive(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user, "standalone")

    with pytest.raises(Refused, match="Choose one of this session's gates"):
        waive(session, clinician, rule="preparation")


def test_only_a_clinician_waives(held, coordinator):
    with pytest.raises(Refused, match="Only a clinician"):
        waive(held, coordinator)

    assert not GateWaiver.objects.exists()


def test_waiver_is_logged_inside_its_transaction(held, clinician, patient):
    waiver = waive(held, clinician)

    entry = AccessLogEntry.objects.latest("id")
    assert (entry.action, entry.object_id, entry.patient_id) == (
        AccessAction.CREATE,
        str(waiver.external_id),
        patient.pk,
    )


# --- Day-of checklist -------------------------------------------------------------------------


def test_checklist_notes_when_the_blood_pressure_was_taken(session, clinician):
    checklist = DayOfChecklist.objects.get(session=session)

    assert checklist.blood_pressure_taken_at == NOW
    assert checklist.blood_pressure == "126/80"


def test_correcting_other_items_keeps_the_blood_pressure_time(session, clinician):
    with time_machine.travel(NOW + dt.timedelta(minutes=20), tick=False):
        services.record_day_of_checklist(
            actor=actor(clinician),
            session=session,
            data=services.ChecklistInput(**{**GOOD_CHECKLIST.__dict__, "escort_confirmed": False}),
        )

    checklist = DayOfChecklist.objects.get(session=session)
    assert (checklist.escort_confirmed, checklist.blood_pressure_taken_at) == (False, NOW)


@pytest.mark.parametrize(
    ("systolic", "diastolic", "field"),
    [
        (300, 80, "blood_pressure_systolic"),
        (120, 20, "blood_pressure_diastolic"),
        (80, 120, "blood_pressure_diastolic"),
        (120, None, "blood_pressure_diastolic"),
    ],
)
def test_implausible_blood_pressure_is_refused_at_its_field(
    session, clinician, systolic, diastolic, field
):
    data = services.ChecklistInput(
        blood_pressure_systolic=systolic, blood_pressure_diastolic=diastolic
    )

    with pytest.raises(Refused) as refusal:
        services.record_day_of_checklist(actor=actor(clinician), session=session, data=data)

    assert set(refusal.value.problems) == {field}


def test_checklist_is_only_for_a_planned_dosing_session(session, clinician):
    preparation = plan_session(session.episode, clinician, kind="preparation", starts_at=DOSE)

    with pytest.raises(Refused, match="Only a dosing session"):
        services.record_day_of_checklist(
            actor=actor(clinician), session=preparation, data=GOOD_CHECKLIST
        )


def test_checklist_is_closed_once_the_dose_started(session, clinician):
    start(session, clinician)

    with pytest.raises(Refused, match="already in progress"):
        services.record_day_of_checklist(
            actor=actor(clinician), session=fetched(session), data=GOOD_CHECKLIST
        )
