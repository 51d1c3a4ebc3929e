"""Prescribing and checking a dose: the mg from the patient's latest weight, the clinic's
maximum with a clinician's override, the lot's expiry, the second person's check, the gates
that hold the start until both are done, and the access log."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing import recording
from kapcare.dosing.dose import services as dose_services
from kapcare.dosing.models import DosingRecord
from kapcare.episodes import services as episode_services
from kapcare.episodes.gates import facts as gate_facts
from kapcare.episodes.models import SessionStatus
from kapcare.episodes.tests.test_gate_facts import (
    DOSE,
    GOOD_CHECKLIST,
    NOW,
    actor,
    fetched,
    ready_episode,
    ready_session,
)
from kapcare.refusals import Refused
from tests.factories import (
    BodyMeasurementFactory,
    UserFactory,
    plan_session,
    receive_lot,
    vouched,
)
from tests.second_factor import reauthenticated

EXPIRY = dt.date(2027, 6, 30)


@pytest.fixture(autouse=True)
def at_eight_thirty():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def session(patient, clinician, patient_user):
    """A planned dose whose gates all pass but the dose: none is prescribed yet."""
    episode = ready_episode(patient, clinician, patient_user)
    planned = plan_session(episode, clinician, starts_at=DOSE)
    episode_services.record_day_of_checklist(
        actor=actor(clinician), session=planned, data=GOOD_CHECKLIST
    )
    return fetched(planned)


@pytest.fixture
def record(session, clinician):
    return recording.record_for(actor(clinician), session)


@pytest.fixture
def second(clinic):
    """A nurse of the clinic, for the second check."""
    return UserFactory(role=Role.NURSE, clinic=clinic, full_name="Sam Second")


@pytest.fixture(autouse=True)
def lot(clinic):
    """The lot the doses are prescribed from, in the clinic's register."""
    return receive_lot(clinic, "KET-2611", EXPIRY)


def prescribe(record, by, **changes):
    arguments = {
        "route": "iv",
        "mg_per_kg": Decimal("0.5"),
        "above_maximum_reason": "",
        "infusion_minutes": 40,
        "lot_number": "KET-2611",
        **changes,
    }
    return dose_services.prescribe_dose(actor=actor(by), record=record, **arguments)


def refusal_of(call, *args, **kwargs) -> dict:
    with pytest.raises(Refused) as refusal:
        call(*args, **kwargs)
    return refusal.value.problems


def reloaded(record) -> DosingRecord:
    return DosingRecord.objects.get(pk=record.pk)


def gates_of(session) -> dict:
    return {g.rule: g for g in gate_facts.gate_report(fetched(session), NOW).gates}


# --- Prescribing --------------------------------------------------------------------------------


def test_the_dose_is_computed_from_the_patients_latest_weight(patient, record, clinician):
    latest = patient.body_measurements.filter(weight_kg__isnull=False).first()

    prescribe(record, clinician)

    stored = reloaded(record)
    assert (stored.weight_kg, stored.weight_measured_on) == (Decimal("72.5"), latest.measured_on)
    assert stored.prescribed_mg_per_kg == Decimal("0.500")
    assert stored.dose_mg == Decimal("36.3")  # 36.25, half up
    assert stored.prescribed_by_id == clinician.pk
    assert stored.prescribed_at == NOW


def test_the_latest_of_several_weights_is_used(patient, record, clinician):
    BodyMeasurementFactory(
        patient=patient, recorded_by=clinician, measured_on=NOW.date(), weight_kg=Decimal("80.4")
    )

    prescribe(record, clinician)

    assert reloaded(record).dose_mg == Decimal("40.2")


