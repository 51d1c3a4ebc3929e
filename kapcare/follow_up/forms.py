from django import forms


class FollowUpChoiceForm(forms.Form):
    receive = forms.TypedChoiceField(
        label="Follow-up questionnaires",
        choices=[
            ("yes", "Send them: a PHQ-9 and a GAD-7 by email at each follow-up point"),
            ("no", "Do not send them"),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
