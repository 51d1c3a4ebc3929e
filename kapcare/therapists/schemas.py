"""API schemas of the therapist directory: each entry with its credentials' verification
flags, named by its opaque id."""

import datetime as dt
import uuid
from decimal import Decimal

from ninja import Schema


class TherapistOut(Schema):
    """One directory entry. `is_verified`: licence and KAP training verified by clinic
    staff and the licence in force today (in the clinic's time zone); patients see only
    such entries."""

    id: uuid.UUID
    name: str
    credentials: str
    email: str
    practice_name: str
    phone: str
    city: str
    state: str
    website: str
    licence_type: str
    licence_state: str
    licence_expires_on: dt.date | None
    licence_verified: bool
    training_programme: str
    training_completed_on: dt.date | None
    training_verified: bool
    is_askp3_member: bool
    askp3_verified: bool
    is_verified: bool
    modalities: list[str]
    fee_per_session: Decimal | None
    is_accepting_patients: bool
