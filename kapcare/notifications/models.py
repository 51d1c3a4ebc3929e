"""The outbox: every email kapcare sends is a row here first, written in the transaction of
the change it announces, then delivered (at once on commit when due, or by
`send_due_notifications`, run every minute). The unique `key` makes each notification
happen once however often it is asked for, and delivery claims a row with one conditional
UPDATE, so two workers never send the same row twice.

No email carries health information: a subject, the clinic's name and a link. A link
that is itself a credential (an invitation) is wiped from `body` once sent."""

from django.db import models
from django.utils import timezone


class NotificationKind(models.TextChoices):
    INVITATION = "invitation", "Invitation"
    QUESTIONNAIRE_LINK = "questionnaire_link", "Questionnaire link"
    APPOINTMENT_REMINDER = "appointment_reminder", "Appointment reminder"
    SUMMARY_RELEASED = "summary_released", "Session summary released"
    MESSAGE_RECEIVED = "message_received", "Message received"
    SAFETY_ALERT = "safety_alert", "Safety alert"
    INTEGRATION_OVERDUE = "integration_overdue", "Integration overdue"
    ACCOUNT = "account", "Account"


class Notification(models.Model):
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    to_email = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    due_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["sent_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_email}"
