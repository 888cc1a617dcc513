"""Every resource limit has a default, a way to raise it, and a clear error when hit."""

from __future__ import annotations

import importlib
import time
from pathlib import Path

import pytest

from backprop_cli import limits
from backprop_cli.limits import Limits

from conftest import invoke


def refused(result: object, limit_name: str) -> str:
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: ") and f"--limit {limit_name}=N" in first, first
    return first


def test_defaults_are_documented_in_the_readme() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "docs" / "language.md").read_text(encoding="utf-8")
    readme = readme.split("## Safety and limits\n", 1)[1].split("\n## ", 1)[0]
    for name in limits.names():
        default = getattr(limits.DEFAULT_LIMITS, name.replace("-", "_"))
        assert f"`{name}`" in readme, name
        assert f"{default:,}".replace(",", "_") in readme or f"{default:,}" in readme, name


def test_gates_limit() -> None:
    refused(invoke("eval", "a = x*1; b = a*2; c = b*3", "x=1", "--limit", "gates=4"), "gates")
    assert invoke("eval", "a = x*1; b = a*2; c = b*3", "x=1", "--limit", "gates=7").exit_code \
        == 0


def test_depth_limit_with_position() -> None:
    first = refused(invoke("eval", "(((((x)))))", "x=1", "--limit", "depth=3"), "depth")
    assert "at line 1, column 4" in first


def test_source_size_and_line_limits() -> None:
    refused(invoke("eval", "x + 1 " * 100, "x=1", "--limit", "source-bytes=100"),
            "source-bytes")
    refused(invoke("eval", "a = x\n" * 10 + "f = a", "x=1", "--limit", "lines=5"), "lines")


def test_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKPROP_LIMITS", "depth=1,gates=100")
    refused(invoke("eval", "((x))+1", "x=1"), "depth")


def test_unknown_limit_is_a_usage_error() -> None:
    result = invoke("eval", "x", "x=1", "--limit", "bogus=3")
    assert result.exit_code == 2 and "limits are source-bytes" in result.stderr


@pytest.mark.parametrize("source", ["9**9**9", "2**10**10", "x**100000"])
def test_exact_mode_refuses_giant_powers_quickly(source: str) -> None:
    refused(invoke("eval", f"{source} * x", "x=3", "--exact"), "exact-digits")


def test_exact_mode_digit_growth_by_repeated_squaring() -> None:
    program = "c = x\n" + "c = c * c\n" * 15  # 3**(2**15) has 15,634 digits
    refused(invoke("eval", program, "x=3", "--exact"), "exact-digits")
    assert invoke("eval", program, "x=3", "--exact", "--limit",
                  "exact-digits=20000").exit_code == 0


def test_exact_mode_wall_clock() -> None:
    program = "c = x\n" + "c = sin(c) + cos(c)\n" * 30
    result = invoke("eval", program, "x=1", "--exact", "--limit", "exact-seconds=0.5",
                    "--limit", "exact-terms=100000000")
    refused(result, "exact-seconds")


def test_reassignment_that_would_explode_as_a_tree_stays_a_dag() -> None:
    """30 rounds of c = sin(c) + cos(c): 2^30 terms as a tree, 121 nodes as a graph."""
    program = "c = x\n" + "c = sin(c) + cos(c)\n" * 30
    result = invoke("eval", program, "x=1", "--format", "json")
    assert result.exit_code == 0
    import json

    document = json.loads(result.stdout)
    assert len(document["nodes"]) == 1 + 30 * 3
    assert all(len(edge["local_formula"]) < 40 for edge in document["edges"])
    refused(invoke("eval", program, "x=1", "--exact"), "exact-terms")


def test_parse_settings_validates() -> None:
    assert limits.parse_settings(["gates=10", "exact-seconds=1.5"]) == \
        Limits(gates=10, exact_seconds=1.5)
    with pytest.raises(limits.LimitError):
        limits.parse_settings(["gates=-1"])
    with pytest.raises(limits.LimitError):
        limits.parse_settings(["gates=many"])


@pytest.mark.parametrize(("text", "digits"), [
    ("1e1000000000000", 1_000_000_000_001), ("0e99999999", 1), ("1.5e-3", 6), ("123", 3),
    ("-2.50e2", 3), (".5", 2), ("5.", 1), ("pi", None), ("1e" + "9" * 40, 10**18)])
def test_a_literal_s_digits_are_read_from_its_text(text: str, digits: int | None) -> None:
    assert limits.literal_digits(text) == digits


def test_an_exact_literal_within_the_limit_is_exact() -> None:
    from fractions import Fraction

    assert limits.exact_fraction("1.5e-3") == Fraction(3, 2000)
    assert limits.exact_fraction("0e99999999999") == 0
    with pytest.raises(limits.LimitError, match="exact-digits=N"):
        limits.exact_fraction("1e10001")


VIEWS = [  # the command, and the view the memory limit names
    (("draw", "-", "x=1", "--format", "mermaid"), "picture"),
    (("draw", "-", "x=1", "--format", "dot"), "picture"),
    (("draw", "-", "x=1", "--format", "svg"), "SVG picture"),
    (("draw", "-", "x=1", "--format", "html"), "interactive page"),
    (("eval", "-", "x=1", "--steps", "--format", "json"), "steps of --steps"),
    (("eval", "-", "x=1", "--jacobian"), "Jacobians of --jacobian"),
    (("eval", "-", "x=1", "--format", "json"), "JSON document"),
    (("eval", "-", "x=1", "--format", "jsonl"), "CSV, TSV or JSON Lines records"),
    (("code", "-", "x=1"), "code"),
    (("eval", "-", "x=1", "--full", "--format", "plain"), "tables of --full"),
    (("eval", "-", "x=1", "--full", "--format", "latex"), "LaTeX tables of --full"),
    (("eval", "-", "x=1", "--full", "--format", "markdown"), "Markdown tables of --full"),
]


@pytest.mark.parametrize(("args", "view"), VIEWS)
def test_a_view_too_large_for_memory_is_refused_before_it_is_made(args: tuple[str, ...],
                                                                  view: str) -> None:
    """The views of a 10^6-term sum took 5-27 GB and minutes (issue 18): each is estimated
    from the graph's nodes (limits.VIEW_BYTES) and refused, naming itself and the limit;
    with the limit raised it is made."""
    program = "f = " + " + ".join(f"x*{k}" for k in range(1, 101))  # 300 nodes
    per_node = limits.VIEW_BYTES[view] + limits.EVALUATION_BYTES
    below = invoke(*args, "--limit", f"memory={300 * per_node - 1}", input=program)
    first = refused(below, "memory")
    assert f"the {view} of 300 nodes (about {per_node:,} bytes a node)" in first, first
    made = invoke(*args, "--limit", f"memory={300 * per_node}", input=program)
    assert made.exit_code == 0, made.stderr


def test_an_alarm_never_cuts_an_import_short(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """An exact-seconds alarm that rang inside ``import sympy`` (a loaded machine, a limit
    of 0.5 s) left sympy half-initialised for the rest of the process ("module 'sympy' has
    no attribute 'algebras'"): the alarm waits for the import to finish, then rings."""
    (tmp_path / "slow_module_for_the_alarm.py").write_text(
        "import time\ntime.sleep(0.3)\nCOMPLETE = True\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = None
    with pytest.raises(limits.LimitError, match="too late"), limits.alarm(0.05, "too late"):
        module = importlib.import_module("slow_module_for_the_alarm")
        time.sleep(2)
    assert module is not None and module.COMPLETE
