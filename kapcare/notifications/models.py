"""The outbox: every email kapcare sends is a row here first, written in the transaction of
the change it announces, then delivered by a background task (enqueued on commit when due;
the minute job picks up whatever is due and has no task). The unique `key` makes each
notification happen once however often it is asked for; delivery claims a row for a while
(`claimed_until`, a lease) with one conditional UPDATE, so two workers never send it at
once, and a worker that dies holding it leaves it to the next one when the lease ends.

An email to an outside therapist about a patient names them (`therapist`, `patient`, and
the policy action they must still be allowed): it goes only if the patient still shares
that with them when it is sent, else it is cancelled with the reason.

No email carries health information: a subject, the clinic's name and a link. A link
that is itself a credential (an invitation) is wiped from `body` once sent."""

from django.db import models
from django.utils import timezone


class NotificationKind(models.TextChoices):
    INVITATION = "invitation", "Invitation"
    QUESTIONNAIRE_LINK = "questionnaire_link", "Questionnaire link"
    APPOINTMENT_REMINDER = "appointment_reminder", "Appointment reminder"
    APPOINTMENT_CHANGED = "appointment_changed", "Appointment changed"
    SUMMARY_RELEASED = "summary_released", "Session summary released"
    MESSAGE_RECEIVED = "message_received", "Message received"
    SAFETY_ALERT = "safety_alert", "Safety alert"
    INTEGRATION_OVERDUE = "integration_overdue", "Integration overdue"
    ACCOUNT = "account", "Account"
    PASSWORD_RESET = "password_reset", "Password reset"
    GOOD_FAITH_ESTIMATE = "good_faith_estimate", "Good Faith Estimate"
    AFTER_CARE = "after_care", "After-care notes"


class Notification(models.Model):
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    to_email = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    due_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # While a worker sends it; an expired lease may be claimed again.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    # An email to an outside therapist about one patient: sent only while
    # `policy.can(therapist, therapist_action, patient)` holds when it goes.
    therapist = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    therapist_action = models.CharField(max_length=50, blank=True)
    # When sent, logged as a disclosure of this record in the patient's access log.
    disclosed_object_type = models.CharField(max_length=50, blank=True)
    disclosed_object_id = models.CharField(max_length=64, blank=True)
    # An email to a patient: their clinic, whose name and logo the email's HTML part shows
    # (`services.html_part`). Null for staff and therapists' emails: plain text only.
    clinic = models.ForeignKey(
        "clinics.Clinic", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["sent_at", "due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(therapist_action="")
                | models.Q(therapist__isnull=False, patient__isnull=False),
                name="notification_therapist_gate_names_both",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_email}"


class ScheduledRun(models.Model):
    """One row per run of a periodic job at one time: the unique pair lets exactly one of
    several workers schedule the next run, however many finish the previous one at once.
    Rows older than a day are pruned by the job itself."""

    job = models.CharField(max_length=100)
    run_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "run_at"], name="scheduled_run_once")]

    def __str__(self) -> str:
        return f"{self.job} at {self.run_at:%Y-%m-%d %H:%M}"
