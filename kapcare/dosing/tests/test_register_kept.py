"""The register kept beside its lines: each lot's reconciliation (`RegisterLot`) and each
line's place and the stock after it (`RegisterLine`), restated as lines are written, by
dosing migration 0013 for the lines before it, and after a bulk load."""

import datetime as dt
import importlib
from decimal import Decimal as D

import time_machine
from django.apps import apps
from django.utils import timezone

from kapcare.dosing.models import (
    ControlledSubstanceEntry,
    RegisterLine,
    RegisterLot,
    SubstanceEntryKind,
)
from kapcare.dosing.substances import lots, rules
from kapcare.dosing.substances import services as substances_services
from kapcare.dosing.tests.test_substances_fixtures import (
    LOT,
    actor,
    dosing_record,
    receive,
    use,
)
from tests.factories import PatientFactory, nurse_of

MIGRATION = importlib.import_module("kapcare.dosing.migrations.0014_restate_the_register")


def _kept_lines(clinic, lot_number=LOT) -> list[tuple[int, D]]:
    return list(
        RegisterLine.objects.filter(clinic_id=clinic.pk, lot_number=lot_number)
        .order_by("line_number")
        .values_list("line_number", "balance_after_mg")
    )


def _reconciled_lines(clinic, lot_number=LOT) -> list[tuple[int, D]]:
    register = lots.reconciled(clinic.pk, clinic.zone, lot_number=lot_number)
    return [(n, line.balance_after_mg) for n, line in enumerate(register.lots[0].lines, start=1)]


def _line(clinic, user, amount, kind=SubstanceEntryKind.RECEIVED, lot_number=LOT):
    """A line inserted as a bulk load or an older version wrote it: not restated."""
    return ControlledSubstanceEntry.objects.create(
        clinic=clinic,
        lot_number=lot_number,
        kind=kind,
        amount_mg=D(amount),
        witness=nurse_of(clinic),
        recorded_by=user,
    )


def test_each_write_keeps_the_lines_stock_after_them_as_the_register_reconciles(
    clinic, clinician, nurse
):
    receive(clinician, amount="500")
    record = dosing_record(PatientFactory(clinic=clinic), clinician)
    use(record, clinician, "50", "36.2", "13.8", witness=nurse)
    drawn = ControlledSubstanceEntry.objects.get(kind=SubstanceEntryKind.DRAWN)
    substances_services.correct_entry(
        actor=actor(clinician), entry=drawn, amount_mg=D("-10"), note="Counted again."
    )

    assert _kept_lines(clinic) == _reconciled_lines(clinic)
    assert [balance for _, balance in _kept_lines(clinic)][-1] == D("460")
    lot = RegisterLot.objects.get(clinic=clinic, lot_number=LOT)
    assert (lot.stock_mg, lot.received_mg, lot.line_count, lot.is_open) == (
        D("460"),
        D("500"),
        5,
        True,
    )
    # Drawn 40 after the correction, given 36.2 and wasted 13.8: 10 mg more than drawn.
    assert len(lot.discrepancies) == 1


def test_a_lot_used_up_and_reconciled_is_no_longer_open(clinic, clinician, nurse):
    receive(clinician, amount="50")
    record = dosing_record(PatientFactory(clinic=clinic), clinician)
    use(record, clinician, "50", "36.2", "13.8", witness=nurse)

    lot = RegisterLot.objects.get(clinic=clinic, lot_number=LOT)

    assert (lot.stock_mg, lot.discrepancies, lot.is_open) == (0, [], False)


def test_the_migration_restates_the_lines_written_before_it(clinic, clinician):
    _line(clinic, clinician, "500")
    _line(clinic, clinician, "30", kind=SubstanceEntryKind.DRAWN)
    _line(clinic, clinician, "100", lot_number="KET-OTHER")

    MIGRATION.restate(apps, None)

    assert _kept_lines(clinic) == [(1, D("500")), (2, D("470"))]
    assert _kept_lines(clinic, "KET-OTHER") == [(1, D("100"))]
    lot = RegisterLot.objects.get(clinic=clinic, lot_number=LOT)
    assert (lot.stock_mg, lot.line_count, lot.is_received) == (D("470"), 2, True)


def test_restating_after_a_bulk_load_numbers_a_line_loaded_earlier_before_the_rest(
    clinic, clinician
):
    receive(clinician, amount="500")
    with time_machine.travel(timezone.now() - dt.timedelta(days=3), tick=False):
        earlier = _line(clinic, clinician, "100")

    lots.restate_clinic(clinic)

    assert _kept_lines(clinic) == [(1, D("100")), (2, D("600"))]
    assert RegisterLine.objects.get(pk=earlier.pk).line_number == 1
    assert rules.mg(RegisterLot.objects.get(lot_number=LOT).stock_mg) == "600 mg"


def test_a_correction_loaded_on_another_lot_is_restated_as_pointing_at_that_lot(clinic, clinician):
    """A line loaded in bulk (or by an older version) that corrects another lot's line:
    the lot it sits in is reconciled alone, and still says which lot the line is of."""
    other = _line(clinic, clinician, "100", lot_number="KET-OTHER")
    _line(clinic, clinician, "500")
    stray = ControlledSubstanceEntry.objects.create(
        clinic=clinic,
        lot_number=LOT,
        kind=SubstanceEntryKind.CORRECTION,
        amount_mg=D("-5"),
        corrects=other,
        note="Loaded on the wrong lot.",
        recorded_by=clinician,
    )

    lots.restate_clinic(clinic)

    when = stray.recorded_at.astimezone(clinic.zone)
    lot = RegisterLot.objects.get(clinic=clinic, lot_number=LOT)
    assert lot.discrepancies == [
        f"The correction of −5 mg on {when:%B} {when.day}, {when.year} points at an entry "
        "of lot KET-OTHER, not of this lot."
    ]
    assert lot.stock_mg == D("500")  # the stray correction moves nothing
    assert RegisterLot.objects.get(lot_number="KET-OTHER").discrepancies == []
