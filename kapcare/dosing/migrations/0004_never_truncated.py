"""The dosing tables whose rows refuse DELETE (0003) refuse TRUNCATE too on PostgreSQL,
which does not fire row triggers."""

from django.db import migrations

from kapcare.db_triggers import refuse_truncate

TABLES = [
    "dosing_dosingrecord",
    "dosing_observation",
    "dosing_adverseevent",
    "dosing_intervention",
    "dosing_infusionchange",
    "dosing_dischargeassessment",
    "dosing_controlledsubstanceentry",
    "dosing_addendum",
    "dosing_patientexperience",
    "dosing_therapistsummary",
]


class Migration(migrations.Migration):
    dependencies = [("dosing", "0003_never_deleted")]
    operations = [refuse_truncate(table, "clinical records are never deleted") for table in TABLES]
