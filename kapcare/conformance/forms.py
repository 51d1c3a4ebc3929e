from django import forms

from kapcare.conformance.report import ELEMENT_TITLES

_DATE = forms.DateInput(attrs={"type": "date"})


class PeriodForm(forms.Form):
    """The clinic page's period (episodes whose first dose falls in it) and, optionally,
    the element whose failing episodes are listed; from the address."""

    start = forms.DateField(label="First dose from", required=False, widget=_DATE)
    end = forms.DateField(label="to", required=False, widget=_DATE)
    element = forms.ChoiceField(
        choices=[("", "—"), *ELEMENT_TITLES.items()], required=False, widget=forms.HiddenInput
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The period ends after it starts.")
        return cleaned
