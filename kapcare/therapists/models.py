"""The directory of outside therapists: who they are, the credentials the clinic relies on,
and whether clinic staff have verified each one (docs/clinical-reference.md#licence-and-training).

A therapist is not clinic staff. The directory entry is the clinic's record of them; the
account (`accounts.User`, role therapist) is what episodes and sharing authorisations
name. Until the therapist accepts an invitation the account has no usable password, so the
therapist exists only as this entry: nobody can sign in as them.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from kapcare.identifiers import NPI_MAX_LENGTH, TIN_MAX_LENGTH, npi_validator, tin_validator


class Modality(models.TextChoices):
    """Psychotherapy modalities used for preparation and integration (CBT after ketamine,
    Wilkinson et al. 2017; IFS; EMDR adapted; psychodynamic;
    docs/clinical-reference.md#modalities)."""

    CBT = "cbt", "CBT"
    IFS = "ifs", "IFS"
    EMDR = "emdr", "EMDR"
    PSYCHODYNAMIC = "psychodynamic", "Psychodynamic"
    ACT = "act", "ACT"
    OTHER = "other", "Other"


class LicenceType(models.TextChoices):
    LMFT = "lmft", "LMFT (marriage and family therapist)"
    LCSW = "lcsw", "LCSW (clinical social worker)"
    LPC = "lpc", "LPC / LPCC / LMHC (professional counsellor)"
    PSYCHOLOGIST = "psychologist", "Psychologist (PhD / PsyD)"
    PSYCHIATRIST = "psychiatrist", "Psychiatrist (MD / DO)"
    PMHNP = "pmhnp", "Psychiatric nurse practitioner (PMHNP)"
    OTHER = "other", "Other licence"


class Credential(models.TextChoices):
    """The credentials staff verify, each separately (who, when)."""

    LICENCE = "licence", "Licence"
    TRAINING = "training", "KAP training"
    ASKP3 = "askp3", "ASKP3 membership"


class TherapistProfileQuerySet(models.QuerySet):
    def for_clinic(self, clinic_id):
        return self.filter(clinic_id=clinic_id)

    def verified_on(self, today):
        """Entries whose licence and KAP training are verified and whose licence is in
        force on `today`: what patients may find."""
        return self.filter(
            licence_verified_at__isnull=False,
            training_verified_at__isnull=False,
            licence_expires_on__gte=today,
        )


class TherapistProfile(models.Model):
    """One outside therapist in one clinic's directory. A therapist who works with several
    clinics has an entry in each (one account): each clinic keeps and verifies its own.

    Changing a credential's facts clears its verification (`services.update_profile`): a
    verification vouches for the facts that were checked, not for whatever is there later.
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="therapist_profiles",
        help_text="The therapist's account: one entry in each clinic's directory that lists "
        "them, each kept and verified by that clinic.",
    )
    clinic = models.ForeignKey(
        "clinics.Clinic",
        on_delete=models.PROTECT,
        related_name="therapist_profiles",
        help_text="The clinic whose directory lists the therapist and whose staff verify.",
    )
    # Contact
    practice_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True, help_text="Two-letter US state code.")
    website = models.URLField(blank=True)
    # Licence
    licence_type = models.CharField(max_length=20, choices=LicenceType.choices, blank=True)
    licence_state = models.CharField(max_length=2, blank=True)
    licence_number = models.CharField(max_length=40, blank=True)
    licence_expires_on = models.DateField(null=True, blank=True)
    licence_verified_at = models.DateTimeField(null=True, blank=True)
    licence_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # KAP training
    training_programme = models.CharField(max_length=200, blank=True)
    training_completed_on = models.DateField(null=True, blank=True)
    training_certificate = models.FileField(upload_to="therapists/certificates/", blank=True)
    training_verified_at = models.DateTimeField(null=True, blank=True)
    training_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # ASKP3 membership
    is_askp3_member = models.BooleanField(default=False)
    askp3_verified_at = models.DateTimeField(null=True, blank=True)
    askp3_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    modalities = models.JSONField(default=list, blank=True, help_text="Modality values.")
    fee_per_session = models.DecimalField(
        "fee per session (USD)", max_digits=8, decimal_places=2, null=True, blank=True
    )
    # On the Good Faith Estimate, as a co-provider (45 CFR 149.610(c)).
    npi = models.CharField(
        "NPI",
        max_length=NPI_MAX_LENGTH,
        blank=True,
        validators=[npi_validator],
    )
    tin = models.CharField(
        "TIN",
        max_length=TIN_MAX_LENGTH,
        blank=True,
        validators=[tin_validator],
    )
    is_accepting_patients = models.BooleanField(default=True)
    invitation_accepted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the therapist set a password and confirmed."
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = TherapistProfileQuerySet.as_manager()

    class Meta:
        ordering = ["user__full_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "user"], name="therapist_listed_once_per_clinic"
            )
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def has_accepted_invitation(self) -> bool:
        return self.invitation_accepted_at is not None

    def modality_labels(self) -> list[str]:
        return [Modality(value).label for value in self.modalities if value in Modality.values]


class TherapistInvitation(models.Model):
    """An emailed link to set a password and confirm the directory entry: single use
    (`accepted_at`), expiring (`expires_at`, clinic setting), and superseded by a newer
    invitation. Only the token's SHA-256 is stored, like `accounts.ApiToken`."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    profile = models.ForeignKey(
        TherapistProfile, on_delete=models.PROTECT, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation for {self.profile}"

    def state_on(self, now) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.superseded_at is not None:
            return "superseded"
        if self.expires_at <= now:
            return "expired"
        return "pending"
