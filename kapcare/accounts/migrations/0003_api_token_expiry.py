"""API tokens expire and say why they were revoked. Tokens made before expire
API_TOKEN_LIFETIME_DAYS after they were made (at once if that is already past)."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def expire_existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    lifetime = timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)
    ApiToken.objects.filter(expires_at__isnull=True).update(expires_at=F("created_at") + lifetime)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_cache_table")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(expire_existing_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(
                help_text="After this the token no longer works (API_TOKEN_LIFETIME_DAYS after it was made)."
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("by_owner", "revoked by you"),
                    ("password_changed", "password changed"),
                    ("deactivated", "account deactivated"),
                ],
                max_length=20,
            ),
        ),
    ]
