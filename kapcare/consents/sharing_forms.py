"""Forms for authorising a therapist (two steps: the details, then reading and signing the
exact text) and for revoking. The checks themselves live in `services` and `rules`; these
forms parse what was typed and put each problem at its field, keeping everything typed."""

from django import forms

from kapcare.consents import rules, services
from kapcare.patients.forms import DateInput
from kapcare.scopes import Scope


class AuthorizationDetailsForm(forms.Form):
    """Step 1: to whom, what, why and until when. Carried through step 2 as hidden fields."""

    therapist_name = forms.CharField(
        label="Therapist's name",
        max_length=200,
        error_messages={"required": "Enter the therapist's name."},
    )
    therapist_email = forms.EmailField(
        label="Therapist's email",
        max_length=254,
        help_text="They get an email saying a patient of the clinic shared information with "
        "them, and a link to sign in. The email does not name the patient.",
        error_messages={
            "required": "Enter the therapist's email address.",
            "invalid": "Enter the therapist's email address, e.g. name@practice.com.",
        },
    )
    scopes = forms.MultipleChoiceField(
        label="What to share",
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Each part is shared only if it is ticked. Nothing else in the record is shared.",
        error_messages={
            "required": "Choose at least one part of the record to share.",
            "invalid_choice": "Choose from the parts listed.",
        },
    )
    expires_on = forms.DateField(
        label="Last day the authorisation is in force",
        widget=DateInput(),
        error_messages={
            "required": "Enter the last day the authorisation is in force.",
            "invalid": "Enter a date, e.g. 2027-03-31.",
        },
    )
    purpose = forms.CharField(
        label="Why it is shared",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the information is shared."},
    )

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        clinic = patient.clinic
        self.today = services.clinic_today(clinic)
        self.months = clinic.sharing_authorization_months
        latest = rules.default_expiry(self.today, self.months)
        self.fields["expires_on"].initial = latest
        self.fields["expires_on"].help_text = (
            f"At most {self.months} months ahead: {latest:%B} {latest.day}, {latest.year} or "
            "earlier. It can be revoked at any time before then."
        )
        self.fields["purpose"].initial = services.DEFAULT_PURPOSE

    def clean_expires_on(self):
        expires_on = self.cleaned_data["expires_on"]
        problem = rules.expiry_problem(expires_on, self.today, self.months)
        if problem:
            raise forms.ValidationError(problem)
        return expires_on

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        for name, problem in services.authorization_problems(
            self.patient, self.authorization_input()
        ).items():
            self.add_error(None if name not in self.fields else name, problem)
        return cleaned

    def authorization_input(self) -> services.AuthorizationInput:
        data = self.cleaned_data
        return services.AuthorizationInput(
            therapist_email=data["therapist_email"],
            therapist_name=data["therapist_name"],
            scopes=[scope for scope in Scope.values if scope in data["scopes"]],
            expires_on=data["expires_on"],
            purpose=data["purpose"],
        )


class SignatureForm(forms.Form):
    """Step 2: the patient types their name and ticks the box under the text they read.

    The name and the box are checked by `services.authorize_sharing` (one place for the
    rule), which puts its message here; the hash is of the text shown on the page."""

    typed_name = forms.CharField(
        label="Type your full name to sign",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    agreed = forms.BooleanField(
        label="I have read this authorisation and I agree to it", required=False
    )
    text_sha256 = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["typed_name"].help_text = f"As it is on the record: {patient.full_name}."

    def clean_text_sha256(self):
        # A hidden field: its problem is the whole form's, said where the reader looks.
        value = self.cleaned_data["text_sha256"].strip().lower()
        if len(value) != 64:
            raise forms.ValidationError(
                "The page was incomplete. Read the authorisation below again and sign it."
            )
        return value

    def clean(self):
        cleaned = super().clean()
        for message in self.errors.pop("text_sha256", []):
            self.add_error(None, message)
        return cleaned


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the authorisation in the record. The therapist is not told.",
    )
