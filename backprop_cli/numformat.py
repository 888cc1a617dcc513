"""How numbers are written: shortest faithful form, optional rounding, exact with a decimal."""

from __future__ import annotations

import math
from typing import Any


def format_float(value: float, precision: int | None = None) -> str:
    """``-12`` for -12.0, ``0.7310585786300049`` in full, or rounded to ``precision`` decimals."""
    if not math.isfinite(value):
        return repr(value)
    if precision is not None:
        value = round(value, precision)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def format_value(value: Any, precision: int | None = None) -> str:
    """A float, or an exact sympy number followed by its decimal value."""
    if isinstance(value, float | int):
        return format_float(float(value), precision)
    text = str(value)
    if getattr(value, "is_Integer", False):
        return text
    try:
        decimal = format_float(float(value), precision)
    except (TypeError, ValueError, OverflowError):
        return text
    return f"{text} ({decimal})" if text != decimal else text


def as_float(value: Any) -> float:
    """The double nearest a value of either kind (for JSON)."""
    return float(value)
