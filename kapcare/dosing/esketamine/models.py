"""Esketamine's records. Loaded by `kapcare.dosing.models`, so they belong to the dosing
app; each is kept (never deleted) as the rest of the dosing record is."""

import uuid

from django.conf import settings
from django.db import models

from kapcare.kept import KeptRecord


class RemsEnrolment(KeptRecord):
    """The patient's enrolment in the Spravato REMS, recorded by a clinician before the
    first esketamine dose: the enrolment id the REMS gave and the day it was made."""

    kept_message = "A patient's REMS enrolment is never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="rems_enrolment"
    )
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    enrolment_id = models.CharField("REMS patient enrolment id", max_length=40)
    enrolled_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"REMS enrolment {self.enrolment_id}"


class NasalDevice(KeptRecord):
    """One Spravato nasal device of 28 mg, taken by the patient at `given_at` under
    observation; drawn from the register's lot as it is recorded."""

    kept_message = "A signed dosing record is never deleted; add an addendum instead."
    deletable_rows = models.Q(record__signed_at__isnull=True)

    record = models.ForeignKey(
        "dosing.DosingRecord", on_delete=models.PROTECT, related_name="nasal_devices"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    amount_mg = models.DecimalField(max_digits=5, decimal_places=2)
    lot_number = models.CharField(max_length=40)
    given_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["record", "number"], name="one_device_per_number")
        ]

    def __str__(self) -> str:
        return f"Device {self.number} at {self.given_at:%H:%M}"


class ResolutionCheck(KeptRecord):
    """Whether sedation, dissociation and respiratory depression have resolved, as a
    clinician judged at `checked_at`; the last one decides the discharge."""

    kept_message = "A signed dosing record is never deleted; add an addendum instead."
    deletable_rows = models.Q(record__signed_at__isnull=True)

    record = models.ForeignKey(
        "dosing.DosingRecord", on_delete=models.PROTECT, related_name="resolution_checks"
    )
    checked_at = models.DateTimeField()
    sedation_resolved = models.BooleanField(default=False)
    dissociation_resolved = models.BooleanField(default=False)
    respiratory_depression_resolved = models.BooleanField(
        "respiratory depression resolved", default=False
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["checked_at", "id"]

    def __str__(self) -> str:
        return f"Resolution check at {self.checked_at:%H:%M}"


class RemsFormSubmission(KeptRecord):
    """The REMS Patient Monitoring Form of one session, sent to the REMS: who marked it
    sent, when, and the confirmation the REMS gave."""

    kept_message = "A record of a REMS submission is never deleted."

    record = models.OneToOneField(
        "dosing.DosingRecord", on_delete=models.PROTECT, related_name="rems_submission"
    )
    submitted_at = models.DateTimeField()
    confirmation = models.CharField("REMS confirmation number", max_length=60)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"REMS form sent ({self.confirmation})"
