import functools

from django.conf import settings
from django.db import models


class AccessAction(models.TextChoices):
    VIEW = "view", "Viewed"
    LIST = "list", "Listed"
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    EXPORT = "export", "Exported"
    DISCLOSE = "disclose", "Disclosed"
    REFUSED = "refused", "Refused"


class Channel(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    SYSTEM = "system", "System"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The access log is append-only.")

    def delete(self):
        raise PermissionError("The access log is append-only.")


class AccessLogEntry(models.Model):
    """One read or write of a patient's record: who, in what role, which record, what
    they did, when and from where (HIPAA §164.312(b) audit controls; §164.528 accounting
    of disclosures).

    Append-only: the model refuses updates and deletes, and database triggers (see the
    migration) refuse them too, so not even a raw query can rewrite history. Actor name,
    email and role are copied at the time, so later changes to the account do not alter
    what the log says.
    """

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=True,
    )
    actor_name = models.CharField(max_length=200, blank=True)
    actor_email = models.EmailField(blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    clinic = models.ForeignKey(
        "clinics.Clinic", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_log",
    )
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=12, choices=AccessAction.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # The address asked for, kept for refused attempts (which page or API operation).
    path = models.CharField(max_length=300, blank=True, default="")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"
        # The two ways the log is read a page at a time, newest first (`views.page_of`):
        # a clinic's (its admin) and a patient's ("who viewed my record").
        indexes = [
            models.Index(fields=["patient", "-occurred_at", "-id"], name="audit_log_by_patient"),
            models.Index(fields=["clinic", "-occurred_at", "-id"], name="audit_log_by_clinic"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_email} {self.action} {self.object_type}"
        )

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The access log is append-only.")

    @property
    def record_in_words(self) -> str:
        """What was touched, as people say it ("care session", "journal entry"), from the
        model's verbose name; the stored name when no model has it."""
        return _record_names().get(self.object_type, self.object_type)


@functools.cache
def _record_names() -> dict[str, str]:
    from django.apps import apps

    return {model._meta.model_name: str(model._meta.verbose_name) for model in apps.get_models()}
