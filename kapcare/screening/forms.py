"""Forms for the screening pages. Each check gives its message at the field it concerns,
and a form that fails keeps everything typed into it."""

from decimal import Decimal

from django import forms
from django.db.models.functions import Lower
from django.utils import timezone

from kapcare.patients import rules as patient_rules
from kapcare.patients.forms import DateInput
from kapcare.screening import rules, services
from kapcare.screening.models import (
    Contraindication,
    Decision,
    LastUse,
    MedicationInteraction,
    PregnancyStatus,
    SubstanceChoice,
    UseFrequency,
)

YES, NO, UNSURE = "yes", "no", "unsure"
PRESENT_CHOICES = [(YES, "Yes"), (NO, "No")]
REPORT_CHOICES = [(YES, "Yes"), (NO, "No"), (UNSURE, "Not sure")]
TO_BOOL = {YES: True, NO: False, UNSURE: None, "": None}


def from_bool(value: bool | None, unknown: str = "") -> str:
    return {True: YES, False: NO}.get(value, unknown)


# --- History (patient in the portal, or clinician for the patient) ----------------------------


class HistoryForm(forms.Form):
    """Conditions, allergies, substance use and pregnancy. Medications come in a formset.

    The condition and substance questions are built from the clinic's catalogue and the
    fixed substance list, so their field names are `condition_<id>`, `condition_<id>_note`,
    `<substance>_frequency`, `<substance>_last_use` and `<substance>_note`.
    """

    allergies = forms.CharField(
        label="Allergies",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="Medicines, foods, latex or anything else, and what happened. "
        "Write 'none known' if you have none.",
        error_messages={"required": "Tell us about allergies, or write 'none known'."},
    )
    pregnancy_status = forms.ChoiceField(
        label="Are you pregnant or breastfeeding?",
        choices=PregnancyStatus.choices,
        widget=forms.RadioSelect,
        help_text="Ketamine is not given during pregnancy or breastfeeding. If you might be "
        "pregnant, say so: a test will settle it.",
        error_messages={"required": "Choose one answer about pregnancy."},
    )
    comments = forms.CharField(
        label="Anything else your clinician should know?",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )

    def __init__(self, *args, contraindications, patient, previous=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pregnancy_applies = rules.pregnancy_question_applies(patient.sex_at_birth)
        if not self.pregnancy_applies:
            del self.fields["pregnancy_status"]
        self.conditions = [c for c in contraindications if not c.is_pregnancy]
        earlier = {}
        if previous is not None:
            earlier = {a.contraindication_id: a for a in previous.condition_answers.all()}
            self.initial.setdefault("allergies", previous.allergies)
            self.initial.setdefault("comments", previous.patient_comments)
            # Pregnancy is asked afresh each time: last time's answer may no longer hold.
        for item in self.conditions:
            answer = earlier.get(item.pk)
            self.fields[f"condition_{item.pk}"] = forms.ChoiceField(
                label=item.name,
                choices=REPORT_CHOICES,
                widget=forms.RadioSelect,
                help_text=item.description,
                error_messages={"required": f"Answer yes, no or not sure for “{item.name}”."},
            )
            self.fields[f"condition_{item.pk}_note"] = forms.CharField(
                label="Details (optional)", required=False, max_length=500
            )
            if answer is not None:
                present = answer.is_present
                self.initial.setdefault(f"condition_{item.pk}", from_bool(present, UNSURE))
                self.initial.setdefault(f"condition_{item.pk}_note", answer.patient_note)
        earlier_uses = {u.substance: u for u in previous.substance_uses.all()} if previous else {}
        for substance, label in SubstanceChoice.choices:
            self.fields[f"{substance}_frequency"] = forms.ChoiceField(
                label=f"{label}: how often?",
                choices=[("", "Choose…"), *UseFrequency.choices],
                error_messages={"required": f"Say how often you use {label.split(' (')[0]}."},
            )
            self.fields[f"{substance}_last_use"] = forms.ChoiceField(
                label="Last use", choices=[("", "—"), *LastUse.choices], required=False
            )
            self.fields[f"{substance}_note"] = forms.CharField(
                label="Details (optional)", required=False, max_length=500
            )
            use = earlier_uses.get(substance)
            if use is not None:
                self.initial.setdefault(f"{substance}_frequency", use.frequency)
                self.initial.setdefault(f"{substance}_last_use", use.last_use)
                self.initial.setdefault(f"{substance}_note", use.note)

    def condition_rows(self):
        """(question, details) bound fields per catalogue condition, for the template."""
        return [
            (self[f"condition_{c.pk}"], self[f"condition_{c.pk}_note"]) for c in self.conditions
        ]

    def substance_rows(self):
        return [
            (label, self[f"{s}_frequency"], self[f"{s}_last_use"], self[f"{s}_note"])
            for s, label in SubstanceChoice.choices
        ]

    def clean(self):
        cleaned = super().clean()
        for substance, _ in SubstanceChoice.choices:
            frequency = cleaned.get(f"{substance}_frequency")
            if not frequency:
                continue
            problem = rules.substance_use_problem(frequency, cleaned.get(f"{substance}_last_use"))
            if problem:
                self.add_error(f"{substance}_last_use", problem)
        return cleaned

    def report(self, medications) -> services.HistoryReport:
        data = self.cleaned_data
        return services.HistoryReport(
            allergies=data["allergies"],
            pregnancy_status=data.get("pregnancy_status", rules.NOT_APPLICABLE),
            comments=data.get("comments", ""),
            conditions=[
                services.ConditionReport(
                    contraindication_id=c.pk,
                    present=TO_BOOL[data[f"condition_{c.pk}"]],
                    note=data.get(f"condition_{c.pk}_note", ""),
                )
                for c in self.conditions
            ],
            medications=medications,
            substances=[
                services.SubstanceReport(
                    substance=s,
                    frequency=data[f"{s}_frequency"],
                    last_use=data.get(f"{s}_last_use", ""),
                    note=data.get(f"{s}_note", ""),
                )
                for s, _ in SubstanceChoice.choices
            ],
        )


class MedicationForm(forms.Form):
    name = forms.CharField(label="Medication", max_length=200, required=False)
    dose = forms.CharField(label="Dose", max_length=100, required=False, help_text="e.g. 20 mg")
    frequency = forms.CharField(
        label="How often", max_length=100, required=False, help_text="e.g. once a day"
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("name", "").strip() and (
            cleaned.get("dose", "").strip() or cleaned.get("frequency", "").strip()
        ):
            self.add_error("name", "Enter the medication's name, or clear the dose and how often.")
        return cleaned


BLANK_MEDICATION_ROWS = 5
MAX_MEDICATIONS = 60

MedicationFormSet = forms.formset_factory(
    MedicationForm,
    extra=BLANK_MEDICATION_ROWS,
    max_num=MAX_MEDICATIONS,
    absolute_max=MAX_MEDICATIONS,
    validate_max=True,
)


def medication_formset(data=None, previous=None) -> forms.BaseFormSet:
    """The medication rows: the ones listed last time, then blank rows to add more."""
    initial = []
    if previous is not None:
        initial = [
            {"name": m.name, "dose": m.dose, "frequency": m.frequency}
            for m in previous.medications.all()
        ]
    return MedicationFormSet(data, initial=initial or None, prefix="medications")


def medication_reports(formset) -> list[services.MedicationReport]:
    return [
        services.MedicationReport(
            name=form.cleaned_data["name"],
            dose=form.cleaned_data.get("dose", ""),
            frequency=form.cleaned_data.get("frequency", ""),
        )
        for form in formset.forms
        if form.cleaned_data.get("name", "").strip()
    ]


# --- The clinician's review -------------------------------------------------------------------


class ReviewForm(forms.Form):
    """Vitals, a finding on each condition, notes, and the sign-off."""

    screened_on = forms.DateField(label="Date of screening", widget=DateInput())
    systolic = forms.IntegerField(
        label="Blood pressure, systolic (mmHg)",
        required=False,
        error_messages={"invalid": "Enter the systolic pressure as a whole number, e.g. 128."},
    )
    diastolic = forms.IntegerField(
        label="Blood pressure, diastolic (mmHg)",
        required=False,
        error_messages={"invalid": "Enter the diastolic pressure as a whole number, e.g. 82."},
    )
    weight = forms.DecimalField(
        label="Weight",
        required=False,
        min_value=Decimal("0.1"),
        max_digits=6,
        decimal_places=1,
        error_messages={"invalid": "Enter the weight as a number, e.g. 72.5."},
    )
    weight_unit = forms.ChoiceField(
        label="Weight unit", choices=[("kg", "kg"), ("lb", "lb")], initial="kg"
    )
    pregnancy_status = forms.ChoiceField(
        label="Pregnancy status (confirmed)",
        choices=PregnancyStatus.choices,
        help_text="Confirm what the patient reported, e.g. after a pregnancy test.",
    )
    clinician_notes = forms.CharField(
        label="Clinician's notes", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    complete = forms.BooleanField(
        label="Screening completed: I have reviewed every item and sign this screening off",
        required=False,
        help_text="Once signed, the screening cannot change; a new history starts a new version.",
    )

    def __init__(self, *args, screening, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.screening = screening
        self.answers = [
            a for a in screening.condition_answers.all() if not a.contraindication.is_pregnancy
        ]
        self.medications = list(screening.medications.all())
        if not rules.pregnancy_question_applies(patient.sex_at_birth):
            del self.fields["pregnancy_status"]
        self.initial.setdefault("screened_on", screening.screened_on or timezone.localdate())
        self.initial.setdefault("systolic", screening.blood_pressure_systolic)
        self.initial.setdefault("diastolic", screening.blood_pressure_diastolic)
        self.initial.setdefault("weight", screening.weight_kg)
        self.initial.setdefault("pregnancy_status", screening.current_pregnancy_status)
        self.initial.setdefault("clinician_notes", screening.clinician_notes)
        for answer in self.answers:
            self.fields[f"finding_{answer.pk}"] = forms.ChoiceField(
                label=answer.name,
                choices=PRESENT_CHOICES,
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"finding_{answer.pk}_note"] = forms.CharField(
                label="Clinician's note", required=False, max_length=500
            )
            self.initial.setdefault(f"finding_{answer.pk}", from_bool(answer.confirmed_present))
            self.initial.setdefault(f"finding_{answer.pk}_note", answer.clinician_note)
        for entry in self.medications:
            self.fields[f"medication_{entry.pk}_note"] = forms.CharField(
                label=f"Note on {entry.description}", required=False, max_length=500
            )
            self.initial.setdefault(f"medication_{entry.pk}_note", entry.clinician_note)

    def finding_rows(self):
        return [(a, self[f"finding_{a.pk}"], self[f"finding_{a.pk}_note"]) for a in self.answers]

    def medication_rows(self):
        return [(m, self[f"medication_{m.pk}_note"]) for m in self.medications]

    def clean_screened_on(self):
        screened_on = self.cleaned_data["screened_on"]
        if screened_on > timezone.localdate():
            raise forms.ValidationError("The date of screening cannot be in the future.")
        return screened_on

    def clean(self):
        cleaned = super().clean()
        for name, problem in rules.blood_pressure_problems(
            cleaned.get("systolic"), cleaned.get("diastolic")
        ).items():
            if not self.has_error(name):
                self.add_error(name, problem)
        cleaned["weight_kg"] = None
        if cleaned.get("weight") is not None:
            kg = patient_rules.to_kilograms(cleaned["weight"], cleaned.get("weight_unit", "kg"))
            problem = patient_rules.weight_problem(kg)
            if problem:
                self.add_error("weight", problem)
            cleaned["weight_kg"] = kg
        if cleaned.get("complete"):
            missing = [a for a in self.answers if not cleaned.get(f"finding_{a.pk}")]
            for answer in missing:
                self.add_error(
                    f"finding_{answer.pk}", "Confirm present or absent before completing."
                )
        return cleaned

    def report(self) -> services.ReviewReport:
        data = self.cleaned_data
        return services.ReviewReport(
            screened_on=data.get("screened_on"),
            systolic=data.get("systolic"),
            diastolic=data.get("diastolic"),
            weight_kg=data.get("weight_kg"),
            pregnancy_status=data.get("pregnancy_status", ""),
            clinician_notes=data.get("clinician_notes", ""),
            findings={
                a.pk: (
                    TO_BOOL[data.get(f"finding_{a.pk}", "")],
                    data.get(f"finding_{a.pk}_note", ""),
                )
                for a in self.answers
            },
            medication_notes={
                m.pk: data.get(f"medication_{m.pk}_note", "") for m in self.medications
            },
        )


# --- Eligibility ------------------------------------------------------------------------------


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a decision."},
    )
    conditions = forms.CharField(
        label="Conditions",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="For 'eligible with conditions': what must hold, e.g. 'hold clonazepam the "
        "evening before each dose'.",
    )
    justification = forms.CharField(
        label="Justification",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Required when the screening raised any relative concern, and for 'not "
        "eligible' without an absolute contraindication.",
    )


# --- The catalogue ----------------------------------------------------------------------------


class CatalogueFormSet(forms.BaseModelFormSet):
    """The clinic's entries plus blank rows for new ones; names must differ (ignoring
    case) within the clinic. No delete: deactivate instead."""

    def __init__(self, *args, clinic, **kwargs):
        self.clinic = clinic
        super().__init__(*args, **kwargs)

    def clean(self):
        super().clean()
        seen = set(
            self.model.objects.filter(clinic_id=self.clinic.pk)
            .exclude(pk__in=[f.instance.pk for f in self.forms if f.instance.pk])
            .values_list(Lower("name"), flat=True)
        )
        for form in self.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue
            name = (form.cleaned_data.get("name") or "").strip().lower()
            if not name:
                continue
            if name in seen:
                form.add_error("name", "Another entry already has this name.")
            seen.add(name)


def contraindication_formset(data=None, *, clinic):
    formset_class = forms.modelformset_factory(
        Contraindication,
        formset=CatalogueFormSet,
        fields=["name", "severity", "description", "source", "is_active", "order"],
        widgets={
            "description": forms.Textarea(attrs={"rows": 2}),
            "source": forms.Textarea(attrs={"rows": 2}),
        },
        extra=1,
        can_delete=False,
    )
    return formset_class(
        data,
        queryset=Contraindication.objects.filter(clinic_id=clinic.pk),
        prefix="contraindications",
        clinic=clinic,
    )


class InteractionForm(forms.ModelForm):
    class Meta:
        model = MedicationInteraction
        fields = ["name", "keywords", "note", "source", "is_active", "order"]
        widgets = {
            "keywords": forms.Textarea(attrs={"rows": 2}),
            "note": forms.Textarea(attrs={"rows": 2}),
            "source": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_keywords(self):
        keywords = rules.parse_keywords(self.cleaned_data["keywords"])
        if not keywords:
            raise forms.ValidationError("Enter at least one name to recognise, e.g. alprazolam.")
        return ", ".join(keywords)


def interaction_formset(data=None, *, clinic):
    formset_class = forms.modelformset_factory(
        MedicationInteraction,
        form=InteractionForm,
        formset=CatalogueFormSet,
        extra=1,
        can_delete=False,
    )
    return formset_class(
        data,
        queryset=MedicationInteraction.objects.filter(clinic_id=clinic.pk),
        prefix="interactions",
        clinic=clinic,
    )
