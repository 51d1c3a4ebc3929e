"""Esketamine (Spravato) under its REMS: the drug of a dosing record and of each line of
the controlled-substance register (ketamine until now), the patient's REMS enrolment, the
nasal devices, the check that esketamine's effects resolved, and the REMS form's
submission.

The two `drug` columns are added with a database default by `ALTER TABLE ... ADD COLUMN`:
Django would make SQLite rebuild both tables for a NOT NULL column, which drops their
triggers and fails on the triggers of the tables under the record. The new tables are
never deleted, as the rest of the record: the enrolment and the submission always, the
devices and checks once the record is signed (as 0003 does for the record's other rows);
nothing is added under a signed record (as 0002 does)."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from kapcare.db_triggers import refuse_delete, vendor_sql

CHOICES = [("ketamine", "Ketamine"), ("esketamine", "Esketamine (Spravato)")]
SIGNED = "a signed dosing record is never changed: add an addendum"
KEPT = "clinical records are never deleted"
SIGNED_RECORD = (
    "EXISTS (SELECT 1 FROM dosing_dosingrecord WHERE id = OLD.record_id AND signed_at IS NOT NULL)"
)
CHILDREN = ["dosing_nasaldevice", "dosing_resolutioncheck"]


def add_drug(model_name: str, table: str):
    sql = f"ALTER TABLE {table} ADD COLUMN drug varchar(12) DEFAULT 'ketamine' NOT NULL"
    return migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunSQL(sql, f"ALTER TABLE {table} DROP COLUMN drug")],
        state_operations=[
            migrations.AddField(
                model_name=model_name,
                name="drug",
                field=models.CharField(
                    choices=CHOICES, default="ketamine", db_default="ketamine", max_length=12
                ),
            )
        ],
    )


NO_INSERT_UNDER_SIGNED = vendor_sql(
    {
        "sqlite": [
            f"""CREATE TRIGGER {table}_signed_no_insert BEFORE INSERT ON {table}
                WHEN EXISTS (SELECT 1 FROM dosing_dosingrecord WHERE id = NEW.record_id
                             AND signed_at IS NOT NULL)
                BEGIN SELECT RAISE(ABORT, '{SIGNED}'); END"""
            for table in CHILDREN
        ],
        "postgresql": [
            f"""CREATE TRIGGER {table}_signed_no_insert BEFORE INSERT ON {table}
                FOR EACH ROW EXECUTE FUNCTION dosing_refuse_insert_under_signed()"""
            for table in CHILDREN
        ],
    },
    {
        "sqlite": [f"DROP TRIGGER {table}_signed_no_insert" for table in CHILDREN],
        "postgresql": [f"DROP TRIGGER {table}_signed_no_insert ON {table}" for table in CHILDREN],
    },
)


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0012_esketamine_and_rems_certification"),
        ("dosing", "0007_present_therapist"),
        ("patients", "0002_never_deleted"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        add_drug("controlledsubstanceentry", "dosing_controlledsubstanceentry"),
        add_drug("dosingrecord", "dosing_dosingrecord"),
        migrations.CreateModel(
            name="RemsEnrolment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("external_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "enrolment_id",
                    models.CharField(max_length=40, verbose_name="REMS patient enrolment id"),
                ),
                ("enrolled_on", models.DateField()),
                ("recorded_at", models.DateTimeField(auto_now_add=True)),
                (
                    "clinic",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="clinics.clinic",
                    ),
                ),
                (
                    "patient",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rems_enrolment",
                        to="patients.patient",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="RemsFormSubmission",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("submitted_at", models.DateTimeField()),
                (
                    "confirmation",
                    models.CharField(max_length=60, verbose_name="REMS confirmation number"),
                ),
                ("recorded_at", models.DateTimeField(auto_now_add=True)),
                (
                    "record",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rems_submission",
                        to="dosing.dosingrecord",
                    ),
                ),
                (
                    "submitted_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="ResolutionCheck",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("checked_at", models.DateTimeField()),
                ("sedation_resolved", models.BooleanField(default=False)),
                ("dissociation_resolved", models.BooleanField(default=False)),
                (
                    "respiratory_depression_resolved",
                    models.BooleanField(
                        default=False, verbose_name="respiratory depression resolved"
                    ),
                ),
                (
                    "checked_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "record",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="resolution_checks",
                        to="dosing.dosingrecord",
                    ),
                ),
            ],
            options={
                "ordering": ["checked_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="NasalDevice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveSmallIntegerField()),
                ("amount_mg", models.DecimalField(decimal_places=2, max_digits=5)),
                ("lot_number", models.CharField(max_length=40)),
                ("given_at", models.DateTimeField()),
                ("recorded_at", models.DateTimeField(auto_now_add=True)),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="patients.patient",
                    ),
                ),
                (
                    "record",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="nasal_devices",
                        to="dosing.dosingrecord",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("record", "number"), name="one_device_per_number"
                    )
                ],
            },
        ),
        refuse_delete("dosing_remsenrolment", "a REMS enrolment is never deleted"),
        refuse_delete("dosing_remsformsubmission", "a REMS submission is never deleted"),
        *(refuse_delete(table, KEPT, when=SIGNED_RECORD) for table in CHILDREN),
        NO_INSERT_UNDER_SIGNED,
    ]
