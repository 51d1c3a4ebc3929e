"""Rooms, clinicians' working hours and time off, and appointments that hold a room and a
clinician for a block of time.

No double booking: two booked appointments never overlap in the same room, nor for the
same clinician. The database guarantees it — on PostgreSQL by exclusion constraints over
the time range (btree_gist), on SQLite by triggers that refuse an overlapping insert or
update inside the writing transaction (migration 0002) — and `services.book` checks first
so that the person booking is told which appointment is in the way.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models

from kapcare.kept import KeptRecord
from kapcare.words import clock


class Room(models.Model):
    """An infusion suite or a therapy room."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=80)
    is_active = models.BooleanField(
        "in use", default=True, help_text="Rooms no longer used stay on past appointments."
    )
    # The bedside monitor's id as it sends it over HL7 v2 (OBX-18, else MSH-3): readings
    # from that monitor go to the dosing session under way in this room.
    monitor_device_id = models.CharField(
        "monitor device id", max_length=100, blank=True, default="", db_default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="room_name_unique_in_clinic"),
            models.UniqueConstraint(
                fields=["clinic", "monitor_device_id"],
                condition=~models.Q(monitor_device_id=""),
                name="room_monitor_unique_in_clinic",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WorkingHours(models.Model):
    """A clinician works on `weekday` from `starts` to `ends`, in the clinic's time zone.
    Several rows on one day make a split shift."""

    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["weekday", "starts"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")),
                name="working_hours_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {clock(self.starts)}–{clock(self.ends)}"


class TimeOff(models.Model):
    """A clinician is away from `starts_at` to `ends_at` (leave, training, sickness)."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_off"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=120, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="time_off_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%Y-%m-%d %H:%M}"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"
    # The patient did not come: the slot is free again, the appointment stays on record.
    NO_SHOW = "no_show", "No-show"


# The longest block an appointment may hold. A dosing session with its preparation and
# discharge takes a few hours; a day bounds every kind of visit. Knowing it lets a search
# for the appointments overlapping a period read the (clinic, starts_at) index over
# [period start - LONGEST_APPOINTMENT, period end) instead of every earlier appointment.
LONGEST_APPOINTMENT = timedelta(hours=24)


class AppointmentQuerySet(models.QuerySet):
    def overlapping(self, starts_at, ends_at):
        """Appointments overlapping [starts_at, ends_at) (half-open: one may start when
        another ends), found through an index on their start: none starts more than
        `LONGEST_APPOINTMENT` before one it overlaps ends."""
        return self.filter(
            starts_at__gte=starts_at - LONGEST_APPOINTMENT,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )


class Appointment(models.Model):
    """A block of time that holds a room and/or a clinician. Only booked appointments hold
    anything; a cancelled one stays on record and frees its slot."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(
        "clinics.Clinic", on_delete=models.PROTECT, related_name="appointments"
    )
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    purpose = models.CharField(
        max_length=80, help_text="What the block is for, e.g. “Dosing session”."
    )
    status = models.CharField(
        max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    booked_at = models.DateTimeField(auto_now_add=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["clinic", "starts_at"]),
            models.Index(fields=["room", "starts_at"]),
            models.Index(fields=["clinician", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="appointment_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(room__isnull=False) | models.Q(clinician__isnull=False),
                name="appointment_holds_room_or_clinician",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_booked(self) -> bool:
        return self.status == AppointmentStatus.BOOKED


class FeedOwner(models.TextChoices):
    THERAPIST = "therapist", "Therapist"
    PATIENT = "patient", "Patient"
    ROOM = "room", "Room"


class CalendarFeed(models.Model):
    """The secret address of an iCalendar feed (RFC 5545) for one therapist, patient or
    room. The token is the only credential a calendar application can send, so it is long
    and random; regenerating it makes the old address answer 404."""

    owner_kind = models.CharField(max_length=10, choices=FeedOwner.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calendar_feed",
    )
    room = models.OneToOneField(
        Room,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calendar_feed",
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    regenerated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table keeps the name it had when feeds lived in `episodes`, so moving the
        # model lost no row (migrations episodes 0009 and scheduling 0003).
        db_table = "episodes_calendarfeed"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, room__isnull=True)
                    | models.Q(user__isnull=True, room__isnull=False)
                ),
                name="calendar_feed_has_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_owner_kind_display()} calendar feed"


class ChangeKind(models.TextChoices):
    RESCHEDULED = "rescheduled", "Rescheduled"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


class CancelReason(models.TextChoices):
    """Why a session was cancelled. A late cancellation is one the patient made within
    the clinic's `late_cancel_hours` of the start (docs/clinical-reference.md)."""

    PATIENT = "patient", "Cancelled by the patient"
    CLINIC = "clinic", "Cancelled by the clinic"
    LATE_CANCEL = "late_cancel", "Late cancellation by the patient"


class SessionChange(KeptRecord):
    """One change to a booked session from the calendar: moved (from where and when, to
    where and when), cancelled (with the reason) or a no-show. Who, when and why stay on
    record for good; what a fee policy needs (a late cancellation, a no-show) is read here."""

    kept_message = "A change to a session is never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "episodes.CareSession", on_delete=models.PROTECT, related_name="calendar_changes"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=ChangeKind.choices)
    reason = models.CharField(max_length=12, choices=CancelReason.choices, blank=True)
    note = models.TextField(blank=True)
    from_start = models.DateTimeField()
    to_start = models.DateTimeField(null=True, blank=True)
    from_room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["clinic", "kind", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_start:%Y-%m-%d %H:%M}"
