"""The queue's transition table, checked pair by pair. Pure: no database."""

import itertools

import pytest

from kapcare.intake import rules
from kapcare.intake.rules import CONTACTED, CONVERTED, DECLINED, NEW, SCHEDULED

STATUSES = [NEW, CONTACTED, SCHEDULED, CONVERTED, DECLINED]

# Every pair (from, to) the queue allows; every other pair is refused.
ALLOWED = {
    (NEW, CONTACTED),
    (NEW, SCHEDULED),
    (NEW, DECLINED),
    (NEW, CONVERTED),
    (CONTACTED, SCHEDULED),
    (CONTACTED, DECLINED),
    (CONTACTED, CONVERTED),
    (SCHEDULED, CONTACTED),
    (SCHEDULED, DECLINED),
    (SCHEDULED, CONVERTED),
    (DECLINED, NEW),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(STATUSES, STATUSES)))
def test_each_pair_of_statuses_is_allowed_only_when_the_table_says_so(current, target):
    assert rules.can_move(current, target) is ((current, target) in ALLOWED)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(STATUSES, STATUSES)))
def test_can_move_agrees_with_allowed_transitions(current, target):
    assert rules.can_move(current, target) is (target in rules.ALLOWED_TRANSITIONS[current])


def test_every_status_has_a_row_in_the_table():
    assert set(rules.ALLOWED_TRANSITIONS) == set(STATUSES)


def test_no_status_moves_to_itself():
    assert not any(rules.can_move(status, status) for status in STATUSES)


def test_an_unknown_status_moves_nowhere():
    assert not rules.can_move("lost", NEW)
    assert rules.manual_targets("lost") == []


@pytest.mark.parametrize(
    ("current", "targets"),
    [
        (NEW, [CONTACTED, SCHEDULED, DECLINED]),
        (CONTACTED, [SCHEDULED, DECLINED]),
        (SCHEDULED, [CONTACTED, DECLINED]),
        (DECLINED, [NEW]),
        (CONVERTED, []),
    ],
)
def test_manual_targets_never_offer_conversion(current, targets):
    assert rules.manual_targets(current) == targets


@pytest.mark.parametrize(
    ("recent_count", "limit", "limited"),
    [(0, 5, False), (4, 5, False), (5, 5, True), (6, 5, True), (0, 0, True)],
)
def test_an_address_is_limited_once_it_reaches_the_hourly_limit(recent_count, limit, limited):
    assert rules.is_rate_limited(recent_count, limit) is limited


@pytest.mark.parametrize(
    ("phone", "is_fine"),
    [
        ("615-555-0142", True),
        ("(615) 555 0142", True),
        ("+1 615.555.0142", True),
        ("555-0142", True),
        ("615-555-0142 x12", True),
        ("555-014", False),
        ("call me", False),
        ("1234567890123456", False),
        ("615-555-0142; DROP", False),
    ],
)
def test_phone_problem_accepts_numbers_people_type(phone, is_fine):
    assert (rules.phone_problem(phone) is None) is is_fine
