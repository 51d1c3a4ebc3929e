"""The API's shapes for Good Faith Estimates. Money is a string ("475.00"), never a float."""

import datetime as dt
import uuid

from django.urls import reverse
from ninja import Field, Schema

from kapcare.api_schemas import InputSchema, Page
from kapcare.billing.models import GoodFaithEstimate


class EstimateIn(InputSchema):
    episode_id: uuid.UUID = Field(description="The course to estimate (an open episode).")


class EstimateOut(Schema):
    id: uuid.UUID = Field(alias="external_id")
    episode_id: uuid.UUID
    version: int
    reason: str
    is_requested: bool
    issued_at: dt.datetime
    scheduled_on: dt.date
    due_on: dt.date | None
    covers_until: dt.date
    total: str = Field(description='Dollars and cents, e.g. "2850.00".')
    content: dict = Field(description="Every element of 45 CFR 149.610(c), as issued.")
    pdf_url: str = Field(description="The PDF, readable with the same bearer token.")

    @staticmethod
    def resolve_episode_id(estimate: GoodFaithEstimate) -> uuid.UUID:
        return estimate.episode.external_id

    @staticmethod
    def resolve_total(estimate: GoodFaithEstimate) -> str:
        return f"{estimate.total:.2f}"

    @staticmethod
    def resolve_pdf_url(estimate: GoodFaithEstimate) -> str:
        return reverse("api:estimate_pdf", args=[estimate.external_id])


class EstimatePage(Page):
    items: list[EstimateOut]
