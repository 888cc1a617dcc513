"""Resource limits: every input size the tool accepts is bounded, with a way to raise it.

The limits in force live in a context variable, so the command line can set them once
(``--limit NAME=VALUE`` or ``BACKPROP_LIMITS``) without threading them through every call.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace

from .errors import BackpropError, Span


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
        if number <= 0:
            raise LimitError(f"limit {name.strip()} must be positive")
        settings[key] = number
    return replace(base, **settings)  # type: ignore[arg-type]


@contextmanager
def using(limits: Limits) -> Iterator[Limits]:
    """Run a block with these limits in force."""
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)


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
    token = _DEADLINE.set(time.monotonic() + budget)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_clock() -> None:
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise LimitError(f"exact evaluation took longer than {current().exact_seconds:g} s; "
                         "raise it with --limit exact-seconds=N, or drop --exact")