def test_a_weight_after_the_dose_day_is_not_used(patient, record, clinician):
    BodyMeasurementFactory(
        patient=patient,
        recorded_by=clinician,
        measured_on=NOW.date() + dt.timedelta(days=2),
        weight_kg=Decimal("90.0"),
    )

    prescribe(record, clinician)

    assert reloaded(record).weight_kg == Decimal("72.5")


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_only_a_clinician_may_prescribe(record, clinic, role):
    staff = UserFactory(role=role, clinic=clinic)

    problems = refusal_of(prescribe, record, staff)

    assert problems == {"__all__": "Only a clinician may prescribe a dose."}
    assert reloaded(record).dose_mg is None


def test_above_the_maximum_without_a_reason_is_refused_at_the_reason(record, clinician):
    problems = refusal_of(prescribe, record, clinician, mg_per_kg=Decimal("1.001"))

    assert list(problems) == ["above_maximum_reason"]
    assert problems["above_maximum_reason"].startswith(
        "1.001 mg/kg is above the clinic's maximum of 1 mg/kg for IV."
    )
    assert reloaded(record).dose_mg is None


def test_exactly_at_the_maximum_needs_no_reason(record, clinician):
    prescribe(record, clinician, mg_per_kg=Decimal("1.000"))

    assert reloaded(record).dose_mg == Decimal("72.5")


def test_the_maximum_is_the_clinics_setting_for_the_route(record, clinic, clinician):
    clinic.max_mg_per_kg_im = Decimal("0.40")
    clinic.save(update_fields=["max_mg_per_kg_im"])
    record.patient.clinic = clinic

    problems = refusal_of(prescribe, record, clinician, route="im")

    assert "maximum of 0.4 mg/kg for IM" in problems["above_maximum_reason"]


def test_above_the_total_maximum_is_refused_without_a_reason(record, clinic, clinician):
    clinic.max_total_mg_iv = 36
    clinic.save(update_fields=["max_total_mg_iv"])
    record.patient.clinic = clinic

    problems = refusal_of(prescribe, record, clinician)

    assert problems["above_maximum_reason"].startswith(
        "36.3 mg is above the clinic's maximum total of 36 mg for IV."
    )


def test_a_clinicians_reason_allows_a_dose_above_the_maximum(record, clinician):
    reason = "Partial response at 1 mg/kg over four doses; discussed with the patient."

    prescribe(record, clinician, mg_per_kg=Decimal("1.2"), above_maximum_reason=reason)

    stored = reloaded(record)
    assert stored.dose_mg == Decimal("87.0")
    assert stored.above_maximum_reason == reason


def test_a_reason_is_not_kept_for_a_dose_within_the_maximum(record, clinician):
    prescribe(record, clinician, above_maximum_reason="Not needed.")

    assert reloaded(record).above_maximum_reason == ""


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mg_per_kg": Decimal("0")}, "mg_per_kg"),
        ({"mg_per_kg": Decimal("10.5")}, "mg_per_kg"),
        ({"route": "oral"}, "route"),
        ({"infusion_minutes": None}, "infusion_minutes"),
        ({"lot_number": ""}, "lot_number"),
        ({"lot_number": "KET-TYPED"}, "lot_number"),
    ],
)
def test_implausible_input_is_refused_at_its_field(record, clinician, changes, field):
    problems = refusal_of(prescribe, record, clinician, **changes)

    assert field in problems
    assert reloaded(record).dose_mg is None


def test_a_lot_expiring_on_the_dose_day_may_be_used(record, clinic, clinician):
    receive_lot(clinic, "KET-TODAY", DOSE.date())

    prescribe(record, clinician, lot_number="KET-TODAY")

    assert reloaded(record).lot_expiry == DOSE.date()


def test_the_lots_expiry_is_the_registers(record, clinician):
    prescribe(record, clinician)

    assert (reloaded(record).lot_number, reloaded(record).lot_expiry) == ("KET-2611", EXPIRY)


