"""The report of ``backprop gradcheck``: a table of inputs, notes, a verdict line; or JSON."""

from __future__ import annotations

import math
from typing import Any

from ..analysis.gradcheck import GradCheck
from ..numformat import LECTURE, Rounding, format_value
from .report import Report, Section


def _error(value: float) -> str:
    return f"{value:.1e}" if math.isfinite(value) else repr(value)


def gradcheck_report(result: GradCheck, rounding: Rounding = LECTURE) -> Report:
    """The table (input, analytic, numerical, relative error, verdict) and the notes."""
    title = f"Gradient check of {result.output}: central differences, h = {result.h:g}"
    if getattr(result.upstream, "ndim", 0):
        title = (f"Gradient check of L = sum(upstream * {result.output}): central "
                 f"differences, h = {result.h:g}")
    elif result.upstream != 1:
        title += f", upstream {format_value(result.upstream, rounding)}"
    section = Section(title, ["input", "analytic", "numerical", "relative error", "verdict"],
                      numeric=frozenset({1, 2, 3}), styles={1: "red", 2: "red"}, key="inputs")
    footer = []
    for item in result.inputs:
        section.rows.append([item.name, format_value(item.analytic, rounding),
                             format_value(item.numerical, rounding),
                             _error(item.relative_error), item.verdict])
        for kink in item.kinks:
            footer.append(f"{item.name}: the step crosses the kink of {kink}; the "
                          "numerical gradient is unreliable there (not counted as a failure)")
        if item.note:
            footer.append(f"{item.name}: {item.note}")
    if result.skipped:
        footer.append(f"not checked: {', '.join(result.skipped)} (no gradient: labels, or "
                      "held with --no-grad)")
    footer.append(summary(result))
    return Report([section], footer)


def _inputs(count: int) -> str:
    return f"{count} input{'' if count == 1 else 's'}"


def summary(result: GradCheck) -> str:
    """One line: passed or FAILED, which inputs, the largest relative error."""
    failed = [item.name for item in result.inputs if not item.passed]
    limit = f"threshold {result.threshold:.0e}"
    if failed:
        return (f"FAILED: {', '.join(failed)} ({len(failed)} of {_inputs(len(result.inputs))}"
                f" above the {limit}; largest relative error {_error(result.worst)})")
    checked = len(result.inputs) - result.kinked - result.explained - result.not_checkable
    everything = not result.kinked and not result.explained and checked > 1
    text = (f"passed: {'all ' if everything else ''}{_inputs(checked)} "
            f"agree{'s' if checked == 1 else ''} (largest relative error "
            f"{_error(result.worst)}, {limit})") if checked or result.explained else \
        "passed: no input disagrees, but none could be compared either"
    if result.explained:
        text += (f"; {_inputs(result.explained)} within the error of the difference "
                 "quotient itself")
    if result.kinked:
        text += f"; {_inputs(result.kinked)} not checked: the step crosses a kink"
    if result.not_checkable:
        text += (f"; {_inputs(result.not_checkable)} not checkable: no step gives a "
                 "trustworthy difference quotient")
    return text


def gradcheck_document(result: GradCheck) -> dict[str, Any]:
    def number(value: float) -> float | str:
        return value if math.isfinite(value) else repr(value)

    return {
        "schema": "backprop-gradcheck/1", "output": result.output,
        "value": number(result.value), "upstream": _plain(result.upstream), "h": result.h,
        "threshold": result.threshold, "passed": result.passed,
        "inputs": [{"name": item.name, "analytic": number(item.analytic),
                    "numerical": number(item.numerical),
                    "relative_error": number(item.relative_error), "verdict": item.verdict,
                    "passed": item.passed, "kinks": list(item.kinks), "note": item.note}
                   for item in result.inputs],
        "skipped": list(result.skipped),
    }


def _plain(value: Any) -> Any:
    """A number, or an array as nested lists (non-finite numbers as text)."""
    if getattr(value, "ndim", 0):
        return [_plain(item) for item in value]
    number = float(value)
    return number if math.isfinite(number) else repr(number)


def render_gradcheck_json(result: GradCheck) -> str:
    import json  # only for --format json

    return json.dumps(gradcheck_document(result), indent=2) + "\n"
