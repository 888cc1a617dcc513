"""The report of ``backprop check``: one line per answer, right or wrong; text or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from ..analysis.answers import ProblemResult
from ..analysis.expectations import Verdict
from ..numformat import LECTURE, Rounding, format_apart, format_value
from .report import Report, Section

Styler = Callable[[str, bool], str]


def _plain(word: str, right: bool) -> str:
    return word


def _allowed(verdict: Verdict) -> str:
    allowed = verdict.allowed
    if allowed is None:
        return "compared exactly"
    if getattr(allowed, "shape", ()):  # an array: one allowance per element
        return f"allowed difference up to {float(allowed.max()):.1g} per element"
    return f"allowed difference {float(allowed):.1g}"


def _shown(verdict: Verdict, rounding: Rounding) -> tuple[str, str]:
    """Expected and computed as a person reads them; a wrong answer with more digits when
    needed to tell it from the computed value."""
    expected, computed = verdict.expectation.expected, verdict.computed
    if verdict.right:
        return format_value(expected, rounding), format_value(computed, rounding)
    return format_apart(expected, computed, rounding)


def verdict_lines(verdicts: Sequence[Verdict], hide: bool, style: Styler = _plain,
                  indent: str = "", rounding: Rounding = LECTURE) -> list[str]:
    """``right  grad.x  expected -4  computed -4``; with ``hide`` only the verdict and key."""
    width = max((len(v.expectation.key) for v in verdicts), default=0)
    shown = [_shown(v, rounding) for v in verdicts]
    expected = [pair[0] for pair in shown]
    computed = [pair[1] for pair in shown]
    e_width = max((len(text) for text in expected), default=0)
    c_width = max((len(text) for text in computed), default=0)
    lines = []
    for verdict, e_text, c_text in zip(verdicts, expected, computed, strict=True):
        word = style("right" if verdict.right else "wrong", verdict.right)
        key = verdict.expectation.key
        if hide:
            lines.append(f"{indent}{word}  {key}")
        else:
            line = (f"{indent}{word}  {key.ljust(width)}  expected {e_text.ljust(e_width)}  "
                    f"computed {c_text.ljust(c_width)}")
            if not verdict.right:
                line += f"  ({_allowed(verdict)})"
            lines.append(line.rstrip())
        if verdict.hint is not None:
            lines.append(f"{indent}       hint: {verdict.hint.text}")
    return lines


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def summary(results: Sequence[ProblemResult]) -> str:
    """``3 answers: 2 right, 1 wrong``; with problems counted when there are several."""
    answers = sum(len(r.verdicts) for r in results)
    wrong = sum(r.wrong for r in results)
    errors = sum(1 for r in results if r.error is not None)
    text = f"{_count(answers, 'answer')}: {answers - wrong} right, {wrong} wrong"
    if len(results) > 1:
        text = f"{_count(len(results), 'problem')}, {text}"
    wrong_in = [r.problem.name for r in results if r.wrong]
    if len(results) > 1 and wrong_in:
        text += f"; wrong answers in {', '.join(wrong_in)}"
    if errors:
        broken = ", ".join(r.problem.name for r in results if r.error is not None)
        text += (f"; {_count(errors, 'problem')} could not be checked: {broken} (errors on "
                 "standard error)")
    return text


def render_check(results: Sequence[ProblemResult], hide: bool, style: Styler = _plain,
                 headers: bool = False, rounding: Rounding = LECTURE) -> str:
    """The whole report; ``headers`` puts each problem's name above its answers."""
    lines: list[str] = []
    for result in results:
        indent = "  " if headers else ""
        if headers:
            circuit = result.problem.circuit
            source = circuit.path or circuit.name
            title = f"problem {result.problem.name}"
            lines.append(title if source == result.problem.name else f"{title}: {source}")
        if result.error is not None:
            lines.append(f"{indent}{style('error', False)}  {result.error.headline()}")
        lines.extend(verdict_lines(result.verdicts, hide, style, indent, rounding))
    lines.append(summary(results))
    return "\n".join(lines) + "\n"


def check_report(results: Sequence[ProblemResult], hide: bool,
                 rounding: Rounding = LECTURE) -> Report:
    """One row per answer (problem, answer, verdict, expected, computed, allowed), for the
    table, Markdown, LaTeX and flat formats; the summary as the footer."""
    hinted = any(v.hint is not None for result in results for v in result.verdicts)
    headers = ["problem", "answer", "verdict"] + ([] if hide else
                                                  ["expected", "computed", "allowed"])
    headers += ["hint"] if hinted else []
    section = Section("Answers", headers, key="answers",
                      numeric=frozenset() if hide else frozenset({3, 4}),
                      spare=("hint", "allowed", "problem"))
    for result in results:
        for verdict in result.verdicts:
            row = [result.problem.name, verdict.expectation.key,
                   "right" if verdict.right else "wrong"]
            if not hide:
                row += [*_shown(verdict, rounding),
                        "exact" if verdict.allowed is None else _allowed(verdict)]
            if hinted:
                row.append("" if verdict.hint is None else verdict.hint.text)
            section.rows.append(row)
    return Report([section], [summary(results)])


def check_document(results: Sequence[ProblemResult], hide: bool) -> dict[str, Any]:
    """The report as plain data (schema ``backprop-check/1``)."""
    problems = []
    for result in results:
        answers = []
        for verdict in result.verdicts:
            answer: dict[str, Any] = {"key": verdict.expectation.key,
                                      "right": verdict.right,
                                      "hint": None if verdict.hint is None else
                                      {"class": verdict.hint.kind, "text": verdict.hint.text}}
            if not hide:
                answer["expected"] = _number(verdict.expectation.expected)
                answer["computed"] = _number(verdict.computed)
                answer["allowed"] = None if verdict.allowed is None else \
                    _number(verdict.allowed)
            answers.append(answer)
        problems.append({"name": result.problem.name,
                         "error": None if result.error is None else result.error.headline(),
                         "answers": answers})
    wrong = sum(r.wrong for r in results)
    total = sum(len(r.verdicts) for r in results)
    return {"schema": "backprop-check/1", "right": total - wrong, "wrong": wrong,
            "errors": sum(1 for r in results if r.error is not None), "problems": problems}


def _number(value: Any) -> Any:
    """A JSON number (non-finite ones as text); an array as nested lists of them."""
    if getattr(value, "shape", ()):
        return [_number(item) for item in value]
    number = float(value)
    return number if number == number and abs(number) != float("inf") else repr(number)


def render_check_json(results: Sequence[ProblemResult], hide: bool) -> str:
    return json.dumps(check_document(results, hide), indent=2) + "\n"
