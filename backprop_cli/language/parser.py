"""Tokens -> Program: an iterative shunting-yard parser for the circuit language.

A program is a list of statements (``name = expr``, ``name += expr``, or a final bare
expression), separated by newlines or ``;``. Each expression is turned into postfix
order (RPN) with an explicit operator stack, so nesting depth is limited only by memory.
Nothing is ever evaluated here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ..errors import ParseError, Span
from ..limits import current, exceeded
from .subscripts import Subscript, format_subscript, read_subscript
from .tokens import BOOL, DEF, Token, tokenize


class Item(NamedTuple):
    """One postfix instruction: ``num`` / ``name`` push a value; ``unary``, ``binary`` and
    ``call`` (with ``argc`` arguments) apply a gate to the values on top of the stack;
    ``index`` applies the subscript ``subscript`` (``text`` is how it is written);
    ``keyword`` names the value on top of the stack as a call's keyword argument
    (``axis=1``: ``text`` is ``axis``)."""

    kind: str
    text: str
    argc: int
    line: int
    column: int
    subscript: Subscript = ()


@dataclass(frozen=True)
class Statement:
    """``target op= expression``; ``target`` is None for a bare final expression."""

    target: str | None
    augment: str | None
    rpn: list[Item]
    span: Span


@dataclass(frozen=True)
class Definition:
    """``def name(params): expression``: a user-defined gate, its body in postfix.

    ``overrides`` (param -> postfix, from a circuit file's gates table) are local gradients
    written by hand; ``source`` is the text the spans point into, ``where`` names it.
    """

    name: str
    params: tuple[str, ...]
    rpn: list[Item]
    span: Span
    source: str = ""
    where: str | None = None
    overrides: tuple[tuple[str, list[Item], str], ...] = ()


@dataclass
class Program:
    """A parsed program and the text it came from."""

    source: str
    statements: list[Statement] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)


# Binary operators: precedence and whether they group to the right.
BINARY = {"+": (1, False), "-": (1, False), "*": (2, False), "/": (2, False),
          "@": (2, False), "**": (4, True), "^": (4, True),
          ">": (0, False), "<": (0, False), ">=": (0, False), "<=": (0, False),
          "==": (0, False), "!=": (0, False)}
COMPARISONS = frozenset(op for op, (precedence, _) in BINARY.items() if precedence == 0)
UNARY_PRECEDENCE = 3
AUGMENTED = {"+=": "+", "-=": "-", "*=": "*", "/=": "/"}


class _Open(NamedTuple):
    """An open parenthesis or call on the operator stack (``token`` is the call's name)."""

    token: Token
    call: bool
    paren: Token | None = None


class _Op(NamedTuple):
    """A pending operator on the operator stack."""

    token: Token
    unary: bool

    @property
    def precedence(self) -> int:
        return UNARY_PRECEDENCE if self.unary else BINARY[self.token.text][0]


def parse(text: str) -> Program:
    """Parse a whole program (or a single expression) into statements."""
    tokens = tokenize(text)
    program = Program(source=text)
    for start, stop in _statement_ranges(tokens, text):
        if tokens[start].kind == DEF:
            program.definitions.append(_definition(tokens, start, stop, text))
        else:
            program.statements.append(_statement(tokens, start, stop, text))
    if not program.statements and program.definitions:
        raise ParseError("the program only defines gates: add a statement that uses them",
                         source=text, span=program.definitions[-1].span)
    if not program.statements:
        raise ParseError("the program is empty", source=text, span=Span(1, 1))
    for statement in program.statements[:-1]:
        if statement.target is None:
            raise ParseError("a bare expression may only be the last statement; "
                             "assign it to a name", source=text, span=statement.span)
    return program


def parse_definition(text: str) -> Definition:
    """Parse exactly one ``def NAME(PARAMS): EXPRESSION`` (a circuit file's gate)."""
    tokens = tokenize(text)
    ranges = _statement_ranges(tokens, text)
    if len(ranges) != 1 or tokens[ranges[0][0]].kind != DEF:
        raise ParseError("expected one definition: def NAME(PARAMS): EXPRESSION", source=text,
                         span=Span(1, 1))
    return _definition(tokens, *ranges[0], text)


def parse_expression(text: str) -> Program:
    """Parse text that must be one expression (an input value, for example)."""
    program = parse(text)
    first = program.statements[0]
    if len(program.statements) > 1 or first.target is not None or program.definitions:
        raise ParseError("expected a single expression, not a program",
                         source=text, span=first.span)
    return program


def _statement_ranges(tokens: list[Token], text: str) -> list[tuple[int, int]]:
    """Split at ``;`` and at newlines outside parentheses; drop empty statements."""
    ranges: list[tuple[int, int]] = []
    depth, start = 0, 0
    for index, token in enumerate(tokens):
        if token.text in ("(", "["):
            depth += 1
        elif token.text in (")", "]"):
            depth = max(depth - 1, 0)
        elif token.kind == "end" or token.text == ";" or (token.kind == "newline" and not depth):
            if token.text == ";" and depth:
                raise _error("';' inside parentheses or brackets", token, text)
            if index > start:
                ranges.append((start, index))
            start = index + 1
    return ranges


def _error(message: str, token: Token, text: str) -> ParseError:
    width = max(len(token.text), 1) if token.kind != "newline" else 1
    return ParseError(message, source=text, span=Span(token.line, token.column, width))


def _statement(tokens: list[Token], start: int, stop: int, text: str) -> Statement:
    first = tokens[start]
    second = tokens[start + 1] if start + 1 < stop else None
    span = Span(first.line, first.column, max(len(first.text), 1))
    if first.kind == "name" and second is not None and second.kind == "op":
        if second.text == "=":
            return Statement(first.text, None, _expression(tokens, start + 2, stop, text), span)
        if second.text in AUGMENTED:
            rpn = _expression(tokens, start + 2, stop, text)
            return Statement(first.text, AUGMENTED[second.text], rpn, span)
    return Statement(None, None, _expression(tokens, start, stop, text), span)


def _definition(tokens: list[Token], start: int, stop: int, text: str) -> Definition:
    """``def NAME(PARAM, ...): EXPRESSION`` (one statement)."""
    index = start + 1
    name = tokens[index] if index < stop else tokens[stop]
    if name.kind != "name":
        raise _error("expected the gate's name after 'def' (def NAME(PARAMS): EXPRESSION)",
                     name, text)
    index = _expect(tokens, index + 1, stop, "(", text)
    params: list[str] = []
    seen: set[str] = set()  # a list's `in` made 10**5 parameters quadratic
    while index < stop and tokens[index].text != ")":
        if params:
            index = _expect(tokens, index, stop, ",", text)
        param = tokens[index] if index < stop else tokens[stop]
        if param.kind != "name":
            raise _error("expected a parameter name", param, text)
        if param.text in seen:
            raise _error(f"parameter {param.text!r} is given twice", param, text)
        params.append(param.text)
        seen.add(param.text)
        index += 1
    index = _expect(tokens, _expect(tokens, index, stop, ")", text), stop, ":", text)
    if not params:
        raise _error(f"gate {name.text!r} needs at least one parameter", name, text)
    span = Span(name.line, name.column, len(name.text))
    return Definition(name.text, tuple(params), _expression(tokens, index, stop, text), span,
                      text)


def _expect(tokens: list[Token], index: int, stop: int, wanted: str, text: str) -> int:
    token = tokens[index] if index < stop else tokens[stop]
    if token.text != wanted or token.kind != "op":
        found = {"newline": "end of line", "end": "end of input"}.get(token.kind)
        raise _error(f"expected {wanted!r} in def NAME(PARAMS): EXPRESSION, found "
                     f"{found or repr(token.text)}", token, text)
    return index + 1


def _expression(tokens: list[Token], start: int, stop: int, text: str) -> list[Item]:
    """Shunting-yard over ``tokens[start:stop]`` into postfix items."""
    parser = _ExpressionParser(tokens, text)
    for index in range(start, stop):
        parser.feed(index)
    return parser.finish(tokens[stop] if stop < len(tokens) else tokens[-1])


class _ExpressionParser:
    """The state of one shunting-yard run: output, operator stack, argument counts."""

    def __init__(self, tokens: list[Token], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.out: list[Item] = []
        self.ops: list[_Op | _Open] = []
        self.argcs: list[int] = []
        # per open call: the keyword of the argument being read, and whether one was given
        self.keywords: list[Item | None] = []
        self.keyworded: list[bool] = []
        self.expect_operand = True
        self.skip_paren = False
        self.call_just_opened = False
        self.max_depth = current().depth
        self.skip_until = 0

    def feed(self, index: int) -> None:
        token = self.tokens[index]
        if index < self.skip_until:
            return  # the rest of a subscript or '.T', already read
        if token.kind == "newline":
            return  # inside parentheses: implicit line continuation
        if token.kind == DEF:
            raise _error("'def' must start a statement: def NAME(PARAMS): EXPRESSION",
                         token, self.text)
        if token.text == ":":
            raise _error(self._colon_message(), token, self.text)
        if self.skip_paren:
            self.skip_paren = False
            self.call_just_opened = True
            top = self.ops[-1]
            if isinstance(top, _Open):
                self.ops[-1] = top._replace(paren=token)
            return
        if index and self.tokens[index - 1].kind == "newline":
            self._check_line_start(token)
        if token.text == "=" and self._keyword_start(index):
            self.keywords[-1] = self.out.pop()
            self.expect_operand = True
            return
        if self.expect_operand:
            self._operand(token, self.tokens[index + 1])
            if len(self.ops) > self.max_depth:
                raise exceeded("the nesting depth", len(self.ops), "depth", source=self.text,
                               span=Span(token.line, token.column, 1))
        elif token.text in (".", "["):
            self._postfix(index)
        else:
            self._operator(token)
        self.call_just_opened = False

    def _colon_message(self) -> str:
        opened = next((op for op in reversed(self.ops) if isinstance(op, _Open)), None)
        if opened is not None and opened.paren is not None and opened.paren.text == "[":
            return ("a slice in a subscript takes integer literals only (a subscript with "
                    "names or calls picks elements by integer arrays: s[arange(N), y])")
        return "':' is not allowed here (only in def NAME(PARAMS): EXPRESSION)"

    def _keyword_start(self, index: int) -> bool:
        """``NAME =`` right after a call's ``(`` or ``,``: a keyword argument."""
        if index < 2 or not self.ops or not isinstance(self.ops[-1], _Open) or \
                not self.ops[-1].call or self.keywords[-1] is not None:
            return False
        name, before = self.tokens[index - 1], self.tokens[index - 2]
        return name.kind == "name" and before.text in ("(", ",") and bool(self.out) and \
            self.out[-1].kind == "name" and self.out[-1].text == name.text

    def _end_argument(self, token: Token) -> None:
        """A call's argument is complete: mark it as a keyword argument if it is one."""
        keyword = self.keywords[-1]
        if keyword is not None:
            self.out.append(keyword._replace(kind="keyword"))
            self.keywords[-1] = None
            self.keyworded[-1] = True
        elif self.keyworded[-1]:
            raise _error("a positional argument cannot follow a keyword argument", token,
                         self.text)

    def _check_line_start(self, token: Token) -> None:
        """A statement continued onto a new line by an open '(' that then reads like a
        new statement: report the '(' that was never closed, not the innocent line."""
        if not self.expect_operand and token.kind in ("num", "name"):
            opened = next((op for op in reversed(self.ops) if isinstance(op, _Open)), None)
            if opened is not None:
                raise _error("'(' is never closed", opened.paren or opened.token, self.text)

    def _postfix(self, index: int) -> None:
        """``.T`` and ``[...]`` bind tighter than any operator: emit them at once."""
        token = self.tokens[index]
        if token.text == ".":
            self.out.append(Item("call", "transpose", 1, token.line, token.column))
            self.skip_until = index + 2
            return
        if self._picks_with_arrays(index):
            self._open_gather(token)
            return
        stop, entries = read_subscript(self.tokens, index, self.text)
        self.out.append(Item("index", format_subscript(entries), 1, token.line, token.column,
                             entries))
        self.skip_until = stop + 1

    def _picks_with_arrays(self, index: int) -> bool:
        """``s[arange(N), y]``: a subscript holding names or calls indexes with integer
        arrays (a gather gate); one of literals and slices is a plain subscript."""
        depth = 0
        for token in self.tokens[index:]:
            if token.text == "[":
                depth += 1
            elif token.text == "]":
                depth -= 1
                if not depth:
                    return False
            elif token.kind == "name" or token.kind == "end":
                return token.kind == "name"
        return False

    def _open_gather(self, bracket: Token) -> None:
        """``s[i, j]`` read as the call ``gather(s, i, j)``: ``s`` is already its first
        argument; ``]`` closes it."""
        name = Token("name", "gather", bracket.line, bracket.column)
        self.ops.append(_Open(name, call=True, paren=bracket))
        self.argcs.append(1)
        self.keywords.append(None)
        self.keyworded.append(False)
        self.expect_operand = True

    def _operand(self, token: Token, following: Token) -> None:
        if token.kind == "num":
            self.out.append(Item("num", token.text, 0, token.line, token.column))
            self.expect_operand = False
        elif token.kind == "name" and following.text == "(":
            self.ops.append(_Open(token, call=True))
            self.argcs.append(0)
            self.keywords.append(None)
            self.keyworded.append(False)
            self.skip_paren = True
        elif token.kind == BOOL:
            if not self.keywords or self.keywords[-1] is None:
                raise _error(f"{token.text} is only a keyword argument's value, as in "
                             "sum(x, 0, keepdims=True)", token, self.text)
            self.out.append(Item("num", "1" if token.text == "True" else "0", 0, token.line,
                                 token.column))
            self.expect_operand = False
        elif token.kind == "name":
            self.out.append(Item("name", token.text, 0, token.line, token.column))
            self.expect_operand = False
        elif token.text == "(":
            self.ops.append(_Open(token, call=False))
        elif token.text == "-":
            self.ops.append(_Op(token, unary=True))
        elif token.text == "+":
            return  # unary plus changes nothing
        elif token.text == ")" and self.call_just_opened:
            self._close_call(0)
        elif token.text == "[":
            raise _error("array literals are not allowed in a program; give arrays as "
                         "input values (NAME=[...])", token, self.text)
        else:
            raise _error(self._unexpected(token, "a value"), token, self.text)

    def _operator(self, token: Token) -> None:
        if token.kind == "op" and token.text in BINARY:
            self._push_binary(token)
        elif token.text in (")", "]"):
            self._close_paren(token)
        elif token.text == ",":
            self._comma(token)
        elif token.text == "=" and self._inside_call():
            raise _error("keyword arguments are not allowed", token, self.text)
        elif token.text in ("=", "+=", "-=", "*=", "/="):
            raise _error(f"unexpected {token.text!r}: only a name can be assigned to",
                         token, self.text)
        elif token.kind in ("num", "name") or token.text == "(":
            raise _error(f"missing operator before {token.text!r} "
                         "(write multiplication as '*')", token, self.text)
        else:
            raise _error(self._unexpected(token, "an operator"), token, self.text)

    def _unexpected(self, token: Token, wanted: str) -> str:
        found = {"newline": "end of line", "end": "end of input"}.get(token.kind)
        return f"expected {wanted}, found {found or repr(token.text)}"

    def _inside_call(self) -> bool:
        return any(isinstance(op, _Open) and op.call for op in self.ops)

    def _push_binary(self, token: Token) -> None:
        precedence, right = BINARY[token.text]
        while self.ops:
            top = self.ops[-1]
            if isinstance(top, _Open):
                break
            if token.text in COMPARISONS and not top.unary and top.token.text in COMPARISONS:
                raise _error("comparisons do not chain: write (a < b) * (b < c) for "
                             "a < b < c", token, self.text)
            if top.precedence > precedence or (top.precedence == precedence and not right):
                self._emit(top)
                self.ops.pop()
            else:
                break
        self.ops.append(_Op(token, unary=False))
        self.expect_operand = True

    def _pop_to_open(self) -> _Open | None:
        while self.ops:
            top = self.ops[-1]
            if isinstance(top, _Open):
                return top
            self._emit(top)
            self.ops.pop()
        return None

    def _close_paren(self, token: Token) -> None:
        opened = self._pop_to_open()
        if opened is None:
            raise _error(f"unmatched {token.text!r}", token, self.text)
        bracket = opened.paren is not None and opened.paren.text == "["
        if bracket != (token.text == "]"):
            wanted = "']'" if bracket else "')'"
            opener = "'['" if bracket else "'('"
            raise _error(f"expected {wanted} to close the {opener} still open", token,
                         self.text)
        if opened.call:
            self._end_argument(token)
            self._close_call(self.argcs[-1] + 1)
        else:
            self.ops.pop()
        self.expect_operand = False

    def _close_call(self, argc: int) -> None:
        opened = self.ops.pop()
        self.argcs.pop()
        self.keywords.pop()
        self.keyworded.pop()
        name = opened.token
        self.out.append(Item("call", name.text, argc, name.line, name.column))
        self.expect_operand = False

    def _comma(self, token: Token) -> None:
        opened = self._pop_to_open()
        if opened is None or not opened.call:
            raise _error("unexpected ',' (tuples are not allowed)", token, self.text)
        self._end_argument(token)
        self.argcs[-1] += 1
        self.expect_operand = True

    def _emit(self, op: _Op) -> None:
        kind = "unary" if op.unary else "binary"
        token = op.token
        self.out.append(Item(kind, token.text, 0, token.line, token.column))

    def finish(self, end: Token) -> list[Item]:
        if self.expect_operand:
            raise _error(self._unexpected(end, "a value"), end, self.text)
        while self.ops:
            top = self.ops.pop()
            if isinstance(top, _Open):
                raise _error("'(' is never closed", top.paren or top.token, self.text)
            self._emit(top)
        return self.out
