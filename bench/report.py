"""The results of a run as the Markdown of docs/benchmarks.md."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import metrics as m
import targets

ENGINE_LABELS = {
    "floor": "hand-inlined tape (floor)",
    "tool": "tool engine (built graph)",
    "cli": "tool end to end (CLI → JSON)",
    "cli_plain": "tool end to end (CLI → plain summary)",
    "micrograd": "micrograd",
    "torch": "torch scalar autograd",
}
STAGES = ("compile", "forward", "backward", "json")
NOTES_BEGIN = "<!-- notes: written by hand; bench/run.py keeps this block when it rewrites -->"
NOTES_END = "<!-- end of notes -->"


def kept_notes(previous: str) -> str | None:
    """The hand-written notes block of an earlier report, markers included."""
    start, end = previous.find(NOTES_BEGIN), previous.find(NOTES_END)
    if start < 0 or end < start:
        return None
    return previous[start:end + len(NOTES_END)]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def num(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    if value == 0:
        return "0"
    return f"{value:.{digits}g}" if abs(value) < 10**digits else f"{value:,.0f}"


def times_x(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def size(n: int) -> str:
    return f"10^{len(str(n)) - 1}" if str(n).strip("0") == "1" else f"{n:,}"


def render(results: dict[str, Any], notes: str | None = None) -> str:
    """The report; ``notes`` (a hand-written block, see ``kept_notes``) follows the targets."""
    parts = [_header(results), _targets(results)]
    if notes:
        parts.append(notes)
    if "scalar" in results:
        parts.append(_scalar(results["scalar"]))
    if "batch" in results:
        parts.append(_batch(results["batch"]))
    if "cold" in results:
        parts.append(_cold(results["cold"]))
    if "arrays" in results:
        parts.append(_arrays(results["arrays"]))
    if "commands" in results:
        parts.append(_commands(results["commands"]))
    return "\n\n".join(parts) + "\n"


def _header(results: dict[str, Any]) -> str:
    status = results.get("status") or ("quick smoke run" if results.get("quick") else "")
    command = "python bench/run.py" + (" --quick" if results.get("quick") else "")
    lines = ["# Benchmarks", ""]
    if status:
        lines += [f"**Status: {status}.**", ""]
    lines += [f"Written by `{command}` in {results.get('seconds', 0):.0f} s; how each number "
              "is measured: [bench/README.md](../bench/README.md). Every case ran in a "
              "process of its own, one at a time. Scalar-graph times are **CPU time** "
              "(`time.process_time` in the measuring process; for the CLI, user + sys of the "
              "child), the best of up to 7 repeats within "
              f"{results.get('budget', 0):g} s per case (large cases run once): on a shared "
              "machine CPU time is far steadier than wall time, which the raw results also "
              "keep. Whole-process jobs (cold start, CSV to CSV) are judged on wall time, "
              "with CPU time beside it.", ""]
    lines.append(table(("machine", ""), list(results["machine"].items())))
    return "\n".join(lines)


def _targets(results: dict[str, Any]) -> str:
    rows = targets.judge(results)
    return "## Targets\n\n" + table(("target", "measured", "verdict"),
                                    [(t, mm, f"**{v}**") for t, mm, v in rows])


def _scalar(records: list[dict[str, Any]]) -> str:
    parts = ["## 1. Large scalar graphs", _SCALAR_INTRO]
    shapes = list(dict.fromkeys(r["shape"] for r in records))
    for shape in shapes:
        parts.append(f"### {shape}: {_SHAPE_TEXT.get(shape, '')}")
        parts.append(_shape_table([r for r in records if r["shape"] == shape]))
    parts += ["### Ratios (fwd+bwd time; > 1 means the tool is slower)", _ratios(records),
              "### Scaling exponent k (time ∝ N^k, least squares over the sizes run)",
              _scaling(records, shapes),
              "### Where the tool's time goes (in process, µs per gate)", _stages(records),
              _skips(records)]
    return "\n\n".join(p for p in parts if p)


_SCALAR_INTRO = """\
Forward and backward in µs per gate; peak RSS of the measuring process
(`resource.getrusage().ru_maxrss`; for the CLI, the child's from `os.wait4`), and in brackets
the part above the process's RSS after imports and loading the workload (the graph's own cost).
The tool end to end is the real `backprop eval FILE NAME=VALUE... --format json` in a
subprocess, stdout to a file (CPU time of the whole process, start-up included; wall time
beside it); "plain summary" is the same command with `--format plain --digits 17`.
micrograd and torch build their graph during forward (that is how they work). "ok" = value and
input gradients agree with the floor's (rel. 1e-6)."""

