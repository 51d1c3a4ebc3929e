from decimal import Decimal

from django import forms
from django.utils import timezone

from kapcare.patients import rules
from kapcare.patients.models import Patient
from kapcare.patients.services import PATIENT_FIELDS
from kapcare.text import TextFormMixin


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class PatientForm(TextFormMixin, forms.ModelForm):
    """Demographics, contact and emergency contact. Used by the web pages and the API."""

    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        widgets = {
            "birth_date": DateInput(attrs={"autocomplete": "bday"}),
            "given_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "family_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "emergency_contact_phone": forms.TextInput(attrs={"type": "tel"}),
            "address_line": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
        }
        help_texts = {
            "pronouns": "As the patient says them, e.g. she/her, they/them.",
            "gender_identity": "In the patient's own words; leave empty if not shared.",
        }
        error_messages = {
            "birth_date": {"invalid": "Enter the date of birth as a date, e.g. 1984-03-21."},
            "email": {"invalid": "Enter an email address like name@example.com."},
        }

    def clean_birth_date(self):
        birth_date = self.cleaned_data["birth_date"]
        problem = rules.birth_date_problem(birth_date, timezone.localdate())
        if problem:
            raise forms.ValidationError(problem)
        return birth_date

    def clean(self):
        cleaned = super().clean()
        for name in ("given_name", "family_name", "preferred_name", "pronouns", "gender_identity"):
            if isinstance(cleaned.get(name), str):
                cleaned[name] = cleaned[name].strip()
        return cleaned


class PatientSearchForm(forms.Form):
    query = forms.CharField(
        label="Find a patient",
        max_length=100,
        required=False,
        help_text="Part of a name, an email, a phone number, a date of birth (YYYY-MM-DD) or "
        "a record number (KC-004217).",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class BodyMeasurementForm(forms.Form):
    """Weight and/or height on a date, typed in the unit at hand and stored in kg and cm."""

    measured_on = forms.DateField(label="Date measured", widget=DateInput())
    weight = forms.DecimalField(
        label="Weight", required=False, min_value=Decimal("0.1"), max_digits=6, decimal_places=1
    )
    weight_unit = forms.ChoiceField(
        label="Weight unit", choices=[("kg", "kg"), ("lb", "lb")], initial="kg"
    )
    height = forms.DecimalField(
        label="Height", required=False, min_value=Decimal("0.1"), max_digits=6, decimal_places=1
    )
    height_unit = forms.ChoiceField(
        label="Height unit", choices=[("cm", "cm"), ("in", "inches")], initial="cm"
    )

    def clean_measured_on(self):
        measured_on = self.cleaned_data["measured_on"]
        if measured_on > timezone.localdate():
            raise forms.ValidationError("The date measured cannot be in the future.")
        return measured_on

    def clean(self):
        cleaned = super().clean()
        weight, height = cleaned.get("weight"), cleaned.get("height")
        if (
            weight is None
            and height is None
            and not self.has_error("weight")
            and not self.has_error("height")
        ):
            raise forms.ValidationError("Enter a weight, a height, or both.")
        cleaned["weight_kg"] = None
        cleaned["height_cm"] = None
        if weight is not None:
            kg = rules.to_kilograms(weight, cleaned.get("weight_unit", "kg"))
            problem = rules.weight_problem(kg)
            if problem:
                self.add_error("weight", problem)
            cleaned["weight_kg"] = kg
        if height is not None:
            cm = rules.to_centimetres(height, cleaned.get("height_unit", "cm"))
            problem = rules.height_problem(cm)
            if problem:
                self.add_error("height", problem)
            cleaned["height_cm"] = cm
        return cleaned
