"""Text -> tokens: the lexical layer of the circuit language.

Only the characters of the grammar become tokens; anything else (strings, braces,
attribute dots other than the transpose ``.T``, keywords, dunders, look-alike unicode) is
refused here with its position. Brackets and ``:`` are tokens (subscripts, array values);
the parser decides where they may stand.
"""

from __future__ import annotations

import keyword
import re
from typing import NamedTuple

from ..errors import ParseError, Span
from ..limits import current, exceeded

MAX_NAME_LENGTH = 64


class Token(NamedTuple):
    """One token: its kind (``num``, ``name``, ``op``, ``def``, ``newline``, ``end``) and
    position."""

    kind: str
    text: str
    line: int
    column: int


_TOKEN_RE = re.compile(
    r"""
    (?P<num>(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*=?|[-+*/]=|:=|//|==|!=|<=|>=|<<|>>|->|[-+*/^(),;=@.\[\]{}:<>%&|~!$?`])
  | (?P<newline>\n)
  | (?P<space>[ \t\r\f]+|\#[^\n\x00]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

ACCEPTED_OPS = frozenset({"+", "-", "*", "/", "**", "^", "(", ")", ",", ";", "=",
                          "+=", "-=", "*=", "/=", "@", "[", "]", ":",
                          ">", "<", ">=", "<=", "==", "!="})
# '.' is accepted only as the transpose '.T' (checked by looking ahead).
_TRANSPOSE_RE = re.compile(r"T(?![A-Za-z0-9_])")
DEF = "def"  # the one keyword: ``def NAME(PARAMS): EXPRESSION`` defines a gate
BOOL = "bool"  # True and False: only as a keyword argument's value (keepdims=True)
BOOLEANS = frozenset({"True", "False"})

_REFUSED_OPS = {
    ".": "attribute access ('.') is not allowed (only '.T', the transpose)",
    "{": "braces are not allowed",
    "}": "braces are not allowed",
    ":=": "assignment expressions (':=') are not allowed",
    "**=": "'**=' is not supported; write 'x = x ** y'",
}

_LOOKALIKES = {
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": "*", "\u22c5": "*", "\u00b7": "*",
    "\u2217": "*", "\u00f7": "/", "\u2215": "/", "\u00b2": "**2", "\u00b3": "**3",
    "\u03c0": "pi", "\u2018": "(no strings)", "\u2019": "(no strings)",
    "\u201c": "(no strings)", "\u201d": "(no strings)", "\uff08": "(", "\uff09": ")",
    "\u00a0": "a plain space",
}


def _refuse(message: str, text: str, line: int, column: int, width: int = 1) -> ParseError:
    return ParseError(message, source=text, span=Span(line, column, width))


def _describe_other(char: str) -> str:
    if char == "\x00":
        return "a NUL byte is not allowed"
    if char in "'\"":
        return "strings are not allowed"
    if char == "\\":
        return "backslashes are not allowed"
    if char in _LOOKALIKES:
        return f"character {char!r} (U+{ord(char):04X}) is not allowed; use {_LOOKALIKES[char]}"
    if not char.isprintable():
        return f"control character U+{ord(char):04X} is not allowed"
    if ord(char) > 127:
        return (f"character {char!r} (U+{ord(char):04X}) is not allowed; "
                "names and operators are ASCII")
    return f"character {char!r} is not allowed"


def _check_name(word: str, text: str, line: int, column: int) -> None:
    if word == DEF or word in BOOLEANS:
        return
    if keyword.iskeyword(word):
        raise _refuse(f"Python keyword {word!r} is not allowed", text, line, column, len(word))
    if word.startswith("__"):
        raise _refuse(f"name {word!r} is not allowed: names may not start with '__'",
                      text, line, column, len(word))
    if len(word) > MAX_NAME_LENGTH:
        raise _refuse(f"name is longer than {MAX_NAME_LENGTH} characters",
                      text, line, column, len(word))


def _check_size(text: str) -> None:
    limit = current().source_bytes
    if len(text) * 4 > limit and len(text.encode("utf-8", "surrogatepass")) > limit:
        raise exceeded("the program's size in bytes", len(text.encode("utf-8", "surrogatepass")),
                       "source_bytes")


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, refusing every character the grammar does not use."""
    _check_size(text)
    max_lines = current().lines
    tokens: list[Token] = []
    append = tokens.append
    line, line_start = 1, 0
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup
        value = match.group()
        column = match.start() - line_start + 1
        if kind == "space":
            continue
        if kind == "newline":
            append(Token("newline", value, line, column))
            line, line_start = line + 1, match.end()
            if line > max_lines:
                raise exceeded("the number of lines", line, "lines")
        elif kind == "name":
            _check_name(value, text, line, column)
            kind = DEF if value == DEF else BOOL if value in BOOLEANS else "name"
            append(Token(kind, value, line, column))
        elif kind == "op":
            if value == "." and _TRANSPOSE_RE.match(text, match.end()):
                append(Token("op", value, line, column))
            elif value not in ACCEPTED_OPS:
                message = _REFUSED_OPS.get(value, f"operator {value!r} is not supported")
                raise _refuse(message, text, line, column, len(value))
            else:
                append(Token("op", value, line, column))
        elif kind == "num":
            append(Token("num", value, line, column))
        else:
            raise _refuse(_describe_other(value), text, line, column)
    append(Token("end", "", line, len(text) - line_start + 1))
    return tokens
