"""Array input values: ``[1, -2, 3]`` and ``[[1, 2], [3, 4]]`` (read with the project's own
tokenizer; each entry a number or a constant expression such as ``1/3``), files
``@w.npy``, ``@w.csv``, ``@w.tsv``, ``@w.txt``, ``@w.json``, and ``randn(2, 3)``,
``rand(...)``, ``zeros(...)``, ``ones(...)``, ``randint(high, ...)``.

Ragged lists, empty arrays and entries that are not numbers are errors naming the input.
Random values come from a generator seeded by ``seed`` and the input's name, so they do not
change when other inputs are added or reordered.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from tokenize import TokenError
from typing import Any

import numpy as np

from ..errors import BackpropError, InputError, Span
from ..gates.array_kit import Array, kit_for
from ..language.tokens import Token, tokenize
from ..limits import EXACT_BYTES, check_memory, current, exceeded

MAX_DIMENSIONS = 32
GENERATORS = ("randn", "rand", "zeros", "ones", "randint")
FILE_SUFFIXES = (".npy", ".csv", ".tsv", ".txt", ".json")
ElementReader = Callable[[str, list[Token], str], Any]


def array_value(name: str, text: str, exact: bool, seed: int,
                element: ElementReader) -> Array | float:
    """The array a NAME=VALUE text stands for (``element`` reads one constant entry)."""
    where = f"the value of {name}"
    text = text.strip()
    if text.startswith("@"):
        return _finish(name, _load_file(name, text[1:].strip()), exact)
    try:
        tokens = [t for t in tokenize(text) if t.kind != "newline"]
        if tokens[0].text == "[":
            made = _Literal(name, text, tokens, element).read()
        else:
            made = _generate(name, text, tokens, seed)
    except BackpropError as error:
        raise error.located(text, where) from None
    return _finish(name, made, exact)


def from_nested(name: str, value: Any, exact: bool) -> Array:
    """A nested list from a circuit file, JSON or the Python API."""
    return _finish(name, _validated(name, value, None), exact)


def from_array(name: str, value: Any, exact: bool) -> Array:
    check_elements(name, np.shape(value))
    return _finish(name, np.asarray(value), exact)


def check_elements(name: str, shape: tuple[int, ...] | list[int], source: str | None = None,
                   span: Span | None = None) -> None:
    """Refuse a value with more elements than ``--limit array-elements`` allows (before it
    is made: ``shape`` is known first)."""
    count = math.prod(shape)
    if count > current().array_elements:
        what = "the number of elements" if source else \
            f"the number of elements in the value of {name}"  # else located later
        raise exceeded(what, count, "array_elements", source=source, span=span)


def _finish(name: str, array: Any, exact: bool) -> Array:
    """Check numbers, finiteness and size; convert to the kit's element type."""
    if exact:  # an exact element is a sympy number: refuse before making millions of them
        check_memory(f"the exact value of {name}", int(np.size(array)) * EXACT_BYTES)
    if isinstance(array, list):
        array = np.array(array, dtype=object if exact else float)
    array = np.asarray(array)
    where = f"the value of {name}"
    if array.dtype.kind in "bUSVMmc" or (array.dtype.kind == "O" and not exact):
        raise InputError(f"{where} must hold numbers, not {array.dtype}")
    if array.size == 0:
        raise InputError(f"{where} is an empty array")
    if array.dtype.kind in "if" and not np.isfinite(array).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise InputError(f"{where} contains {array[bad]} at {list(bad)}")
    return kit_for(exact).convert(array)


# ----------------------------------------------------------------------------- literals

