"""The course of care as pure rules: the four models, the states an episode moves through
and the allowed edges, and the statuses of a session. No Django here: the models and the
services read these tables.

Source: docs/clinical-reference.md#models-of-care (after Dore et al. 2019, J Psychoactive
Drugs, and ASKP3's elements of KAP, docs/clinical-reference.md#askp3): referred → screening
→ eligible | ineligible → consented → preparing → in treatment → follow-up → completed |
discontinued.
"""

import re
from collections.abc import Iterable
from datetime import datetime

# --- Models of care -----------------------------------------------------------------------

IN_SESSION = "in_session"
BRACKETED = "bracketed"
BLENDED = "blended"
STANDALONE = "standalone"

MODELS = {
    IN_SESSION: "In-session KAP",
    BRACKETED: "Bracketed KAP",
    BLENDED: "Blended KAP",
    STANDALONE: "Standalone infusion",
}

MODEL_DESCRIPTIONS = {
    IN_SESSION: "A therapist is present throughout the dosing session and does the "
    "preparation and integration.",
    BRACKETED: "Dosing sessions on their own; preparation and integration on other days, "
    "with a therapist.",
    BLENDED: "The clinic gives the dose; the patient's outside therapist does preparation "
    "and integration, coordinated with the clinic.",
    STANDALONE: "Infusions without psychotherapy (not KAP); kept for comparison.",
}


def is_kap(model: str) -> bool:
    """KAP models pair the dose with preparation and integration; a standalone infusion
    does not."""
    return model != STANDALONE


def needs_therapist(model: str) -> bool:
    return is_kap(model)


def therapy_session_counts(
    *,
    therapist_id: int | None,
    run_by_id: int | None,
    recorded_by_id: int | None,
    confirmation: str,
) -> bool:
    """Whether a preparation or integration session recorded as done counts towards the
    gates of a KAP episode: KAP without the therapist's own support is something else, so
    only the episode's therapist recording the session they ran counts, or clinic staff
    who attach the therapist's confirmation (how and when the therapist confirmed it)."""
    if confirmation.strip():
        return True
    return therapist_id is not None and run_by_id == therapist_id == recorded_by_id


def needs_therapist_confirmation(
    *, model: str, kind: str, to_status: str, therapist_id: int | None, recorder_id: int
) -> bool:
    """Staff recording a KAP preparation or integration session as done, for an episode
    with a named therapist, attach the therapist's confirmation; the therapist recording
    it themselves needs none."""
    return (
        is_kap(model)
        and kind in {PREPARATION, INTEGRATION}
        and to_status == DONE
        and therapist_id is not None
        and recorder_id != therapist_id
    )


# --- Episode states -----------------------------------------------------------------------

REFERRED = "referred"
SCREENING = "screening"
ELIGIBLE = "eligible"
INELIGIBLE = "ineligible"
CONSENTED = "consented"
PREPARING = "preparing"
IN_TREATMENT = "in_treatment"
FOLLOW_UP = "follow_up"
COMPLETED = "completed"
DISCONTINUED = "discontinued"

STATES = {
    REFERRED: "Referred",
    SCREENING: "Screening",
    ELIGIBLE: "Eligible",
    INELIGIBLE: "Not eligible",
    CONSENTED: "Consented",
    PREPARING: "Preparing",
    IN_TREATMENT: "In treatment",
    FOLLOW_UP: "Follow-up",
    COMPLETED: "Completed",
    DISCONTINUED: "Discontinued",
}

# Allowed edges. Backward edges exist where care really goes back: a re-screen (a new
# contraindication, a lapsed eligibility), and a booster series from follow-up.
TRANSITIONS: dict[str, frozenset[str]] = {
    REFERRED: frozenset({SCREENING, DISCONTINUED}),
    SCREENING: frozenset({ELIGIBLE, INELIGIBLE, DISCONTINUED}),
    ELIGIBLE: frozenset({CONSENTED, SCREENING, DISCONTINUED}),
    INELIGIBLE: frozenset({SCREENING, DISCONTINUED}),
    CONSENTED: frozenset({PREPARING, IN_TREATMENT, SCREENING, DISCONTINUED}),
    PREPARING: frozenset({IN_TREATMENT, SCREENING, DISCONTINUED}),
    IN_TREATMENT: frozenset({FOLLOW_UP, DISCONTINUED}),
    FOLLOW_UP: frozenset({IN_TREATMENT, COMPLETED, DISCONTINUED}),
    COMPLETED: frozenset(),
    DISCONTINUED: frozenset(),
}

CLOSED_STATES = frozenset({COMPLETED, DISCONTINUED, INELIGIBLE})

# Moving here needs a written reason: stopping care, or going back a step.
REASON_REQUIRED = frozenset({DISCONTINUED, INELIGIBLE})
BACKWARD = frozenset(
    {
        (ELIGIBLE, SCREENING),
        (CONSENTED, SCREENING),
        (PREPARING, SCREENING),
        (INELIGIBLE, SCREENING),
        (FOLLOW_UP, IN_TREATMENT),
    }
)


def next_states(state: str, model: str) -> list[str]:
    """Where an episode in `state` may go, in the order of the course. A standalone
    infusion has no preparation phase."""
    allowed = TRANSITIONS[state]
    if not is_kap(model):
        allowed = allowed - {PREPARING}
    return [s for s in STATES if s in allowed]


