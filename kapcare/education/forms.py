"""The form for an education page's next version; a failing form keeps what was typed and
says what is missing at the field."""

from django import forms

from kapcare.text import TextFormMixin


class VersionForm(TextFormMixin, forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=200,
        error_messages={"required": "The page needs its title."},
    )
    summary = forms.CharField(
        label="One-sentence summary",
        max_length=300,
        help_text="Shown under the title in the portal's list.",
        error_messages={"required": "Say in one sentence what the page explains."},
    )
    body_markdown = forms.CharField(
        label="Text (Markdown)",
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        strip=False,
        max_length=50_000,
        help_text="Headings start with ##, lists with -, **bold** and *italics*.",
        error_messages={"required": "The page needs its text."},
    )
    change_summary = forms.CharField(
        label="What changed",
        max_length=300,
        help_text="One sentence for the version history, e.g. “Clearer fasting times”.",
        error_messages={"required": "Say in a sentence what changed in this version."},
    )
