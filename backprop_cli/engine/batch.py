"""Forward and backward passes over many rows at once: one numpy array per node.

The walk of ``engine.py`` on columns: forward in node order, backward in reverse order,
gradients accumulating with ``+=``; gate functions and local derivatives come from the
generated numpy table (``_gatetable_np``: the same sympy derivatives as ``_gatetable``), and
the conventions at kinks from ``kinks.py``. Results agree with ``engine.evaluate`` row by
row (to the last bit or two: numpy's vectorised exp/tanh/pow may round differently from the
C library in the last place).

A row where ``eval`` would stop with a domain error gets that error's message and no
results; the other rows are unaffected. Rare rows that the vectorised pass cannot judge the
way the scalar engine does (an overflow or underflow, which IEEE-754 arithmetic carries on
with a warning, or ``--strict`` refuses; a local gradient that is not finite) are
recomputed by ``engine.evaluate`` itself, and its warnings counted (``ieee_rows``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DomainError
from ..gates._gatetable_np import NUMPY_GATES as _NUMPY_GATES
from ..gates.arithmetic import literal_value
from ..gates.kinks import KINKS
from ..gates.registry import GATES
from ..gates.table import GATES as TABLE
from ..graph.graph import CONST, INPUT, Graph
from ..limits import current, exceeded
from .evaluate import evaluate
from .ieee import TINY, UNDERFLOW_GATES, is_strict
from .reference import domain_error, literal_of, needed_nodes

Array = Any  # a numpy float64 array of one value per row, or a float (constants)

CHUNK_CELLS = 1 << 22  # node arrays per chunk stay under ~4M doubles (32 MB)
MAX_CHUNK_ROWS = 16384
NUMPY_GATES: dict[str, tuple[Any, tuple[Any, ...]]] = _NUMPY_GATES
# what the math module raises where a gate's result is out of range (the rows' ``raises``)
_RAISES: dict[str, type[Exception]] = {
    row.name: OverflowError if row.raises == "overflow" else ValueError
    for row in TABLE if row.raises is not None}


def chunk_rows(graph: Graph) -> int:
    """How many rows to evaluate at once so that memory stays flat for any graph size."""
    return max(1, min(MAX_CHUNK_ROWS, CHUNK_CELLS // (2 * max(len(graph), 1))))


# a chunk evaluates every node with numpy calls: about ten times what a node of the scalar
# tape costs (a 10^5-term sum, 300,000 nodes in chunks of 6 rows: 8 µs a node)
CHUNK_NODE_EVALUATIONS = 10


def check_chunks(graph: Graph, chunks: int, rows: int) -> None:
    """Refuse the next chunk of rows when the chunks so far would pass node-evaluations (200
    rows of a 10^5-term sum ran 86 s; 10^6 rows of the sigmoid neuron count 9,300)."""
    work = chunks * len(graph) * CHUNK_NODE_EVALUATIONS
    if work > current().node_evaluations:
        raise exceeded(f"the node evaluations of {rows:,} rows over {len(graph):,} nodes "
                       f"({chunks:,} chunks of at most {chunk_rows(graph):,} rows, each node "
                       f"of a chunk counted as {CHUNK_NODE_EVALUATIONS})", work,
                       "node_evaluations")


@dataclass
class BatchResult:
    """Per row: the output value and d output / d input for every input, by name.

    ``errors`` maps a row index to its domain error (those rows have no results);
    ``kink_rows`` counts rows on a kink per node; ``non_finite`` counts rows whose gradient
    is not finite, per input name; ``ieee_rows`` counts rows where eval warns of an
    overflow, underflow, inf or nan, and ``first_ieee`` is the first such warning.
    """

    value: np.ndarray
    grads: dict[str, np.ndarray]
    errors: dict[int, str] = field(default_factory=dict)
    kink_rows: dict[int, int] = field(default_factory=dict)
    non_finite: dict[str, int] = field(default_factory=dict)
    ieee_rows: int = 0
    first_ieee: tuple[int, str] | None = None


class _Row(Sequence[float]):
    """One row of the node arrays, as ``engine._domain_error`` reads values."""

    def __init__(self, values: list[Array], row: int) -> None:
        self.values, self.row = values, row

    def __getitem__(self, node: int) -> float:  # type: ignore[override]
        value = self.values[node]
        return float(value[self.row] if np.ndim(value) else value)

    def __len__(self) -> int:
        return len(self.values)


def _joined(parts: list[BatchResult], step: int) -> BatchResult:
    """The results of consecutive chunks of ``step`` rows as one."""
    joined = BatchResult(np.concatenate([part.value for part in parts]),
                         {name: np.concatenate([part.grads[name] for part in parts])
                          for name in parts[0].grads})
    for index, part in enumerate(parts):
        joined.errors.update({index * step + row: text for row, text in part.errors.items()})
        joined.ieee_rows += part.ieee_rows
        if part.first_ieee is not None and joined.first_ieee is None:
            joined.first_ieee = (index * step + part.first_ieee[0], part.first_ieee[1])
        for node, count in part.kink_rows.items():
            joined.kink_rows[node] = joined.kink_rows.get(node, 0) + count
        for name, count in part.non_finite.items():
            joined.non_finite[name] = joined.non_finite.get(name, 0) + count
    return joined


def _column(array: Array, rows: int, borrowed: bool = False) -> np.ndarray:
    """One writable float per row: the pass's own array as it is, anything else copied
    (a constant, or an input column the caller owns)."""
    if not borrowed and isinstance(array, np.ndarray) and array.shape == (rows,):
        return array
    return np.broadcast_to(np.asarray(array, dtype=np.float64), (rows,)).copy()


class _Overflow:
    """Told by numpy when an operation overflowed or underflowed (``np.errstate(...,
    call=...)``)."""

    seen = False

    def __call__(self, kind: str, flag: int) -> None:
        self.seen = True


def _raises(gate: str, position: int, operands: list[Array], out: Array,
            rows: int) -> np.ndarray:
    """Rows where the scalar local derivative raises (``-a/b**2`` overflows in ``b**2``
    there, while numpy quietly gets 0): the scalar engine decides those rows."""
    partial = GATES[gate].partials[position]
    columns = [np.broadcast_to(np.asarray(v, dtype=np.float64), (rows,)).tolist()
               for v in (*operands, out)]
    raising = np.zeros(rows, dtype=bool)
    for row, arguments in enumerate(zip(*columns, strict=True)):
        try:
            partial(*arguments)
        except (ArithmeticError, ValueError):
            raising[row] = True
    return raising


def _cause(gate: str, operands: list[float]) -> type[Exception] | None:
    """The exception the scalar pass raises where this gate's value is not finite (None:
    it raises nothing here, an overflow of +, -, * or of a quotient)."""
    if gate == "div":
        return ZeroDivisionError if operands[1] == 0 else None
    if gate == "pow":  # math.pow: 0 to a negative power, or a negative base to a fraction
        base, exponent = operands
        undefined = base == 0 or (base < 0 and not float(exponent).is_integer())
        return ValueError if undefined else OverflowError
    return _RAISES.get(gate)


def _is_ieee(message: str) -> bool:
    """A warning of ``ieee``: overflow, underflow, nan, or a gradient that is not finite."""
    return message.startswith(("overflow", "underflow", "not a number", "the gradient"))


def _is_one(local: Array) -> bool:
    """A local gradient that is the number 1 (add, sub's first operand): no product needed."""
    return isinstance(local, float) and local == 1.0


def _kink_mask(gate: str, operands: list[Array]) -> np.ndarray:
    """Rows whose operands sit on the gate's kink (``Kink.hits``, elementwise)."""
    return np.asarray(KINKS[gate].hits(operands)).astype(bool)


def _underflowed(operands: list[Array], value: Array) -> np.ndarray:
    """Rows whose value is 0 or subnormal from normal operands (see ``ieee``)."""
    mask = np.abs(value) < TINY
    for operand in operands:
        mask = mask & np.isfinite(operand) & (np.abs(operand) >= TINY)
    return np.asarray(mask)


class Batch:
    """A graph compiled for evaluation over columns of input values."""

    def __init__(self, graph: Graph, upstream: float | None = None) -> None:
        self.graph = graph
        self.upstream = 1.0 if upstream is None else float(upstream)
        self.needed = needed_nodes(graph)

    def run(self, columns: Mapping[str, np.ndarray], rows: int) -> BatchResult:
        """Evaluate ``rows`` rows: ``columns`` maps each input name to its values.

        Many rows are evaluated a chunk at a time (``chunk_rows``): the arrays of a chunk
        stay in the CPU's cache, and memory does not grow with the number of rows."""
        step = chunk_rows(self.graph)
        if rows <= step:
            return self._run(columns, rows)
        parts = [self._run({name: column[start:start + step] for name, column in columns.items()},
                           min(step, rows - start)) for start in range(0, rows, step)]
        return _joined(parts, step)

    def _run(self, columns: Mapping[str, np.ndarray], rows: int) -> BatchResult:
        values = [np.float64(0.0)] * len(self.graph)
        failed = np.zeros(rows, dtype=bool)
        recheck = np.zeros(rows, dtype=bool)
        errors: dict[int, str] = {}
        bad_local = np.zeros(rows, dtype=bool)
        underflow = _Overflow()
        with np.errstate(all="ignore", under="call", call=underflow):
            self._forward(columns, values, failed, recheck, errors, underflow)
        overflow = _Overflow()
        with np.errstate(all="ignore", over="call", call=overflow):
            grads, kinks = self._backward(values, rows, bad_local, overflow)
        output = self.graph.output
        result = BatchResult(_column(values[output], rows, self.graph.gates[output] == INPUT),
                             {name: _column(grads[node], rows)
                              for name, node in self.graph.inputs.items()}, errors)
        result.kink_rows = {node: int(np.count_nonzero(mask & ~failed))
                            for node, mask in kinks.items()}
        if is_strict():  # a gradient that overflowed is an error there: eval says which
            for column in result.grads.values():
                recheck |= ~np.isfinite(column)
        self._recheck(columns, result, np.flatnonzero(recheck | (bad_local & ~failed)))
        self._count_non_finite(result, failed)
        return result

    def _forward(self, columns: Mapping[str, np.ndarray], values: list[Array],
                 failed: np.ndarray, recheck: np.ndarray, errors: dict[int, str],
                 underflow: _Overflow) -> None:
        graph = self.graph
        for node, gate in enumerate(graph.gates):
            if gate == INPUT:
                values[node] = columns[graph.names[node]]
                continue
            if gate == CONST:
                values[node] = np.float64(literal_of(graph, node, literal_value))  # 1/0: inf
                continue
            operands = [values[a] for a in graph.args[node]]
            underflow.seen = False
            value = NUMPY_GATES[gate][0](*operands)
            values[node] = value
            if underflow.seen and gate in UNDERFLOW_GATES:  # eval warns (strict: refuses)
                recheck |= np.broadcast_to(_underflowed(operands, value), recheck.shape)
            finite = np.isfinite(value)
            if finite.all():
                continue
            rows = np.flatnonzero(np.broadcast_to(~finite, failed.shape) & ~failed)
            if len(rows):
                failed[rows] = True
                self._explain(node, rows, values, recheck, errors)

    def _explain(self, node: int, rows: np.ndarray, values: list[Array], recheck: np.ndarray,
                 errors: dict[int, str]) -> None:
        """The message eval gives, for rows whose first non-finite value is at ``node``.

        An operation without a real value (log of 0, x / 0) stops eval right here; an
        overflow does not (IEEE-754 carries on, or --strict refuses), so those rows are
        left to the scalar engine."""
        graph = self.graph
        gate = graph.gates[node]
        for row in rows.tolist():
            view = _Row(values, row)
            cause = _cause(gate, [view[a] for a in graph.args[node]])
            if cause is None or cause is OverflowError:
                recheck[row] = True
                continue
            error = domain_error(graph, view, node, cause())  # type: ignore[arg-type]
            errors[row] = error.message

    def _backward(self, values: list[Array], rows: int, bad_local: np.ndarray,
                  overflow: _Overflow) -> tuple[list[Array], dict[int, np.ndarray]]:
        graph = self.graph
        grads: list[Array] = [0.0] * len(graph)
        grads[graph.output] = np.full(rows, self.upstream)
        kinks: dict[int, np.ndarray] = {}
        requires, args, gates = graph.requires_grad, graph.args, graph.gates
        for node in range(graph.output, -1, -1):
            if not self.needed[node] or not args[node]:
                continue
            gate = gates[node]
            operands = [values[a] for a in args[node]]
            partials = NUMPY_GATES[gate][1]
            mask, convention = None, None
            if gate in KINKS:
                kink = KINKS[gate]
                mask = np.broadcast_to(_kink_mask(gate, operands), (rows,))
                convention = kink.locals(operands, 0.5, np.inf)
                needs = [requires[a] for a in args[node]]
                kinks[node] = mask if kink.warns is None else \
                    mask & np.broadcast_to(np.asarray(kink.warns(operands, needs)), (rows,))
            for position, source in enumerate(args[node]):
                if not requires[source]:
                    continue
                overflow.seen = False
                local = partials[position](*operands, values[node])
                if overflow.seen:  # a step overflowed though the result may be finite
                    bad_local |= _raises(gate, position, operands, values[node], rows)
                finite = np.isfinite(local)
                if mask is not None and convention is not None:
                    local = np.where(mask, convention[position], local)
                    finite = finite | mask  # a convention's inf (sqrt'(0)) is meant
                if not finite.all():
                    bad_local |= ~np.broadcast_to(finite, bad_local.shape)
                downstream = grads[node] if _is_one(local) else grads[node] * local
                if isinstance(grads[source], np.ndarray):
                    grads[source] += downstream
                else:
                    grads[source] = grads[source] + downstream  # 0.0 + d, as engine.py
        return grads, kinks

    def _recheck(self, columns: Mapping[str, np.ndarray], result: BatchResult,
                 rows: np.ndarray) -> None:
        """Rows the scalar engine decides: its error, or its values."""
        graph = self.graph
        for row in rows.tolist():
            inputs = {name: float(columns[name][row]) for name in graph.inputs}
            try:
                trace = evaluate(graph, inputs, upstream=self.upstream)
            except DomainError as error:
                result.errors[row] = error.message
                continue
            ieee = [note for note in trace.notes if _is_ieee(note.message)]
            if ieee:
                result.ieee_rows += 1
                if result.first_ieee is None:
                    result.first_ieee = (row, trace.warning(ieee[0]))
            result.value[row] = trace.value
            for name, node in graph.inputs.items():
                result.grads[name][row] = trace.grads[node]

    def _count_non_finite(self, result: BatchResult, failed: np.ndarray) -> None:
        ok = ~failed
        if result.errors:
            ok[list(result.errors)] = False
        for name, grads in result.grads.items():
            count = int(np.count_nonzero(~np.isfinite(grads) & ok))
            if count:
                result.non_finite[name] = count
