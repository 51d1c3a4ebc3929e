"""Each line of the register names the drug, its strength and its dosage form, as the DEA's
records do (21 CFR 1304.22(a)(2)), and the NDC when known.

Existing lines are filled from what the register already knew, and from nothing else: the
register held only ketamine (hydrochloride, the salt every US ketamine product is), and a
lot whose receipt's note gave the strength of its vials ("5 vials of 500 mg/10 mL") gets
that strength and the form of a vial, an injectable solution, on each of its lines.
Otherwise strength and form stay empty and the register shows "not recorded"; new stock
cannot be received without them.

The lines refuse UPDATE (0002) and DELETE (0003). SQLite adds the columns by rebuilding the
table, which drops both triggers: they are created again, word for word, after the fill.
PostgreSQL keeps its triggers: the UPDATE trigger is disabled for the fill only."""

import re

from django.db import migrations, models

from kapcare.db_triggers import vendor_sql

TABLE = "dosing_controlledsubstanceentry"
# The label names of the drugs the register kept before lots were named.
LABEL_NAMES = {"ketamine": "Ketamine hydrochloride", "esketamine": "Esketamine hydrochloride"}
# Milligrams per millilitres of a solution, as a receipt's note would say it.
# PostgreSQL alters no table with foreign-key checks still pending in the transaction.
IMMEDIATE = "SET CONSTRAINTS ALL IMMEDIATE"
STRENGTH_IN_NOTE = re.compile(r"(\d+(?:\.\d+)?)\s*mg\s*/\s*(\d+(?:\.\d+)?)?\s*ml\b", re.I)


def _strength(note: str) -> str:
    match = STRENGTH_IN_NOTE.search(note or "")
    if match is None:
        return ""
    per = match[2]
    return f"{match[1]} mg/{per + ' ' if per and per != '1' else ''}mL"


def fill_from_the_lots(apps, schema_editor):
    Entry = apps.get_model("dosing", "ControlledSubstanceEntry")
    for drug, name in LABEL_NAMES.items():
        Entry.objects.filter(drug=drug).update(drug_name=name)
    known = {}
    for clinic_id, lot_number, note in (
        Entry.objects.filter(kind="received")
        .order_by("recorded_at", "id")
        .values_list("clinic_id", "lot_number", "note")
    ):
        strength = _strength(note)
        if strength and (clinic_id, lot_number) not in known:
            form = "injectable_solution" if "vial" in (note or "").lower() else ""
            known[(clinic_id, lot_number)] = (strength, form)
    for (clinic_id, lot_number), (strength, form) in known.items():
        Entry.objects.filter(clinic_id=clinic_id, lot_number=lot_number).update(
            strength=strength, dosage_form=form
        )


SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'these rows are never changed: record a new one'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'clinical records are never deleted'); END""",
]


class Migration(migrations.Migration):
    dependencies = [("dosing", "0008_esketamine_under_its_rems")]

    operations = [
        migrations.AddField(
            model_name="controlledsubstanceentry",
            name="drug_name",
            field=models.CharField(blank=True, max_length=80),
        ),
        migrations.AddField(
            model_name="controlledsubstanceentry",
            name="strength",
            field=models.CharField(blank=True, help_text="For example 50 mg/mL.", max_length=40),
        ),
        migrations.AddField(
            model_name="controlledsubstanceentry",
            name="dosage_form",
            field=models.CharField(
                blank=True,
                choices=[
                    ("injectable_solution", "Injectable solution"),
                    ("sublingual_tablet", "Sublingual tablet"),
                    ("troche", "Troche (lozenge)"),
                    ("oral_solution", "Oral solution"),
                    ("nasal_spray", "Nasal spray"),
                ],
                max_length=24,
            ),
        ),
        migrations.AddField(
            model_name="controlledsubstanceentry",
            name="ndc",
            field=models.CharField(blank=True, max_length=13, verbose_name="NDC"),
        ),
        migrations.AlterField(
            model_name="controlledsubstanceentry",
            name="kind",
            field=models.CharField(
                choices=[
                    ("received", "Received into stock"),
                    ("drawn", "Drawn up for a session"),
                    ("given", "Given to the patient"),
                    ("wasted", "Wasted (witnessed)"),
                    ("returned", "Returned to stock"),
                    ("correction", "Correction"),
                    ("adjusted", "Adjusted to an inventory count"),
                    ("lost", "Lost or stolen (reported to the DEA)"),
                ],
                max_length=10,
            ),
        ),
        vendor_sql(
            {"postgresql": [IMMEDIATE, f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_no_update"]},
            {"postgresql": [IMMEDIATE, f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_no_update"]},
        ),
        migrations.RunPython(fill_from_the_lots, migrations.RunPython.noop),
        vendor_sql(
            {
                "postgresql": [IMMEDIATE, f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_no_update"],
                "sqlite": SQLITE_TRIGGERS,
            },
            {"postgresql": [IMMEDIATE, f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_no_update"]},
        ),
    ]
