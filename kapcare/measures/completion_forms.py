"""Forms for completing a questionnaire and sending a link to one.

`AnswersForm` has one radio group per item, named `item_<number>`. It is the same form
whether the patient sees all items on one page or one per screen: every step posts every
answer, so a step can never drop an answer given on another screen.
"""

import re
from dataclasses import dataclass, field

from django import forms

from kapcare.measures.instruments import INSTRUMENTS, YES_NO, Instrument, Item
from kapcare.measures.scoring import AnswerError, IncompleteError

YES, NO = "yes", "no"

# The C-SSRS screener's instructions are written for an interviewer ("Ask questions 1 and
# 2 …"); a patient answering alone reads the same guidance in their own terms, while the
# form itself does the skipping.
SELF_REPORT_INSTRUCTIONS = {
    "cssrs_screen": (
        "Questions 1 to 5 are about the past month. Some questions are asked only after a "
        "yes to the question before them."
    ),
}


def field_name(item: Item) -> str:
    return f"item_{item.number}"


def option_token(value: int | bool | None) -> str:
    """How an answer travels in the form: "yes"/"no" for the C-SSRS, digits otherwise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    return str(value)


def parse_token(instrument: Instrument, token: str) -> int | bool | None:
    if token == "":
        return None
    if instrument.kind == YES_NO:
        return token == YES
    return int(token)


def is_applicable(instrument: Instrument, item: Item, answers: list) -> bool:
    """Whether the item is asked, given the answers so far (C-SSRS skip logic: 3-5 only
    after a yes to 2, 6b only after a yes to 6)."""
    opened_by = item.only_if_yes_to
    return opened_by is None or answers[opened_by - 1] is True


def apply_skip_logic(instrument: Instrument, answers: list) -> list:
    """The answers with those to questions that are not asked left out."""
    kept = list(answers)
    for index, item in enumerate(instrument.items):
        if not is_applicable(instrument, item, kept):
            kept[index] = None
    return kept


def applicable_numbers(instrument: Instrument, answers: list) -> list[int]:
    return [item.number for item in instrument.items if is_applicable(instrument, item, answers)]


def next_item(instrument: Instrument, answers: list, after: int | None) -> int | None:
    """The next question to ask after `after` (None: the first), or None when done."""
    return next(
        (n for n in applicable_numbers(instrument, answers) if after is None or n > after), None
    )


def previous_item(instrument: Instrument, answers: list, before: int | None) -> int | None:
    """The question before `before` (None: the last one), or None at the start."""
    earlier = [n for n in applicable_numbers(instrument, answers) if before is None or n < before]
    return earlier[-1] if earlier else None


def resume_item(instrument: Instrument, answers: list) -> int | None:
    """Where a returning patient picks up: the first question asked and not yet answered."""
    return next(
        (n for n in applicable_numbers(instrument, answers) if answers[n - 1] is None), None
    )


@dataclass
class OptionRow:
    token: str
    label: str
    id: str
    checked: bool


@dataclass
class ItemRow:
    item: Item
    name: str
    position: int
    options: list[OptionRow]
    errors: list[str] = field(default_factory=list)
    opened_by: Item | None = None
    is_applicable: bool = True

    @property
    def number(self) -> int:
        return self.item.number


class AnswersForm(forms.Form):
    """Every item of one instrument; `saved` are the answers kept so far (unbound form)."""

    def __init__(self, instrument: Instrument, data=None, *, saved: list | None = None):
        super().__init__(data)
        self.instrument = instrument
        self.saved = list(saved) if saved else [None] * instrument.item_count
        choices = [(option_token(option.value), option.label) for option in instrument.options]
        for item in instrument.items:
            self.fields[field_name(item)] = forms.ChoiceField(
                label=item.text,
                choices=choices,
                required=False,
                error_messages={
                    "invalid_choice": (
                        f"Question {item.label}: choose one of the answers shown; "
                        "“%(value)s” is not one of them."
                    )
                },
            )

    def answers(self) -> list:
        """The valid answers, one per item (None where unanswered or not asked)."""
        raw = [
            parse_token(self.instrument, self.cleaned_data.get(field_name(item)) or "")
            for item in self.instrument.items
        ]
        return apply_skip_logic(self.instrument, raw)

    def chosen(self) -> list:
        """What each radio group shows as chosen: what was posted, so that nothing chosen
        is lost on a page with errors, or what was saved before."""
        if not self.is_bound:
            return list(self.saved)
        tokens = {option_token(option.value) for option in self.instrument.options}
        chosen = []
        for item in self.instrument.items:
            token = self.data.get(field_name(item), "")
            chosen.append(parse_token(self.instrument, token) if token in tokens else None)
        return chosen

    def add_answer_error(self, error: AnswerError) -> None:
        """Show a scoring error at the top of the form and at each item it names."""
        self.add_error(None, str(error))
        by_label = {item.label: item for item in self.instrument.items}
        if isinstance(error, IncompleteError):
            named = [self.instrument.items[number - 1] for number in error.missing_items]
            message = "This question needs an answer."
        else:
            labels = re.findall(r"\b[Ii]tems? ([0-9]+[a-z]?)", str(error))
            named = [by_label[label] for label in labels if label in by_label]
            message = str(error)
        for item in named:
            self.add_error(field_name(item), message)

    def error_numbers(self) -> list[int]:
        return [item.number for item in self.instrument.items if field_name(item) in self.errors]

    def rows(self) -> list[ItemRow]:
        chosen = self.chosen()
        by_number = {item.number: item for item in self.instrument.items}
        rows = []
        for position, item in enumerate(self.instrument.items, start=1):
            name = field_name(item)
            current = option_token(chosen[item.number - 1])
            options = [
                OptionRow(
                    token=option_token(option.value),
                    label=option.label,
                    id=f"{name}_{option_token(option.value)}",
                    checked=current == option_token(option.value),
                )
                for option in self.instrument.options
            ]
            rows.append(
                ItemRow(
                    item=item,
                    name=name,
                    position=position,
                    options=options,
                    errors=list(self.errors.get(name, [])) if self.is_bound else [],
                    opened_by=by_number.get(item.only_if_yes_to) if item.only_if_yes_to else None,
                    is_applicable=is_applicable(self.instrument, item, chosen),
                )
            )
        return rows


class SendLinkForm(forms.Form):
    instrument = forms.ChoiceField(
        label="Questionnaire",
        choices=[(instrument.id, instrument.name) for instrument in INSTRUMENTS.values()],
        widget=forms.RadioSelect,
        help_text="The email names only the clinic, not the questionnaire.",
        error_messages={"required": "Choose the questionnaire to send."},
    )
