"""A fuzzer that mixes every feature: whole command lines for every command, built from a
grammar (programs with user gates, extreme literals, arrays and shapes, --rows, --exact,
--steps, every draw format, code, step, gates, quiz) and mutated (literals swapped for
extreme ones, programs spliced, bytes flipped in the files), with the files they name
(circuit TOML, answers JSON/TOML, CSV/JSON Lines rows, .npy arrays with good and broken
headers, saved parameters) and their standard input.

    nice -n 10 python fuzz/mixed.py --count 1000000 --workers 2 --corpus fuzz/findings

Each input runs in-process in a worker (``backprop_cli.cli.main.main``, the real entry
function, with stdin/stdout/stderr captured) under a SIGALRM timeout; a worker is its own
process group with an address-space cap (RLIMIT_AS) and is killed as a group, then
restarted, when an input hangs past the timeout (an alarm cannot interrupt C code), crashes
it or leaves its state in doubt. Case i is a pure function of (seed, i), so a run is
reproducible and a finding can be rebuilt from its number.

A finding is an internal error (exit 70), a traceback (an exception that escaped ``main``,
or "Traceback" in its output), a hang (past the timeout) or an exit code other than 0, 1, 2.
Each is written to the corpus directory: ``cmd`` (the command line, shell-quoted),
``stdin``, ``files/`` and ``result`` (what happened). The summary (executions, exec/s and
the counts) is printed at the end and, with ``--json``, as one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gc
import io
import json
import os
import random
import re
import resource
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# ----------------------------------------------------------------------------- the grammar

NAMES = ["x", "y", "z", "w", "W", "b"]
PLAIN = ["0", "1", "2", "-1", "0.5", "-2.5", "3", "1e-3", "10", "1/3", "pi", "e", "-pi/4"]
EXTREME = ["1e308", "-1e308", "1e-320", "5e-324", "1e309", "1e1000000000000",
           "1e-1000000000000", "9**9**9", "9^9^9", "1e1000000000000 ** 9**9**9", "2**1024",
           "1" + "0" * 400, "0." + "0" * 400 + "1", "3." + "14159265358979" * 30,
           "1" * 5000, "1" * 20000, "nan", "inf", "-inf", "0/0", "1/0", "0e99999999999",
           "1e100000000", "10**-400", "(-1)**0.5", "-0", "0^-1", "1e308 ^ 2", "exp(1000)",
           "exp(exp(exp(3)))", "1" + "0" * 4400]
UNARY = ["exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs",
         "softplus", "-"]
BINARY_FN = ["max", "min", "leaky_relu", "pow"]
OPS = ["+", "-", "*", "/", "**", "^"]
ARRAY_UNARY = ["sum", "mean", "amax", "amin", "softmax", "log_softmax", "l2"]
ARRAY_VALUES = ["[1, 2, 3]", "[[1, 2], [3, 4]]", "[[0.5, -1.5], [2, 1]]", "[1e308, 1e308]",
                "[1, 1e1000000000000]", "[]", "[[1], [2, 3]]", "[0, 1]", "[1, nan]",
                "randn(2, 2)", "randn(3)", "rand(2, 3)", "randint(0, 2, 2)", "randn(1, 7)",
                "randn(7, 1)", "randn(0, 3)", "randn(300, 300)", "randn(3000, 3000)",
                "randn(100000)", "randn(7000, 1)", "randn(1, 7000)", "randn(-1)",
                "randn(99999999999)", "randn(2, 2, 2)"]
FORMATS = ["auto", "table", "plain", "json", "jsonl", "csv", "tsv", "markdown", "latex"]
DRAW_FORMATS = ["terminal", "dot", "svg", "png", "mermaid"]
PIECES = ["(", ")", ",", "=", ";", "\n", " ", "#", ".", "[", "]", ":", "def ", "@", ".T",
          "\x00", "\u2212", "\t", "\r", "'", '"', "[0]", "[:, 1]", "[1:]", "lambda", "__"]
LIMITS = ["gates=50", "depth=10", "exact-digits=20", "exact-seconds=1", "array-elements=10",
          "gate-terms=5", "memory=1000", "lines=2", "source-bytes=10", "bogus=1", "gates=-1",
          "memory=x"]


@dataclass
class Case:
    """One command line with its standard input and the files it names."""

    argv: list[str]
    stdin: str = ""
    files: dict[str, bytes] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"argv": self.argv, "stdin": self.stdin,
                "files": {k: base64.b64encode(v).decode() for k, v in self.files.items()}}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Case:
        return Case(data["argv"], data["stdin"],
                    {k: base64.b64decode(v) for k, v in data["files"].items()})


class Grammar:
    """Random programs, values and command lines from one ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items: list[str]) -> str:
        return self.rng.choice(items)

    def literal(self) -> str:
        return self.pick(EXTREME) if self.chance(0.15) else self.pick(PLAIN)

    def expr(self, names: list[str], depth: int, gates: list[tuple[str, int]],
             arrays: bool) -> str:
        rng = self.rng
        if depth <= 0 or self.chance(0.25):
            return self.literal() if self.chance(0.3) or not names else self.pick(names)
        sub = lambda: self.expr(names, depth - 1, gates, arrays)  # noqa: E731
        roll = rng.random()
        if roll < 0.3:
            return f"({sub()} {self.pick(OPS)} {sub()})"
        if roll < 0.5:
            gate = self.pick(UNARY)
            return f"-({sub()})" if gate == "-" else f"{gate}({sub()})"
        if roll < 0.6:
            return f"{self.pick(BINARY_FN)}({sub()}, {sub()})"
        if gates and roll < 0.75:
            name, arity = rng.choice(gates)
            return f"{name}({', '.join(sub() for _ in range(arity))})"
        if arrays and roll < 0.9:
            kind = rng.random()
            if kind < 0.4:
                return f"{self.pick(ARRAY_UNARY)}({sub()})"
            if kind < 0.6:
                return f"({sub()} @ {sub()})"
            if kind < 0.7:
                return f"{sub()}.T"
            if kind < 0.8:
                return f"{sub()}{self.pick(['[0]', '[:, 1]', '[1:]', '[0, 0]'])}"
            if kind < 0.9:
                return f"reshape({sub()}, {self.pick(['-1', '2, 2', '1, -1', '0'])})"
            return f"{self.pick(['cross_entropy', 'hinge'])}({sub()}, y)"
        return f"({sub()} {self.pick(OPS)} {sub()})"

    def user_gates(self) -> tuple[list[str], list[tuple[str, int]]]:
        lines, gates = [], []
        for k in range(self.rng.choice([0, 0, 1, 1, 2, 3])):
            arity = self.rng.choice([1, 1, 2])
            params = ["t", "u"][:arity]
            name = f"g{k}"
            body = self.expr(params, self.rng.randint(1, 4), gates, False)
            lines.append(f"def {name}({', '.join(params)}): {body}")
            gates.append((name, arity))
        return lines, gates

    def program(self, arrays: bool) -> tuple[str, list[str]]:
        """A program text and the input names it uses (roughly)."""
        names = self.rng.sample(NAMES[:4], self.rng.randint(1, 3))
        lines, gates = self.user_gates()
        defined = list(names)
        for k in range(self.rng.randint(0, 3)):
            node = f"n{k}"
            lines.append(f"{node} = {self.expr(defined, 3, gates, arrays)}")
            defined.append(node)
        last = self.expr(defined, 3, gates, arrays)
        if arrays and self.chance(0.6):
            last = f"sum({last})"
        lines.append(f"f = {last}")
        text = "\n".join(lines) if self.chance(0.8) else "; ".join(lines)
        if self.chance(0.02):  # a big generated sum or chain
            n = self.pick(["100", "3000", "100000"])
            text = self.big_program(int(n))
        return text, names

    def big_program(self, n: int) -> str:
        if self.chance(0.5):
            return "f = " + " + ".join(f"x*{k}" for k in range(n))
        return "\n".join(["c0 = x", *(f"c{k} = sin(c{k - 1})" for k in range(1, n))])

    def value(self, arrays: bool) -> str:
        if arrays and self.chance(0.7):
            return self.pick(ARRAY_VALUES)
        return self.literal()

    def assignments(self, program: str, names: list[str], arrays: bool) -> list[str]:
        used = [name for name in names if re.search(rf"\b{name}\b", program)]
        out = [f"{name}={self.value(arrays)}" for name in used or names if self.chance(0.95)]
        if arrays and self.chance(0.3):
            out.append(f"y={self.pick(['[0, 1]', '[1]', '[0]', '[5, -1]', '[0.5]'])}")
        return out

    def common_options(self, allow_exact: bool = True) -> list[str]:
        opts: list[str] = []
        if allow_exact and self.chance(0.15):
            opts.append("--exact")
        if self.chance(0.1):
            opts.append("--strict")
        if self.chance(0.15):
            opts += ["--upstream", self.value(self.chance(0.3))]
        if self.chance(0.1):
            opts += ["--output", self.pick(["n0", "n1", "f", "x", "nope"])]
        if self.chance(0.08):
            opts += ["--limit", self.pick(LIMITS)]
        if self.chance(0.1):
            opts += ["--seed", self.pick(["0", "1", "-1", "99999999999999999999"])]
        return opts

    # ------------------------------------------------------------------- files and commands

    def npy(self) -> bytes:
        import numpy as np
        buffer = io.BytesIO()
        shape = self.rng.choice([(2,), (2, 2), (3,), ()])
        np.save(buffer, np.arange(float(np.prod(shape))).reshape(shape))
        data = buffer.getvalue()
        if self.chance(0.6):
            start, end = data.index(b"{"), data.index(b"\n")
            header = self.pick(["{'descr': '<f8', 'shape': (4,", "{'descr': ((((", '{"""',
                                "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }",
                                "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
                                "{'descr': '<f8', 'fortran_order': False, 'shape': "
                                "(99999999999,99999999999), }", "{}", "9**9**9",
                                "{'descr': '<f8', 'fortran_order': True, 'shape': (2,2), }"])
            data = data[:start] + header.encode().ljust(end - start) + data[end:]
        return data

    def rows(self, names: list[str], arrays: bool) -> tuple[str, bytes]:
        kind = self.pick(["csv", "tsv", "jsonl"])
        lines = []
        for _ in range(self.rng.randint(0, 4)):
            lines.append({n: self.value(arrays and self.chance(0.3)) for n in names})
        if kind == "jsonl":
            text = "\n".join(json.dumps(row) for row in lines)
        else:
            sep = "," if kind == "csv" else "\t"
            text = "\n".join([sep.join(names), *(sep.join(r.values()) for r in lines)])
        return f"rows.{kind}", text.encode()

    def circuit_toml(self, program: str, names: list[str], arrays: bool) -> bytes:
        def q(text: str) -> str:
            return json.dumps(text)
        lines = [f"program = {q(program)}"]
        if self.chance(0.3):
            lines.append(f"upstream = {q(self.value(False))}")
        lines.append("[inputs]")
        for name in names:
            value = self.value(arrays)
            lines.append(f"{name} = {value if self.chance(0.3) else q(value)}")
        lines.append("[expect]")
        lines.append(f"f = {q(self.value(False))}")
        lines.append(f'"grad.{names[0]}" = {q(self.literal())}')
        if self.chance(0.4):
            lines += ["[gates.h]", 'params = ["t"]', f"body = {q(self.expr(['t'], 3, [], False))}"]
        return "\n".join(lines).encode()

    def answers(self, program: str, names: list[str]) -> tuple[str, bytes]:
        problems = [{"name": f"p{k}", "program": program,
                     "inputs": {n: self.literal() for n in names},
                     "expect": {"f": self.literal(), f"grad.{names[0]}": self.literal()}}
                    for k in range(self.rng.randint(0, 3))]
        if self.chance(0.2):
            problems.append({"name": "c", "circuit": self.pick(["circuit.toml", "sigmoid-neuron",
                                                                 "nope.toml", "../x"])})
        if self.chance(0.5):
            return "answers.json", json.dumps({"problems": problems}).encode()
        lines = []
        for p in problems:
            lines.append("[[problems]]")
            for key, value in p.items():
                if isinstance(value, dict):
                    inner = ", ".join(f'"{k}" = {json.dumps(v)}' for k, v in value.items())
                    lines.append(f"{key} = {{ {inner} }}")
                else:
                    lines.append(f"{key} = {json.dumps(value)}")
        return "answers.toml", "\n".join(lines).encode()

    def case(self) -> Case:
        command = self.pick(["eval"] * 4 + ["check", "gradcheck", "draw", "draw", "code",
                                            "step", "gates", "quiz"])
        arrays = self.chance(0.35)
        program, names = self.program(arrays)
        files: dict[str, bytes] = {}
        stdin = ""
        source = program
        roll = self.rng.random()
        if len(program) > 100_000:  # past what one argument may hold: standard input
            stdin, source = program, "-"
        elif roll < 0.12:
            files["circuit.toml"] = self.circuit_toml(program, names, arrays)
            source = "circuit.toml"
        elif roll < 0.16:
            stdin, source = program, "-"
        elif roll < 0.19:
            source = self.pick(["sigmoid-neuron", "add-gate", "matmul", "relu-vector",
                                "neuron-squared-loss", "nope"])
        values = self.assignments(program, names, arrays)
        if arrays and self.chance(0.1):
            files["a.npy"] = self.npy()
            values.append(f"{names[0]}=@a.npy")
        argv = [command]
        if command == "eval":
            argv += [source, *values, *self.common_options()]
            if self.chance(0.3):
                argv += ["--format", self.pick(FORMATS)]
            if self.chance(0.12):
                argv.append("--steps")
            if self.chance(0.12):
                name, data = self.rows(names, arrays)
                files[name] = data
                argv += ["--rows", name]
                if self.chance(0.3):
                    argv += ["--on-error", "skip"]
            for flag in ["--jacobian", "--expand", "--full"]:
                if self.chance(0.05):
                    argv.append(flag)
            if self.chance(0.1):
                argv += ["--get", self.pick(["value", f"grad.{names[0]}", "node.f.grad",
                                             "edge.f.0.local", "nope"])]
            if self.chance(0.05):
                argv += ["--precision", self.pick(["0", "3", "400", "-1"])]
            if self.chance(0.05):
                argv += ["--no-grad", names[0]]
        elif command == "check":
            argv += [source, *values, *self.common_options()]
            if self.chance(0.25):
                name, data = self.answers(program, names)
                files[name] = data
                files.setdefault("circuit.toml", self.circuit_toml(program, names, arrays))
                argv = ["check", "--answers", name]
            else:
                for _ in range(self.rng.randint(0, 3)):
                    key = self.pick(["f", f"grad.{names[0]}", f"df/d{names[0]}",
                                     "edge.f.0.local", "n0", "nope"])
                    argv += ["--expect", f"{key}={self.literal()}"]
            if self.chance(0.2):
                argv += self.pick([["--hide"], ["--rtol", "1e-3"], ["--atol", "0"],
                                   ["--format", "json"]])
        elif command == "gradcheck":
            argv += [source, *values, *self.common_options(allow_exact=False)]
            if self.chance(0.2):
                argv += ["--h", self.pick(["1e-5", "1e-300", "1", "1e300"])]
            if self.chance(0.1):
                argv += ["--format", self.pick(FORMATS)]
        elif command == "draw":
            argv += [source, *values, *self.common_options()]
            fmt = self.pick(DRAW_FORMATS)
            if fmt in ("svg", "png") and self.chance(0.7):
                fmt = "dot"  # Graphviz is a subprocess: keep it rarer
            argv += ["--format", fmt]
            if self.chance(0.2):
                argv += ["-o", self.pick(["out.txt", "out.dot", "out.mmd", "out.md", "out.x"])]
            for flag in ["--no-values", "--no-grads", "--expand"]:
                if self.chance(0.1):
                    argv.append(flag)
            if self.chance(0.1):
                argv += ["--width", self.pick(["1", "20", "80", "100000"])]
        elif command == "code":
            argv += [source, *values, *self.common_options()]
            if self.chance(0.3):
                argv += ["--style", self.pick(["flat", "modular"])]
        elif command == "step":
            argv += [source, *values, *self.common_options()]
            argv += ["--params", ",".join(self.rng.sample(names, 1))]
            if self.chance(0.6):
                argv += ["--lr", self.pick(["0.1", "1/2", "1e1000000000000", "-1", "nan"])]
            if self.chance(0.5):
                argv += ["--iters", self.pick(["1", "3", "50", "1000", "0"])]
            if self.chance(0.1):
                files["p.json"] = self.pick([b'{"x": 1}', b'{"x": "1e1000000000000"}', b"[",
                                             b'{"x": [1, 2]}', b'{"zz": 1}'])
                argv += ["--load", "p.json"]
            if self.chance(0.1):
                argv += ["--save", self.pick(["s.json", "s.txt"])]
        elif command == "gates":
            argv += [program] if self.chance(0.7) else []
            if self.chance(0.3):
                argv += ["--format", self.pick(["plain", "json", "table"])]
        else:  # quiz
            if self.chance(0.5):
                argv += ["--level", self.pick(["1", "2", "3", "4", "0"])]
            if self.chance(0.5):
                argv += ["--seed", self.pick(["0", "7", "-3", "123456789012345678901"])]
            if self.chance(0.3):
                argv += ["-o", "quiz.toml"]
        return Case(argv, stdin, files)


