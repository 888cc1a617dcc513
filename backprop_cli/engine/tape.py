"""The float engine's fast path: a graph compiled once into a tape, run by generated loops.

A tape is the graph's gate nodes as flat lists -- an op code, the node, its operands --
with every literal parsed once into the initial values. ``_tapeloops.py`` (generated from
the sympy derivatives by ``tapegen``) runs it: forward in node order; backward over the
nodes the output needs, in reverse, accumulating only ``grads``. The edges (each one's local
and downstream gradient) are not recorded on the way; ``edge_lists`` works them out when a
renderer asks, with the same functions, so they are the same doubles.

The engine uses a tape for float arithmetic and built-in gates only, and only while nothing
raises: an exception (a domain error, an overflow the math module reports) sends the whole
pass back to the reference loop in ``engine``, which settles or reports it. Tapes are cached
on the graph, keyed by the lists they were compiled from.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import and_, itemgetter, not_
from typing import Any

from ..gates.registry import CONSTANT_VALUES
from ..graph.graph import CONST, INPUT, Graph
from . import _tapeloops as loops

_FIRST, _LAST = itemgetter(0), itemgetter(-1)
_BOTH = {name: codes[0] for name, codes in loops.BACKWARD_CODES.items()}
_VARIANTS = frozenset(name for name, codes in loops.BACKWARD_CODES.items()
                      if len(set(codes)) > 1)  # a code per operand that needs a gradient


@dataclass
class ForwardTape:
    """The gate nodes in order: ``code[i]`` computes node ``out[i]`` from ``xa[i]`` (and
    ``xb[i]``); ``initial`` holds the literals' values; ``inputs`` is (node, name)."""

    gates: list[str]
    args: list[tuple[int, ...]]
    initial: list[float]
    inputs: list[tuple[int, str]]
    code: list[int]
    out: list[int]
    xa: list[int]
    xb: list[int]


@dataclass
class BackwardTape:
    """The nodes the output needs, in backward order, as instructions; ``cleared`` are
    nodes that take no gradient but whose slot the loop may write (reset to 0 after)."""

    requires: list[bool]
    output: int
    needed: list[bool]
    code: list[int]
    out: list[int]
    xa: list[int]
    xb: list[int]
    cleared: list[int]


def forward_tape(graph: Graph) -> ForwardTape | None:
    """The graph's forward tape (cached), or None: a gate the loops do not know, or a
    literal that is not a finite double (the reference loop reports it)."""
    cached = graph.compiled.get("forward")
    if isinstance(cached, ForwardTape) and cached.gates is graph.gates and \
            cached.args is graph.args and len(cached.gates) == len(graph.gates):
        return cached
    if graph.user_gates or not set(graph.gates) - {INPUT, CONST} <= loops.FORWARD_CODES.keys():
        return None
    initial = _initial_values(graph)
    if initial is None:
        return None
    nodes = list(compress(range(len(graph.gates)), graph.args))
    operands = list(map(graph.args.__getitem__, nodes))
    tape = ForwardTape(graph.gates, graph.args, initial,
                       [(node, name) for name, node in graph.inputs.items()],
                       list(map(loops.FORWARD_CODES.__getitem__,
                                map(graph.gates.__getitem__, nodes))),
                       nodes, list(map(_FIRST, operands)), list(map(_LAST, operands)))
    graph.compiled["forward"] = tape
    return tape


def _initial_values(graph: Graph) -> list[float] | None:
    """0.0 for every node, and each literal's value (a named constant's, or the double its
    digits denote); None if one is not finite."""
    texts = graph.literals.values()
    distinct = {text: CONSTANT_VALUES[text] if text in CONSTANT_VALUES else float(text)
                for text in set(texts)}
    if not all(map(math.isfinite, distinct.values())):
        return None
    values = map(distinct.__getitem__, texts)
    initial = [0.0] * len(graph.gates)
    deque(map(initial.__setitem__, graph.literals.keys(), values), maxlen=0)
    return initial