class _Literal:
    """A nested list literal, read token by token with an explicit stack."""

    def __init__(self, name: str, text: str, tokens: list[Token],
                 element: ElementReader) -> None:
        self.name, self.text, self.tokens, self.element = name, text, tokens, element
        starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                starts.append(index + 1)
        self.line_starts = starts
        self.opened: dict[int, Token] = {}

    def error(self, message: str, token: Token) -> InputError:
        """An error pointing at ``token`` in the value's text."""
        return InputError(message, source=self.text,
                          span=Span(token.line, token.column, max(len(token.text), 1)),
                          where=f"the value of {self.name}")

    def offset(self, token: Token) -> int:
        return self.line_starts[token.line - 1] + token.column - 1

    def read(self) -> list[Any]:
        root: list[Any] = []
        stack = [root]
        index, expect_value = 0, True
        tokens = self.tokens
        while True:
            token = tokens[index]
            if expect_value and token.text == "[":
                if len(stack) > MAX_DIMENSIONS:
                    raise self.error(f"more than {MAX_DIMENSIONS} dimensions", token)
                row: list[Any] = []
                stack[-1].append(row)
                stack.append(row)
                self.opened[id(row)] = token
                index += 1
            elif expect_value:
                index = self._entry(index, stack[-1])
                expect_value = False
            elif token.text == ",":
                expect_value, index = True, index + 1
            elif token.text == "]":
                stack.pop()
                index += 1
                if len(stack) == 1:
                    break
            else:
                raise self.error(f"expected ',' or ']', found {_found(token)}", token)
        if tokens[index].kind != "end":
            raise self.error(f"unexpected {_found(tokens[index])} after the array",
                             tokens[index])
        nested: list[Any] = _validated(self.name, root[0], self)
        return nested

    def _entry(self, index: int, row: list[Any]) -> int:
        """Read one entry (up to ',' or ']' outside parentheses); return the next index."""
        tokens, depth, stop = self.tokens, 0, index
        while True:
            token = tokens[stop]
            if token.kind == "end" or (depth == 0 and token.text in (",", "]")):
                break
            if token.text == "[":
                raise self.error("expected a number, found '['", token)
            depth += {"(": 1, ")": -1}.get(token.text, 0)
            stop += 1
        first = tokens[index]
        if stop == index:
            empty = first.text == "]" and not row
            raise self.error("an empty list" if empty else
                             f"expected a number, found {_found(first)}", first)
        end = self.offset(tokens[stop]) if tokens[stop].kind != "end" else len(self.text)
        source = self.text[self.offset(first):end]
        try:
            row.append(self.element(source, tokens[index:stop], f"an entry of {self.name}"))
        except BackpropError as error:
            span = error.span or Span(1, 1)
            column = first.column + span.column - 1 if span.line == 1 else span.column
            raise InputError(error.message, source=self.text, where=f"the value of {self.name}",
                             span=Span(first.line + span.line - 1, column, span.width)) from None
        return stop


def _found(token: Token) -> str:
    return "end of input" if token.kind == "end" else repr(token.text)


def _validated(name: str, value: Any, literal: _Literal | None) -> Any:
    """The nested list if it is rectangular and holds only numbers; else a clear error."""
    where = f"the value of {name}"
    if not isinstance(value, list):
        return value
    level: list[Any] = [value]
    shape: list[int] = []
    while isinstance(level[0], list):
        if not all(isinstance(row, list) for row in level):
            raise InputError(f"numbers and lists mixed at depth {len(shape)}", where=where)
        lengths = {len(row) for row in level}
        if 0 in lengths:
            raise InputError("an empty list", where=where)
        if len(lengths) > 1:
            odd = next(row for row in level if len(row) != len(level[0]))
            message = (f"ragged rows at depth {len(shape)}: they have "
                       f"{' and '.join(str(n) for n in sorted(lengths))} entries")
            if literal is not None and id(odd) in literal.opened:
                raise literal.error(message, literal.opened[id(odd)])
            raise InputError(message, where=where)
        shape.append(lengths.pop())
        level = [child for row in level for child in row]
        if len(shape) > MAX_DIMENSIONS:
            raise InputError(f"more than {MAX_DIMENSIONS} dimensions", where=where)
    if literal is None:
        check_elements(name, shape)
    else:
        check_elements(name, shape, literal.text, Span(1, 1, 1))
    for entry in level:
        if isinstance(entry, list):
            raise InputError(f"numbers and lists mixed at depth {len(shape)}", where=where)
        if isinstance(entry, bool) or not _is_number(entry):
            raise InputError(f"entries must be numbers, not {type(entry).__name__} "
                             f"({entry!r})", where=where)
    return value


