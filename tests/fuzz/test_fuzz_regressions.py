"""Regressions from fuzzing: every input the fuzzers ever crashed on, and the saved corpus.

``fuzz/fuzz_parser.py`` (atheris, coverage-guided) feeds bytes to ``fuzz/fuzz_targets.py``:
parse and build, both engines on small graphs, the drawing renderers, constant and array
values. Only ``BackpropError`` may escape. Every file in ``fuzz/corpus/`` is replayed here
through the same function, and each crash found becomes a named case below, with what it was.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import invoke

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "fuzz"))

import fuzz_targets  # noqa: E402  (fuzz/ is not a package)

CORPUS = sorted((ROOT / "fuzz" / "corpus").iterdir())

# (input, what went wrong before the fix)
CRASHES: list[tuple[bytes, str]] = [
    (b"[[1, -2.5], [1/3@ -pi]]", "atheris, run 1: an array operation inside a number value "
                                 "(an entry, or x=1 @ 2) reached the scalar engine, which has "
                                 "no matmul gate: KeyError, exit 70"),
    (b"2 .T", "the same with transpose"),
    (b"sum(2)", "the same with a reduction"),
    ((ROOT / "fuzz" / "corpus" / "crash-gradient-sum-inf-minus-inf").read_bytes(),
     "atheris, run 3 (array inputs): two gradients inf and -inf summed into one node raised "
     "FloatingPointError outside the trapped region of the array backward pass"),
]


def test_the_corpus_is_there() -> None:
    assert len(CORPUS) >= 10


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_input_raises_only_backprop_errors(path: Path) -> None:
    fuzz_targets.run_bytes(path.read_bytes())


@pytest.mark.parametrize(("data", "what"), CRASHES, ids=[c[1][:30] for c in CRASHES])
def test_crash_stays_fixed(data: bytes, what: str) -> None:
    fuzz_targets.run_bytes(data)


@pytest.mark.parametrize("value", ["1 @ 2", "2 .T", "sum(2)", "[1, 1/3 @ 2]"])
def test_an_array_operation_in_a_number_value_is_refused(value: str) -> None:
    result = invoke("eval", "sum(x + 1)", f"x={value}")
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: expected a number, found an array operation")


def test_gradients_inf_and_minus_inf_meet_in_one_node() -> None:
    result = invoke("eval", "sum(exp(x) * w - exp(x) * w)", "x=[1000, 1]", "w=[1, 2]",
                    "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "df/dx = nan at [0]" in result.stderr


def test_matmul_overflow_through_the_cli() -> None:
    """Found by hand while working on numerics: an overflow in @ went through the
    elementwise error path, which cannot broadcast a matmul's operands (exit 70, internal
    error, before the fix)."""
    result = invoke("eval", "sum(x @ y)", "x=[[1e200, 1e200]]", "y=[[1e200], [1e200]]")
    assert result.exit_code == 0 and "overflow" in result.stderr
    strict = invoke("eval", "sum(x @ y)", "x=[[1e200, 1e200]]", "y=[[1e200], [1e200]]",
                    "--strict")
    assert strict.exit_code == 2 and strict.stderr.startswith("error: overflow")


# ---------------------------------------------------------------- issue 18: hostile literals

TOWER = "1e1000000000000 ** 9**9**9"
DIGITS = "--limit exact-digits=N"


def _refused(result: object, *needles: str) -> str:
    """Exit 2 with one ``error:`` line (no traceback) that contains every needle."""
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in first, first
    return first


@pytest.mark.parametrize("args", [
    ("eval", f"def g(t): {TOWER}\nf = g(x)", "x=1"),
    ("eval", "f = x * 2", f"x={TOWER}", "--exact"),
    ("eval", "f = x * 2", "x=1e100000000", "--exact"),
    ("eval", "f = x * 2", "x=1", "--upstream", "1e1000000000000", "--exact"),
    ("eval", "f = sum(x)", "x=[1, 1e1000000000000]", "--exact"),
    ("step", "f = x * x", "x=1", "--params", "x", "--lr", "1e1000000000000", "--exact"),
    ("eval", "def g(t): t + 9**9**9\nf = g(x)", "x=1"),
    ("gates", "def g(t): t + 9**9**9\nf = g(x)"),
    ("eval", "def g(t): t^1000000000\nf = g(x)", "x=10", "--exact"),
    ("eval", "def g(t): (t + 1)^1000000000\nf = g(x)", "x=10", "--exact"),
    ("eval", "f = x + 0e99999999999", "x=1", "--exact"),
], ids=lambda a: " ".join(a)[:40])
def test_a_huge_exact_number_is_refused_before_it_is_computed(args: tuple[str, ...]) -> None:
    """Issue 18: each ran for minutes (Fraction and sympy computed 10**10**12 first)."""
    result = invoke(*args)
    if "0e99999999999" in args[1]:
        assert result.exit_code == 0, result.stderr
        return
    _refused(result, DIGITS)


def test_an_exact_kink_sympy_cannot_decide_is_an_error_line() -> None:
    """fuzz/mixed.py, seed 2026, case 225410: 0 ** tanh(10**308) in exact mode asked sympy
    whether tanh(10**308) < 1 (pow's kink at 0 ** b, 0 < b < 1), which it cannot decide at
    any precision it tries: TypeError, an internal error (exit 70)."""
    _refused(invoke("eval", "f = x ^ tanh(w)", "x=0", "w=1e308", "--exact"),
             "exact arithmetic cannot tell on which side of its kink pow is", "without --exact")
    done = invoke("eval", "f = x ^ tanh(w)", "x=0", "w=1e308", "--format", "json")
    assert done.exit_code == 0, done.stderr  # in floats tanh(1e308) is 1: no kink


@pytest.mark.parametrize("program", [
    "f = where(tanh(w) - 1, x, 2)", "f = sign(tanh(w) - 1) + x", "f = (tanh(w) < 1) * x",
    "f = clip(x, tanh(w), 1)", "f = max(tanh(w), 1) * x",
    "def g(t): where(t - 1, 1, 2)\nf = g(tanh(w)) * x",
])
def test_an_exact_choice_sympy_cannot_decide_is_an_error_line(program: str) -> None:
    """Found beside case 225410: these printed an unevaluated Piecewise or sign as the
    value, or ended in float()'s TypeError (exit 70) when JSON wrote it."""
    for output in ("plain", "json"):
        _refused(invoke("eval", program, "x=0", "w=1e308", "--exact", "--format", output),
                 "exact arithmetic cannot tell which way", "without --exact")


@pytest.mark.parametrize("program", ["f = sum(where(tanh(w) - 1, x, 2))",
                                     "f = sum(sign(tanh(w) - x))", "f = sum(x ^ tanh(w))"])
def test_an_exact_array_choice_sympy_cannot_decide_is_an_error_line(program: str) -> None:
    _refused(invoke("eval", program, "x=[0, 1]", "w=1e308", "--exact", "--format", "json"),
             "not a finite real number")


@pytest.mark.parametrize(("body", "needle"), [
    ("t * 1e308 ^ 2", "too large for a double"),
    ("t * 1" + "0" * 400, "too large for a double"),
    ("max(t, 0^-1)", "not a finite number"),
    ("max(t, 0/0*t)", "not a finite number"),
    ("t + 1" + "0" * 5000, "too large for a double"),
    ("t + 1" + "0" * 20000, DIGITS),
])
def test_a_user_gate_constant_that_is_not_a_double_is_an_error(body: str, needle: str) -> None:
    """Issue 18: OverflowError from literal_value, sympy's "'zoo' is not comparable" and
    "Exceeds the limit (4300 digits)" were internal errors (exit 70)."""
    _refused(invoke("eval", f"def g(t): {body}\nf = g(x)", "x=1"), needle)


@pytest.mark.parametrize("command", ["eval", "check", "draw", "code", "gates", "gradcheck"])
def test_a_tower_in_a_circuit_files_gate_is_refused(command: str, tmp_path: Path) -> None:
    circuit = tmp_path / "tower.toml"
    circuit.write_text(f'program = "f = g(x)"\n[inputs]\nx = 1\n[expect]\nf = 1\n'
                       f'[gates.g]\nparams = ["t"]\nbody = "{TOWER}"\n', encoding="utf-8")
    _refused(invoke(command, str(circuit)), DIGITS, "gate g of")


def test_an_integer_too_long_for_python_in_a_circuit_file(tmp_path: Path) -> None:
    """Issue 18: "Exceeds the limit (4300 digits) for integer string conversion", exit 70."""
    circuit = tmp_path / "long.toml"
    circuit.write_text('program = "f = x * 2"\n[inputs]\nx = ' + "1" * 20_000 + "\n",
                       encoding="utf-8")
    _refused(invoke("eval", str(circuit)), DIGITS)


@pytest.mark.parametrize("args", [
    ("eval", "f = exp(exp(exp(exp(x))))", "x=3", "--exact"),
    ("eval", "f = exp(exp(exp(x)))", "x=30", "--exact"),
    ("draw", "f = exp(exp(exp(exp(x))))", "x=3", "--exact"),
    ("eval", "f = exp(-exp(exp(x)))", "x=30", "--exact"),
])
def test_an_exact_value_too_large_to_print_is_refused(args: tuple[str, ...]) -> None:
    """Issue 18: past 60 s (mpmath computed e to 10**13 bits to print the value)."""
    _refused(invoke(*args), DIGITS)


def test_the_exact_time_limit_covers_the_whole_command() -> None:
    """A slow exact evaluation stops at --limit exact-seconds, not only between gates."""
    program = "\n".join(["c0 = x", *(f"c{i} = sin(c{i - 1}) * 0.5 + c{i - 1}"
                                      for i in range(1, 400))])
    _refused(invoke("eval", program, "x=1", "--exact", "--limit", "exact-seconds=1"),
             "--limit exact-seconds=N")


def test_gradcheck_at_a_double_too_large_for_the_step() -> None:
    """Issue 18: ZeroDivisionError in the difference quotient ((b + h) - (b - h) is 0)."""
    result = invoke("gradcheck", "f = a*b", "a=1", "b=1e308")
    assert result.exit_code == 0, result.stderr
    assert "b +- h is b itself" in result.stdout and "use a larger --h" in result.stdout


def test_a_constant_division_by_zero_under_rows(tmp_path: Path) -> None:
    """Issue 18: ZeroDivisionError in the row engine (1/0 of two Python floats)."""
    rows = tmp_path / "rows.csv"
    rows.write_text("x\n1\n2\n", encoding="utf-8")
    result = invoke("eval", "f = x + 1/0", "--rows", str(rows))
    assert result.exit_code == 0, result.stderr
    assert "division by zero at node t1 = 1 / 0" in result.stdout


@pytest.mark.parametrize("header", [b"{'descr': '<f8', 'shape': (4,", b"{'descr': ((((",
                                    b'{"""'])
def test_a_malformed_npy_header(header: bytes, tmp_path: Path) -> None:
    """Issue 18: tokenize.TokenError from numpy's header reader reached exit 70."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, np.arange(4.0))
    data = buffer.getvalue()
    start, end = data.index(b"{"), data.index(b"\n")
    path = tmp_path / "bad.npy"
    path.write_bytes(data[:start] + header.ljust(end - start) + data[end:])
    _refused(invoke("eval", "f = sum(x)", f"x=@{path}"), "cannot read")


@pytest.mark.parametrize("args", [
    ("eval", "a = x + y\nb = a * x\nc = b - y\nf = sum(c * a)", "x=randn(7000,1)",
     "y=randn(1,7000)"),
    ("step", "f = sum(x*x)", "x=randn(2000,2000)", "--params", "x", "--iters", "1000"),
    ("eval", "def g(t): sigmoid(t) * tanh(t) + t^2\nf = sum(g(x))", "x=randn(5000,10000)"),
], ids=["broadcast chain", "step history", "user gate on a huge array"])
def test_memory_is_a_limit_checked_from_shapes(args: tuple[str, ...]) -> None:
    """Issue 18: 5.6 GB peaks and MemoryError (exit 70); now refused before allocating."""
    _refused(invoke(*args), "--limit memory=N")


# ------------------------------------------------------------- issue 18: the mixed fuzzer

@pytest.mark.parametrize("value", ["[1, 1e1000000000000]", "[1, -1e309]", "[[1, 2], [3, 1e400]]"])
@pytest.mark.parametrize("command", [["eval"], ["code"], ["check", "--expect", "f=1"], ["draw"]],
                         ids=lambda c: c[0])
def test_an_array_entry_too_large_for_a_double(command: list[str], value: str) -> None:
    """fuzz/mixed.py, seed 0: an array entry beyond the largest double raised OverflowError
    from literal_value (exit 70); now the located error a scalar value gets."""
    _refused(invoke(*command, "f = sum(z)", f"z={value}"), "too large for a double",
             "in the value of z")


@pytest.mark.parametrize(("program", "column"), [
    ("def g(t, u): leaky_relu(u, (9^9^9 ** softplus(10)))\nf = g(x, x)", 32),
    ("def g(t): t * exp(exp(exp(exp(3))))\nf = g(x)", 19),
    ("def h(t): exp(exp(exp(exp(t))))\ndef g(t): t * h(3)\nf = g(x)", 15),
])
@pytest.mark.parametrize("command", ["eval", "gates"])
def test_a_tower_of_non_rational_constants_in_a_user_gate(program: str, column: int,
                                                          command: str) -> None:
    """fuzz/mixed.py, seed 2: 9^9^9 ** softplus(10) (a power whose exponent is a number but
    not a rational) ran without end: sympy evaluated 9**(9**3.5e9) to print it. Every power
    and exp of numbers is now bounded by exact-digits when it is folded, innermost first."""
    result = invoke(command, program, *(["x=1"] if command == "eval" else []))
    first = _refused(result, DIGITS)
    assert f"column {column}" in first, first


def test_a_user_gate_constant_that_fits_is_still_folded() -> None:
    result = invoke("eval", "def g(t): t * exp(exp(3)) + 2 ** pi\nf = g(x)", "x=1",
                    "--get", "grad.x")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(__import__("math").exp(__import__("math").e ** 3))


def test_code_of_a_literal_far_below_the_smallest_double() -> None:
    """fuzz/mixed.py, seed 2: `code` turned 1e-1000000000000 into a sympy Float from its
    text, which expands the exponent's digits: no end. The literal is the double it is."""
    result = invoke("code", "f = 1e-1000000000000 * x + 2.5e-3 * x", "x=1")
    assert result.exit_code == 0, result.stderr
    assert "t1 = 1e-1000000000000 * x" in result.stdout


def test_step_with_a_parameter_without_a_value() -> None:
    """fuzz/mixed.py, seed 2: KeyError (exit 70) when --params named an input with no value."""
    _refused(invoke("step", "-", "--params", "w", input="f = w * w"),
             "missing value for input w")


@pytest.mark.parametrize("command", ["eval", "gradcheck"])
def test_a_constant_user_gate_on_an_array_has_the_arrays_shape(command: str) -> None:
    """fuzz/mixed.py, seed 2: def g(t): -pi/4 applied to a vector gave one number, not a
    vector (sum(g(x)) was -pi/4 for two elements) and gradcheck's sampled gradient failed
    with IndexError (exit 70). An elementwise gate's result has its operands' shape."""
    program = "def g(t): -pi/4\nf = sum(g(g(pi) * x))"
    result = invoke(command, program, "x=[1, 2, 3]", *(["--get", "value"]
                                                      if command == "eval" else []))
    assert result.exit_code == 0, result.stderr
    if command == "eval":
        assert float(result.stdout) == pytest.approx(-3 * __import__("math").pi / 4)


def test_a_user_gate_that_ignores_an_operand_broadcasts_over_it() -> None:
    exact = invoke("eval", "def g(t, u): t * 2\nf = sum(g(x, y))", "x=[1, 2]",
                   "y=[[1], [2], [3]]", "--get", "value", "--exact")
    floats = invoke("eval", "def g(t, u): t * 2\nf = sum(g(x, y))", "x=[1, 2]",
                    "y=[[1], [2], [3]]", "--get", "value")
    assert exact.stdout.strip() == "18" and float(floats.stdout) == 18.0


def test_a_literal_too_large_for_a_double_under_rows(tmp_path: Path) -> None:
    """fuzz/mixed.py, seed 2: OverflowError from the row engine's constants (exit 70); now
    eval's located error, once, as without --rows."""
    rows = tmp_path / "rows.csv"
    rows.write_text("x\n1\n2\n", encoding="utf-8")
    for extra in ([], ["--on-error", "skip"]):
        _refused(invoke("eval", "f = x * 1e1000000000000", "--rows", str(rows), *extra),
                 "too large for a double", "column 9")


@pytest.mark.parametrize("args", [
    ("eval", "f = sum(x * 1e309)", "x=[1, 2]"),
    ("gradcheck", "n0 = x * 1" + "0" * 400 + "\nf = sum(n0)", "x=[1, 2]"),
    ("step", "f = sum(w * 1e100000000)", "w=[1, 2]", "--params", "w"),
], ids=["eval", "gradcheck", "step"])
def test_a_literal_too_large_for_a_double_in_an_array_program(args: tuple[str, ...]) -> None:
    """fuzz/mixed.py, seed 2: OverflowError from the array engine's constants (exit 70)."""
    _refused(invoke(*args), "too large for a double", "at line")


def test_a_kink_check_on_a_scalar_node_of_an_array_program() -> None:
    """fuzz/mixed.py, seed 2: a local gradient trapped at a 0-d node (the ** after amax)
    raised TypeError ('numpy.bool' object does not support item assignment), exit 70."""
    program = ("def g0(t): (t * (abs(t) ^ (t * (t ^ -1e308)))); "
               "def g1(t): (g0(t) ^ g0((min(t, 10) + (2 + t)))); n0 = z; "
               "f = sum((max((n0 / -pi/4), (n0 + n0)) ** g1(amax(n0))))")
    result = invoke("check", program, "z=[1, 2, 3]", "--expect", "df/dz=0")
    assert result.exit_code in (1, 2) and "internal error" not in result.stderr, result.stderr


def test_an_integer_too_long_in_a_circuit_file_checked_with_expectations(
        tmp_path: Path) -> None:
    """fuzz/mixed.py, seed 2: telling an answers file from a circuit let Python's
    int-conversion ValueError through (exit 70); now the circuit reader's digits error."""
    circuit = tmp_path / "long.toml"
    circuit.write_text('program = "f = x * 2"\n[inputs]\nx = ' + "1" * 20_000 + "\n",
                       encoding="utf-8")
    _refused(invoke("check", str(circuit), "--expect", "f=1"), DIGITS)


@pytest.mark.parametrize("raw", ["1e309", "inf", "nan"])
def test_a_non_finite_toml_float_in_exact_mode(raw: str, tmp_path: Path) -> None:
    """fuzz/mixed.py, seed 2: TOML's 1e309 (a float inf) in exact mode reached
    Fraction('inf'): ValueError, exit 70."""
    circuit = tmp_path / "inf.toml"
    circuit.write_text(f'program = "f = x * w"\n[inputs]\nx = 1\nw = {raw}\n',
                       encoding="utf-8")
    for exact in ([], ["--exact"]):
        _refused(invoke("eval", str(circuit), *exact), "the value of w must be a finite number")


def test_sympys_float_flags_do_not_stop_an_exact_array_backward_pass() -> None:
    """fuzz/mixed.py, seed 2: sympy's float work inside an exact element set numpy's
    overflow flag and the vectorised gate raised FloatingPointError (exit 70)."""
    result = invoke("draw", "f = sum(((3 ** z)[0] ** exp(z)))", "z=[[1, 2], [3, 4]]",
                    "--exact", "--format", "dot", "--limit", "exact-seconds=60")
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("program", [
    "def g(t): t * (-1) ** (1/2)\nf = g(x)",
    "def g0(t): t ^ (-1 - t)\ndef g1(t): relu(g0(-1.5) - t)\nf = g1(x)",
    "def g0(t, u): min((3 ** (max(u, t) + pow(-pi/4, -2.5))), t)\nf = g0(x, x)",
])
def test_a_user_gate_constant_that_is_not_real(program: str) -> None:
    """fuzz/mixed.py, seed 3: a complex constant ((-1)**(1 - pi/4), pow(-pi/4, -2.5)) made
    sympy's Heaviside raise "Function defined only for Real Values" (exit 70)."""
    _refused(invoke("eval", program, "x=1"), "gives a number that is not real")


def test_defining_user_gates_is_bounded_in_time() -> None:
    """fuzz/mixed.py, seed 3: (-pi/4) ^ (2 ** 1e-400) inside a gate's derivative sent
    sympy searching a minimal polynomial of degree 10**400 (no end); the definitions now run
    under the exact-seconds budget."""
    tiny = "0." + "0" * 399 + "1"
    program = (f"def g0(t): (-pi/4 ^ t)\ndef g1(t): (((sigmoid(t) ^ t) + g0((2 ** {tiny})))"
               " ^ (-((t ** 1)) ** g0((t - t))))\nf = g1(z)")
    _refused(invoke("eval", program, "z=1", "--limit", "exact-seconds=1"),
             "defining the user gates took longer than 1 s", "--limit exact-seconds=N")


def test_an_exact_value_with_a_tower_inside_an_exponent() -> None:
    """fuzz/mixed.py, seed 3: a user gate's exact value held a tower whose evaluation sent
    mpmath computing e to astronomical precision (RecursionError, exit 70); a number inside
    an exponent is now bounded by exact-digits, innermost first."""
    program = "def g0(t): (t ** (exp(t) ** (log(e) ^ abs(t))))\nf = g0(g0(g0(x)))"
    _refused(invoke("eval", program, "x=3", "--exact"), DIGITS)


def test_a_large_power_under_a_log_is_still_exact() -> None:
    """The bound is on what evaluating costs, not on every power inside a value:
    log(9**(9**exp(4) * exp(4))) in a gradient is quick to evaluate and is shown."""
    result = invoke("eval", "f = sum(((3 ** z)[0] ** exp(z)))", "z=[[1, 2], [3, 4]]",
                    "--exact", "--limit", "exact-seconds=60")
    assert result.exit_code == 0, result.stderr
    assert "log(9**(9**exp(4)*exp(4)))" in result.stdout


@pytest.mark.parametrize(("args", "needle"), [
    (("eval", "f = sum(w)", "w=randn(" + "1" * 20_000 + ")"), "array-elements limit"),
    (("eval", "f = sum(w)", "w=randn(3, 0" + "0" * 20_000 + ")"), "positive integers"),
    (("check", "f = x", "x=1", "--expect", "f=0e99999999999"), None),
    (("check", "f = x", "x=1", "--expect", "f=1e-" + "9" * 30), None),
    (("eval", "f = x + 1\u1b59", "x=1"), "is not allowed"),
    # refused by exact-digits while simplify folded its gradient into one huge integer;
    # since simplifications past exact-digits are not taken, it is shown
    (("eval", "f = abs(leaky_relu((-pi/4 ^ x), x))", "x=10", "--exact"), None),
], ids=["huge size", "zero size", "huge exponent answer", "tiny exponent answer",
        "a Balinese digit", "a gradient holding a huge integer"])
def test_long_digit_strings_that_reached_int(args: tuple[str, ...], needle: str | None) -> None:
    """fuzz/mixed.py, seed 3: Python's int() of 20,000 digits (a randn size, an answer's
    exponent, a literal with a non-ASCII digit the tokenizer took for a digit, an exact
    integer printed) raised "Exceeds the limit (4300 digits)" or OverflowError (exit 70)."""
    result = invoke(*args)
    if needle is None:
        assert result.exit_code in (0, 1) and "internal" not in result.stderr, result.stderr
    else:
        _refused(result, needle)


def test_a_toml_array_holding_inf_in_exact_mode(tmp_path: Path) -> None:
    """fuzz/mixed.py, seed 3: a circuit file's array holding inf reached Fraction('inf') in
    exact mode (ValueError, exit 70)."""
    circuit = tmp_path / "c.toml"
    circuit.write_text('program = "f = sum(w)"\n[inputs]\nw = [1.0, inf]\n', encoding="utf-8")
    _refused(invoke("eval", str(circuit), "--exact"), "must be a finite number")


@pytest.mark.skipif(__import__("shutil").which("dot") is None, reason="needs Graphviz")
def test_graphviz_laying_out_a_wide_sum_is_bounded_in_time(tmp_path: Path) -> None:
    """fuzz/mixed.py, seed 3: `draw --format png` of a 100-term sum: Graphviz's layout ran
    past 45 s (the timeout was 120 s); now the graphviz-seconds limit (default 20 s), and
    dot is killed when it is hit."""
    program = "f = " + " + ".join(f"x*{k}" for k in range(100))
    result = invoke("draw", program, "x=-2.5", "--format", "png", "-o",
                    str(tmp_path / "out.png"), "--limit", "graphviz-seconds=0.5")
    _refused(result, "--limit graphviz-seconds=N", "--format dot")


def test_a_power_of_an_irrational_constant_by_a_huge_exponent_in_a_user_gate() -> None:
    """fuzz/mixed.py, seed 3: (sqrt(2) * (pi - 2 + g0(-1))) ^ 1e309 in a gate made sympy
    expand 2 ** (5 * 10**308) first (stopped only by the definitions' time budget); the
    power is estimated from its operands' values before sympy makes it."""
    program = ("def g0(t): (sin(t) + t)\n"
               "def g1(t, u): ((sqrt(abs(2)) * ((pi - 2) + g0(-1))) ^ 1e309)\nf = g1(x, x)")
    first = _refused(invoke("gates", program), DIGITS, "a power of numbers")
    assert "took longer" not in first


@pytest.mark.parametrize("program", [
    "def g0(t): tan(((t ** t) ** 0.5))\ndef g1(t): tanh(g0((10 * 1e308 ^ 2)))\nf = g1(y)",
    "def g0(t): pow(t, t) - t\ndef g1(t): g0(1e308 ^ 2 * 3) * t\nf = g1(y)",
])
def test_a_huge_constant_passed_to_a_user_gate(program: str) -> None:
    """fuzz/mixed.py, seed 4: a gate called with 10**617 substituted it into t ** t, and
    sympy computed (10**617) ** (10**617) (stopped only by the definitions' time budget);
    the call is now estimated unevaluated, innermost first, before sympy evaluates it."""
    first = _refused(invoke("gates", program), DIGITS, "a number in gate g1")
    assert "took longer" not in first


def test_a_user_gate_with_too_many_parameters_is_refused_at_once() -> None:
    """Issue 18: a user gate with 10^5 parameters ran past 60 s (a parameter list searched
    for each new name, then a derivative for each); now one limit message."""
    params = ", ".join(f"p{i}" for i in range(100_000))
    program = f"def g({params}): p0 + p1\nf = g({', '.join(['x'] * 100_000)})"
    _refused(invoke("eval", "-", "x=1", input=program), "the parameters of gate g",
             "--limit gate-terms=N")


def test_a_subscript_of_ten_thousand_digits() -> None:
    """fuzz/mixed.py, seed 4: int() of a 10,121-digit index (exit 70)."""
    _refused(invoke("eval", "f = sum(x[0, " + "1" * 10_121 + "])", "x=[[1, 2]]"),
             "out of range of any array", "column 14")


def test_the_terminal_drawing_of_a_long_chain_is_checked_against_memory() -> None:
    """Issue 18 (views of a huge graph): the indented tree of a 10^4-term sum made 10^4
    lines as wide as its deepest indentation (900 MB of text, 6.8 GB, 26 s; 10^5 terms
    passed 17 GB); its size is now estimated from the depths first."""
    program = "f = " + " + ".join(f"x*{k}" for k in range(10_000))
    _refused(invoke("draw", "-", "x=3", input=program), "--limit memory=N", "--format dot")
    assert invoke("draw", "-", "x=3", "--format", "dot", input=program).exit_code == 0


@pytest.mark.parametrize("gate", ["log_softmax", "softmax"])
def test_softmax_of_a_number_is_a_located_error(gate: str) -> None:
    """fuzz/mixed.py, seed 4: log_softmax of a number gave a 1-vector, so the number's
    gradient was [0] and gradcheck indexed a 0-d array (IndexError, exit 70). softmax works
    along an axis: a number is refused with one error line, in every command."""
    for command in ("gradcheck", "eval"):
        result = invoke(command, f"f = sum({gate}(y)) + sum(z)", "z=[1, 2]", "y=1")
        assert result.exit_code == 2, result.stderr
        assert result.stderr.startswith(f"error: {gate} gate") and \
            "needs a vector or matrix" in result.stderr, result.stderr


def test_a_huge_full_table_is_written_as_plain_text() -> None:
    """fuzz/mixed.py, seed 4: `eval --full --format table` of a 10^5-term sum ran past
    120 s (rich lays a table out whole); past 5,000 rows the table is plain text, warned."""
    program = "f = " + " + ".join(f"x*{k}" for k in range(3_000))
    result = invoke("eval", "-", "x=3", "--full", "--format", "table", input=program)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("warning: ") and "--format plain" in result.stderr
    plain = invoke("eval", "-", "x=3", "--full", "--format", "plain", input=program)
    assert result.stdout == plain.stdout


def test_a_reshape_size_of_twenty_thousand_digits() -> None:
    """fuzz/mixed.py, seed 4: int() of a 20,000-digit reshape size (exit 70)."""
    _refused(invoke("eval", "f = sum(reshape(x, -" + "1" * 20_000 + "))", "x=[1, 2]"),
             "has more than 18 digits")


def test_an_exact_digits_limit_beyond_a_c_int() -> None:
    """fuzz/mixed.py, seed 4: --limit exact-digits=<170 digits> made Python's
    set_int_max_str_digits raise OverflowError (exit 70), and in a long-running process
    left every later command failing; the conversion room is capped at a C int."""
    result = invoke("eval", "f = x * 2", "x=1", "--limit", "exact-digits=" + "1" * 170)
    assert result.exit_code == 0, result.stderr
    assert invoke("eval", "f = x * 2", "x=1").exit_code == 0


def test_a_user_gate_whose_derivative_is_not_real() -> None:
    """fuzz/mixed.py, seed 5: relu(((-1e308) ** t) ** pi) made sympy's step function
    raise "Function defined only for Real Values" while differentiating (exit 70)."""
    _refused(invoke("eval", "def g1(t, u): relu(((-1e308 ** t) ** pi))\nf = g1(x, x)", "x=1"),
             "has a derivative that is not a real number")


@pytest.mark.parametrize(("program", "gradient"), [
    ("f = z[0, 0]", [[1], [0]]),
    ("f = leaky_relu(z, -1/4)[1, 0]", [[0], [1]]),  # z = 2 > 0: slope 1
    ("f = leaky_relu((pi - z), -pi/4)[0, 0]", [[-1], [0]]),  # pi - 1 > 0: slope 1, times -1
])
def test_an_exact_element_takes_its_gradient(program: str, gradient: list[list[int]]) -> None:
    """fuzz/mixed.py, seed 5: in exact mode an element's upstream gradient is a 0-d array,
    which numpy stored whole in the gradient's element (AttributeError, exit 70)."""
    result = invoke("eval", program, "z=[[1], [2]]", "--exact", "--steps", "--expand",
                    "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["gradients"]["z"] == gradient


@pytest.mark.parametrize("fmt", ["json", "tsv", "latex", "markdown", "table"])
def test_an_exact_fraction_beyond_the_largest_double(fmt: str) -> None:
    """fuzz/mixed.py, seed 6: an exact value of 10^616 is a Fraction, whose float() raises
    OverflowError (sympy's gave inf): its decimal is an infinity of its sign."""
    result = invoke("eval", "f = (-1e308 - x)", "x=1e308 ^ 2", "--exact", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    if fmt == "json":
        document = json.loads(result.stdout)
        assert document["value"] == "-inf"
        assert document["value_exact"] == str(-10**308 - 10**616)


@pytest.mark.parametrize("body", ["t @ t", "cos(2 @ 3) - t"])
def test_a_matrix_product_in_a_user_gate_is_a_located_error(body: str) -> None:
    """fuzz/mixed.py, seed 6: `@` inside a gate definition reached the comparisons' branch
    (KeyError: 'matmul', exit 70); a user-defined gate works on numbers."""
    result = invoke("eval", f"def g(t): {body}\nf = g(x)", "x=1")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: gate g: @ (matmul) works on arrays") and \
        "line 1, column" in result.stderr and "^" in result.stderr, result.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-1"])
def test_a_limit_must_be_a_positive_finite_number(value: str) -> None:
    """fuzz/mixed.py, seed 2026: ``--limit exact-seconds=nan`` passed the check ``<= 0`` and
    reached setitimer (ValueError, exit 70)."""
    program = "def g(t, u): u ** u\nf = g(z, softplus(z))"
    result = invoke("gradcheck", program, "z=0.5", "--limit", f"exact-seconds={value}")
    _refused(result, "exact-seconds must be a positive finite number")


def test_a_power_without_a_real_derivative_on_a_large_array_names_its_first_element() -> None:
    """fuzz/mixed.py, seed 2026: d/db of a ** b at 4.5 million negative bases was judged
    element by element (a hang past 30 s on randn(3000, 3000)); the first element without a
    real value is named, and the judging stops there (a 0.1-s check, not a minute)."""
    z = "[" + ", ".join(["1e300", "1", "-2"] + ["-3"] * 200_000) + "]"
    result = invoke("eval", "def g0(t): (pi / t)\nf = sum(amax(g0(z) ^ y))", "y=10",
                    f"z={z}", "--format", "json")
    first = _refused(result, "needs a > 0 at node t2 = t1 ** y at element [2]")
    assert "t1[2] = -1.5707963267948966" in first


def test_a_constant_sympy_folds_past_exact_digits_in_a_derivative_is_refused() -> None:
    """fuzz/mixed.py, seed 2026: d/du of (10^-400)^(-u/3^10) holds an integer of 59,047
    digits, which reached str() (Python's own digit limit: ValueError, exit 70)."""
    result = invoke("eval", "def g2(t, u): (10**-400 ^ (u * -1/3^10))\nf = g2(x, y)",
                    "x=1", "y=2")
    _refused(result, "a number in gate g2 or its derivative (59,047)",
             "--limit exact-digits=N")


def test_simplify_never_folds_an_exact_value_past_exact_digits() -> None:
    """fuzz/mixed.py, seed 7: sympy's simplify wrote -413343*log(3) - 59049 as a log of
    3**59049 (28,174 digits), which no view could print (ValueError from str(), exit 70):
    a simplification that folds a number past exact-digits is not taken."""
    result = invoke("draw", "f = pow(3, x) * (3 - x)", "x=10", "--exact", "--format",
                    "mermaid")
    assert result.exit_code == 0, result.stderr
    document = json.loads(invoke("eval", "f = pow(3, x) * (3 - x)", "x=10", "--exact",
                                 "--format", "json").stdout)
    assert document["gradients_exact"]["x"] == "-413343*log(3) - 59049"