_SHAPE_TEXT = {
    "chain": "`c = tanh(c*1.01 + 0.1)` repeated (depth N)",
    "wide": "one expression, a sum of N/2 products of 64 inputs",
    "dag": "random DAG, each line uses the previous node and a random one (half the time one "
           "of 16 hub inputs: fan-out ~N/64 each)",
}


def _shape_table(records: list[dict[str, Any]]) -> str:
    rows = []
    for record in records:
        gates = record["gates"]
        for engine, result in record["results"].items():
            label = ENGINE_LABELS.get(engine, engine)
            if not m.ok(result):
                why = result.get("skipped") or result.get("error") or "?"
                rows.append((size(record["n"]), label, f"{why}", "", "", "", "", "", ""))
                continue
            if engine in m.PROCESSES:
                wall = per_gate_us(result["wall"], gates)
                rows.append((size(record["n"]), label, "", "", "",
                             f"{num(per_gate_us(result['cpu'], gates))} (wall {num(wall)})",
                             _vs_floor(record, engine), _memory(engine, result),
                             _agrees(result)))
                continue
            fwd, bwd = m.forward(result), m.backward(result)
            rows.append((size(record["n"]), label, num(per_gate_us(fwd, gates)),
                         num(per_gate_us(bwd, gates)), times_x(m.ratio(bwd, fwd)),
                         num(per_gate_us(m.total(engine, result), gates)),
                         _vs_floor(record, engine), _memory(engine, result),
                         _agrees(result)))
    return table(("N", "engine", "fwd µs/gate", "bwd µs/gate", "bwd/fwd", "total µs/gate",
                  "× floor", "peak MB (graph)", "ok"), rows)


def per_gate_us(seconds: float | None, gates: int) -> float | None:
    return m.per_gate_us(seconds, gates)


def _vs_floor(record: dict[str, Any], engine: str) -> str:
    if engine == "floor":
        return "1×"
    return times_x(m.ratio(m.total(engine, m.result_of(record, engine)),
                           m.total("floor", m.result_of(record, "floor"))))


def _memory(engine: str, result: dict[str, Any]) -> str:
    peak, graph = m.peak_mb(engine, result), m.graph_mb(engine, result)
    return num(peak) + ("" if graph is None else f" ({num(graph)})")


def _agrees(result: dict[str, Any]) -> str:
    if "agrees" not in result:
        return "ref" if "value" in result else "–"
    return "ok" if result["agrees"] else "**differs**"


def _ratios(records: list[dict[str, Any]]) -> str:
    rows = []
    for record in records:
        total = {e: m.total(e, m.result_of(record, e)) for e in ENGINE_LABELS}
        rows.append((record["shape"], size(record["n"]),
                     times_x(m.ratio(total["tool"], total["floor"])),
                     times_x(m.ratio(total["cli"], total["floor"])),
                     times_x(m.ratio(total["micrograd"], total["tool"])),
                     times_x(m.ratio(total["torch"], total["tool"])),
                     times_x(m.ratio(total["micrograd"], total["cli"])),
                     times_x(m.ratio(total["torch"], total["cli"])),
                     times_x(m.ratio(total["micrograd"], total["cli_plain"])),
                     times_x(m.ratio(total["torch"], total["cli_plain"]))))
    return table(("shape", "N", "engine / floor", "end-to-end / floor",
                  "micrograd / engine", "torch / engine", "micrograd / end-to-end",
                  "torch / end-to-end", "micrograd / plain end-to-end",
                  "torch / plain end-to-end"), rows) + "\n\n" + _RATIO_NOTE


_RATIO_NOTE = """\
End to end is program text in, JSON out (every node and edge, ~250 bytes a gate); "plain end
to end" is the same process with the default plain output, which for a graph this large is
the output's value and the input gradients (the difference is what writing the JSON costs).
Ratios > 1 in the peer columns mean the tool is faster."""


def _scaling(records: list[dict[str, Any]], shapes: list[str]) -> str:
    rows = []
    for engine, label in ENGINE_LABELS.items():
        ks = [m.scaling_exponent(m.series(records, shape, engine)) for shape in shapes]
        rows.append((label, *(("–" if k is None else f"{k:.3f}") for k in ks)))
    return table(("engine (fwd+bwd; CLI: whole process)", *shapes), rows)


