from django import forms

from kapcare.dates import validate_clinic_date
from kapcare.episodes.models import CareModel
from kapcare.outcomes.figures import Period


class OutcomeFilterForm(forms.Form):
    """The dashboard's filter: a period of first doses and, optionally, one model. The
    fields are named `from` and `to`, as in the API."""

    model = forms.ChoiceField(
        label="Model of care", choices=[("", "All models"), *CareModel.choices], required=False
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            self.add_error("to", "The end of the period is before its start.")
        return cleaned

    def period(self) -> Period:
        return Period(start=self.cleaned_data.get("from"), end=self.cleaned_data.get("to"))

    def query(self) -> str:
        """The filter as a query string, for the CSV links."""
        return self.data.urlencode() if hasattr(self.data, "urlencode") else ""


def _date_field(label: str, help_text: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        help_text=help_text,
        validators=[validate_clinic_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )


# `from` is a Python keyword: the fields are added by name, before the model.
OutcomeFilterForm.base_fields = {
    "from": _date_field("First dose from", "Episodes whose first dose was on or after this day."),
    "to": _date_field("First dose until", "Episodes whose first dose was on or before this day."),
    **OutcomeFilterForm.base_fields,
}
