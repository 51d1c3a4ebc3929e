"""The course of an IV infusion as pure rules (`events.rules`): which change may follow
which, and when an infusion left to run ends, pauses included. No database."""

import datetime as dt

import pytest

from kapcare.dosing.events.rules import (
    IS_PAUSED,
    IS_STOPPED,
    PAUSED,
    RESUMED,
    RUNNING,
    STOPPED,
    infusion_change_problem,
    infusion_state,
    planned_infusion_end,
)

START = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


def minutes(n: int) -> dt.datetime:
    return START + dt.timedelta(minutes=n)


@pytest.mark.parametrize(
    ("kinds", "state"),
    [
        ([], RUNNING),
        ([PAUSED], IS_PAUSED),
        ([PAUSED, RESUMED], RUNNING),
        ([PAUSED, STOPPED], IS_STOPPED),
        ([STOPPED], IS_STOPPED),
    ],
)
def test_infusion_state_follows_its_changes(kinds, state):
    assert infusion_state(kinds) == state


@pytest.mark.parametrize(
    ("state", "kind", "allowed"),
    [
        (RUNNING, PAUSED, True),
        (RUNNING, STOPPED, True),
        (RUNNING, RESUMED, False),
        (IS_PAUSED, RESUMED, True),
        (IS_PAUSED, STOPPED, True),
        (IS_PAUSED, PAUSED, False),
        (IS_STOPPED, PAUSED, False),
        (IS_STOPPED, RESUMED, False),
        (IS_STOPPED, STOPPED, False),
    ],
)
def test_which_change_may_follow_which(state, kind, allowed):
    assert (infusion_change_problem(state, kind) == "") is allowed


def test_a_refused_change_says_why_in_words():
    assert infusion_change_problem(RUNNING, RESUMED) == (
        "The infusion is running: only a paused infusion can be resumed."
    )


def test_an_infusion_left_to_run_ends_after_its_duration():
    assert planned_infusion_end(START, 40, []) == minutes(40)


def test_each_pause_moves_the_end_later():
    changes = [(PAUSED, minutes(10)), (RESUMED, minutes(15)), (PAUSED, minutes(20))]
    changes.append((RESUMED, minutes(22)))

    assert planned_infusion_end(START, 40, changes) == minutes(47)


def test_a_paused_infusion_has_no_end_yet():
    assert planned_infusion_end(START, 40, [(PAUSED, minutes(10))]) is None


def test_a_stopped_infusion_has_no_planned_end():
    assert planned_infusion_end(START, 40, [(STOPPED, minutes(10))]) is None
