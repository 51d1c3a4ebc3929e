"""Esketamine through the services, as the pages and the API call them: the clinic's
certification, the REMS enrolment and its gate, the prescription, the devices and the
register, the discharge at 2 hours with the effects resolved, and the REMS form."""

import datetime as dt
from decimal import Decimal

import pytest

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing import recording
from kapcare.dosing.discharge import services as discharge_services
from kapcare.dosing.esketamine import facts, services
from kapcare.dosing.esketamine.tests.fixtures import (
    DOSE,
    LOT,
    NOW,
    actor,
    all_devices_taken,
    at,
    certified,
    device,
    enrol,
    fetched,
    minutes,
    prescribed,
    receive_devices,
    under_way,
    vitals,
)
from kapcare.dosing.models import ControlledSubstanceEntry, DosingRecord, Drug, NasalDevice
from kapcare.dosing.substances import services as substances_services
from kapcare.dosing.tests.test_events_fixtures import GOOD_CHECK
from kapcare.episodes import services as episode_services
from kapcare.episodes.gates import facts as gate_facts
from kapcare.refusals import Refused
from tests.factories import nurse_of

# --- The clinic's drugs ------------------------------------------------------------------


def test_a_clinic_lists_only_ketamine_until_it_gives_esketamine(clinic):
    assert [drug["id"] for drug in services.drugs_of(clinic)] == ["ketamine"]

    certified(clinic)

    assert services.drugs_of(clinic)[1] == {
        "id": "esketamine",
        "name": "Esketamine (Spravato)",
        "routes": ["intranasal"],
        "min_observation_minutes": 120,
        "rems": True,
    }


# --- REMS enrolment and its gate --------------------------------------------------------


def test_the_enrolment_is_recorded_once_with_who_and_logged(patient, clinician):
    with at(NOW):
        enrolment = enrol(patient, clinician)
        with pytest.raises(Refused, match="already recorded"):
            enrol(patient, clinician)

    assert (enrolment.enrolment_id, enrolment.recorded_by_id) == ("RP-778812", clinician.pk)
    assert AccessLogEntry.objects.filter(
        patient=patient, action=AccessAction.CREATE, object_type="remsenrolment"
    ).exists()


@pytest.mark.parametrize("role", ["coordinator", "nurse"])
def test_only_a_clinician_records_the_enrolment(request, patient, role):
    with at(NOW), pytest.raises(Refused, match="Only a clinician"):
        enrol(patient, request.getfixturevalue(role))


def test_an_enrolment_in_the_future_is_refused(patient, clinician):
    with at(NOW), pytest.raises(Refused) as refused:
        services.record_enrolment(
            actor=actor(clinician),
            patient=patient,
            enrolment_id="RP-1",
            enrolled_on=NOW.date() + dt.timedelta(days=1),
        )
    assert "still to come" in refused.value.problems["enrolled_on"]


def test_the_rems_gate_blocks_an_esketamine_dose_until_the_enrolment_is_recorded(
    patient, clinician, patient_user
):
    record = prescribed(patient, clinician, patient_user, enrolled=False)
    with at(NOW):
        report = gate_facts.gate_report(record.session, NOW, dose_at=DOSE)
        rems = [gate for gate in report.gates if gate.rule == "rems_enrolment"]
        assert [(gate.passed, gate.waivable) for gate in rems] == [(False, False)]
        assert [gate.rule for gate in report.blocking] == ["rems_enrolment"]
    with at(DOSE), pytest.raises(Refused, match="not recorded as enrolled"):
        episode_services.start_dosing_session(
            actor=actor(clinician), session=record.session, now=DOSE
        )

    with at(NOW):
        enrol(patient, clinician)
        report = gate_facts.gate_report(record.session, NOW, dose_at=DOSE)

    assert not report.blocking


def test_a_ketamine_dose_has_no_rems_gate(patient, clinician, patient_user):
    from kapcare.episodes.tests.test_gate_facts import ready_session

    with at(NOW):
        session = ready_session(patient, clinician, patient_user)
        report = gate_facts.gate_report(session, NOW, dose_at=DOSE)

    assert "rems_enrolment" not in [gate.rule for gate in report.gates]