def test_an_expired_lot_is_refused(record, clinic, clinician):
    receive_lot(clinic, "KET-OLD", DOSE.date() - dt.timedelta(days=1))

    problems = refusal_of(prescribe, record, clinician, lot_number="KET-OLD")

    assert problems == {
        "lot_number": "This lot expired on Nov 30, 2026, before the dose on Dec 1, 2026: "
        "use another lot."
    }
    assert reloaded(record).dose_mg is None


def test_a_lot_with_less_than_the_dose_on_hand_is_refused(record, clinic, clinician):
    receive_lot(clinic, "KET-LOW", EXPIRY, amount_mg="30")

    problems = refusal_of(prescribe, record, clinician, lot_number="KET-LOW")

    assert problems == {
        "lot_number": "Lot KET-LOW has 30 mg on hand, less than the dose of 36.3 mg: "
        "choose another lot."
    }
    assert reloaded(record).dose_mg is None


def test_a_lot_of_another_clinic_is_refused(record, other_clinic, clinician):
    receive_lot(other_clinic, "KET-ELSEWHERE", EXPIRY)

    problems = refusal_of(prescribe, record, clinician, lot_number="KET-ELSEWHERE")

    assert problems == {
        "lot_number": "Lot KET-ELSEWHERE is not in this clinic's register: receive it first."
    }


def test_other_routes_have_no_infusion_duration(record, clinician):
    prescribe(record, clinician, route="im", infusion_minutes=40)

    assert reloaded(record).infusion_minutes is None


def test_a_weight_older_than_the_clinics_window_is_refused(patient, record, clinic, clinician):
    patient.body_measurements.update(measured_on=NOW.date() - dt.timedelta(days=31))

    problems = refusal_of(prescribe, record, clinician)

    assert "more than 30 days before the dose" in problems["weight_kg"]


def test_no_weight_is_refused(patient, record, clinician):
    patient.body_measurements.update(weight_kg=None, height_cm=Decimal("170"))

    problems = refusal_of(prescribe, record, clinician)

    assert problems["weight_kg"].startswith("No weight is recorded")


def test_an_implausible_weight_is_refused(patient, record, clinician):
    BodyMeasurementFactory(
        patient=patient, recorded_by=clinician, measured_on=NOW.date(), weight_kg=Decimal("7.2")
    )

    problems = refusal_of(prescribe, record, clinician)

    assert "7.2 kg is not plausible" in problems["weight_kg"]


def updates_logged(record, by) -> int:
    return AccessLogEntry.objects.filter(
        action=AccessAction.UPDATE,
        object_type="dosingrecord",
        object_id=str(record.external_id),
        actor=by,
        patient_id=record.patient_id,
    ).count()


def test_prescribing_is_logged(record, clinician):
    prescribe(record, clinician)

    assert updates_logged(record, clinician) == 1


def test_a_refused_prescription_is_not_logged(record, clinician):
    refusal_of(prescribe, record, clinician, mg_per_kg=Decimal("0"))

    assert updates_logged(record, clinician) == 0


# --- The second check ---------------------------------------------------------------------------


def test_a_second_staff_member_checks_the_dose(record, clinician, second):
    prescribe(record, clinician)

    dose_services.confirm_dose(actor=actor(second), record=record, checker=vouched(second))

    stored = reloaded(record)
    assert stored.confirmed_by_id == second.pk
    assert stored.confirmed_at == NOW
    assert updates_logged(record, second) == 1


def test_the_prescriber_cannot_check_their_own_dose(record, clinician):
    prescribe(record, clinician)

    problems = refusal_of(
        dose_services.confirm_dose,
        actor=actor(clinician),
        record=record,
        checker=vouched(clinician),
    )

    assert problems == {
        "second_email": "Cal Clinician, CRNA prescribed this dose and cannot be its second checker."
    }
    assert reloaded(record).confirmed_at is None


def test_the_prescriber_at_the_screen_may_have_a_nurse_check_the_dose(record, clinician, second):
    prescribe(record, clinician)

    dose_services.confirm_dose(actor=actor(clinician), record=record, checker=vouched(second))

    assert reloaded(record).confirmed_by_id == second.pk


