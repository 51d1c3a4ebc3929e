"""Each episode keeps the planned end of its last dose done while no integration session
that counts has followed it (`Episode.unintegrated_dose_planned_end`), so that a clinic's
overdue integrations are read through an index instead of worked out for every open
episode.

Database triggers keep it, in the transaction of the write, whichever way a session is
written (a service, the API, a bulk insert, an `update()`): after a session is inserted or
one of the columns the answer depends on is updated, and after the episode's therapist
changes (a session counts when the therapist ran and recorded it, or with their
confirmation: `counted_therapy_sessions`). The answer is the latest dose done (by when it
was given: started, else planned to start) with no counted integration session planned to
start after it: when the last dose has one, every earlier dose has it too, so there is
none. Existing episodes are filled here.
"""

from django.db import migrations, models

from kapcare.db_triggers import vendor_sql

REFRESH = """
    UPDATE episodes_episode SET unintegrated_dose_planned_end = (
        SELECT dose.planned_end FROM episodes_caresession dose
        WHERE dose.episode_id = episodes_episode.id
          AND dose.kind = 'dosing' AND dose.status = 'done'
          AND NOT EXISTS (
            SELECT 1 FROM episodes_caresession integration
            WHERE integration.episode_id = dose.episode_id
              AND integration.kind = 'integration' AND integration.status = 'done'
              AND integration.planned_start > COALESCE(dose.started_at, dose.planned_start)
              AND (
                (integration.run_by_id = episodes_episode.therapist_id
                 AND integration.status_changed_by_id = episodes_episode.therapist_id)
                OR integration.therapist_confirmation <> ''
              )
          )
        ORDER BY COALESCE(dose.started_at, dose.planned_start) DESC, dose.id DESC
        LIMIT 1
    )
"""

# The session columns the answer reads.
SESSION_COLUMNS = (
    "episode_id, kind, status, started_at, planned_start, planned_end, run_by_id, "
    "status_changed_by_id, therapist_confirmation"
)

SQLITE = [
    f"""CREATE TRIGGER episodes_caresession_keeps_unintegrated_dose_on_insert
        AFTER INSERT ON episodes_caresession
        BEGIN {REFRESH} WHERE id = NEW.episode_id; END""",
    f"""CREATE TRIGGER episodes_caresession_keeps_unintegrated_dose_on_update
        AFTER UPDATE OF {SESSION_COLUMNS} ON episodes_caresession
        BEGIN {REFRESH} WHERE id = NEW.episode_id; END""",
    f"""CREATE TRIGGER episodes_episode_keeps_unintegrated_dose
        AFTER UPDATE OF therapist_id ON episodes_episode
        BEGIN {REFRESH} WHERE id = NEW.id; END""",
]

POSTGRES = [
    f"""CREATE FUNCTION episodes_caresession_keep_unintegrated_dose() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN {REFRESH} WHERE id = NEW.episode_id; RETURN NULL; END $$""",
    f"""CREATE TRIGGER episodes_caresession_keeps_unintegrated_dose
        AFTER INSERT OR UPDATE OF {SESSION_COLUMNS} ON episodes_caresession
        FOR EACH ROW EXECUTE FUNCTION episodes_caresession_keep_unintegrated_dose()""",
    f"""CREATE FUNCTION episodes_episode_keep_unintegrated_dose() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN {REFRESH} WHERE id = NEW.id; RETURN NULL; END $$""",
    """CREATE TRIGGER episodes_episode_keeps_unintegrated_dose
        AFTER UPDATE OF therapist_id ON episodes_episode
        FOR EACH ROW EXECUTE FUNCTION episodes_episode_keep_unintegrated_dose()""",
]


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0011_patients_need_second_factor"),
        ("episodes", "0007_api_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="episode",
            name="unintegrated_dose_planned_end",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="episode",
            index=models.Index(
                condition=models.Q(
                    ("unintegrated_dose_planned_end__isnull", False),
                    models.Q(("model", "standalone"), _negated=True),
                    models.Q(
                        ("state__in", ["completed", "discontinued", "ineligible"]),
                        _negated=True,
                    ),
                ),
                fields=["clinic", "unintegrated_dose_planned_end"],
                name="episode_awaits_integration_idx",
            ),
        ),
        vendor_sql(
            {"sqlite": SQLITE, "postgresql": POSTGRES},
            {
                "sqlite": [
                    "DROP TRIGGER episodes_caresession_keeps_unintegrated_dose_on_insert",
                    "DROP TRIGGER episodes_caresession_keeps_unintegrated_dose_on_update",
                    "DROP TRIGGER episodes_episode_keeps_unintegrated_dose",
                ],
                "postgresql": [
                    "DROP TRIGGER episodes_caresession_keeps_unintegrated_dose "
                    "ON episodes_caresession",
                    "DROP FUNCTION episodes_caresession_keep_unintegrated_dose()",
                    "DROP TRIGGER episodes_episode_keeps_unintegrated_dose ON episodes_episode",
                    "DROP FUNCTION episodes_episode_keep_unintegrated_dose()",
                ],
            },
        ),
        vendor_sql({"sqlite": [REFRESH], "postgresql": [REFRESH]}, {}),
    ]
