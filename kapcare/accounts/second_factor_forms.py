"""Forms of two-factor sign-in, and the step-up field any irreversible action adds to its
form. They parse what was typed; the checks are in `second_factor` and `step_up`."""

from django import forms
from django.core.exceptions import ValidationError

from kapcare.accounts import step_up
from kapcare.refusals import Refused


class CodeForm(forms.Form):
    """The six-digit code of the authenticator app (enrolment, sign-in)."""

    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
        error_messages={"required": "Type the six-digit code your authenticator app shows."},
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


class SignInCodeForm(CodeForm):
    """After the password: the authenticator's code, or one of the recovery codes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = "Code from your authenticator app, or a recovery code"
        field.widget.attrs["inputmode"] = "text"
        field.help_text = (
            "Six digits from the app. Without your phone, type one of the recovery codes "
            "you saved when you set up the app; each works once."
        )


class StepUpMixin:
    """Adds the re-authentication to a form: the password, and for someone with an
    authenticator app its current code, both checked together once the rest of the form is
    right. The cleaned value of `step_up.FIELD` is a `step_up.Reauthentication` to hand to
    the service. The form takes `user=`. Templates show the fields with
    `accounts/_step_up_field.html` (password first, then the code)."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        password = forms.CharField(
            label="Your password",
            max_length=4096,
            strip=False,
            help_text="You confirm that it is you who does this.",
            widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        )
        password.error_messages["required"] = "Re-enter your password to confirm that it is you."
        if step_up.has_authenticator(user):
            code = forms.CharField(
                label="Your current authenticator code",
                max_length=64,
                help_text="The six-digit code your authenticator app shows now.",
                widget=forms.TextInput(
                    attrs={
                        "autocomplete": "one-time-code",
                        "inputmode": "numeric",
                        "spellcheck": "false",
                    }
                ),
            )
            code.error_messages["required"] = (
                "Type the six-digit code your authenticator app shows now."
            )
            self.fields[step_up.CODE_FIELD] = code
        # The password last: it is cleaned after everything else (see below).
        self.fields[step_up.FIELD] = password

    @property
    def asks_for_code(self) -> bool:
        return step_up.CODE_FIELD in self.fields

    def move_step_up_last(self) -> None:
        """After a subclass added fields of its own: the re-authentication after them."""
        for name in (step_up.CODE_FIELD, step_up.FIELD):
            if name in self.fields:
                self.fields[name] = self.fields.pop(name)

    def clean_reauthentication_code(self) -> str:
        return "".join(self.cleaned_data[step_up.CODE_FIELD].split())

    def clean_reauthentication(self) -> step_up.Reauthentication | None:
        # Last field: when another one is wrong nothing will be done, so the code is not
        # used up (it is accepted once) and no failure is counted.
        if self._errors:
            raise ValidationError("Type it again once the rest is right: nothing was done.")
        try:
            return step_up.reauthenticate(
                self.user,
                self.cleaned_data[step_up.FIELD],
                self.cleaned_data.get(step_up.CODE_FIELD, ""),
            )
        except Refused as refusal:
            if step_up.FIELD in refusal.problems:
                raise ValidationError(refusal.problems[step_up.FIELD]) from None
            for name, message in refusal.problems.items():
                self.add_error(name if name in self.fields else None, message)
            return None


class StepUpForm(StepUpMixin, forms.Form):
    """Only the re-authentication: for an action with nothing else to fill in."""
