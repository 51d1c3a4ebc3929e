"""Inventories (21 CFR 1304.11) and theft or loss reports (21 CFR 1301.76(b), DEA Form
106) beside the register: never deleted (nor truncated), and what was counted or lost never
changed; a report is changed once only, to record its submission to the DEA."""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models

from kapcare.db_triggers import refuse_delete, refuse_update, vendor_sql

KEPT = "DEA records are never deleted"
UNCHANGED = "DEA records are never changed: record a new one"
REPORT = "dosing_theftlossreport"
SUBMITTED = "a submitted theft or loss report is never changed"


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0013_dea_registration"),
        ("dosing", "0009_strength_and_form_on_the_register"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Inventory",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("external_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("initial", "Initial inventory (21 CFR 1304.11(b))"),
                            ("biennial", "Biennial inventory (21 CFR 1304.11(c))"),
                            ("change_of_registrant", "Inventory on a change of registrant"),
                        ],
                        max_length=24,
                    ),
                ),
                ("taken_on", models.DateField()),
                (
                    "taken_as_of",
                    models.CharField(
                        choices=[
                            ("opening", "Opening of business"),
                            ("close", "Close of business"),
                        ],
                        max_length=8,
                    ),
                ),
                ("registrant_name", models.CharField(max_length=200)),
                (
                    "registration_number",
                    models.CharField(
                        blank=True, max_length=9, verbose_name="DEA registration number"
                    ),
                ),
                ("registrant_address", models.TextField(blank=True)),
                ("previous_registration_number", models.CharField(blank=True, max_length=9)),
                ("new_registration_number", models.CharField(blank=True, max_length=9)),
                ("note", models.TextField(blank=True)),
                ("signed_with", models.CharField(max_length=16)),
                ("signed_at", models.DateTimeField()),
                (
                    "clinic",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="clinics.clinic",
                    ),
                ),
                (
                    "taken_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "inventories",
                "ordering": ["-taken_on", "-signed_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="InventoryCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("lot_number", models.CharField(max_length=40)),
                ("lot_expiry", models.DateField(blank=True, null=True)),
                ("drug_name", models.CharField(blank=True, max_length=80)),
                ("strength", models.CharField(blank=True, max_length=40)),
                (
                    "dosage_form",
                    models.CharField(
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
                ("expected_mg", models.DecimalField(decimal_places=2, max_digits=8)),
                ("counted_mg", models.DecimalField(decimal_places=2, max_digits=8)),
                ("reason", models.TextField(blank=True)),
                (
                    "adjustment",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="inventory_count",
                        to="dosing.controlledsubstanceentry",
                    ),
                ),
                (
                    "inventory",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="counts",
                        to="dosing.inventory",
                    ),
                ),
            ],
            options={
                "ordering": ["lot_number", "id"],
            },
        ),
        migrations.CreateModel(
            name="TheftLossReport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("external_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("registrant_name", models.CharField(max_length=200)),
                (
                    "registration_number",
                    models.CharField(
                        blank=True, max_length=9, verbose_name="DEA registration number"
                    ),
                ),
                ("registrant_address", models.TextField(blank=True)),
                ("discovered_on", models.DateField(verbose_name="date of discovery")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("night_break_in", "Night break-in"),
                            ("armed_robbery", "Armed robbery"),
                            ("employee_pilferage", "Employee pilferage"),
                            ("customer_theft", "Customer theft"),
                            ("lost_in_transit", "Lost in transit"),
                            ("other", "Other (described below)"),
                        ],
                        max_length=20,
                        verbose_name="type of theft or loss",
                    ),
                ),
                ("police_notified", models.BooleanField(default=False)),
                ("police_department", models.CharField(blank=True, max_length=200)),
                ("police_report_number", models.CharField(blank=True, max_length=60)),
                ("description", models.TextField()),
                (
                    "notify_by",
                    models.DateField(help_text="Written notice to the DEA Field Division Office."),
                ),
                ("form_106_by", models.DateField()),
                ("signed_with", models.CharField(max_length=16)),
                ("filed_at", models.DateTimeField()),
                ("submitted_at", models.DateTimeField(blank=True, null=True)),
                (
                    "dea_confirmation",
                    models.CharField(blank=True, max_length=100, verbose_name="DEA confirmation"),
                ),
                (
                    "clinic",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="clinics.clinic",
                    ),
                ),
                (
                    "filed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "submitted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-discovered_on", "-filed_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="TheftLossLine",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("lot_number", models.CharField(max_length=40)),
                ("drug_name", models.CharField(blank=True, max_length=80)),
                ("strength", models.CharField(blank=True, max_length=40)),
                (
                    "dosage_form",
                    models.CharField(
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
                ("ndc", models.CharField(blank=True, max_length=13, verbose_name="NDC")),
                ("quantity_mg", models.DecimalField(decimal_places=2, max_digits=8)),
                (
                    "entry",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="loss_line",
                        to="dosing.controlledsubstanceentry",
                    ),
                ),
                (
                    "report",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="lines",
                        to="dosing.theftlossreport",
                    ),
                ),
            ],
            options={
                "ordering": ["lot_number", "id"],
            },
        ),
        migrations.AddIndex(
            model_name="inventory",
            index=models.Index(
                fields=["clinic", "-taken_on"], name="dosing_inve_clinic__496881_idx"
            ),
        ),
        *(
            refuse_delete(table, KEPT)
            for table in (
                "dosing_inventory",
                "dosing_inventorycount",
                REPORT,
                "dosing_theftlossline",
            )
        ),
        *(
            refuse_update(table, UNCHANGED)
            for table in ("dosing_inventory", "dosing_inventorycount", "dosing_theftlossline")
        ),
        vendor_sql(
            {
                "sqlite": [
                    f"""CREATE TRIGGER {REPORT}_submitted_no_update BEFORE UPDATE ON {REPORT}
                        WHEN OLD.submitted_at IS NOT NULL
                        BEGIN SELECT RAISE(ABORT, '{SUBMITTED}'); END"""
                ],
                "postgresql": [
                    f"""CREATE FUNCTION {REPORT}_refuse_update() RETURNS trigger
                        LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{SUBMITTED}'; END $$""",
                    f"""CREATE TRIGGER {REPORT}_submitted_no_update BEFORE UPDATE ON {REPORT}
                        FOR EACH ROW WHEN (OLD.submitted_at IS NOT NULL)
                        EXECUTE FUNCTION {REPORT}_refuse_update()""",
                ],
            },
            {
                "sqlite": [f"DROP TRIGGER {REPORT}_submitted_no_update"],
                "postgresql": [
                    f"DROP TRIGGER {REPORT}_submitted_no_update ON {REPORT}",
                    f"DROP FUNCTION {REPORT}_refuse_update()",
                ],
            },
        ),
    ]
