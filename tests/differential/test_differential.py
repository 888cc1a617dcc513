"""Differential testing at scale: random circuits, scalar and array, every gradient compared
with an independent reference.

* Scalar circuits (``expression_gen``, every gate): the value and every input gradient
  against sympy's derivative of the whole expression and against central differences of the
  tool's own forward pass (the checks of ``test_oracles``).
* Array circuits (``array_gen``: broadcasting, ``@``, ``.T``, reductions, softmax and
  log_softmax, the losses, subscripts, reshape; random upstream gradients and held inputs):
  the value and every gradient element against central differences of a 50-digit reference
  evaluation written independently of the tool.

Points near kinks and domain edges are discarded; points outside a domain must make the tool
raise ``DomainError``. Each run prints how many circuits it compared.

Sizes: ``BACKPROP_DIFFERENTIAL_EXAMPLES`` (default 150) array circuits by default; the slow
mark (``pytest -m slow tests/test_differential.py -s``) checks 10^4 array and 6,000 scalar
circuits. Past failures live in ``tests/corpus/differential/*.json`` and are replayed on
every run, with the reference's answers.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from array_gen import DISCARD, OUTSIDE, Circuit, Reference, circuits, program_text
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from backprop_cli import compile_program, evaluate
from backprop_cli.errors import DomainError

CORPUS = Path(__file__).parents[1] / "corpus" / "differential"
EXAMPLES = int(os.environ.get("BACKPROP_DIFFERENTIAL_EXAMPLES", "150"))
SLOW_ARRAYS, SLOW_SCALARS = 10_000, 6_000
REL, ABS = 1e-6, 1e-8  # double precision against 50 digits
GRADIENT_LIMIT = 1e6  # larger gradients are too ill-conditioned to compare

SETTINGS: dict[str, Any] = {
    "deadline": None, "database": None,
    "phases": [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much,
                              HealthCheck.data_too_large],
}


def close(actual: float, expected: float) -> bool:
    return math.isfinite(actual) and abs(actual - expected) <= max(REL * abs(expected), ABS)


def tool_inputs(point: dict[str, np.ndarray]) -> dict[str, Any]:
    return {name: float(v) if v.ndim == 0 else v for name, v in point.items()}


def loss_of(value: Any, upstream: np.ndarray | None) -> float:
    return float(value) if upstream is None else float(np.sum(upstream * value))


def corpus_entry(circuit: Circuit, text: str, value: float | None,
                 gradients: dict[str, np.ndarray] | None, found: str) -> str:
    """A corpus file for this circuit, with the reference's answers (not the tool's)."""
    entry: dict[str, Any] = {"program": text,
                             "inputs": {n: v.tolist() for n, v in circuit.point.items()},
                             "found": found}
    if circuit.upstream is not None:
        entry["upstream"] = circuit.upstream.tolist()
    if circuit.held:
        entry["no_grad"] = list(circuit.held)
    if gradients is None:
        entry["error"] = "domain"
    else:
        entry["value"] = value
        entry["gradients"] = {n: g.tolist() for n, g in gradients.items()}
    return json.dumps(entry)


def check_array_circuit(circuit: Circuit) -> str:
    """Compare the tool with the reference on one circuit: compared, outside or discarded."""
    text = program_text(circuit.tree)
    note(f"program: {text!r}")
    note(f"point: {circuit.point!r} upstream: {circuit.upstream!r} held: {circuit.held}")
    reference = Reference(circuit)
    walk, loss = reference.loss(circuit.point)
    if walk.status == DISCARD:
        return "discarded"
    graph = compile_program(text)
    if circuit.held:
        graph = graph.without_gradients(circuit.held)
    inputs = tool_inputs(circuit.point)
    if walk.status == OUTSIDE:
        with pytest.raises(DomainError):
            evaluate(graph, inputs, upstream=circuit.upstream)
        return "outside"
    expected = reference.gradients(circuit.point)
    if expected is None or any(np.abs(g).max(initial=0) > GRADIENT_LIMIT
                               for g in expected.values()):
        return "discarded"
    assert loss is not None
    trace = evaluate(graph, inputs, upstream=circuit.upstream)
    entry = corpus_entry(circuit, text, float(loss), expected, "")
    compare(trace, float(loss), expected, circuit.upstream, entry)
    return "compared"


def compare(trace: Any, loss: float, expected: dict[str, Any], upstream: Any,
            entry: str) -> None:
    tool_loss = loss_of(trace.value, None if upstream is None else np.asarray(upstream))
    assert close(tool_loss, loss), f"value {tool_loss!r} != reference {loss!r}\n{entry}"
    gradients = trace.gradients
    assert set(gradients) == set(expected), (sorted(gradients), sorted(expected), entry)
    for name, reference in expected.items():
        tool = np.broadcast_to(np.asarray(gradients[name], dtype=float), np.shape(reference))
        for index in np.ndindex(np.shape(reference)):
            want = float(np.asarray(reference)[index])
            assert close(float(tool[index]), want), (
                f"d/d{name}{list(index)} = {tool[index]!r} != reference {want!r}\n{entry}")
    bad = [n.message for n in trace.notes if "not finite" in n.message or
           "overflow" in n.message]
    assert not bad, (bad, entry)


# ----------------------------------------------------------------------------- corpus

def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.json"))


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem)
def test_corpus_replays(path: Path) -> None:
    """Every past failure, with the reference's answers recorded when it was found."""
    entry = json.loads(path.read_text("utf-8"))
    graph = compile_program(entry["program"])
    if entry.get("no_grad"):
        graph = graph.without_gradients(entry["no_grad"])
    inputs = tool_inputs({n: np.asarray(v, dtype=float) for n, v in entry["inputs"].items()})
    upstream = np.asarray(entry["upstream"]) if "upstream" in entry else None
    if entry.get("error") == "domain":
        with pytest.raises(DomainError):
            evaluate(graph, inputs, upstream=upstream)
        return
    trace = evaluate(graph, inputs, upstream=upstream)
    compare(trace, entry["value"], entry["gradients"], upstream, path.name)


