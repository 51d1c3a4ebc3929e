"""The course of the dose and the adverse events through the services: the dose's start
and end with their defaults, the infusion paused, resumed and stopped with a reason,
adverse events and their interventions; each write logged, each refused once the record
is signed."""

import pytest

from kapcare.audit.models import AccessLogEntry
from kapcare.dosing import recording
from kapcare.dosing.discharge import services as discharge_services
from kapcare.dosing.events import services as events_services
from kapcare.dosing.models import AdverseEvent, DosingRecord, Intervention
from kapcare.dosing.tests.test_events_fixtures import (
    DOSE,
    NOW,
    actor,
    at,
    fetched,
    minutes,
    ready_to_go,
    under_way,
)
from kapcare.episodes.tests.test_gate_facts import ready_session
from kapcare.refusals import Refused
from tests.second_factor import reauthenticated


@pytest.fixture
def record(patient, clinician, coordinator, patient_user):
    """An IV dose under way since 9:00 AM, over 40 min."""
    return under_way(patient, clinician, coordinator, patient_user)


@pytest.fixture
def sublingual(patient, clinician, coordinator, patient_user):
    return under_way(patient, clinician, coordinator, patient_user, route="sublingual")


def started(record, by, when=None, at_time=None):
    with at(when or minutes(1)):
        return events_services.record_dose_started(
            actor=actor(by), record=fetched(record), at=at_time
        )


def ended(record, by, when, at_time=None):
    with at(when):
        return events_services.record_dose_ended(
            actor=actor(by), record=fetched(record), at=at_time
        )


def change(record, by, kind, when, reason=""):
    with at(when):
        return events_services.record_infusion_change(
            actor=actor(by), record=fetched(record), kind=kind, reason=reason
        )


def event(record, by, when=None, **fields):
    fields = {"kind": "nausea_vomiting", "severity": "mild", **fields}
    with at(when or minutes(20)):
        return events_services.record_adverse_event(
            actor=actor(by), record=fetched(record), **fields
        )


def intervention(the_event, by, when=None, **fields):
    fields = {"drug": "Ondansetron", "dose": "4 mg IV", **fields}
    with at(when or minutes(22)):
        return events_services.record_intervention(actor=actor(by), event=the_event, **fields)


# --- The dose's start and end ------------------------------------------------------------


def test_the_dose_starts_by_default_when_the_session_started(record, clinician):
    assert started(record, clinician).dose_started_at == DOSE


def test_the_dose_start_may_be_given(record, clinician):
    assert started(record, clinician, minutes(5), at_time=minutes(3)).dose_started_at == minutes(3)


def test_a_dose_cannot_start_before_the_session(record, clinician):
    with pytest.raises(Refused) as refused:
        started(record, clinician, at_time=minutes(-1))

    assert refused.value.problems == {"at": "This is before the session started (9:00 AM)."}


def test_a_dose_cannot_start_in_the_future(record, clinician):
    with pytest.raises(Refused) as refused:
        started(record, clinician, minutes(5), at_time=minutes(6))

    assert refused.value.problems == {"at": "This time is still to come: enter when it happened."}


def test_a_dose_cannot_start_before_its_session_has(patient, clinician, patient_user):
    with at(NOW):
        session = ready_session(patient, clinician, patient_user)
        record = recording.record_for(actor(clinician), session)

        with pytest.raises(Refused, match="planned"):
            events_services.record_dose_started(actor=actor(clinician), record=record)


def test_an_infusion_ends_by_default_its_duration_after_the_start(record, clinician):
    started(record, clinician)

    assert ended(record, clinician, minutes(41)).dose_ended_at == minutes(40)


def test_an_infusion_cannot_be_ended_by_default_before_its_duration(record, clinician):
    started(record, clinician)

    with pytest.raises(Refused) as refused:
        ended(record, clinician, minutes(30))

    assert "runs until 9:40 AM" in refused.value.problems["at"]


def test_the_end_may_be_adjusted_to_when_it_really_ended(record, clinician):
    started(record, clinician)

    assert ended(record, clinician, minutes(50), at_time=minutes(43)).dose_ended_at == minutes(43)


def test_a_dose_cannot_end_before_it_started(record, clinician):
    started(record, clinician, minutes(5), at_time=minutes(5))

    with pytest.raises(Refused) as refused:
        ended(record, clinician, minutes(50), at_time=minutes(4))

    assert refused.value.problems == {"at": "This is before the dose started (9:05 AM)."}


