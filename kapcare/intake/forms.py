from django import forms

from kapcare.intake import rules
from kapcare.intake.models import ConsultationRequest, ContactMethod, RequestStatus

HONEYPOT_FIELD = "website"
HOPES_MAX_LENGTH = 4000
NOTE_MAX_LENGTH = 2000


class ConsultationRequestForm(forms.ModelForm):
    """The public "no-pressure call" form. Written for someone who may be anxious about
    asking: plain words, few required fields, and a message on each field that needs one."""

    # A field people never see (hidden by CSS, skipped by the keyboard) but form-filling
    # robots do: when it comes back filled in, the submission is dropped quietly.
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        help_text="It is here to catch automated spam; people should leave it blank.",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    hopes = forms.CharField(
        label="What are you hoping for?",
        required=False,
        max_length=HOPES_MAX_LENGTH,
        help_text=(
            "A sentence or two is plenty, and you may leave it empty. Share only what you "
            "are comfortable writing; there is time to talk on the call."
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    class Meta:
        model = ConsultationRequest
        fields = [
            "given_name",
            "family_name",
            "email",
            "phone",
            "preferred_contact",
            "preferred_time",
            "hopes",
            "consent_to_contact",
        ]
        labels = {
            "given_name": "First name",
            "family_name": "Last name",
            "email": "Email",
            "phone": "Phone",
            "preferred_contact": "How should we reach you?",
            "preferred_time": "Best time to reach you",
        }
        help_texts = {
            "phone": "With the area code. Give an email, a phone number, or both.",
            "preferred_time": "For example: weekday mornings, after 5pm, any time.",
        }
        widgets = {
            "given_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "family_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        }
        error_messages = {
            "given_name": {"required": "Please tell us your first name."},
            "family_name": {"required": "Please tell us your last name."},
            "email": {"invalid": "Enter an email address like name@example.com."},
            "preferred_contact": {
                "required": "Please choose how we should reach you.",
                "invalid_choice": "Please choose phone call, text message or email.",
            },
        }

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        consent = self.fields["consent_to_contact"]
        consent.required = True
        consent.label = (
            f"I agree that {clinic.name} may contact me about this request, by the way I "
            "chose above."
        )
        consent.error_messages["required"] = (
            "Please tick this box so that we may get in touch; without it we cannot call you back."
        )

    @property
    def is_spam(self) -> bool:
        """The honeypot was filled in: a robot, not a person."""
        return bool(self.data.get(self.add_prefix(HONEYPOT_FIELD), "").strip())

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        if phone:
            problem = rules.phone_problem(phone)
            if problem:
                raise forms.ValidationError(problem)
        return phone

    def clean(self):
        cleaned = super().clean()
        email, phone = cleaned.get("email"), cleaned.get("phone")
        method = cleaned.get("preferred_contact")
        if self.has_error("email") or self.has_error("phone"):
            return cleaned
        if not email and not phone:
            message = (
                "Please give an email address or a phone number (or both) so we can reach you."
            )
            self.add_error("email", message)
            self.add_error("phone", message)
        elif method == ContactMethod.EMAIL and not email:
            self.add_error("email", "You asked us to email you: please give your email address.")
        elif method in (ContactMethod.PHONE, ContactMethod.TEXT) and not phone:
            how = "call" if method == ContactMethod.PHONE else "text"
            self.add_error("phone", f"You asked us to {how} you: please give your phone number.")
        return cleaned

    def request_data(self) -> dict:
        """What the person wrote, ready for `services.receive_request`."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class StatusChangeForm(forms.Form):
    """Move a request by hand; offers only the moves the rules allow from where it is."""

    to_status = forms.ChoiceField(label="Move to")
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text="Optional, e.g. “Left a voicemail” or “Call booked for Tuesday 10am”.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [
            (status, RequestStatus(status).label) for status in rules.manual_targets(current)
        ]
        self.fields["to_status"].error_messages["invalid_choice"] = (
            "That move is not possible from where the request is now; pick one of the choices."
        )

    @property
    def has_choices(self) -> bool:
        return bool(self.fields["to_status"].choices)
