"""One offline page that steps through a circuit: ``backprop draw SOURCE --format html``.

The page is one file: the tool's own SVG, a style sheet and a script, all inline; it fetches
nothing. The steps are written here, in Python, as JSON: the forward pass gate by gate (the
values each gate puts on its wires), then the backward pass edge by edge in the engine's
order (upstream × local = downstream beside the highlighted wire; a sum where a value feeds
several wires). For the quiz, each scalar gradient carries the numbers the usual mistakes
give (from ``analysis.hints``) with their hints: the script only compares what the student
types with them, as ``backprop check`` would.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from importlib import resources
from typing import Any

from ..analysis.expectations import DEFAULT_ATOL, DEFAULT_RTOL
from ..analysis.hints import Candidate, downstream_mistakes, gradient_mistakes
from ..analysis.walk import DONE, EDGE, START, SUM, Step, backward_steps
from ..engine.trace import Edge, Trace, Value
from ..numformat import LECTURE, Rounding, format_value
from .markup import escape
from .picture import OUTPUT_ID, Picture, copy_id, node_id
from .report import shape_text
from .svg import render_svg

Show = list[tuple[str, str]]  # (wire id, "value" or "grad")


def render_page(trace: Trace, picture: Picture, rounding: Rounding = LECTURE) -> str:
    """The whole page as text."""
    steps = forward_steps(trace, picture, rounding) + \
        backward_page_steps(trace, picture, rounding)
    data = {"title": picture.title, "steps": steps,
            "tolerance": {"atol": DEFAULT_ATOL, "rtol": DEFAULT_RTOL}}
    assets = resources.files(__package__) / "page_assets"
    template = (assets / "page.html").read_text("utf-8")
    filled = {"TITLE": escape(picture.title or "backprop"),
              "STYLE": (assets / "page.css").read_text("utf-8"),
              "SVG": render_svg(replace(picture, title="")),  # the page's heading has it
              "DATA": script_json(data),
              "SCRIPT": (assets / "page.js").read_text("utf-8")}
    for key, text in filled.items():
        template = template.replace("{{" + key + "}}", text)
    return template


def script_json(data: Any) -> str:
    """JSON safe inside a <script> element (no ``</script>``, no ``<!--``)."""
    return json.dumps(data, ensure_ascii=True).replace("<", "\\u003c").replace(">", "\\u003e")


def forward_steps(trace: Trace, picture: Picture, rounding: Rounding) -> list[dict[str, Any]]:
    """The inputs, then one step per gate: the values it puts on its wires."""
    graph = trace.graph
    leaving: dict[str, list[int]] = {}
    for index, wire in enumerate(picture.wires):
        leaving.setdefault(wire.source, []).append(index)
    inputs = [box for box in picture.boxes if box.kind in ("input", "const")]
    show: Show = []
    for box in inputs:
        show += _values(leaving, box.id, box.node)
    steps = [{"phase": "forward", "kind": "inputs", "focus": [box.id for box in inputs],
              "show": show, "lines": [_named(trace, box.node, rounding) for box in inputs]}]
    for box in picture.boxes:
        if box.kind != "gate":
            continue
        node = box.node
        steps.append({"phase": "forward", "kind": "gate", "focus": [box.id],
                      "show": _values(leaving, box.id, node),
                      "lines": [f"{graph.names[node]} = {graph.describe(node)} = "
                                f"{_text(trace.values[node], rounding)}",
                                *_shape_line(trace.values[node])]})
    return steps


def _values(leaving: dict[str, list[int]], box_id: str, node: int) -> Show:
    """The wires that carry a box's value: its own, and those after its copy dot."""
    wires = leaving.get(box_id, []) + leaving.get(copy_id(node), [])
    return [(f"w{index}", "value") for index in wires]


def _named(trace: Trace, node: int, rounding: Rounding) -> str:
    value = trace.values[node]
    return " ".join([f"{trace.graph.names[node]} = {_text(value, rounding)}",
                     *_shape_line(value)])


