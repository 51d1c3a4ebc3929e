from django import forms

from kapcare.accounts.models import Role, User

STAFF_ROLE_CHOICES = [
    (r.value, r.label) for r in (Role.COORDINATOR, Role.CLINICIAN, Role.NURSE, Role.ADMIN)
]


class StaffInvitationForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label="Role", choices=STAFF_ROLE_CHOICES)
    credentials = forms.CharField(
        label="Credentials",
        max_length=60,
        required=False,
        help_text="Shown after the name, e.g. CRNA, MD, NP.",
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists.")
        return email
