"""Explicit Jacobians for ``--jacobian``: what the backward pass never forms.

For each edge of a trace, the Jacobian d(gate output)/d(operand) as a matrix (rows: the
output's elements, columns: the operand's, both in row-major order) when it has at most
``limit`` entries, and the check that Jᵀ · upstream equals the downstream gradient the
implicit rule gave. For larger ones only the memory it would take (the lecture's argument:
x @ w with N = 64, D = M = 4096 would need 256 GiB in float32).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.trace import Edge, Trace
from ..gates.array_gates import ARRAY_GATES
from ..gates.array_kit import FLOAT_KIT

LIMIT = 4096


@dataclass(frozen=True)
class Jacobian:
    """The Jacobian of one edge: its size, and when formed, the matrix and the check."""

    edge: Edge
    rows: tuple[int, ...]
    columns: tuple[int, ...]
    method: str
    matrix: np.ndarray | None = None
    product: np.ndarray | None = None  # Jᵀ · upstream, in the operand's shape
    implicit: np.ndarray | None = None  # the downstream gradient of the backward pass

    @property
    def entries(self) -> int:
        return math.prod(self.rows) * math.prod(self.columns)

    @property
    def max_difference(self) -> float | None:
        if self.product is None or self.implicit is None:
            return None
        with np.errstate(all="ignore"):  # inf or nan after an overflow (docs/numerics.md)
            return float(np.max(np.abs(self.product - self.implicit), initial=0.0))


def jacobians(trace: Trace, limit: int = LIMIT) -> list[Jacobian]:
    """One Jacobian per edge of the trace, in backward order."""
    with np.errstate(all="ignore"):  # inf or nan after an overflow (docs/numerics.md)
        return [_jacobian(trace, edge, limit) for edge in trace.edges()]


def _floats(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=float)


def _jacobian(trace: Trace, edge: Edge, limit: int) -> Jacobian:
    graph = trace.graph
    out = _floats(trace.values[edge.node])
    operand = _floats(trace.values[edge.source])
    gate = graph.gates[edge.node]
    kronecker = gate == "matmul" and all(np.ndim(trace.values[a]) <= 2
                                         for a in graph.args[edge.node])
    method = _method(gate, kronecker)
    sized = Jacobian(edge, out.shape, operand.shape, method)
    if sized.entries > limit:
        return sized
    if gate not in ARRAY_GATES and out.ndim == operand.ndim == 0:  # one number: [[local]]
        local = _floats(edge.local).reshape(1, 1)
        product = local[0] * _floats(edge.upstream).reshape(1)
        return Jacobian(edge, (), (), method, local, product.reshape(()),
                        _floats(edge.downstream))
    operands = [_floats(trace.values[a]) for a in graph.args[edge.node]]
    if gate not in ARRAY_GATES:
        matrix = _elementwise(_floats(edge.local), out.shape, operand.shape)
    elif kronecker:
        matrix = _matmul(operands, edge.position)
    else:
        matrix = _row_by_row(trace, edge, operands, out)
    upstream = _floats(edge.upstream).reshape(-1)
    product = (matrix.T @ upstream).reshape(operand.shape)
    return Jacobian(edge, out.shape, operand.shape, method, matrix, product,
                    _floats(edge.downstream))


def _method(gate: str, kronecker: bool) -> str:
    if gate not in ARRAY_GATES:
        return "diagonal: each element's local gradient"
    if kronecker:
        return "a Kronecker product of an identity and the other operand"
    return "row by row: the rule applied to each unit upstream"


def _elementwise(local: np.ndarray, out_shape: tuple[int, ...],
                 operand_shape: tuple[int, ...]) -> np.ndarray:
    """Output element i depends only on the operand element it was broadcast from."""
    rows = int(np.prod(out_shape))
    columns = int(np.prod(operand_shape))
    source = np.broadcast_to(np.arange(columns).reshape(operand_shape), out_shape).reshape(-1)
    matrix = np.zeros((rows, columns))
    matrix[np.arange(rows), source] = np.broadcast_to(local, out_shape).reshape(-1)
    return matrix


def _matmul(operands: Sequence[np.ndarray], position: int) -> np.ndarray:
    """y = a @ b with a: N x D, b: D x M; d y / d a = I_N ⊗ bᵀ, d y / d b = a ⊗ I_M."""
    a, b = operands
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    if position == 0:
        return np.kron(np.eye(a2.shape[0]), b2.T)
    return np.kron(a2, np.eye(b2.shape[1]))


def _row_by_row(trace: Trace, edge: Edge, operands: Sequence[np.ndarray],
                out: np.ndarray) -> np.ndarray:
    graph = trace.graph
    spec = ARRAY_GATES[graph.gates[edge.node]]
    vjp = spec.vjp_of(edge.position)
    assert vjp is not None  # edges exist only for differentiable operands
    attrs = graph.attrs.get(edge.node, ())
    rows = []
    for index in range(out.size):
        unit = np.zeros(out.size)
        unit[index] = 1.0
        rows.append(_floats(vjp(FLOAT_KIT, unit.reshape(out.shape), operands, out,
                                attrs)).reshape(-1))
    return np.array(rows).reshape(out.size, -1)


def memory_text(entries: int) -> str:
    """How much an explicit Jacobian would take, in float64 and in float32."""
    return f"{_bytes(entries * 8)} as float64 ({_bytes(entries * 4)} as float32)"


def _bytes(count: int) -> str:
    if count < 1024:
        return f"{count:,} bytes"
    size, units = float(count) / 1024, ["KiB", "MiB", "GiB", "TiB"]
    while size >= 1024 and len(units) > 1:
        size, units = size / 1024, units[1:]
    return f"{size:.4g} {units[0]}"
