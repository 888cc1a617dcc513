"""Exact arithmetic in sympy: the same passes, with sympy numbers instead of floats.

``--exact`` runs in ``gates.rational`` (fractions) and comes here, importing sympy, only for
what is not rational; exact arrays run here throughout. Values are sympy numbers built from
the graph's literals (never from user text through sympy's parser); each gate's sympy
definition and derivatives are applied by substitution.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import cache
from typing import Any

import sympy as sp

from ..errors import Undecided
from ..limits import (
    LimitError,
    check_clock,
    check_digits,
    current,
    decimal_digits,
    exact_fraction,
    exceeded,
)
from .arithmetic import Arithmetic
from .symbolic import CONSTANTS, GATE_DEFS, OUT, GateDef, sigmoid

Value = Any

SIMPLIFY_MAX_TERMS = 40


def exact_literal(text: str) -> sp.Expr:
    """A literal as an exact number: ``0.5`` is 1/2, ``1e-3`` is 1/1000, ``pi`` is pi."""
    if text in CONSTANTS:
        return CONSTANTS[text]
    return as_sympy(exact_fraction(text))


def _tree_size(expr: sp.Basic) -> int:
    """Terms in the expression written out as a tree, counted without writing it out."""
    stack = [expr]
    while stack:
        top = stack[-1]
        if top in _SIZES:
            stack.pop()
            continue
        pending = [arg for arg in top.args if arg not in _SIZES]
        if pending:
            stack.extend(pending)
            continue
        _SIZES[top] = 1 + sum(_SIZES[arg] for arg in top.args)
        stack.pop()
    if len(_SIZES) > 200_000:
        _SIZES.clear()
        return _tree_size(expr)
    return _SIZES[expr]


_SIZES: dict[sp.Basic, int] = {}


def _check_size(value: sp.Expr) -> None:
    """Refuse values too large to compute with or print (exact_terms, exact_digits)."""
    limits = current()
    size = _tree_size(value)
    if size > limits.exact_terms:
        raise exceeded("the size of an exact value in terms", size, "exact_terms")
    max_bits = limits.exact_digits * 3.33
    for atom in value.atoms(sp.Rational):
        bits = max(abs(atom.p).bit_length(), atom.q.bit_length())
        if bits > max_bits:
            raise exceeded("the number of digits of an exact number", int(bits / 3.33),
                           "exact_digits")


def _guard_pow(base: sp.Expr, exponent: sp.Expr) -> None:
    """Refuse a ** b whose exact result would have more digits than allowed (9**9**9)."""
    if not (base.is_Rational and exponent.is_Rational) or base == 0:
        return
    magnitude = max(abs(base.p), base.q)
    digits = abs(exponent) * sp.log(magnitude, 10)
    if magnitude > 1 and float(digits) > current().exact_digits:
        raise exceeded("the number of digits of an exact power", int(float(digits)),
                       "exact_digits")


def constant_digits(number: sp.Expr, exponents_only: bool = False) -> int:
    """The most digits of a power or exp inside a constant, or with ``exponents_only`` of a
    number inside the exponent of one (what evaluating it costs: log(9**(9**exp(4))) is
    quick, 9**(9**(9**exp(4))) is not). Innermost first, each estimated from its arguments'
    values once those are known to be within the exact-digits limit, so no evaluation ever
    meets a tower such as 9^9^9 ** softplus(10) whole; past the limit it stops."""
    limit = current().exact_digits
    digits: dict[sp.Basic, int] = {}
    worst = 0
    for node in sp.postorder_traversal(number):
        if isinstance(node, sp.exp):
            base, exponent = sp.E, node.args[0]
        elif node.is_Pow:
            base, exponent = node.base, node.exp
        else:
            continue
        inside = max((digits.get(n, 0) for n in sp.preorder_traversal(exponent)), default=0)
        if inside > limit:
            return inside
        size, power = abs(base.evalf(15)), abs(exponent.evalf(15))
        if not (size.is_Float and power.is_Float) or size == 0:
            continue
        digits[node] = int(min(power * abs(sp.log(size, 10).evalf(15)) + 1, sp.Float(10**18)))
        worst = max(worst, inside if exponents_only else digits[node])
        if worst > limit:
            break
    return worst


def _check_magnitude(value: sp.Expr) -> None:
    """Refuse a value whose decimal exponent alone has more digits than exact-digits allows
    (exp(exp(30)) is about 10**(4.6 * 10**12)): printing it, or the exp of it, would not end.
    Its arguments passed this test, so a 15-digit estimate is quick."""
    if value.is_Rational or not value.is_number:
        return
    check_digits("a number in an exponent inside an exact value",
                 constant_digits(value, exponents_only=True))
    approx = value.evalf(15)
    if not approx.is_Float or approx == 0:
        return
    binary_exponent = approx._mpf_[2] + approx._mpf_[3]
    digits = int(abs(binary_exponent) * 0.30103)
    if digits > current().exact_digits:
        raise exceeded("the number of digits of an exact value", digits, "exact_digits")


def settle_exact(value: sp.Expr) -> sp.Expr:
    """Write sigmoid out through exp, and refuse what is not a finite real number."""
    check_clock()
    _check_size(value)
    _check_magnitude(value)
    value = value.replace(sigmoid, lambda x: 1 / (1 + sp.exp(-x)))
    if value.has(sp.zoo) or value is sp.nan:
        raise ZeroDivisionError("division by zero")
    if value.has(sp.oo, -sp.oo):
        raise OverflowError("overflow")
    if value.is_real is False or (value.is_real is None and sp.im(value.evalf()) != 0):
        raise ValueError("math domain error: the result is not a real number")
    if value.has(sp.Piecewise, sp.sign, sp.Heaviside):  # a choice sympy left open
        raise Undecided(sp.sstr(value)[:60])
    if not value.is_Rational and _tree_size(value) <= SIMPLIFY_MAX_TERMS:
        simpler = sp.simplify(value)  # kept unless it folds a number past exact-digits, as
        if _number_digits(simpler) <= current().exact_digits:  # 59049*log(3) -> log(3**59049)
            value = simpler
    return value


def _number_digits(value: sp.Expr) -> int:
    """The most decimal digits of a numerator or denominator inside an exact value."""
    return max((max(decimal_digits(int(n.p)), decimal_digits(int(n.q)))
                for n in value.atoms(sp.Rational)), default=1)


def _substituter(gate: GateDef, expr: sp.Expr, with_out: bool) -> Callable[..., sp.Expr]:
    params = gate.params

    def apply(*args: sp.Expr) -> sp.Expr:
        if with_out:
            *inputs, out = args
            mapping = dict(zip(params, inputs, strict=True))
            mapping[OUT] = out
        else:
            mapping = dict(zip(params, args, strict=True))
        if gate.name == "pow":
            _guard_pow(mapping[params[0]], mapping[params[1]])
        try:
            return settle_exact(expr.xreplace(mapping))
        except RecursionError:
            raise LimitError("an exact value is nested too deeply for sympy; "
                             "drop --exact for this circuit") from None

    return apply


def is_finite(value: sp.Expr) -> bool:
    return not value.has(sp.oo, -sp.oo, sp.zoo, sp.nan)


def as_sympy(value: Fraction) -> sp.Rational:
    return sp.Rational(value.numerator, value.denominator)


INFINITY = sp.oo


@cache
def sympy_arithmetic() -> Arithmetic:
    """The Arithmetic of exact sympy numbers."""
    return Arithmetic(
        forwards={g.name: _substituter(g, g.expr, False) for g in GATE_DEFS},
        partials={g.name: tuple(_substituter(g, d, True) for d in g.partials())
                  for g in GATE_DEFS},
        literal=exact_literal,
        zero=sp.Integer(0), one=sp.Integer(1), half=sp.Rational(1, 2), make_inf=lambda: sp.oo,
        is_finite=is_finite,
        exact=True,
    )
