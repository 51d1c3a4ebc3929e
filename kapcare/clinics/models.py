import uuid
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone, e.g. America/Chicago.")


class Clinic(models.Model):
    """A clinic and its clinical settings.

    Every patient belongs to one clinic and every query is scoped to the user's clinic, so
    one deployment can serve several clinics. Clinical thresholds are fields here (added by
    the issues that use them), each with its source, editable by the clinic's admin.
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(
        unique=True, help_text="Used in the public consultation page's address."
    )
    time_zone = models.CharField(
        max_length=64, default="America/Chicago", validators=[validate_time_zone]
    )
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True, help_text="Where patients write to the clinic.")
    clinical_inbox = models.EmailField(
        blank=True, help_text="Where safety alerts and clinical notifications are sent."
    )

    # --- Screening (issue 3) ---
    # An eligibility decision stays valid this long (ASKP3 2023 guidelines: re-screen
    # yearly; PRODUCT.md gate 1).
    eligibility_valid_months = models.PositiveSmallIntegerField(
        default=12, help_text="How long a clinician's eligibility decision stays valid."
    )
    # A single-purpose questionnaire link works for this many days (clinic choice).
    questionnaire_link_valid_days = models.PositiveSmallIntegerField(
        default=7, help_text="How long a questionnaire link sent by email stays usable."
    )
    # PCL-5 provisional PTSD at a total of 33 or more (National Center for PTSD; the
    # published range of cut-points is 31–33).
    pcl5_provisional_cutoff = models.PositiveSmallIntegerField(
        default=33, help_text="PCL-5 total at or above which PTSD is probable (NCPTSD: 31–33)."
    )
    # Response: a fall of at least 50 % from a baseline PHQ-9 above 9 (NQF 1884).
    response_fall_percent = models.PositiveSmallIntegerField(default=50)
    # Remission: PHQ-9 below 5 (CMS159).
    remission_phq9_below = models.PositiveSmallIntegerField(default=5)

    # --- Consent and sharing (issue 4) ---
    # A sharing authorisation runs to the end of the episode or, by default, this many
    # months (PRODUCT.md, Consent and sharing; HIPAA 45 CFR 164.508(c)(1)(v) requires an
    # expiry date or event).
    sharing_authorization_months = models.PositiveSmallIntegerField(
        default=12,
        help_text="Default length of a patient's authorisation to share with a therapist.",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)
