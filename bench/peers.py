"""The peers replaying a workload: micrograd (scalar Value objects) and torch scalar autograd.

Each replays the workload's op list with its own operators, so "forward" is also where the
peer builds its graph (that is how both work); "backward" is ``out.backward()``. Both run
with the garbage collector as users get it (on).

micrograd 0.1.0 has no tanh: ``Value.tanh`` is added here exactly as in micrograd's lecture
(one node, local gradient 1 - t**2). Its topological sort is recursive, so the recursion
limit is raised (see ``RECURSION_LIMIT``); a RecursionError would be reported as a failure.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

from workloads import ADD, CONST, INPUT, MUL, Workload

RECURSION_LIMIT = 10_000_000


def _micrograd_value() -> Any:
    from micrograd.engine import Value

    if not hasattr(Value, "tanh"):
        def tanh(self: Any) -> Any:
            t = math.tanh(self.data)
            out = Value(t, (self,), "tanh")

            def _backward() -> None:
                self.grad += (1 - t**2) * out.grad
            out._backward = _backward
            return out
        Value.tanh = tanh
    return Value


def micrograd_runner(w: Workload) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    """(forward, backward): forward builds and computes, backward returns input gradients."""
    Value = _micrograd_value()
    sys.setrecursionlimit(RECURSION_LIMIT)
    ops, a, b, consts = w.ops.tolist(), w.a.tolist(), w.b.tolist(), w.consts.tolist()
    input_nodes = w.input_nodes()

    def forward() -> Any:
        v: list[Any] = [None] * len(ops)
        for i, op in enumerate(ops):
            if op == MUL:
                v[i] = v[a[i]] * v[b[i]]
            elif op == ADD:
                v[i] = v[a[i]] + v[b[i]]
            elif op > CONST:
                v[i] = v[a[i]].tanh()
            else:
                v[i] = Value(consts[i])
        return v

    def backward(v: Any) -> list[float]:
        v[-1].backward()
        return [float(v[i].grad) for i in input_nodes]

    return forward, backward


def torch_runner(w: Workload) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    """0-d float64 tensors, one thread; constants stay Python floats (no graph leaves)."""
    import torch

    torch.set_num_threads(1)
    ops, a, b, consts = w.ops.tolist(), w.a.tolist(), w.b.tolist(), w.consts.tolist()
    input_nodes = w.input_nodes()
    tanh = torch.tanh

    def forward() -> Any:
        v: list[Any] = [None] * len(ops)
        for i, op in enumerate(ops):
            if op == MUL:
                v[i] = v[a[i]] * v[b[i]]
            elif op == ADD:
                v[i] = v[a[i]] + v[b[i]]
            elif op > CONST:
                v[i] = tanh(v[a[i]])
            elif op == INPUT:
                v[i] = torch.tensor(consts[i], dtype=torch.float64, requires_grad=True)
            else:
                v[i] = consts[i]
        return v

    def backward(v: Any) -> list[float]:
        v[-1].backward()
        return [float(v[i].grad) for i in input_nodes]

    return forward, backward


def value_of(result: Any) -> float:
    out = result[-1]
    return float(out.item()) if hasattr(out, "item") else float(out.data)