def transition_problem(state: str, to_state: str, model: str, reason: str) -> str | None:
    """Why an episode in `state` cannot move to `to_state` (None when it can)."""
    if to_state not in STATES:
        return "Choose a state from the list."
    if to_state == state:
        return f"The episode is already “{STATES[state]}”."
    if to_state not in next_states(state, model):
        allowed = ", ".join(f"“{STATES[s]}”" for s in next_states(state, model))
        where = f" It can move to {allowed}." if allowed else " It is closed."
        return f"An episode cannot go from “{STATES[state]}” to “{STATES[to_state]}”.{where}"
    if (to_state in REASON_REQUIRED or (state, to_state) in BACKWARD) and not reason.strip():
        return f"Say why the episode moves to “{STATES[to_state]}”."
    return None


# --- Sessions -----------------------------------------------------------------------------

PREPARATION = "preparation"
DOSING = "dosing"
INTEGRATION = "integration"

SESSION_KINDS = {
    PREPARATION: "Preparation session",
    DOSING: "Dosing session",
    INTEGRATION: "Integration session",
}

PLANNED = "planned"
IN_PROGRESS = "in_progress"
DONE = "done"
MISSED = "missed"
CANCELLED = "cancelled"

SESSION_STATUSES = {
    PLANNED: "Planned",
    IN_PROGRESS: "In progress",
    DONE: "Done",
    MISSED: "Missed",
    CANCELLED: "Cancelled",
}

# A dosing session is started (after its gates) before it is done; a preparation or
# integration session is simply recorded as done or missed.
SESSION_TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    # A dose under way is done only when the patient is discharged from its record
    # (`services.complete_dosing_session`, called by the dosing record's discharge).
    DOSING: {
        PLANNED: frozenset({IN_PROGRESS, MISSED, CANCELLED}),
    },
    PREPARATION: {PLANNED: frozenset({DONE, MISSED, CANCELLED})},
    INTEGRATION: {PLANNED: frozenset({DONE, MISSED, CANCELLED})},
}


def session_kinds_for(model: str) -> list[str]:
    """The sessions an episode of `model` has: a standalone infusion only doses."""
    return [PREPARATION, DOSING, INTEGRATION] if is_kap(model) else [DOSING]


def session_transition_problem(kind: str, status: str, to_status: str) -> str | None:
    allowed = SESSION_TRANSITIONS[kind].get(status, frozenset())
    if to_status in allowed:
        return None
    if not allowed:
        return f"This {SESSION_KINDS[kind].lower()} is already {SESSION_STATUSES[status].lower()}."
    return (
        f"A {SESSION_STATUSES[status].lower()} {SESSION_KINDS[kind].lower()} cannot become "
        f"{SESSION_STATUSES[to_status].lower()}."
    )


# --- Therapy sessions around the doses -----------------------------------------------------


def dose_block(
    planned_start: datetime, planned_end: datetime, started_at: datetime | None
) -> tuple[datetime, datetime]:
    """When a dose was given (its start, or its planned start if never started) and when its
    block ended: the planned end, or later by as much as it started late. Gate 4 and the
    overdue-integration list read a dose the same way."""
    given_at = started_at or planned_start
    return given_at, max(planned_end, given_at + (planned_end - planned_start))


def therapy_session_timing_problem(
    kind: str,
    booked_start: datetime,
    held_from: datetime,
    held_until: datetime,
    doses: Iterable[tuple[datetime, datetime]],
) -> tuple[str, datetime] | None:
    """Whether a preparation or integration session held from `held_from` to `held_until`
    falls on the right side of the dose it belongs to; `doses` are the episode's doses as
    (given at, block ended at), cancelled and missed ones left out.

    The dose a session belongs to is found from when it was booked (`booked_start`; for a
    session recorded without a booking, when it was held): an integration session follows
    the last dose given before that time and must start once that dose's block has ended —
    the patient integrates an experience they have had (Dore et al. 2019; gate 4); a
    preparation session prepares the next dose after that time and must end before that
    dose is given. A session with no dose to belong to has nothing to fall before or after.
    Returns None when the session fits, else (what is wrong, the moment it collides with).
    """
    doses = sorted(doses)
    if kind == INTEGRATION:
        before = [dose for dose in doses if dose[0] < booked_start]
        if before and held_from < before[-1][1]:
            return ("before_dose_ended", before[-1][1])
    if kind == PREPARATION:
        after = [dose for dose in doses if dose[0] > booked_start]
        if after and held_until > after[0][0]:
            return ("after_dose_given", after[0][0])
    return None


# --- Diagnosis and preparation --------------------------------------------------------------

_ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")


def normalise_icd10(code: str) -> str:
    """ "f332" and "F33.2 " both become "F33.2" (the dot after the third character)."""
    code = code.strip().upper().replace(" ", "")
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"
    return code


def icd10_code_is_valid(code: str) -> bool:
    """The shape of an ICD-10-CM code (CMS: a letter other than U, a digit, a digit or
    A/B, then up to four characters after the dot). The code itself is not looked up."""
    return bool(_ICD10.match(normalise_icd10(code)))


def preparation_sessions_needed(has_trauma_history: bool, usual: int, with_trauma: int) -> int:
    """Gate 3: the preparation sessions needed before the first dose (Dore et al. 2019: one
    to three; longer preparation after trauma;
    docs/clinical-reference.md#preparation-sessions)."""
    return max(usual, with_trauma) if has_trauma_history else usual
