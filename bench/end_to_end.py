"""The tool end to end: the real ``backprop eval FILE NAME=VALUE... --format json`` in a
subprocess, program text in and the whole JSON document out (to a file). Wall and CPU time and
peak RSS come from ``os.wait4``; the answer is read back from the head of the document.
``--format plain`` (engine ``cli_plain``) is the same job with the default output, which for
a large graph is the value and the input gradients, at 17 significant digits (``--digits
17`` reads back to the same double; the default 4 is for people); the answer is read from
that text."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from procs import backprop_command, measure

_NODES_KEY = ', "nodes": ['
FORMATS = {"cli": "json", "cli_plain": "plain"}  # engine -> --format


def command(program: Path, inputs: dict[str, float], fmt: str = "json") -> list[str]:
    values = [f"{name}={value!r}" for name, value in inputs.items()]
    exact_digits = ["--digits", "17"] if fmt == "plain" else []
    return [*backprop_command(), "eval", str(program), *values, "--format", fmt, *exact_digits]


def plain_answer(path: Path) -> dict[str, Any]:
    """Value and gradients from the plain output's gradient section: ``Gradients of f =
    VALUE``, a header, then ``  df/dNAME  VALUE`` rows."""
    lines = path.read_text("utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Gradients of "))
    output, value = lines[start][len("Gradients of "):].split(" = ")
    gradients = {}
    for line in lines[start + 2:]:
        cells = line.split()
        if len(cells) != 2 or not cells[0].startswith(f"d{output}/d"):
            break
        gradients[cells[0][len(f"d{output}/d"):]] = float(cells[1])
    return {"value": float(value), "gradients": gradients}


def head_of(path: Path) -> dict[str, Any]:
    """The document without its node and edge lists (value, gradients, inputs)."""
    with path.open("r", encoding="utf-8") as src:
        head = src.read(1 << 20)
    cut = head.find(_NODES_KEY)
    if cut < 0:
        return dict(json.loads(path.read_text("utf-8")))
    return dict(json.loads(head[:cut] + "}"))


def run(program: Path, inputs: dict[str, float], budget: float,
        timeout: float | None = None, max_repeats: int = 5, fmt: str = "json") -> dict[str, Any]:
    """The run with the least CPU time over repeats (within ``budget`` seconds): its CPU
    (user + sys) and wall time, and peak RSS."""
    best: dict[str, Any] = {}
    start = time.perf_counter()
    count = 0
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        out = Path(tmp) / "out.json"
        while count == 0 or (count < max_repeats and time.perf_counter() - start < budget):
            done = measure(command(program, inputs, fmt), timeout, stdout_path=out,
                           keep_stdout=False)
            count += 1
            if done.code != 0:
                tail = (done.stderr.strip().splitlines() or [""])[-1]
                return {"error": f"exit code {done.code}: {tail[:200]}",
                        "maxrss_kb": done.maxrss_kb}
            if not best or done.cpu < best["cpu"]:
                best = {"wall": done.wall, "cpu": done.cpu, "maxrss_kb": done.maxrss_kb,
                        "bytes": out.stat().st_size}
        document = head_of(out) if fmt == "json" else plain_answer(out)
    names = list(inputs)
    best.update(repeats=count, value=float(document["value"]),
                grads=[float(document["gradients"][name]) for name in names])
    return best
