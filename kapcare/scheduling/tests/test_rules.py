"""The availability rules, edge by edge: working hours (split shifts, touching shifts, the
half-open end, no hours at all), time off, free gaps and the week. No database."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from kapcare.scheduling import rules

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY, WEDNESDAY = 1, 2


def at(day: int, clock: str, month: int = 12) -> datetime:
    """A moment in December 2026, clinic time (the 1st is a Tuesday)."""
    hours, minutes = map(int, clock.split(":"))
    return datetime(2026, month, day, hours, minutes, tzinfo=CHICAGO)


def shift(weekday: int, starts: str, ends: str) -> rules.Shift:
    return rules.Shift(weekday, time.fromisoformat(starts), time.fromisoformat(ends))


TUESDAY_DAY = [shift(TUESDAY, "08:00", "16:00")]
SPLIT = [shift(TUESDAY, "08:00", "12:00"), shift(TUESDAY, "13:00", "17:00")]
TOUCHING = [shift(TUESDAY, "12:00", "16:00"), shift(TUESDAY, "08:00", "12:00")]


@pytest.mark.parametrize(
    ("shifts", "starts", "ends", "expected"),
    [
        ([], "03:00", "04:55", True),  # no hours recorded: available
        (TUESDAY_DAY, "08:00", "09:55", True),  # starts as the shift starts
        (TUESDAY_DAY, "14:05", "16:00", True),  # ends as the shift ends (half-open)
        (TUESDAY_DAY, "07:59", "09:54", False),
        (TUESDAY_DAY, "15:00", "16:55", False),
        (SPLIT, "09:00", "10:55", True),
        (SPLIT, "11:00", "12:55", False),  # runs into the lunch break
        (SPLIT, "12:15", "12:45", False),  # inside the break
        (SPLIT, "13:00", "14:55", True),
        (TOUCHING, "11:00", "12:55", True),  # touching shifts are one stretch
        ([shift(WEDNESDAY, "08:00", "16:00")], "09:00", "10:55", False),  # other day only
    ],
)
def test_within_working_hours(shifts, starts, ends, expected):
    assert rules.is_within_working_hours(at(1, starts), at(1, ends), shifts) is expected


def test_block_that_crosses_midnight_is_outside_every_shift():
    late = [shift(TUESDAY, "00:00", "23:59")]

    assert not rules.is_within_working_hours(at(1, "23:00"), at(2, "00:55"), late)


@pytest.mark.parametrize(
    ("shifts", "starts", "ends", "expected"),
    [
        (TUESDAY_DAY, "09:00", "10:55", None),
        (
            TUESDAY_DAY,
            "15:00",
            "16:55",
            "Cal Clinician works Tuesdays 8:00 AM–4:00 PM; this ends at 4:55 PM.",
        ),
        (
            TUESDAY_DAY,
            "07:30",
            "09:25",
            "Cal Clinician works Tuesdays 8:00 AM–4:00 PM; this starts at 7:30 AM.",
        ),
        (
            TUESDAY_DAY,
            "16:00",
            "17:55",
            "Cal Clinician works Tuesdays 8:00 AM–4:00 PM; this starts at 4:00 PM.",
        ),
        (
            SPLIT,
            "12:15",
            "12:45",
            "Cal Clinician works Tuesdays 8:00 AM–12:00 PM and 1:00 PM–5:00 PM; "
            "this starts at 12:15 PM.",
        ),
        (
            [shift(WEDNESDAY, "08:00", "16:00")],
            "09:00",
            "10:55",
            "Cal Clinician does not work on Tuesdays.",
        ),
    ],
)
def test_working_hours_problem_names_the_hours_and_the_time_outside(shifts, starts, ends, expected):
    assert rules.working_hours_problem("Cal Clinician", at(1, starts), at(1, ends), shifts) == (
        expected
    )


def test_working_hours_problem_says_when_a_block_runs_past_midnight():
    problem = rules.working_hours_problem(
        "Cal Clinician", at(1, "15:00"), at(2, "00:30"), TUESDAY_DAY
    )

    assert problem == "Cal Clinician works Tuesdays 8:00 AM–4:00 PM; this runs past midnight."


TRAINING = rules.Absence(at(1, "12:00"), at(3, "17:00"), "Training")


@pytest.mark.parametrize(
    ("starts", "ends", "is_away"),
    [
        (at(1, "09:00"), at(1, "11:55"), False),
        (at(1, "10:05"), at(1, "12:00"), False),  # ends as the time off starts
        (at(1, "11:00"), at(1, "12:55"), True),  # runs into it
        (at(2, "09:00"), at(2, "10:55"), True),  # inside it
        (at(3, "16:00"), at(3, "17:55"), True),  # runs out of it
        (at(3, "17:00"), at(3, "18:55"), False),  # starts as the clinician is back
    ],
)
def test_overlapping_absence(starts, ends, is_away):
    assert (rules.overlapping_absence(starts, ends, [TRAINING]) is not None) is is_away


def test_time_off_problem_names_the_absence_and_its_reason():
    problem = rules.time_off_problem("Cal Clinician", at(2, "09:00"), at(2, "10:55"), [TRAINING])

    assert problem == "Cal Clinician is away Tue Dec 1, 12:00 PM – Thu Dec 3, 5:00 PM (Training)."


def test_time_off_problem_without_a_reason_has_no_brackets():
    away = rules.Absence(at(1, "12:00"), at(1, "18:00"))

    problem = rules.time_off_problem("Cal", at(1, "13:00"), at(1, "14:00"), [away])

    assert problem == "Cal is away Tue Dec 1, 12:00 PM – Tue Dec 1, 6:00 PM."


def test_shifts_on_merges_overlapping_shifts_of_the_day_only():
    shifts = [
        shift(TUESDAY, "10:00", "14:00"),
        shift(TUESDAY, "08:00", "11:00"),
        shift(WEDNESDAY, "06:00", "07:00"),
    ]

    assert rules.shifts_on(TUESDAY, shifts) == [(time(8), time(14))]


@pytest.mark.parametrize(
    ("busy", "window", "expected"),
    [
        ([], None, []),
        ([], ("08:00", "16:00"), [("08:00", "16:00")]),
        ([("09:00", "10:55")], ("08:00", "16:00"), [("08:00", "09:00"), ("10:55", "16:00")]),
        ([("09:00", "10:00"), ("10:00", "11:00")], None, []),  # back to back: no gap
        ([("09:00", "10:00"), ("10:30", "11:00")], None, [("10:00", "10:30")]),
        ([("09:00", "12:00"), ("10:00", "11:00")], None, []),  # nested
        ([("07:00", "09:00")], ("08:00", "10:00"), [("09:00", "10:00")]),  # before the window
        ([("07:00", "07:30")], ("08:00", "09:00"), [("08:00", "09:00")]),  # outside it
    ],
)
def test_free_gaps(busy, window, expected):
    def times(pairs):
        return [(at(1, a), at(1, b)) for a, b in pairs]

    window = (at(1, window[0]), at(1, window[1])) if window else None

    assert rules.free_gaps(times(busy), window) == times(expected)


@pytest.mark.parametrize("day", [date(2026, 11, 30), date(2026, 12, 2), date(2026, 12, 6)])
def test_week_of_runs_monday_to_sunday(day):
    week = rules.week_of(day)

    assert week[0] == date(2026, 11, 30)
    assert week[-1] == date(2026, 12, 6)
    assert len(week) == 7
