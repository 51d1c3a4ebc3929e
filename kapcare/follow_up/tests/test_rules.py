import datetime as dt

import pytest

from kapcare.follow_up import rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1, 3, 6, 12, 24, 36, 48, 60", (1, 3, 6, 12, 24, 36, 48, 60)),
        ("6", (6,)),
        (" 1,2 ,", (1, 2)),
    ],
)
def test_a_schedule_is_read_from_the_clinics_setting(text, expected):
    assert rules.parse_schedule(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "at least one"),
        ("1, x", "not a whole number"),
        ("0", "outside 1–120"),
        ("121", "outside 1–120"),
        ("3, 1", "increasing order"),
        ("3, 3", "increasing order"),
    ],
)
def test_a_bad_schedule_is_refused_in_words(text, words):
    with pytest.raises(ValueError, match=words):
        rules.parse_schedule(text)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2025, 11, 15), 3, dt.date(2026, 2, 15)),
        (dt.date(2025, 3, 10), 60, dt.date(2030, 3, 10)),
    ],
)
def test_months_are_added_on_the_calendar(day, months, expected):
    assert rules.add_months(day, months) == expected


START = dt.date(2025, 1, 15)
SCHEDULE = (1, 3, 6, 12, 24, 36, 48, 60)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2025, 2, 14), None),  # a day before the first point
        (dt.date(2025, 2, 15), 1),  # on the day
        (dt.date(2025, 4, 14), 1),
        (dt.date(2025, 4, 15), 3),
        (dt.date(2025, 9, 1), 6),  # the 3-month point is not sent late
        (dt.date(2027, 1, 15), 24),
        (dt.date(2030, 1, 15), 60),
        (dt.date(2031, 6, 1), 60),  # after the last: still the last (sent once)
    ],
)
def test_the_current_point_is_the_latest_reached(today, expected):
    assert rules.due_point(START, SCHEDULE, today) == expected
