"""Clinical records are never deleted, only amended or voided: the database refuses it
(triggers made by `kapcare.db_triggers.refuse_delete`), and so does the ORM, with a clear
error before any SQL is sent (and before Django's "protected foreign key" complaint,
which would wrongly suggest deleting the rows that point at the record first).

A kept model derives from `KeptRecord`, says why in `kept_message`, and, when some rows
may still go (an unsigned draft), which ones in `deletable_rows`, the same condition as
its trigger's. `instance.delete()`, `QuerySet.delete()`, related managers and the Django
admin all go through the two methods below."""

from django.db import models


class RecordIsKept(PermissionError):
    """Raised when code asks to delete a record that is never deleted."""


class KeptQuerySet(models.QuerySet):
    def delete(self):
        model = self.model
        if model.deletable_rows is None or self.exclude(model.deletable_rows).exists():
            raise RecordIsKept(model.kept_message)
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True


class KeptRecord(models.Model):
    kept_message = "This record is never deleted."
    # Rows that may still be deleted (a Q); None: no row ever may.
    deletable_rows = None

    objects = KeptQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        model = type(self)
        if (
            model.deletable_rows is None
            or model._base_manager.filter(pk=self.pk).exclude(model.deletable_rows).exists()
        ):
            raise RecordIsKept(model.kept_message)
        return super().delete(*args, **kwargs)


REAUTHENTICATION_HELP = (
    "How they proved it was them at that moment: password, or password and authenticator "
    "code (step_up)."
)


def reauthentication_field() -> models.CharField:
    """How the person who signed, released, waived or published re-authenticated at that
    moment (`accounts.step_up.Method`): "password", or "password+code" for someone with an
    authenticator app ("authenticator", the code alone, on rows from before the password
    was asked of everyone); "" on rows from before it was kept. Added to kept tables by
    `db_triggers.add_reauthentication_column`."""
    return models.CharField(
        max_length=16, blank=True, default="", db_default="", help_text=REAUTHENTICATION_HELP
    )
