"""Forms of the directory pages: search, add an entry, change it, and the patient's filter.
They parse what was typed and put each problem at its field; the changes themselves go
through `services`."""

import uuid
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from kapcare import identifiers
from kapcare.accounts.models import User
from kapcare.dates import validate_clinic_date
from kapcare.therapists import rules
from kapcare.therapists.models import LicenceType, Modality, TherapistProfile
from kapcare.therapists.services import PROFILE_FIELDS

# What a certificate may be, told by its first bytes (not by its name or the browser's
# word): the file signatures of PDF, PNG and JPEG.
CERTIFICATE_SIGNATURES = {
    b"%PDF-": ".pdf",
    b"\x89PNG\r\n\x1a\n": ".png",
    b"\xff\xd8\xff": ".jpg",
}
CONTENT_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}


def certificate_extension(head: bytes) -> str:
    """The extension for a file whose first bytes are `head`, or "" if it is none of the
    accepted kinds."""
    return next((ext for sig, ext in CERTIFICATE_SIGNATURES.items() if head.startswith(sig)), "")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


class CertificateField(forms.FileField):
    """A PDF, PNG or JPEG of at most `settings.MAX_UPLOAD_BYTES`, judged by its content. The
    stored name is a random one with the right extension: the name typed on someone's
    computer is not kept."""

    def clean(self, data, initial=None):
        uploaded = super().clean(data, initial)
        if not uploaded or uploaded is initial:
            return uploaded
        if uploaded.size > settings.MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"The file is {_megabytes(uploaded.size)}; upload one of at most "
                f"{_megabytes(settings.MAX_UPLOAD_BYTES)}.",
                code="too_large",
            )
        uploaded.seek(0)
        extension = certificate_extension(uploaded.read(8))
        uploaded.seek(0)
        if not extension:
            raise ValidationError(
                "Upload the certificate as a PDF, PNG or JPEG file.", code="file_type"
            )
        uploaded.name = f"{uuid.uuid4().hex}{extension}"
        return uploaded


def _too_long(noun: str = "characters") -> str:
    return f"Enter at most %(limit_value)d {noun} (this has %(show_value)d)."


def _text(label: str, max_length: int, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        error_messages={"max_length": _too_long()},
        **kwargs,
    )


def _model_length(model, field: str) -> int:
    """The column's length, so that the form refuses at the field what the database would
    refuse with an error (PostgreSQL enforces it; SQLite does not)."""
    return model._meta.get_field(field).max_length


def _date(label: str, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_clinic_date],
        error_messages={"invalid": "Enter a date, e.g. 2026-03-31."},
    )


def _state(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=2,
        required=False,
        help_text="Two-letter code, e.g. TN.",
        error_messages={"max_length": "Enter the two-letter code, e.g. TN."},
        widget=forms.TextInput(attrs={"size": 3, "autocomplete": "address-level1"}),
    )


def _clean_state(value: str) -> str:
    value = value.strip().upper()
    if value and not rules.is_us_state(value):
        raise ValidationError("Enter a US state's two-letter code, e.g. TN or CA.")
    return value


