"""Hostile text is refused at parse time, with its position, and nothing it asks for runs.

Every payload below would, if Python or sympy evaluated it, create the marker file (or do
worse). Each must be refused with exit 2, a located one-line error and no traceback, and at
the end the marker file must not exist.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import invoke

MARKER = "backprop-injection-marker"

_TOUCH = f"__import__('os').system('touch {MARKER}')"

PAYLOADS = [
    "().__class__.__mro__[1].__subclasses__()",
    "().__class__.__bases__[0].__subclasses__()[0]",
    "x.__class__",
    "x.__dict__",
    "__import__",
    _TOUCH,
    f"__import__('subprocess').call(['touch', '{MARKER}'])",
    f"open('{MARKER}', 'w').write('x')",
    f"exec(\"open('{MARKER}','w')\")",
    f"eval(\"open('{MARKER}','w')\")",
    "getattr(x, 'y')",
    "print(x)",
    "globals()",
    "locals()['x']",
    "vars()",
    "compile('1', 'f', 'eval')",
    "breakpoint()",
    "input()",
    f"lambda: open('{MARKER}', 'w')",
    f"(lambda: open('{MARKER}', 'w'))()",
    "[x for x in range(3)]",
    "{x: 1 for x in y}",
    "(x for x in y)",
    "{1, 2}",
    "f'{x}'",
    f"f'{{open(\"{MARKER}\", \"w\")}}'",
    "'abc'",
    "b'abc'",
    "(y := 3)",
    "max(*x)",
    "max(**x)",
    "max(a=1, b=2)",
    "exp(x=1)",
    "import os",
    "from os import system",
    f"import os; os.system('touch {MARKER}')",
    "class A: pass",
    "def f(): pass",
    "for i in x: y",
    "while 1: x",
    f"with open('{MARKER}', 'w') as f: f",
    "if x: y",
    "x if y else z",
    "x and y",
    "not x",
    "x in y",
    "x is y",
    "x < y < z",  # single comparisons are the language (0/1 gates); chains are not
    "x == y == z",
    "x % y",
    "x // y",
    "x | y",
    "x & y",
    "~x",
    "x << 2",
    "x[y:z]",
    "x[0:y]",
    "x.real",
    "1 .real",
    "@/etc/passwd",
    "`x`",
    "x; import os",
    "x = 1; del x",
    "assert x",
    "raise x",
    "yield x",
    "await x",
    "global x",
    "return x",
    "async def f(): pass",
    "test()",
    "N(x)",
    "S('x')",
    "Q.positive(x)",
    "E.evalf()",
    "I.conjugate()",
    "beta(1, 2)",
    "gamma(3)",
    "Symbol('x')",
    "sympify('x')",
    "x\\\n+1",
    "x \x1b[31m",
    "x \x00",
]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def assert_refused(result: object, *, located: bool = True) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: ")
    if located:
        assert " at line " in first and ", column " in first, first
        assert "^" in result.stderr.splitlines()[2]


def toml_string(text: str) -> str:
    """A TOML basic string holding ``text`` (JSON's escapes are valid TOML escapes)."""
    return json.dumps(text)


def test_there_are_at_least_fifty_payloads() -> None:
    assert len(PAYLOADS) >= 50


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_as_program_is_refused(payload: str, in_tmp: Path) -> None:
    assert_refused(invoke("eval", payload, "x=1", "y=2", "z=3"))
    assert not (in_tmp / MARKER).exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_on_stdin_is_refused(payload: str, in_tmp: Path) -> None:
    assert_refused(invoke("eval", "-", input=payload))
    assert not (in_tmp / MARKER).exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_as_a_value_is_refused(payload: str, in_tmp: Path) -> None:
    assert_refused(invoke("eval", "x * 2", f"x={payload}"))
    assert not (in_tmp / MARKER).exists()


@pytest.mark.parametrize("payload", PAYLOADS[:20])
def test_payload_as_upstream_is_refused(payload: str, in_tmp: Path) -> None:
    assert_refused(invoke("eval", "x * 2", "x=1", "--upstream", payload))
    assert not (in_tmp / MARKER).exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_in_a_circuit_file_is_refused(payload: str, in_tmp: Path) -> None:
    (in_tmp / "evil.toml").write_text(f"program = {toml_string(payload)}\n[inputs]\nx = 1\n")
    assert_refused(invoke("eval", "evil.toml"))
    assert not (in_tmp / MARKER).exists()


@pytest.mark.parametrize("payload", PAYLOADS[:20])
def test_payload_as_a_circuit_file_input_is_refused(payload: str, in_tmp: Path) -> None:
    (in_tmp / "evil.toml").write_text(f'program = "x * 2"\n[inputs]\nx = {toml_string(payload)}\n')
    assert_refused(invoke("eval", "evil.toml"))
    assert not (in_tmp / MARKER).exists()


def test_payload_in_a_program_file_is_refused(in_tmp: Path) -> None:
    (in_tmp / "evil.bp").write_text(f"q = x + 1\n{_TOUCH}\n")
    result = invoke("eval", "evil.bp", "x=1")
    assert_refused(result)
    assert "line 2" in result.stderr
    assert not (in_tmp / MARKER).exists()


@pytest.mark.parametrize("name", ["test", "N", "S", "Q", "E", "I", "beta", "gamma", "oo",
                                  "zoo", "nan", "Symbol", "Integer", "Rational", "pi_"])
def test_sympy_names_are_plain_inputs_never_sympy_objects(name: str) -> None:
    """Names sympy would resolve to its own objects are ordinary variables here."""
    result = invoke("eval", f"{name} * 2", f"{name}=3", "--format", "json", "--exact")
    assert result.exit_code == 0, result.stderr
    assert '"value_exact": "6"' in result.stdout


def test_escape_sequences_in_echoed_text_are_shown_escaped() -> None:
    result = invoke("eval", "x + \x1b]0;pwned\x07 + \x1b[31mred")
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b" in result.stderr
