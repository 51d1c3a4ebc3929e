"""No double booking, guaranteed by the database (migration 0002), not only by the service's
check: an overlapping appointment written straight through the ORM is refused, and fifty
concurrent requests for one room and slot store exactly one appointment, every loser
told which slot is taken.

The concurrent tests run each booking in its own thread with its own database connection,
released together by a barrier. On PostgreSQL they race for real (READ COMMITTED: a loser
may pass the service's check and be stopped by the exclusion constraint). On SQLite the
test database lives in memory, which threads cannot share with their own connections, so
the SQLite test copies it to a file first; there SQLite's single writer and `BEGIN
IMMEDIATE` serialise the bookings, and the triggers stand behind the check.
"""

import sqlite3
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from kapcare.audit.log import Actor
from kapcare.refusals import Refused
from kapcare.scheduling import services
from kapcare.scheduling.models import Appointment, AppointmentStatus
from kapcare.scheduling.tests.conftest import NINE_AM, minutes

TAKEN = (
    "Suite 1 is already booked Tue Dec 1, 9:00 AM–10:55 AM (Dosing session). "
    "Choose another time, room or clinician."
)
BOOKINGS = 50


def appointment(clinic, by, *, starts_at=NINE_AM, length=115, **holds):
    return Appointment(
        clinic=clinic,
        starts_at=starts_at,
        ends_at=starts_at + minutes(length),
        purpose="Dosing session",
        booked_by=by,
        **holds,
    )


# --- Written around the service -----------------------------------------------------------------


def test_database_refuses_an_overlapping_room_written_directly(clinic, suite, coordinator):
    appointment(clinic, coordinator, room=suite).save()

    with pytest.raises(IntegrityError), transaction.atomic():
        appointment(clinic, coordinator, starts_at=NINE_AM + minutes(60), room=suite).save()

    assert Appointment.objects.count() == 1


def test_database_refuses_an_overlapping_clinician_written_directly(
    clinic, suite, other_suite, clinician, coordinator
):
    appointment(clinic, coordinator, room=suite, clinician=clinician).save()

    with pytest.raises(IntegrityError), transaction.atomic():
        appointment(clinic, coordinator, room=other_suite, clinician=clinician).save()


def test_database_refuses_moving_an_appointment_onto_another(clinic, suite, coordinator):
    appointment(clinic, coordinator, room=suite).save()
    later = appointment(clinic, coordinator, starts_at=NINE_AM + minutes(180), room=suite)
    later.save()

    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=later.pk).update(starts_at=NINE_AM + minutes(100))


def test_database_refuses_rebooking_a_cancelled_appointment_over_its_replacement(
    clinic, suite, coordinator
):
    cancelled = appointment(clinic, coordinator, room=suite, status=AppointmentStatus.CANCELLED)
    cancelled.save()
    appointment(clinic, coordinator, room=suite).save()

    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=cancelled.pk).update(status=AppointmentStatus.BOOKED)


def test_database_accepts_back_to_back_and_cancelled_overlaps(clinic, suite, coordinator):
    appointment(clinic, coordinator, room=suite).save()
    appointment(clinic, coordinator, starts_at=NINE_AM + minutes(115), room=suite).save()
    appointment(clinic, coordinator, room=suite, status=AppointmentStatus.CANCELLED).save()

    assert Appointment.objects.count() == 3


# --- Concurrent bookings ------------------------------------------------------------------------


def race(count: int, attempt) -> list:
    """Run `attempt` in `count` threads, each on its own database connection, released
    together; each result is what `attempt` returned or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=60)
            results[index] = attempt()
        except Exception as error:  # the test inspects every outcome
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def booking_attempt(clinic, room, user):
    slot = services.Slot(NINE_AM, NINE_AM + minutes(115), room)
    actor = Actor(user=user, ip_address="127.0.0.1")
    return lambda: services.book(actor=actor, clinic=clinic, slot=slot, purpose="Dosing session")


def assert_one_winner_and_every_loser_told(results: list) -> None:
    winners = [r for r in results if isinstance(r, Appointment)]
    losers = [r for r in results if not isinstance(r, Appointment)]
    assert len(winners) == 1, [repr(r) for r in losers if not isinstance(r, Refused)]
    assert len(losers) == BOOKINGS - 1
    assert all(isinstance(r, Refused) for r in losers), {repr(r) for r in losers}
    assert {r.problems["__all__"] for r in losers} == {TAKEN}


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_bookings_on_postgresql_store_exactly_one(clinic, suite, coordinator):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…); SQLite has its own test")

    results = race(BOOKINGS, booking_attempt(clinic, suite, coordinator))

    assert_one_winner_and_every_loser_told(results)
    assert Appointment.objects.filter(room=suite).count() == 1


def move_new_connections_to_a_file_copy(tmp_path, monkeypatch):
    """Copy the in-memory test database to a file and point new connections (one per
    thread) at the copy; returns the file's path."""
    path = tmp_path / "race.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)
    copy.close()
    monkeypatch.setitem(
        connections.settings, "default", {**connections.settings["default"], "NAME": str(path)}
    )
    return path


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_bookings_on_sqlite_store_exactly_one(
    clinic, suite, coordinator, tmp_path, monkeypatch
):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only; PostgreSQL has its own test")
    attempt = booking_attempt(clinic, suite, coordinator)
    path = move_new_connections_to_a_file_copy(tmp_path, monkeypatch)

    results = race(BOOKINGS, attempt)

    assert_one_winner_and_every_loser_told(results)
    with sqlite3.connect(path) as stored:
        (count,) = stored.execute(
            "SELECT count(*) FROM scheduling_appointment WHERE room_id = ?", [suite.pk]
        ).fetchone()
    assert count == 1
