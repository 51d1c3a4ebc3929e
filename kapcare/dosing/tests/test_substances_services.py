"""Writing the ketamine register: stock received, a session's use with its witness, and
corrections as new lines; each refused at the field when the rules do not allow it, and
each logged in its transaction."""

import datetime as dt
from decimal import Decimal as D

import pytest

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing.models import ControlledSubstanceEntry, SubstanceEntryKind
from kapcare.dosing.substances import services as substances_services
from kapcare.dosing.tests.test_substances_fixtures import (
    EXPIRY,
    LOT,
    STRENGTH,
    actor,
    receive,
    record_fixture,  # noqa: F401 (the `record` fixture)
    sign,
    stock_fixture,  # noqa: F401 (the `stock` fixture)
    use,
)
from kapcare.refusals import Refused
from tests.factories import UserFactory, nurse_of, vouched

# --- Stock received ---------------------------------------------------------------------------


def test_a_clinician_receives_a_lot_into_stock(clinician, clinic):
    entry = receive(clinician, "500", note="Invoice 4471")

    assert (entry.kind, entry.amount_mg, entry.lot_number) == ("received", D("500"), LOT)
    assert (entry.lot_expiry, entry.clinic_id, entry.patient_id) == (EXPIRY, clinic.pk, None)
    assert entry.recorded_by_id == clinician.pk


def test_stock_received_is_counted_with_a_licensed_witness(clinician, nurse):
    entry = receive(clinician, witness=nurse)

    assert entry.witness_id == nurse.pk


def test_a_nurse_receives_stock_that_a_clinician_counts(nurse, clinician):
    entry = receive(nurse, witness=clinician)

    assert (entry.recorded_by_id, entry.witness_id) == (nurse.pk, clinician.pk)


@pytest.mark.parametrize(
    ("witness_name", "message"),
    [
        (None, "The witness to the count enters their own email and password here."),
        ("clinician", "The second person must be someone other than you."),
        (
            "coordinator",
            "Cora Coordinator may not act as the witness to the count (a clinician or nurse "
            "of the clinic) at this clinic.",
        ),
    ],
)
def test_stock_received_without_a_licensed_witness_is_refused(
    request, clinician, witness_name, message
):
    witness = request.getfixturevalue(witness_name) if witness_name else None
    with pytest.raises(Refused) as refusal:
        substances_services.receive_stock(
            actor=actor(clinician),
            clinic=clinician.clinic,
            lot_number=LOT,
            lot_expiry=EXPIRY,
            amount_mg=D("500"),
            witness=vouched(witness) if witness else None,
            strength=STRENGTH,
            dosage_form="injectable_solution",
        )

    assert refusal.value.problems == {"second_email": message}
    assert not ControlledSubstanceEntry.objects.exists()


def test_stock_received_is_logged_with_the_clinic_and_no_patient(clinician, clinic):
    entry = receive(clinician)

    row = AccessLogEntry.objects.get(object_id=str(entry.external_id))
    assert (row.action, row.clinic_id, row.patient_id) == (AccessAction.CREATE, clinic.pk, None)


def test_a_coordinator_cannot_receive_stock(coordinator):
    with pytest.raises(Refused) as refusal:
        receive(coordinator)

    assert "__all__" in refusal.value.problems
    assert not ControlledSubstanceEntry.objects.exists()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount received must be more than 0 mg."),
        ("-5", "The amount received must be more than 0 mg."),
        ("0.001", "Enter the amount received to at most two decimals (0.01 mg)."),
        ("1000000", "The amount received must be below 1,000,000 mg."),
    ],
)
def test_stock_received_must_be_a_positive_amount_in_hundredths(clinician, amount, message):
    with pytest.raises(Refused) as refusal:
        receive(clinician, amount)

    assert refusal.value.problems == {"amount_mg": message}


def test_stock_received_needs_a_lot_number_and_an_expiry(clinician):
    with pytest.raises(Refused) as refusal:
        receive(clinician, lot="  ", expiry=None)

    assert set(refusal.value.problems) == {"lot_number", "lot_expiry"}


