"""Every command on three bundled circuits, as a ratio to a plain ``eval`` of the same circuit.

The circuits: a scalar one (``simple-circuit``), the sigmoid neuron (``sigmoid-neuron``) and a
two-layer net (``two-layer-hinge``). Each command runs as a whole process, in interleaved
rounds (so load on the machine falls on every command alike); per command the median CPU time
(user + sys of the child, from ``os.wait4``) and the median wall time are kept, and the ratio
is CPU time over the plain eval's of the same circuit, in the same rounds.

    python bench/commands.py --rounds 5            # prints the table
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from procs import backprop_command, measure

CIRCUITS = {"scalar": "simple-circuit", "sigmoid neuron": "sigmoid-neuron",
            "two-layer net": "two-layer-hinge"}
# label -> the arguments after the circuit (the plain eval first: every ratio is to it)
COMMANDS: dict[str, list[str]] = {
    "eval": ["eval", "{c}"],
    "eval --exact": ["eval", "{c}", "--exact"],
    "eval --format json": ["eval", "{c}", "--format", "json"],
    "eval --format latex": ["eval", "{c}", "--format", "latex"],
    "eval --format markdown": ["eval", "{c}", "--format", "markdown"],
    "eval --format csv": ["eval", "{c}", "--format", "csv"],
    "eval --steps": ["eval", "{c}", "--steps"],
    "eval --expand": ["eval", "{c}", "--expand"],
    "check (its [expect])": ["check", "{c}"],
    "gradcheck": ["gradcheck", "{c}"],
    "draw": ["draw", "{c}"],
    "draw --format dot": ["draw", "{c}", "--format", "dot"],
    "draw --format mermaid": ["draw", "{c}", "--format", "mermaid"],
    "draw --format svg": ["draw", "{c}", "--format", "svg", "-o", "{tmp}/out.svg"],
    "code": ["code", "{c}"],
    "code --style modular": ["code", "{c}", "--style", "modular"],
    "gates": ["gates", "{c}"],
}
PLAIN = "eval"


def command_line(label: str, circuit: str, tmp: str) -> list[str]:
    return [*backprop_command(),
            *(part.format(c=circuit, tmp=tmp) for part in COMMANDS[label])]


def run(rounds: int) -> dict[str, Any]:
    """``rounds`` interleaved rounds of every command on every circuit."""
    cpu: dict[tuple[str, str], list[float]] = {}
    wall: dict[tuple[str, str], list[float]] = {}
    failures: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            for name, circuit in CIRCUITS.items():
                for label in COMMANDS:
                    key = (name, label)
                    if f"{name}: {label}" in failures:
                        continue
                    done = measure(command_line(label, circuit, tmp))
                    if done.code not in (0, 1):
                        failures[f"{name}: {label}"] = f"exit code {done.code}"
                        continue
                    cpu.setdefault(key, []).append(done.cpu)
                    wall.setdefault(key, []).append(done.wall)
    rows = []
    for (name, label), times in cpu.items():
        plain = statistics.median(cpu[(name, PLAIN)])
        rows.append({"circuit": name, "command": label,
                     "cpu_median": statistics.median(times),
                     "wall_median": statistics.median(wall[(name, label)]),
                     "ratio": statistics.median(times) / plain})
    return {"rounds": rounds, "rows": rows, "failures": failures}


def markdown(result: dict[str, Any]) -> str:
    """The table: one line per command, one column per circuit (ratio, and the plain eval's
    time in its first line)."""
    names = list(CIRCUITS)
    by = {(r["circuit"], r["command"]): r for r in result["rows"]}
    lines = ["| command | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for label in COMMANDS:
        cells = []
        for name in names:
            row = by.get((name, label))
            if row is None:
                cells.append("failed")
            elif label == PLAIN:
                cells.append(f"1.00× ({row['cpu_median'] * 1000:.0f} ms CPU)")
            else:
                cells.append(f"{row['ratio']:.2f}×")
        lines.append(f"| `{label}` | " + " | ".join(cells) + " |")
    for what, why in result["failures"].items():
        lines.append(f"\n{what}: {why}")
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    """A bar chart of the ratios (SVG; matplotlib from the bench extra)."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: small, searchable
    import matplotlib.pyplot as plt

    names = list(CIRCUITS)
    labels = [label for label in COMMANDS if label != PLAIN]
    by = {(r["circuit"], r["command"]): r["ratio"] for r in result["rows"]}
    figure, axes = plt.subplots(figsize=(9, 0.32 * len(labels) + 1.5))
    height = 0.8 / len(names)
    for index, name in enumerate(names):
        positions = [i + index * height for i in range(len(labels))]
        axes.barh(positions, [by.get((name, label), 0) for label in labels], height,
                  label=name)
    axes.set_yticks([i + 0.4 - height / 2 for i in range(len(labels))], labels)
    axes.invert_yaxis()
    axes.axvline(1.0, color="black", linewidth=0.8)
    axes.axvline(1.5, color="red", linewidth=0.8, linestyle="--", label="target 1.5×")
    axes.set_xlabel("CPU time / plain eval of the same circuit")
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, format="svg", metadata={"Date": None})
    plt.close(figure)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/commands.py",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--plot", type=Path, help="also write the ratios as an SVG chart")
    args = parser.parse_args(argv)
    result = run(args.rounds)
    print(markdown(result))
    if args.plot:
        plot(result, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
