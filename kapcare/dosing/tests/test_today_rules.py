"""The Today board's states (dosing.today.rules), table-driven; no database."""

import datetime as dt

import pytest

from kapcare.dosing.discharge.rules import DischargeSettings, earliest_discharge_at
from kapcare.dosing.today import rules
from kapcare.dosing.today.rules import SessionFacts

NOW = dt.datetime(2030, 1, 8, 16, 0, tzinfo=dt.UTC)
EARLIER = NOW - dt.timedelta(minutes=40)
LATER = NOW + dt.timedelta(minutes=10)


@pytest.mark.parametrize(
    ("facts", "state"),
    [
        (SessionFacts(status="planned"), rules.BOOKED),
        (SessionFacts(status="planned", checked_in_at=EARLIER), rules.CHECKED_IN),
        (SessionFacts(status="in_progress", checked_in_at=EARLIER), rules.STARTED),
        (SessionFacts(status="in_progress", dose_started_at=EARLIER), rules.UNDER_WAY),
        (
            SessionFacts(status="in_progress", dose_started_at=EARLIER, dose_ended_at=LATER),
            rules.UNDER_WAY,
        ),
        (
            SessionFacts(status="in_progress", dose_started_at=EARLIER, dose_ended_at=NOW),
            rules.IN_RECOVERY,
        ),
        (
            SessionFacts(
                status="in_progress", dose_started_at=EARLIER, dose_ended_at=NOW, discharged_at=NOW
            ),
            rules.DISCHARGED,
        ),
        (SessionFacts(status="done"), rules.DISCHARGED),
    ],
)
def test_each_session_has_one_state(facts, state):
    assert rules.board_state(facts, NOW) == state


@pytest.mark.parametrize(
    ("facts", "needs"),
    [
        (SessionFacts(status="done", discharged_at=EARLIER), True),
        (SessionFacts(status="done", discharged_at=EARLIER, signed_at=NOW), False),
        (SessionFacts(status="in_progress", dose_started_at=EARLIER), False),
    ],
)
def test_a_discharged_unsigned_record_needs_a_signature(facts, needs):
    assert rules.needs_signature(facts) is needs


@pytest.mark.parametrize(
    ("earlier", "later", "minutes"),
    [
        (EARLIER, NOW, 40),
        (NOW, NOW, 0),
        (LATER, NOW, 0),  # a clock a little ahead never shows negative minutes
        (NOW - dt.timedelta(seconds=119), NOW, 1),
    ],
)
def test_whole_minutes(earlier, later, minutes):
    assert rules.whole_minutes(earlier, later) == minutes


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (1, "1 minute"),
        (0, "0 minutes"),
        (45, "45 minutes"),
        (60, "1 h 00 min"),
        (125, "2 h 05 min"),
    ],
)
def test_minutes_in_words(minutes, words):
    assert rules.minutes_in_words(minutes) == words


def test_the_earliest_discharge_is_the_observation_time_after_the_dose_ended():
    settings = DischargeSettings(observation_minutes=60, time_zone="America/Chicago")

    ready = earliest_discharge_at(NOW, settings)

    assert ready == NOW + dt.timedelta(minutes=60)
    assert ready.tzinfo is not None