class Mutator:
    """Mutations that keep most of a case's structure: a literal swapped for an extreme one,
    a program spliced with another's, characters inserted, an argument dropped or doubled,
    bytes flipped or cut in a file."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def text(self, text: str, donor: str) -> str:
        rng = self.rng
        if not text:
            return donor
        i = rng.randrange(len(text) + 1)
        roll = rng.random()
        if roll < 0.3:  # replace a number
            digits = [k for k, c in enumerate(text) if c.isdigit()]
            if digits:
                k = rng.choice(digits)
                j = k
                while j < len(text) and (text[j].isalnum() or text[j] in "."):
                    j += 1
                return text[:k] + rng.choice(EXTREME) + text[j:]
        if roll < 0.5:  # splice another program's piece
            a = rng.randrange(len(donor) + 1)
            return text[:i] + donor[a:a + rng.randint(1, 40)] + text[i:]
        if roll < 0.7:
            return text[:i] + rng.choice(PIECES + OPS) + text[i:]
        if roll < 0.85:
            return text[:i] + text[i + rng.randint(1, 5):]
        if roll < 0.95:  # duplicate a line
            lines = text.split("\n")
            k = rng.randrange(len(lines))
            return "\n".join(lines[:k + 1] + lines[k:])
        return text[:i] + chr(rng.randrange(1, 0x3000)) + text[i:]

    def data(self, data: bytes) -> bytes:
        rng = self.rng
        if not data:
            return bytes([rng.randrange(256)])
        i = rng.randrange(len(data))
        roll = rng.random()
        if roll < 0.4:
            return data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
        if roll < 0.6:
            return data[:i]
        if roll < 0.8:
            return data[:i] + rng.choice(EXTREME).encode() + data[i:]
        return data[:i] + data[i:i + rng.randint(1, 50)] * rng.randint(2, 5) + data[i:]

    def case(self, case: Case, donor: Case) -> Case:
        rng = self.rng
        argv, files, stdin = list(case.argv), dict(case.files), case.stdin
        donor_text = " ".join(donor.argv[1:2]) or "f = x"
        for _ in range(rng.randint(1, 3)):
            roll = rng.random()
            if roll < 0.55 and len(argv) > 1:
                k = rng.randrange(1, len(argv))
                argv[k] = self.text(argv[k], donor_text)
            elif roll < 0.7 and files:
                name = rng.choice(sorted(files))
                files[name] = self.data(files[name])
            elif roll < 0.8 and len(argv) > 2:
                del argv[rng.randrange(1, len(argv))]
            elif roll < 0.9:
                argv += donor.argv[rng.randrange(1, max(len(donor.argv), 2)):][:2]
                for name, data in donor.files.items():
                    files.setdefault(name, data)
            elif stdin:
                stdin = self.text(stdin, donor_text)
            else:
                argv.insert(rng.randrange(1, len(argv) + 1), rng.choice(
                    ["--exact", "--steps", "--strict", "-", "--rows", "rows.csv", "--"]))
        return Case([arg.replace("\x00", "") for arg in argv], stdin, files)  # as a shell


def make_case(seed: int, index: int) -> Case:
    """Case ``index`` of a run with ``seed``: generated, or (half the time) a generated
    case mutated with another as donor."""
    rng = random.Random(seed * 1_000_003 + index)
    grammar = Grammar(rng)
    case = grammar.case()
    if rng.random() < 0.5:
        case = Mutator(rng).case(case, grammar.case())
    return case


# ------------------------------------------------------------------------ running one case

class Timeout(BaseException):
    """Raised by the alarm: a BaseException, so that no ``except Exception`` swallows it."""


@dataclass
class Outcome:
    kind: str  # "ok", "internal", "traceback", "hang", "exit-N", "crash"
    code: int | None
    seconds: float
    message: str = ""

    @property
    def finding(self) -> bool:
        return self.kind != "ok"


def run_in_process(case: Case, timeout: float, workdir: Path) -> Outcome:
    """Run ``backprop ARGV`` through the real entry function with stdin and the files."""
    from click.testing import CliRunner

    from backprop_cli.cli.main import main

    for old in workdir.iterdir():
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink()
    for name, data in case.files.items():
        (workdir / name).write_bytes(data)

    def expire(signum: int, frame: object) -> None:
        raise Timeout

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    code: int | None = None
    kind, message = "ok", ""
    try:
        with CliRunner().isolation(input=case.stdin) as (out, err, _):
            try:
                code = main(list(case.argv))
            finally:
                stderr = err.getvalue().decode("utf-8", "replace")
                stdout = out.getvalue().decode("utf-8", "replace")
    except Timeout:
        kind = "hang"
    except BaseException as error:
        kind, message = "traceback", f"{type(error).__name__}: {error}"[:2000]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        gc.enable()  # main() turns the collector off for its short-lived process
    seconds = time.monotonic() - started
    if kind == "ok":
        if code == 70:
            kind, message = "internal", stderr[-2000:]
        elif "Traceback" in stderr or "Traceback (most recent" in stdout:
            kind, message = "traceback", stderr[-2000:]
        elif code not in (0, 1, 2):
            kind, message = f"exit-{code}", stderr[-2000:]
    return Outcome(kind, code, seconds, message)


def worker(seed: int, start: int, stop: int, timeout: float, memory: int) -> None:
    """Run cases start..stop-1 in this process, one JSON line each on stdout; exit after any
    finding (the process's state may be broken: one bad --limit once failed every later
    command of a worker)."""
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    report = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # whatever writes to the real stdout cannot garble the reports
    os.environ.setdefault("BACKPROP_LIMITS", "exact-seconds=3")
    os.environ.pop("BACKPROP_DEBUG", None)
    with tempfile.TemporaryDirectory(prefix="backprop-fuzz-") as tmp:
        workdir = Path(tmp)
        os.chdir(workdir)
        for index in range(start, stop):
            report.write(json.dumps({"start": index}) + "\n")
            outcome = run_in_process(make_case(seed, index), timeout, workdir)
            report.write(json.dumps({"index": index, "kind": outcome.kind,
                                     "code": outcome.code, "seconds": outcome.seconds,
                                     "message": outcome.message}) + "\n")
            if outcome.kind != "ok":  # the process's state may be broken: start afresh
                return
            if index % 500 == 0:
                gc.collect()


# ---------------------------------------------------------------------- the driver (parent)

@dataclass
class Stats:
    executions: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    restarts: int = 0
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {"executions": self.executions, "seconds": round(self.seconds, 1),
                "exec_per_second": round(self.executions / max(self.seconds, 1e-9), 1),
                "internal_errors": self.kinds["internal"], "hangs": self.kinds["hang"],
                "tracebacks": self.kinds["traceback"],
                "crashes": self.kinds["crash"],
                "other_exit_codes": sum(n for k, n in self.kinds.items()
                                        if k.startswith("exit-")),
                "exit_codes": dict(self.codes), "worker_restarts": self.restarts}


def save_finding(corpus: Path, seed: int, index: int, kind: str, message: str) -> Path:
    case = make_case(seed, index)
    where = corpus / f"{kind}-{seed}-{index}"
    (where / "files").mkdir(parents=True, exist_ok=True)
    (where / "cmd").write_text("backprop " + shlex.join(case.argv) + "\n", encoding="utf-8")
    (where / "stdin").write_text(case.stdin, encoding="utf-8")
    for name, data in case.files.items():
        (where / "files" / name).write_bytes(data)
    (where / "result").write_text(f"{kind}\n{message}\n", encoding="utf-8")
    (where / "case.json").write_text(json.dumps(case.to_json()), encoding="utf-8")
    return where


class Worker:
    """A worker process running a range of cases, in its own process group."""

    def __init__(self, seed: int, start: int, stop: int, timeout: float, memory: int) -> None:
        self.seed, self.next, self.stop = seed, start, stop
        self.timeout, self.memory = timeout, memory
        self.current: int | None = None
        self.started_at = 0.0
        self.buffer = b""
        self.proc: subprocess.Popen[bytes] | None = None
        self.spawn()

    def spawn(self) -> None:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(self.seed), str(self.next),
             str(self.stop), str(self.timeout), str(self.memory)],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, env=env)
        self.current, self.started_at, self.buffer = None, time.monotonic(), b""

    def kill(self) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        assert self.proc.stdout is not None
        self.proc.stdout.close()

    @property
    def done(self) -> bool:
        return self.next >= self.stop


def drive(seed: int, count: int, workers: int, timeout: float, memory: int, corpus: Path,
          start: int = 0, progress: bool = False, seconds: float | None = None) -> Stats:
    """Run cases start..start+count-1 over ``workers`` worker processes (or as many as
    ``seconds`` allow: then the workers are stopped and the cases done are counted)."""
    stats = Stats()
    began = time.monotonic()
    grace = timeout + 10.0  # past this a worker is stuck where its alarm cannot reach
    share = -(-count // workers)
    pool = [Worker(seed, start + k * share, min(start + (k + 1) * share, start + count),
                   timeout, memory) for k in range(workers)]
    pool = [w for w in pool if not w.done]

    def record(w: Worker, index: int, kind: str, code: int | None, message: str) -> None:
        stats.executions += 1
        stats.kinds[kind] += 1
        stats.codes[str(code)] += 1
        if kind != "ok":
            save_finding(corpus, seed, index, kind, message)
        w.next = index + 1

    try:
        _loop(pool, stats, record, grace, began, seconds, progress)
    finally:  # stopped (Ctrl-C, SIGTERM) or done: no worker outlives the run
        for w in pool:
            if w.proc is not None and w.proc.poll() is None:
                w.kill()
    stats.seconds = time.monotonic() - began
    return stats


def _loop(pool: list[Worker], stats: Stats, record: Callable[..., None], grace: float,
          began: float, seconds: float | None, progress: bool) -> None:
    last_report = began
    while pool:
        if seconds is not None and time.monotonic() - began > seconds:
            return
        fds = {w.proc.stdout.fileno(): w for w in pool}  # type: ignore[union-attr]
        ready, _, _ = select.select(list(fds), [], [], 1.0)
        for fd in ready:
            w = fds[fd]
            chunk = os.read(fd, 65536)
            if not chunk:  # the worker ended: finished its range, or died
                w.proc.wait()  # type: ignore[union-attr]
                if w.current is not None:  # died inside a case: a crash
                    rc = w.proc.returncode  # type: ignore[union-attr]
                    record(w, w.current, "crash", rc, f"worker died with status {rc}")
                w.kill()
                if w.done:
                    pool.remove(w)
                else:
                    stats.restarts += 1
                    w.spawn()
                continue
            w.buffer += chunk
            *lines, w.buffer = w.buffer.split(b"\n")
            for line in lines:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if "start" in message:
                    w.current, w.started_at = message["start"], time.monotonic()
                else:
                    w.current = None
                    record(w, message["index"], message["kind"], message["code"],
                           message["message"])
        now = time.monotonic()
        for w in list(pool):
            if w.current is not None and now - w.started_at > grace:
                record(w, w.current, "hang", None,
                       f"no answer after {grace:g} s; process group killed")
                w.kill()
                stats.restarts += 1
                if w.done:
                    pool.remove(w)
                else:
                    w.spawn()
        if progress and now - last_report > 30:
            last_report = now
            stats.seconds = now - began
            print(json.dumps(stats.summary()), file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "--worker":
        seed, start, stop = (int(a) for a in args[1:4])
        worker(seed, start, stop, float(args[4]), int(args[5]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--start", type=int, default=0, help="first case number")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per input")
    parser.add_argument("--memory", type=float, default=4.0,
                        help="address-space cap of a worker, in GB (RLIMIT_AS)")
    parser.add_argument("--corpus", type=Path, default=Path("fuzz/findings"))
    parser.add_argument("--seconds", type=float, help="stop after this long")
    parser.add_argument("--show", type=int, metavar="N", help="print case N and exit")
    options = parser.parse_args(args)
    if options.show is not None:
        case = make_case(options.seed, options.show)
        print("backprop " + shlex.join(case.argv))
        print(json.dumps(case.to_json(), indent=1))
        return 0
    options.corpus.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))  # through drive's cleanup
    stats = drive(options.seed, options.count, options.workers, options.timeout,
                  int(options.memory * 1e9), options.corpus.resolve(), options.start,
                  progress=True, seconds=options.seconds)
    print(json.dumps(stats.summary()))
    return 0 if stats.kinds["ok"] == stats.executions else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
