"""Calendar feeds move from `episodes` to `scheduling` without touching the database: the
table keeps its name (`episodes_calendarfeed`, now the model's `db_table`), its rows, its
constraints and its indexes. Only Django's record of which app owns the model changes —
here the model enters `scheduling`'s state, and `episodes` 0009 takes it out of its own.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("scheduling", "0002_no_double_booking"),
        # The table was created and last changed there.
        ("episodes", "0008_kept_unintegrated_dose"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CalendarFeed",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "owner_kind",
                            models.CharField(
                                choices=[
                                    ("therapist", "Therapist"),
                                    ("patient", "Patient"),
                                    ("room", "Room"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("token", models.CharField(max_length=64, unique=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("regenerated_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "room",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="calendar_feed",
                                to="scheduling.room",
                            ),
                        ),
                        (
                            "user",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="calendar_feed",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "episodes_calendarfeed",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("room__isnull", True), ("user__isnull", False)),
                                    models.Q(("room__isnull", False), ("user__isnull", True)),
                                    _connector="OR",
                                ),
                                name="calendar_feed_has_one_owner",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
