"""The therapist's own directory entry, as they confirm it when accepting an invitation and
edit it later, and the password they choose on accepting.

The entry's fields, their messages and the certificate's checks (PDF, PNG or JPEG by
content, at most MAX_UPLOAD_BYTES) are the directory's (`forms.DirectoryEntryForm`): the
therapist keeps the same facts as staff do, in the second person."""

from django import forms

from kapcare.therapists.forms import DirectoryEntryForm
from kapcare.therapists.models import Modality, TherapistProfile

SECOND_PERSON_LABELS = {
    "full_name": "Your name",
    "credentials": "Letters after your name",
    "is_askp3_member": "I am a member of ASKP3",
    "is_accepting_patients": "I am accepting new patients",
    "modalities": "Modalities you practise",
}


class OwnProfileForm(DirectoryEntryForm):
    """The therapist's directory entry as they keep it themselves."""

    FIELDSETS = (
        ("About you", ("full_name", "credentials")),
        ("Contact", DirectoryEntryForm.CONTACT),
        ("Practice", ("modalities", "fee_per_session", "npi", "tin", "is_accepting_patients")),
        ("Licence", DirectoryEntryForm.LICENCE),
        ("KAP training", DirectoryEntryForm.TRAINING),
        ("Membership", ("is_askp3_member",)),
    )

    def __init__(self, *args, profile: TherapistProfile, **kwargs) -> None:
        super().__init__(*args, profile=profile, **kwargs)
        for name, label in SECOND_PERSON_LABELS.items():
            self.fields[name].label = label
        modalities = self.fields["modalities"]
        modalities.help_text = "The approaches you use for preparation and integration."

    def clean_modalities(self) -> list[str]:
        # In the list's order, so that the same choice is never seen as a change.
        chosen = set(self.cleaned_data["modalities"])
        return [value for value in Modality.values if value in chosen]

    def fieldsets(self):
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def entry_data(self) -> dict:
        """What `services.update_profile` applies: the entry and the name on the account."""
        return self.profile_data() | self.user_data()


class AcceptInvitationForm(OwnProfileForm):
    """The entry to confirm and the password to choose."""

    password = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters; not a common password, nor like your name.",
        error_messages={"required": "Choose a password."},
    )
    password_again = forms.CharField(
        label="The same password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Type the password again."},
    )

    FIELDSETS = (
        *OwnProfileForm.FIELDSETS,
        ("Your password", ("password", "password_again")),
    )

    def clean(self):
        cleaned = super().clean()
        password, again = cleaned.get("password"), cleaned.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", "The two passwords differ: type the same one twice.")
        return cleaned
