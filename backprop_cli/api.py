"""The public Python API: compile a circuit, evaluate it, read values and gradients.

    >>> from backprop_cli import run
    >>> trace = run("(x+y)*z", {"x": -2, "y": 5, "z": -4})
    >>> trace.value, trace.gradients
    (-12.0, {'x': -4.0, 'y': -4.0, 'z': 3.0})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .engine import ieee
from .engine.evaluate import evaluate
from .engine.trace import Trace
from .errors import BackpropError
from .gates.arithmetic import FLOAT, Arithmetic
from .gcpause import paused_gc
from .graph.builder import build
from .graph.compiler import compile_text
from .graph.graph import Graph
from .inputs.circuits import Circuit, resolve
from .inputs.values import coerce_value, coerce_values

if TYPE_CHECKING:
    from .language.parser import Definition


def arithmetic_for(exact: bool) -> Arithmetic:
    """Floats, or exact sympy numbers (sympy is imported only then)."""
    if not exact:
        return FLOAT
    from .gates.exact import exact_arithmetic

    return exact_arithmetic()


def compile_program(text: str, output: str | None = None, where: str | None = None,
                    definitions: Sequence[Definition] = ()) -> Graph:
    """Parse and build a program; errors point into ``text``. ``definitions`` are gates
    defined outside the program (a circuit file's gates table)."""
    try:
        with paused_gc():
            graph = None if definitions else compile_text(text)
            if graph is None:  # not the common case, or an error: the reference path
                from .language.parser import parse

                return build(parse(text), output, definitions)
            return graph.with_output(output) if output is not None else graph
    except BackpropError as error:
        raise error.located(text, where) from None


def compile_circuit(circuit: Circuit, output: str | None = None) -> Graph:
    where = f"the program of {circuit.path}" if circuit.path else None
    definitions: Sequence[Definition] = ()
    if circuit.gates:
        from .gates.user_gates import table_definitions

        definitions = table_definitions(circuit.gates, circuit.path or circuit.name)
    return compile_program(circuit.program, output or circuit.output, where, definitions)


def run(source: str | Circuit | Graph, inputs: Mapping[str, Any] | None = None, *,
        exact: bool = False, output: str | None = None, upstream: Any = None,
        seed: int = 0, strict: bool = False) -> Trace:
    """Evaluate a program text, a bundled circuit name, a Circuit or a Graph.

    ``inputs`` values may be numbers or constant expressions as text (``"1/3"``), arrays
    (nested lists, numpy arrays, or text such as ``"[1, -2]"``, ``"@w.npy"``,
    ``"randn(3, 4)"``, drawn with ``seed``); for a circuit they override its default inputs.
    ``upstream`` defaults to the circuit's, or 1 for a scalar output. ``strict`` makes
    overflow, underflow, inf and nan a DomainError instead of a note on the trace (see
    ``backprop_cli.ieee``; ``with ieee.strict(): ...`` does the same for ``evaluate``).
    """
    arithmetic = arithmetic_for(exact)
    circuit = resolve(source) if isinstance(source, str) else source
    if isinstance(circuit, Graph):
        graph, defaults, default_upstream = circuit, {}, None
    else:
        graph = compile_circuit(circuit, output)
        defaults, default_upstream = circuit.inputs, circuit.upstream
    values = coerce_values({**defaults, **(inputs or {})}, arithmetic, seed)
    chosen = upstream if upstream is not None else default_upstream
    gradient_in = None if chosen is None else coerce_value("the upstream gradient", chosen,
                                                           arithmetic, seed)
    if not strict:
        return evaluate(graph, values, arithmetic, gradient_in)
    with ieee.strict():
        return evaluate(graph, values, arithmetic, gradient_in)


def expanded(trace: Trace) -> Trace:
    """The same evaluation with composite gates opened (as ``draw --expand``): the trace's
    inputs and upstream gradient through the expanded graph."""
    from .graph.expand import expand_composites

    graph = trace.graph
    values = {name: trace.values[node] for name, node in graph.inputs.items()}
    return evaluate(expand_composites(graph), values, arithmetic_for(trace.exact),
                    trace.grads[graph.output])
