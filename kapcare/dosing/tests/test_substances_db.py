"""The database keeps the register honest on SQLite and PostgreSQL alike: a line is never
changed (migration dosing/0002), and a waste always names its witness."""

from decimal import Decimal as D

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from kapcare.dosing.models import ControlledSubstanceEntry, SubstanceEntryKind
from kapcare.dosing.tests.test_substances_fixtures import (
    LOT,
    record_fixture,  # noqa: F401 (the `record` fixture)
    stock_fixture,  # noqa: F401 (the `stock` fixture)
)


def test_the_database_refuses_to_change_a_line_of_the_register(stock):
    with pytest.raises(DatabaseError), transaction.atomic():
        ControlledSubstanceEntry.objects.filter(pk=stock.pk).update(amount_mg=D("5000"))

    stock.refresh_from_db()
    assert stock.amount_mg == D("500")


def test_the_database_refuses_to_save_a_line_again(stock):
    stock.note = "changed afterwards"

    with pytest.raises(DatabaseError), transaction.atomic():
        stock.save(update_fields=["note"])


def test_the_database_refuses_a_waste_without_a_witness(record, clinician):
    with pytest.raises(IntegrityError), transaction.atomic():
        ControlledSubstanceEntry.objects.create(
            clinic_id=record.clinic_id,
            lot_number=LOT,
            kind=SubstanceEntryKind.WASTED,
            amount_mg=D("10"),
            record=record,
            patient_id=record.patient_id,
            recorded_by=clinician,
        )


def test_the_database_takes_a_waste_with_its_witness(record, clinician, nurse):
    ControlledSubstanceEntry.objects.create(
        clinic_id=record.clinic_id,
        lot_number=LOT,
        kind=SubstanceEntryKind.WASTED,
        amount_mg=D("10"),
        record=record,
        patient_id=record.patient_id,
        witness=nurse,
        recorded_by=clinician,
    )

    assert ControlledSubstanceEntry.objects.filter(kind="wasted").count() == 1
