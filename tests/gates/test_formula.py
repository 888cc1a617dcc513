"""Formula trees: what the generator writes into the gate rows is sympy's derivative, and
a node's formula (the tree with its operands put in, numbers folded) is still that
derivative, written as a student writes it."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from backprop_cli.gates import formula
from backprop_cli.gates.formula import Tree, operand_tree, substitute
from backprop_cli.gates.registry import GATES
from backprop_cli.gates.symbolic import GATES_BY_NAME, OUT, SHOWN_FORMS, sigmoid

FUNCTIONS: dict[str, Any] = {"exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "sin": sp.sin,
                             "cos": sp.cos, "tan": sp.tan, "tanh": sp.tanh, "sech": sp.sech,
                             "sigmoid": sigmoid, "max": sp.Max, "min": sp.Min, "abs": sp.Abs,
                             "sign": sp.sign}


def to_sympy(tree: Tree) -> sp.Expr:
    """A tree back in sympy (written here, independently of the generator's converter)."""
    kind = tree[0]
    if kind == "v":
        return OUT if tree[1] == "out" else sp.Symbol(tree[1], real=True)
    if kind == "n":
        return sp.Rational(tree[1])
    if kind == "c":
        return sp.E if tree[1] == "e" else sp.pi
    if kind == "+":
        return sp.Add(*map(to_sympy, tree[1:]))
    if kind == "*":
        return sp.Mul(*map(to_sympy, tree[1:]))
    if kind == "^":
        return to_sympy(tree[1]) ** to_sympy(tree[2])
    if kind == "[":
        left, right = to_sympy(tree[1]), to_sympy(tree[3])
        if tree[2] not in (">", "<"):  # a comparison: 1 where it holds, else 0
            return sp.Piecewise((1, sp.Rel(left, right, tree[2])), (0, True))
        difference = left - right if tree[2] == ">" else right - left
        return sp.Heaviside(difference, sp.Rational(tree[4]))
    return FUNCTIONS[tree[1]](*map(to_sympy, tree[2:]))


GRID = (-2, sp.Rational(-1, 3), 0, sp.Rational(1, 2), 3)


def same(x: sp.Expr, y: sp.Expr, params: tuple[sp.Symbol, ...]) -> bool:
    """Equal as sympy sees it, or (a choice, a comparison: where simplify gives up) at every
    point of a grid that holds ties and zeros."""
    if x == y or sp.simplify(x - y) == 0:
        return True
    for values in itertools.product(GRID, repeat=len(params)):
        point = dict(zip(params, values, strict=True))
        got, want = x.subs(point), y.subs(point)
        if want.is_real and not math.isclose(float(got), float(want), abs_tol=1e-15):
            return False
    return True


@pytest.mark.parametrize("name", sorted(GATES))
def test_each_rows_trees_are_sympys_derivatives(name: str) -> None:
    spec, gate = GATES[name], GATES_BY_NAME[name]
    assert same(to_sympy(spec.definition_tree), gate.expr, gate.params)
    for tree, derived, shown, code in zip(spec.partial_trees, gate.partials(),
                                          gate.shown_partials(), spec.code_trees, strict=True):
        assert same(to_sympy(tree), shown, gate.params)
        # away from kinks the shown formula is sympy's derivative
        points = [{p: sp.Rational(k + 3, 7) * (-1) ** k for k, p in enumerate(gate.params)},
                  {p: sp.Rational(5 + 2 * k, 3) for k, p in enumerate(gate.params)}]
        for point in points:
            out = gate.expr.subs(point)
            want = derived.subs(point)
            if not want.is_real:
                continue
            assert math.isclose(float(to_sympy(tree).subs(point)), float(want), rel_tol=1e-12)
            got = to_sympy(code).subs(OUT, out).subs(point)
            assert math.isclose(float(got), float(want), rel_tol=1e-12, abs_tol=1e-15)


def test_shown_forms_are_identities() -> None:
    for original, shown in SHOWN_FORMS.items():
        assert sp.simplify((original - shown).rewrite(sp.exp)) == 0


def node_text(gate: str, *operands: str, position: int = 0) -> str:
    spec = GATES[gate]
    values = {p: operand_tree(text, None if text.isidentifier() and text not in ("e", "pi")
                              else text) for p, text in zip(spec.params, operands, strict=True)}
    return formula.text(spec.partial_trees[position], values)


@pytest.mark.parametrize(("gate", "operands", "position", "want"), [
    ("pow", ("x", "2"), 0, "2*x"),
    ("pow", ("x", "3"), 0, "3*x**2"),
    ("pow", ("x", "1"), 0, "1"),
    ("pow", ("x", "0"), 0, "0"),
    ("pow", ("x", "-1"), 0, "-1/x**2"),
    ("pow", ("x", "-2"), 0, "-2/x**3"),
    ("pow", ("x", "0.5"), 0, "1/(2*x**0.5)"),
    ("pow", ("x", "1.5"), 0, "1.5*x**0.5"),
    ("pow", ("x", "y"), 0, "y*x**(y - 1)"),
    ("pow", ("e", "x"), 1, "e**x"),
    ("pow", ("2", "x"), 1, "2**x*log(2)"),
    ("pow", ("x", "e"), 0, "e*x**(e - 1)"),
    ("div", ("1", "t3"), 1, "-1/t3**2"),
    ("div", ("-2", "x"), 1, "2/x**2"),
    ("exp", ("t1",), 0, "exp(t1)"),
    ("sigmoid", ("s",), 0, "sigmoid(s)*(1 - sigmoid(s))"),
    ("tanh", ("s",), 0, "1 - tanh(s)**2"),
    ("sqrt", ("x",), 0, "1/(2*sqrt(x))"),
    ("relu", ("x",), 0, "[x > 0]"),
    ("max", ("x", "y"), 0, "[x > y]"),
    ("max", ("x", "y"), 1, "[y > x]"),
    ("min", ("x", "y"), 0, "[x < y]"),
    ("leaky_relu", ("x", "0.1"), 0, "[x > 0] + 0.1*[x < 0]"),
    ("softplus", ("x",), 0, "sigmoid(x)"),
])
def test_a_nodes_formula_as_a_student_writes_it(gate: str, operands: tuple[str, ...],
                                                position: int, want: str) -> None:
    assert node_text(gate, *operands, position=position) == want


@pytest.mark.parametrize(("gate", "operands", "position", "want"), [
    ("div", ("1", "t3"), 1, r"-\frac{1}{t_{3}^{2}}"),
    ("pow", ("x", "2"), 0, "2 x"),
    ("sigmoid", ("s",), 0, r"\sigma\left(s\right) \left(1 - \sigma\left(s\right)\right)"),
    ("relu", ("x",), 0, r"\left[x > 0\right]"),
    ("exp", ("w0",), 0, "e^{w_{0}}"),
    ("sqrt", ("x",), 0, r"\frac{1}{2 \sqrt{x}}"),
])
def test_a_nodes_formula_typeset(gate: str, operands: tuple[str, ...], position: int,
                                 want: str) -> None:
    spec = GATES[gate]
    values = {p: operand_tree(text, None if text.isidentifier() else text)
              for p, text in zip(spec.params, operands, strict=True)}
    assert formula.latex(spec.partial_trees[position], values) == want


@given(st.integers(-6, 6), st.sampled_from(["0.5", "1.5", "2.5", "-0.25", "1/3"]))
def test_folded_power_rule_is_the_power_rule(n: int, literal: str) -> None:
    x = sp.Symbol("x", real=True)
    for exponent in (str(n), literal):
        tree = substitute(GATES["pow"].partial_trees[0],
                          {"a": ("v", "x"), "b": ("n", str(Fraction(exponent)))})
        value = sp.Rational(str(Fraction(exponent)))
        assert sp.simplify(to_sympy(tree) - value * x ** (value - 1)) == 0
        assert "- 1)" not in formula.text(tree) and "**1" not in \
            formula.text(tree).replace("**1.", "").replace("**1/", "")
