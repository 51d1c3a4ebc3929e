"""API schemas for the screening instruments and their completions.

An instrument is published as `measures.instruments` holds it (items in their published
wording, answer options, severity bands, LOINC codes), so a client can render the form
and code the result without a copy of its own. An assessment is named by its opaque
external id; its answers are checked by `measures.scoring`, the module every other way of
completing a questionnaire uses, so the API answers with the same messages.
"""

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, WithJsonSchema

from kapcare.api_schemas import InputSchema, Page
from kapcare.measures.instruments import INSTRUMENTS
from kapcare.measures.models import Assessment, Source

InstrumentId = Annotated[
    str, WithJsonSchema({"type": "string", "enum": list(INSTRUMENTS)}, mode="validation")
]
# Taken as sent and checked by the scoring module, whose messages name the item: a schema
# type here would answer "answers.2.int: …" instead of "Item 3 must be one of 0, 1, 2, 3".
Answer = Annotated[
    Any,
    WithJsonSchema(
        {"anyOf": [{"type": "integer"}, {"type": "boolean"}, {"type": "null"}]},
        mode="validation",
    ),
]


class InstrumentOption(Schema):
    value: int | bool
    label: str


class InstrumentBand(Schema):
    low: int
    high: int
    label: str


class InstrumentItem(Schema):
    number: int = Field(description="Position in the answers list, from 1.")
    label: str = Field(description='What the form prints ("6b").')
    text: str
    loinc: str = Field(description="Empty where no code could be confirmed.")
    only_if_yes_to: int | None = Field(
        description="The item whose yes opens this one; left null when that answer is no."
    )


class InstrumentOut(Schema):
    id: str
    name: str
    short_name: str
    instructions: str
    item_stem: str = Field(description="Printed before the items, after the instructions.")
    loinc_panel: str
    loinc_total: str
    kind: Literal["likert", "yes_no"]
    options: list[InstrumentOption]
    bands: list[InstrumentBand]
    items: list[InstrumentItem]


class AssessmentIn(InputSchema):
    """A completed questionnaire: one answer per item, in item order."""

    instrument: InstrumentId
    answers: list[Answer] = Field(
        description=(
            "Whole numbers for Likert items, true/false for the C-SSRS screener; null for an "
            "item skipped (C-SSRS) or left unanswered where the instrument allows it."
        )
    )


class AssessmentResult(Schema):
    id: uuid.UUID
    instrument: str
    total: int | None = Field(description="Null for the C-SSRS screener, which has no total.")
    band: str = Field(description='Lower-case, as published: "moderately severe", "high risk".')
    flags: list[str]
    completed_at: dt.datetime
    source: Source


class AssessmentOut(AssessmentResult):
    @staticmethod
    def resolve_id(assessment: Assessment) -> uuid.UUID:
        return assessment.external_id


class AssessmentCompleted(AssessmentResult):
    alert_id: uuid.UUID | None = Field(
        description="The safety alert these answers raised (the first, if several), or null."
    )


class AssessmentPage(Page):
    items: list[AssessmentOut]
