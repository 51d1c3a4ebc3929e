"""A clinic's number of patients, kept by triggers on `patients_patient` so that the clinic
admin's home reads one row instead of counting the whole clinic. The count follows every
insert (a form, the API, a bulk insert), a move to another clinic and a removal (patients
are never removed, but the count stays right if a test empties the table), in the same
transaction. Existing clinics are counted here."""

import django.db.models.deletion
from django.db import migrations, models

from kapcare.db_triggers import vendor_sql


def _add(clinic: str) -> str:
    return (
        "INSERT INTO patients_clinicpatientcount (clinic_id, patients) "
        f"VALUES ({clinic}, 1) ON CONFLICT (clinic_id) "
        "DO UPDATE SET patients = patients_clinicpatientcount.patients + 1;"
    )


def _remove(clinic: str) -> str:
    return (
        "UPDATE patients_clinicpatientcount SET patients = patients - 1 "
        f"WHERE clinic_id = {clinic};"
    )


SQLITE = [
    f"""CREATE TRIGGER patients_patient_counted_on_insert AFTER INSERT ON patients_patient
        BEGIN {_add("NEW.clinic_id")} END""",
    f"""CREATE TRIGGER patients_patient_counted_on_move AFTER UPDATE OF clinic_id
        ON patients_patient WHEN OLD.clinic_id <> NEW.clinic_id
        BEGIN {_remove("OLD.clinic_id")} {_add("NEW.clinic_id")} END""",
    f"""CREATE TRIGGER patients_patient_counted_on_delete AFTER DELETE ON patients_patient
        BEGIN {_remove("OLD.clinic_id")} END""",
]

POSTGRES = [
    f"""CREATE FUNCTION patients_patient_count() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN {_remove("OLD.clinic_id")} END IF;
          IF TG_OP IN ('INSERT', 'UPDATE') THEN {_add("NEW.clinic_id")} END IF;
          RETURN NULL;
        END $$""",
    """CREATE TRIGGER patients_patient_counted AFTER INSERT OR DELETE ON patients_patient
        FOR EACH ROW EXECUTE FUNCTION patients_patient_count()""",
    """CREATE TRIGGER patients_patient_counted_on_move AFTER UPDATE OF clinic_id
        ON patients_patient FOR EACH ROW WHEN (OLD.clinic_id <> NEW.clinic_id)
        EXECUTE FUNCTION patients_patient_count()""",
]

COUNT_EXISTING = """
    INSERT INTO patients_clinicpatientcount (clinic_id, patients)
    SELECT clinic_id, COUNT(*) FROM patients_patient GROUP BY clinic_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0011_patients_need_second_factor"),
        ("patients", "0004_search_trigram_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClinicPatientCount",
            fields=[
                (
                    "clinic",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="clinics.clinic",
                    ),
                ),
                ("patients", models.PositiveIntegerField(default=0)),
            ],
        ),
        vendor_sql(
            {"sqlite": [*SQLITE, COUNT_EXISTING], "postgresql": [*POSTGRES, COUNT_EXISTING]},
            {
                "sqlite": [
                    "DROP TRIGGER patients_patient_counted_on_insert",
                    "DROP TRIGGER patients_patient_counted_on_move",
                    "DROP TRIGGER patients_patient_counted_on_delete",
                ],
                "postgresql": [
                    "DROP TRIGGER patients_patient_counted ON patients_patient",
                    "DROP TRIGGER patients_patient_counted_on_move ON patients_patient",
                    "DROP FUNCTION patients_patient_count()",
                ],
            },
        ),
    ]
