import hashlib

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template.loader import render_to_string


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account. "
        "Passwords are case-sensitive.",
    }


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=100,
        help_text="What the token is for, e.g. “EHR sync”, so you can tell it apart later.",
    )

    def clean_name(self):
        return self.cleaned_data["name"].strip()


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's password reset form, whose email goes through the outbox: queued here,
    sent by a background task, retried if the mail server is down, never sent inside the
    request (so a slow mail server does not slow the page, nor tell whether the address
    has an account). The link is a credential: wiped from the outbox once sent."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        from kapcare.accounts.models import Role
        from kapcare.notifications.models import NotificationKind
        from kapcare.notifications.services import notify

        user = context["user"]
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        # One row per reset asked for, named by a digest of its token (never the token).
        digest = hashlib.sha256(f"{context['uid']}:{context['token']}".encode()).hexdigest()
        notify(
            key=f"password-reset:{digest[:40]}",
            kind=NotificationKind.PASSWORD_RESET,
            to=to_email,
            subject=subject,
            template=email_template_name,
            context=context,
            # A patient's reset carries their clinic's name and logo.
            clinic=user.clinic if user.role == Role.PATIENT else None,
        )
