"""The pure rules of rescheduling, cancelling and no-shows, table-driven."""

import datetime as dt

import pytest

from kapcare.scheduling import change_rules, grid
from tests import clock

NOW = clock.wall_clock(3, 9)


def hours(n: float) -> dt.timedelta:
    return dt.timedelta(hours=n)


@pytest.mark.parametrize(
    ("ahead", "reason", "problem"),
    [
        (hours(48), "patient", None),
        (hours(48), "clinic", None),
        (hours(48), "late_cancel", "more than 24 hours from now"),
        (hours(24), "patient", None),  # exactly the window: not late
        (hours(23.9), "patient", "late cancellation"),
        (hours(23.9), "late_cancel", None),
        (hours(2), "clinic", None),  # the clinic cancelling is never late
        (hours(-1), "late_cancel", None),  # after the start: late
        (hours(48), "whim", "Choose who cancelled"),
    ],
)
def test_the_cancellation_reason_must_fit_the_time_left(ahead, reason, problem):
    found = change_rules.cancel_reason_problem(reason, NOW + ahead, NOW, 24)

    if problem is None:
        assert found is None
    else:
        assert problem in found


@pytest.mark.parametrize(
    ("start", "problem"),
    [(NOW - hours(1), None), (NOW, None), (NOW + hours(1), "once the session's start")],
)
def test_a_no_show_is_recorded_once_the_start_has_passed(start, problem):
    found = change_rules.no_show_problem(start, NOW)

    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize(
    ("moved", "others", "clash"),
    [
        ([NOW], [NOW - hours(48)], None),
        ([NOW], [NOW + hours(48)], None),
        ([NOW], [NOW - hours(47)], (NOW, NOW - hours(47))),
        ([NOW], [NOW + hours(47)], (NOW, NOW + hours(47))),
        ([NOW, NOW + hours(24)], [], (NOW, NOW + hours(24))),  # two moved doses
        ([NOW, NOW + hours(48)], [NOW + hours(96)], None),
        ([], [NOW], None),
    ],
)
def test_moved_doses_keep_the_minimum_interval(moved, others, clash):
    assert change_rules.dose_interval_problem(moved, others, 48) == clash


def test_a_time_gone_by_is_refused():
    assert change_rules.past_start_problem(NOW, NOW) == "Choose a time still to come."
    assert change_rules.past_start_problem(NOW + hours(1), NOW) is None


def test_a_series_moving_later_moves_its_latest_session_first():
    assert change_rules.move_order(hours(2)) is True
    assert change_rules.move_order(hours(-2)) is False
    assert change_rules.moved_along([NOW, NOW + hours(48)], hours(2)) == [
        NOW + hours(2),
        NOW + hours(50),
    ]


# --- The grid ---------------------------------------------------------------------------------

DAY = clock.today()
UTC = dt.UTC


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)


@pytest.mark.parametrize(
    ("blocks", "window"),
    [
        ([], (8, 18)),
        ([(at(9), at(11))], (8, 18)),
        ([(at(7, 30), at(9))], (7, 18)),
        ([(at(17), at(18, 15))], (8, 19)),
        ([(at(23), at(1, day=DAY + dt.timedelta(days=1)))], (8, 24)),
        ([(at(22, day=DAY - dt.timedelta(days=1)), at(2))], (0, 18)),
    ],
)
def test_the_grid_shows_the_working_day_and_everything_booked(blocks, window):
    found = grid.window_for((start, DAY, end) for start, end in blocks)

    assert (found.first, found.last) == window


@pytest.mark.parametrize(
    ("start", "end", "row", "span"),
    [
        (at(8), at(8, 15), 1, 1),
        (at(9), at(10, 55), 5, 8),  # a dose block: 115 minutes
        (at(9, 10), at(9, 20), 5, 2),  # straddles two quarter hours
        (at(6), at(8, 30), 1, 2),  # clipped at the top
        (at(17, 30), at(20), 39, 2),  # clipped at the bottom
    ],
)
def test_a_block_sits_on_the_quarter_hours_it_covers(start, end, row, span):
    assert grid.place(start, end, DAY, grid.Window(8, 18)) == (row, span)


def test_each_hour_is_labelled_on_its_first_row():
    assert grid.Window(8, 10).hours() == [("8:00 AM", 1), ("9:00 AM", 5)]
    assert grid.Window(8, 10).rows == 8
