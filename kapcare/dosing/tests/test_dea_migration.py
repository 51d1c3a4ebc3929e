"""Dosing migration 0009 fills the drug, strength and form of the register's existing lines
from what the register knew, and from nothing else."""

import importlib
from decimal import Decimal as D

from django.apps import apps
from django.db import connection

from kapcare.dosing.models import ControlledSubstanceEntry, SubstanceEntryKind
from tests.factories import UserFactory, nurse_of

MIGRATION = importlib.import_module(
    "kapcare.dosing.migrations.0009_strength_and_form_on_the_register"
)
TABLE = "dosing_controlledsubstanceentry"


def old_line(clinic, user, lot_number, kind=SubstanceEntryKind.RECEIVED, note=""):
    """A line as it was stored before the columns existed: no drug, strength or form."""
    return ControlledSubstanceEntry.objects.create(
        clinic=clinic,
        lot_number=lot_number,
        kind=kind,
        amount_mg=D("500"),
        witness=nurse_of(clinic),
        note=note,
        recorded_by=user,
    )


def fill():
    """The migration's fill, its UPDATE trigger lifted inside the test's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(MIGRATION.IMMEDIATE)
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_no_update")
        else:
            cursor.execute(f"DROP TRIGGER {TABLE}_no_update")
    MIGRATION.fill_from_the_lots(apps, None)


def test_a_lot_whose_receipt_gave_its_vials_strength_gets_it_on_every_line(clinic):
    user = UserFactory(role="clinician", clinic=clinic)
    received = old_line(clinic, user, "KET-1", note="5 vials of 500 mg/10 mL.")
    drawn = old_line(clinic, user, "KET-1", kind=SubstanceEntryKind.DRAWN)

    fill()

    for line in (received, drawn):
        line.refresh_from_db()
        assert (line.drug_name, line.strength, line.dosage_form) == (
            "Ketamine hydrochloride",
            "500 mg/10 mL",
            "injectable_solution",
        )


def test_a_lot_whose_strength_was_never_written_stays_not_recorded(clinic):
    user = UserFactory(role="clinician", clinic=clinic)
    received = old_line(clinic, user, "KET-2", note="From the supplier, invoice 118.")

    fill()

    received.refresh_from_db()
    assert (received.drug_name, received.strength, received.dosage_form) == (
        "Ketamine hydrochloride",
        "",
        "",
    )


def test_a_strength_is_read_from_a_receipts_note():
    assert MIGRATION._strength("50 mg/mL oral solution") == "50 mg/mL"
    assert MIGRATION._strength("no strength here") == ""
