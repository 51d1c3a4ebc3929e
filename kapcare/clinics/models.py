import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from kapcare.identifiers import NPI_MAX_LENGTH, TIN_MAX_LENGTH, ein_validator, npi_validator
from kapcare.kept import KeptRecord


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone, e.g. America/Chicago.")


def validate_follow_up_months(value: str) -> None:
    from kapcare.follow_up.rules import parse_schedule

    try:
        parse_schedule(value)
    except ValueError as error:
        raise ValidationError(str(error)) from error


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def describe_working_days(digits: str) -> str:
    """The days of a `Clinic.working_days` value, in words: "Monday, Tuesday"."""
    return ", ".join(WEEKDAY_NAMES[int(day)] for day in sorted(set(digits)) if day in "0123456")


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
    # Shown with the clinic's name on patient-facing pages (kapcare/clinics/logo.py).
    logo = models.ImageField(
        upload_to="clinics/logos/",
        blank=True,
        max_length=200,
        help_text="Shown with the clinic's name to patients: PNG, JPEG or WebP, up to 1 MB.",
    )

    # --- Screening ---
    # An eligibility decision stays valid this long: screen again yearly (product default;
    # docs/clinical-reference.md#eligibility-decision-validity).
    eligibility_valid_months = models.PositiveSmallIntegerField(
        default=12, help_text="How long a clinician's eligibility decision stays valid."
    )
    # A single-purpose questionnaire link works for this many days (clinic choice;
    # docs/clinical-reference.md#questionnaire-links).
    questionnaire_link_valid_days = models.PositiveSmallIntegerField(
        default=7, help_text="How long a questionnaire link sent by email stays usable."
    )
    # Long-term follow-up: PHQ-9 and GAD-7 links at these months after an episode moves to
    # follow-up (default 1, 3, 6, 12, then yearly to 5 years;
    # docs/clinical-reference.md#long-term-follow-up).
    follow_up_months = models.CharField(
        "follow-up questionnaires at (months)",
        max_length=60,
        default="1, 3, 6, 12, 24, 36, 48, 60",
        validators=[validate_follow_up_months],
        help_text="Months after an episode moves to follow-up, e.g. 1, 3, 6, 12, 24, 36, 48, 60.",
    )
    # PCL-5 provisional PTSD at a total of 33 or more (National Center for PTSD; the
    # published range of cut-points is 31–33; docs/clinical-reference.md#pcl-5).
    pcl5_provisional_cutoff = models.PositiveSmallIntegerField(
        default=33, help_text="PCL-5 total at or above which PTSD is probable (NCPTSD: 31–33)."
    )
    # Response: a fall of at least 50 % from a baseline PHQ-9 above 9 (NQF 1884;
    # docs/clinical-reference.md#response-and-remission).
    response_fall_percent = models.PositiveSmallIntegerField(default=50)
    # Remission: PHQ-9 below 5 (CMS159).
    remission_phq9_below = models.PositiveSmallIntegerField(default=5)
    # Outcome figures: the baseline is the last PHQ-9 this many days before the first dose
    # at most, the induction is judged on the first PHQ-9 within this many days after its
    # last dose (product defaults; docs/clinical-reference.md#outcome-definitions).
    baseline_window_days = models.PositiveSmallIntegerField(default=30)
    end_of_induction_window_days = models.PositiveSmallIntegerField(default=28)

    # --- Consent and sharing ---
    # A sharing authorisation runs to the end of the episode or, by default, this many
    # months (docs/clinical-reference.md#sharing-authorisation; HIPAA 45 CFR
    # 164.508(c)(1)(v) requires an expiry date or event).
    sharing_authorization_months = models.PositiveSmallIntegerField(
        default=12,
        help_text="Default length of a patient's authorisation to share with a therapist.",
    )

    # --- Course of care: dosing gates, series, scheduling ---
    # Pre-dose blood pressure: warn at 140/90 (ACC/AHA 2017 stage 2; the Spravato label's
    # level for weighing a dose), hold at 160/100 (JNC 7 stage 2). Clinics differ (some
    # defer at 140/90), so all four are settings
    # (docs/clinical-reference.md#pre-dose-blood-pressure).
    bp_warn_systolic = models.PositiveSmallIntegerField(default=140)
    bp_warn_diastolic = models.PositiveSmallIntegerField(default=90)
    bp_hold_systolic = models.PositiveSmallIntegerField(default=160)
    bp_hold_diastolic = models.PositiveSmallIntegerField(default=100)
    # The pre-dose reading must be this fresh: taken within an hour of the dose (vitals
    # "before" the infusion; Emory and Yale protocols take them on arrival;
    # docs/clinical-reference.md#pre-dose-blood-pressure).
    pre_dose_bp_valid_minutes = models.PositiveSmallIntegerField(default=60)
    # Gate 7: at least 48 h between doses; induction series of 6 doses over 2–3 weeks
    # (Murrough et al. 2013, Biol Psychiatry: six infusions over 12 days, three a week;
    # docs/clinical-reference.md#minimum-interval-between-doses, #induction-series).
    minimum_dose_interval_hours = models.PositiveSmallIntegerField(default=48)
    induction_doses = models.PositiveSmallIntegerField(default=6)
    induction_span_days = models.PositiveSmallIntegerField(default=21)
    # The days the clinic is open, as weekday digits (Monday = 0): series planning proposes
    # doses, preparation and integration on these days only, whatever a clinician's hours
    # say (product default Monday to Friday; docs/clinical-reference.md#induction-series).
    working_days = models.CharField(max_length=7, default="01234")
    # Gate 3: preparation sessions before the first dose (Dore et al. 2019: 1–3; 2 or more
    # suggested when a trauma history is flagged; docs/clinical-reference.md#preparation-sessions).
    preparation_sessions_required = models.PositiveSmallIntegerField(default=1)
    preparation_sessions_with_trauma = models.PositiveSmallIntegerField(default=2)
    # After each dose in a KAP model an integration session is expected within 72 h
    # (docs/clinical-reference.md#integration-window); overdue ones are flagged.
    integration_window_hours = models.PositiveSmallIntegerField(default=72)
    # Gate 5: PHQ-9 and GAD-7 completed within 7 days before a dose
    # (docs/clinical-reference.md#questionnaires-before-a-dose).
    measures_recent_days = models.PositiveSmallIntegerField(default=7)
    # Gate 8: weight recorded within 30 days (weight-based dosing;
    # docs/clinical-reference.md#day-of-checklist).
    weight_recent_days = models.PositiveSmallIntegerField(default=30)
    # The block an appointment holds for a dosing session: check-in, infusion (IV
    # standard 40 min: Zarate et al. 2006) and recovery (minimum observation of 60 min
    # before discharge; docs/clinical-reference.md#appointment-blocks).
    checkin_minutes = models.PositiveSmallIntegerField(default=15)
    infusion_minutes = models.PositiveSmallIntegerField(default=40)
    recovery_minutes = models.PositiveSmallIntegerField(default=60)
    # A preparation or integration session: the 50-minute psychotherapy hour (CPT 90834
    # covers 38–52 minutes).
    therapy_session_minutes = models.PositiveSmallIntegerField(default=50)

    # --- Dosing session ---
    # Vital-sign alert thresholds (SBP ≥ 180 or < 90, DBP ≥ 110, HR > 130 or < 50,
    # SpO2 < 92 %, RR < 10 or > 30; docs/clinical-reference.md#vital-sign-alert-thresholds).
    vitals_systolic_high = models.PositiveSmallIntegerField(default=180)
    vitals_systolic_low = models.PositiveSmallIntegerField(default=90)
    vitals_diastolic_high = models.PositiveSmallIntegerField(default=110)
    vitals_heart_rate_high = models.PositiveSmallIntegerField(default=130)
    vitals_heart_rate_low = models.PositiveSmallIntegerField(default=50)
    vitals_spo2_low = models.PositiveSmallIntegerField(default=92)
    vitals_respiratory_rate_low = models.PositiveSmallIntegerField(default=10)
    vitals_respiratory_rate_high = models.PositiveSmallIntegerField(default=30)
    # Vitals every 10 min during and every 15 min after the infusion (published practice at
    # Emory and Yale; docs/clinical-reference.md#vital-sign-schedule).
    vitals_every_minutes_during = models.PositiveSmallIntegerField(default=10)
    vitals_every_minutes_after = models.PositiveSmallIntegerField(default=15)
    # Discharge: at least 60 min of observation after the dose ends (2 h for esketamine
    # under its REMS), modified Aldrete ≥ 9 (Aldrete 1995), blood pressure and heart rate
    # within 20 % of the pre-dose values (the Aldrete circulation item's band;
    # docs/clinical-reference.md#discharge).
    discharge_observation_minutes = models.PositiveSmallIntegerField(default=60)
    # Esketamine (Spravato): given only at a healthcare setting certified under the
    # Spravato REMS, whose certification the clinic records; the patient is observed for
    # at least 2 hours after the dose, and the REMS Patient Monitoring Form is sent within
    # 7 days of it (Spravato label, section 5.1 and 5.6; Spravato REMS;
    # docs/clinical-reference.md#esketamine).
    esketamine_enabled = models.BooleanField(default=False)
    rems_certification_id = models.CharField(
        "Spravato REMS healthcare setting certification", max_length=40, blank=True
    )
    rems_certified_on = models.DateField("REMS certified on", null=True, blank=True)
    esketamine_observation_minutes = models.PositiveSmallIntegerField(default=120)
    rems_form_due_days = models.PositiveSmallIntegerField(default=7)
    discharge_aldrete_minimum = models.PositiveSmallIntegerField(default=9)
    discharge_vitals_within_percent = models.PositiveSmallIntegerField(default=20)
    # Dose caps per route, mg/kg and total mg. IV: 0.5 mg/kg over 40 min is the standard
    # research protocol (Zarate et al. 2006), dose-finding studies went to 1.0 mg/kg; IM: up
    # to 1.0 mg/kg in office-based KAP; sublingual/oral: 0.25–7.0 mg/kg or 25–300 mg fixed
    # have been used (Andrade 2019, J Clin Psychiatry); intranasal: esketamine's label
    # stops at 84 mg. Conservative defaults: the clinic's medical director sets them
    # (docs/clinical-reference.md#dose-maxima-per-route).
    max_mg_per_kg_iv = models.DecimalField(max_digits=4, decimal_places=2, default=1)
    max_total_mg_iv = models.PositiveSmallIntegerField(default=100)
    max_mg_per_kg_im = models.DecimalField(max_digits=4, decimal_places=2, default=1)
    max_total_mg_im = models.PositiveSmallIntegerField(default=150)
    max_mg_per_kg_sublingual = models.DecimalField(max_digits=4, decimal_places=2, default=3)
    max_total_mg_sublingual = models.PositiveSmallIntegerField(default=300)
    max_mg_per_kg_intranasal = models.DecimalField(max_digits=4, decimal_places=2, default=1)
    max_total_mg_intranasal = models.PositiveSmallIntegerField(default=100)
    # The therapist's session summary gives the dose as a band unless the clinic allows the
    # exact figure (minimum necessary, HIPAA 164.502(b);
    # docs/clinical-reference.md#minimum-necessary).
    summary_shows_exact_dose = models.BooleanField(default=False)

    # --- Therapists and portals ---
    # An invitation to an outside therapist is a credential in an email: it works once and
    # for 14 days (two weeks covers a therapist's holidays without leaving old links about;
    # docs/clinical-reference.md#therapist-invitations).
    therapist_invitation_valid_days = models.PositiveSmallIntegerField(default=14)
    # Appointment reminders are emailed 24 h before a session (common practice, and the
    # escort and fasting arrangements need the day before;
    # docs/clinical-reference.md#appointment-reminders).
    appointment_reminder_hours = models.PositiveSmallIntegerField(default=24)
    # A session cancelled within this many hours of its start is a late cancellation
    # (the usual 24-hour notice of outpatient practice; the clinic's fee policy, if any,
    # reads it; docs/clinical-reference.md#late-cancellation).
    late_cancel_hours = models.PositiveSmallIntegerField(default=24)
    # A therapist's licence expiring within this many days is flagged ahead of time on the
    # episodes that depend on them, so the clinic can ask for the renewal before it lapses
    # (docs/clinical-reference.md#licence-and-training).
    licence_expiry_warning_days = models.PositiveSmallIntegerField(default=30)
    # A KAP dose needs the outside therapist's KAP training verified, unless the clinic
    # decides otherwise and says why (the gate then only notes it): training programmes are
    # young and some experienced therapists have none on file.
    kap_training_required = models.BooleanField(default=True)
    kap_training_not_required_reason = models.TextField(blank=True)

    # --- Controlled substances ---
    # The registrant printed on the register, its inventories and theft or loss reports
    # (21 CFR 1304.04(a), 1304.11(a); docs/clinical-reference.md#dea-records).
    dea_registration_number = models.CharField(
        "DEA registration number",
        max_length=9,
        blank=True,
        help_text="The clinic's registration for Schedule III, e.g. AB1234563.",
    )
    dea_registered_address = models.TextField(
        "address on the DEA registration",
        blank=True,
        help_text="The registered location where the ketamine is kept, as on the certificate.",
    )

    # --- Billing ---
    # Printed on every Good Faith Estimate as the provider's identity and where the service
    # is given (45 CFR 149.610(c); docs/billing-reference.md#providers).
    npi = models.CharField(
        "NPI",
        max_length=NPI_MAX_LENGTH,
        blank=True,
        validators=[npi_validator],
        help_text="The clinic's National Provider Identifier (type 2, organisation).",
    )
    tin = models.CharField(
        "TIN",
        max_length=TIN_MAX_LENGTH,
        blank=True,
        validators=[ein_validator],
        help_text="The clinic's Taxpayer Identification Number (EIN).",
    )
    service_address = models.TextField(
        "address where services are given",
        blank=True,
        help_text="Printed on Good Faith Estimates.",
    )
    # Fees and packages (docs/billing-reference.md#fees-and-packages): a late cancellation
    # (within `late_cancel_hours`) or a no-show is charged these amounts; zero means no fee.
    # The clinic's own policy: no law sets them. Shown to the patient when a session is booked.
    late_cancel_fee = models.DecimalField(
        "late-cancellation fee (USD)",
        max_digits=8,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text="Charged when a session is cancelled late; 0 for none.",
    )
    no_show_fee = models.DecimalField(
        "no-show fee (USD)",
        max_digits=8,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text="Charged when the patient misses a session; 0 for none.",
    )
    # How an unused prepaid package is refunded (`billing.ledger.rules.package_refund`).
    package_refund_rule = models.CharField(
        "package refund rule",
        max_length=16,
        default="pro_rata",
        choices=[
            ("pro_rata", "Unused sessions at the package's price per session, less the fee"),
            ("per_session", "What was paid, less used sessions at the single-session price"),
        ],
    )
    package_refund_fee = models.DecimalField(
        "package refund fee (USD)",
        max_digits=8,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text="Kept from a package refund; 0 for none.",
    )
    # Billed charges this far above the Good Faith Estimate give the patient the right to
    # patient-provider dispute resolution (45 CFR 149.620(b): $400 or more); the ledger
    # flags it before the bill is sent.
    estimate_excess_threshold = models.DecimalField(
        "flag charges above the estimate by (USD)",
        max_digits=8,
        decimal_places=2,
        default=400,
        validators=[MinValueValidator(0)],
        help_text="Default $400: the dispute-resolution threshold of 45 CFR 149.620.",
    )

    # --- Sign-in ---
    # Staff and outside therapists always sign in with a second factor; patients too when
    # the clinic asks (their portal holds their own record only, so it is the clinic's
    # choice, weighed against patients locked out of their portal).
    patients_need_second_factor = models.BooleanField(
        default=False,
        help_text="Patients sign in with a code from an authenticator app after the password.",
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

    @property
    def working_weekdays(self) -> frozenset[int]:
        """The days the clinic is open (Monday = 0), as series planning takes them."""
        return frozenset(int(day) for day in self.working_days if day in "0123456")


class PriceKind(models.TextChoices):
    DOSING_SESSION = "dosing_session", "Dosing session"
    OTHER = "other", "Other item"


# A single ketamine session at the clinic the product grew from costs $475
# (docs/clinical-reference.md#the-clinics-framework-article); a clinic sets its own prices
# on the price list page.
DEFAULT_DOSING_SESSION_PRICE = "475.00"


class PriceListItem(models.Model):
    """One line of the clinic's price list. Dosing sessions are priced by route; other
    items (consultation, screening visit, booster) are the clinic's own. A price is
    changed by editing the line: estimates are computed when shown, signed consents keep
    the figures they were signed with."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="price_list")
    kind = models.CharField(max_length=16, choices=PriceKind.choices)
    route = models.CharField(
        max_length=12,
        blank=True,
        help_text="For a dosing session: the route this price applies to.",
    )
    name = models.CharField(max_length=120)
    amount = models.DecimalField("price (USD)", max_digits=8, decimal_places=2)
    is_active = models.BooleanField("offered", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "route"],
                condition=models.Q(kind="dosing_session"),
                name="one_dosing_price_per_route",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: ${self.amount}"


class ClinicSettingChange(KeptRecord):
    """One save of a clinic's settings: who, when, and each setting's old and new value
    (`changes`: [{"field", "label", "old", "new"}], values as shown). Written only by
    `clinics.services.change_settings`, in the same transaction as the change; never
    changed or deleted (the database refuses both: migration 0009)."""

    kept_message = "The history of a clinic's settings is never deleted."

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="setting_changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_by_name = models.CharField(max_length=200, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=list)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["clinic", "-changed_at"])]

    def __str__(self) -> str:
        return f"Settings changed {self.changed_at:%Y-%m-%d %H:%M}"
