import datetime as dt

import pytest

from kapcare.audit.log import Actor
from kapcare.scheduling import services
from tests.factories import RoomFactory

# Tuesday, December 1, 2026, 09:00 in the clinic (America/Chicago, UTC-6).
NINE_AM = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def book(clinic, by, *, starts_at=NINE_AM, length=115, room=None, clinician=None, patient=None):
    """A dosing-session appointment booked through the service by `by`."""
    return services.book(
        actor=Actor(user=by, ip_address="127.0.0.1"),
        clinic=clinic,
        slot=services.Slot(starts_at, starts_at + minutes(length), room, clinician),
        purpose="Dosing session",
        patient=patient,
    )


@pytest.fixture
def suite(clinic):
    return RoomFactory(clinic=clinic, name="Suite 1")


@pytest.fixture
def other_suite(clinic):
    return RoomFactory(clinic=clinic, name="Suite 2")


@pytest.fixture
def desk(coordinator):
    """The coordinator, acting from the front desk."""
    return Actor(user=coordinator, ip_address="127.0.0.1")
