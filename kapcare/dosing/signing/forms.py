"""Forms of the record's signature part, and the patient's account of a session in the
portal. They parse what was typed; the rules (who, when, once) are the
services'."""

from django import forms

from kapcare.accounts.second_factor_forms import StepUpForm
from kapcare.dosing.models import PatientExperience
from kapcare.dosing.summary.rules import DISSOCIATION_MAXIMUM

_experience = PatientExperience._meta


class SignForm(StepUpForm):
    """The signature: nothing to fill in but the re-authentication."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "sign_%s")
        super().__init__(*args, **kwargs)


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Kept with your name and the time; the signed record itself is not changed.",
        error_messages={"required": "Write what the addendum adds or corrects."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "addendum_%s")
        super().__init__(*args, **kwargs)


class ExperienceForm(forms.Form):
    experience = forms.CharField(
        label="How was the session for you?",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="In your own words: what you felt, saw or thought, as much or as little "
        "as you like.",
    )
    dissociation = forms.IntegerField(
        label=str(_experience.get_field("dissociation").verbose_name).capitalize(),
        min_value=0,
        max_value=DISSOCIATION_MAXIMUM,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=f"A whole number: 0 if you felt fully yourself and in the room, "
        f"{DISSOCIATION_MAXIMUM} if you felt completely disconnected from your body or "
        "surroundings.",
        error_messages={
            "required": f"Choose a number from 0 to {DISSOCIATION_MAXIMUM}.",
            "invalid": f"Choose a whole number from 0 to {DISSOCIATION_MAXIMUM}.",
            "min_value": f"Choose a number from 0 to {DISSOCIATION_MAXIMUM}.",
            "max_value": f"Choose a number from 0 to {DISSOCIATION_MAXIMUM}.",
        },
    )
    bring_to_integration = forms.CharField(
        label="What do you want to bring to your integration session?",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Your therapist may see this, in your words, if you share session "
        "summaries with them.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "experience_%s")
        super().__init__(*args, **kwargs)