def backward_page_steps(trace: Trace, picture: Picture,
                        rounding: Rounding) -> list[dict[str, Any]]:
    """The walk of the backward pass, one step per drawn edge (edges to constants have no
    wire, so no step)."""
    wire_of_edge = {wire.edge: index for index, wire in enumerate(picture.wires)
                    if wire.edge >= 0}
    wire_into = {wire.target: index for index, wire in enumerate(picture.wires)}
    edges = enumerate(trace.edges())
    steps: list[dict[str, Any]] = []
    for step in backward_steps(trace):
        if step.kind == EDGE:
            index, edge = next(edges)
            if index in wire_of_edge:
                steps.append(_edge_step(trace, step, edge, index, wire_of_edge[index],
                                        rounding))
        elif step.kind == SUM and copy_id(step.node) in wire_into:
            steps.append(_sum_step(trace, step, wire_into[copy_id(step.node)], rounding))
        elif step.kind == START:
            steps.append(_start_step(trace, step, wire_into[OUTPUT_ID], rounding))
        elif step.kind == DONE:
            steps.append(_done_step(trace, rounding))
    return steps


def _start_step(trace: Trace, step: Step, wire: int, rounding: Rounding) -> dict[str, Any]:
    name = trace.graph.names[step.node]
    return {"phase": "backward", "kind": "start", "wire": f"w{wire}", "focus": [f"w{wire}"],
            "show": [(f"w{wire}", "grad")],
            "lines": [f"the gradient arriving at the output: d{trace.loss_name()}/d{name} = "
                      f"{_text(step.total, rounding)}"]}


def _done_step(trace: Trace, rounding: Rounding) -> dict[str, Any]:
    return {"phase": "backward", "kind": "done", "focus": [], "show": [],
            "lines": [f"d{trace.loss_name()}/d{name} = {_text(grad, rounding)}"
                      for name, grad in trace.gradients.items()]}


def _edge_step(trace: Trace, step: Step, edge: Edge, index: int, wire: int,
               rounding: Rounding) -> dict[str, Any]:
    """Edge ``index`` of the trace: upstream × local = downstream, and the quiz's numbers."""
    graph = trace.graph
    return {"phase": "backward", "kind": "edge", "edge": index, "wire": f"w{wire}",
            "focus": [f"w{wire}", node_id(step.node)], "show": [(f"w{wire}", "grad")],
            "gate": f"{graph.names[step.node]} = {graph.describe(step.node)}",
            "source": graph.names[step.source],
            "question": f"d{trace.loss_name()}/d{graph.names[step.source]} along this wire",
            "formula": step.formula,
            "upstream": _text(step.upstream, rounding),
            "local": "" if step.local is None else _text(step.local, rounding),
            "downstream": _text(step.downstream, rounding),
            "lines": _shape_line(step.downstream),
            "quiz": quiz(step.downstream, partial(downstream_mistakes, trace, edge))}


def _sum_step(trace: Trace, step: Step, wire: int, rounding: Rounding) -> dict[str, Any]:
    name = trace.graph.names[step.node]
    parts = " + ".join(_text(part, rounding) for part in step.parts).replace("+ -", "- ")
    return {"phase": "backward", "kind": "sum", "wire": f"w{wire}",
            "focus": [f"w{wire}", copy_id(step.node)], "show": [(f"w{wire}", "grad")],
            "question": f"d{trace.loss_name()}/d{name}",
            "lines": [f"{name} feeds {len(step.parts)} wires: its gradient is the sum of "
                      f"theirs, {parts} = {_text(step.total, rounding)}",
                      *_shape_line(step.total)],
            "downstream": _text(step.total, rounding),
            "quiz": quiz(step.total, lambda: gradient_mistakes(trace, step.node))}


def quiz(answer: Value, mistakes: Callable[[], list[Candidate]]) -> dict[str, Any] | None:
    """The answer and the usual mistakes as plain numbers; None for an array (not asked)."""
    number = _float(answer)
    if number is None:
        return None
    allowed = DEFAULT_ATOL + DEFAULT_RTOL * abs(number)
    hints = []
    for value, hint in mistakes():
        wrong = _float(value)
        if wrong is not None and abs(wrong - number) > allowed:
            hints.append([wrong, hint.text])
    return {"answer": number, "hints": hints}


def _float(value: Value) -> float | None:
    """A scalar as a finite float; None for an array, a complex or an infinite value."""
    if getattr(value, "shape", ()) != ():
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Value, rounding: Rounding) -> str:
    """A number as the tables show it; an array in full when small, summarised when large."""
    return format_value(value, rounding)


def _shape_line(value: Value) -> list[str]:
    shape = tuple(getattr(value, "shape", ()))
    return [f"(shape {shape_text(shape)})"] if shape else []