def _stages(records: list[dict[str, Any]]) -> str:
    rows = []
    for record in records:
        result = m.result_of(record, "tool")
        if not m.ok(result):
            continue
        t = dict(result["times"])
        if any(s not in t for s in STAGES):
            continue  # a run of an earlier version of the suite
        whole = sum(t[s] for s in STAGES)
        cells = [f"{num(per_gate_us(t[s], record['gates']))} ({100 * t[s] / whole:.0f}%)"
                 for s in STAGES]
        rows.append((record["shape"], size(record["n"]), *cells,
                     num(per_gate_us(whole, record["gates"]))))
    note = ("compile = program text to graph (`api.compile_program`: tokenizer, parser and "
            "graph builder in one pass); each stage timed alone with gc paused as the CLI "
            "does, JSON rendering with gc on (as the CLI renders), its pieces consumed as the "
            "CLI writes them.")
    return table(("shape", "N", "compile", "forward", "backward", "JSON render", "sum"),
                 rows) + "\n\n" + note + "\n\n" + _stage_memory(records)


def _stage_memory(records: list[dict[str, Any]]) -> str:
    """Peak RSS reached by the end of each stage, at each shape's largest size."""
    rows = []
    for shape in dict.fromkeys(r["shape"] for r in records):
        record = max((r for r in records if r["shape"] == shape), key=lambda r: r["n"])
        result = m.result_of(record, "tool")
        if not m.ok(result) or "rss_stages_kb" not in result:
            continue
        rss = result["rss_stages_kb"]
        rows.append((shape, size(record["n"]), num(result["rss_base_kb"] / 1024),
                     *(num(rss[s] / 1024) for s in STAGES if s in rss)))
    if not rows:
        return ""
    return ("Peak RSS (MB) of the tool's process by the end of each stage (high-water mark, "
            "so a stage that adds nothing repeats the number before it):\n\n" +
            table(("shape", "N", "loaded", *STAGES), rows))


def _skips(records: list[dict[str, Any]]) -> str:
    notes = sorted({f"{engine}: {result['skipped']}" for r in records
                    for engine, result in r["results"].items() if "skipped" in result})
    if not notes:
        return ""
    return "Skipped: " + "; ".join(notes) + "."


def _batch(batch: dict[str, Any]) -> str:
    rows = batch["rows"]
    compute = batch.get("compute", {})
    lines = [f"## 2. Batch: the sigmoid neuron over {rows:,} rows", "",
             "Reference halves from `bench/batch_reference.py` (numpy by hand; torch autograd "
             "on float64 vectors, 1 thread)."]
    table_rows = [("numpy, compute", _seconds(compute.get("numpy"))),
                  ("torch (1 thread), compute", _seconds(compute.get("torch")))]
    numpy_csv = batch.get("numpy_csv", {})
    table_rows.append(("numpy script, CSV in → CSV out (whole process)",
                       _process(numpy_csv)))
    engine = compute.get("tool", {})
    if "one_call" in engine:
        check = "" if engine.get("agrees") else " (**differs from numpy**)"
        table_rows += [("tool batch engine, compute, one call" + check,
                        _seconds(engine["one_call"])),
                       (f"tool batch engine, compute, chunks of {engine['chunk_rows']:,} rows "
                        "(as the CLI)", _seconds(engine["chunked"]))]
    else:
        table_rows.append(("tool batch engine, compute", engine.get("unavailable", "–")))
    tool = batch.get("tool_csv", {})
    table_rows.append(("backprop eval sigmoid-neuron --rows FILE --format csv",
                       tool.get("unavailable") or _process(tool)))
    lines += ["", table(("job", "time"), table_rows), "", _helper(batch.get("helper", {}))]
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value * 1e3:,.1f} ms"


def _process(done: dict[str, Any]) -> str:
    if "wall" not in done:
        return "–"
    if done.get("code"):
        return f"failed (exit code {done['code']})"
    peak = done["maxrss_kb"] / 1024
    return f"{done['wall']:.2f} s (CPU {done['cpu']:.2f} s, peak {peak:,.0f} MB)"


