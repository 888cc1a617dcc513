"""Resource limits: every input size the tool accepts is bounded, with a way to raise it.

The limits in force live in a context variable, so the command line can set them once
(``--limit NAME=VALUE`` or ``BACKPROP_LIMITS``) without threading them through every call.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

from .errors import BackpropError, Span

if TYPE_CHECKING:
    from fractions import Fraction
    from types import FrameType


@dataclass(frozen=True)
class Limits:
    """The bounds, with their defaults (see docs/language.md, "Safety and limits")."""

    source_bytes: int = 64_000_000
    lines: int = 4_000_000
    gates: int = 4_000_000
    depth: int = 100_000
    exact_digits: int = 10_000
    exact_terms: int = 20_000
    exact_seconds: float = 20.0
    array_elements: int = 50_000_000
    gate_terms: int = 10_000
    memory: int = 2_000_000_000
    node_evaluations: int = 20_000_000
    graphviz_seconds: float = 20.0


DEFAULT_LIMITS = Limits()
_CURRENT: ContextVar[Limits] = ContextVar("backprop_limits", default=DEFAULT_LIMITS)
_DEADLINE: ContextVar[float | None] = ContextVar("backprop_deadline", default=None)


class LimitError(BackpropError):
    """An input is larger than a limit allows."""


def current() -> Limits:
    return _CURRENT.get()


def names() -> list[str]:
    """The limits' names as written on the command line (``source-bytes``, ...)."""
    return [field.name.replace("_", "-") for field in fields(Limits)]


def parse_settings(items: list[str], base: Limits = DEFAULT_LIMITS) -> Limits:
    """``["gates=10000000", "depth=200000"]`` -> Limits; unknown names and bad numbers fail."""
    settings: dict[str, float | int] = {}
    for item in items:
        name, _, text = item.partition("=")
        key = name.strip().replace("-", "_")
        kinds = {field.name: field.type for field in fields(Limits)}
        if key not in kinds:
            raise LimitError(f"unknown limit {name.strip()!r}; limits are {', '.join(names())}")
        try:
            number = float(text) if kinds[key] == "float" else int(text.replace("_", ""))
        except ValueError:
            raise LimitError(f"limit {name.strip()} needs a number, got {text!r}") from None
        if not number > 0 or number == float("inf"):  # nan and inf too
            raise LimitError(f"limit {name.strip()} must be a positive finite number")
        settings[key] = number
    return replace(base, **settings)  # type: ignore[arg-type]


def _make_int_room(limits: Limits) -> None:
    """Let Python convert ints of up to exact-digits digits to text, and no more: a longer
    one (in a TOML or JSON file) is refused as Python refuses it, instead of taking minutes."""
    if sys.get_int_max_str_digits():  # at most a C int (--limit exact-digits=10**170)
        sys.set_int_max_str_digits(min(max(4300, limits.exact_digits + 64), 2**31 - 1))


_make_int_room(DEFAULT_LIMITS)


@contextmanager
def using(limits: Limits) -> Iterator[Limits]:
    """Run a block with these limits in force."""
    token = _CURRENT.set(limits)
    _make_int_room(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)
        _make_int_room(current())


def exceeded(what: str, size: int | float, limit_name: str, *, source: str | None = None,
             span: Span | None = None) -> LimitError:
    """The error for a limit that was hit, saying how to raise it."""
    limit = getattr(current(), limit_name)
    option = limit_name.replace("_", "-")
    return LimitError(f"{what} ({size:,}) exceeds the limit of {limit:,}; raise it with "
                      f"--limit {option}=N", source=source, span=span)


@contextmanager
def clock(seconds: float | None = None) -> Iterator[None]:
    """A wall-clock budget for a block (exact mode), checked by ``check_clock``."""
    budget = current().exact_seconds if seconds is None else seconds
    outer = _DEADLINE.get()
    deadline = time.monotonic() + budget
    token = _DEADLINE.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


@contextmanager
def alarm(seconds: float, message: str) -> Iterator[None]:
    """A backstop for sympy work that may never return: LimitError(message) after
    ``seconds``. An alarm already set that rings earlier is kept; off the main thread (where
    no signal can be set) nothing is done."""
    import signal  # only exact and sympy work set an alarm

    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        if _importing(frame):  # a module cut off half-made stays broken: ring again after
            signal.setitimer(signal.ITIMER_REAL, IMPORT_GRACE)
            return
        raise LimitError(message)

    outer, started = signal.getitimer(signal.ITIMER_REAL)[0], time.monotonic()
    if outer and outer < seconds:  # an alarm already set for the whole command comes first
        yield
        return
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL,
                             max(outer - (time.monotonic() - started), 0.001))


IMPORT_GRACE = 0.05  # seconds: how often a late alarm looks again while a module is imported