def _is_number(entry: Any) -> bool:
    if isinstance(entry, int | float | Fraction):  # a Fraction: an exact entry
        return True
    return bool(getattr(entry, "is_number", False))  # an exact sympy number (pi)


# ----------------------------------------------------------------------------- files

def _load_file(name: str, path_text: str) -> Any:
    where = f"the value of {name}"
    path = Path(path_text)
    located = {"source": f"@{path_text}", "span": Span(1, 2, max(len(path_text), 1))}
    if path.suffix.lower() not in FILE_SUFFIXES:
        raise InputError(f"{where}: @{path_text} must end in one of "
                         f"{', '.join(FILE_SUFFIXES)}", **located)  # type: ignore[arg-type]
    if not path.is_file():
        raise InputError(f"{where}: no such file {path_text!r}",
                         **located)  # type: ignore[arg-type]
    try:
        suffix = path.suffix.lower()
        if suffix == ".npy":
            check_elements(name, _npy_shape(path))  # from the header, before the data
            return np.load(path, allow_pickle=False)
        size = path.stat().st_size
        if size > current().source_bytes:
            raise exceeded(f"the size in bytes of @{path_text}", size, "source_bytes")
        if suffix == ".json":
            return _validated(name, json.loads(path.read_text("utf-8")), None)
        delimiter = {".csv": ",", ".tsv": "\t"}.get(suffix)
        loaded = np.loadtxt(path, delimiter=delimiter, dtype=float, ndmin=1)
        check_elements(name, loaded.shape)
        return loaded
    except BackpropError:
        raise
    except _UNREADABLE as error:
        detail = str(error).splitlines()[0].split("; ")[0] if str(error) else \
            type(error).__name__
        raise InputError(f"{where}: cannot read {path_text!r}: {detail}") from None


# what numpy and the json module raise for a malformed file (an .npy header is read with
# tokenize and ast: "EOF in multi-line statement" is a TokenError)
_UNREADABLE = (OSError, ValueError, UnicodeDecodeError, TokenError, SyntaxError, TypeError,
               EOFError, RecursionError)


def _npy_shape(path: Path) -> tuple[int, ...]:
    """The shape an .npy file's header declares (() if its format version is unknown)."""
    fmt = np.lib.format
    with path.open("rb") as handle:
        version = fmt.read_magic(handle)
        readers = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
        reader = readers.get(version)
        return tuple(reader(handle)[0]) if reader is not None else ()


# ----------------------------------------------------------------------------- generators

def _generate(name: str, text: str, tokens: list[Token], seed: int) -> Array:
    head = tokens[0]
    if head.kind != "name" or head.text not in GENERATORS or tokens[1].text != "(":
        raise InputError("an array value is [...], @FILE or one of "
                         f"{', '.join(g + '(...)' for g in GENERATORS)}",
                         source=text, span=Span(head.line, head.column, len(head.text)))
    sizes = _sizes(text, tokens)
    return _draw(name, text, head, sizes, _generator(name, seed))


