"""What the fuzzers feed arbitrary text to: parse, build, evaluate, draw; constant and array
values. Importable without atheris, so tests/test_fuzz_regressions.py replays every saved
input through exactly the same code.

Any exception other than BackpropError is a crash.
"""

from __future__ import annotations

import contextlib

import numpy as np

from backprop_cli import limits
from backprop_cli.engine.arrays import infer_shapes
from backprop_cli.engine.evaluate import evaluate
from backprop_cli.engine.trace import Trace
from backprop_cli.errors import BackpropError
from backprop_cli.graph.builder import build
from backprop_cli.inputs.values import parse_value
from backprop_cli.language.parser import parse
from backprop_cli.render.diagram import render_diagram
from backprop_cli.render.dot import render_dot
from backprop_cli.render.mermaid import render_mermaid
from backprop_cli.render.picture import Options, build_picture

# small enough that one input never allocates or computes for long
FUZZ_LIMITS = limits.Limits(array_elements=4096, gates=2000, exact_seconds=2.0)
EVALUATE_MAX_NODES = 300


def run_one(text: str) -> None:
    """Every stage that reads ``text``; only BackpropError may escape any of them."""
    with limits.using(FUZZ_LIMITS):
        program(text)
        with contextlib.suppress(BackpropError):
            parse_value("x", text)  # a number, a constant expression or an array literal


MATRIX = [[0.5, -1.5], [2.0, 1.0]]  # 2 x 2: fits @, .T, reductions, softmax, labels 0..1


def program(text: str) -> None:
    """Parse and build; for a small graph also evaluate (every input 0.5, and with arrays
    every input a 2 x 2 matrix) and draw the traces."""
    try:
        graph = build(parse(text))
    except BackpropError:
        return
    if len(graph) > EVALUATE_MAX_NODES:
        return
    with contextlib.suppress(BackpropError):
        draw(evaluate(graph, dict.fromkeys(graph.inputs, 0.5)))
    if graph.uses_arrays:
        with contextlib.suppress(BackpropError):
            shapes = infer_shapes(graph, dict.fromkeys(graph.inputs, (2, 2)))
            upstream = np.ones(shapes[graph.output]) if shapes[graph.output] else None
            draw(evaluate(graph, dict.fromkeys(graph.inputs, np.array(MATRIX)),
                          upstream=upstream))


def draw(trace: Trace) -> None:
    picture = build_picture(trace, Options(), "")
    render_dot(picture)
    render_mermaid(picture, False)
    render_diagram(picture, 80).plain()


def run_bytes(data: bytes) -> None:
    """The fuzzers' entry: bytes as UTF-8 (invalid sequences replaced); ``@`` file values
    are skipped, since they would read the machine's files."""
    text = data.decode("utf-8", "replace")
    if text.lstrip().startswith("@"):
        with limits.using(FUZZ_LIMITS):
            program(text)
        return
    run_one(text)
