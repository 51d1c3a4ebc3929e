"""The course of care as pure rules: the edges an episode may take, the reasons some need,
the statuses of a session and the shape of a diagnosis code. No database."""

import datetime as dt

import pytest

from kapcare.episodes import rules

ALLOWED_EDGES = [
    (state, to_state)
    for state, targets in rules.TRANSITIONS.items()
    for to_state in sorted(targets)
]
REFUSED_EDGES = [
    (rules.REFERRED, rules.ELIGIBLE),
    (rules.REFERRED, rules.IN_TREATMENT),
    (rules.SCREENING, rules.CONSENTED),
    (rules.ELIGIBLE, rules.IN_TREATMENT),
    (rules.INELIGIBLE, rules.CONSENTED),
    (rules.PREPARING, rules.FOLLOW_UP),
    (rules.IN_TREATMENT, rules.COMPLETED),
    (rules.IN_TREATMENT, rules.PREPARING),
    (rules.FOLLOW_UP, rules.SCREENING),
    (rules.COMPLETED, rules.IN_TREATMENT),
    (rules.DISCONTINUED, rules.SCREENING),
]


@pytest.mark.parametrize(("state", "to_state"), ALLOWED_EDGES)
def test_every_allowed_edge_passes_with_a_reason(state, to_state):
    assert rules.transition_problem(state, to_state, rules.BLENDED, "As agreed.") is None


@pytest.mark.parametrize(("state", "to_state"), REFUSED_EDGES)
def test_an_edge_not_in_the_table_is_refused_naming_where_it_can_go(state, to_state):
    problem = rules.transition_problem(state, to_state, rules.BLENDED, "As agreed.")

    assert problem is not None
    assert rules.STATES[state] in problem


@pytest.mark.parametrize(
    ("state", "to_state", "needs_reason"),
    [
        (rules.REFERRED, rules.SCREENING, False),
        (rules.SCREENING, rules.ELIGIBLE, False),
        (rules.SCREENING, rules.INELIGIBLE, True),
        (rules.REFERRED, rules.DISCONTINUED, True),
        (rules.IN_TREATMENT, rules.DISCONTINUED, True),
        (rules.ELIGIBLE, rules.SCREENING, True),
        (rules.FOLLOW_UP, rules.IN_TREATMENT, True),
        (rules.FOLLOW_UP, rules.COMPLETED, False),
    ],
)
def test_stopping_care_and_going_back_need_a_reason(state, to_state, needs_reason):
    problem = rules.transition_problem(state, to_state, rules.BLENDED, "  ")

    assert (problem is not None) is needs_reason


def test_a_closed_episode_is_said_to_be_closed():
    problem = rules.transition_problem(rules.COMPLETED, rules.FOLLOW_UP, rules.BLENDED, "")

    assert "It is closed." in problem


def test_moving_to_the_same_state_is_refused():
    assert "already" in rules.transition_problem(
        rules.SCREENING, rules.SCREENING, rules.BLENDED, ""
    )


def test_an_unknown_state_is_refused():
    assert rules.transition_problem(rules.REFERRED, "nowhere", rules.BLENDED, "") is not None


def test_a_standalone_infusion_skips_preparation():
    assert rules.PREPARING not in rules.next_states(rules.CONSENTED, rules.STANDALONE)
    assert rules.PREPARING in rules.next_states(rules.CONSENTED, rules.BRACKETED)


def test_next_states_follow_the_order_of_the_course():
    assert rules.next_states(rules.CONSENTED, rules.BLENDED) == [
        rules.SCREENING,
        rules.PREPARING,
        rules.IN_TREATMENT,
        rules.DISCONTINUED,
    ]


@pytest.mark.parametrize(
    ("kind", "status", "to_status", "allowed"),
    [
        (rules.PREPARATION, rules.PLANNED, rules.DONE, True),
        (rules.PREPARATION, rules.PLANNED, rules.MISSED, True),
        (rules.INTEGRATION, rules.PLANNED, rules.CANCELLED, True),
        (rules.INTEGRATION, rules.DONE, rules.MISSED, False),
        (rules.DOSING, rules.PLANNED, rules.DONE, False),
        (rules.DOSING, rules.PLANNED, rules.IN_PROGRESS, True),
        (rules.DOSING, rules.PLANNED, rules.CANCELLED, True),
        # Done only by the discharge (services.complete_dosing_session).
        (rules.DOSING, rules.IN_PROGRESS, rules.DONE, False),
        (rules.DOSING, rules.IN_PROGRESS, rules.CANCELLED, False),
        (rules.DOSING, rules.CANCELLED, rules.PLANNED, False),
    ],
)
def test_session_statuses_move_only_along_their_edges(kind, status, to_status, allowed):
    problem = rules.session_transition_problem(kind, status, to_status)

    assert (problem is None) is allowed


