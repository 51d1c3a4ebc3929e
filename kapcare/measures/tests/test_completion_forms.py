"""The questionnaire form: skip logic, steps and error placement. No database needed."""

import pytest

from kapcare.measures.completion_forms import (
    AnswersForm,
    apply_skip_logic,
    next_item,
    previous_item,
    resume_item,
)
from kapcare.measures.instruments import CSSRS_SCREEN, PHQ9
from kapcare.measures.scoring import AnswerError, IncompleteError

Y, N, _ = True, False, None


@pytest.mark.parametrize(
    ("answers", "kept"),
    [
        ([N, N, Y, Y, Y, N, Y], [N, N, _, _, _, N, _]),  # 3-5 after no to 2; 6b after no to 6
        ([Y, Y, N, Y, N, Y, Y], [Y, Y, N, Y, N, Y, Y]),  # everything asked
        ([N, _, Y, _, _, _, Y], [N, _, _, _, _, _, _]),  # 2 unanswered: 3-5 not asked
    ],
)
def test_cssrs_follow_up_questions_are_left_out_unless_opened(answers, kept):
    assert apply_skip_logic(CSSRS_SCREEN, answers) == kept


@pytest.mark.parametrize(
    ("answers", "after", "expected"),
    [
        ([N, N, _, _, _, _, _], 2, 6),  # no to 2: straight to 6
        ([N, Y, _, _, _, _, _], 2, 3),  # yes to 2: on to 3
        ([N, N, _, _, _, N, _], 6, None),  # no to 6: done
        ([N, N, _, _, _, Y, _], 6, 7),  # yes to 6: 6b
        ([_, _, _, _, _, _, _], None, 1),
    ],
)
def test_next_question_follows_the_cssrs_skip_logic(answers, after, expected):
    assert next_item(CSSRS_SCREEN, answers, after) == expected


def test_back_from_six_skips_the_questions_not_asked():
    assert previous_item(CSSRS_SCREEN, [N, N, _, _, _, _, _], 6) == 2
    assert previous_item(CSSRS_SCREEN, [N, N, _, _, _, N, _], None) == 6
    assert previous_item(PHQ9, [None] * 9, 1) is None


def test_resume_at_the_first_question_asked_and_unanswered():
    assert resume_item(PHQ9, [1, 2, None, 0, None, None, None, None, None]) == 3
    assert resume_item(CSSRS_SCREEN, [N, N, _, _, _, N, _]) is None


def test_form_reads_yes_and_no_and_drops_follow_ups_not_asked():
    data = {"item_1": "yes", "item_2": "no", "item_3": "yes", "item_6": "no"}
    form = AnswersForm(CSSRS_SCREEN, data)

    assert form.is_valid()
    assert form.answers() == [Y, N, _, _, _, N, _]


def test_form_refuses_a_value_that_is_not_an_option_naming_the_question():
    form = AnswersForm(PHQ9, {"item_1": "2", "item_4": "9"})

    assert not form.is_valid()
    assert form.error_numbers() == [4]
    assert "Question 4" in form.errors["item_4"][0]
    assert form.chosen()[:4] == [2, None, None, None]


def test_incomplete_error_is_shown_at_the_top_and_at_each_missing_item():
    form = AnswersForm(PHQ9, {"item_1": "1"})
    assert form.is_valid()

    form.add_answer_error(IncompleteError("PHQ-9 cannot be scored: items 2 and 3", [2, 3]))

    assert form.non_field_errors() == ["PHQ-9 cannot be scored: items 2 and 3"]
    assert form.error_numbers() == [2, 3]


def test_answer_error_is_placed_at_the_item_its_message_names():
    form = AnswersForm(CSSRS_SCREEN, {"item_6": "yes"})
    assert form.is_valid()

    form.add_answer_error(AnswerError("Item 6b must be yes (True) or no (False); got 3."))

    assert form.error_numbers() == [7]
