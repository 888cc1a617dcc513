"""Exact arithmetic for ``--exact`` without sympy while every value is rational.

Rational values are ``fractions.Fraction``; + - * /, integer powers and the piecewise-linear
gates (relu, max, min, abs, leaky_relu) compute on them directly. Where a value is not
rational, or an edge case needs sympy's judgement (a kink, a zero divisor, 0 ** b, a
fractional exponent), the gate is handed to the sympy arithmetic of ``gates.exact``, which
is imported only then; a rational sympy result comes back as a Fraction. Both paths give the
same numbers, text and errors (``tests/gates/test_rational.py`` compares them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from functools import cache
from typing import Any

from ..limits import check_clock, current, exact_fraction, exceeded
from .arithmetic import Arithmetic
from .registry import CONSTANT_VALUES

Value = Any  # a Fraction, or a sympy number once a value is not rational
Rule = Callable[..., Fraction | None]  # None: not decided here, ask sympy

_ONE, _ZERO = Fraction(1), Fraction(0)
_BITS_PER_DIGIT = 3.33  # as gates.exact counts digits


def _sympy() -> Arithmetic:
    from .exact import sympy_arithmetic

    return sympy_arithmetic()


def _as_sympy(value: Value) -> Value:
    if isinstance(value, Fraction):
        from .exact import as_sympy

        return as_sympy(value)
    return value


def as_fraction(value: Value) -> Value:
    """A rational sympy number as a Fraction; anything else as it is."""
    if getattr(value, "is_Rational", False):
        return Fraction(int(value.p), int(value.q))
    return value


def _checked(value: Fraction) -> Fraction:
    """Refuse a fraction of more digits than exact-digits allows (as gates.exact does)."""
    check_clock()
    bits = max(abs(value.numerator).bit_length(), value.denominator.bit_length())
    if bits > current().exact_digits * _BITS_PER_DIGIT:
        raise exceeded("the number of digits of an exact number", int(bits / _BITS_PER_DIGIT),
                       "exact_digits")
    return value


def _guard_power(a: Fraction, b: Fraction) -> bool:
    """Whether a ** b is for this module (a nonzero base, an integer exponent); refused
    before anything is computed when it would have more digits than allowed (9 ** 9 ** 9),
    as gates.exact refuses it."""
    if a == 0 or b.denominator != 1:
        return False
    magnitude = max(abs(a.numerator), a.denominator)
    if magnitude > 1:
        digits = float(abs(b)) * math.log10(magnitude)
        if digits > current().exact_digits:
            raise exceeded("the number of digits of an exact power", int(digits),
                           "exact_digits")
    return True


def _power(a: Fraction, b: Fraction) -> Fraction | None:
    return a ** int(b) if _guard_power(a, b) else None


def _step(x: Fraction, at_zero: Fraction | None = None) -> Fraction | None:
    """Heaviside: 1 above 0, 0 below; at 0 the kink's convention decides (sympy's value)."""
    if x == 0:
        return at_zero
    return _ONE if x > 0 else _ZERO


def _pow_d_a(a: Fraction, b: Fraction, out: Fraction) -> Fraction | None:
    """b * a ** (b - 1), guarded as a ** b is (as gates.exact guards it)."""
    return b * a ** int(b - 1) if _guard_power(a, b) else None


def _div(a: Fraction, b: Fraction) -> Fraction | None:
    return None if b == 0 else a / b


def _leaky_d_a(a: Fraction, b: Fraction, out: Fraction) -> Fraction | None:
    if a == 0:
        return None
    return _ONE if a > 0 else b


# gate -> (forward, local gradients): each takes Fractions and gives a Fraction, or None
RULES: dict[str, tuple[Rule, tuple[Rule, ...]]] = {
    "add": (lambda a, b: a + b, (lambda a, b, o: _ONE, lambda a, b, o: _ONE)),
    "sub": (lambda a, b: a - b, (lambda a, b, o: _ONE, lambda a, b, o: -_ONE)),
    "mul": (lambda a, b: a * b, (lambda a, b, o: b, lambda a, b, o: a)),
    "div": (_div, (lambda a, b, o: _div(_ONE, b), lambda a, b, o: _div(-a, b * b))),
    "pow": (_power, (_pow_d_a, lambda a, b, o: None)),
    "neg": (lambda a: -a, (lambda a, o: -_ONE,)),
    "relu": (lambda a: max(_ZERO, a), (lambda a, o: _step(a),)),
    "max": (lambda a, b: max(a, b), (lambda a, b, o: _step(a - b), lambda a, b, o: _step(b - a))),
    "min": (lambda a, b: min(a, b), (lambda a, b, o: _step(b - a), lambda a, b, o: _step(a - b))),
    "abs": (lambda a: abs(a), (lambda a, o: None if a == 0 else _ONE if a > 0 else -_ONE,)),
    "leaky_relu": (lambda a, b: b * min(_ZERO, a) + max(_ZERO, a),
                   (_leaky_d_a, lambda a, b, o: min(_ZERO, a))),
}


def _gate(rule: Rule | None, fallback: Callable[[], Callable[..., Value]]
          ) -> Callable[..., Value]:
    """The gate function: the rule on Fractions, else sympy's function (imported then)."""

    def apply(*args: Value) -> Value:
        if rule is not None and all(type(arg) is Fraction for arg in args):
            result = rule(*args)
            if result is not None:
                return _checked(result)
        return as_fraction(fallback()(*map(_as_sympy, args)))

    return apply


def _forward(name: str) -> Callable[[], Callable[..., Value]]:
    return lambda: _sympy().forwards[name]


def _partial(name: str, position: int) -> Callable[[], Callable[..., Value]]:
    return lambda: _sympy().partials[name][position]


def literal(text: str) -> Value:
    """A literal as an exact number: ``0.5`` is 1/2, ``1e-3`` is 1/1000; ``pi`` is sympy's."""
    if text in CONSTANT_VALUES:
        from .exact import exact_literal

        return exact_literal(text)
    return exact_fraction(text)


def is_finite(value: Value) -> bool:
    if isinstance(value, Fraction):
        return True
    from .exact import is_finite as sympy_is_finite

    return sympy_is_finite(value)


def _infinity() -> Value:
    from .exact import INFINITY

    return INFINITY


@cache
def exact_arithmetic() -> Arithmetic:
    """The Arithmetic of ``--exact``: Fractions while rational, sympy numbers after."""
    from .registry import GATES

    forwards: dict[str, Callable[..., Value]] = {}
    partials: dict[str, tuple[Callable[..., Value], ...]] = {}
    for name, spec in GATES.items():
        forward, locals_ = RULES.get(name, (None, (None,) * len(spec.params)))
        forwards[name] = _gate(forward, _forward(name))
        partials[name] = tuple(_gate(rule, _partial(name, k))
                               for k, rule in enumerate(locals_))
    return Arithmetic(forwards=forwards, partials=partials, literal=literal,
                      zero=_ZERO, one=_ONE, half=Fraction(1, 2), make_inf=_infinity,
                      is_finite=is_finite, exact=True)
