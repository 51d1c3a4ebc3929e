"""API schemas for dosing sessions: a reading of vital signs sent by a bedside device or a
monitor gateway, and the session's record as the clinic reads it.

Sessions and readings are named by their opaque external ids. Statuses are as the API
names them: `planned`, `in_progress`, `completed`, `missed`, `cancelled`. What a reading
may hold (plausible values) is checked by `dosing.vitals.services.record_vitals`, as on the
page, so the API refuses with the same messages at the same fields.
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from kapcare.api_schemas import InputSchema, Page
from kapcare.dosing.vitals.rules import VITALS

# The API's words for the session's statuses (the episodes app says "done").
STATUS_NAMES = {
    "planned": "planned",
    "in_progress": "in_progress",
    "done": "completed",
    "missed": "missed",
    "cancelled": "cancelled",
}
ListedStatus = Literal["planned", "in_progress", "completed"]

# A clinic records within this century: a year such as 9999 would overflow once turned
# into UTC (as `kapcare.dates` explains); beyond these the time is refused at its field.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def _value(key: str, description: str):
    """A vital sign, its plausible range documented as the schema's bounds; a value out of
    range is refused by `vitals.rules`, whose message says the range."""
    vital = VITALS[key]
    return Field(
        None,
        description=description,
        json_schema_extra={"minimum": vital.plausible_min, "maximum": vital.plausible_max},
    )


class VitalsIn(InputSchema):
    """One reading: any subset of the vital signs, taken together."""

    taken_at: dt.datetime | None = Field(
        None,
        description="ISO 8601. Without an offset it is read in the clinic's time zone; "
        "absent, the reading is taken now. Not in the future (2 min of clock tolerance) "
        "nor before the session's day.",
    )
    hr: int | None = _value("hr", "Heart rate, /min (LOINC 8867-4). Plausible: 20–250.")
    sbp: int | None = _value(
        "sbp", "Systolic blood pressure, mmHg (LOINC 8480-6). Plausible: 50–260."
    )
    dbp: int | None = _value(
        "dbp",
        "Diastolic blood pressure, mmHg (LOINC 8462-4). Plausible: 20–160, below the systolic.",
    )
    spo2: int | None = _value("spo2", "Oxygen saturation, % (LOINC 2708-6). Plausible: 50–100.")
    rr: int | None = _value("rr", "Respiratory rate, /min (LOINC 9279-1). Plausible: 2–60.")
    sedation: int | None = _value(
        "sedation", "Sedation on the MOAA/S scale, 0–5 (Chernik 1990; no LOINC code confirmed)."
    )

    @field_validator("taken_at")
    @classmethod
    def taken_within_clinic_dates(cls, taken_at: dt.datetime | None) -> dt.datetime | None:
        if taken_at is not None and not EARLIEST_YEAR <= taken_at.year <= LATEST_YEAR:
            raise PydanticCustomError(
                "out_of_range", f"Enter a time between {EARLIEST_YEAR} and {LATEST_YEAR}."
            )
        return taken_at

    def values(self) -> dict[str, int | None]:
        return self.model_dump(exclude={"taken_at"})


class AlertOut(Schema):
    vital: str = Field(description="hr, sbp, dbp, spo2 or rr.")
    value: int
    threshold: str = Field(description='The clinic\'s limit it crossed, e.g. "≥ 180", "< 92".')


class ObservationOut(Schema):
    vital: str
    loinc_code: str = Field(description="Empty for the MOAA/S sedation score.")
    value: int
    unit: str
    alert_threshold: str = Field(description="The limit crossed when entered; empty if none.")


class ReadingOut(Schema):
    """A reading as stored: the values taken together, one observation each."""

    reading_id: uuid.UUID
    taken_at: dt.datetime
    source: Literal["manual", "device"]
    hr: int | None = None
    sbp: int | None = None
    dbp: int | None = None
    spo2: int | None = None
    rr: int | None = None
    sedation: int | None = None
    observations: list[ObservationOut]
    alerts: list[AlertOut]


class SessionDrugOut(Schema):
    code: str = Field(description="ketamine or esketamine, as `GET /drugs` names it.")
    name: str = Field(description='The drug in words, e.g. "Esketamine (Spravato)".')


class DoseOut(Schema):
    route: str = Field(description="iv, im, sublingual or intranasal; empty if not set.")
    mg_per_kg: Decimal | None = Field(description="The prescribed dose, mg/kg.")
    weight_kg: Decimal | None
    mg: Decimal | None = Field(description="The dose computed from mg/kg and weight.")
    confirmed: bool = Field(
        description="A second clinician or nurse, not the prescriber, checked the dose."
    )
    confirmed_at: dt.datetime | None
    infusion_minutes: int | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None


class InterventionOut(Schema):
    drug: str
    dose: str
    given_at: dt.datetime


class EventOut(Schema):
    id: uuid.UUID
    kind: str
    severity: str
    onset_at: dt.datetime
    description: str
    interventions: list[InterventionOut]


class DischargeOut(Schema):
    discharged_at: dt.datetime | None
    ready: bool = Field(description="Every discharge criterion is met now.")
    unmet: list[str] = Field(description="The criteria not met, in words.")


class DosingSessionOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    room_id: uuid.UUID | None = Field(description="The room its appointment holds (GET /rooms).")
    status: str
    planned_start: dt.datetime
    started_at: dt.datetime | None
    drug: SessionDrugOut | None = Field(description="The drug of the dose; null before the record.")
    dose: DoseOut
    vitals: list[ReadingOut]
    events: list[EventOut]
    discharge: DischargeOut
    signed: bool
    signed_at: dt.datetime | None


class DosingSessionListOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    room_id: uuid.UUID | None = Field(description="The room its appointment holds (GET /rooms).")
    status: str
    planned_start: dt.datetime
    started_at: dt.datetime | None
    drug: SessionDrugOut | None = Field(description="The drug of the dose; null before the record.")
    dose_started_at: dt.datetime | None
    dose_ended_at: dt.datetime | None
    discharged_at: dt.datetime | None
    signed: bool


class DosingSessionPage(Page):
    items: list[DosingSessionListOut]
