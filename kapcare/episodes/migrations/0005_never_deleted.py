"""An episode of care, its state moves, its sessions (cancelled or missed, never removed),
its day-of checklists and its gate waivers are part of the record: the database refuses to
delete them."""

from django.db import migrations

from kapcare.db_triggers import refuse_delete


class Migration(migrations.Migration):
    dependencies = [("episodes", "0004_therapy_session_details")]
    operations = [
        refuse_delete("episodes_episode", "an episode of care is never deleted: close it"),
        refuse_delete("episodes_episodetransition", "an episode's history is never deleted"),
        refuse_delete("episodes_caresession", "a care session is never deleted: cancel it"),
        refuse_delete("episodes_dayofchecklist", "a day-of checklist is never deleted"),
        refuse_delete("episodes_gatewaiver", "a gate waiver is never deleted"),
    ]