# --- Prescription ----------------------------------------------------------------------


def test_an_esketamine_dose_is_prescribed_from_a_lot_of_devices(patient, clinician, patient_user):
    record = prescribed(patient, clinician, patient_user, dose_mg="56")

    assert (record.drug, record.route, record.dose_mg, record.lot_number) == (
        Drug.ESKETAMINE,
        "intranasal",
        Decimal(56),
        LOT,
    )
    assert record.prescribed_mg_per_kg is None
    assert record.is_confirmed


def test_the_first_treatment_at_84_mg_is_refused_at_the_dose(patient, clinician, patient_user):
    record = prescribed(patient, clinician, patient_user, dose_mg="56", first=True)
    with at(NOW), pytest.raises(Refused) as refused:
        services.prescribe(
            actor=actor(clinician), record=record, dose_mg=Decimal(84), lot_number=LOT
        )

    assert refused.value.problems == {
        "dose_mg": "84 mg cannot be the patient's first esketamine treatment: the label's "
        "induction starts at 56 mg on day 1 (56 or 84 mg from the second treatment on)."
    }
    assert fetched(record).dose_mg == 56


def test_84_mg_is_prescribed_once_the_patient_was_given_esketamine(
    patient, clinician, patient_user
):
    record = prescribed(patient, clinician, patient_user, dose_mg="84")

    assert fetched(record).dose_mg == 84


def test_a_first_treatment_at_84_mg_written_before_the_rule_blocks_the_dose_gate(
    patient, clinician, patient_user
):
    record = prescribed(patient, clinician, patient_user, dose_mg="56", first=True)
    DosingRecord.objects.filter(pk=record.pk).update(dose_mg=Decimal(84))
    with at(NOW):
        report = gate_facts.gate_report(record.session, NOW, dose_at=DOSE)

    dose = next(gate for gate in report.gates if gate.rule == "dose")
    assert (dose.passed, dose.waivable) == (False, False)
    assert dose.message.startswith("84 mg cannot be the patient's first esketamine treatment")


@pytest.mark.parametrize("dose", ["28", "70", "112"])
def test_a_dose_the_label_does_not_allow_is_refused(patient, clinician, patient_user, dose):
    record = prescribed(patient, clinician, patient_user)
    with at(NOW), pytest.raises(Refused) as refused:
        services.prescribe(
            actor=actor(clinician), record=record, dose_mg=Decimal(dose), lot_number=LOT
        )
    assert "is not a Spravato dose" in refused.value.problems["dose_mg"]


def test_a_ketamine_lot_cannot_be_prescribed_as_esketamine(patient, clinician, patient_user):
    record = prescribed(patient, clinician, patient_user)
    with at(NOW), pytest.raises(Refused) as refused:
        services.prescribe(
            actor=actor(clinician), record=record, dose_mg=Decimal(56), lot_number="KET-2611"
        )
    assert "is not esketamine" in refused.value.problems["lot_number"]


def test_an_expired_lot_of_devices_is_refused(patient, clinician, patient_user):
    record = prescribed(patient, clinician, patient_user)
    with at(NOW):
        receive_devices(
            patient.clinic, clinician, "SPR-OLD", expiry=NOW.date() - dt.timedelta(days=1)
        )
    with at(NOW), pytest.raises(Refused) as refused:
        services.prescribe(
            actor=actor(clinician),
            record=fetched(record),
            dose_mg=Decimal(56),
            lot_number="SPR-OLD",
        )
    assert "has expired" in refused.value.problems["lot_number"]


def test_a_clinic_that_does_not_give_esketamine_cannot_prescribe_it(
    patient, clinician, patient_user
):
    from kapcare.episodes.tests.test_gate_facts import ready_session

    with at(NOW):
        session = ready_session(patient, clinician, patient_user)
        record = recording.record_for(actor(clinician), session)
        with pytest.raises(Refused, match="does not give esketamine"):
            services.prescribe(
                actor=actor(clinician), record=record, dose_mg=Decimal(56), lot_number=LOT
            )


