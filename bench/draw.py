"""Time `backprop draw`'s stages on chains of N gates: picture model, terminal drawing, DOT,
Mermaid, the tool's own SVG, the interactive page, and Graphviz's SVG for the small ones.
Prints a Markdown table.

    python bench/draw.py            # N = 50, 1000, 10000, 100000
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable

from backprop_cli import run
from backprop_cli.render.diagram import render_diagram
from backprop_cli.render.dot import render_dot
from backprop_cli.render.graphviz import render_graphviz
from backprop_cli.render.mermaid import render_mermaid
from backprop_cli.render.page import render_page
from backprop_cli.render.picture import build_picture
from backprop_cli.render.svg import render_svg

SIZES = (50, 1_000, 10_000, 100_000)
SVG_MAX = 1_000


def seconds(step: Callable[[], object]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def chain(gates: int) -> str:
    """``c = tanh(c*1.01 + 0.1)`` repeated: three gates a line."""
    return "c = x\n" + "c = tanh(c * 1.01 + 0.1)\n" * max(gates // 3, 1)


def measure(size: int) -> str:
    """One table row for a chain of about ``size`` gates."""
    program = chain(size)
    trace = run(program, {"x": 0.5})
    picture = build_picture(trace)
    times = [seconds(lambda: run(program, {"x": 0.5})), seconds(lambda: build_picture(trace)),
             seconds(lambda: render_diagram(picture, 80).plain()),
             seconds(lambda: render_dot(picture)), seconds(lambda: render_mermaid(picture)),
             seconds(lambda: render_svg(picture)), seconds(lambda: render_page(trace, picture))]
    dot = render_dot(picture)
    svg = f"{seconds(lambda: render_graphviz(dot, 'svg')):.3f} s" if size <= SVG_MAX else "-"
    cells = " | ".join(f"{value:.3f} s" for value in times)
    return f"| {trace.graph.gate_count():,} | {cells} | {svg} |"


def main() -> None:
    gc.disable()  # as the command line does
    sizes = [int(arg) for arg in sys.argv[1:]] or SIZES
    print("| gates | evaluate | picture | terminal | dot | mermaid | svg | html page | "
          "svg (Graphviz) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size in sizes:
        print(measure(size))


if __name__ == "__main__":
    main()
