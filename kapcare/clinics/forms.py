import zoneinfo

from django import forms
from django.core import validators

from kapcare.clinics.dea_numbers import dea_number_problem
from kapcare.clinics.models import WEEKDAY_NAMES, Clinic

US_ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
]


def time_zone_choices() -> list[tuple[str, str]]:
    others = sorted(z for z in zoneinfo.available_timezones() if z not in US_ZONES and "/" in z)
    return [("United States", [(z, z) for z in US_ZONES]), ("Elsewhere", [(z, z) for z in others])]


# Clinical settings: (label, help with the default's source, smallest, largest allowed).
# The defaults themselves live on the Clinic model, each with its source in a comment.
CLINICAL_SETTINGS = {
    "eligibility_valid_months": (
        "Eligibility stays valid (months)",
        "Default 12: screen again yearly before dosing. ASKP3 makes screening essential; the "
        "interval is the clinic's choice.",
        1,
        24,
    ),
    "questionnaire_link_valid_days": (
        "Questionnaire links work for (days)",
        "Default 7. A link also stops working once used.",
        1,
        30,
    ),
    "pcl5_provisional_cutoff": (
        "PCL-5 probable PTSD at or above",
        "Default 33 (National Center for PTSD; published cut-points 31–33).",
        0,
        80,
    ),
    "response_fall_percent": (
        "Response: PHQ-9 falls by at least (%)",
        "Default 50 % from a baseline above 9 (NQF 1884).",
        1,
        100,
    ),
    "remission_phq9_below": (
        "Remission: PHQ-9 below",
        "Default 5 (CMS159).",
        1,
        27,
    ),
    "baseline_window_days": (
        "Outcomes: baseline PHQ-9 at most this long before the first dose (days)",
        "Default 30: the last PHQ-9 before the first dose counts as the baseline.",
        1,
        90,
    ),
    "end_of_induction_window_days": (
        "Outcomes: PHQ-9 after the induction within (days)",
        "Default 28: the first PHQ-9 after the series' last dose judges response.",
        1,
        90,
    ),
    "sharing_authorization_months": (
        "Sharing authorisations last at most (months)",
        "Default 12, unless the patient chooses an earlier date (HIPAA needs an expiry).",
        1,
        24,
    ),
    "bp_warn_systolic": (
        "Pre-dose blood pressure: warn at systolic (mmHg)",
        "Default 140 (ACC/AHA 2017 stage 2; Spravato label: consider delaying).",
        100,
        200,
    ),
    "bp_warn_diastolic": (
        "Pre-dose blood pressure: warn at diastolic (mmHg)",
        "Default 90.",
        60,
        130,
    ),
    "bp_hold_systolic": (
        "Pre-dose blood pressure: hold the dose at systolic (mmHg)",
        "Default 160. Some clinics defer at 140/90: set both levels alike.",
        100,
        220,
    ),
    "bp_hold_diastolic": (
        "Pre-dose blood pressure: hold the dose at diastolic (mmHg)",
        "Default 100.",
        60,
        140,
    ),
    "pre_dose_bp_valid_minutes": (
        "Pre-dose blood pressure counts for (minutes)",
        "Default 60: a reading taken on arrival, within the hour before the dose.",
        10,
        240,
    ),
    "late_cancel_hours": (
        "A cancellation is late within (hours of the start)",
        "Default 24: the usual notice in outpatient practice.",
        1,
        168,
    ),
    "minimum_dose_interval_hours": (
        "Minimum time between doses (hours)",
        "Default 48: two days, as the repeated-infusion studies dosed (Murrough et al. 2013).",
        12,
        336,
    ),
    "induction_doses": (
        "Induction series: doses",
        "Default 6 (six infusions over 12 days: Murrough et al. 2013).",
        1,
        12,
    ),
    "induction_span_days": (
        "Induction series: spread over at most (days)",
        "Default 21: six doses over two to three weeks.",
        7,
        60,
    ),
    "preparation_sessions_required": (
        "Preparation sessions before the first dose",
        "Default 1 (Dore et al. 2019: 1–3).",
        0,
        6,
    ),
    "preparation_sessions_with_trauma": (
        "Preparation sessions before the first dose, trauma history flagged",
        "Default 2 (Dore et al. 2019 suggest longer preparation after trauma).",
        0,
        6,
    ),
    "integration_window_hours": (
        "Integration expected within (hours after a dose)",
        "Default 72; later ones are flagged as overdue.",
        12,
        336,
    ),
    "measures_recent_days": (
        "PHQ-9 and GAD-7 must be at most this old at a dose (days)",
        "Default 7: a dose waits for questionnaires answered in the past week.",
        1,
        30,
    ),
    "weight_recent_days": (
        "Weight must be at most this old at a dose (days)",
        "Default 30: the dose is worked out from the weight (mg per kg).",
        1,
        180,
    ),
    "checkin_minutes": (
        "Dosing appointment: check-in (minutes)",
        "Default 15.",
        0,
        120,
    ),
    "infusion_minutes": (
        "Dosing appointment: infusion (minutes)",
        "Default 40 (IV 0.5 mg/kg over 40 min: Zarate et al. 2006).",
        5,
        240,
    ),
    "recovery_minutes": (
        "Dosing appointment: recovery (minutes)",
        "Default 60: the minimum observation before discharge.",
        15,
        240,
    ),
    "therapy_session_minutes": (
        "Preparation and integration sessions (minutes)",
        "Default 50, the psychotherapy hour.",
        15,
        180,
    ),
    "vitals_systolic_high": ("Alert: systolic at or above (mmHg)", "Default 180.", 140, 240),
    "vitals_systolic_low": ("Alert: systolic below (mmHg)", "Default 90.", 60, 120),
    "vitals_diastolic_high": ("Alert: diastolic at or above (mmHg)", "Default 110.", 80, 150),
    "vitals_heart_rate_high": ("Alert: heart rate above (/min)", "Default 130.", 90, 200),
    "vitals_heart_rate_low": ("Alert: heart rate below (/min)", "Default 50.", 30, 70),
    "vitals_spo2_low": ("Alert: SpO2 below (%)", "Default 92.", 80, 98),
    "vitals_respiratory_rate_low": ("Alert: breaths per minute below", "Default 10.", 4, 14),
    "vitals_respiratory_rate_high": ("Alert: breaths per minute above", "Default 30.", 20, 50),
    "vitals_every_minutes_during": (
        "Vitals every (minutes) during the infusion",
        "Default 10 (Emory and Yale practice).",
        1,
        30,
    ),
    "vitals_every_minutes_after": (
        "Vitals every (minutes) after the infusion",
        "Default 15 (Emory and Yale practice).",
        1,
        60,
    ),
    "discharge_observation_minutes": (
        "Observation after the dose ends, before discharge (minutes)",
        "Default 60; 120 for esketamine (Spravato REMS).",
        15,
        240,
    ),
    "esketamine_observation_minutes": (
        "Esketamine: observation after the dose, before discharge (minutes)",
        "Default 120: at least 2 hours (Spravato label and REMS).",
        120,
        360,
    ),
    "rems_form_due_days": (
        "Esketamine: send the REMS Patient Monitoring Form within (days)",
        "Default 7 (Spravato REMS).",
        1,
        7,
    ),
    "discharge_aldrete_minimum": (
        "Discharge: modified Aldrete score at least",
        "Default 9 of 10 (Aldrete 1995).",
        5,
        10,
    ),
    "discharge_vitals_within_percent": (
        "Discharge: blood pressure and heart rate within (%) of pre-dose",
        "Default 20 (the Aldrete circulation item's band).",
        5,
        50,
    ),
    "max_mg_per_kg_iv": ("IV: most mg/kg without an override", "Default 1.0 (standard 0.5).", 0, 5),
    "max_total_mg_iv": ("IV: most mg in total without an override", "Default 100.", 1, 1000),
    "max_mg_per_kg_im": ("IM: most mg/kg without an override", "Default 1.0.", 0, 5),
    "max_total_mg_im": ("IM: most mg in total without an override", "Default 150.", 1, 1000),
    "max_mg_per_kg_sublingual": (
        "Sublingual: most mg/kg without an override",
        "Default 3.0 (Andrade 2019: 0.25–7.0 mg/kg used).",
        0,
        10,
    ),
    "max_total_mg_sublingual": (
        "Sublingual: most mg in total without an override",
        "Default 300 (Andrade 2019: 25–300 mg fixed doses).",
        1,
        1000,
    ),
    "max_mg_per_kg_intranasal": (
        "Intranasal: most mg/kg without an override",
        "Default 1.0.",
        0,
        5,
    ),
    "max_total_mg_intranasal": (
        "Intranasal: most mg in total without an override",
        "Default 100 (esketamine's label stops at 84 mg).",
        1,
        1000,
    ),
}


