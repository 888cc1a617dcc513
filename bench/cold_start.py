"""Cold start: whole processes, run in interleaved rounds (so load on the machine falls on all
of them alike), median and best wall time of each; plus ``-X importtime`` of the tool."""

from __future__ import annotations

import statistics
import subprocess
from importlib.util import find_spec
from typing import Any

from procs import backprop_command, measure, python

JOB = ["eval", "(x+y)*z", "x=-2", "y=5", "z=-4"]

MICROGRAD_JOB = """\
from micrograd.engine import Value
x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
f = (x + y) * z
f.backward()
print(f.data, x.grad, y.grad, z.grad)
"""

TORCH_JOB = """\
import torch
torch.set_num_threads(1)
x, y, z = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (-2.0, 5.0, -4.0))
f = (x + y) * z
f.backward()
print(f.item(), x.grad.item(), y.grad.item(), z.grad.item())
"""


def commands() -> dict[str, list[str] | None]:
    """Label -> command; None when the peer is not installed."""
    tool = [*backprop_command(), *JOB]
    return {
        "backprop eval \"(x+y)*z\" x=-2 y=5 z=-4": tool,
        "python -c pass": python("-c", "pass"),
        "python -c \"import sympy\"": python("-c", "import sympy"),
        "python -c \"import click, rich.console\"": python("-c", "import click, rich.console"),
        "micrograd script (same job)":
            python("-c", MICROGRAD_JOB) if find_spec("micrograd") else None,
        "torch script (same job, 1 thread)":
            python("-c", TORCH_JOB) if find_spec("torch") else None,
    }


def run(runs: int) -> dict[str, Any]:
    """``runs`` interleaved rounds; per command the median and best wall time and the median
    CPU time (user + sys, from ``os.wait4``)."""
    jobs = commands()
    times: dict[str, list[float]] = {label: [] for label, cmd in jobs.items() if cmd}
    cpu: dict[str, list[float]] = {label: [] for label in times}
    failures: dict[str, str] = {}
    for _ in range(runs):
        for label, cmd in jobs.items():
            if cmd is None or label in failures:
                continue
            done = measure(cmd)
            if done.code != 0:
                failures[label] = f"exit code {done.code}: {done.stderr.strip()[-200:]}"
            times[label].append(done.wall)
            cpu[label].append(done.cpu)
    rows = {label: {"median": statistics.median(t), "best": min(t), "runs": len(t),
                    "cpu_median": statistics.median(cpu[label])}
            for label, t in times.items() if t and label not in failures}
    missing = [label for label, cmd in jobs.items() if cmd is None]
    return {"rows": rows, "failures": failures, "missing": missing,
            "importtime": import_breakdown()}


def import_breakdown(top: int = 12) -> dict[str, Any]:
    """``python -X importtime`` of the tool's job, in microseconds of self time: summed by
    top-level package, and the slowest single modules. (importtime itself slows imports.)"""
    done = subprocess.run(python("-X", "importtime", *backprop_command(), *JOB),
                          capture_output=True, text=True, check=False)
    records: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        self_us, _, name = line[len("import time:"):].split("|", 2)
        records.append((int(self_us), name.strip()))
    packages: dict[str, int] = {}
    for micros, name in records:
        root = name.split(".")[0]
        packages[root] = packages.get(root, 0) + micros
    names = {name.split(".")[0] for _, name in records}
    return {
        "total_us": sum(us for us, _ in records),
        "modules": len(records),
        "by_package": sorted(packages.items(), key=lambda kv: -kv[1])[:top],
        "by_module": sorted(((name, us) for us, name in records), key=lambda kv: -kv[1])[:top],
        "sympy_loaded": "sympy" in names,
        "numpy_loaded": "numpy" in names,
    }
