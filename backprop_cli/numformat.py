"""How numbers are written: shortest faithful form, optional rounding, exact with a decimal;
arrays in full when small (``[[1, 2], [3, 4]]``), summarised when large."""

from __future__ import annotations

import math
from typing import Any

from .limits import LimitError


def format_float(value: float, precision: int | None = None) -> str:
    """``-12`` for -12.0, ``0.7310585786300049`` in full, or rounded to ``precision`` decimals."""
    if not math.isfinite(value):
        return repr(value)
    if precision is not None:
        value = round(value, precision)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


ARRAY_FULL_MAX = 24  # arrays with at most this many entries are shown in full
SUMMARY_ENTRIES = 4


def format_value(value: Any, precision: int | None = None) -> str:
    """A float, or an exact sympy number followed by its decimal value, or an array."""
    if isinstance(value, float | int):
        return format_float(float(value), precision)
    if value is None:
        return ""
    if hasattr(value, "ndim") and hasattr(value, "dtype"):
        return format_array(value, precision)
    try:
        text = str(value)
    except ValueError:  # an integer past Python's conversion limit inside an exact value
        raise LimitError("an exact value holds an integer of more digits than the "
                         "exact-digits limit; raise it with --limit exact-digits=N") from None
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


def _entry(value: Any, precision: int | None, short: bool = False) -> str:
    if isinstance(value, float | int):
        number = float(value)
        if short and precision is None and math.isfinite(number) and not number.is_integer():
            return f"{number:.4g}"
        return format_float(number, precision)
    return str(value)  # an exact sympy number: shown exactly inside arrays


def format_array(array: Any, precision: int | None = None) -> str:
    """Nested brackets when small; else shape, a few entries, min and max."""
    if array.ndim == 0:
        return format_value(array[()], precision)
    if array.size <= ARRAY_FULL_MAX:
        return _nested(array.tolist(), precision)
    flat = array.reshape(-1)
    shown = [_entry(v, precision, True) for v in flat[:SUMMARY_ENTRIES - 1].tolist()]
    last = _entry(flat[-1].item() if hasattr(flat[-1], "item") else flat[-1], precision, True)
    shape = "x".join(str(n) for n in array.shape)
    text = f"{shape} array [{', '.join(shown)}, ..., {last}]"
    if array.dtype.kind == "f":
        low, high = (_entry(float(v), precision, True) for v in (array.min(), array.max()))
        text += f" min {low} max {high}"
    return text


def _nested(rows: Any, precision: int | None) -> str:
    if isinstance(rows, list):
        return "[" + ", ".join(_nested(row, precision) for row in rows) + "]"
    return _entry(rows, precision)
