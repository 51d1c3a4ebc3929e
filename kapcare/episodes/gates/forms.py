"""Forms of a dosing session's gates page: the day-of checklist and a waiver. They parse
what was typed; the rules (plausible blood pressure, which rule may be waived) are the
services'."""

from django import forms

from kapcare.accounts.second_factor_forms import StepUpMixin
from kapcare.episodes.models import DayOfChecklist, PregnancyTest
from kapcare.episodes.services import ChecklistInput

_checklist = DayOfChecklist._meta


def _label(name: str) -> str:
    return str(_checklist.get_field(name).verbose_name).capitalize()


def _help(name: str) -> str:
    return str(_checklist.get_field(name).help_text)


class DayOfChecklistForm(forms.Form):
    fasting_confirmed = forms.BooleanField(
        label=_label("fasting_confirmed"), help_text=_help("fasting_confirmed"), required=False
    )
    escort_confirmed = forms.BooleanField(
        label=_label("escort_confirmed"), help_text=_help("escort_confirmed"), required=False
    )
    pregnancy_test = forms.ChoiceField(
        label="Pregnancy test",
        choices=PregnancyTest.choices,
        initial=PregnancyTest.NOT_DONE,
        help_text="“Does not apply” is the clinician's judgement (for example after menopause).",
    )
    medication_changes_reviewed = forms.BooleanField(
        label=_label("medication_changes_reviewed"), required=False
    )
    medication_changes = forms.CharField(
        label=_label("medication_changes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="New, stopped or changed medicines since the last visit, if any.",
    )
    blood_pressure_systolic = forms.IntegerField(
        label="Pre-dose systolic (mmHg)",
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"invalid": "Enter the systolic value as a whole number."},
    )
    blood_pressure_diastolic = forms.IntegerField(
        label="Pre-dose diastolic (mmHg)",
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"invalid": "Enter the diastolic value as a whole number."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "checklist_%s")
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_from(cls, checklist: DayOfChecklist | None) -> dict:
        if checklist is None:
            return {}
        return {name: getattr(checklist, name) for name in cls.base_fields}

    def to_input(self) -> ChecklistInput:
        return ChecklistInput(**self.cleaned_data)


class WaiverForm(StepUpMixin, forms.Form):
    """One failing rule's waiver; `rule` is fixed by the page, one form per rule. The
    clinician re-enters their code (`user=` says which: the app's or the password)."""

    rule = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why the dose may go ahead",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded with your name and kept on the episode.",
        error_messages={"required": "Write why the dose may go ahead although this rule fails."},
    )

    def __init__(self, *args, rule: str, **kwargs):
        kwargs.setdefault("auto_id", f"waive_{rule}_%s")
        kwargs.setdefault("initial", {"rule": rule})
        super().__init__(*args, **kwargs)
