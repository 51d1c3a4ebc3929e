"""Where each of the day's dosing sessions stands on the Today board, as pure functions.

The board reads a session and its dosing record at `now` and names one state, in the order
the day runs: booked → checked in → started (the gates passed, the dose not yet given) →
dose under way → in recovery (the dose has ended, the patient is observed until the
discharge criteria are met) → discharged. A discharged session whose record a clinician
has not signed yet is flagged besides. The discharge time itself is
`dosing.discharge.rules.earliest_discharge_at`; nothing here repeats a clinical rule.
"""

from dataclasses import dataclass
from datetime import datetime

BOOKED = "booked"
CHECKED_IN = "checked_in"
STARTED = "started"
UNDER_WAY = "under_way"
IN_RECOVERY = "in_recovery"
DISCHARGED = "discharged"

STATE_LABELS = {
    BOOKED: "Booked",
    CHECKED_IN: "Checked in",
    STARTED: "Started, dose not given yet",
    UNDER_WAY: "Dose under way",
    IN_RECOVERY: "In recovery",
    DISCHARGED: "Discharged",
}

# Before the session starts its gates decide whether it may: the board shows how many fail.
BEFORE_START = frozenset({BOOKED, CHECKED_IN})
# While the patient is in the chair the board shows the last vital signs.
IN_THE_CHAIR = frozenset({STARTED, UNDER_WAY, IN_RECOVERY})

# Session statuses, as `episodes.rules` spells them (this module imports nothing of Django).
_IN_PROGRESS = "in_progress"
_DONE = "done"


@dataclass(frozen=True)
class SessionFacts:
    """What the session's row and its dosing record (if any) say."""

    status: str
    checked_in_at: datetime | None = None
    dose_started_at: datetime | None = None
    dose_ended_at: datetime | None = None
    discharged_at: datetime | None = None
    signed_at: datetime | None = None


def board_state(facts: SessionFacts, now: datetime) -> str:
    """The one state the board shows for a session at `now`."""
    if facts.discharged_at is not None or facts.status == _DONE:
        return DISCHARGED
    if facts.status == _IN_PROGRESS:
        if facts.dose_ended_at is not None and facts.dose_ended_at <= now:
            return IN_RECOVERY
        if facts.dose_started_at is not None:
            return UNDER_WAY
        return STARTED
    if facts.checked_in_at is not None:
        return CHECKED_IN
    return BOOKED


def needs_signature(facts: SessionFacts) -> bool:
    """A discharged patient's record waits for the clinician's signature."""
    return facts.discharged_at is not None and facts.signed_at is None


def whole_minutes(earlier: datetime, later: datetime) -> int:
    """Whole minutes from `earlier` to `later`, never below 0 (a clock a little ahead)."""
    return max(0, int((later - earlier).total_seconds() // 60))


def minutes_in_words(minutes: int) -> str:
    """ "1 minute", "45 minutes", "2 h 05 min": short enough for a board's cell."""
    if minutes < 60:
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    return f"{minutes // 60} h {minutes % 60:02d} min"
