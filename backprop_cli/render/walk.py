"""The backward walk as sentences, e.g. ``mul q*z → q: upstream 1 × local z = -4 →
downstream df/dq = -4``; and as JSON records. A gradient is named at the step that
completes it, never before."""

from __future__ import annotations

from typing import Any

from ..analysis.walk import DONE, EDGE, START, SUM, Step
from ..engine.trace import Trace, Value
from ..numformat import LECTURE, Rounding, as_float, format_value


def _operand(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def step_sentence(trace: Trace, step: Step, rounding: Rounding = LECTURE) -> str:
    """One step as a sentence with its numbers."""
    graph = trace.graph

    def number(value: Value) -> str:
        return format_value(value, rounding)

    out = graph.names[graph.output]
    loss = trace.loss_name()
    if step.kind == START:
        value = number(trace.values[step.node])
        if not getattr(step.total, "ndim", 0) and step.total == 1:
            return f"start at the output {out} = {value}: d{out}/d{out} = 1"
        return (f"start at the output {out} = {value}: the upstream gradient "
                f"{number(step.total)} arrives")
    if step.kind == EDGE:
        gate = graph.gates[step.node]
        source = graph.names[step.source]
        head = (f"{gate} {graph.describe(step.node).replace(' ', '')} → "
                f"{source}: upstream {number(step.upstream)}")
        if step.local is None:  # a structural array gate: its rule names dL/dsource
            return f"{head}; {step.formula} → downstream {number(step.downstream)}"
        local = number(step.local)
        if step.formula != local:
            local = f"{step.formula} = {local}"
        downstream = f"d{loss}/d{source} = {number(step.total)}" if step.completes else \
            number(step.downstream)  # a part of the gradient, summed at a later step
        return f"{head} × local {local} → downstream {downstream}"
    if step.kind == SUM:
        name = graph.names[step.node]
        parts = " + ".join(_operand(number(part)) for part in step.parts)
        return (f"{name} is used {len(step.parts)} times: its gradient d{loss}/d{name} is "
                f"the sum {parts} = {number(step.total)}")
    assert step.kind == DONE
    grads = ", ".join(f"d{loss}/d{name} = {number(grad)}"
                      for name, grad in zip(graph.inputs, step.parts, strict=True))
    return f"done: {grads}" if grads else "done: the circuit has no inputs"


def step_lines(trace: Trace, steps: list[Step], rounding: Rounding = LECTURE) -> list[str]:
    """Numbered sentences: ``1. start at ...``."""
    width = len(str(len(steps)))
    return [f"{str(index).rjust(width)}. {step_sentence(trace, step, rounding)}"
            for index, step in enumerate(steps, start=1)]


def _plain(value: Value) -> Any:
    """A float (None stays None), or an array as nested lists of floats."""
    if value is None:
        return None
    if getattr(value, "ndim", 0):
        return [_plain(item) for item in value]
    return as_float(value)


def step_records(trace: Trace, steps: list[Step]) -> list[dict[str, Any]]:
    """The steps as plain data for JSON (numbers as floats, names as text)."""
    names = trace.graph.names
    records = []
    for step in steps:
        record: dict[str, Any] = {"kind": step.kind, "text": step_sentence(trace, step)}
        if step.kind == EDGE:
            record.update(node=names[step.node], input=names[step.source],
                          upstream=_plain(step.upstream), local_formula=step.formula,
                          local=_plain(step.local), downstream=_plain(step.downstream))
            if step.completes:
                record["gradient"] = _plain(step.total)
        elif step.kind in (SUM, START):
            record.update(node=names[step.node], gradient=_plain(step.total))
            if step.kind == SUM:
                record["parts"] = [_plain(part) for part in step.parts]
        records.append(record)
    return records
