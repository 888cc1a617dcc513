"""The three scalar graph shapes, built twice in step: as program text for the tool, and as a
flat single-assignment op list (SSA) that the floor tape, micrograd and torch replay.

Node order in the SSA matches the order in which the tool's graph builder creates gates, and
the gate count equals ``Graph.gate_count()`` (a test checks both). A workload is saved as a
small binary file so that each measured child process loads only compact arrays.
"""

from __future__ import annotations

import json
import random
import struct
from array import array
from dataclasses import dataclass, field
from pathlib import Path

INPUT, CONST, ADD, MUL, TANH = 0, 1, 2, 3, 4
SHAPES = ("chain", "wide", "dag")
_MAGIC = b"BPWL1\n"


@dataclass
class Workload:
    """One graph: ``ops[i]`` applied to nodes ``a[i]``, ``b[i]`` (-1 when unused)."""

    shape: str
    ops: array[int] = field(default_factory=lambda: array("b"))
    a: array[int] = field(default_factory=lambda: array("l"))
    b: array[int] = field(default_factory=lambda: array("l"))
    consts: array[float] = field(default_factory=lambda: array("d"))
    inputs: dict[str, float] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def _push(self, op: int, a: int = -1, b: int = -1, value: float = 0.0) -> int:
        self.ops.append(op)
        self.a.append(a)
        self.b.append(b)
        self.consts.append(value)
        return len(self.ops) - 1

    def input(self, name: str, value: float) -> int:
        self.inputs[name] = value
        return self._push(INPUT, value=value)

    def const(self, value: float) -> int:
        return self._push(CONST, value=value)

    def gate(self, op: int, a: int, b: int = -1) -> int:
        return self._push(op, a, b)

    @property
    def gates(self) -> int:
        return sum(1 for op in self.ops if op > CONST)

    @property
    def program(self) -> str:
        return "\n".join(self.lines) + "\n"

    def input_names(self) -> list[str]:
        return list(self.inputs)

    def input_nodes(self) -> list[int]:
        return [i for i, op in enumerate(self.ops) if op == INPUT]


def chain(n: int) -> Workload:
    """``c = tanh(c*1.01 + 0.1)`` repeated: depth n, three gates per line."""
    w = Workload("chain")
    c = w.input("x", 0.5)
    w.lines.append("c = x")
    for _ in range(max(1, n // 3)):
        m = w.gate(MUL, c, w.const(1.01))
        c = w.gate(TANH, w.gate(ADD, m, w.const(0.1)))
        w.lines.append("c = tanh(c*1.01 + 0.1)")
    return w


def wide(n: int, width: int = 64, seed: int = 7) -> Workload:
    """One expression: a sum of n/2 products of pairs of 64 inputs, eight terms a line."""
    rng = random.Random(seed)
    w = Workload("wide")
    width = max(1, min(width, (n + 1) // 2))
    nodes = [w.input(f"x{i}", round(rng.uniform(-1, 1), 3)) for i in range(width)]
    terms: list[str] = []
    total = -1
    for t in range(max(1, (n + 1) // 2)):
        i, j = (t if t < width else rng.randrange(width)), rng.randrange(min(t + 1, width))
        product = w.gate(MUL, nodes[i], nodes[j])
        total = product if total < 0 else w.gate(ADD, total, product)
        terms.append(f"x{i}*x{j}")
    rows = [" + ".join(terms[k:k + 8]) for k in range(0, len(terms), 8)]
    w.lines.append("f = (" + "\n  + ".join(rows) + ")")
    return w


def dag(n: int, hubs: int = 16, seed: int = 11) -> Workload:
    """A random DAG with heavy fan-out: each line uses the previous node and a random one.

    ``v_k = v_{k-1} * r`` or ``v_k = tanh(v_{k-1} + r)``; ``r`` is one of 16 hub inputs half
    the time (each hub feeds ~n/64 gates), else any earlier node. Every node reaches the
    output, and every value stays in (-1, 1).
    """
    rng = random.Random(seed)
    w = Workload("dag")
    hubs = max(1, min(hubs, n // 2))
    names = [f"x{i}" for i in range(hubs)]
    nodes = [w.input(name, round(rng.uniform(-1, 1), 3)) for name in names]
    w.lines.append("v0 = x0")
    prev_name, prev = "v0", nodes[0]
    made = 0
    k = 0
    while made < n:
        k += 1
        if k < hubs:
            pick = k
        else:
            pick = rng.randrange(hubs) if rng.random() < 0.5 else rng.randrange(len(names))
        other_name, other = names[pick], nodes[pick]
        if rng.random() < 0.5:
            node = w.gate(MUL, prev, other)
            w.lines.append(f"v{k} = {prev_name} * {other_name}")
            made += 1
        else:
            node = w.gate(TANH, w.gate(ADD, prev, other))
            w.lines.append(f"v{k} = tanh({prev_name} + {other_name})")
            made += 2
        prev_name, prev = f"v{k}", node
        names.append(prev_name)
        nodes.append(node)
    return w


BUILDERS = {"chain": chain, "wide": wide, "dag": dag}


def make(shape: str, n: int) -> Workload:
    return BUILDERS[shape](n)


def save(workload: Workload, path: Path) -> None:
    """Header (JSON: shape, inputs, sizes), the four arrays, then the program text."""
    text = workload.program.encode("utf-8")
    header = json.dumps({"shape": workload.shape, "inputs": workload.inputs,
                         "nodes": len(workload.ops), "text": len(text)}).encode("utf-8")
    with path.open("wb") as out:
        out.write(_MAGIC + struct.pack("<Q", len(header)) + header)
        for arr in (workload.ops, workload.a, workload.b):
            arr.tofile(out)
        workload.consts.tofile(out)
        out.write(text)


def load(path: Path, with_text: bool = True, with_ops: bool = True) -> tuple[Workload, str]:
    """The workload (arrays only if ``with_ops``) and its program text (if ``with_text``)."""
    with path.open("rb") as src:
        if src.read(len(_MAGIC)) != _MAGIC:
            raise ValueError(f"{path} is not a workload file")
        (size,) = struct.unpack("<Q", src.read(8))
        header = json.loads(src.read(size))
        w = Workload(header["shape"], inputs=header["inputs"])
        count = header["nodes"]
        if with_ops:
            for arr in (w.ops, w.a, w.b):
                arr.fromfile(src, count)
            w.consts.fromfile(src, count)
        else:
            itemsizes = w.ops.itemsize + w.a.itemsize + w.b.itemsize + w.consts.itemsize
            src.seek(itemsizes * count, 1)
        text = src.read(header["text"]).decode("utf-8") if with_text else ""
    return w, text


def main(argv: list[str]) -> int:
    """``python bench/workloads.py SHAPE N DATA PROGRAM``: write the workload's two files and
    print its sizes as JSON (run as a child, so the runner's memory stays small: Linux passes
    a parent's peak RSS on to the children it forks)."""
    shape, n, data, program = argv
    w = make(shape, int(n))
    save(w, Path(data))
    Path(program).write_text(w.program, encoding="utf-8")
    print(json.dumps({"gates": w.gates, "nodes": len(w.ops), "inputs": w.inputs}))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
