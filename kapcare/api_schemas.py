"""What every API schema shares: the base class of what a client sends, the error body,
and the bounds of paging.

`InputSchema` refuses unknown fields and any text that cannot be stored (NUL, a lone
surrogate; see `kapcare.text`) wherever it is in the payload, at its field, so a schema
need not remember it field by field. Apps import from here, never from `kapcare.api`,
which imports every app's router.
"""

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from kapcare.text import problem_in

# A page starts at most this far in: beyond any clinic's records, and far below the 64-bit
# integer an SQL OFFSET holds (2**63 and more overflowed into a 500).
MAX_OFFSET = 2**31 - 1
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
    """`limit` items from `offset` on."""

    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
