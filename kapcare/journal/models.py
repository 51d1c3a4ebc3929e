"""The patient's journal: intentions before a dose and reflections after it.

Private by default: not even the clinic reads an entry. The patient may share one entry
with one of the therapists they have authorised (`shared_with`), and take it back; the
therapist sees it only while that authorisation is live (`policy`)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class EntryKind(models.TextChoices):
    INTENTION = "intention", "Intention before a dose"
    REFLECTION = "reflection", "Reflection after a dose"


class JournalEntry(models.Model):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="journal_entries"
    )
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    dosing_session = models.ForeignKey(
        "episodes.CareSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entries",
        help_text="The dose the intention is for, or the reflection is about.",
    )
    body = models.TextField()
    shared_with = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entries_shared",
        help_text="The therapist the patient chose to share this entry with; none: private.",
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "created_at"]),
            models.Index(fields=["shared_with", "patient"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d}"

    @property
    def is_shared(self) -> bool:
        return self.shared_with_id is not None

    @property
    def therapist_id(self) -> int | None:
        """The one therapist who may read it (policy), none while private."""
        return self.shared_with_id