def test_a_lot_received_again_keeps_its_first_expiry(clinician):
    receive(clinician)

    with pytest.raises(Refused) as refusal:
        receive(clinician, expiry=dt.date(2028, 1, 31))

    assert refusal.value.problems == {
        "lot_expiry": f"Lot {LOT} was received before with the expiry Jun 30, 2027: "
        "check the vials."
    }


# --- A session's use --------------------------------------------------------------------------


def kinds_and_amounts(record):
    return list(
        ControlledSubstanceEntry.objects.filter(record=record).values_list("kind", "amount_mg")
    )


def test_a_session_use_writes_drawn_given_and_a_witnessed_waste(
    record, stock, clinician, patient, nurse
):
    entries = use(record, clinician, "50", "36.2", "13.8", witness=nurse)

    assert kinds_and_amounts(record) == [
        ("drawn", D("50")),
        ("given", D("36.2")),
        ("wasted", D("13.8")),
    ]
    assert entries[2].witness_id == nurse.pk
    assert all(e.patient_id == patient.pk and e.lot_expiry == EXPIRY for e in entries)


def test_a_return_to_stock_is_its_own_line(record, stock, clinician):
    use(record, clinician, "50", "36.2", returned="13.8")

    assert kinds_and_amounts(record) == [
        ("drawn", D("50")),
        ("given", D("36.2")),
        ("returned", D("13.8")),
    ]


def test_each_line_of_a_session_use_is_logged_with_the_patient(record, stock, clinician, patient):
    entries = use(record, clinician, "50", "36.2", "13.8", witness=nurse_of(patient.clinic))

    logged = set(
        AccessLogEntry.objects.filter(patient=patient, action=AccessAction.CREATE).values_list(
            "object_id", flat=True
        )
    )
    assert {str(e.external_id) for e in entries} <= logged


@pytest.mark.parametrize(
    ("drawn", "given", "wasted", "returned", "field", "message"),
    [
        ("0", "0", "0", "0", "drawn_mg", "The amount drawn up must be more than 0 mg."),
        ("50", "-1", "0", "0", "given_mg", "The amount given cannot be below 0 mg."),
        ("50", "36.2", "-1", "0", "wasted_mg", "The amount wasted cannot be below 0 mg."),
        ("50", "36.2", "0", "-1", "returned_mg", "The amount returned cannot be below 0 mg."),
        (
            "50",
            "36.205",
            "0",
            "0",
            "given_mg",
            "Enter the amount given to at most two decimals (0.01 mg).",
        ),
        (
            "30",
            "36.2",
            "0",
            "0",
            "given_mg",
            "More given (36.2 mg) than drawn up (30 mg): check both amounts.",
        ),
        (
            "50",
            "36.2",
            "10",
            "5",
            "wasted_mg",
            "Given, wasted and returned add up to 51.2 mg, more than the 50 mg drawn up: "
            "check the amounts.",
        ),
    ],
)
def test_amounts_that_cannot_be_are_refused_at_their_field(
    record, stock, clinician, nurse, drawn, given, wasted, returned, field, message
):
    with pytest.raises(Refused) as refusal:
        use(record, clinician, drawn, given, wasted, returned=returned, witness=nurse)

    assert refusal.value.problems[field] == message
    assert not ControlledSubstanceEntry.objects.filter(record=record).exists()


def test_a_waste_needs_a_witness(record, stock, clinician):
    with pytest.raises(Refused) as refusal:
        use(record, clinician, "50", "36.2", "13.8")

    assert refusal.value.problems == {
        "second_email": "A waste of ketamine needs a witness: they enter their own email and "
        "password."
    }


def test_the_one_who_records_cannot_witness_their_own_waste(record, stock, clinician):
    with pytest.raises(Refused) as refusal:
        use(record, clinician, "50", "36.2", "13.8", witness=clinician)

    assert refusal.value.problems == {
        "second_email": "The second person must be someone other than you."
    }


def test_a_coordinator_is_refused_as_the_witness_of_a_waste(record, stock, clinician, coordinator):
    with pytest.raises(Refused) as refusal:
        use(record, clinician, "50", "36.2", "13.8", witness=coordinator)

    assert refusal.value.problems == {
        "second_email": "Cora Coordinator may not act as the witness (a clinician or nurse of "
        "the clinic) at this clinic."
    }
    assert not ControlledSubstanceEntry.objects.filter(record=record).exists()


