"""Errors the library raises for bad input, each able to point at its source."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A position in a source text: 1-based line and column, and the width to underline."""

    line: int
    column: int
    width: int = 1


class BackpropError(Exception):
    """Any error caused by what the user gave us (exit code 2 at the command line).

    ``source`` is the text the error is about and ``span`` the place in it, when known;
    ``where`` names that text (for example "value of x") when it is not the program.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        span: Span | None = None,
        where: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.span = span
        self.where = where

    def located(self, source: str, where: str | None = None) -> BackpropError:
        """Attach the source text (and its name) when the raiser did not know it."""
        if self.source is None:
            self.source = source
        if self.where is None:
            self.where = where
        return self

    def headline(self) -> str:
        """The one-line message: what went wrong, and where."""
        text = self.message
        if self.where:
            text += f" in {self.where}"
        if self.span is not None:
            text += f" at line {self.span.line}, column {self.span.column}"
        return text

    def source_excerpt(self) -> tuple[str, str] | None:
        """The offending source line (made inert) and a caret line under the position.

        Lines are counted at ``\\n`` only, as the tokenizer counts them.
        """
        if self.source is None or self.span is None:
            return None
        lines = self.source.split("\n")
        index = min(max(self.span.line - 1, 0), len(lines) - 1)
        line = lines[index].removesuffix("\r")
        shown = [inert(char) for char in line]
        before = sum(len(text) for text in shown[: self.span.column - 1])
        before += max(self.span.column - 1 - len(line), 0)
        width = sum(len(text) for text in shown[self.span.column - 1:
                                                 self.span.column - 1 + self.span.width])
        return "".join(shown), " " * before + "^" * max(width, 1)


_WHITESPACE = str.maketrans({"\t": " ", "\r": " ", "\f": " ", "\v": " "})


def inert(text: str) -> str:
    """User text made safe to print: whitespace as spaces, control characters as escapes."""
    text = text.translate(_WHITESPACE)
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class ParseError(BackpropError):
    """The text is not a program of the accepted grammar."""


class GraphError(BackpropError):
    """The program parses but does not make a circuit (unknown gate, wrong arity, ...)."""


class InputError(BackpropError):
    """A NAME=VALUE input is missing, unknown, repeated or not a constant."""


class DomainError(BackpropError):
    """A gate was evaluated outside its domain (log(0), 1/0, overflow, ...)."""


class Undecided(ValueError):
    """Exact arithmetic where sympy cannot decide a choice (``where(tanh(10**308) - 1, ...)``:
    the condition differs from 0 by less than any precision it tries). Raised inside the
    exact gate functions; the engine reports it as a DomainError at its node."""


class CircuitError(BackpropError):
    """A circuit file cannot be found or read."""
