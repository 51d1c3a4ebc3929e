"""Consents are kept for good: a published version, a signature, a withdrawal and a sharing
authorisation refuse DELETE (and TRUNCATE) in the database itself. A consent ends by a
withdrawal, an authorisation by a revocation; the record of both stays."""

from django.db import migrations

from kapcare.db_triggers import refuse_delete


class Migration(migrations.Migration):
    dependencies = [("consents", "0002_immutable_signed_records")]
    operations = [
        refuse_delete("consents_consentversion", "a published consent version is never deleted"),
        refuse_delete("consents_signature", "a signature is never deleted: record a withdrawal"),
        refuse_delete("consents_withdrawal", "a withdrawal is never deleted"),
        refuse_delete(
            "consents_sharingauthorization", "a sharing authorisation is never deleted: revoke it"
        ),
    ]
