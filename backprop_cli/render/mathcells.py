"""Cells that LaTeX typesets as mathematics: node names, gate formulas, derivatives.

They hold only names and gate identities (plain data, no sympy); ``render/latex.py`` turns
them into LaTeX through sympy's printer, importing sympy only then. A section may carry them
beside its text cells (``Section.math``); other formats ignore them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..graph.graph import CONST, Graph


@dataclass(frozen=True)
class Operand:
    """A gate's operand: a node name, and the literal's text when it is a constant."""

    name: str
    literal: str | None = None


@dataclass(frozen=True)
class Name:
    """A node name, typeset as a symbol (``w0`` as w_0)."""

    name: str


@dataclass(frozen=True)
class GateFormula:
    """A gate applied to operands, or one of its local derivatives (``position``).

    ``position`` None is the gate's own expression; k is d gate / d operand k, as sympy
    derived it. ``target`` writes ``target = ...`` in front.
    """

    gate: str
    operands: tuple[Operand, ...]
    position: int | None = None
    target: str | None = None
    builtin: bool = True  # False: a user-defined gate (it may shadow a built-in's name)


@dataclass(frozen=True)
class Derivative:
    """d ``of`` / d ``wrt``, typeset as a fraction of partials."""

    of: str
    wrt: str


@dataclass(frozen=True)
class ExactNumber:
    """An exact value (a Fraction or a sympy number, from --exact) shown with its decimal;
    ``value`` is it as a sympy number, for sympy's printer."""

    number: Any
    decimal: str

    @property
    def value(self) -> Any:
        if not hasattr(self.number, "is_Rational"):  # a Fraction
            from ..gates.exact import as_sympy

            return as_sympy(self.number)
        return self.number


MathCell = Name | GateFormula | Derivative | ExactNumber


def operands(graph: Graph, node: int) -> tuple[Operand, ...]:
    """The node's operands as math cells see them."""
    return tuple(Operand(graph.names[a], graph.literals[a] if graph.gates[a] == CONST else None)
                 for a in graph.args[node])


def gate_formula(graph: Graph, node: int, position: int | None = None,
                 target: bool = False) -> GateFormula:
    """The node's gate (or its local derivative at ``position``) in the graph's names."""
    gate = graph.gates[node]
    return GateFormula(gate, operands(graph, node), position,
                       graph.names[node] if target else None, gate not in graph.user_gates)