# Clinical yes/no settings: (label, help with the source).
CLINICAL_CHOICES = {
    "summary_shows_exact_dose": (
        "The therapist's session summary shows the exact dose in mg",
        "Off by default: a dose band is the minimum necessary (HIPAA 164.502(b)).",
    ),
    "esketamine_enabled": (
        "The clinic gives esketamine (Spravato)",
        "Only as a healthcare setting certified under the Spravato REMS: enter the "
        "certification below first.",
    ),
    "kap_training_required": (
        "A KAP dose needs the outside therapist's KAP training verified",
        "On by default. Turned off, unverified training is only noted on the dose's gates; "
        "say why below.",
    ),
}
# Clinical settings written in words.
CLINICAL_TEXTS = {
    "kap_training_not_required_reason": (
        "Why the clinic does not require verified KAP training",
        "Shown with the note on every dose whose therapist's training is not verified.",
    ),
    "follow_up_months": (
        "Long-term follow-up questionnaires at (months)",
        "PHQ-9 and GAD-7 links are emailed this many months after an episode moves to "
        "follow-up, e.g. 1, 3, 6, 12, 24, 36, 48, 60.",
    ),
}


# The money side's settings: fees, the package refund rule, the estimate's dispute
# threshold (their sources: docs/billing-reference.md#fees-and-packages).
MONEY_SETTINGS = (
    "late_cancel_fee",
    "no_show_fee",
    "package_refund_rule",
    "package_refund_fee",
    "estimate_excess_threshold",
)
WEEKDAYS = [(str(number), name) for number, name in enumerate(WEEKDAY_NAMES)]


class ClinicSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=time_zone_choices, help_text="Times are shown in this zone."
    )
    working_days = forms.MultipleChoiceField(
        label="Days the clinic is open",
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        help_text="Series planning proposes doses, preparation and integration on these days "
        "only. Default Monday to Friday.",
        error_messages={
            "required": "Tick at least one day the clinic is open.",
            "invalid_choice": "Choose from the days listed.",
        },
    )

    class Meta:
        model = Clinic
        fields = [
            "name",
            "time_zone",
            "phone",
            "email",
            "clinical_inbox",
            "dea_registration_number",
            "dea_registered_address",
            "npi",
            "tin",
            "service_address",
            *MONEY_SETTINGS,
            "working_days",
            *CLINICAL_SETTINGS,
            *CLINICAL_CHOICES,
            *CLINICAL_TEXTS,
            "rems_certification_id",
            "rems_certified_on",
            "patients_need_second_factor",
        ]
        labels = {"patients_need_second_factor": "Patients sign in with two factors"}
        help_texts = {
            "rems_certification_id": "The Spravato REMS healthcare setting certification "
            "number, shown on the controlled-substance register.",
        }
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "rems_certified_on": forms.DateInput(attrs={"type": "date"}),
            "dea_registered_address": forms.Textarea(attrs={"rows": 3}),
            "service_address": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (label, help_text, smallest, largest) in CLINICAL_SETTINGS.items():
            field = self.fields[name]
            field.label, field.help_text = label, help_text
            field.min_value, field.max_value = smallest, largest
            field.validators += [
                validators.MinValueValidator(smallest),
                validators.MaxValueValidator(largest),
            ]
            field.widget.attrs.update(min=smallest, max=largest)
        for name, (label, help_text) in (CLINICAL_CHOICES | CLINICAL_TEXTS).items():
            self.fields[name].label, self.fields[name].help_text = label, help_text
        self.fields["kap_training_not_required_reason"].widget.attrs["rows"] = 2
        if not self.is_bound:
            self.initial["working_days"] = list(self.instance.working_days)

    def clean_working_days(self) -> str:
        return "".join(sorted(set(self.cleaned_data["working_days"])))

    def clean_dea_registration_number(self) -> str:
        number = self.cleaned_data["dea_registration_number"].strip().upper()
        problem = dea_number_problem(number) if number else None
        if problem:
            raise forms.ValidationError(problem)
        return number

    def clean(self):
        cleaned = super().clean()
        for part in ("systolic", "diastolic"):
            warn, hold = cleaned.get(f"bp_warn_{part}"), cleaned.get(f"bp_hold_{part}")
            if warn is not None and hold is not None and hold < warn:
                self.add_error(
                    f"bp_hold_{part}",
                    f"The hold level must be at or above the warn level ({warn} mmHg).",
                )
        reason = cleaned.get("kap_training_not_required_reason", "").strip()
        cleaned["kap_training_not_required_reason"] = reason
        if cleaned.get("kap_training_required") is False and not reason:
            self.add_error(
                "kap_training_not_required_reason",
                "Say why the clinic does not require verified KAP training.",
            )
        certification = cleaned.get("rems_certification_id", "").strip()
        cleaned["rems_certification_id"] = certification
        if cleaned.get("esketamine_enabled") and not (
            certification and cleaned.get("rems_certified_on")
        ):
            self.add_error(
                "esketamine_enabled",
                "Esketamine is given only at a setting certified under the Spravato REMS: "
                "enter the certification number and date first.",
            )
        return cleaned

    def clinic_fields(self):
        clinical = {*CLINICAL_SETTINGS, *CLINICAL_CHOICES, *CLINICAL_TEXTS}
        return [self[name] for name in self.fields if name not in clinical]

    def clinical_fields(self):
        return [self[name] for name in (*CLINICAL_SETTINGS, *CLINICAL_CHOICES, *CLINICAL_TEXTS)]
