"""Text -> Graph in one pass, for the common program: the fast path of ``compile_program``.

Tokenizing, the shunting-yard and the graph builder fused into one loop that emits graph
nodes as operators are reduced: no token objects, no postfix items, positions kept as
offsets (line and column worked out only for the nodes). It accepts scalar programs of
built-in gates (``+ - * / ** ^``, unary minus, calls such as ``tanh(x)``, ``;`` and
newlines, ``+=``-style updates, comments) and builds exactly the graph that
``graph.build(syntax.parse(text))`` builds, node for node and name for name.

Anything else -- ``def``, arrays (``@``, ``.T``, subscripts, array gates), user gates, and
every error -- returns None, and the caller takes the reference path (``syntax`` then
``graph``), which gives the error its message and position. So this module never decides
what a program means on its own; a test compares both paths on random programs.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator

from ..gates.registry import CONSTANT_VALUES, GATES
from ..language.tokens import DEF, MAX_NAME_LENGTH
from ..limits import current
from .graph import CONST, INPUT, OUTPUT_NAMES, Graph

# The tokenizer's tokens (tokens._TOKEN_RE), every character in some piece, so the pieces'
# lengths add up to offsets. A name followed by '(' (spaces allowed between, as the
# tokenizer skips them) is one piece: a call. Operators of two characters that the language
# refuses ('//', '==', ...) come out as single characters, which the loop refuses as well.
_PIECE_RE = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*(?:[ \t\r\f]*\()?"
    r"|[ \t\r\f]+"
    r"|[-+*/](?:[*=])?|[\^(),;=\n]"
    r"|(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?"  # ASCII digits, as tokens
    r"|\#[^\n\x00]*|.",
    re.DOTALL,
)
CHUNK = 1 << 18  # characters of text cut into pieces at a time (at a line's end)

_DIGITS = frozenset("0123456789")
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_SKIP = frozenset(" \t\r\f#")
# binary operators: (precedence, gate); ** and ^ group to the right (precedence 4)
_BINARY = {"+": (1, "add"), "-": (1, "sub"), "*": (2, "mul"), "/": (2, "div"),
           "**": (4, "pow"), "^": (4, "pow")}
_AUGMENTED = {"+=": "add", "-=": "sub", "*=": "mul", "/=": "div"}
_UNARY = 3
_OPEN = 0  # precedence of '(' and of an open call: never popped by an operator
_ARITY = {name: spec.arity for name, spec in GATES.items()}
_CALLS = {f"{name}(": name for name in GATES}  # a call's piece -> the gate
# where an operator ends what is on the stack: pop while the top's precedence >= this
_END = "\x00end"  # after the last piece (the expression never matches it)
_THRESHOLDS = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 5, "^": 5,
               ")": 1, ",": 1, "\n": 1, ";": 1, _END: 1}
# names that are not inputs or targets: the builder or the tokenizer refuses them
_RESERVED = frozenset({*GATES, *CONSTANT_VALUES, *keyword.kwlist, DEF})


class _Unsupported(Exception):
    """Not handled here: the reference path decides (and reports any error)."""


def compile_text(text: str) -> Graph | None:
    """The graph of ``text``, or None when the reference path must handle it."""
    limits = current()
    if text.count("\n") + 1 > limits.lines or (
            len(text) * 4 > limits.source_bytes and
            len(text.encode("utf-8", "surrogatepass")) > limits.source_bytes):
        return None  # the tokenizer's limits: the reference path says so
    try:
        return _Compiler(text, limits.depth, limits.gates).run()
    except (_Unsupported, IndexError, KeyError):
        return None


class _Compiler:
    """One run: the graph's lists, the name bindings, and the statement loop."""

    def __init__(self, text: str, max_depth: int, max_gates: int) -> None:
        self.text = text
        self.max_depth = max_depth
        self.max_gates = max_gates
        self.graph = Graph(source=text)
        self.raw_names: list[str | None] = []
        self.versions: dict[str, int] = {}
        self.constants: dict[str, int] = {}
        self.fresh_requests: list[tuple[int, str]] = []

    def run(self) -> Graph:
        self._statements(_piece_lists(self.text))
        self._check_names()
        return self._finish()

    def _statements(self, piece_lists: Iterator[list[str]]) -> None:
        """The statement loop: tokens are read and reduced straight into nodes (an
        operator-precedence parse with an explicit stack, as ``syntax`` does).

        One long loop on purpose: it is the hot path of a 10^6-gate program, where a
        function call per token would cost more than the parse itself. ``syntax`` and
        ``graph`` are the readable reference; the differential tests hold this loop to
        the graph they build."""
        graph = self.graph
        gates, requires, literals, bindings = (graph.gates, graph.requires_grad,
                                               graph.literals, graph.bindings)
        raw_names, versions = self.raw_names, self.versions
        add_gate, add_args, add_line, add_column, add_requires, add_raw = (
            gates.append, graph.args.append, graph.lines.append, graph.columns.append,
            requires.append, raw_names.append)
        bound = bindings.get
        max_depth, binary, arity, thresholds = self.max_depth, _BINARY, _ARITY, _THRESHOLDS
        line, base = 1, -1  # the current line, and the offset before its first character
        end = 0  # the offset after the current piece
        output = -1
        vals: list[int] = []  # node ids (the value stack)
        ops: list[tuple[int, str, int, int]] = []  # (precedence, gate, line, column)
        argcs: list[int] = []  # commas seen so far by each open call
        depth = 0  # open parentheses and calls
        expect = True  # an operand comes next
        started = False  # a token of the current statement has been read
        last_num = -1  # the literal emitted last, if the last item emitted was a number
        target: str | None = None
        augment: str | None = None
        want_assign = False  # the '=' (or '+=', ...) after the target comes next
        start_line = first_new = 0  # the statement's line, and the first node it makes
        statements = 0
        bare = False  # the last statement was a bare expression
        for pieces in piece_lists:
            for index, piece in enumerate(pieces):
                at = end  # the piece's offset
                end += len(piece)
                if piece == " ":
                    continue
                if expect:
                    if want_assign:
                        want_assign = piece[0] in _SKIP  # the '=' (or '+=', ...) after a target
                        continue
                    if started:
                        node = bound(piece)
                        if node is not None:  # a name bound already: the most common operand
                            vals.append(node)
                            last_num = -1
                            expect = False
                            continue
                    char = piece[0]
                    if char in _NAME_START:
                        if not started:
                            started, start_line, first_new = True, line, len(gates)
                            if piece[-1] != "(":
                                following = pieces[index + 1]
                                if following == " ":
                                    following = pieces[index + 2]
                                if following[0] in _SKIP:
                                    following = _next_token(pieces, index + 1)
                                if following == "=" or following in _AUGMENTED:
                                    target, augment = piece, _AUGMENTED.get(following)
                                    want_assign = True
                                    continue
                        if piece[-1] == "(":
                            name = _CALLS.get(piece)
                            if name is None:
                                name = piece[:-1].rstrip(" \t\r\f")
                                if name not in arity:
                                    raise _Unsupported  # a user or array gate, or unknown
                            ops.append((_OPEN, name, line, at - base))
                            argcs.append(0)
                            depth += 1
                            if len(ops) > max_depth:
                                raise _Unsupported
                            continue
                        node = bound(piece)
                        if node is None:
                            node = self._name_value(piece, line, at - base)
                        vals.append(node)
                        last_num = -1
                        expect = False
                    elif char in _DIGITS or (char == "." and len(piece) > 1):
                        if not started:
                            started, start_line, first_new = True, line, len(gates)
                        last_num = len(gates)
                        add_gate(CONST)
                        add_args(())
                        add_line(line)
                        add_column(at - base)
                        add_requires(False)
                        add_raw(piece)
                        literals[last_num] = piece
                        vals.append(last_num)
                        expect = False
                    elif piece == "(" or piece == "-":
                        if not started:
                            started, start_line, first_new = True, line, len(gates)
                        if piece == "(":
                            ops.append((_OPEN, "", 0, 0))
                            depth += 1
                        else:
                            ops.append((_UNARY, "neg", line, at - base))
                        if len(ops) > max_depth:
                            raise _Unsupported
                    elif piece == "+":
                        if not started:
                            started, start_line, first_new = True, line, len(gates)
                    elif char in _SKIP:
                        pass  # spaces and comments
                    elif piece == "\n" and (depth or not started):
                        line, base = line + 1, at
                    elif started or (piece != _END and piece != ";"):
                        raise _Unsupported
                    elif piece == _END:
                        break
                    continue
                # an operator is expected: reduce what binds tighter, then act
                threshold = thresholds.get(piece)
                if threshold is None:
                    if piece[0] in _SKIP:
                        continue
                    raise _Unsupported
                if piece == "\n":
                    line, base = line + 1, at
                    if depth:
                        continue  # inside parentheses: the statement goes on
                while ops and ops[-1][0] >= threshold:
                    precedence, gate, at_line, at_column = ops.pop()
                    if precedence == _UNARY:
                        if last_num >= 0:  # -3 is the literal -3, not a neg gate
                            self._negate(last_num, at_line, at_column)
                            last_num = -1
                            continue
                        left = vals[-1]
                        operands: tuple[int, ...] = (left,)
                        needs = requires[left]
                    else:
                        right = vals.pop()
                        left = vals[-1]
                        operands = (left, right)
                        needs = requires[left] or requires[right]
                    vals[-1] = len(gates)
                    add_gate(gate)
                    add_args(operands)
                    add_line(at_line)
                    add_column(at_column)
                    add_requires(needs)
                    add_raw(None)
                    last_num = -1
                spec = binary.get(piece)
                if spec is not None:
                    ops.append((spec[0], spec[1], line, at - base))
                    expect = True
                elif piece == ")":
                    if not depth:
                        raise _Unsupported
                    _, name, at_line, at_column = ops.pop()
                    depth -= 1
                    if name:
                        argc = argcs.pop() + 1
                        if argc != arity[name] or argc > 2:
                            raise _Unsupported  # clip's three operands: the builder's path
                        left = vals[-argc]
                        if argc == 1:
                            operands, needs = (left,), requires[left]
                        else:
                            right = vals.pop()
                            operands, needs = (left, right), requires[left] or requires[right]
                        vals[-1] = len(gates)
                        add_gate(name)
                        add_args(operands)
                        add_line(at_line)
                        add_column(at_column)
                        add_requires(needs)
                        add_raw(None)
                        last_num = -1
                elif piece == ",":
                    if not depth or not ops[-1][1]:
                        raise _Unsupported  # a tuple
                    argcs[-1] += 1
                    expect = True
                else:  # the end of a statement: a newline, ';' or the end
                    if depth or bare:
                        raise _Unsupported  # a bare expression may only be the last statement
                    node = vals[-1]
                    if target is None or augment is not None:
                        node = self._special(node, target, augment, start_line, first_new)
                        bare = target is None
                    else:
                        if node >= first_new and (raw_names[node] is None or
                                                  gates[node] == CONST):
                            version = versions.get(target, 0) + 1
                            versions[target] = version
                            if version == 1:
                                raw_names[node] = target
                            else:
                                self.fresh_requests.append((node, f"{target}_{version}"))
                        bindings[target] = node
                    output = node
                    statements += 1
                    if len(gates) > self.max_gates:
                        raise _Unsupported
                    vals.clear()
                    expect, started, last_num, target, augment = True, False, -1, None, None
                    if piece == _END:
                        break
        if not statements:
            raise _Unsupported
        graph.output = output

    def _negate(self, literal: int, line: int, column: int) -> None:
        graph = self.graph
        text = graph.literals[literal]
        text = text[1:] if text.startswith("-") else "-" + text
        graph.literals[literal] = text
        self.raw_names[literal] = text
        graph.lines[literal], graph.columns[literal] = line, column

    def _name_value(self, name: str, line: int, column: int) -> int:
        """A name not bound yet: a constant (one node however often used) or a new input."""
        graph = self.graph
        if name in CONSTANT_VALUES:
            if name not in self.constants:
                self.constants[name] = self._leaf(CONST, name, line, column)
                graph.literals[self.constants[name]] = name
            return self.constants[name]
        node = self._leaf(INPUT, name, line, column)
        graph.inputs[name] = node
        graph.bindings[name] = node
        self.versions[name] = 1
        return node

    def _leaf(self, gate: str, name: str, line: int, column: int) -> int:
        graph = self.graph
        graph.gates.append(gate)
        graph.args.append(())
        graph.lines.append(line)
        graph.columns.append(column)
        graph.requires_grad.append(gate == INPUT)
        self.raw_names.append(name)
        return len(graph.gates) - 1

    def _special(self, node: int, target: str | None, augment: str | None, line: int,
                 first_new: int) -> int:
        """A bare expression (named ``f`` in ``_finish``), or ``target op= ...``."""
        graph = self.graph
        if target is None:
            self.fresh_requests.append((node if node >= first_new else -1, OUTPUT_NAMES[0]))
            return node
        assert augment is not None
        current = graph.bindings.get(target)
        if current is None:
            raise _Unsupported  # ``c += ...`` before any ``c = ...``: c becomes an input
        requires = graph.requires_grad
        graph.gates.append(augment)
        graph.args.append((current, node))
        graph.lines.append(line)
        graph.columns.append(1)
        requires.append(requires[current] or requires[node])
        self.raw_names.append(None)
        node = len(graph.gates) - 1
        version = self.versions.get(target, 0) + 1
        self.versions[target] = version
        if version == 1:
            self.raw_names[node] = target
        else:
            self.fresh_requests.append((node, f"{target}_{version}"))
        graph.bindings[target] = node
        return node

    def _check_names(self) -> None:
        """Every name the program uses is bound (inputs and targets) or a constant; refuse
        what the tokenizer or the builder would refuse."""
        names = self.graph.bindings.keys()
        if not names.isdisjoint(_RESERVED) or max(map(len, names), default=0) > MAX_NAME_LENGTH \
                or "\n__" in "\n" + "\n".join(names):
            raise _Unsupported

    def _finish(self) -> Graph:
        """Names: versions (``c_2``), the bare output (``f``) and ``tN``, as the builder
        gives them, against every name the program uses (bound, constants, given here)."""
        graph = self.graph
        raw_names, bindings, constants = self.raw_names, graph.bindings, self.constants
        given: set[str] = set()

        def used(name: str) -> bool:
            return name in bindings or name in constants or name in given

        for node, base in self.fresh_requests:
            name, extra = base, 1
            while used(name):
                extra += 1
                name = f"{base}_{extra}" if base not in OUTPUT_NAMES else _output_name(extra)
            given.add(name)
            if node < 0:
                continue  # a bare expression naming an existing node
            if base not in OUTPUT_NAMES:
                raw_names[node] = name
                continue
            if raw_names[node] is None or graph.gates[node] == CONST:
                raw_names[node] = name
            bindings[name] = node
        generated = list(map("t%d".__mod__, range(1, raw_names.count(None) + 1)))
        if bindings.keys().isdisjoint(generated) and constants.keys().isdisjoint(generated) \
                and given.isdisjoint(generated):  # t1, t2, ... in order
            unnamed = iter(generated)
            graph.names = [next(unnamed) if raw is None else raw for raw in raw_names]
            return graph
        counter = 0
        names: list[str] = []
        for raw in raw_names:
            if raw is None:
                counter += 1
                raw = f"t{counter}"
                while used(raw):
                    counter += 1
                    raw = f"t{counter}"
            names.append(raw)
        graph.names = names
        return graph


def _piece_lists(text: str) -> Iterator[list[str]]:
    """The text's pieces, a chunk of lines at a time (no token spans a newline); the last
    list ends with _END."""
    start = 0
    while True:
        stop = text.find("\n", start + CHUNK)
        if stop < 0:
            pieces = _PIECE_RE.findall(text, start)
            pieces.append(_END)
            yield pieces
            return
        yield _PIECE_RE.findall(text, start, stop + 1)
        start = stop + 1


def _output_name(extra: int) -> str:
    return OUTPUT_NAMES[1] if extra == 2 else f"{OUTPUT_NAMES[1]}_{extra - 1}"


def _next_token(pieces: list[str], index: int) -> str:
    """The next piece that is not space or a comment (newlines count)."""
    index += 1
    while pieces[index][0] in _SKIP:
        index += 1
    return pieces[index]
