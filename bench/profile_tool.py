"""Where the tool's time goes: each stage of ``backprop eval --format json`` under cProfile.

    python bench/profile_tool.py [--shape chain|wide|dag] [--n 100000] [--top 12]

Stages as the CLI runs them: compile (program text to graph, ``api.compile_program``),
forward, backward, JSON rendering (consumed piece by piece, as the CLI writes it). Prints
each stage's wall time without the profiler, then the functions with the most own time
inside it (cProfile adds overhead per call, so the shares, not the absolute times, are what
to read).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections.abc import Callable
from typing import Any

import workloads

from backprop_cli.api import compile_program
from backprop_cli.engine.reference import backward, forward
from backprop_cli.gcpause import paused_gc
from backprop_cli.render.json import render_json_pieces


def stages(text: str, inputs: dict[str, float]) -> list[tuple[str, Callable[[], Any], bool]]:
    """(name, work, gc paused?) in order; each stage leaves its result for the next."""
    state: dict[str, Any] = {}

    def set_(key: str, work: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            state[key] = work()
            return state[key]
        return run

    return [
        ("compile", set_("graph", lambda: compile_program(text)), True),
        ("forward", set_("values", lambda: forward(state["graph"], inputs)), True),
        ("backward", set_("trace", lambda: backward(state["graph"], state["values"])), True),
        ("json", set_("json", lambda: sum(map(len, render_json_pieces(state["trace"])))),
         False),
    ]


def timed(work: Callable[[], Any], paused: bool) -> float:
    start = time.perf_counter()
    if paused:
        with paused_gc():
            work()
    else:
        work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=workloads.SHAPES, default="chain")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    w = workloads.make(args.shape, args.n)
    text, inputs, gates = w.program, dict(w.inputs), w.gates
    del w
    print(f"{args.shape}, {gates:,} gates, {len(text):,} characters of program text\n")
    for name, work, paused in stages(text, inputs):
        seconds = timed(work, paused)
        print(f"{name:24} {seconds:8.3f} s  {seconds / gates * 1e6:7.2f} µs/gate")
    for name, work, paused in stages(text, inputs):
        profile = cProfile.Profile()
        profile.enable()
        timed(work, paused)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
        body = out.getvalue()
        print(f"\n=== {name} " + "=" * 60)
        print(body[body.find("   ncalls"):].rstrip())


if __name__ == "__main__":
    main()