class DirectoryEntryForm(forms.Form):
    """A therapist's directory entry: who they are, how to reach them, their credentials
    and their practice. The email names the account and is asked only when adding."""

    full_name = forms.CharField(
        label="Name",
        max_length=_model_length(User, "full_name"),
        error_messages={"required": "Enter the therapist's name.", "max_length": _too_long()},
    )
    email = forms.EmailField(
        label="Email",
        max_length=_model_length(User, "email"),
        help_text="Their professional email: the invitation to the portal goes there.",
        error_messages={
            "required": "Enter the therapist's email.",
            "invalid": "Enter an email address, e.g. name@practice.com.",
            "max_length": _too_long(),
        },
    )
    credentials = _text(
        "Letters after the name",
        _model_length(User, "credentials"),
        help_text="For example LMFT or PsyD.",
    )
    practice_name = _text("Practice", _model_length(TherapistProfile, "practice_name"))
    phone = _text("Phone", _model_length(TherapistProfile, "phone"))
    city = _text("City", _model_length(TherapistProfile, "city"))
    state = _state("State")
    website = forms.URLField(
        label="Website",
        required=False,
        assume_scheme="https",
        max_length=_model_length(TherapistProfile, "website"),
        error_messages={
            "invalid": "Enter a web address, e.g. https://practice.com.",
            "max_length": _too_long() + " Enter the practice's home page.",
        },
    )
    licence_type = forms.ChoiceField(
        label="Licence type", choices=[("", "—"), *LicenceType.choices], required=False
    )
    licence_state = _state("Licensing state")
    licence_number = _text("Licence number", _model_length(TherapistProfile, "licence_number"))
    licence_expires_on = _date("Licence expires on", "As printed on the licence.")
    training_programme = _text(
        "KAP training programme",
        _model_length(TherapistProfile, "training_programme"),
        help_text="For example the programme's name and city.",
    )
    training_completed_on = _date("Training completed on")
    training_certificate = CertificateField(
        label="Training certificate",
        required=False,
        help_text="A PDF, PNG or JPEG, at most "
        f"{_megabytes(settings.MAX_UPLOAD_BYTES)}. If the form shows a problem, choose the "
        "file again: a browser does not keep it.",
    )
    is_askp3_member = forms.BooleanField(label="ASKP3 member", required=False)
    modalities = forms.MultipleChoiceField(
        label="Modalities",
        choices=Modality.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The approaches they use for preparation and integration.",
        error_messages={"invalid_choice": "Choose among the modalities listed."},
    )
    fee_per_session = forms.DecimalField(
        label="Fee per session (USD)",
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        error_messages={
            "invalid": "Enter an amount, e.g. 150 or 150.00.",
            "min_value": "Enter zero or more.",
            "max_digits": "Enter an amount below 1,000,000.",
            "max_decimal_places": "Enter at most two digits after the point.",
        },
    )
    is_accepting_patients = forms.BooleanField(
        label="Accepting new patients", required=False, initial=True
    )
    # On Good Faith Estimates, where the therapist is a co-provider (45 CFR 149.610(c)).
    npi = forms.CharField(
        label="NPI",
        required=False,
        max_length=identifiers.NPI_MAX_LENGTH,
        validators=[identifiers.npi_validator],
        help_text="National Provider Identifier, printed on the patient's Good Faith Estimate.",
    )
    tin = forms.CharField(
        label="TIN",
        required=False,
        max_length=identifiers.TIN_MAX_LENGTH,
        validators=[identifiers.tin_validator],
        help_text="Taxpayer Identification Number, printed on Good Faith Estimates.",
    )

    CONTACT = ("practice_name", "phone", "city", "state", "website")
    LICENCE = ("licence_type", "licence_state", "licence_number", "licence_expires_on")
    TRAINING = ("training_programme", "training_completed_on", "training_certificate")
    PRACTICE = ("is_askp3_member", "fee_per_session", "npi", "tin", "is_accepting_patients")

    def __init__(self, *args, profile: TherapistProfile | None = None, **kwargs):
        self.profile = profile
        if profile is not None:
            kwargs.setdefault("initial", initial_of(profile))
        super().__init__(*args, **kwargs)
        if profile is not None:
            # The email names the account the therapist signs in with; it is not changed here.
            del self.fields["email"]
            if profile.training_certificate:
                self.fields["training_certificate"].help_text = (
                    "A certificate is on file; upload another only to replace it. "
                    + self.fields["training_certificate"].help_text
                )

    def clean_state(self) -> str:
        return _clean_state(self.cleaned_data["state"])

    def clean_licence_state(self) -> str:
        return _clean_state(self.cleaned_data["licence_state"])

    def group(self, names) -> list:
        return [self[name] for name in names]

    def contact_fields(self):
        return self.group(self.CONTACT)

    def licence_fields(self):
        return self.group(self.LICENCE)

    def training_fields(self):
        return self.group(self.TRAINING)

    def practice_fields(self):
        return self.group(self.PRACTICE)

    def profile_data(self) -> dict:
        """What `services.create_profile` / `update_profile` take. The certificate only
        when a new file was chosen, so that saving the form keeps the one on file."""
        data = {field: self.cleaned_data[field] for field in PROFILE_FIELDS}
        if not data["training_certificate"]:
            del data["training_certificate"]
        return data

    def user_data(self) -> dict:
        return {
            "full_name": self.cleaned_data["full_name"],
            "credentials": self.cleaned_data["credentials"],
        }


def initial_of(profile: TherapistProfile) -> dict:
    initial = {field: getattr(profile, field) for field in PROFILE_FIELDS}
    initial.pop("training_certificate")
    initial["full_name"] = profile.user.full_name
    initial["credentials"] = profile.user.credentials
    return initial


class DirectorySearchForm(forms.Form):
    """The staff search: any of the criteria, all optional."""

    name = _text("Name, email or practice", 100)
    place = _text("City or state", 100)
    modality = forms.ChoiceField(
        label="Modality", choices=[("", "Any"), *Modality.choices], required=False
    )
    verified_only = forms.BooleanField(label="Verified only", required=False)


class FindATherapistForm(forms.Form):
    modality = forms.ChoiceField(
        label="Modality", choices=[("", "Any"), *Modality.choices], required=False
    )