def test_a_nurse_records_a_use_that_a_clinician_witnesses(record, stock, clinician, nurse):
    entries = use(record, nurse, "50", "36.2", "13.8", witness=clinician)

    assert (entries[2].recorded_by_id, entries[2].witness_id) == (nurse.pk, clinician.pk)


@pytest.mark.parametrize(
    "witness_of",
    [
        lambda clinic, other: UserFactory(role=Role.CLINICIAN, clinic=other),
        lambda clinic, other: UserFactory(role=Role.CLINICIAN, clinic=clinic, is_active=False),
        lambda clinic, other: UserFactory(role=Role.PATIENT, clinic=clinic),
        lambda clinic, other: UserFactory(role=Role.THERAPIST, clinic=None),
    ],
    ids=["another clinic's clinician", "deactivated colleague", "a patient", "a therapist"],
)
def test_a_witness_must_be_an_active_clinician_or_nurse_of_the_clinic(
    record, stock, clinician, clinic, other_clinic, witness_of
):
    with pytest.raises(Refused) as refusal:
        use(record, clinician, "50", "36.2", "13.8", witness=witness_of(clinic, other_clinic))

    assert (
        "may not act as the witness (a clinician or nurse of the clinic)"
        in (refusal.value.problems["second_email"])
    )


def test_no_waste_needs_no_witness(record, stock, clinician):
    use(record, clinician, "36.2", "36.2")

    assert kinds_and_amounts(record) == [("drawn", D("36.2")), ("given", D("36.2"))]


def test_a_given_amount_other_than_the_dose_needs_a_note(record, stock, clinician, nurse):
    with pytest.raises(Refused) as refusal:
        use(record, clinician, "50", "30", "20", witness=nurse)

    assert refusal.value.problems == {
        "note": "The dose on the record is 36.2 mg and 30 mg was given: write why."
    }


def test_a_given_amount_other_than_the_dose_is_recorded_with_its_note(
    record, stock, clinician, nurse
):
    entries = use(record, clinician, "50", "30", "20", witness=nurse, note="Stopped for nausea.")

    assert entries[0].note == "Stopped for nausea."


def test_a_use_before_any_dose_is_prescribed_needs_a_note(patient, clinician, stock):
    from kapcare.dosing.tests.test_substances_fixtures import dosing_record

    bare = dosing_record(patient, clinician, mg_per_kg=None)

    with pytest.raises(Refused) as refusal:
        use(bare, clinician, "36.2", "36.2")

    assert refusal.value.problems == {
        "note": "No dose is prescribed on this record yet: write why it was given."
    }


def test_a_draw_not_accounted_for_needs_a_note_and_is_then_recorded_as_it_was(
    record, stock, clinician, nurse
):
    with pytest.raises(Refused) as refusal:
        use(record, clinician, "50", "36.2", "10", witness=nurse)
    assert refusal.value.problems == {
        "note": "3.8 mg of the 50 mg drawn up is not given, wasted or returned: "
        "write what happened to it."
    }

    use(record, clinician, "50", "36.2", "10", witness=nurse, note="Vial cracked.")

    assert len(kinds_and_amounts(record)) == 3


def test_a_lot_never_received_is_refused(record, clinician):
    with pytest.raises(Refused) as refusal:
        use(record, clinician, "36.2", "36.2")

    assert refusal.value.problems == {
        "lot_number": f"No ketamine of lot {LOT} has been received at this clinic: "
        "receive the lot on the register first."
    }


def test_a_lot_of_another_clinic_counts_as_never_received(record, clinician, other_clinic):
    receive(UserFactory(role=Role.CLINICIAN, clinic=other_clinic))

    with pytest.raises(Refused) as refusal:
        use(record, clinician, "36.2", "36.2")

    assert "lot_number" in refusal.value.problems


def test_a_coordinator_cannot_record_a_session_use(record, stock, coordinator):
    with pytest.raises(Refused) as refusal:
        use(record, coordinator, "36.2", "36.2")

    assert "__all__" in refusal.value.problems