def test_a_nurse_may_not_prescribe(patient, clinician, patient_user):
    record = prescribed(patient, clinician, patient_user)
    with at(NOW), pytest.raises(Refused, match="Only a clinician"):
        services.prescribe(
            actor=actor(nurse_of(patient.clinic)),
            record=record,
            dose_mg=Decimal(56),
            lot_number=LOT,
        )


def test_changing_the_dose_undoes_the_second_check(patient, clinician, patient_user):
    record = prescribed(patient, clinician, patient_user, dose_mg="84")
    with at(NOW):
        record = services.prescribe(
            actor=actor(clinician), record=record, dose_mg=Decimal(56), lot_number=LOT
        )
    assert not record.is_confirmed


# --- Devices ---------------------------------------------------------------------------


def test_each_device_is_recorded_with_its_time_and_comes_out_of_the_register(
    patient, clinician, patient_user
):
    record = all_devices_taken(patient, clinician, patient_user)

    assert [(d.number, d.given_at, d.amount_mg) for d in record.nasal_devices.all()] == [
        (1, minutes(1), Decimal(28)),
        (2, minutes(6), Decimal(28)),
        (3, minutes(11), Decimal(28)),
    ]
    assert (record.dose_started_at, record.dose_ended_at) == (minutes(1), minutes(11))
    used = ControlledSubstanceEntry.objects.filter(record=record, drug=Drug.ESKETAMINE)
    assert sorted(used.values_list("kind", flat=True)) == ["drawn"] * 3 + ["given"] * 3
    assert substances_services.register_lots(patient.clinic_id, LOT)[LOT][1] == Decimal(840 - 84)


def test_esketamine_is_not_recorded_by_the_mg_in_the_register(patient, clinician, patient_user):
    record = under_way(patient, clinician, patient_user)
    with at(minutes(1)), pytest.raises(Refused, match="Esketamine is not drawn by the mg"):
        substances_services.record_session_use(
            actor=actor(clinician),
            record=record,
            lot_number=LOT,
            drawn_mg=Decimal(84),
            given_mg=Decimal(84),
            wasted_mg=Decimal(0),
        )

    assert not ControlledSubstanceEntry.objects.filter(record=record).exists()


def test_a_device_4_minutes_after_the_previous_is_refused(patient, clinician, patient_user):
    record = under_way(patient, clinician, patient_user)
    device(record, clinician, minutes(1))

    with pytest.raises(Refused) as refused:
        device(record, clinician, minutes(5))

    assert "wait 5 minutes between devices" in refused.value.problems["at"]
    assert NasalDevice.objects.filter(record=record).count() == 1


def test_no_more_devices_than_the_dose(patient, clinician, patient_user):
    record = under_way(patient, clinician, patient_user, dose_mg="56")
    device(record, clinician, minutes(1))
    device(record, clinician, minutes(6))

    with pytest.raises(Refused, match="All 2 devices"):
        device(record, clinician, minutes(12))


def test_a_device_before_the_session_started_is_refused(patient, clinician, patient_user):
    record = prescribed(patient, clinician, patient_user)
    with pytest.raises(Refused, match="in progress"):
        device(record, clinician, minutes(-1))


# --- Discharge -------------------------------------------------------------------------


def ready_but_for_time(patient, clinician, patient_user, resolved=True):
    """All devices taken (the dose ended at 9:11), vitals back near baseline, a good
    discharge check and the effects checked at 10:50."""
    record = all_devices_taken(patient, clinician, patient_user)
    vitals(record, clinician, minutes(100), hr=74, sbp=128, dbp=80, spo2=98)
    with at(minutes(110)):
        discharge_services.record_discharge_assessment(
            actor=actor(clinician), record=fetched(record), data=GOOD_CHECK
        )
        services.record_resolution(
            actor=actor(clinician),
            record=fetched(record),
            sedation_resolved=True,
            dissociation_resolved=resolved,
            respiratory_depression_resolved=True,
        )
    return fetched(record)


