"""How numbers are written: as a person reads them (4 significant digits by default, or fixed
decimals) or in the shortest form that reads back to the same double; exact with a decimal;
arrays in full when small (``[[1, 2], [3, 4]]``), summarised when large.

Rounding never turns a nonzero value into ``0``: what fixed decimals would write as zero is
written in scientific notation instead (``1.23e-06`` at 2 decimals).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .limits import LimitError

DIGITS, DECIMALS, FULL_DIGITS = "digits", "decimals", "full"
WHOLE_MAX = 1e6  # integral values below this are written whole at any number of digits
MOST_DIGITS = 17  # enough for any double
FIXED_MAX = 1e16  # fixed decimals up to this size; larger values in scientific notation


@dataclass(frozen=True)
class Rounding:
    """How numbers a person reads are written: ``count`` significant digits (``digits``),
    ``count`` fixed decimals (``decimals``), or the shortest exact double (``full``)."""

    kind: str = DIGITS
    count: int = 4

    def __str__(self) -> str:
        return "full" if self.kind == FULL_DIGITS else f"{self.count} {self.kind}"


LECTURE = Rounding(DIGITS, 4)  # the default of every table, drawing, LaTeX and Markdown
FULL = Rounding(FULL_DIGITS, 0)  # what a program reads: JSON, --get, --rows


def format_float(value: float, rounding: Rounding = FULL) -> str:
    """``-12`` for -12.0; ``0.7311`` at 4 significant digits, ``-0.20`` at 2 decimals,
    ``0.7310585786300049`` in full."""
    if not math.isfinite(value):
        return repr(value)
    if value == 0:
        return "0"
    if rounding.kind == DIGITS:
        return _significant(value, rounding.count)
    if rounding.kind == DECIMALS:
        return _decimals(value, rounding.count)
    if value.is_integer() and abs(value) < FIXED_MAX:
        return str(int(value))
    return repr(value)


def _significant(value: float, digits: int) -> str:
    if value.is_integer() and abs(value) < WHOLE_MAX:
        return str(int(value))
    return f"{value:.{digits}g}"


def _decimals(value: float, decimals: int) -> str:
    if abs(value) >= FIXED_MAX:
        return f"{value:.{decimals}e}"
    text = f"{value:.{decimals}f}"
    if not text.strip("-0."):  # it would read as zero: say how small it is instead
        return f"{value:.{decimals}e}"
    return text


_SYMPY_E = re.compile(r"(?<![\w.])E(?!\w)")


def exact_text(value: Any) -> str:
    """An exact value as the language writes it: ``e`` and ``pi`` (sympy writes ``E``)."""
    return _SYMPY_E.sub("e", str(value))


ARRAY_FULL_MAX = 24  # arrays with at most this many entries are shown in full
SUMMARY_ENTRIES = 4


def format_value(value: Any, rounding: Rounding = FULL) -> str:
    """A float, or an exact number (a Fraction or a sympy number) followed by its decimal
    value, or an array."""
    if isinstance(value, float | int):
        return format_float(float(value), rounding)
    if value is None:
        return ""
    if hasattr(value, "ndim") and hasattr(value, "dtype"):
        return format_array(value, rounding)
    try:
        text = exact_text(value)
    except ValueError:  # an integer past Python's conversion limit inside an exact value
        raise LimitError("an exact value holds an integer of more digits than the "
                         "exact-digits limit; raise it with --limit exact-digits=N") from None
    if getattr(value, "is_Integer", getattr(value, "denominator", 0) == 1):  # or a Fraction
        return text
    try:
        decimal = format_float(float(value), rounding)
    except (TypeError, ValueError, OverflowError):
        return text
    return f"{text} ({decimal})" if text != decimal else text


def format_apart(first: Any, second: Any, rounding: Rounding) -> tuple[str, str]:
    """Two values written alike, with more significant digits when ``rounding`` would show
    different values the same (an answer judged wrong never reads as the computed value)."""
    texts = format_value(first, rounding), format_value(second, rounding)
    digits = rounding.count + 1 if rounding.kind == DIGITS else 1
    while texts[0] == texts[1] and rounding != FULL:
        rounding = Rounding(DIGITS, digits) if digits <= MOST_DIGITS else FULL
        texts = format_value(first, rounding), format_value(second, rounding)
        digits += 1
    return texts


def as_float(value: Any) -> float:
    """The double nearest a value of either kind (for JSON): an exact value beyond the
    largest double is an infinity of its sign (a Fraction's float() would raise)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _entry(value: Any, rounding: Rounding, short: bool = False) -> str:
    if isinstance(value, float | int):
        if short and rounding.kind == FULL_DIGITS:
            rounding = LECTURE  # a summary is for reading
        return format_float(float(value), rounding)
    return exact_text(value)  # an exact sympy number: shown exactly inside arrays


def format_array(array: Any, rounding: Rounding = FULL) -> str:
    """Nested brackets when small; else shape, a few entries, min and max."""
    if array.ndim == 0:
        return format_value(array[()], rounding)
    if array.size <= ARRAY_FULL_MAX:
        return _nested(array.tolist(), rounding)
    flat = array.reshape(-1)
    shown = [_entry(v, rounding, True) for v in flat[:SUMMARY_ENTRIES - 1].tolist()]
    last = _entry(flat[-1].item() if hasattr(flat[-1], "item") else flat[-1], rounding, True)
    shape = "x".join(str(n) for n in array.shape)
    text = f"{shape} array [{', '.join(shown)}, ..., {last}]"
    if array.dtype.kind == "f":
        low, high = (_entry(float(v), rounding, True) for v in (array.min(), array.max()))
        text += f" min {low} max {high}"
    return text


def _nested(rows: Any, rounding: Rounding) -> str:
    if isinstance(rows, list):
        return "[" + ", ".join(_nested(row, rounding) for row in rows) + "]"
    return _entry(rows, rounding)
