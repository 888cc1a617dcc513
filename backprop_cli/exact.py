"""Exact arithmetic for ``--exact``: the same passes, with sympy numbers instead of floats.

Values are sympy numbers built from the graph's literals (never from user text through
sympy's parser); each gate's sympy definition and derivatives are applied by substitution.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import cache
from typing import Any

import sympy as sp

from .engine import Arithmetic
from .gates import CONSTANTS, GATE_DEFS, OUT, GateDef, sigmoid

Value = Any
SIMPLIFY_MAX_OPS = 60


def exact_literal(text: str) -> sp.Expr:
    """A literal as an exact number: ``0.5`` is 1/2, ``1e-3`` is 1/1000, ``pi`` is pi."""
    if text in CONSTANTS:
        return CONSTANTS[text]
    fraction = Fraction(text)
    return sp.Rational(fraction.numerator, fraction.denominator)


def _settle(value: sp.Expr) -> sp.Expr:
    """Write sigmoid out through exp, and refuse what is not a finite real number."""
    value = value.replace(sigmoid, lambda x: 1 / (1 + sp.exp(-x)))
    if value.has(sp.zoo) or value is sp.nan:
        raise ZeroDivisionError("division by zero")
    if value.has(sp.oo, -sp.oo):
        raise OverflowError("overflow")
    if value.is_real is False or (value.is_real is None and sp.im(value.evalf()) != 0):
        raise ValueError("math domain error: the result is not a real number")
    if not value.is_Rational and sp.count_ops(value) <= SIMPLIFY_MAX_OPS:
        value = sp.simplify(value)
    return value


def _substituter(gate: GateDef, expr: sp.Expr, with_out: bool) -> Callable[..., sp.Expr]:
    params = gate.params

    def apply(*args: sp.Expr) -> sp.Expr:
        if with_out:
            *inputs, out = args
            mapping = dict(zip(params, inputs, strict=True))
            mapping[OUT] = out
        else:
            mapping = dict(zip(params, args, strict=True))
        return _settle(expr.xreplace(mapping))

    return apply


def is_finite(value: sp.Expr) -> bool:
    return not value.has(sp.oo, -sp.oo, sp.zoo, sp.nan)


@cache
def exact_arithmetic() -> Arithmetic:
    """The Arithmetic of exact sympy numbers."""
    return Arithmetic(
        forwards={g.name: _substituter(g, g.expr, False) for g in GATE_DEFS},
        partials={g.name: tuple(_substituter(g, d, True) for d in g.partials())
                  for g in GATE_DEFS},
        literal=exact_literal,
        zero=sp.Integer(0), one=sp.Integer(1), half=sp.Rational(1, 2), inf=sp.oo,
        is_finite=is_finite,
        exact=True,
    )
