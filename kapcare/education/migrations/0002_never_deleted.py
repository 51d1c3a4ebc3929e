"""Education versions, read receipts and after-care handovers are kept for good: the
database refuses DELETE (and TRUNCATE), as for consents."""

from django.db import migrations

from kapcare.db_triggers import refuse_delete


class Migration(migrations.Migration):
    dependencies = [("education", "0001_initial")]
    operations = [
        refuse_delete(
            "education_educationversion", "a published education page version is never deleted"
        ),
        refuse_delete("education_educationreceipt", "a read receipt is never deleted"),
        refuse_delete("education_aftercarehandover", "an after-care handover is never deleted"),
    ]
