"""Secure messages: threads about one patient, between the clinic's staff and the patient's
outside therapist (under a live sharing authorisation) or between the clinic and the
patient. Messages are part of the record: never changed, never deleted (DB triggers,
migration 0002), and every read and write is in the access log."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kapcare.kept import KeptRecord


class ThreadKind(models.TextChoices):
    THERAPIST = "therapist", "Clinic and therapist"
    PATIENT = "patient", "Clinic and patient"


class Thread(KeptRecord):
    kept_message = "A message thread is never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="message_threads"
    )
    kind = models.CharField(max_length=10, choices=ThreadKind.choices)
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="message_threads",
        help_text="The outside therapist of a clinic–therapist thread; none for the patient's.",
    )
    subject = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    last_message_at = models.DateTimeField(default=timezone.now)
    awaits_clinic = models.BooleanField(
        default=False,
        help_text="The latest message is from outside the clinic (the patient or the "
        "therapist): no one at the clinic has written since. Set with each message, in its "
        "transaction.",
    )

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(fields=["clinic", "last_message_at"]),
            # The clinic's unread messages are all in threads it has not answered (the
            # menu's count on every staff page): this index holds only those.
            models.Index(
                fields=["clinic", "-last_message_at"],
                condition=Q(awaits_clinic=True),
                name="messaging_thread_awaiting_idx",
            ),
            models.Index(fields=["therapist", "last_message_at"]),
            models.Index(fields=["patient", "kind"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="therapist", therapist__isnull=False))
                | (Q(kind="patient", therapist__isnull=True)),
                name="messaging_thread_therapist_only_in_therapist_threads",
            )
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def hidden_from_patient(self) -> bool:
        """A clinic–therapist thread is between professionals; the patient's portal shows
        only the patient's own threads with the clinic."""
        return self.kind == ThreadKind.THERAPIST


class Message(KeptRecord):
    kept_message = "A message is never deleted; write a correction in the thread."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "created_at"])]

    def __str__(self) -> str:
        return f"Message {self.external_id}"

    @property
    def patient_id(self) -> int:
        return self.thread.patient_id


class ThreadReadMark(models.Model):
    """How far one user has read a thread: unread messages are those after it, by others."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="messaging_one_mark_per_reader")
        ]

    def __str__(self) -> str:
        return f"Read to {self.last_read_at:%Y-%m-%d %H:%M}"
