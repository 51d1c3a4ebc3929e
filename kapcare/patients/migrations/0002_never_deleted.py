"""A patient's record and their body measurements (the weight a dose was calculated from)
are never deleted: the database refuses it."""

from django.db import migrations

from kapcare.db_triggers import refuse_delete


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]
    operations = [
        refuse_delete("patients_patient", "a patient's record is never deleted"),
        refuse_delete(
            "patients_bodymeasurement", "a body measurement is never deleted: record a new one"
        ),
    ]