def test_a_signed_record_takes_no_new_use(record, stock, clinician):
    sign(record, clinician)

    with pytest.raises(Refused) as refusal:
        use(record, clinician, "36.2", "36.2")

    assert refusal.value.problems == {"__all__": "This record is signed: add an addendum instead."}
    assert not ControlledSubstanceEntry.objects.filter(record=record).exists()


# --- Corrections ------------------------------------------------------------------------------


def test_a_correction_is_a_new_line_pointing_at_the_original(clinician, stock):
    correction = substances_services.correct_entry(
        actor=actor(clinician), entry=stock, amount_mg=D("-5"), note="Mistyped: 495 mg arrived."
    )

    assert (correction.kind, correction.amount_mg) == (SubstanceEntryKind.CORRECTION, D("-5"))
    assert (correction.corrects_id, correction.lot_number) == (stock.pk, stock.lot_number)
    stock.refresh_from_db()
    assert stock.amount_mg == D("500")


def test_a_correction_of_a_session_line_belongs_to_that_session_and_patient(
    record, stock, clinician, nurse, patient
):
    _, given, _ = use(record, clinician, "50", "36.2", "13.8", witness=nurse)

    correction = substances_services.correct_entry(
        actor=actor(clinician), entry=given, amount_mg=D("-1"), note="36.2 was a typo: 35.2."
    )

    assert (correction.record_id, correction.patient_id) == (record.pk, patient.pk)
    assert AccessLogEntry.objects.filter(
        patient=patient, object_id=str(correction.external_id)
    ).exists()


def test_a_correction_needs_a_reason(clinician, stock):
    with pytest.raises(Refused) as refusal:
        substances_services.correct_entry(
            actor=actor(clinician), entry=stock, amount_mg=D("-5"), note=" "
        )

    assert refusal.value.problems == {
        "note": "Write why the line is corrected: it stays in the register."
    }


def test_a_correction_of_nothing_is_refused(clinician, stock):
    with pytest.raises(Refused) as refusal:
        substances_services.correct_entry(
            actor=actor(clinician), entry=stock, amount_mg=D("0"), note="x"
        )

    assert "amount_mg" in refusal.value.problems


def test_a_correction_cannot_take_a_line_below_zero_even_in_two_steps(clinician, stock):
    first = substances_services.correct_entry(
        actor=actor(clinician), entry=stock, amount_mg=D("-400"), note="Count was 100 mg."
    )

    with pytest.raises(Refused) as refusal:
        substances_services.correct_entry(
            actor=actor(clinician), entry=first, amount_mg=D("-100.01"), note="Again."
        )

    assert refusal.value.problems == {
        "amount_mg": "This line now stands at 100 mg: a correction of −100.01 mg would take "
        "it below 0 mg."
    }


def test_a_coordinator_cannot_correct_the_register(coordinator, stock):
    with pytest.raises(Refused):
        substances_services.correct_entry(
            actor=actor(coordinator), entry=stock, amount_mg=D("-5"), note="x"
        )


def test_a_line_of_a_signed_record_can_still_be_corrected_on_the_register(record, stock, clinician):
    drawn, _ = use(record, clinician, "36.2", "36.2")
    sign(record, clinician)

    correction = substances_services.correct_entry(
        actor=actor(clinician), entry=drawn, amount_mg=D("1"), note="37.2 drawn; recount."
    )

    assert correction.record_id == record.pk


def test_more_waste_cannot_be_added_by_a_correction(record, stock, clinician, nurse):
    wasted = use(record, clinician, "50", "36.2", "13.8", witness=nurse)[2]

    with pytest.raises(Refused) as refusal:
        substances_services.correct_entry(
            actor=actor(clinician), entry=wasted, amount_mg=D("50"), note="Typed too little."
        )

    assert "new witnessed waste" in refusal.value.problems["amount_mg"]


def test_an_expired_lot_is_refused_for_a_session(record, clinician):
    receive(clinician, lot="OLD-1", expiry=dt.date(2020, 1, 1))

    with pytest.raises(Refused) as refusal:
        substances_services.record_session_use(
            actor=actor(clinician),
            record=record,
            lot_number="OLD-1",
            drawn_mg=D("36.2"),
            given_mg=D("36.2"),
            wasted_mg=D("0"),
            note="The dose.",
        )

    assert "expired on Jan 1, 2020" in refusal.value.problems["lot_number"]
