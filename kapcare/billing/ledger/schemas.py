"""The API's shapes for the ledger. Money is a string ("475.00"), never a float."""

import datetime as dt
import uuid

from ninja import Field, Schema

from kapcare.api_schemas import InputSchema, Page
from kapcare.billing.ledger.models import Payment


class PaymentIn(InputSchema):
    amount: str = Field(max_length=14, description='Dollars and cents as a string, e.g. "475.00".')
    method: str = Field(max_length=10, description="card, cash, check, hsa_fsa or processor.")
    reference: str = Field(
        "", max_length=80, description="A check's number or the processor's payment id."
    )
    package_id: uuid.UUID | None = Field(None, description="The package sale this pays for.")
    deposit_session_id: uuid.UUID | None = Field(
        None, description="A booked dosing session this deposit holds."
    )
    note: str = Field("", max_length=300)


class PaymentOut(Schema):
    id: uuid.UUID = Field(alias="external_id")
    kind: str
    method: str
    amount: str = Field(description='Dollars and cents, e.g. "475.00".')
    reference: str
    is_deposit: bool
    package_id: uuid.UUID | None
    refund_of: uuid.UUID | None
    recorded_at: dt.datetime

    @staticmethod
    def resolve_amount(payment: Payment) -> str:
        return f"{payment.amount:.2f}"

    @staticmethod
    def resolve_package_id(payment: Payment) -> uuid.UUID | None:
        return payment.package.external_id if payment.package_id else None

    @staticmethod
    def resolve_refund_of(payment: Payment) -> uuid.UUID | None:
        return payment.refund_of.external_id if payment.refund_of_id else None


class PaymentPage(Page):
    items: list[PaymentOut]


class LedgerLineOut(Schema):
    at: dt.datetime
    kind: str = Field(
        description="charge, void, payment, refund, package, draw_down or package_refund."
    )
    description: str
    amount: str = Field(description="What it adds to the balance; negative for a credit.")
    reference: str


class CourseOut(Schema):
    episode_id: uuid.UUID | None
    billed: str
    estimated: str | None
    over_estimate: bool = Field(description="Billed at or above the dispute threshold.")


class LedgerOut(Schema):
    lines: list[LedgerLineOut]
    balance: str = Field(description="What the patient owes; negative when in credit.")
    courses: list[CourseOut]
