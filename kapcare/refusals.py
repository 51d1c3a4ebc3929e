"""How a service refuses a change the rules do not allow, and how a page shows it: one
message per field, at the field, so that nothing the user typed is lost."""

from collections.abc import Callable
from typing import TypeVar

Result = TypeVar("Result")


class Refused(Exception):
    """A change the rules do not allow. `problems` maps a field name ("__all__" for the
    whole form) to a message fit to show the user there."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__(" ".join(problems.values()))


def add_problems(form, problems: dict[str, str]) -> None:
    """Put each of a refusal's problems on `form`: at its field when the form has one,
    at the top of the form otherwise."""
    for name, message in problems.items():
        form.add_error(name if name in form.fields else None, message)


def submit(form, write: Callable[[dict], Result]) -> Result | None:
    """A posted form through its service, as every page does it: validate `form`; when
    valid, `write(form.cleaned_data)` (the service, which may refuse); a refusal's problems
    go on the form (`add_problems`). What `write` returned, or None when the form was
    invalid or refused (the form then carries the messages). `write` returns something
    other than None on success."""
    if not form.is_valid():
        return None
    try:
        return write(form.cleaned_data)
    except Refused as refusal:
        add_problems(form, refusal.problems)
        return None
