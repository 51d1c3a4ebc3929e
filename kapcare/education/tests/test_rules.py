import pytest

from kapcare.consents import changes
from kapcare.education import rules

AFTER, DAY, PREP = rules.AFTER_CARE, rules.DOSE_DAY, rules.PREPARATION


@pytest.mark.parametrize(
    ("has_dose_ahead", "has_completed_dose", "expected"),
    [
        (False, False, [PREP, DAY]),  # a new patient: what a dose is like, then the day
        (True, False, [DAY, PREP]),  # the first dose booked: the day's practicalities first
        (True, True, [DAY, AFTER]),  # between doses, the next booked
        (False, True, [AFTER]),  # after the last dose booked: after-care and integration
    ],
)
def test_phases_put_the_next_step_first(has_dose_ahead, has_completed_dose, expected):
    assert (
        rules.phases_for(has_dose_ahead=has_dose_ahead, has_completed_dose=has_completed_dose)
        == expected
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("a b c", "a b c", [("same", "a b c")]),
        ("a b c", "a x c", [("same", "a"), ("removed", "b"), ("added", "x"), ("same", "c")]),
        ("a b", "a b c", [("same", "a b"), ("added", "c")]),
        ("a b c", "a c", [("same", "a"), ("removed", "b"), ("same", "c")]),
        ("", "new text", [("added", "new text")]),
        ("a  b\n\nc", "a b c", [("same", "a b c")]),  # whitespace is not a change
    ],
)
def test_word_changes(old, new, expected):
    assert [(c.kind, c.text) for c in changes.word_changes(old, new)] == expected


def test_markdown_marks_are_not_changes():
    result = changes.markdown_word_changes("**Fasting:** 6 hours", "## Fasting: 4 hours")

    assert [(c.kind, c.text) for c in result] == [
        ("same", "Fasting:"),
        ("removed", "6"),
        ("added", "4"),
        ("same", "hours"),
    ]


def test_long_unchanged_runs_are_shortened_around_an_ellipsis():
    words = " ".join(str(n) for n in range(100))

    (same,) = changes.shorten_unchanged([changes.Change("same", words)], keep=3)

    assert same.text == "0 1 2 … 97 98 99"


def test_has_changes():
    assert not changes.has_changes(changes.word_changes("a", "a"))
    assert changes.has_changes(changes.word_changes("a", "b"))
