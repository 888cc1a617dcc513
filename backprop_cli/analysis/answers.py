"""Problems to check: one circuit with its expectations, or an answers file of many.

An answers file (TOML or JSON) holds ``problems``, each naming a ``circuit`` (a file,
relative to the answers file, or a bundled name) or giving a ``program``, with optional
``inputs``, ``output``, ``upstream``, ``rtol``/``atol``, ``seed`` (for ``randn(...)``
values) and an ``expect`` table (``NAME = value``, ``grad.NAME = value``). A problem without
``expect`` uses its circuit file's ``[expect]``. Top-level ``rtol``/``atol`` apply to every
problem.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..api import arithmetic_for, run
from ..errors import BackpropError, CircuitError, InputError
from ..inputs.circuits import PROGRAM_SUFFIXES, Circuit, bundled_names, decode, resolve
from ..inputs.values import coerce_value
from .expectations import Tolerance, Verdict, expectations_from, flatten_expect, judge
from .hints import with_hints

_FILE_KEYS = {"title", "description", "rtol", "atol", "problems"}
_PROBLEM_KEYS = {"name", "circuit", "program", "inputs", "output", "upstream", "expect",
                 "rtol", "atol", "seed"}
RANDOM_VALUES = ("randn(", "rand(", "randint(")


@dataclass
class Problem:
    """A circuit, the inputs and options that differ from its own, and what to expect.

    ``expect`` holds (key, raw value) pairs; None means: use the circuit's ``[expect]``.
    ``rtol``/``atol`` (None: not set) come from the answers file; ``seed`` (None: the
    command line's) draws the ``randn(...)``, ``rand(...)`` and ``randint(...)`` values.
    """

    name: str
    circuit: Circuit
    inputs: dict[str, Any] = field(default_factory=dict)
    output: str | None = None
    upstream: Any = None
    expect: list[tuple[str, object]] | None = None
    rtol: float | None = None
    atol: float | None = None
    seed: int | None = None
    broken: BackpropError | None = None  # what made the answers file's entry unreadable


@dataclass
class ProblemResult:
    """A problem checked: its verdicts, or the error that stopped it."""

    problem: Problem
    verdicts: list[Verdict] = field(default_factory=list)
    error: BackpropError | None = None

    @property
    def wrong(self) -> int:
        return sum(1 for verdict in self.verdicts if not verdict.right)


def check_problem(problem: Problem, tolerance: Tolerance, explicit: bool = False,
                  seed: int = 0) -> ProblemResult:
    """Evaluate and judge one problem. ``explicit``: the caller's tolerance was chosen on
    the command line and wins over the file's; ``seed`` is used unless the problem has
    its own. Bad input is kept as the result's error."""
    if problem.broken is not None:
        return ProblemResult(problem, error=problem.broken)
    try:
        chosen = tolerance if explicit else _file_tolerance(problem, tolerance)
        arithmetic = arithmetic_for(tolerance.exact)
        seed = seed if problem.seed is None else problem.seed
        items = expectations_from(_expect_pairs(problem, seed), arithmetic)
        trace = run(problem.circuit, problem.inputs, exact=tolerance.exact,
                    output=problem.output, upstream=problem.upstream, seed=seed)
        return ProblemResult(problem, with_hints(trace, judge(trace, items, chosen)))
    except BackpropError as error:
        return ProblemResult(problem, error=error)


def _file_tolerance(problem: Problem, tolerance: Tolerance) -> Tolerance:
    if problem.rtol is None and problem.atol is None:
        return tolerance
    return replace(tolerance, digits=False,
                   rtol=problem.rtol if problem.rtol is not None else tolerance.rtol,
                   atol=problem.atol if problem.atol is not None else tolerance.atol)


def _expect_pairs(problem: Problem, seed: int) -> list[tuple[str, object]]:
    if problem.expect is not None:
        if not problem.expect:
            raise InputError("nothing to check: give expectations such as --expect f=-12 "
                             "or --expect grad.x=-4")
        return problem.expect
    circuit = problem.circuit
    if not circuit.expect and circuit.path is None:
        raise InputError("nothing to check: give expectations such as --expect f=-12 "
                         "or --expect grad.x=-4")
    if not circuit.expect:
        raise InputError(f"nothing to check: {circuit.name} has no [expect] answers; give "
                         "expectations such as --expect f=-12 or --expect grad.x=-4")
    _refuse_changed_circuit(problem, seed)
    return flatten_expect(circuit.expect, f"the [expect] table of {circuit.path}")


def _refuse_changed_circuit(problem: Problem, seed: int) -> None:
    """A circuit's own answers hold only for its own inputs, output and upstream (and, for
    random values, the default seed they were computed with)."""
    circuit = problem.circuit
    changed = [name for name, raw in problem.inputs.items()
               if name in circuit.inputs and not _same(name, raw, circuit.inputs[name])]
    if problem.output is not None and problem.output != circuit.output:
        changed.append("--output")
    if problem.upstream is not None and not _same("upstream", problem.upstream,
                                                  circuit.upstream if circuit.upstream
                                                  is not None else 1):
        changed.append("--upstream")
    if seed != 0 and _draws_random(circuit):
        changed.append("--seed")
    if changed:
        raise InputError(f"the [expect] answers of {circuit.name} are for its own inputs, "
                         f"but {', '.join(changed)} changed; give your own expectations "
                         "with --expect")


def _same(name: str, first: object, second: object) -> bool:
    """Equal values: numbers, or arrays of the same shape and elements."""
    one, other = coerce_value(name, first), coerce_value(name, second)
    if getattr(one, "ndim", 0) or getattr(other, "ndim", 0):
        import numpy as np

        return bool(np.array_equal(one, other))
    return bool(one == other)


def _draws_random(circuit: Circuit) -> bool:
    """Whether an input of the circuit file is drawn with the seed (``randn(...)`` ...)."""
    return any(isinstance(raw, str) and raw.replace(" ", "").startswith(RANDOM_VALUES)
               for raw in [*circuit.inputs.values(), circuit.upstream])


# ------------------------------------------------------------------------ answers files

def is_answers_file(source: str) -> bool:
    """A JSON file, or a TOML file with ``problems``: an answers file, not a circuit."""
    path = Path(source)
    if path.suffix not in (".json", ".toml") or not path.is_file():
        return False
    if path.suffix == ".json":
        return True
    try:
        return "problems" in tomllib.loads(decode(path.read_bytes(), source))
    except (tomllib.TOMLDecodeError, BackpropError, OSError, ValueError):
        return False  # the circuit reader says what is wrong (an integer of 20,000 digits)


def load_answers(text: str, where: str, base: Path | None = None) -> list[Problem]:
    """The problems of an answers file; ``base`` is where relative circuit paths start."""
    data = _decode_answers(text, where)
    _refuse_unknown(data, _FILE_KEYS, where)
    problems = data.get("problems")
    if not isinstance(problems, list) or not problems:
        raise CircuitError(f"{where} has no problems (write [[problems]] tables in TOML, "
                           "or a \"problems\" list in JSON)")
    rtol, atol = _number_or_none(data, "rtol", where), _number_or_none(data, "atol", where)
    loaded = []
    for index, entry in enumerate(problems, start=1):
        if not isinstance(entry, dict):
            raise CircuitError(f"{where}: problem {index} must be a table")
        problem = _readable_problem(entry, index, where, base)
        problem.rtol = problem.rtol if problem.rtol is not None else rtol
        problem.atol = problem.atol if problem.atol is not None else atol
        loaded.append(problem)
    return loaded


def read_answers(source: str, stdin_text: str | None = None) -> list[Problem]:
    """Load an answers file by path, or from ``stdin_text`` when ``source`` is ``-``."""
    if source == "-":
        return load_answers(stdin_text or "", "standard input", Path.cwd())
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CircuitError(f"cannot read {source!r}: {error.strerror}") from None
    return load_answers(decode(data, source), source, path.parent)


def _decode_answers(text: str, where: str) -> dict[str, Any]:
    is_json = where.endswith(".json") or text.lstrip().startswith("{")
    try:
        data = json.loads(text) if is_json else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        kind = "JSON" if is_json else "TOML"
        raise CircuitError(f"{where} is not valid {kind}: {error}") from None
    if not isinstance(data, dict):
        raise CircuitError(f"{where} must hold an object with a \"problems\" list")
    return data


def _refuse_unknown(data: Mapping[str, object], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise CircuitError(f"{where}: unknown key {unknown[0]!r} (known: "
                           f"{', '.join(sorted(allowed))})")


def _number_or_none(data: Mapping[str, object], key: str, where: str) -> float | None:
    raw = data.get(key)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
        raise CircuitError(f"{where}: {key} must be a number >= 0")
    return float(raw)


def _readable_problem(entry: dict[str, Any], index: int, where: str,
                      base: Path | None) -> Problem:
    """The problem, or a broken one carrying its error (the others are still checked)."""
    try:
        return _problem(entry, index, where, base)
    except BackpropError as error:
        name = str(entry.get("name", f"{index}"))
        return Problem(name=name, circuit=Circuit(program="", name=name), broken=error)


def _problem(entry: dict[str, Any], index: int, where: str, base: Path | None) -> Problem:
    name = str(entry.get("name", f"{index}"))
    here = f"{where}, problem {name}"
    _refuse_unknown(entry, _PROBLEM_KEYS, here)
    circuit = _problem_circuit(entry, here, base)
    inputs = entry.get("inputs", {})
    expect = entry.get("expect")
    if not isinstance(inputs, dict) or not (expect is None or isinstance(expect, dict)):
        raise CircuitError(f"{here}: inputs and expect must be tables")
    return Problem(name=name, circuit=circuit, inputs=dict(inputs),
                   output=entry.get("output"), upstream=entry.get("upstream"),
                   expect=None if expect is None else flatten_expect(expect, here),
                   rtol=_number_or_none(entry, "rtol", here),
                   atol=_number_or_none(entry, "atol", here), seed=_seed(entry, here))


def _seed(entry: dict[str, Any], here: str) -> int | None:
    raw = entry.get("seed")
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise CircuitError(f"{here}: seed must be an integer >= 0")
    return raw


def _problem_circuit(entry: dict[str, Any], here: str, base: Path | None) -> Circuit:
    program, circuit = entry.get("program"), entry.get("circuit")
    if (program is None) == (circuit is None):
        raise CircuitError(f"{here}: give either circuit = \"NAME-OR-FILE\" or "
                           "program = \"...\"")
    if program is not None:
        if not isinstance(program, str):
            raise CircuitError(f"{here}: program must be text")
        return Circuit(program=program, name=str(entry.get("name", "program")))
    if not isinstance(circuit, str):
        raise CircuitError(f"{here}: circuit must be text")
    relative = base / circuit if base is not None and not Path(circuit).is_absolute() else None
    if relative is not None and relative.is_file():
        circuit = str(relative)
    elif not (circuit.endswith(PROGRAM_SUFFIXES) or circuit in bundled_names()):
        raise CircuitError(f"{here}: no circuit file or bundled circuit named {circuit!r}")
    try:
        return resolve(circuit)
    except CircuitError as error:
        raise CircuitError(f"{here}: {error.message}") from None
