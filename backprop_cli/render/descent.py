"""The report of ``backprop step``: one row per update, and the loss before and after."""

from __future__ import annotations

import json
from typing import Any

from ..analysis.descent import Descent
from ..numformat import LECTURE, Rounding, as_float, format_value
from .report import Report, Section


def descent_report(run: Descent, rounding: Rounding = LECTURE) -> Report:
    """Columns: step, loss before, each parameter's gradient, each parameter after, loss
    after."""
    params = list(run.start)
    loss = run.loss
    section = Section(f"Gradient descent on {loss}, lr = {format_value(run.lr, rounding)}",
                      ["step", f"{loss} before", *(f"d{loss}/d{p}" for p in params),
                       *params, f"{loss} after"])
    width = len(section.headers)
    section.numeric = frozenset(range(width))
    section.styles = {1: "green", width - 1: "green"}
    section.styles.update({2 + k: "red" for k in range(len(params))})
    start = ["0", "", *("" for _ in params),
             *(format_value(run.start[p], rounding) for p in params), ""]
    section.rows.append(start)
    for update in run.updates:
        section.rows.append([str(update.step), format_value(update.loss_before, rounding),
                             *(format_value(update.gradients[p], rounding) for p in params),
                             *(format_value(update.params[p], rounding) for p in params),
                             format_value(update.loss_after, rounding)])
    return Report([section], [summary(run, rounding)])


def summary(run: Descent, rounding: Rounding = LECTURE) -> str:
    if not run.updates:
        return "no steps taken"
    first, last = run.updates[0].loss_before, run.updates[-1].loss_after
    steps = len(run.updates)
    trend = "fell" if last < first else "rose" if last > first else "did not change"
    return (f"{run.loss}: {format_value(first, rounding)} -> {format_value(last, rounding)} "
            f"after {steps} step{'s' if steps != 1 else ''} ({trend})")


def _number(value: Any) -> Any:
    """A float, or an array as nested lists of floats."""
    if getattr(value, "ndim", 0):
        return [_number(item) for item in value]
    return as_float(value)


def descent_document(run: Descent) -> dict[str, Any]:
    return {
        "schema": "backprop-step/1", "loss": run.loss, "lr": _number(run.lr),
        "start": {p: _number(v) for p, v in run.start.items()},
        "steps": [{"step": u.step, "loss_before": _number(u.loss_before),
                   "gradients": {p: _number(g) for p, g in u.gradients.items()},
                   "params": {p: _number(v) for p, v in u.params.items()},
                   "loss_after": _number(u.loss_after)} for u in run.updates],
        "params": {p: _number(v) for p, v in run.params.items()},
    }


def render_descent_json(run: Descent) -> str:
    return json.dumps(descent_document(run), indent=2) + "\n"