def test_a_dose_cannot_end_before_it_is_recorded_as_started(record, clinician):
    with pytest.raises(Refused, match="started first"):
        ended(record, clinician, minutes(50))


def test_a_sublingual_dose_ends_when_taken(sublingual, clinician):
    started(sublingual, clinician, minutes(3), at_time=minutes(2))

    assert ended(sublingual, clinician, minutes(5)).dose_ended_at == minutes(2)


def test_the_dose_times_are_logged(record, clinician, patient):
    before = AccessLogEntry.objects.filter(patient=patient).count()

    started(record, clinician)
    ended(record, clinician, minutes(41))

    assert AccessLogEntry.objects.filter(patient=patient).count() == before + 2


# --- The infusion paused, resumed, stopped -------------------------------------------------


def test_a_pause_needs_a_reason(record, clinician):
    started(record, clinician)

    with pytest.raises(Refused) as refused:
        change(record, clinician, "paused", minutes(10), reason="  ")

    assert refused.value.problems == {"reason": "Say why the infusion was paused."}


def test_a_pause_and_resume_move_the_default_end_later(record, clinician):
    started(record, clinician)
    change(record, clinician, "paused", minutes(10), reason="BP 182/104")
    change(record, clinician, "resumed", minutes(18))

    assert ended(record, clinician, minutes(48)).dose_ended_at == minutes(48)


def test_a_paused_infusion_cannot_just_end(record, clinician):
    started(record, clinician)
    change(record, clinician, "paused", minutes(10), reason="Nausea")

    with pytest.raises(Refused, match="paused"):
        ended(record, clinician, minutes(50), at_time=minutes(45))


def test_a_stop_ends_the_dose_with_its_reason(record, clinician):
    started(record, clinician)

    stop = change(record, clinician, "stopped", minutes(25), reason="Emergence reaction")

    assert stop.reason == "Emergence reaction"
    assert fetched(record).dose_ended_at == minutes(25)


def test_a_stop_needs_a_reason(record, clinician):
    started(record, clinician)

    with pytest.raises(Refused) as refused:
        change(record, clinician, "stopped", minutes(25))

    assert set(refused.value.problems) == {"reason"}


def test_a_running_infusion_cannot_be_resumed(record, clinician):
    started(record, clinician)

    with pytest.raises(Refused) as refused:
        change(record, clinician, "resumed", minutes(10))

    assert set(refused.value.problems) == {"kind"}


def test_nothing_follows_an_ended_infusion(record, clinician):
    started(record, clinician)
    change(record, clinician, "stopped", minutes(25), reason="Agitation")

    with pytest.raises(Refused, match="ended at 9:25 AM"):
        change(record, clinician, "paused", minutes(26), reason="again")


def test_only_an_iv_infusion_can_be_paused(sublingual, clinician):
    started(sublingual, clinician)

    with pytest.raises(Refused) as refused:
        change(sublingual, clinician, "paused", minutes(5), reason="Nausea")

    assert refused.value.problems == {"kind": "Only an IV infusion can be paused or stopped."}


def test_an_unknown_change_is_refused_at_its_field(record, clinician):
    started(record, clinician)

    with pytest.raises(Refused) as refused:
        change(record, clinician, "sped_up", minutes(5))

    assert set(refused.value.problems) == {"kind"}


# --- Adverse events and interventions ------------------------------------------------------


def test_an_adverse_event_is_recorded_with_its_severity_and_onset(record, clinician, patient):
    recorded = event(record, clinician, kind="hypertension", severity="moderate")

    stored = AdverseEvent.objects.get(pk=recorded.pk)
    assert (stored.kind, stored.severity, stored.onset_at) == (
        "hypertension",
        "moderate",
        minutes(20),
    )
    assert stored.patient_id == patient.pk
    assert stored.recorded_by_id == clinician.pk


def test_an_adverse_event_may_have_begun_earlier(record, clinician):
    with at(minutes(30)):
        recorded = events_services.record_adverse_event(
            actor=actor(clinician),
            record=fetched(record),
            kind="agitation",
            severity="mild",
            onset_at=minutes(12),
        )

    assert recorded.onset_at == minutes(12)