def _generator(name: str, seed: int) -> np.random.Generator:
    """The input's own random stream: seeded by ``seed`` and the input's name."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def _draw(name: str, text: str, head: Token, sizes: list[int],
          rng: np.random.Generator) -> Array:
    """``randn(2, 3)`` and the other generators, drawn from ``rng``."""
    check_elements(name, sizes[1:] if head.text == "randint" else sizes, text,
                   Span(head.line, head.column, len(head.text)))
    if head.text == "randint":
        if not sizes:
            raise _size_error("randint(high, sizes...) needs the number of classes", text,
                              head)
        return rng.integers(0, sizes[0], size=tuple(sizes[1:])).astype(float)
    shape = tuple(sizes)
    if head.text == "randn":
        return rng.standard_normal(shape)
    if head.text == "rand":
        return rng.random(shape)
    return np.zeros(shape) if head.text == "zeros" else np.ones(shape)


# ----------------------------------------------------------------------------- expressions

def expression_value(name: str, text: str, exact: bool, seed: int) -> Array | float:
    """A constant expression over random draws, ``0.01*randn(3, 4)`` or ``zeros(4) + 0.1``:
    parsed by the circuit language's own parser, each generator call drawn (in order, from
    the input's own stream, so ``randn(3, 4)`` alone draws what it always did) and the
    rest computed by the array engine. Nothing is evaluated as Python."""
    from ..engine.arrays import forward_arrays
    from ..graph.builder import build
    from ..language.parser import Program, Statement, parse_expression

    where = f"the value of {name}"
    try:
        statement = parse_expression(text).statements[0]
        rpn, draws = _with_draws(name, text, statement.rpn, _generator(name, seed))
        graph = build(Program(text, [Statement(None, None, rpn, statement.span)]))
        for input_name, node in graph.inputs.items():
            if input_name not in draws:
                raise InputError(f"expected a constant, found the name {input_name!r}",
                                 span=graph.span(node))
        if not draws:
            raise InputError("an array value needs [...], @FILE or a generator call",
                             span=Span(1, 1))
        value = forward_arrays(graph, draws, exact)[graph.output]
    except BackpropError as error:
        raise error.located(text, where) from None
    return _finish(name, value, exact)


def _with_draws(name: str, text: str, rpn: list[Any],
                rng: np.random.Generator) -> tuple[list[Any], dict[str, Array]]:
    """The postfix program with each generator call replaced by a name bound to its draw."""
    out: list[Any] = []
    draws: dict[str, Array] = {}
    for item in rpn:
        if item.kind != "call" or item.text not in GENERATORS:
            out.append(item)
            continue
        args = out[len(out) - item.argc:] if item.argc else []
        del out[len(out) - item.argc:]
        sizes = []
        for arg in args:
            if arg.kind != "num" or not arg.text.isdigit() or int(arg.text) == 0:
                raise InputError(f"the sizes of {item.text}() must be positive integer "
                                 "literals", span=Span(arg.line, arg.column,
                                                       max(len(arg.text), 1)))
            sizes.append(int(arg.text))
        head = Token("name", item.text, item.line, item.column)
        label = f"{item.text}_{len(draws) + 1}"  # never a name the text can hold (no names)
        draws[label] = _draw(name, text, head, sizes, rng)
        out.append(item._replace(kind="name", text=label, argc=0))
    return out, draws


def _sizes(text: str, tokens: list[Token]) -> list[int]:
    sizes: list[int] = []
    index = 2
    while tokens[index].text != ")":
        token = tokens[index]
        if token.kind != "num" or not token.text.isdigit() or int(token.text[-4000:]) == 0:
            raise _size_error("sizes must be positive integers", text, token)
        if len(token.text.lstrip("0")) > 18:  # past any array-elements limit (and int())
            raise _size_error(f"a size of {len(token.text.lstrip('0')):,} digits is beyond "
                              "the array-elements limit", text, token)
        sizes.append(int(token.text))
        index += 1
        if tokens[index].text == ",":
            index += 1
        elif tokens[index].text != ")":
            raise _size_error(f"expected ',' or ')', found {_found(tokens[index])}", text,
                              tokens[index])
    if tokens[index + 1].kind != "end":
        raise _size_error("unexpected text after ')'", text, tokens[index + 1])
    return sizes


def _size_error(message: str, text: str, token: Token) -> InputError:
    return InputError(message, source=text, span=Span(token.line, token.column,
                                                      max(len(token.text), 1)))
