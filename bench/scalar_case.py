"""Measure one engine on one saved workload, in a process of its own; print one JSON line.

    python bench/scalar_case.py ENGINE WORKLOAD [--budget SECONDS]

ENGINE is ``tool`` (the library's stages in process, as the CLI runs them: compile (program
text to graph), forward, backward, JSON rendering; then forward and backward again on the
built graph), ``floor``
(the hand-inlined tape), ``micrograd`` or ``torch``.
Each stage is repeated while the budget lasts (at most 7 times) and its best CPU time
(``time.process_time``, steadier than wall time on a shared machine) and best wall time kept.
Peak memory is ``resource.getrusage(RUSAGE_SELF).ru_maxrss``: once after loading the workload
(the base), once after backward (the engine's peak) and, for the tool, after JSON rendering.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import workloads

MAX_REPEATS = 7


def maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class Stopwatch:
    """Best CPU time (``time.process_time``) and best wall time per stage over repeats, and
    the peak RSS reached by the end of each stage (its first run)."""

    def __init__(self) -> None:
        self.best: dict[str, float] = {}
        self.best_wall: dict[str, float] = {}
        self.rss_kb: dict[str, int] = {}

    def time(self, stage: str, work: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        self.best[stage] = min(cpu, self.best.get(stage, cpu))
        self.best_wall[stage] = min(wall, self.best_wall.get(stage, wall))
        self.rss_kb.setdefault(stage, maxrss_kb())
        return result


def repeat(budget: float, once: Callable[[int], None]) -> int:
    """Run ``once`` at least once, then again while the budget lasts."""
    start = time.perf_counter()
    count = 0
    while count == 0 or (count < MAX_REPEATS and time.perf_counter() - start < budget):
        once(count)
        count += 1
    return count


def run_tool(path: Path, budget: float, result: dict[str, Any]) -> None:
    from backprop_cli.api import compile_program
    from backprop_cli.engine.tape_passes import backward_on_tape as backward
    from backprop_cli.engine.tape_passes import forward_on_tape as forward  # evaluate's passes
    from backprop_cli.gcpause import paused_gc
    from backprop_cli.render.json import render_json_pieces

    w, text = workloads.load(path, with_ops=False)
    result["rss_base_kb"] = maxrss_kb()
    watch = Stopwatch()
    out: dict[str, Any] = {}

    def paused(work: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with paused_gc():
                return work()
        return run

    def once(count: int) -> None:
        out.pop("graph", None)
        graph = watch.time("compile", paused(partial(compile_program, text)))
        values = watch.time("forward", paused(lambda: forward(graph, w.inputs)))
        trace = watch.time("backward", paused(lambda: backward(graph, values)))
        out["rss_engine_kb"] = maxrss_kb()
        out["bytes"] = watch.time("json", lambda: _written(render_json_pieces(trace)))
        out["gates"], out["graph"] = graph.gate_count(), graph

    def engine_once(count: int) -> None:
        """Forward and backward again on the built graph (they are the engine's targets)."""
        out.pop("trace", None)
        values = watch.time("forward", paused(lambda: forward(graph, w.inputs)))
        out["trace"] = watch.time("backward", paused(lambda: backward(graph, values)))

    result["repeats"] = repeat(budget, once)
    graph = out.pop("graph")
    result["engine_repeats"] = repeat(budget, engine_once)
    trace = out.pop("trace")
    result.update(out, times=watch.best, times_wall=watch.best_wall, rss_stages_kb=watch.rss_kb,
                  value=float(trace.value),
                  grads=[float(trace.gradients[name]) for name in w.inputs],
                  rss_peak_kb=maxrss_kb())


def _written(pieces: Any) -> int:
    """Consume the JSON as the CLI writes it (piece by piece); its size in characters."""
    return sum(len(piece) for piece in pieces)


def run_replay(engine: str, path: Path, budget: float, result: dict[str, Any]) -> None:
    """The floor, micrograd or torch: forward and backward over the op list."""
    w, _ = workloads.load(path, with_text=False)
    forward, backward = _runner(engine, w)
    result["rss_base_kb"] = maxrss_kb()
    watch = Stopwatch()
    out: dict[str, Any] = {}

    def once(count: int) -> None:
        out.clear()
        gc.collect()
        values = watch.time("forward", forward)
        out["grads"] = watch.time("backward", lambda: backward(values))
        out["value"] = _value(engine, values)
        out["rss_engine_kb"] = maxrss_kb()

    result["repeats"] = repeat(budget, once)
    result.update(out, gates=w.gates, times=watch.best, times_wall=watch.best_wall,
                  rss_peak_kb=maxrss_kb())


def _runner(engine: str, w: workloads.Workload) -> tuple[Callable[[], Any],
                                                         Callable[[Any], list[float]]]:
    if engine == "floor":
        from tape import Tape

        tape = Tape(w)
        inputs = w.input_nodes()

        def backward(v: list[float]) -> list[float]:
            g = tape.backward(v)
            return [g[i] for i in inputs]
        return tape.forward, backward
    import peers

    return peers.micrograd_runner(w) if engine == "micrograd" else peers.torch_runner(w)


def _value(engine: str, values: Any) -> float:
    """The output is the last node of every workload."""
    if engine == "floor":
        return float(values[-1])
    import peers

    return peers.value_of(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engine", choices=("tool", "floor", "micrograd", "torch"))
    parser.add_argument("workload", type=Path)
    parser.add_argument("--budget", type=float, default=1.0,
                        help="seconds to spend repeating each case (default 1)")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"engine": args.engine}
    try:
        if args.engine == "tool":
            run_tool(args.workload, args.budget, result)
        else:
            run_replay(args.engine, args.workload, args.budget, result)
    except (RecursionError, MemoryError, ImportError) as error:
        result["error"] = f"{type(error).__name__}: {error}"
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
