"""Short record numbers ("KC-004217"): each clinic's patients numbered 1, 2, 3… in the
order they were registered, unique per clinic, and the counter a new registration takes
its number from (`patients.models.next_record_number`)."""

import django.db.models.deletion
from django.db import migrations, models


def number_existing_patients(apps, schema_editor):
    """Number the patients already registered, clinic by clinic, oldest first, and leave
    each clinic's counter at its last number."""
    Patient = apps.get_model("patients", "Patient")
    Counter = apps.get_model("patients", "RecordNumberCounter")
    clinic_ids = Patient.objects.values_list("clinic_id", flat=True).distinct().order_by()
    for clinic_id in clinic_ids:
        patients = list(
            Patient.objects.filter(clinic_id=clinic_id, record_number__isnull=True)
            .order_by("created_at", "id")
            .only("id")
        )
        for number, patient in enumerate(patients, start=1):
            patient.record_number = number
        Patient.objects.bulk_update(patients, ["record_number"], batch_size=500)
        Counter.objects.update_or_create(
            clinic_id=clinic_id, defaults={"last_number": len(patients)}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0018_late_cancel_hours"),
        ("patients", "0006_measurement_newest_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecordNumberCounter",
            fields=[
                (
                    "clinic",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="clinics.clinic",
                    ),
                ),
                ("last_number", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="patient",
            name="record_number",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(number_existing_patients, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.UniqueConstraint(
                condition=models.Q(record_number__isnull=False),
                fields=("clinic", "record_number"),
                name="patient_record_number_unique",
            ),
        ),
    ]
