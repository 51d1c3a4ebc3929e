"""Calendar feeds now belong to `scheduling` (its migration 0003 takes the model into its
state over the same table). Here `episodes` forgets the model; the table, its rows and its
constraints stay as they are. The model's content type follows it, so that its permissions
and any admin history keep pointing at it.
"""

from django.db import migrations


def move_content_type(apps, schema_editor, *, source: str, target: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(
        schema_editor.connection.alias
    )
    if content_types.filter(app_label=target, model="calendarfeed").exists():
        return
    content_types.filter(app_label=source, model="calendarfeed").update(app_label=target)


def forwards(apps, schema_editor) -> None:
    move_content_type(apps, schema_editor, source="episodes", target="scheduling")


def backwards(apps, schema_editor) -> None:
    move_content_type(apps, schema_editor, source="scheduling", target="episodes")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("episodes", "0008_kept_unintegrated_dose"),
        ("scheduling", "0003_calendar_feed_from_episodes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CalendarFeed")],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