def test_a_coordinator_may_not_check_a_dose(record, clinic, clinician, coordinator, second):
    prescribe(record, clinician)

    problems = refusal_of(
        dose_services.confirm_dose, actor=actor(second), record=record, checker=vouched(coordinator)
    )

    assert problems == {
        "second_email": "Cora Coordinator may not act as the second checker (a clinician or "
        "nurse of the clinic) at this clinic."
    }
    assert reloaded(record).confirmed_at is None


def test_a_check_without_a_checker_is_refused(record, clinician, second):
    prescribe(record, clinician)

    problems = refusal_of(
        dose_services.confirm_dose, actor=actor(second), record=record, checker=None
    )

    assert problems == {
        "second_email": "The second checker enters their own email and password here."
    }


def test_nothing_to_check_before_a_prescription(record, second):
    problems = refusal_of(
        dose_services.confirm_dose, actor=actor(second), record=record, checker=vouched(second)
    )

    assert problems["__all__"].startswith("No dose is prescribed yet")


def test_staff_of_another_clinic_cannot_check_the_dose(record, clinician, outsider):
    prescribe(record, clinician)

    refusal_of(
        dose_services.confirm_dose, actor=actor(outsider), record=record, checker=vouched(outsider)
    )

    assert reloaded(record).confirmed_at is None


def test_a_check_of_a_prescription_changed_meanwhile_is_refused(record, clinician, second):
    seen = prescribe(record, clinician).prescribed_at
    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        prescribe(record, clinician, mg_per_kg=Decimal("0.6"))

    problems = refusal_of(
        dose_services.confirm_dose,
        actor=actor(second),
        record=record,
        checker=vouched(second),
        prescribed_at=seen,
    )

    assert problems["__all__"].startswith("The dose was changed since you opened the page")


def test_changing_the_dose_undoes_the_second_check(record, clinician, second):
    prescribe(record, clinician)
    dose_services.confirm_dose(actor=actor(second), record=record, checker=vouched(second))

    prescribe(record, clinician, mg_per_kg=Decimal("0.6"))

    assert reloaded(record).confirmed_at is None


def test_saving_the_same_prescription_again_keeps_the_check(record, clinician, second):
    prescribe(record, clinician)
    dose_services.confirm_dose(actor=actor(second), record=record, checker=vouched(second))

    prescribe(record, clinician)

    assert reloaded(record).confirmed_by_id == second.pk


def test_another_clinician_saving_the_prescription_undoes_the_check(
    record, clinic, clinician, second
):
    prescribe(record, clinician)
    dose_services.confirm_dose(actor=actor(second), record=record, checker=vouched(second))
    colleague = UserFactory(role=Role.CLINICIAN, clinic=clinic)

    prescribe(record, colleague)

    assert reloaded(record).confirmed_at is None


# --- Signed or started --------------------------------------------------------------------------


def sign(record, by):
    DosingRecord.objects.filter(pk=record.pk).update(signed_at=NOW, signed_by=by)


def test_a_signed_record_refuses_a_new_prescription(record, clinician):
    prescribe(record, clinician)
    sign(record, clinician)

    problems = refusal_of(prescribe, record, clinician, mg_per_kg=Decimal("0.6"))

    assert problems == {"__all__": "This record is signed: add an addendum instead."}


def test_a_signed_record_refuses_the_check(record, clinician, second):
    prescribe(record, clinician)
    sign(record, clinician)

    problems = refusal_of(
        dose_services.confirm_dose, actor=actor(second), record=record, checker=vouched(second)
    )

    assert "signed" in problems["__all__"]


