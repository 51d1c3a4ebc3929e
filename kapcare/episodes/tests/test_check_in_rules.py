"""When a session may be checked in (episodes.check_in.rules), table-driven; no database."""

import datetime as dt

import pytest

from kapcare.episodes.check_in.rules import check_in_problem

TODAY = dt.date(2030, 1, 8)
AT = dt.datetime(2030, 1, 8, 15, 0, tzinfo=dt.UTC)


def problem(**changes) -> str:
    values = {
        "status": "planned",
        "holds_booked_slot": True,
        "booked_day": TODAY,
        "today": TODAY,
        "checked_in_at": None,
    } | changes
    return check_in_problem(**values)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({}, ""),
        ({"checked_in_at": AT}, "already checked in"),
        ({"status": "in_progress"}, "in progress"),
        ({"status": "done"}, "done"),
        ({"status": "cancelled"}, "cancelled"),
        ({"status": "missed"}, "missed"),
        ({"holds_booked_slot": False}, "no booked time"),
        ({"booked_day": TODAY + dt.timedelta(days=1)}, "on the day"),
        ({"booked_day": TODAY - dt.timedelta(days=1)}, "on the day"),
    ],
)
def test_a_patient_is_checked_in_once_for_a_booked_session_on_its_day(changes, words):
    found = problem(**changes)

    assert (found == "") if not words else (words in found)