def run_forward(tape: ForwardTape, inputs: Any) -> list[float]:
    """Every node's value (the inputs checked already); raises what a gate raises."""
    values = list(tape.initial)
    for node, name in tape.inputs:
        values[node] = inputs[name]
    loops.forward(values, tape.code, tape.out, tape.xa, tape.xb)
    return values


def backward_tape(graph: Graph) -> BackwardTape | None:
    """The graph's backward tape for its output (cached), or None (see ``forward_tape``)."""
    requires, output = graph.requires_grad, graph.output
    cached = graph.compiled.get(("backward", output))
    if isinstance(cached, BackwardTape) and cached.requires is requires and \
            len(cached.needed) == len(graph.gates):
        return cached
    if forward_tape(graph) is None:
        return None
    needed = _needed(graph)
    gates, args = graph.gates, graph.args
    down = range(output, -1, -1)
    nodes = list(compress(down, map(and_, needed[output::-1], map(bool, args[output::-1]))))
    operands = list(map(args.__getitem__, nodes))
    code = list(map(_BOTH.__getitem__, map(gates.__getitem__, nodes)))
    if _VARIANTS & set(map(gates.__getitem__, nodes)):
        for index, node in enumerate(nodes):
            if gates[node] in _VARIANTS:
                a, b = args[node]
                variant = 0 if requires[a] and requires[b] else 1 if requires[a] else 2
                code[index] = loops.BACKWARD_CODES[gates[node]][variant]
    # a gradient sent to an operand that takes none (a literal, say) is thrown away
    cleared = list(compress(range(output), map(not_, requires))) if requires[output] else []
    tape = BackwardTape(requires, output, needed, code, nodes, list(map(_FIRST, operands)),
                        list(map(_LAST, operands)), cleared)
    graph.compiled[("backward", output)] = tape
    return tape


def _needed(graph: Graph) -> list[bool]:
    """Which nodes the output depends on through nodes that take a gradient. Usually every
    such node up to the output: when each of them but the output feeds a node up to the
    output, none is a dead end (the last dead one would feed nothing)."""
    output, requires, args = graph.output, graph.requires_grad, graph.args
    consumed = set(chain.from_iterable(args[:output + 1]))
    if consumed.issuperset(compress(range(output), requires)):
        return [*requires[:output + 1], *([False] * (len(requires) - output - 1))]
    needed = [False] * len(graph.gates)
    needed[output] = requires[output]
    for node in range(output, -1, -1):
        if needed[node]:
            for a in args[node]:
                if requires[a]:
                    needed[a] = True
    return needed


def run_backward(tape: BackwardTape, values: list[float],
                 upstream: float) -> tuple[list[float], list[int]]:
    """Every node's gradient, and the nodes where a kink convention was used (in backward
    order); raises what a local gradient raises."""
    grads = [0.0] * len(values)
    grads[tape.output] = upstream
    kinks: list[int] = []
    loops.backward(values, grads, tape.code, tape.out, tape.xa, tape.xb, kinks)
    deque(map(grads.__setitem__, tape.cleared, repeat(0.0)), maxlen=0)
    return grads, kinks


def edge_lists(graph: Graph, values: list[float], grads: list[float],
               tape: BackwardTape) -> tuple[list[int], list[int], list[float], list[float]]:
    """The backward pass's edges in backward order (node, position, local, downstream), as
    the reference loop records them: from the same local-gradient formulas, or the kink
    convention, in the generated ``edges`` loop."""
    records: list[tuple[int, int, float, float]] = []
    loops.edges(values, grads, graph.requires_grad, tape.code, tape.out, tape.xa, tape.xb,
                records.append)
    if not records:
        return [], [], [], []
    nodes, positions, locals_, downstreams = map(list, zip(*records, strict=True))
    return nodes, positions, locals_, downstreams
