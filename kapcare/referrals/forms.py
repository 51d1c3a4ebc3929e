"""The coordinator's decision about an ambiguous referral: which patient it is about, or a
new one; signed by re-entering their code (or password) in the same form."""

from django import forms

from kapcare.accounts.second_factor_forms import StepUpMixin

NEW_PATIENT = "new"


class ResolveForm(StepUpMixin, forms.Form):
    patient = forms.ChoiceField(
        label="Who is this referral about?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the patient this referral is about, or register a new one.",
            "invalid_choice": "Choose one of the patients listed, or register a new one.",
        },
    )

    def __init__(self, *args, candidates, **kwargs):
        kwargs.setdefault("auto_id", "resolve_%s")
        super().__init__(*args, **kwargs)
        self.fields["patient"].choices = [
            *(
                (
                    str(patient.external_id),
                    f"{patient.full_name}, born {patient.birth_date:%b %-d, %Y} "
                    f"(registered {patient.created_at:%b %-d, %Y})",
                )
                for patient in candidates
            ),
            (NEW_PATIENT, "Someone else: register a new patient from the referral"),
        ]
        # The re-authentication last: it is checked only when the choice is valid.
        self.order_fields(["patient"])
