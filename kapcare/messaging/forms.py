"""Forms of the message pages: a reply, a new thread (subject and first message), and the
clinic's new thread, which also asks whom to write to. They parse what was typed; who may
write where is decided by `services`, whose refusals land at these fields."""

import uuid

from django import forms

from kapcare.accounts.models import Role, User
from kapcare.messaging import services
from kapcare.messaging.models import ThreadKind

PATIENT_CHOICE = "patient"
THERAPIST_PREFIX = "therapist:"


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        max_length=services.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"Up to {services.MAX_BODY} characters. Messages are kept in the record "
        "and cannot be changed or deleted once sent.",
        error_messages={
            "required": "Write a message.",
            "max_length": f"Keep a message to {services.MAX_BODY} characters; send the rest "
            "in a second message.",
        },
    )


class ThreadForm(forms.Form):
    subject = forms.CharField(
        label="Subject",
        max_length=services.MAX_SUBJECT,
        help_text="A few words; it appears in the list of messages (not in any email).",
        error_messages={
            "required": "Give the thread a subject.",
            "max_length": f"Keep the subject to {services.MAX_SUBJECT} characters.",
        },
    )
    body = MessageForm.base_fields["body"]


class ClinicThreadForm(ThreadForm):
    """The clinic writes to the patient, or to a therapist who holds a live authorisation
    from the patient (listed by name)."""

    recipient = forms.CharField(
        label="Write to",
        error_messages={"required": "Choose whom to write to."},
    )

    field_order = ["recipient", "subject", "body"]

    def __init__(self, *args, patient, therapists, **kwargs):
        super().__init__(*args, **kwargs)
        has_account = patient.user_id is not None
        patient_label = f"{patient.display_name} (the patient)" + (
            "" if has_account else " — no portal account yet: they will read it once invited"
        )
        choices = [(PATIENT_CHOICE, patient_label)] + [
            (f"{THERAPIST_PREFIX}{t.external_id}", f"{t.display_name} (therapist)")
            for t in therapists
        ]
        self.fields["recipient"].widget = forms.RadioSelect(choices=choices)
        self.fields["recipient"].help_text = (
            "Only therapists the patient has authorised, and whose authorisation is live, "
            "are listed."
        )

    def clean_recipient(self) -> tuple[str, User | None]:
        value = self.cleaned_data["recipient"]
        if value == PATIENT_CHOICE:
            return ThreadKind.PATIENT, None
        if value.startswith(THERAPIST_PREFIX):
            try:
                external_id = uuid.UUID(value.removeprefix(THERAPIST_PREFIX))
            except ValueError:
                external_id = None
            therapist = (
                User.objects.filter(external_id=external_id, role=Role.THERAPIST).first()
                if external_id
                else None
            )
            if therapist is not None:
                return ThreadKind.THERAPIST, therapist
        raise forms.ValidationError("Choose the patient or one of the therapists listed.")
