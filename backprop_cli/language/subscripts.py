"""Subscripts ``x[0]``, ``x[1:3]``, ``x[:, -1]``: integer literals and slices only.

Read from the tokens between ``[`` and ``]``; anything else (names, expressions, nested
brackets) is refused with its position. An entry is an int or a (start, stop, step) slice.
"""

from __future__ import annotations

from ..errors import ParseError, Span
from .tokens import Token

Bound = int | None
Entry = int | tuple[Bound, Bound, Bound]
Subscript = tuple[Entry, ...]


def _error(message: str, token: Token, text: str) -> ParseError:
    return ParseError(message, source=text, span=Span(token.line, token.column,
                                                     max(len(token.text), 1)))


class _Reader:
    """A cursor over the subscript's tokens."""

    def __init__(self, tokens: list[Token], index: int, text: str) -> None:
        self.tokens, self.index, self.text = tokens, index, text

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def integer(self) -> Bound:
        """An optional integer literal, possibly negative."""
        sign = 1
        if self.token.text == "-":
            sign, self.index = -1, self.index + 1
        token = self.token
        if token.kind == "num" and token.text.isdigit():
            if len(token.text.lstrip("0")) > 18:  # past any array (and int()'s digit limit)
                raise _error("an index of more than 18 digits is out of range of any array",
                             token, self.text)
            self.index += 1
            return sign * int(token.text)
        if sign == -1 or token.kind in ("num", "name") or token.text in ("(", "["):
            raise _error("a subscript takes integer literals and slices (a:b:c) only",
                         token, self.text)
        return None

    def entry(self) -> Entry:
        start = self.integer()
        if self.token.text != ":":
            if start is None:
                raise _error("expected an index or a slice", self.token, self.text)
            return start
        self.index += 1
        stop = self.integer()
        step: Bound = None
        if self.token.text == ":":
            self.index += 1
            step = self.integer()
            if step == 0:
                raise _error("a slice step cannot be 0", self.tokens[self.index - 1],
                             self.text)
        return (start, stop, step)


def read_subscript(tokens: list[Token], start: int, text: str) -> tuple[int, Subscript]:
    """``tokens[start]`` is ``[``: the index of the matching ``]`` and the entries."""
    reader = _Reader(tokens, start + 1, text)
    entries: list[Entry] = []
    while True:
        entries.append(reader.entry())
        token = reader.token
        if token.text == "]":
            return reader.index, tuple(entries)
        if token.text != ",":
            found = {"newline": "end of line", "end": "end of input"}.get(token.kind,
                                                                          repr(token.text))
            raise _error(f"expected ',' or ']' in the subscript, found {found}", token, text)
        reader.index += 1


def format_subscript(entries: Subscript) -> str:
    """The subscript as written: ``1:3, 0``."""
    def bound(value: Bound) -> str:
        return "" if value is None else str(value)

    parts = []
    for entry in entries:
        if isinstance(entry, int):
            parts.append(str(entry))
        else:
            start, stop, step = entry
            part = f"{bound(start)}:{bound(stop)}"
            parts.append(part if step is None else f"{part}:{step}")
    return ", ".join(parts)