def test_the_corpus_is_not_empty() -> None:
    assert corpus_files(), f"no corpus in {CORPUS}"


# ----------------------------------------------------------------------------- arrays

COUNTS: Counter[str] = Counter()


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(circuit=circuits())
def test_array_circuits_match_the_reference(circuit: Circuit) -> None:
    COUNTS[check_array_circuit(circuit)] += 1


def report(kind: str, counts: Counter[str]) -> str:
    total = sum(counts.values())
    return (f"{kind}: {total} circuits generated, {counts['compared']} compared, "
            f"{counts['outside']} refused as outside a domain (checked), "
            f"{counts['discarded']} discarded near a kink or edge")


def test_array_run_compared_enough(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs after the property above (same module, file order): most circuits are compared,
    not discarded, so the property is not vacuous."""
    if not COUNTS:
        pytest.skip("the array property did not run in this session")
    with capsys.disabled():
        print(f"\n{report('array differential', COUNTS)}")
    assert COUNTS["compared"] >= sum(COUNTS.values()) // 2


@pytest.mark.slow
def test_slow_array_circuits(capsys: pytest.CaptureFixture[str]) -> None:
    counts: Counter[str] = Counter()

    @settings(max_examples=SLOW_ARRAYS, **SETTINGS)
    @given(circuit=circuits())
    def run(circuit: Circuit) -> None:
        counts[check_array_circuit(circuit)] += 1

    run()
    with capsys.disabled():
        print(f"\n{report('array differential (slow)', counts)}")
    assert counts["compared"] + counts["outside"] >= SLOW_ARRAYS * 3 // 4


# ----------------------------------------------------------------------------- scalars

@pytest.mark.slow
def test_slow_scalar_circuits(capsys: pytest.CaptureFixture[str]) -> None:
    from expression_gen import points, program_text, trees
    from hypothesis import assume
    from test_oracles import Case, styles

    from backprop_cli import run as run_tool

    counts: Counter[str] = Counter()

    @settings(max_examples=SLOW_SCALARS, **SETTINGS)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        tree = data.draw(trees(), label="tree")
        point = data.draw(points(tree.variables()), label="point")
        case = Case(tree, point, program_text(tree, *data.draw(styles, label="style")))
        note(f"program: {case.text!r}")
        if case.verdict.status == DISCARD:
            counts["discarded"] += 1
            assume(False)  # not counted by hypothesis among its examples
        if case.verdict.status == OUTSIDE:
            case.check_outside()
            with pytest.raises(DomainError):
                run_tool(case.text, case.point)
            counts["outside"] += 1
            return
        trace = run_tool(case.text, case.point)
        expected = case.check(trace.value, trace.gradients)
        case.check_central_differences(trace, expected)
        counts["compared"] += 1

    run()
    with capsys.disabled():
        print(f"\n{report('scalar differential (slow, sympy + central differences)', counts)}")
    assert counts["compared"] + counts["outside"] >= SLOW_SCALARS
