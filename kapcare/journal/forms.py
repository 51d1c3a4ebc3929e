"""The journal's forms. The dose an entry is about is chosen among the patient's own
dosing sessions (by opaque id), grouped as to come and already had; the service checks
the choice against the kind of entry."""

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from kapcare.journal.models import EntryKind
from kapcare.journal.services import BODY_MAX_LENGTH, DoseChoices


def _label(session, zone) -> str:
    return date_format(timezone.localtime(session.planned_start, zone), "l, F j, Y, g:i A")


class EntryForm(forms.Form):
    kind = forms.ChoiceField(
        label="What kind of entry is this?",
        choices=EntryKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose an intention or a reflection."},
    )
    dosing_session = forms.ChoiceField(
        label="Which dosing session is it about?",
        required=False,
        help_text="Optional. For an intention, one of your upcoming sessions; for a "
        "reflection, one you have had.",
    )
    body = forms.CharField(
        label="Your entry",
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=f"In your own words, up to {BODY_MAX_LENGTH:,} characters.",
        error_messages={
            "required": "Write something: the entry is empty.",
            "max_length": f"An entry holds up to {BODY_MAX_LENGTH:,} characters; this one "
            "has %(show_value)s.",
        },
    )

    def __init__(self, *args, doses: DoseChoices, zone, current=None, **kwargs):
        kwargs.setdefault("auto_id", "journal_%s")
        super().__init__(*args, **kwargs)
        self.doses = doses
        self.current = current
        choices: list = [("", "None in particular")]
        if doses.upcoming:
            choices.append(
                ("Coming up", [(str(s.external_id), _label(s, zone)) for s in doses.upcoming])
            )
        if doses.given:
            choices.append(
                ("Already had", [(str(s.external_id), _label(s, zone)) for s in doses.given])
            )
        if current is not None and doses.find(current.external_id) is None:
            choices.append(
                ("This entry's session", [(str(current.external_id), _label(current, zone))])
            )
        self.fields["dosing_session"].choices = choices
        self.fields["dosing_session"].error_messages["invalid_choice"] = (
            "Choose one of your dosing sessions, or none."
        )

    def clean_dosing_session(self):
        value = self.cleaned_data["dosing_session"]
        if not value:
            return None
        if self.current is not None and str(self.current.external_id) == value:
            return self.current
        return self.doses.find(value)


class ShareForm(forms.Form):
    therapist = forms.ChoiceField(
        label="Share this entry with",
        error_messages={
            "required": "Choose the therapist to share this entry with.",
            "invalid_choice": "Choose one of the therapists you have authorised.",
        },
    )

    def __init__(self, *args, therapists, **kwargs):
        kwargs.setdefault("auto_id", "share_%s")
        super().__init__(*args, **kwargs)
        self.fields["therapist"].choices = [
            (str(t.external_id), t.display_name) for t in therapists
        ]