def test_other_needs_a_description(record, clinician):
    with pytest.raises(Refused) as refused:
        event(record, clinician, kind="other")

    assert refused.value.problems == {"description": "Describe the event."}


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"kind": "headache"}, "kind"), ({"severity": "extreme"}, "severity")],
)
def test_an_unknown_kind_or_severity_is_refused_at_its_field(record, clinician, fields, field):
    with pytest.raises(Refused) as refused:
        event(record, clinician, **fields)

    assert set(refused.value.problems) == {field}


def test_an_event_before_the_session_started_is_refused(record, clinician):
    with pytest.raises(Refused) as refused:
        event(record, clinician, onset_at=minutes(-30))

    assert set(refused.value.problems) == {"onset_at"}


def test_an_intervention_is_recorded_for_its_event(record, clinician):
    recorded = event(record, clinician)

    given = intervention(recorded, clinician)

    stored = Intervention.objects.get(pk=given.pk)
    assert (stored.event_id, stored.drug, stored.dose, stored.given_at) == (
        recorded.pk,
        "Ondansetron",
        "4 mg IV",
        minutes(22),
    )


def test_an_intervention_names_a_drug_or_measure(record, clinician):
    recorded = event(record, clinician)

    with pytest.raises(Refused) as refused:
        intervention(recorded, clinician, drug=" ")

    assert set(refused.value.problems) == {"drug"}


def test_an_intervention_cannot_come_before_its_event(record, clinician):
    recorded = event(record, clinician)

    with pytest.raises(Refused) as refused:
        intervention(recorded, clinician, given_at=minutes(19))

    assert refused.value.problems == {"given_at": "This is before the event began (9:20 AM)."}


def test_events_and_interventions_are_logged_with_the_patient(record, clinician, patient):
    before = AccessLogEntry.objects.filter(patient=patient).count()

    intervention(event(record, clinician), clinician)

    types = list(
        AccessLogEntry.objects.filter(patient=patient)
        .order_by("id")[before:]
        .values_list("object_type", flat=True)
    )
    assert types == ["adverseevent", "intervention"]


def test_an_event_may_be_written_up_after_the_discharge(
    patient, clinician, coordinator, patient_user
):
    record = ready_to_go(patient, clinician, coordinator, patient_user)
    with at(minutes(100)):
        discharge_services.discharge(actor=actor(clinician), record=fetched(record))

    late = event(record, clinician, when=minutes(110), onset_at=minutes(15))

    assert late.onset_at == minutes(15)


def test_the_dose_times_cannot_change_after_the_discharge(
    patient, clinician, coordinator, patient_user
):
    record = ready_to_go(patient, clinician, coordinator, patient_user)
    with at(minutes(100)):
        discharge_services.discharge(actor=actor(clinician), record=fetched(record))

    with pytest.raises(Refused):
        ended(record, clinician, minutes(110), at_time=minutes(45))


# --- A signed record ------------------------------------------------------------------------


def sign(record, by):
    DosingRecord.objects.filter(pk=record.pk).update(signed_at=minutes(60), signed_by=by)


WRITES = {
    "dose start": lambda record, by: started(record, by, minutes(61)),
    "dose end": lambda record, by: ended(record, by, minutes(61)),
    "infusion change": lambda record, by: change(record, by, "paused", minutes(61), "BP"),
    "adverse event": lambda record, by: event(record, by, when=minutes(61)),
    "discharge check": lambda record, by: discharge_services.record_discharge_assessment(
        actor=actor(by),
        record=fetched(record),
        data=discharge_services.DischargeCheckInput(2, 2, 2, 2, 2, True, True, True),
    ),
    "discharge": lambda record, by: discharge_services.discharge(
        actor=actor(by),
        record=fetched(record),
        override_reason="Signed first",
        reauthentication=reauthenticated(by),
    ),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_signed_record_refuses_every_write(record, clinician, write):
    started(record, clinician)
    sign(record, clinician)

    with at(minutes(61)), pytest.raises(Refused, match="signed"):
        WRITES[write](record, clinician)


def test_a_signed_record_refuses_an_intervention(record, clinician):
    recorded = event(record, clinician)
    sign(record, clinician)

    with pytest.raises(Refused, match="signed"):
        intervention(recorded, clinician, when=minutes(61))

    assert not Intervention.objects.exists()
