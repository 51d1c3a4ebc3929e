from django import forms
from django.utils import timezone

from kapcare.measures import scoring
from kapcare.measures.instruments import LICENSED_SCALES
from kapcare.patients.forms import DateInput

RANGES = "; ".join(
    f"{scale.short_name} {scale.minimum}–{scale.maximum}" for scale in LICENSED_SCALES.values()
)


class LicensedScaleForm(forms.Form):
    """The total of a copyrighted scale, checked against that scale's published range."""

    scale = forms.ChoiceField(
        label="Scale",
        choices=[
            (scale.id, f"{scale.short_name} — {scale.name} ({scale.minimum}–{scale.maximum})")
            for scale in LICENSED_SCALES.values()
        ],
    )
    total = forms.IntegerField(
        label="Total score",
        help_text=f"The total only; the items are not recorded. Ranges: {RANGES}.",
        error_messages={
            "required": "Enter the scale's total score.",
            "invalid": "Enter the total as a whole number, e.g. 21.",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "step": 1}),
    )
    administered_on = forms.DateField(
        label="Date administered",
        widget=DateInput(),
        error_messages={"invalid": "Enter the date as a date, e.g. 2026-03-21."},
    )

    def clean_administered_on(self):
        administered_on = self.cleaned_data["administered_on"]
        if administered_on > timezone.localdate():
            raise forms.ValidationError("The date administered cannot be in the future.")
        return administered_on

    def clean(self):
        cleaned = super().clean()
        scale, total = cleaned.get("scale"), cleaned.get("total")
        if scale and total is not None:
            try:
                scoring.validate_licensed_total(scale, total)
            except scoring.AnswerError as error:
                self.add_error("total", str(error))
        return cleaned
