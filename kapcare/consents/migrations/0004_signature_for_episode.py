"""A treatment consent is signed for one episode and names its model.

Existing treatment signatures are linked to the episode they were signed for where that is
unambiguous: the patient has exactly one episode that is not closed. The link and the
model are the only things written; the signed text, its hash and every other column stay
as signed. A KAP consent linked to a standalone-infusion episode gets no model: it names
another treatment, so that episode asks for the standalone consent. Signatures are
immutable (0002's trigger refuses UPDATE), so the trigger is lifted for this one backfill
and put back in the same transaction.
"""

import django.db.models.deletion
from django.db import migrations, models

from kapcare.db_triggers import vendor_sql

CLOSED_STATES = ("completed", "discontinued", "ineligible")
TRIGGER = "consents_signature_no_update"
SQLITE_TRIGGER = f"""CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON consents_signature
    BEGIN SELECT RAISE(ABORT, 'a signature is never changed'); END"""
POSTGRES_TRIGGER = f"""CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON consents_signature
    FOR EACH ROW EXECUTE FUNCTION consents_refuse_update()"""


def _drop_trigger(schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON consents_signature")
    else:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")


def _create_trigger(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    schema_editor.execute(POSTGRES_TRIGGER if vendor == "postgresql" else SQLITE_TRIGGER)


def link_signatures_to_episodes(apps, schema_editor):
    Signature = apps.get_model("consents", "Signature")
    Episode = apps.get_model("episodes", "Episode")
    unlinked = Signature.objects.filter(kind="treatment", episode__isnull=True)
    links = {}
    for signature in unlinked.only("id", "patient_id"):
        open_episodes = list(
            Episode.objects.filter(patient_id=signature.patient_id)
            .exclude(state__in=CLOSED_STATES)
            .values_list("id", "model")[:2]
        )
        if len(open_episodes) == 1:
            links[signature.pk] = open_episodes[0]
    _drop_trigger(schema_editor)
    for signature_id, (episode_id, model) in links.items():
        Signature.objects.filter(pk=signature_id).update(
            episode_id=episode_id, care_model="" if model == "standalone" else model
        )
    _create_trigger(schema_editor)


def unlink_signatures(apps, schema_editor):
    """Backwards: the columns go with the fields; nothing to undo in the rows."""


class Migration(migrations.Migration):

    dependencies = [
        ('consents', '0003_never_deleted'),
        ('episodes', '0006_therapist_confirmation'),
    ]

    operations = [
        migrations.AddField(
            model_name='signature',
            name='care_model',
            field=models.CharField(blank=True, help_text="The episode's model of care when signed, as the signed text names it.", max_length=12),
        ),
        migrations.AddField(
            model_name='signature',
            name='episode',
            field=models.ForeignKey(blank=True, help_text='The episode of care a treatment consent was signed for.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='consent_signatures', to='episodes.episode'),
        ),
        migrations.AlterField(
            model_name='consentdocument',
            name='kind',
            field=models.CharField(choices=[('treatment', 'KAP treatment consent'), ('standalone_infusion', 'Standalone infusion consent'), ('sharing', 'Information-sharing authorisation')], max_length=20),
        ),
        migrations.AlterField(
            model_name='signature',
            name='kind',
            field=models.CharField(choices=[('treatment', 'KAP treatment consent'), ('standalone_infusion', 'Standalone infusion consent'), ('sharing', 'Information-sharing authorisation')], max_length=20),
        ),
        migrations.RunPython(link_signatures_to_episodes, unlink_signatures),
        # SQLite adds the foreign key by rebuilding the table, which drops its triggers:
        # 0003's refusal of DELETE is created again, word for word.
        vendor_sql(
            {
                "sqlite": [
                    """CREATE TRIGGER IF NOT EXISTS consents_signature_no_delete
                    BEFORE DELETE ON consents_signature
                    BEGIN SELECT RAISE(ABORT,
                    'a signature is never deleted: record a withdrawal'); END"""
                ]
            },
            {},
        ),
    ]
