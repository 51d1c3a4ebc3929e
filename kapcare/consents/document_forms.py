"""Forms for the consent document pages: a new version of a document, a signature, a
withdrawal. Each check gives its message at the field it concerns, and a form that fails
keeps everything typed into it."""

from django import forms

from kapcare.accounts.second_factor_forms import StepUpMixin
from kapcare.consents import rules


class VersionForm(StepUpMixin, forms.Form):
    """The admin's next version of a document, with their code re-entered (`user=`)."""

    body_markdown = forms.CharField(
        label="Text of the document (Markdown)",
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        strip=False,
        max_length=100_000,
        help_text="Headings start with #, lists with -, **bold** and *italics*. Placeholders "
        "in double braces are filled in for each patient (see the list below).",
        error_messages={"required": "The document needs its text."},
    )
    change_summary = forms.CharField(
        label="What changed",
        max_length=300,
        help_text="One sentence for the version history, e.g. “Updated the cost estimate”.",
        error_messages={"required": "Say in a sentence what changed in this version."},
    )
    requires_reconsent = forms.BooleanField(
        label="Patients who signed an earlier version must sign this one again",
        required=False,
        help_text="Leave it ticked for any change to what a patient agrees to. Untick it only "
        "for corrections that change nothing of substance (a typo, the clinic's phone).",
    )


class SignForm(forms.Form):
    """A typed signature and an explicit agreement to the text shown. The SHA-256 of that
    text travels with the form, so that a signature is never recorded against words the
    signer did not see."""

    typed_name = forms.CharField(
        label="Type your full name to sign",
        max_length=200,
        error_messages={"required": "Type your full name to sign."},
    )
    agreed = forms.BooleanField(
        label="I have read this consent and agree",
        error_messages={"required": "Tick the box to say you have read and agree."},
    )
    text_sha256 = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, patient, on_tablet: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields[
            "typed_name"
        ].help_text = (
            f"As it is on your record: {patient.full_name}. Typing your name is your signature."
        )
        # On a clinic tablet the browser belongs to the staff member: never let it offer
        # their name.
        self.fields["typed_name"].widget.attrs["autocomplete"] = "off" if on_tablet else "name"

    def clean_typed_name(self):
        typed = self.cleaned_data["typed_name"]
        problem = rules.typed_name_problem(typed, self.patient.full_name)
        if problem:
            raise forms.ValidationError(problem)
        return typed


class WithdrawalForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args, for_staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if for_staff:
            self.fields["reason"].label = "What the patient said, and how they asked (optional)"
            self.fields["reason"].help_text = "e.g. “Asked by phone to stop treatment.”"
        else:
            self.fields[
                "reason"
            ].help_text = (
                "You do not have to give a reason. If you do, your care team will read it."
            )
