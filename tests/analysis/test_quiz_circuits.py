"""The quiz generator: every question resolves, in backward order, away from kinks."""

from __future__ import annotations

import tomllib

import pytest

from backprop_cli import run
from backprop_cli.analysis.answers import Problem, check_problem
from backprop_cli.analysis.expectations import Tolerance
from backprop_cli.analysis.quiz import LEVELS, make_quiz


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("seed", range(8))
def test_every_question_is_answerable_and_the_point_is_clean(level: int, seed: int) -> None:
    quiz = make_quiz(level, seed)
    assert quiz == make_quiz(level, seed)
    trace = run(quiz.circuit())
    assert trace.notes == []  # no kink, no tie at max, nothing to warn about
    out = trace.graph.names[trace.output]
    assert all(question.startswith(f"d{out}/d") for question in quiz.questions)
    inputs = set(tomllib.loads(quiz.text)["inputs"])
    assert inputs <= {question.split("/d")[-1] for question in quiz.questions}
    problem = Problem(name="q", circuit=quiz.circuit(),
                      expect=[(question, "12345") for question in quiz.questions])
    result = check_problem(problem, Tolerance())
    assert result.error is None and len(result.verdicts) == len(quiz.questions)


def test_questions_come_in_backward_order() -> None:
    """Level 1: the output's operands first, the inputs of q after q."""
    quiz = make_quiz(1, 0)
    assert quiz.questions.index("df/dq") < quiz.questions.index("df/dx")
    assert quiz.questions.index("df/dq") < quiz.questions.index("df/dy")
    assert set(quiz.questions) == {"df/dq", "df/dx", "df/dy", "df/dz"}