def test_a_standalone_infusion_has_only_dosing_sessions():
    assert rules.session_kinds_for(rules.STANDALONE) == [rules.DOSING]
    assert rules.session_kinds_for(rules.IN_SESSION) == [
        rules.PREPARATION,
        rules.DOSING,
        rules.INTEGRATION,
    ]


@pytest.mark.parametrize(
    ("code", "normalised", "valid"),
    [
        ("F33.2", "F33.2", True),
        ("f332", "F33.2", True),
        (" F43.10 ", "F43.10", True),
        ("F32", "F32", True),
        ("F3", "F3", False),
        ("U07.1", "U07.1", False),
        ("33.2", "33.2", False),
        ("F33.23456", "F33.23456", False),
    ],
)
def test_diagnosis_codes_are_normalised_and_checked_for_shape(code, normalised, valid):
    assert rules.normalise_icd10(code) == normalised
    assert rules.icd10_code_is_valid(code) is valid


@pytest.mark.parametrize(
    ("trauma", "needed"),
    [(False, 1), (True, 2)],
)
def test_a_trauma_history_asks_for_longer_preparation(trauma, needed):
    assert rules.preparation_sessions_needed(trauma, usual=1, with_trauma=2) == needed


# --- Therapy sessions around the doses ------------------------------------------------------

T0 = dt.datetime(2030, 1, 7, 15, 0, tzinfo=dt.UTC)  # an arbitrary moment; no clock is read
HOUR = dt.timedelta(hours=1)
DOSES = [(T0, T0 + 2 * HOUR), (T0 + 72 * HOUR, T0 + 74 * HOUR)]


@pytest.mark.parametrize(
    ("kind", "booked", "held_from", "held_until", "expected"),
    [
        # An integration session follows the last dose before its booking.
        ("integration", T0 + 24 * HOUR, T0 + 24 * HOUR, T0 + 25 * HOUR, None),
        ("integration", T0 + 24 * HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR, None),
        (
            "integration",
            T0 + 24 * HOUR,
            T0 + HOUR,
            T0 + 2 * HOUR,
            ("before_dose_ended", T0 + 2 * HOUR),
        ),
        ("integration", T0 + 24 * HOUR, T0 - HOUR, T0, ("before_dose_ended", T0 + 2 * HOUR)),
        (
            "integration",
            T0 + 80 * HOUR,
            T0 + 30 * HOUR,
            T0 + 31 * HOUR,
            ("before_dose_ended", T0 + 74 * HOUR),
        ),
        # Booked before any dose: nothing to follow.
        ("integration", T0 - HOUR, T0 - HOUR, T0, None),
        # A preparation session prepares the next dose after its booking.
        ("preparation", T0 - 24 * HOUR, T0 - 24 * HOUR, T0 - 23 * HOUR, None),
        ("preparation", T0 - 24 * HOUR, T0 - HOUR, T0, None),
        ("preparation", T0 - 24 * HOUR, T0 - HOUR, T0 + HOUR, ("after_dose_given", T0)),
        (
            "preparation",
            T0 + 24 * HOUR,
            T0 + 73 * HOUR,
            T0 + 74 * HOUR,
            ("after_dose_given", T0 + 72 * HOUR),
        ),
        # Booked after the last dose: nothing to prepare.
        ("preparation", T0 + 80 * HOUR, T0 + 90 * HOUR, T0 + 91 * HOUR, None),
        ("dosing", T0, T0, T0 + HOUR, None),
    ],
)
def test_a_therapy_session_falls_on_its_side_of_the_dose_it_belongs_to(
    kind, booked, held_from, held_until, expected
):
    assert (
        rules.therapy_session_timing_problem(kind, booked, held_from, held_until, DOSES) == expected
    )


@pytest.mark.parametrize(
    ("started_at", "expected"),
    [
        (None, (T0, T0 + 2 * HOUR)),
        (T0 - HOUR, (T0 - HOUR, T0 + 2 * HOUR)),  # early: the block still ends as planned
        (T0 + HOUR, (T0 + HOUR, T0 + 3 * HOUR)),  # late by an hour: ends an hour late
    ],
)
def test_a_dose_block_ends_as_planned_or_as_late_as_it_started(started_at, expected):
    assert rules.dose_block(T0, T0 + 2 * HOUR, started_at) == expected
