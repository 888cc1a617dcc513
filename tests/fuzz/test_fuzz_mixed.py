"""The mixed fuzzer (fuzz/mixed.py): every command with generated and mutated programs,
values, options and files. A fixed sample runs on every test run; ``pytest -m slow`` runs
more. The property: no internal error (exit 70), no traceback, no hang, no exit code other
than 0, 1, 2. The long recorded runs are in docs/testing.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "fuzz"))

import mixed  # noqa: E402  (fuzz/ is not a package)

FAST, SLOW = 300, 20_000


def _assert_no_findings(stats: mixed.Stats, corpus: Path) -> None:
    findings = sorted(corpus.iterdir())
    shown = "\n".join(f"{d.name}: {(d / 'cmd').read_text()[:300]}"
                      f"{(d / 'result').read_text()[:300]}" for d in findings[:5])
    assert stats.kinds["ok"] == stats.executions, (stats.summary(), shown)


def test_a_fixed_sample_of_mixed_inputs(tmp_path: Path) -> None:
    stats = mixed.drive(seed=0, count=FAST, workers=2, timeout=20.0, memory=4_000_000_000,
                        corpus=tmp_path)
    assert stats.executions == FAST
    _assert_no_findings(stats, tmp_path)


@pytest.mark.slow
def test_a_long_run_of_mixed_inputs(tmp_path: Path) -> None:
    stats = mixed.drive(seed=1, count=SLOW, workers=2, timeout=20.0, memory=4_000_000_000,
                        corpus=tmp_path)
    assert stats.executions == SLOW
    _assert_no_findings(stats, tmp_path)


def test_cases_are_a_function_of_seed_and_number() -> None:
    assert mixed.make_case(3, 17) == mixed.make_case(3, 17)
    assert mixed.make_case(3, 17) != mixed.make_case(3, 18)


def test_every_command_is_generated() -> None:
    commands = {mixed.make_case(0, i).argv[0] for i in range(400)}
    assert commands >= {"eval", "check", "gradcheck", "draw", "code", "step", "gates", "quiz"}


def test_an_input_past_its_timeout_is_a_hang(tmp_path: Path) -> None:
    case = mixed.Case(["eval", "f = sum(exp(x) * x)", "x=randn(3000,3000)"])
    outcome = mixed.run_in_process(case, 0.01, tmp_path)
    assert outcome.kind == "hang"


def test_an_internal_error_is_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        ) -> None:
    from backprop_cli.cli import main as cli_main

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(cli_main.cli, "invoke", broken)
    outcome = mixed.run_in_process(mixed.Case(["gates"]), 5.0, tmp_path)
    assert outcome.kind == "internal" and "planted" in outcome.message


def test_a_finding_is_written_with_its_command_stdin_and_files(tmp_path: Path) -> None:
    index = next(i for i in range(500) if mixed.make_case(0, i).files)
    where = mixed.save_finding(tmp_path, 0, index, "internal", "what happened")
    case = mixed.make_case(0, index)
    assert (where / "cmd").read_text().startswith("backprop " + case.argv[0])
    assert sorted(p.name for p in (where / "files").iterdir()) == sorted(case.files)
    assert mixed.Case.from_json(__import__("json").loads((where / "case.json").read_text())) \
        == case


@pytest.mark.parametrize(("seed", "number"), [
    (2026, 87447),  # a 59,047-digit constant in a user gate's derivative reached str()
    (2026, 513615),  # --limit exact-seconds=nan reached setitimer (exit 70)
    (7, 5783),  # simplify folded 59049*log(3) into log(3**59049), which no view could print
    (2026, 225410),  # exact 0 ** tanh(10**308): sympy cannot decide tanh(10**308) < 1
    pytest.param(2026, 32329, marks=pytest.mark.slow),  # a user gate's power on a 3000 x 3000
    # a 10^5-term sum's TSV ran out of the worker's address space inside C code: SystemError
    pytest.param(2026, 739038, marks=pytest.mark.slow),
])
def test_the_findings_of_the_long_runs_now_pass(seed: int, number: int, tmp_path: Path) -> None:
    """The cases of the 2026-12-06 runs (docs/testing.md) that found an internal error or a
    hang, replayed: each ends as a result or a one-line error."""
    outcome = mixed.run_in_process(mixed.make_case(seed, number), 30.0, tmp_path)
    assert outcome.kind == "ok", outcome