def _helper(helper: dict[str, Any]) -> str:
    if "missing" in helper:
        return f"The tool's half: {helper['missing']} (reported as not available yet)."
    head = f"`{helper['command']}` (exit code {helper['code']}, {helper['wall']:.1f} s):"
    body = helper.get("stdout") or "(no output)"
    if not any(line.startswith(("|", "#")) for line in body.splitlines()):
        body = f"```text\n{body}\n```"  # plain text, not Markdown
    tail = "\n".join(helper.get("stderr_tail", []))
    return head + "\n\n" + body + (f"\n\n```\n{tail}\n```" if tail else "")


def _cold(cold: dict[str, Any]) -> str:
    rows = cold["rows"]
    base = next((r["median"] for label, r in rows.items() if "sympy" in label), None)
    table_rows = [(f"`{label}`" if not label.endswith(")") else label,
                   f"{r['median'] * 1e3:.0f}", f"{r['best'] * 1e3:.0f}",
                   f"{r['cpu_median'] * 1e3:.0f}" if "cpu_median" in r else "–",
                   times_x(m.ratio(r["median"], base)), str(r["runs"]))
                  for label, r in rows.items()]
    lines = ["## 3. Cold start", "",
             "Whole processes, run in interleaved rounds; times in ms.", "",
             table(("command", "median wall", "best wall", "median CPU", "× import sympy",
                    "runs"), table_rows)]
    for label, why in cold.get("failures", {}).items():
        lines.append(f"\n{label} failed: {why}")
    if cold.get("missing"):
        lines.append("\nNot installed: " + ", ".join(cold["missing"]) + ".")
    imports = cold.get("importtime", {})
    if imports:
        lines += ["", f"`python -X importtime` of the tool's job: {imports['modules']} modules, "
                  f"{imports['total_us'] / 1e3:.0f} ms of import time (importtime's own "
                  "overhead included); sympy imported: "
                  f"{'yes' if imports['sympy_loaded'] else 'no'}, numpy imported: "
                  f"{'yes' if imports['numpy_loaded'] else 'no'}.", "",
                  table(("package (self time summed)", "ms", "module (self time)", "ms"),
                        _side_by_side(imports["by_package"], imports["by_module"]))]
    return "\n".join(lines)


def _side_by_side(left: list[Any], right: list[Any]) -> list[tuple[str, str, str, str]]:
    rows = []
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ("", 0)
        b = right[i] if i < len(right) else ("", 0)
        rows.append((a[0], f"{a[1] / 1e3:.1f}" if a[0] else "",
                     b[0], f"{b[1] / 1e3:.1f}" if b[0] else ""))
    return rows


def _arrays(arrays: dict[str, Any]) -> str:
    ref = arrays.get("reference", {})
    lines = ["## 4. Arrays: the two-layer net (N=64, D=1000, H=100, C=10, softmax loss)", ""]
    if "error" in ref:
        lines.append(f"Reference failed: {ref['error']}")
    else:
        agree = ref.get("torch_agrees")
        rows = [("numpy by hand (`bench/arrays_reference.py`)", _seconds(ref.get("numpy"))),
                ("torch autograd, 1 thread" + ("" if agree in (None, True) else " (**differs**)"),
                 _seconds(ref.get("torch")))]
        tool = ref.get("tool", {})
        if "ratio" in tool:
            check = "" if tool.get("agrees") else " (**loss differs**)"
            rows += [("numpy by hand, `by_hand` of `bench/two_layer_net.py` (with dx; CPU)",
                      _seconds(tool["hand"])),
                      ("backprop `evaluate` of that script's program (CPU)" + check,
                      f"{_seconds(tool['tool'])} ({tool['ratio']:.2f}×)")]
        else:
            rows.append(("backprop (the tool)", tool.get("unavailable", "–")))
        lines.append(table(("forward + backward (BLAS on 1 thread)", "best time"), rows))
    lines += ["", _helper(arrays.get("helper", {}))]
    if "conv" in arrays:
        lines += ["", "### conv2d (N=16, C=3, H=W=32, F=16, 3×3, pad 1) against a numpy im2col",
                  "", _helper(arrays["conv"])]
    return "\n".join(lines)


def _commands(result: dict[str, Any]) -> str:
    import commands

    return ("## 5. Every command, as a ratio to a plain eval\n\n"
            f"CPU time of the whole process, median of {result['rounds']} interleaved rounds, "
            "over the plain `eval` of the same circuit in the same rounds "
            "(bench/commands.py; the target is 1.5× or less).\n\n"
            + commands.markdown(result)
            + "\n\n![the ratios](benchmarks-commands.svg)")
