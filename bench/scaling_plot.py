"""The scaling curves of the large scalar graphs as an SVG chart: microseconds per gate against
the number of gates, one panel per shape (chain, wide, dag), one line per engine.

    python bench/scaling_plot.py docs/benchmarks.json docs/benchmarks-scaling.svg

``bench/run.py`` draws it after the scalar section when matplotlib (the bench extra) is
installed. Lines: the tool's engine (forward + backward of a compiled graph), the tool end to
end (the whole ``backprop eval ... --format json`` process, CPU time), micrograd and torch
(graph built during forward, then backward), and the floor (a hand-inlined Python tape).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SHAPES = ("chain", "wide", "dag")
LINES = {  # engine -> label
    "tool": "backprop engine (fwd+bwd)",
    "cli": "backprop eval --format json (whole process)",
    "micrograd": "micrograd (fwd+bwd)",
    "torch": "torch scalar autograd (fwd+bwd)",
    "floor": "hand-inlined Python tape (fwd+bwd)",
}


def per_gate_us(case: dict[str, Any], engine: str) -> float | None:
    """Microseconds per gate of one engine on one case, or None when it was not measured."""
    result = case["results"].get(engine)
    if not isinstance(result, dict):
        return None
    if engine == "cli":
        seconds = result.get("cpu")
    else:
        times = result.get("times", {})
        if "forward" not in times or "backward" not in times:
            return None
        seconds = times["forward"] + times["backward"]
    return None if seconds is None else 1e6 * seconds / case["gates"]


def curves(scalar: list[dict[str, Any]]) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """shape -> engine -> [(gates, µs per gate)], in order of size."""
    found: dict[str, dict[str, list[tuple[int, float]]]] = {s: {} for s in SHAPES}
    for case in sorted(scalar, key=lambda c: c["gates"]):
        for engine in LINES:
            value = per_gate_us(case, engine)
            if value is not None and case["shape"] in found:
                found[case["shape"]].setdefault(engine, []).append((case["gates"], value))
    return found


def plot(scalar: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: small, searchable
    import matplotlib.pyplot as plt

    found = curves(scalar)
    figure, axes = plt.subplots(1, len(SHAPES), figsize=(12, 4), sharey=True)
    for axis, shape in zip(axes, SHAPES, strict=True):
        for engine, label in LINES.items():
            points = found[shape].get(engine)
            if points:
                axis.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                          label=label)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_title(shape)
        axis.set_xlabel("gates")
        axis.grid(True, which="major", linewidth=0.4)
    axes[0].set_ylabel("µs per gate (CPU)")
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=3, fontsize="small")
    figure.tight_layout(rect=(0, 0.12, 1, 1))
    figure.savefig(path, format="svg", metadata={"Date": None})
    plt.close(figure)


def main(argv: Sequence[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    results = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    plot(results["scalar"], Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
