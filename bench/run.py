"""Run the whole benchmark suite and write the Markdown report (see bench/README.md).

    python bench/run.py            # everything, N = 10^3 .. 10^6; writes docs/benchmarks.md
    python bench/run.py --quick    # a smoke run at small N (under a minute); prints the report

Every measured case runs in a process of its own, one at a time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import cold_start
import commands
import end_to_end
import machine
import report
import scaling_plot
import workloads
from procs import BENCH, backprop_command, measure, python, run_json

ROOT = BENCH.parent
SIZES = (10**3, 10**4, 10**5, 10**6)
QUICK_SIZES = (10**3, 10**4)
ENGINES = ("floor", "tool", "cli", "cli_plain", "micrograd", "torch")
PEERS = ("micrograd", "torch")
QUICK_SKIP = "a quick run measures the peers at its largest size only"
SECTIONS = ("scalar", "cold", "batch", "arrays", "commands")
DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
HELPER_SCRIPTS = {"batch": "batch_rows.py", "arrays": "two_layer_net.py",
                  "conv": "conv_net.py"}
# Options passed to those scripts when they mention them: a quick run must stay short, and
# the batch script should use the same number of rows as the batch section.
HELPER_OPTIONS = {
    "batch": lambda a: {"--rows": str(a.batch_rows), "--repeat": "1" if a.quick else "3"},
    "arrays": lambda a: {"--repeat": "20" if a.quick else "200"},
    "conv": lambda a: {"--repeat": "5" if a.quick else "50"},
}


def _size(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1 or value != int(value):
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(value)


def _list_of(choices: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        picked = [part.strip() for part in text.split(",") if part.strip()]
        wrong = [part for part in picked if part not in choices]
        if wrong or not picked:
            raise argparse.ArgumentTypeError(
                f"choose from {', '.join(choices)} (comma-separated), not {text!r}")
        return picked
    return parse


def _sizes(text: str) -> list[int]:
    return [_size(part) for part in text.split(",") if part.strip()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py", description=__doc__.splitlines()[0],
        epilog="Example: python bench/run.py --quick --sections scalar --shapes chain")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: N = 10^3 and 10^4 (the peers at 10^4 only), short "
                             "budgets; prints the report instead of writing docs/benchmarks.md "
                             "(unless --out)")
    parser.add_argument("--sizes", type=_sizes, metavar="N,N,...",
                        help="gate counts (1e3,1e4 or 1000,10000); default 10^3..10^6")
    parser.add_argument("--shapes", type=_list_of(workloads.SHAPES), metavar="S,S",
                        default=list(workloads.SHAPES), help="chain, wide, dag (default all)")
    parser.add_argument("--engines", type=_list_of(ENGINES), metavar="E,E",
                        default=list(ENGINES), help=f"{', '.join(ENGINES)} (default all)")
    parser.add_argument("--sections", type=_list_of(SECTIONS), metavar="S,S",
                        default=list(SECTIONS), help=f"{', '.join(SECTIONS)} (default all)")
    parser.add_argument("--peer-max-n", type=_size, metavar="N",
                        help="skip micrograd and torch on graphs larger than N gates "
                             "(default: run them when the memory they need is available)")
    parser.add_argument("--budget", type=float, metavar="S",
                        help="seconds to spend repeating each case (default 1; quick 0.1)")
    parser.add_argument("--cold-runs", type=int, metavar="R",
                        help="cold-start rounds (default 15; quick 2)")
    parser.add_argument("--batch-rows", type=_size, metavar="N",
                        help="rows for the batch section (default 10^6; quick 10^4)")
    parser.add_argument("--timeout", type=float, default=3600.0, metavar="S",
                        help="give up on one case after S seconds (default 3600)")
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="write the Markdown report here (default docs/benchmarks.md; "
                             "with --quick, stdout)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the raw results")
    parser.add_argument("--status", default="",
                        help="a remark shown at the top, e.g. 'preliminary (machine shared)'")
    args = parser.parse_args(argv)
    quick = args.quick
    args.sizes = args.sizes or list(QUICK_SIZES if quick else SIZES)
    args.budget = args.budget if args.budget is not None else (0.1 if quick else 1.0)
    args.cold_runs = args.cold_runs or (2 if quick else 15)
    args.batch_rows = args.batch_rows or (10**4 if quick else 10**6)
    if args.out is None and not quick:
        args.out = DEFAULT_OUT
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- 1. scalar graphs -------------------------------------------------------------------------

def run_scalar(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for shape in args.shapes:
        for n in args.sizes:
            records.append(_scalar_case(args, workdir, shape, n, records))
    return records


def _scalar_case(args: argparse.Namespace, workdir: Path, shape: str, n: int,
                 done: list[dict[str, Any]]) -> dict[str, Any]:
    data, program = workdir / f"{shape}-{n}.bin", workdir / f"{shape}-{n}.bp"
    made = run_json(python(str(BENCH / "workloads.py"), shape, str(n), str(data), str(program)))
    if "error" in made:
        raise RuntimeError(f"could not make the {shape} workload of {n} gates: {made['error']}")
    inputs: dict[str, float] = made["inputs"]
    record: dict[str, Any] = {"shape": shape, "n": n, "gates": made["gates"],
                              "nodes": made["nodes"], "inputs": len(inputs), "results": {}}
    for engine in args.engines:
        skip = _skip_reason(engine, record, done, args)
        if skip:
            record["results"][engine] = {"skipped": skip}
            log(f"  {shape:5} {n:>8} {engine:9} skipped: {skip}")
            continue
        start = time.perf_counter()
        if engine in end_to_end.FORMATS:
            result = end_to_end.run(program, inputs, args.budget, args.timeout,
                                    fmt=end_to_end.FORMATS[engine])
        else:
            result = run_json(python(str(BENCH / "scalar_case.py"), engine, str(data),
                                     "--budget", str(args.budget)), args.timeout)
        record["results"][engine] = result
        status = result.get("error") or f"{time.perf_counter() - start:.1f} s"
        log(f"  {shape:5} {n:>8} {engine:9} {status}")
    _check_agreement(record)
    data.unlink()
    program.unlink()
    return record


def _skip_reason(engine: str, record: dict[str, Any], done: list[dict[str, Any]],
                 args: argparse.Namespace) -> str | None:
    if engine not in PEERS:
        return None
    if find_spec(engine) is None:
        return f"{engine} is not installed (pip install -e \".[bench]\")"
    if args.peer_max_n is not None and record["gates"] > args.peer_max_n:
        return f"above --peer-max-n {args.peer_max_n}"
    if args.quick and record["n"] != max(args.sizes):
        return QUICK_SKIP
    earlier = [r["results"].get(engine, {}) for r in done if r["shape"] == record["shape"]
               and not r["results"].get(engine, {}).get("skipped", "").startswith(QUICK_SKIP)]
    if earlier and ("error" in earlier[-1] or "skipped" in earlier[-1]):
        return "skipped or failed at a smaller size"
    if earlier and "rss_engine_kb" in earlier[-1]:
        previous = next(r for r in reversed(done) if r["shape"] == record["shape"])
        per_gate = 1024 * (earlier[-1]["rss_engine_kb"] - earlier[-1]["rss_base_kb"]) / \
            previous["gates"]
        need = 1.3 * per_gate * record["gates"]
        available = machine.available_bytes()
        if available and need > 0.8 * available:
            return f"needs about {need / 2**30:.1f} GiB, {available / 2**30:.1f} GiB available"
    return None


def _check_agreement(record: dict[str, Any]) -> None:
    """Each engine's output value and input gradients against the floor's."""
    floor = record["results"].get("floor", {})
    if "value" not in floor:
        return
    for engine, result in record["results"].items():
        if engine == "floor" or "value" not in result:
            continue
        pairs = [(result["value"], floor["value"]), *zip(result["grads"], floor["grads"],
                                                          strict=True)]
        result["agrees"] = all(math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)
                               for a, b in pairs)


# --- 2. batch, 4. arrays ----------------------------------------------------------------------

def run_batch(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    rows = args.batch_rows
    reference = str(BENCH / "batch_reference.py")
    result: dict[str, Any] = {"rows": rows}
    result["compute"] = run_json(python(reference, "compute", str(rows)), args.timeout)
    source, numpy_out, tool_out = (workdir / name for name in
                                   ("rows.csv", "numpy-out.csv", "tool-out.csv"))
    measure(python(reference, "make", str(rows), str(source)))
    done = measure(python(reference, "csv", str(source), str(numpy_out)), args.timeout)
    result["numpy_csv"] = {"wall": done.wall, "cpu": done.cpu, "maxrss_kb": done.maxrss_kb,
                           "code": done.code}
    if _has_rows_option():
        command = [*backprop_command(), "eval", "sigmoid-neuron", "--rows", str(source),
                   "--format", "csv"]
        done = measure(command, args.timeout, stdout_path=tool_out, keep_stdout=False)
        lines = sum(1 for _ in tool_out.open("rb")) if done.code == 0 else 0
        result["tool_csv"] = {"wall": done.wall, "cpu": done.cpu, "maxrss_kb": done.maxrss_kb,
                              "code": done.code, "lines": lines, "command": command[1:]}
    else:
        result["tool_csv"] = {"unavailable": "`backprop eval` has no --rows option yet"}
    result["helper"] = run_helper("batch", args)
    for path in (source, numpy_out, tool_out):
        path.unlink(missing_ok=True)
    log(f"  batch {rows} rows done")
    return result


def _has_rows_option() -> bool:
    done = measure([*backprop_command(), "eval", "--help"])
    return "--rows" in done.stdout


ONE_BLAS_THREAD = {name: "1" for name in
                   ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


def run_arrays(args: argparse.Namespace) -> dict[str, Any]:
    """numpy and torch by hand, and the library when the arrays work is there; BLAS on one
    thread (as bench/two_layer_net.py does: on a shared machine more threads measure the
    neighbours)."""
    repeats = "10" if args.quick else "100"
    env = {**os.environ, **ONE_BLAS_THREAD}
    result = {"reference": run_json(python(str(BENCH / "arrays_reference.py"), "--repeats",
                                           repeats), args.timeout, env),
              "helper": run_helper("arrays", args), "conv": run_helper("conv", args)}
    log("  arrays done")
    return result


def run_helper(section: str, args: argparse.Namespace) -> dict[str, Any]:
    """bench/batch_rows.py or bench/two_layer_net.py, if present: its stdout goes into the
    report verbatim; lines ``TARGET {json}`` join the targets table."""
    script = BENCH / HELPER_SCRIPTS[section]
    if not script.exists():
        return {"missing": f"bench/{script.name} is not there yet"}
    command = python(str(script))
    source = script.read_text(encoding="utf-8")
    for option, value in HELPER_OPTIONS[section](args).items():
        if option in source:
            command += [option, value]
    if args.quick and "--quick" in source:
        command.append("--quick")
    done = measure(command, args.timeout)
    lines = done.stdout.splitlines()
    targets = [json.loads(line[len("TARGET "):]) for line in lines if line.startswith("TARGET ")]
    text = "\n".join(line for line in lines if not line.startswith("TARGET "))
    shown = " ".join([f"python bench/{script.name}", *command[2:]])
    return {"script": f"bench/{script.name}", "command": shown,
            "code": done.code, "wall": done.wall, "stdout": text, "targets": targets,
            "stderr_tail": done.stderr.strip().splitlines()[-3:] if done.code else []}


# --- the run ----------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine.describe(), "status": args.status,
                               "quick": args.quick, "sizes": args.sizes,
                               "budget": args.budget}
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        workdir = Path(tmp)
        if "scalar" in args.sections:
            log("scalar graphs")
            results["scalar"] = run_scalar(args, workdir)
            if args.out and find_spec("matplotlib"):
                scaling_plot.plot(results["scalar"],
                                  args.out.with_name("benchmarks-scaling.svg"))
        if "cold" in args.sections:
            log(f"cold start ({args.cold_runs} rounds)")
            results["cold"] = cold_start.run(args.cold_runs)
        if "batch" in args.sections:
            log("batch")
            results["batch"] = run_batch(args, workdir)
        if "arrays" in args.sections:
            log("arrays")
            results["arrays"] = run_arrays(args)
        if "commands" in args.sections:
            log(f"commands ({args.cold_runs} rounds)")
            results["commands"] = commands.run(args.cold_runs)
            if args.out and find_spec("matplotlib"):
                commands.plot(results["commands"], args.out.with_name("benchmarks-commands.svg"))
    results["seconds"] = time.perf_counter() - started
    results["machine"]["load average at end"] = " / ".join(
        f"{x:.2f}" for x in os.getloadavg())
    previous = args.out.read_text(encoding="utf-8") if args.out and args.out.exists() else ""
    text = report.render(results, report.kept_notes(previous))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        log(f"wrote {args.out} in {results['seconds']:.0f} s")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