def test_a_started_dose_can_no_longer_be_changed(patient, clinician, patient_user):
    session = ready_session(patient, clinician, patient_user)
    episode_services.start_dosing_session(actor=actor(clinician), session=session, now=DOSE)
    record = recording.record_for(actor(clinician), session)

    problems = refusal_of(prescribe, record, clinician, mg_per_kg=Decimal("0.6"))

    assert problems == {
        "__all__": "This dosing session is in progress: the dose can no longer be changed or "
        "checked."
    }
    assert reloaded(record).prescribed_mg_per_kg == Decimal("0.500")


# --- The gates ----------------------------------------------------------------------------------


def test_without_a_record_the_dose_gate_says_not_prescribed(session):
    gate = gates_of(session)["dose"]

    assert not DosingRecord.objects.exists()
    assert not gate.passed
    assert gate.message.startswith("No dose is prescribed yet")
    assert gate.fix_url.endswith(f"/dosing-sessions/{session.external_id}/record/#dose")


def test_a_prescribed_dose_fails_the_gate_until_it_is_checked(record, session, clinician, second):
    prescribe(record, clinician)
    assert not gates_of(session)["dose"].passed

    dose_services.confirm_dose(actor=actor(second), record=record, checker=vouched(second))

    gate = gates_of(session)["dose"]
    assert gate.passed
    assert gate.message == (
        "36.3 mg IV (0.5 mg/kg × 72.5 kg = 36.3 mg), prescribed by Cal Clinician, CRNA and "
        "checked by Sam Second."
    )


def test_a_newer_weight_fails_the_dose_gate(patient, record, session, clinician, second):
    prescribe(record, clinician)
    dose_services.confirm_dose(actor=actor(second), record=record, checker=vouched(second))
    BodyMeasurementFactory(
        patient=patient, recorded_by=clinician, measured_on=NOW.date(), weight_kg=Decimal("75.0")
    )

    gate = gates_of(session)["dose"]

    assert not gate.passed
    assert "no longer the patient's latest weight" in gate.message


def test_a_weight_too_old_on_the_day_fails_the_dose_gate(record, session, clinician, second):
    prescribe(record, clinician)
    dose_services.confirm_dose(actor=actor(second), record=record, checker=vouched(second))
    later = DOSE + dt.timedelta(days=31)  # 31 days after the latest weight, of Dec 1

    report = gate_facts.gate_report(fetched(session), later, dose_at=later)
    gate = next(g for g in report.gates if g.rule == "dose")

    assert not gate.passed
    assert "more than 30 days before the dose" in gate.message


def test_the_dose_gate_runs_one_query(session, record, clinician, django_assert_num_queries):
    prescribe(record, clinician)
    session = fetched(session)

    with django_assert_num_queries(1):
        dose_services.dose_gates(session, DOSE)


def test_the_start_is_refused_until_the_dose_is_checked(record, session, clinician, second):
    prescribe(record, clinician)

    with pytest.raises(Refused) as refusal:
        episode_services.start_dosing_session(actor=actor(clinician), session=session, now=DOSE)
    assert list(refusal.value.problems) == ["dose"]
    assert fetched(session).status == SessionStatus.PLANNED

    dose_services.confirm_dose(actor=actor(second), record=record, checker=vouched(second))
    started = episode_services.start_dosing_session(
        actor=actor(clinician), session=session, now=DOSE
    )
    assert started.status == SessionStatus.IN_PROGRESS


def test_the_dose_gate_cannot_be_waived(session, clinician):
    problems = refusal_of(
        episode_services.waive_gate,
        actor=actor(clinician),
        session=session,
        rule="dose",
        reason="In a hurry.",
        reauthentication=reauthenticated(clinician),
    )

    assert problems["rule"].startswith(
        "“Dose prescribed and checked by a second person” cannot be waived"
    )


def test_the_ready_session_of_the_episode_tests_has_its_dose_checked(
    patient, clinician, patient_user
):
    session = ready_session(patient, clinician, patient_user)

    assert gates_of(session)["dose"].passed
