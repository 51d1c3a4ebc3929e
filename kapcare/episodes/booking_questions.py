"""Questions that apps above `episodes` ask whenever sessions are booked, without `episodes`
importing them: the money side asks whether the patient is insured and will file a claim,
which the law asks at scheduling (45 CFR 149.610(b); docs/billing-reference.md).

A question gives each booking page a small form of its own (its fields prefixed with the
question's key, shown by its own template) and, for the API, reads the payload's value at
its key. Either way the answer is a write (`Answer`) that the booking service runs inside
the booking's own transaction once every session is booked, so a refused booking keeps no
answer and an answer is never kept without its booking.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

Answer = Callable[[object], None]  # called with the booking's Actor


@dataclass
class Asked:
    """One question on a booking page: its form and the template that shows it (the
    template receives it as `asked`)."""

    key: str
    form: object  # a Django form whose fields are prefixed with `key`
    template: str
    answer_of: Callable[[object], Answer | None]  # the valid form → the write, or None

    def answer(self) -> Answer | None:
        return self.answer_of(self.form)


@dataclass(frozen=True)
class BookingQuestion:
    key: str
    # (episode, posted data or None) → the question's form on a booking page.
    ask: Callable[[object, Mapping | None], Asked]
    # (episode, the payload's value at `key`, None when absent) → the write, or None when
    # nothing changes; raises `Refused` with problems named "<key>.<field>".
    from_api: Callable[[object, dict | None], Answer | None]


_questions: dict[str, BookingQuestion] = {}


def register(question: BookingQuestion) -> None:
    _questions[question.key] = question


def registered() -> list[BookingQuestion]:
    return list(_questions.values())


def ask_all(episode, data: Mapping | None) -> list[Asked]:
    """Every question's form for a booking page of `episode` (bound when `data` is)."""
    return [question.ask(episode, data) for question in _questions.values()]


def all_valid(asked: list[Asked]) -> bool:
    """Validate every question's form (each problem then shows at its field)."""
    valid = [item.form.is_valid() for item in asked]  # every form, not up to the first
    return all(valid)


def answers_of(asked: list[Asked]) -> list[Answer]:
    """The writes of valid forms, for the booking service."""
    return [answer for item in asked if (answer := item.answer()) is not None]


def answers_from_api(episode, values: Mapping[str, dict | None]) -> list[Answer]:
    """The writes the API payload's answers call for; `Refused` with every problem."""
    from kapcare.refusals import Refused

    answers: list[Answer] = []
    problems: dict[str, str] = {}
    for question in _questions.values():
        try:
            answer = question.from_api(episode, values.get(question.key))
        except Refused as refusal:
            problems.update(refusal.problems)
            continue
        if answer is not None:
            answers.append(answer)
    if problems:
        raise Refused(problems)
    return answers
