"""Tables that fit the terminal: a number is never cut across lines.

A section wider than the terminal first loses what is least needed: the columns its
``short`` names are written short (the backward table's ``gate`` as the node's name), then
the columns its ``spare`` names are left out (the local gradient's formula), one at a time,
and one line says so. If it is still too wide, it is stacked: one block per row (per edge),
each cell on its own line under its header's name, long cells broken at spaces only.

Nothing here knows how wide a table is drawn: the renderer passes ``measure``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .report import Section

INDENT = "  "


@dataclass(frozen=True)
class Fitted:
    """A section as it fits: ``section`` (maybe narrowed) in a table, or ``blocks`` when
    stacked; ``note`` says what was shortened, left out or stacked (None: nothing)."""

    section: Section
    note: str | None = None
    blocks: list[Block] | None = None


@dataclass(frozen=True)
class Block:
    """One row stacked: its first cell as the heading, then (header, cell, column) lines."""

    heading: str
    lines: list[tuple[str, str, int]]


def fit_section(section: Section, width: int, measure: Callable[[Section], int]) -> Fitted:
    """The section as it fits in ``width`` columns, as drawn by ``measure``."""
    if measure(section) <= width:
        return Fitted(section)
    steps = [*((header, _shortened, "shortened") for header in section.short),
             *((header, Section.without, "left out") for header in section.spare)]
    trial, changes = section, []
    for header, change, done in steps:
        if header in trial.headers:
            trial = change(trial, header)
            changes.append(f"{header} {done}")
            if measure(trial) <= width:
                return Fitted(trial, _note(width, changes))
    row = {"edges": "edge", "nodes": "node"}.get(section.key, "row")
    return Fitted(section, _note(width, [f"one block per {row}"]), stacked_blocks(section))


def _note(width: int, changes: list[str]) -> str:
    """One line: ``(60 columns: gate shortened, local gradient left out)``."""
    return f"({width} columns: {', '.join(changes)})"


def _shortened(section: Section, header: str) -> Section:
    column = section.headers.index(header)
    short_header, cells = section.short[header]
    headers = [short_header if i == column else h for i, h in enumerate(section.headers)]
    rows = [[cells[r] if i == column else cell for i, cell in enumerate(row)]
            for r, row in enumerate(section.rows)]
    return replace(section, headers=headers, rows=rows, math={})


def stacked_blocks(section: Section) -> list[Block]:
    """One block per row: the first cell (after its header when it is a number: ``step 1``),
    then every other non-empty cell under its header."""
    named = 0 in section.numeric
    return [Block(f"{section.headers[0]} {row[0]}" if named else row[0],
                  [(section.headers[i], cell, i) for i, cell in enumerate(row) if i and cell])
            for row in section.rows]


def matrix_rows(cell: str) -> str:
    """A matrix written ``[[1, 2], [3, 4]]`` with one row per line, as a terminal shows it."""
    if cell.startswith("[["):
        return cell.replace("], [", "],\n [")
    return cell


def block_lines(block: Block, width: int) -> list[tuple[str, str, int]]:
    """A block as (label, text, column) lines: labels padded to one width, a long cell
    broken at spaces (never inside a number) and continued under itself."""
    label_width = max((len(header) for header, _, _ in block.lines), default=0)
    room = max(width - len(INDENT) - label_width - 2, 1)
    lines = []
    for header, cell, column in block.lines:
        label = f"{INDENT}{header.ljust(label_width)}  "
        for index, piece in enumerate(break_at_spaces(matrix_rows(cell), room)):
            lines.append((label if index == 0 else " " * len(label), piece, column))
    return lines


def break_at_spaces(text: str, room: int) -> list[str]:
    """``text`` in pieces of at most ``room`` characters, broken only at spaces and line
    ends; a word longer than ``room`` stays whole (the terminal may then run it over)."""
    pieces: list[str] = []
    for line in text.splitlines() or [""]:
        current = " " * (len(line) - len(line.lstrip(" ")))  # a matrix row's indent
        for word in line.lstrip(" ").split(" "):
            if current.strip() and len(current) + 1 + len(word) > room:
                pieces.append(current)
                current = word
            else:
                current = f"{current} {word}" if current.strip() else current + word
        pieces.append(current)
    return pieces
