"""Numbers derived from raw results: per-gate times, totals, scaling exponents."""

from __future__ import annotations

import math
from typing import Any

Record = dict[str, Any]
PROCESSES = ("cli", "cli_plain")  # whole processes: CPU time and peak RSS from os.wait4


def ok(result: Record | None) -> bool:
    """A result with numbers in it (not an error, a skip, or an unavailable half)."""
    if not result:
        return False
    return not any(key in result for key in ("error", "skipped", "unavailable"))


def forward(result: Record) -> float | None:
    return result["times"]["forward"] if "times" in result else None


def backward(result: Record) -> float | None:
    return result["times"]["backward"] if "times" in result else None


def total(engine: str, result: Record) -> float | None:
    """CPU seconds for the engine's whole job: forward + backward, or the CLI process's."""
    if not ok(result):
        return None
    if engine in PROCESSES:
        return float(result["cpu"])
    return float(result["times"]["forward"] + result["times"]["backward"])


def per_gate_us(seconds: float | None, gates: int) -> float | None:
    return None if seconds is None else seconds / gates * 1e6


def ratio(top: float | None, bottom: float | None) -> float | None:
    if top is None or bottom is None or bottom <= 0:
        return None
    return top / bottom


def result_of(record: Record, engine: str) -> Record:
    return dict(record["results"].get(engine, {}))


def scaling_exponent(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(time) against log(gates); None with fewer than 2 sizes."""
    usable = [(math.log(n), math.log(t)) for n, t in points if t and t > 0]
    if len(usable) < 2:
        return None
    mean_x = sum(x for x, _ in usable) / len(usable)
    mean_y = sum(y for _, y in usable) / len(usable)
    spread = sum((x - mean_x) ** 2 for x, _ in usable)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in usable) / spread


def series(records: list[Record], shape: str, engine: str) -> list[tuple[int, float]]:
    """(gates, total seconds) for one engine on one shape, over the sizes measured."""
    points = []
    for record in records:
        if record["shape"] != shape:
            continue
        seconds = total(engine, result_of(record, engine))
        if seconds is not None:
            points.append((record["gates"], seconds))
    return points


def at_size(records: list[Record], shape: str, n: int) -> Record | None:
    return next((r for r in records if r["shape"] == shape and r["n"] == n), None)


def peak_mb(engine: str, result: Record) -> float | None:
    """Peak RSS of the measuring process in MB: after backward (engines), or the CLI's."""
    if not ok(result):
        return None
    kb = result["maxrss_kb"] if engine in PROCESSES else result["rss_engine_kb"]
    return float(kb) / 1024


def graph_mb(engine: str, result: Record) -> float | None:
    """Peak RSS above the process's RSS after imports and loading the workload."""
    if not ok(result) or engine in PROCESSES:
        return None
    return float(result["rss_engine_kb"] - result["rss_base_kb"]) / 1024
