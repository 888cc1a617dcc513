"""Numeric helpers the generated gate code calls: stable, and defined at every point."""

from __future__ import annotations

from math import exp


def sigmoid(x: float) -> float:
    """1 / (1 + exp(-x)) without overflow for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + exp(-x))
    z = exp(x)
    return z / (1.0 + z)


def sech(x: float) -> float:
    """1 / cosh(x) without overflow: 2 e^-|x| / (1 + e^-2|x|)."""
    t = exp(-abs(x))
    return 2.0 * t / (1.0 + t * t)


def heaviside(x: float, at_zero: float = 0.5) -> float:
    """The unit step; its value at 0 is overridden by the kink table anyway."""
    if x > 0:
        return 1.0
    if x < 0:
        return 0.0
    return at_zero


def sign(x: float) -> float:
    """-1, 0 or 1 (sign(0) = 0, as sympy and PyTorch have it)."""
    if x > 0:
        return 1.0
    return -1.0 if x < 0 else 0.0
