"""The form of the record's "Summary for the therapist" part. It parses what was typed;
the rules (who, when, once) are the services'."""

from django import forms


class SummaryForm(forms.Form):
    text = forms.CharField(
        label="Summary for the therapist",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Drafted from the record; edit it as you see fit. "
        "Once released it can no longer be changed.",
        error_messages={"required": "Write the summary (the draft is a starting point)."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "summary_%s")
        super().__init__(*args, **kwargs)
