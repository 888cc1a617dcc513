"""The floor for pure Python: a hand-inlined tape.

Flat lists, one op code per instruction, an if/elif loop, no per-node objects. Inputs and
constants are slots filled before the loop; each instruction writes one slot. Backward walks
the instructions in reverse and accumulates with ``+=`` (fan-out sums).
"""

from __future__ import annotations

import math

from workloads import ADD, CONST, INPUT, MUL, Workload


class Tape:
    """The instructions of a workload as four parallel lists, plus the slot count."""

    def __init__(self, w: Workload) -> None:
        gates = [i for i, op in enumerate(w.ops) if op > CONST]
        self.size = len(w.ops)
        self.code = [w.ops[i] for i in gates]
        self.out = gates
        self.a = [w.a[i] for i in gates]
        self.b = [w.b[i] for i in gates]
        self.initial = [w.consts[i] if op in (INPUT, CONST) else 0.0
                        for i, op in enumerate(w.ops)]
        self.output = gates[-1]

    def forward(self) -> list[float]:
        v = list(self.initial)
        tanh = math.tanh
        for op, o, x, y in zip(self.code, self.out, self.a, self.b, strict=True):
            if op == MUL:
                v[o] = v[x] * v[y]
            elif op == ADD:
                v[o] = v[x] + v[y]
            else:
                v[o] = tanh(v[x])
        return v

    def backward(self, v: list[float]) -> list[float]:
        g = [0.0] * self.size
        g[self.output] = 1.0
        for op, o, x, y in zip(reversed(self.code), reversed(self.out), reversed(self.a),
                               reversed(self.b), strict=True):
            go = g[o]
            if op == MUL:
                g[x] += go * v[y]
                g[y] += go * v[x]
            elif op == ADD:
                g[x] += go
                g[y] += go
            else:
                t = v[o]
                g[x] += go * (1.0 - t * t)
        return g
