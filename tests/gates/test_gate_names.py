"""Unknown gate names: the closest gate is suggested (an alias, the lower-case name, or the
nearest spelling)."""

from __future__ import annotations

from backprop_cli.gates.array_gates import ARRAY_GATES
from backprop_cli.gates.registry import GATE_ALIASES, GATES, closest_gate

KNOWN = [*GATES, *ARRAY_GATES]


def test_every_alias_names_a_gate_that_exists_and_is_not_one() -> None:
    for alias, gate in GATE_ALIASES.items():
        assert gate in KNOWN, gate
        assert alias not in KNOWN and alias.isidentifier() and alias.isascii(), alias
        assert closest_gate(alias, KNOWN) == gate


def test_lower_case_and_spelling() -> None:
    assert closest_gate("ReLU", KNOWN) == "relu"
    assert closest_gate("Sigmoid", KNOWN) == "sigmoid"
    assert closest_gate("sqrtt", KNOWN) == "sqrt"
    assert closest_gate("matmull", KNOWN) == "matmul"


def test_nothing_close_is_none() -> None:
    for name in ("foo", "print", "open", "zzz"):
        assert closest_gate(name, KNOWN) is None
    assert closest_gate("ln", ["exp"]) is None  # an alias whose gate is not among the known
