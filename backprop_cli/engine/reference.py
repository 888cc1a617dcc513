"""The reference loop: forward and backward passes over a graph of numbers -> Trace.

Forward walks the nodes in order, backward in reverse order; gradients accumulate with
``+=`` so fan-out (the copy gate) sums. Both loops are iterative, so depth is no limit.
This is the chain rule every other engine (the tape, arrays, batch) is tested against
(docs/architecture.md says which test ties each to it). It runs in any ``Arithmetic``:
floats, or exact numbers for ``--exact``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from ..errors import DomainError, InputError, Undecided
from ..gates.arithmetic import FLOAT, Arithmetic, with_user_gates
from ..gates.kinks import KINKS, kink_locals, warns
from ..gates.registry import GATES
from ..gates.table import GATES_BY_NAME as TABLE
from ..graph.graph import CONST, INPUT, Graph
from ..numformat import format_value
from .ieee import (
    forward_notes,
    gradient_notes,
    ieee_value,
    is_strict,
    node_error,
    refuse_forward,
    underflow_hint,
)
from .trace import Note, Trace, Value

_NUMERIC_ERRORS = (ArithmeticError, ValueError)


def check_inputs(graph: Graph, inputs: Mapping[str, Value]) -> None:
    """Every input of the graph must be given a value, and nothing else."""
    missing = [name for name in graph.inputs if name not in inputs]
    if missing:
        listed = ", ".join(missing)
        plural = "s" if len(missing) > 1 else ""
        raise InputError(f"missing value{plural} for input{plural} {listed} "
                         f"(give them as {missing[0]}=VALUE)")
    unknown = [name for name in inputs if name not in graph.inputs]
    if unknown:
        known = ", ".join(graph.inputs) or "none"
        raise InputError(f"unknown input {unknown[0]!r}: the circuit's inputs are {known}")


def literal_of(graph: Graph, node: int, literal: Callable[[str], Value]) -> Value:
    """A constant node's value; a literal beyond the largest double (1e400) is the located
    error the scalar engine gives, in every engine."""
    try:
        return literal(graph.literals[node])
    except OverflowError as error:
        raise domain_error(graph, [], node, error) from None


def forward(graph: Graph, inputs: Mapping[str, Value],
            arithmetic: Arithmetic = FLOAT) -> list[Value]:
    """Every node's value, in forward order.

    In floating point, overflow and what follows from it take IEEE-754 values (strict mode:
    an error); exact values must be finite.
    """
    check_inputs(graph, inputs)
    arithmetic = with_user_gates(arithmetic, graph)
    values: list[Value] = [arithmetic.zero] * len(graph)
    forwards, literal = arithmetic.forwards, arithmetic.literal
    names, gates, args, literals = graph.names, graph.gates, graph.args, graph.literals
    node = start = 0
    while start < len(gates):  # the loop resumes after a node that IEEE arithmetic settled
        try:
            for node in range(start, len(gates)):
                gate = gates[node]
                if gate == INPUT:
                    values[node] = inputs[names[node]]
                elif gate == CONST:
                    values[node] = literal(literals[node])
                else:
                    values[node] = forwards[gate](*[values[a] for a in args[node]])
            break
        except _NUMERIC_ERRORS as error:
            values[node] = _ieee_result(graph, values, node, error, arithmetic)
            start = node + 1
    if arithmetic.exact:
        refuse_non_finite(graph, values, arithmetic)
    elif is_strict():
        refuse_forward(graph, values)
    return values


def refuse_non_finite(graph: Graph, values: list[Value], arithmetic: Arithmetic = FLOAT) -> None:
    """A value that is not finite is an error (exact mode, and constant input values)."""
    if not all(map(arithmetic.is_finite, values)):
        bad = next(i for i, v in enumerate(values) if not arithmetic.is_finite(v))
        raise domain_error(graph, values, bad, None)


def _ieee_result(graph: Graph, values: list[Value], node: int, error: BaseException,
            arithmetic: Arithmetic, position: int | None = None) -> float:
    """The IEEE-754 result where a math function raised: for overflow (exp(1000)), or an
    operand already inf or nan. Operations without a real value (log(0), x / 0), exact
    mode and strict mode raise a DomainError instead."""
    gate = graph.gates[node]
    what = "value" if position is None else "local gradient"
    if arithmetic.exact or gate in (INPUT, CONST):
        raise domain_error(graph, values, node, error, what) from None
    operands = [values[a] for a in graph.args[node]]
    finite = all(map(math.isfinite, operands))
    if finite and position is None and not isinstance(error, OverflowError):
        raise domain_error(graph, values, node, error, what) from None
    if finite and position is not None and \
            local_undefined(graph, gate, operands, position, values[node], error):
        raise domain_error(graph, values, node, ValueError(), what) from None
    result = ieee_value(graph, gate, operands, position, values[node])
    if is_strict() and not math.isfinite(result):
        if not finite:  # an operand overflowed without an exception (1e308 * 10)
            refuse_forward(graph, values[:node])
        raise node_error(graph, values, node, f"overflow: the {what} is {format_value(result)}",
                         "; --strict refuses it")
    return result


def _undecided(graph: Graph, values: list[Value], node: int) -> DomainError:
    """Exact mode at a gate's kink test that sympy cannot decide: 0 ** tanh(10**308), whose
    exponent is below 1 by less than any precision sympy tries."""
    return domain_error(graph, values, node, None, cause=(
        f"exact arithmetic cannot tell on which side of its kink {graph.gates[node]} is "
        "(sympy cannot decide how an operand compares; evaluate without --exact)"))


def local_undefined(graph: Graph, gate: str, operands: Sequence[float], position: int,
                    out: float, error: BaseException | None = None) -> bool:
    """Whether a local gradient that failed at finite operands has no real value (a domain
    error: d/db of a ** b for a < 0, a log of a negative number in a user gate's formula)
    rather than an overflow inside its formula (IEEE-754 carries on: softplus' at 1000 is
    exp(t) / (1 + exp(t)) = inf / inf). ``error``: what the math module raised, if known."""
    if gate == "pow" and position == 1 and operands[0] < 0:
        return True
    if error is None:
        partial = graph.user_gates[gate].functions(FLOAT)[1][position] \
            if gate in graph.user_gates else GATES[gate].partials[position]
        try:
            partial(*operands, out)
        except _NUMERIC_ERRORS as raised:
            error = raised
        else:
            return False
    return not isinstance(error, OverflowError)


def undefined_reason(gate: str, operands: list[Value], what: str) -> str | None:
    """Why a gate has no real value at these operands, when its row can say."""
    row = TABLE.get(gate)
    if row is None or row.undefined is None:
        return None
    return row.undefined(operands, what)


def domain_error(graph: Graph, values: list[Value], node: int, error: BaseException | None,
                 what: str = "value", cause: str | None = None) -> DomainError:
    """Name the node, its gate and its input values (``cause``: why, when not from error)."""
    described = graph.describe(node)
    operands = ", ".join(f"{graph.names[a]} = {format_value(values[a])}"
                         for a in graph.args[node] if graph.gates[a] != CONST)
    if cause is None:
        cause = _why(graph, values, node, error, what)
    message = f"{cause} at node {graph.names[node]} = {described}"
    if operands:
        message += f" (with {operands})"
    if error is not None:
        message += underflow_hint(graph, values, graph.args[node])
    return DomainError(message, source=graph.source, span=graph.span(node))


def _why(graph: Graph, values: list[Value], node: int, error: BaseException | None,
         what: str) -> str:
    if error is None:
        return f"overflow: the {what} is {format_value(values[node])}"
    operand_values = [values[a] for a in graph.args[node]]
    undefined = None if isinstance(error, OverflowError) else \
        undefined_reason(graph.gates[node], operand_values, what)
    return undefined or _cause(error, graph.gates[node], what)


def _cause(error: BaseException, gate: str, what: str) -> str:
    if isinstance(error, Undecided):
        return (f"exact arithmetic cannot tell which way {gate} chooses here (sympy cannot "
                "decide a comparison of its operands; evaluate without --exact)")
    if isinstance(error, ZeroDivisionError):
        return "division by zero" + ("" if what == "value" else f" in the {what}")
    if isinstance(error, OverflowError):
        return str(error) if gate == CONST else f"overflow: the {what} is too large for a double"
    return f"the {what} of {gate} is undefined here"


def needed_nodes(graph: Graph) -> list[bool]:
    """Which nodes the output depends on through inputs (so they need a gradient)."""
    needed = [False] * len(graph)
    needed[graph.output] = graph.requires_grad[graph.output]
    requires, args = graph.requires_grad, graph.args
    for node in range(graph.output, -1, -1):
        if needed[node]:
            for a in args[node]:
                if requires[a]:
                    needed[a] = True
    return needed


def backward(graph: Graph, values: list[Value], arithmetic: Arithmetic = FLOAT,
             upstream: Value = None) -> Trace:
    """Gradients of the output with respect to every node, edge by edge.

    ``upstream`` is the gradient arriving at the output (default 1).
    """
    arithmetic = with_user_gates(arithmetic, graph)
    trace = Trace(graph, values, [arithmetic.zero] * len(graph), exact=arithmetic.exact)
    grads = trace.grads
    grads[graph.output] = arithmetic.one if upstream is None else upstream
    needed = needed_nodes(graph)
    partials = arithmetic.partials
    requires, args, gates = graph.requires_grad, graph.args, graph.gates
    edge_nodes, edge_positions = trace.edge_nodes, trace.edge_positions
    edge_locals, edge_downstreams = trace.edge_locals, trace.edge_downstreams
    node = start = graph.output
    position = 0
    while start >= 0:  # the loop resumes after a node whose local gradient IEEE settled
        try:
            for node in range(start, -1, -1):
                if not needed[node] or not args[node]:
                    continue
                gate = gates[node]
                upstream = grads[node]
                operands = [values[a] for a in args[node]]
                special = noted_kink_locals(trace, node, operands, arithmetic) \
                    if gate in KINKS else None
                for position, source in enumerate(args[node]):
                    if not requires[source]:
                        continue
                    local = special[position] if special is not None else \
                        partials[gate][position](*operands, values[node])
                    downstream = upstream * local
                    grads[source] += downstream
                    edge_nodes.append(node)
                    edge_positions.append(position)
                    edge_locals.append(local)
                    edge_downstreams.append(downstream)
            break
        except _NUMERIC_ERRORS as error:
            _finish_node(trace, node, position, error, arithmetic)
            start = node - 1
        except TypeError:  # sympy's "cannot determine truth value of Relational"
            if not arithmetic.exact:
                raise
            raise _undecided(graph, values, node) from None
    note_unused_inputs(trace, needed)
    if arithmetic.exact:
        _note_non_finite(trace, arithmetic)
    else:
        trace.notes[:0] = forward_notes(graph, values)
        gradient_notes(trace)
    return trace


def _finish_node(trace: Trace, node: int, first: int, error: BaseException,
                 arithmetic: Arithmetic) -> None:
    """The edges of ``node`` from operand ``first`` on, after its local gradient raised
    ``error`` there: each failing local gradient takes its IEEE-754 value, or raises."""
    graph, values, grads = trace.graph, trace.values, trace.grads
    operands = [values[a] for a in graph.args[node]]
    partials = arithmetic.partials[graph.gates[node]]
    for position in range(first, len(operands)):
        source = graph.args[node][position]
        if not graph.requires_grad[source]:
            continue
        try:
            local = partials[position](*operands, values[node])
        except _NUMERIC_ERRORS as failure:
            local = _ieee_result(graph, values, node, failure, arithmetic, position)
        downstream = grads[node] * local
        grads[source] += downstream
        trace.edge_nodes.append(node)
        trace.edge_positions.append(position)
        trace.edge_locals.append(local)
        trace.edge_downstreams.append(downstream)


def noted_kink_locals(trace: Trace, node: int, operands: list[Value],
          arithmetic: Arithmetic) -> tuple[Value, ...] | None:
    gate = trace.graph.gates[node]
    if not KINKS[gate].hits(operands):  # infinity is made only for a kink (exact: sympy's)
        return None
    special = kink_locals(gate, operands, arithmetic.half, arithmetic.inf)
    needed = [trace.graph.requires_grad[a] for a in trace.graph.args[node]]
    if special is not None and warns(gate, operands, needed):
        kink = KINKS[gate]
        trace.notes.append(Note(node, f"{gate} is not differentiable at {kink.where}; "
                                      f"using {kink.convention}, as PyTorch does"))
    return special


def note_unused_inputs(trace: Trace, needed: list[bool]) -> None:
    requires = trace.graph.requires_grad
    for name, node in trace.graph.inputs.items():
        if not needed[node] and requires[node]:
            trace.notes.append(Note(node, f"input {name} does not affect the output; "
                                          "its gradient is 0"))


def _note_non_finite(trace: Trace, arithmetic: Arithmetic) -> None:
    for node, grad in enumerate(trace.grads):
        if not arithmetic.is_finite(grad):
            trace.notes.append(Note(node, f"the gradient at {trace.graph.names[node]} "
                                          f"is {grad!r}"))