def _importing(frame: FrameType | None) -> bool:
    """Whether the interrupted code is inside an import (sympy's takes about half a second:
    an alarm raised in it left ``sympy`` half-initialised in ``sys.modules``)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def check_clock() -> None:
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise LimitError(f"exact evaluation took longer than {current().exact_seconds:g} s; "
                         "raise it with --limit exact-seconds=N, or drop --exact")


# a decimal literal as the tokenizer reads it (an optional sign, digits, point, exponent)
_DECIMAL = re.compile(r"([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?", re.ASCII)
_MAX_EXPONENT_CHARS = 18


def shorten(text: str, width: int = 40) -> str:
    """Long user text cut for a message: its start, an ellipsis and its length."""
    if len(text) <= width:
        return text
    return f"{text[:width // 2]}…{text[-8:]} ({len(text):,} characters)"


def literal_digits(text: str) -> int | None:
    """The digits of a decimal literal's numerator or denominator, read from its text
    without computing it (``1e1000`` has 1001, ``0e99999`` has 1); None for other text."""
    match = _DECIMAL.fullmatch(text.strip())
    if match is None or not (match.group(2) or match.group(3)):
        return None
    whole, frac, exponent = match.group(2), match.group(3) or "", match.group(4) or "0"
    significant = (whole + frac).lstrip("0")
    if not significant:
        return 1
    if len(exponent.lstrip("+-0")) > _MAX_EXPONENT_CHARS:
        return int(10**_MAX_EXPONENT_CHARS)
    return len(significant) + abs(int(exponent) - len(frac))


def exact_fraction(text: str) -> Fraction:
    """A number literal as an exact fraction, refused before it is computed when it would
    have more digits than the exact-digits limit allows (``1e1000000000000``)."""
    from fractions import Fraction  # exact mode only: not on a plain eval's start-up

    digits = literal_digits(text)
    if digits is None:
        return Fraction(text)  # not a decimal literal: Fraction says why (ValueError)
    check_digits(f"the exact number {shorten(text.strip())}", digits)
    if digits == 1 and float(text) == 0:
        return Fraction(0)  # 0e99999: Fraction would compute 10**99999 first
    return Fraction(text)


def decimal_digits(number: int) -> int:
    """An integer's decimal digits (at most one too many), from its bits: ``str()`` refuses
    past Python's own limit, and is slow before it."""
    return int(abs(number).bit_length() * 0.30103) + 1


def check_digits(what: str, digits: int) -> None:
    """Refuse an exact number of more digits than the exact-digits limit allows."""
    if digits > current().exact_digits:
        if digits >= 10**_MAX_EXPONENT_CHARS:
            raise LimitError(f"the number of digits of {what} exceeds the limit of "
                             f"{current().exact_digits:,}; raise it with "
                             "--limit exact-digits=N")
        raise exceeded(f"the number of digits of {what}", digits, "exact_digits")


# bytes one step of `step` keeps besides its arrays (its record, the dictionaries and the
# numbers of its row in the report; 10^5 steps of the sigmoid neuron peak at about 380 MB)
STEP_BYTES = 4_000

# bytes one array element takes while a command holds it: a float64 (an exact element is a
# sympy number behind a pointer, about this much)
FLOAT_BYTES = 8
EXACT_BYTES = 200


# bytes a view of a graph takes for each of its nodes while it is made, on top of the
# evaluation's own (peak RSS for a 10^5-term sum, 300,000 nodes, over its nodes, rounded up);
# the evaluation itself keeps about 350 bytes a node (1.4 GB at the gates limit)
EVALUATION_BYTES = 350
VIEW_BYTES = {"JSON document": 600, "CSV, TSV or JSON Lines records": 2_600,
              "steps of --steps": 3_400, "Jacobians of --jacobian": 4_400,
              "picture": 1_800, "SVG picture": 3_200, "interactive page": 9_500,
              "code": 1_100, "tables of --full": 1_200, "Markdown tables of --full": 2_300,
              "LaTeX tables of --full": 2_400}


def check_view(view: str, nodes: int) -> None:
    """Refuse a view of a graph too large for the memory limit before it is made: the
    pictures, documents and records of 10^6 nodes took 5 to 27 GB."""
    per_node = VIEW_BYTES[view] + EVALUATION_BYTES
    check_memory(f"the {view} of {nodes:,} nodes (about {per_node:,} bytes a node)",
                 nodes * per_node)


def check_memory(what: str, size: int, *, source: str | None = None,
                 span: Span | None = None) -> None:
    """Refuse work whose arrays would take more bytes than the memory limit, estimated from
    shapes before anything is allocated."""
    if size > current().memory:
        raise exceeded(f"the memory in bytes for {what}", size, "memory", source=source,
                       span=span)
