"""The issue's targets, judged against a run's results: (target, measured, verdict) rows."""

from __future__ import annotations

from typing import Any

import metrics as m

Row = tuple[str, str, str]
MET, MISSED, NOT_MEASURED = "MET", "MISSED", "not measured"


def _verdict(passed: bool | None) -> str:
    return NOT_MEASURED if passed is None else (MET if passed else MISSED)


def _x(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def judge(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    records = results.get("scalar", [])
    if records:
        rows += _engine_targets(records)
        rows += _end_to_end_targets(records)
        rows += _memory_targets(records)
    rows += _batch_targets(results.get("batch"))
    rows += _cold_targets(results.get("cold"))
    rows += _arrays_targets(results.get("arrays"))
    return rows


def _shapes(records: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(r["shape"] for r in records))


def _big_sizes(records: list[dict[str, Any]]) -> list[int]:
    sizes = sorted({r["n"] for r in records})
    big = [n for n in sizes if n >= 10**5]
    return big or sizes[-1:]


def _engine_targets(records: list[dict[str, Any]]) -> list[Row]:
    rows: list[Row] = []
    sizes = sorted({r["n"] for r in records})
    span = f"{sizes[0]:.0e}–{sizes[-1]:.0e}".replace("e+0", "e")
    for shape in _shapes(records):
        ratios = []
        for n in _big_sizes(records):
            record = m.at_size(records, shape, n)
            if record is None:
                continue
            tool = m.total("tool", m.result_of(record, "tool"))
            floor = m.total("floor", m.result_of(record, "floor"))
            ratios.append((n, m.ratio(tool, floor)))
        measured = ", ".join(f"{_x(r)} at {n:.0e}".replace("e+0", "e") for n, r in ratios)
        known = [r for _, r in ratios if r is not None]
        rows.append((f"engine fwd+bwd ≤ 1.5× the hand-inlined tape ({shape})", measured,
                     _verdict(all(r <= 1.5 for r in known) if known else None)))
        k = m.scaling_exponent(m.series(records, shape, "tool"))
        rows.append((f"engine scaling exponent k ≤ 1.05 ({shape}, N = {span})",
                     "–" if k is None else f"k = {k:.3f}",
                     _verdict(None if k is None else k <= 1.05)))
        ratios_bf = []
        for record in records:
            result = m.result_of(record, "tool")
            if record["shape"] == shape and m.ok(result):
                ratios_bf.append(m.ratio(m.backward(result), m.forward(result)))
        worst = max((r for r in ratios_bf if r is not None), default=None)
        rows.append((f"engine backward/forward ≤ 2.5 ({shape}, worst size)", _x(worst),
                     _verdict(None if worst is None else worst <= 2.5)))
    failures = [f"{r['shape']} {r['n']} {e}: {res['error']}" for r in records
                for e, res in r["results"].items() if e in ("tool", *m.PROCESSES)
                and "error" in res]
    largest = max(r["n"] for r in records)
    rows.append(("no recursion limit anywhere (tool and CLI on every shape and size)",
                 "; ".join(failures) or f"all ran, up to {largest:,} gates",
                 MISSED if failures else MET))
    return rows


def _end_to_end_targets(records: list[dict[str, Any]]) -> list[Row]:
    rows: list[Row] = []
    n = 10**5 if any(r["n"] == 10**5 for r in records) else max(r["n"] for r in records)
    for shape in _shapes(records):
        record = m.at_size(records, shape, n)
        if record is None:
            continue
        for engine, output in (("cli", ""), ("cli_plain", " (plain summary out instead of "
                                                        "JSON: for comparison only)")):
            if engine == "cli_plain" and not m.ok(m.result_of(record, engine)):
                continue
            cli = m.total(engine, m.result_of(record, engine))
            for peer, factor in (("micrograd", 5), ("torch", 10)):
                speedup = m.ratio(m.total(peer, m.result_of(record, peer)), cli)
                rows.append((f"end to end ≥ {factor}× faster than {peer} at {n:,} gates "
                             f"({shape}){output}", _speedup(speedup, peer),
                             _verdict(None if speedup is None else speedup >= factor)))
    return rows


def _speedup(speedup: float | None, peer: str) -> str:
    if speedup is None:
        return "–"
    if speedup >= 1:
        return f"{speedup:.2f}× faster"
    return f"{peer} time / tool time = {speedup:.2f} (the tool is {1 / speedup:.1f}× slower)"


def _memory_targets(records: list[dict[str, Any]]) -> list[Row]:
    n = max(r["n"] for r in records)
    rows: list[Row] = []
    for engine, label in (("tool", "engine (parse, build, forward, backward)"),
                          ("cli", "end to end with JSON")):
        peaks = []
        for shape in _shapes(records):
            record = m.at_size(records, shape, n)
            if record is not None:
                peaks.append((shape, m.peak_mb(engine, m.result_of(record, engine))))
        known = [p for _, p in peaks if p is not None]
        measured = ", ".join(f"{shape} {p:,.0f} MB" for shape, p in peaks if p is not None)
        rows.append((f"peak memory < 1 GB at {n:,} gates: {label}", measured or "–",
                     _verdict(max(known) < 1024 if known else None)))
    return rows


def _batch_targets(batch: dict[str, Any] | None) -> list[Row]:
    if not batch:
        return []
    rows: list[Row] = []
    helper = batch.get("helper", {})
    helper_targets = [(t["target"], t["measured"], MET if t["met"] else MISSED)
                      for t in helper.get("targets", [])]
    engine, numpy_compute = batch.get("compute", {}).get("tool", {}), \
        batch.get("compute", {}).get("numpy")
    if "one_call" in engine:
        speed = m.ratio(numpy_compute, engine["one_call"])
        chunked = m.ratio(numpy_compute, engine["chunked"])
        rows.append((f"batch compute ≥ 0.5× hand-written numpy ({batch['rows']:,} rows)",
                     f"{_x(speed)} numpy's speed in one call ({_x(chunked)} in the CLI's "
                     "chunks)" + ("" if engine.get("agrees") else "; results differ"),
                     _verdict(None if speed is None else speed >= 0.5 and engine["agrees"])))
    elif not any("compute" in t[0] for t in helper_targets):
        rows.append(("batch compute ≥ 0.5× hand-written numpy",
                     engine.get("unavailable", "tool half not available yet"), NOT_MEASURED))
    rows += helper_targets
    tool, numpy = batch.get("tool_csv", {}), batch.get("numpy_csv", {})
    if "wall" in tool and tool.get("code") == 0:
        slower = m.ratio(tool["wall"], numpy.get("wall"))
        rows.append((f"batch CSV → CSV no slower than the numpy script ({batch['rows']:,} rows)",
                     f"wall {tool['wall']:.2f} s vs {numpy['wall']:.2f} s ({_x(slower)}); "
                     f"CPU {_x(m.ratio(tool['cpu'], numpy.get('cpu')))}",
                     _verdict(None if slower is None else slower <= 1.0)))
    elif not any("CSV" in t[0] for t in helper_targets):
        why = tool.get("unavailable") or f"exit code {tool.get('code')}"
        rows.append(("batch CSV → CSV no slower than the numpy script", why, NOT_MEASURED))
    return rows


def _cold_targets(cold: dict[str, Any] | None) -> list[Row]:
    if not cold:
        return []
    def row_of(word: str) -> dict[str, float]:
        return next((row for label, row in cold["rows"].items() if word in label), {})

    tool = row_of("backprop")
    rows: list[Row] = []
    for bound, base, label in ((1.15, row_of("sympy"), "`python -c \"import sympy\"`"),
                               (2.0, row_of("click"),
                                "`python -c \"import click, rich.console\"`")):
        r = m.ratio(tool.get("median"), base.get("median"))
        measured = "–" if r is None else \
            f"median wall {tool['median'] * 1e3:.0f} ms vs {base['median'] * 1e3:.0f} ms " \
            f"({_x(r)})"
        if r is not None and "cpu_median" in tool:
            cpu = m.ratio(tool["cpu_median"], base["cpu_median"])
            measured += f"; CPU {_x(cpu)}"
        rows.append((f"cold start ≤ {bound}× {label}", measured,
                     _verdict(None if r is None else r <= bound)))
    imports = cold.get("importtime", {})
    if "sympy_loaded" in imports:
        off = not imports["sympy_loaded"] and not imports["numpy_loaded"]
        rows.append(("sympy (and numpy) off the common path of a numeric eval",
                     "neither imported" if off else "imported", MET if off else MISSED))
    return rows


def _arrays_targets(arrays: dict[str, Any] | None) -> list[Row]:
    if not arrays:
        return []
    helper = arrays.get("helper", {})
    rows = [(t["target"], t["measured"], MET if t["met"] else MISSED)
            for t in helper.get("targets", [])]
    tool = arrays.get("reference", {}).get("tool", {})
    if "ratio" in tool and not rows:
        rows.append(("two-layer net within 2× hand-written numpy",
                     f"{_x(tool['ratio'])} (CPU, forward + backward with dx)" +
                     ("" if tool.get("agrees") else "; loss differs"),
                     _verdict(tool["ratio"] <= 2.0 and bool(tool.get("agrees")))))
    if not rows:
        rows.append(("two-layer net within 2× hand-written numpy",
                     "tool half not available yet", NOT_MEASURED))
    rows += [(t["target"], t["measured"], MET if t["met"] else MISSED)
             for t in arrays.get("conv", {}).get("targets", [])]
    return rows
