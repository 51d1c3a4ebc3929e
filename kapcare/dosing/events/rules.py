"""The course of an IV infusion as pure rules (the dosing record's events): which change may follow
which, and when the infusion ends when it is not stopped early.

An infusion runs from the dose's start; it may be paused (with a reason), resumed, and
stopped early (with a reason), which ends the dose. Left to run, it ends after the
prescribed duration (`DosingRecord.infusion_minutes`, the clinic's default 40 min:
docs/clinical-reference.md#infusion-duration) plus the time it was paused. No Django here.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

PAUSED = "paused"
RESUMED = "resumed"
STOPPED = "stopped"

# The state an infusion is in after its changes so far.
RUNNING = "running"
IS_PAUSED = "paused"
IS_STOPPED = "stopped"

NEEDS_REASON = frozenset({PAUSED, STOPPED})

_ALLOWED = {
    RUNNING: {PAUSED, STOPPED},
    IS_PAUSED: {RESUMED, STOPPED},
    IS_STOPPED: set(),
}
_AFTER = {PAUSED: IS_PAUSED, RESUMED: RUNNING, STOPPED: IS_STOPPED}


def infusion_state(kinds: Sequence[str]) -> str:
    """The state after `kinds`, the infusion's changes in the order they happened."""
    state = RUNNING
    for kind in kinds:
        state = _AFTER[kind]
    return state


def infusion_change_problem(state: str, kind: str) -> str:
    """Why `kind` may not follow an infusion in `state`, in words; "" when it may."""
    if kind in _ALLOWED[state]:
        return ""
    if state == IS_STOPPED:
        return "The infusion was stopped: nothing can follow."
    if kind == RESUMED:
        return "The infusion is running: only a paused infusion can be resumed."
    return "The infusion is already paused: resume it or stop it."


def planned_infusion_end(
    started_at: datetime, infusion_minutes: int, changes: Sequence[tuple[str, datetime]]
) -> datetime | None:
    """When the infusion ends if left to run: its duration after the start, plus every
    pause. None while it is paused (the end depends on when it resumes) and for an
    infusion stopped early (its end is the stop)."""
    paused_for = timedelta()
    paused_at: datetime | None = None
    for kind, at in changes:
        if kind == PAUSED:
            paused_at = at
        elif kind == RESUMED and paused_at is not None:
            paused_for += at - paused_at
            paused_at = None
        elif kind == STOPPED:
            return None
    if paused_at is not None:
        return None
    return started_at + timedelta(minutes=infusion_minutes) + paused_for
