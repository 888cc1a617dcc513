"""The benchmark suite's instrument (bench/): argument parsing, workloads that match the tool's
graphs, a floor tape that computes what the tool computes, and the judging of targets.
Nothing here times anything."""

from __future__ import annotations

import importlib
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

from backprop_cli import compile_program, evaluate

BENCH = Path(__file__).resolve().parents[2] / "bench"


def bench(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


def test_quick_mode_arguments() -> None:
    args = bench("run").parse_args(["--quick"])
    assert args.quick
    assert args.sizes == [10**3, 10**4]
    assert args.out is None  # a smoke run prints; it never overwrites docs/benchmarks.md
    assert args.cold_runs >= 2 and args.batch_rows == 10**4
    assert args.sections == ["scalar", "cold", "batch", "arrays", "commands"]


def test_full_run_arguments() -> None:
    run = bench("run")
    args = run.parse_args([])
    assert args.sizes == [10**3, 10**4, 10**5, 10**6]
    assert args.out == run.DEFAULT_OUT and args.out.name == "benchmarks.md"
    assert args.cold_runs >= 10  # the issue asks for a median of at least 10 runs
    picked = run.parse_args(["--sizes", "1e3,2000", "--shapes", "dag", "--peer-max-n", "1e5",
                             "--sections", "scalar,cold"])
    assert picked.sizes == [1000, 2000] and picked.shapes == ["dag"]
    assert picked.peer_max_n == 10**5 and picked.sections == ["scalar", "cold"]


@pytest.mark.parametrize("argv", [["--sections", "scalar,speed"], ["--sizes", "1.5"],
                                  ["--shapes", ""], ["--engines", "jax"]])
def test_bad_arguments_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        bench("run").parse_args(argv)
    assert stop.value.code == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("shape", ["chain", "wide", "dag"])
@pytest.mark.parametrize("n", [1, 10, 301])
def test_workload_is_the_tools_graph(shape: str, n: int) -> None:
    """Same gate count and the same gates in the same order (inputs aside)."""
    workloads = bench("workloads")
    w = workloads.make(shape, n)
    graph = compile_program(w.program)
    assert graph.gate_count() == w.gates >= min(n, 2)
    names = ["input", "const", "add", "mul", "tanh"]
    assert [g for g in graph.gates if g != "input"] == [names[op] for op in w.ops if op]
    assert sorted(graph.inputs) == sorted(w.inputs)


def test_workload_file_round_trip(tmp_path: Path) -> None:
    workloads = bench("workloads")
    w = workloads.make("dag", 500)
    workloads.save(w, tmp_path / "w.bin")
    back, text = workloads.load(tmp_path / "w.bin")
    assert text == w.program and back.inputs == w.inputs
    assert (back.ops, back.a, back.b, back.consts) == (w.ops, w.a, w.b, w.consts)
    only_text, same = workloads.load(tmp_path / "w.bin", with_ops=False)
    assert same == text and len(only_text.ops) == 0


@pytest.mark.parametrize("shape", ["chain", "wide", "dag"])
def test_floor_tape_computes_what_the_tool_computes(shape: str) -> None:
    w = bench("workloads").make(shape, 2000)
    tape = bench("tape").Tape(w)
    values = tape.forward()
    grads = tape.backward(values)
    trace = evaluate(compile_program(w.program), w.inputs)
    assert values[-1] == pytest.approx(trace.value, rel=1e-12)
    for name, node in zip(w.inputs, w.input_nodes(), strict=True):
        assert grads[node] == pytest.approx(trace.gradients[name], rel=1e-9, abs=1e-300)


def test_micrograd_peer_agrees_with_the_floor() -> None:
    w = bench("workloads").make("dag", 3000)
    forward, backward = bench("peers").micrograd_runner(w)
    values = forward()
    tape = bench("tape").Tape(w)
    expected = tape.forward()
    floor_grads = tape.backward(expected)
    assert bench("peers").value_of(values) == pytest.approx(expected[-1], rel=1e-12)
    assert backward(values) == pytest.approx([floor_grads[i] for i in w.input_nodes()],
                                             rel=1e-9)


def test_scaling_exponent_recovers_a_power_law() -> None:
    metrics = bench("metrics")
    points = [(n, 3e-7 * n**1.25) for n in (10**3, 10**4, 10**5, 10**6)]
    assert metrics.scaling_exponent(points) == pytest.approx(1.25)
    assert metrics.scaling_exponent(points[:1]) is None


def _record(shape: str, n: int, tool: float, floor: float) -> dict[str, object]:
    def engine(seconds: float) -> dict[str, object]:
        return {"times": {"forward": seconds / 3, "backward": 2 * seconds / 3},
                "rss_base_kb": 10_000, "rss_engine_kb": 50_000}
    return {"shape": shape, "n": n, "gates": n,
            "results": {"floor": engine(floor), "tool": engine(tool),
                        "cli": {"wall": 4 * tool, "cpu": 4 * tool, "maxrss_kb": 2_000_000},
                        "micrograd": {"skipped": "not installed"}}}


def test_targets_are_judged_from_the_numbers() -> None:
    records = [_record("chain", n, tool=1.4e-6 * n, floor=1e-6 * n) for n in (10**5, 10**6)]
    records += [_record("wide", n, tool=2e-6 * n, floor=1e-6 * n) for n in (10**5, 10**6)]
    rows = {target: (measured, verdict)
            for target, measured, verdict in bench("targets").judge({"scalar": records})}
    assert rows["engine fwd+bwd ≤ 1.5× the hand-inlined tape (chain)"][1] == "MET"
    assert rows["engine fwd+bwd ≤ 1.5× the hand-inlined tape (wide)"] == \
        ("2.00× at 1e5, 2.00× at 1e6", "MISSED")
    k = rows["engine scaling exponent k ≤ 1.05 (chain, N = 1e5–1e6)"]
    assert k[1] == "MET" and math.isclose(float(k[0].split("=")[1]), 1.0)
    assert rows["engine backward/forward ≤ 2.5 (chain, worst size)"] == ("2.00×", "MET")
    memory = rows["peak memory < 1 GB at 1,000,000 gates: end to end with JSON"]
    assert memory[1] == "MISSED"
    assert rows["end to end ≥ 5× faster than micrograd at 100,000 gates (chain)"][1] == \
        "not measured"


def test_hand_written_notes_survive_a_rewrite() -> None:
    report = bench("report")
    notes = f"{report.NOTES_BEGIN}\n## What stands in the way\n\nparsing.\n{report.NOTES_END}"
    previous = f"# Benchmarks\n\nold numbers\n\n{notes}\n\nmore old numbers\n"
    assert report.kept_notes(previous) == notes
    assert report.kept_notes("# Benchmarks\n\nno notes yet\n") is None
    rendered = report.render({"machine": {"cpu": "test"}, "quick": True}, notes)
    assert notes in rendered and "old numbers" not in rendered


@pytest.mark.parametrize("indent", [None, 2])
def test_end_to_end_reads_the_answer_from_the_head_of_the_document(
        tmp_path: Path, indent: int | None) -> None:
    """The CLI's JSON is read back without parsing every node and edge (compact output), and
    in full when it is indented (small graphs)."""
    import json

    from backprop_cli import run
    from backprop_cli.render.json import trace_document

    document = trace_document(run("q = x + y; f = q * z", {"x": -2, "y": 5, "z": -4}))
    path = tmp_path / "out.json"
    path.write_text(json.dumps(document, indent=indent))
    head = bench("end_to_end").head_of(path)
    assert head["value"] == -12 and head["gradients"] == {"x": -4, "y": -4, "z": 3}


def test_the_runner_as_a_command() -> None:
    """``python bench/run.py`` in a real process: its help, and a bad option refused with
    exit code 2 before anything is measured."""
    import subprocess

    helped = subprocess.run([sys.executable, str(BENCH / "run.py"), "--help"],
                            capture_output=True, text=True, check=False)
    assert helped.returncode == 0
    assert "--quick" in helped.stdout and "Example: python bench/run.py" in helped.stdout
    refused = subprocess.run([sys.executable, str(BENCH / "run.py"), "--sections", "speed"],
                             capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and "choose from scalar" in refused.stderr
    assert refused.stdout == ""


def test_end_to_end_reads_the_answer_from_the_plain_summary(tmp_path: Path) -> None:
    """``cli_plain``: a large graph's plain output is its value and input gradients."""
    from conftest import invoke

    program = "\n".join(["c = x * y"] + ["c = tanh(c*1.01 + y)"] * 100)
    result = invoke("eval", program, "x=0.5", "y=-0.25", "--format", "plain", "--digits", "17")
    assert "showing the output and input gradients only" in result.stdout
    path = tmp_path / "out.txt"
    path.write_text(result.stdout)
    answer = bench("end_to_end").plain_answer(path)
    trace = evaluate(compile_program(program), {"x": 0.5, "y": -0.25})
    assert answer == {"value": trace.value, "gradients": trace.gradients}


def test_the_commands_table_runs_every_command_on_every_circuit(tmp_path: Path) -> None:
    """Each command of bench/commands.py works on each of its circuits (exit 0, or 1 for a
    check that fails), so the table measures commands that really ran."""
    from conftest import invoke

    commands = bench("commands")
    for circuit in commands.CIRCUITS.values():
        for label in commands.COMMANDS:
            args = commands.command_line(label, circuit, str(tmp_path))[1:]
            result = invoke(*args)
            assert result.exit_code in (0, 1), (label, circuit, result.stderr)


def test_the_commands_table_has_a_line_per_command() -> None:
    commands = bench("commands")
    rows = [{"circuit": name, "command": label, "cpu_median": 0.1, "wall_median": 0.1,
             "ratio": 1.0 if label == commands.PLAIN else 2.5}
            for name in commands.CIRCUITS for label in commands.COMMANDS]
    text = commands.markdown({"rounds": 1, "rows": rows, "failures": {}})
    assert text.count("2.50×") == len(commands.CIRCUITS) * (len(commands.COMMANDS) - 1)
    assert "1.00× (100 ms CPU)" in text


def test_scaling_curves_are_microseconds_per_gate_in_order_of_size() -> None:
    """The scaling plot's points: (fwd + bwd) / gates for the engines, the whole process's
    CPU time / gates for the CLI, sorted by size; an engine that was not measured is left
    out."""
    scaling_plot = bench("scaling_plot")
    cases = [{"shape": "wide", "gates": 100, "results": {
                 "tool": {"times": {"forward": 1e-4, "backward": 3e-4}}, "cli": {"cpu": 0.1},
                 "torch": "skipped"}},
             {"shape": "wide", "gates": 10, "results": {
                 "tool": {"times": {"forward": 2e-5, "backward": 2e-5}}}}]
    found = scaling_plot.curves(cases)
    assert found["wide"]["tool"] == [(10, pytest.approx(4.0)), (100, pytest.approx(4.0))]
    assert found["wide"]["cli"] == [(100, pytest.approx(1000.0))]
    assert "torch" not in found["wide"] and found["chain"] == {}
