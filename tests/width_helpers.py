"""Checks that a terminal table cut no number: every number the JSON document holds, written
as the table writes it, appears whole (never split across lines) as often as the table shows
it; and no line is wider than the terminal.

The JSON document is the independent source: its numbers are the full doubles, formatted
here with ``format_float`` at the same rounding; the table's text is only searched."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from backprop_cli.numformat import ARRAY_FULL_MAX, Rounding, format_float

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WIDTHS = (60, 80, 100, 120)


def shown_numbers(document: dict[str, Any], rounding: Rounding) -> Counter[str]:
    """Each number of an eval document as the tables write it, counted once per cell that
    shows it: node values and gradients, edge upstream, local and downstream, the input
    gradients (the output's value is also its node's)."""
    numbers: list[float] = []
    for node in document["nodes"]:
        held = node["gate"] == "input" and node["name"] not in document["gradients"]
        if node["gate"] != "const":
            numbers += [node["value"]] + ([] if held else [node["grad"]])  # held: "none"
    for edge in document["edges"]:
        numbers += [edge["upstream"], edge["local"], edge["downstream"]]
    numbers += list(document["gradients"].values())
    return numbers_in(numbers, rounding)


def whole_count(text: str, number: str) -> int:
    """How often ``number`` appears whole: not preceded or followed by more of a number."""
    return len(re.findall(r"(?<![\w.+-])" + re.escape(number) + r"(?![\w.])", text))


def assert_numbers_whole(text: str, wanted: Counter[str], width: int) -> None:
    """Every wanted number appears whole at least as often as wanted; no line is wider than
    ``width``."""
    text = ANSI.sub("", text).replace("\r\n", "\n")
    lines = text.splitlines()
    too_wide = [line for line in lines if len(line.rstrip()) > width]
    assert not too_wide, f"{len(too_wide)} lines wider than {width}:\n" + "\n".join(too_wide)
    missing = {number: (count, whole_count(text, number)) for number, count in wanted.items()
               if whole_count(text, number) < count}
    assert not missing, f"numbers cut or missing at {width} columns (wanted, found): " \
                        f"{missing}\n{text}"


def numbers_in(values: Iterable[Any], rounding: Rounding) -> Counter[str]:
    """The numbers as written at ``rounding``; an array's entries when the tables show it in
    full (at most 24 entries), nothing for a summarised one or a missing value."""
    counts: Counter[str] = Counter()
    for value in values:
        entries = list(_flat(value))
        if len(entries) <= ARRAY_FULL_MAX:
            counts.update(format_float(float(v), rounding) for v in entries)
    return counts


def _flat(value: Any) -> Iterable[float]:
    if isinstance(value, list):
        for item in value:
            yield from _flat(item)
    elif isinstance(value, float | int) and not isinstance(value, bool):
        yield value
