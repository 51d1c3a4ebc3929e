"""Which sessions are due an appointment reminder: pure rules, no database."""

import datetime as dt

import pytest

from kapcare.notifications import reminders

NOW = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("starts_in", "status", "started_at", "is_due"),
    [
        (24 * HOUR, "planned", None, True),  # exactly 24 h ahead: due
        (24 * HOUR + MINUTE, "planned", None, False),  # a minute too early
        (24 * HOUR - MINUTE, "planned", None, True),
        (MINUTE, "planned", None, True),  # about to start, never reminded yet
        (dt.timedelta(0), "planned", None, False),  # starting now: too late
        (-HOUR, "planned", None, False),  # its time has passed, still not started
        (HOUR, "planned", NOW - MINUTE, False),  # started early
        (HOUR, "in_progress", NOW - MINUTE, False),
        (HOUR, "cancelled", None, False),
        (HOUR, "missed", None, False),
        (HOUR, "done", None, False),
    ],
)
def test_a_session_is_due_a_reminder_only_when_planned_and_within_the_window(
    starts_in, status, started_at, is_due
):
    assert (
        reminders.is_due_a_reminder(
            planned_start=NOW + starts_in,
            status=status,
            started_at=started_at,
            now=NOW,
            reminder_hours=24,
        )
        is is_due
    )


@pytest.mark.parametrize(
    ("hours", "starts_in", "is_due"),
    [(48, 47 * HOUR, True), (48, 49 * HOUR, False), (2, 2 * HOUR, True), (2, 3 * HOUR, False)],
)
def test_the_window_is_the_clinics_setting(hours, starts_in, is_due):
    assert (
        reminders.is_due_a_reminder(
            planned_start=NOW + starts_in,
            status="planned",
            started_at=None,
            now=NOW,
            reminder_hours=hours,
        )
        is is_due
    )


def test_the_reminder_key_names_the_session_and_its_time_in_utc():
    chicago = dt.timezone(dt.timedelta(hours=-6))
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=chicago)

    assert reminders.reminder_key("abc", start) == "reminder:abc:2026-12-01T15:00:00+00:00"


def test_a_moved_session_gets_a_new_reminder_key():
    start = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)

    assert reminders.reminder_key("abc", start) != reminders.reminder_key("abc", start + HOUR)


def test_the_therapists_reminder_has_its_own_key():
    start = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)

    assert reminders.therapist_reminder_key("abc", start, 7) != reminders.reminder_key("abc", start)


def test_an_overdue_flag_is_keyed_by_dose_and_recipient_whatever_the_case():
    assert reminders.integration_overdue_key("d1", "Clinic@Example.org") == (
        "integration-overdue:d1:clinic@example.org"
    )
