from django import forms

from kapcare.audit.models import AccessAction


class AccessLogSearchForm(forms.Form):
    """Sent by POST: a patient's name typed here must not end up in a URL."""

    patient_name = forms.CharField(label="Patient name contains", required=False, max_length=100)
    actor = forms.CharField(label="Who (name or email contains)", required=False, max_length=100)
    action = forms.ChoiceField(
        label="What", required=False, choices=[("", "Any action"), *AccessAction.choices]
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "“To” must be on or after “From”.")
        return cleaned