def discharge_at(record, clinician, when):
    with at(when):
        return discharge_services.discharge(
            actor=actor(clinician), record=fetched(record), now=when
        )


def test_discharge_is_refused_119_minutes_after_the_last_device(patient, clinician, patient_user):
    record = ready_but_for_time(patient, clinician, patient_user)

    with pytest.raises(discharge_services.DischargeRefused) as refused:
        discharge_at(record, clinician, minutes(11 + 119))

    assert refused.value.unmet == [
        "Observed for 119 min since the dose ended at 9:11 AM; the clinic requires 120 min "
        "(until 11:11 AM)."
    ]


def test_discharge_goes_ahead_120_minutes_after_the_last_device_when_resolved(
    patient, clinician, patient_user
):
    record = ready_but_for_time(patient, clinician, patient_user)

    record = discharge_at(record, clinician, minutes(11 + 120))

    assert record.discharged_at == minutes(131)
    assert record.discharge_override_reason == ""


def test_discharge_waits_for_dissociation_to_resolve(patient, clinician, patient_user):
    record = ready_but_for_time(patient, clinician, patient_user, resolved=False)

    with pytest.raises(discharge_services.DischargeRefused) as refused:
        discharge_at(record, clinician, minutes(11 + 120))

    assert refused.value.unmet == ["Not yet resolved: dissociation. Observe until they resolve."]


def test_ketamine_keeps_its_own_observation_time(clinic):
    certified(clinic)
    assert discharge_services.discharge_settings(clinic).observation_minutes == 60
    assert discharge_services.discharge_settings(clinic, Drug.ESKETAMINE).observation_minutes == 120


# --- Blood pressure and the REMS form ----------------------------------------------------


def test_a_missing_40_minute_blood_pressure_is_flagged(patient, clinician, patient_user):
    record = under_way(patient, clinician, patient_user, dose_mg="56")
    vitals(record, clinician, minutes(0), sbp=126, dbp=80)
    device(record, clinician, minutes(1))
    device(record, clinician, minutes(6))

    checks = services_checks(record, minutes(52))

    assert [(c.taken_at, c.is_missing) for c in checks] == [
        (minutes(0), False),
        (None, True),
        (None, False),
    ]


def services_checks(record, now):
    return facts.blood_pressure_checks(fetched(record), now)


def test_the_form_is_due_within_7_days_and_then_overdue(patient, clinician, patient_user):
    record = all_devices_taken(patient, clinician, patient_user)
    clinic = patient.clinic

    with at(DOSE + dt.timedelta(days=7)):
        assert [(f.record.pk, f.state) for f in services.forms_of(clinic)] == [(record.pk, "due")]
    with at(DOSE + dt.timedelta(days=8)):
        assert [f.state for f in services.forms_of(clinic)] == ["overdue"]
        assert services.rems_forms_for_home(clinician) == {"overdue": 1, "due": 0}


def test_marking_the_form_sent_records_who_when_and_the_confirmation(
    patient, clinician, coordinator, patient_user
):
    record = all_devices_taken(patient, clinician, patient_user)

    with at(DOSE + dt.timedelta(days=2)):
        sent = services.mark_form_submitted(
            actor=actor(coordinator), record=fetched(record), confirmation="RMS-0042"
        )
        assert services.forms_of(patient.clinic) == []
        with pytest.raises(Refused, match="already recorded"):
            services.mark_form_submitted(
                actor=actor(clinician), record=fetched(record), confirmation="RMS-0043"
            )

    assert (sent.submitted_by_id, sent.confirmation, sent.submitted_at) == (
        coordinator.pk,
        "RMS-0042",
        DOSE + dt.timedelta(days=2),
    )


def test_a_form_is_not_sent_for_a_session_where_nothing_was_given(patient, clinician, patient_user):
    record = prescribed(patient, clinician, patient_user)
    with at(NOW), pytest.raises(Refused, match="Only a session where esketamine was given"):
        services.mark_form_submitted(actor=actor(clinician), record=record, confirmation="RMS-1")
