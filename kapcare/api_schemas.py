"""What every API schema shares: the base class of what a client sends, the error body,
and the pages every list answers.

`InputSchema` refuses unknown fields and any text that cannot be stored (NUL, a lone
surrogate; see `kapcare.text`) wherever it is in the payload, at its field, so a schema
need not remember it field by field. Apps import from here, never from `kapcare.api`,
which imports every app's router.
"""

from typing import Any

from django.conf import settings
from ninja import Schema
from pydantic import ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from kapcare.text import bounded_text, problem_in

# A page's cursor (kapcare/api_pages.py) is a signed record number: a few dozen characters.
MAX_CURSOR_LENGTH = 200
# A query-string value is at most this long: the longest thing a filter names is an email
# (254 characters); SQLite refuses a LIKE pattern over 50,000 bytes.
MAX_QUERY_LENGTH = 254


class InputSchema(Schema):
    """Base of every payload: unknown fields refused, every text storable."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def text_is_storable(cls, value: Any) -> Any:
        if problem := problem_in(value):
            raise PydanticCustomError("invalid_text", problem)
        return value


class ErrorOut(Schema):
    """Every error the API answers: `detail` in words; for invalid input, `errors` lists
    the messages of each field (`__all__` for the request as a whole)."""

    detail: str
    errors: dict[str, list[str]] | None = Field(
        None, description="Present on 422 only: the messages of each field."
    )


class PageQuery(Schema):
    """`limit` items after the one the `cursor` names (the first page without one)."""

    limit: int = Field(
        settings.API_PAGE_SIZE,
        ge=1,
        le=settings.API_MAX_PAGE_SIZE,
        description=f"At most {settings.API_MAX_PAGE_SIZE}; more is refused with 422.",
    )
    cursor: bounded_text(MAX_CURSOR_LENGTH) | None = Field(
        None, description="From the previous page's `next`; omit it for the first page."
    )


class Page(Schema):
    """What every list answers: one page of `items`, and where the next one is."""

    next: str | None = Field(
        description="The path of the next page (the same query, with its `cursor`); "
        "null on the last page."
    )
