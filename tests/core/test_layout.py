"""app.core.layout: whether parts are laid out like the digits of a number."""

import numpy as np
import pytest

from app.core.inference import sure_answers
from app.core.layout import WHOLE_VIEW, layout_problem, several_as_a_whole
from app.core.tasks import NOT_A_DIGIT, SEVERAL_DIGITS


def test_digits_side_by_side_on_a_line_are_a_number():
    assert layout_problem([(0, 10, 40, 100), (60, 5, 50, 110), (130, 15, 45, 95)]) is None


@pytest.mark.parametrize(
    ("boxes", "words"),
    [
        ([(0, 0, 100, 100), (120, 80, 10, 15)], "sizes"),  # a big shape and a small mark beside it
        ([(0, 0, 50, 100), (60, 120, 50, 100)], "line"),  # one below the other's baseline
        ([(0, 0, 200, 200), (50, 50, 60, 100)], "inside"),  # a window inside a house
        ([(0, 0, 80, 100), (20, 10, 80, 90)], "overlap"),  # one over the other
    ],
)
def test_parts_not_laid_out_like_a_number(boxes, words):
    problem = layout_problem(boxes)
    assert problem is not None and words in problem


def outputs(not_a_digit: float, several: float) -> np.ndarray:
    row = np.zeros(12)
    row[NOT_A_DIGIT], row[SEVERAL_DIGITS] = not_a_digit, several
    row[3] = 1 - not_a_digit - several
    return row


def test_the_whole_decides_where_the_model_can_see_it():
    assert several_as_a_whole((0, 0, 200, 100), outputs(0.2, 0.7))
    assert not several_as_a_whole((0, 0, 200, 100), outputs(0.7, 0.2))
    # a long number is a smudge in 28x28: its parts decide
    assert several_as_a_whole((0, 0, int(WHOLE_VIEW * 100) + 1, 100), outputs(0.7, 0.2))


def test_sure_is_the_answers_own_probability():
    rows = np.stack([outputs(0.02, 0.0), outputs(0.3, 0.1), outputs(0.95, 0.0), outputs(0.5, 0.1)])
    # a 3 at 98%; a 3 at 60%; not a digit at 95%; not a digit at 60%
    assert sure_answers(rows, threshold=0.5, sure=0.9).tolist() == [True, False, True, False]
