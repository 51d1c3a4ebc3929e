"""The text kapcare accepts, one rule for the forms and the API alike.

Two characters can be typed into JSON but never stored: NUL, which PostgreSQL refuses in a
text column (a 500 instead of a message), and a lone UTF-16 surrogate (`"\\ud800"`), which
no database encoding can write. A form field refuses both through `validate_text`
(`TextFormMixin` adds it to every text field); an API schema through `Text`, `model_text`
and `form_text`, which also take the maximum length from the model field the text is
stored in or from the page's form field, so the form and the API refuse the same
over-long value with the same message.
"""

import re
from typing import Annotated, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

NUL_MESSAGE = "Null characters are not allowed."  # Django's own wording, as its forms say it
SURROGATE_MESSAGE = "Remove the character that is not valid Unicode (a lone surrogate)."
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored, or None when it can."""
    if "\x00" in value:
        return NUL_MESSAGE
    if _SURROGATE.search(value):
        return SURROGATE_MESSAGE
    return None


def problem_in(value: Any) -> str | None:
    """The first problem of any text inside `value` (a string, or lists and dicts of them,
    keys included): JSON may nest text anywhere."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            if problem := problem_in(item):
                return problem
    return None


def validate_text(value: Any) -> None:
    """A Django validator: no NUL, no lone surrogate."""
    if problem := problem_in(value):
        raise ValidationError(problem, code="invalid_text")


class TextFormMixin:
    """Adds `validate_text` to every text field of the form, for forms whose data may come
    from JSON (the API passes its payload to the same form as the page)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and validate_text not in field.validators:
                field.validators.append(validate_text)


def _checked(value: str) -> str:
    if problem := text_problem(value):
        raise PydanticCustomError("invalid_text", problem)
    return value


# Any text an API client sends; the schemas' base class checks nested text the same way.
Text = Annotated[str, AfterValidator(_checked)]


def max_length_of(model: type[models.Model], field_name: str) -> int | None:
    """The length the database column holds (None for a TextField)."""
    return model._meta.get_field(field_name).max_length


def bounded_text(max_length: int | None):
    """`Text` of at most `max_length` characters (any length for None)."""
    if not max_length:
        return Text
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_checked)]


def model_text(model: type[models.Model], field_name: str):
    """`Text` no longer than the model field it is stored in."""
    return bounded_text(max_length_of(model, field_name))


def form_text(form: type[forms.BaseForm], field_name: str):
    """`Text` no longer than the page's form takes in the same field: for a TextField,
    whose length only the form bounds, or a code the service normalises before storing."""
    return bounded_text(form.base_fields[field_name].max_length)
