"""User-defined gates: ``def softplus(t): log(1 + exp(t))`` in a program, or a circuit file's
``[gates.NAME]`` table (``params``, ``body``, optional hand-written ``grad.PARAM``).

The body is parsed by the project's own parser; the tool builds its sympy expression from
the postfix items (sympy never sees text), and ``sympy.diff`` derives the local gradients
once per gate. Numbers are never computed by lambdify or eval: the sympy trees are compiled
into a short tape of the arithmetic's own gate functions (float, or later numpy), or, in
exact mode, substituted by sympy itself.

A hand-written local gradient (``grad.t = "sigmoid(t)"``, may use ``out``, the gate's
output) is used as given. It is compared with sympy's derivative when the gate is defined;
a disagreement is a warning, and ``backprop gradcheck`` fails such a gate numerically.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import sympy as sp

from ..errors import BackpropError, GraphError, Span
from ..language.parser import Definition, Item, parse, parse_definition
from ..limits import (
    LimitError,
    alarm,
    check_digits,
    current,
    decimal_digits,
    exact_fraction,
    exceeded,
)
from .arithmetic import FLOAT, Arithmetic
from .exact import constant_digits
from .formula import Tree
from .formula import text as formula_text
from .registry import BINARY_GATES, GATES, unknown_gate_message
from .spec import GateSpec
from .symbolic import CONSTANTS, GATE_DEFS, GATES_BY_NAME, OUT, gate_function, to_tree

Value = Any
RESERVED = frozenset({"out", "E", "I", "S", "N", "O", "Q", "oo", "zoo", "nan", "Heaviside",
                      "sign", "Max", "Min", "Abs", "re", "im", "pi", "e"})
TABLE_KEYS = frozenset({"params", "body", "grad"})
_CHECK_POINTS = (0.3, 0.7, 1.3, 2.1)


# the built-in gates written as functions of their own inside a user gate's formulas: their
# derivatives keep the row's kink convention and realness (see ``symbolic.gate_function``)
relu = gate_function("relu")
RealAbs = gate_function("abs")


@dataclass
class UserGate:
    """A user-defined gate: its definition, sympy expression and local gradients.

    ``partials`` are what is evaluated and shown (a hand-written one where given, else
    ``derived``, sympy's); ``spec`` is the gate as the rest of the tool sees it.
    """

    definition: Definition
    symbols: tuple[sp.Symbol, ...]
    expr: sp.Expr
    derived: tuple[sp.Expr, ...]
    partials: tuple[sp.Expr, ...]
    overridden: tuple[bool, ...]
    warnings: tuple[str, ...]
    spec: GateSpec = field(init=False)
    _functions: dict[int, tuple[Callable[..., Value], tuple[Callable[..., Value], ...]]] = \
        field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        forward, partials = self.functions(FLOAT)
        name, params = self.definition.name, self.definition.params
        definition = formula_tree(self.expr)
        trees = tuple(formula_tree(d, symbol) for d, symbol in zip(self.partials, self.symbols,
                                                                  strict=True))
        self.spec = GateSpec(
            name=name, params=params,
            pattern=f"{name}({', '.join('{' + p + '}' for p in params)})",
            summary="user-defined", definition=formula_text(definition),
            partial_formulas=tuple(formula_text(tree) for tree in trees),
            forward=forward, partials=partials, definition_tree=definition,
            partial_trees=trees, code_trees=())

    def tape_steps(self) -> int:
        """Steps of the gate's tapes (forward and local gradients): each holds an array."""
        forward, partials = self.functions(FLOAT)
        return sum(len(tape.steps) for tape in (forward, *partials) if isinstance(tape, Tape))

    @property
    def body(self) -> list[Item]:
        return self.definition.rpn

    @property
    def numeric_partials(self) -> tuple[sp.Expr, ...]:
        return self.partials

    def functions(self, arithmetic: Arithmetic) -> tuple[Callable[..., Value],
                                                         tuple[Callable[..., Value], ...]]:
        """The forward function and local gradients in ``arithmetic``'s number system."""
        key = id(arithmetic)
        if key not in self._functions:
            inputs = (*self.symbols, OUT)
            if arithmetic.exact:
                made = (_substituter(self.expr, self.symbols),
                        tuple(_substituter(d, inputs) for d in self.partials))
            else:
                made = (Tape(self.expr, self.symbols, arithmetic, self.definition.name),
                        tuple(Tape(d, inputs, arithmetic, self.definition.name)
                              for d in self.partials))
            self._functions[key] = made
        return self._functions[key]


def define_gates(definitions: Sequence[Definition]) -> dict[str, UserGate]:
    """Every definition in order; a gate may use the gates defined before it."""
    gates: dict[str, UserGate] = {}
    seconds = current().exact_seconds
    # sympy may search for ever (a minimal polynomial of degree 10**400): a time budget
    with alarm(seconds, f"defining the user gates took longer than {seconds:g} s; raise it "
                        "with --limit exact-seconds=N"):
        for definition in definitions:
            try:
                gates[definition.name] = _define(definition, gates)
            except BackpropError as error:
                raise error.located(definition.source, definition.where) from None
            except RecursionError:  # sympy's simplification of a deeply nested choice
                raise _error(f"sympy could not derive the derivatives of gate "
                             f"{definition.name} (it reached its recursion limit); split "
                             "the body into smaller gates",
                             definition) from None
    return gates


def _error(message: str, definition: Definition, item: Item | None = None) -> GraphError:
    span = definition.span if item is None else \
        Span(item.line, item.column, max(len(item.text), 1))
    return GraphError(message, source=definition.source, span=span, where=definition.where)


def _define(definition: Definition, known: Mapping[str, UserGate]) -> UserGate:
    name = definition.name
    if name in known:  # a built-in gate of the same name is shadowed, as a def in Python
        raise _error(f"gate {name!r} is already defined", definition)
    if name in RESERVED or name in CONSTANTS:
        raise _error(f"{name!r} cannot be a gate's name", definition)
    for param in definition.params:
        if param in GATES or param in known or param in RESERVED or param in CONSTANTS:
            raise _error(f"{param!r} cannot be a parameter name", definition)
    if len(definition.params) > current().gate_terms:  # a derivative for each: sympy's work
        raise exceeded(f"the parameters of gate {name}", len(definition.params), "gate_terms",
                       source=definition.source, span=definition.span)
    symbols = tuple(sp.Symbol(p, real=True) for p in definition.params)
    names: dict[str, sp.Expr] = dict(zip(definition.params, symbols, strict=True))
    expr = _bounded(_build(definition.rpn, names, known, definition), definition, "")
    try:
        derived = tuple(sp.powsimp(_bounded(sp.diff(expr, s), definition, f"d/d{s} of "))
                        for s in symbols)
    except ValueError:  # sympy: a step function of a complex argument ((-1e308) ** t)
        raise _error(f"gate {name} has a derivative that is not a real number (a negative "
                     "base raised to a power of its parameters?)", definition) from None
    partials, overridden, warnings = list(derived), [False] * len(symbols), []
    for param, rpn, text in definition.overrides:
        if param not in names:
            raise _error(f"grad.{param}: {param!r} is not a parameter of {name}", definition)
        index = definition.params.index(param)
        formula = replace(definition, source=text, where=f"grad.{param} of {definition.where}")
        given = _build(rpn, {**names, "out": OUT}, known, formula)
        partials[index], overridden[index] = given, True
        if _differs(given.xreplace({OUT: expr}), derived[index], symbols):
            warnings.append(f"gate {name}: the given local gradient d/d{param} = {text} is "
                            f"not sympy's derivative {sp.sstr(derived[index])}; it is used "
                            "as given (backprop gradcheck tells which is right)")
    return UserGate(definition, symbols, expr, derived, tuple(partials), tuple(overridden),
                    tuple(warnings))


def tree_size(expr: sp.Expr) -> int:
    """The number of nodes of ``expr`` written out as a tree (shared subtrees counted each
    time they occur), computed over the distinct subexpressions, without recursion."""
    sizes: dict[sp.Basic, int] = {}
    pending: list[tuple[sp.Basic, bool]] = [(expr, False)]
    while pending:
        node, ready = pending.pop()
        if node in sizes:
            continue
        if ready or not node.args:
            sizes[node] = 1 + sum(sizes[arg] for arg in node.args)
        else:
            pending.append((node, True))
            pending.extend((arg, False) for arg in node.args)
    return sizes[expr]


def _bounded(expr: sp.Expr, definition: Definition, what: str) -> sp.Expr:
    """Refuse a definition whose expression (a gate built on gates grows fast) or
    derivative is too large to differentiate or show."""
    size = tree_size(expr)
    if size > current().gate_terms:
        raise exceeded(f"{what}gate {definition.name} written out as a tree", size,
                       "gate_terms", source=definition.source, span=definition.span)
    if expr.has(*_NOT_FINITE):
        raise _error(f"{what}gate {definition.name} is not finite ({sp.sstr(expr)[:80]})",
                     definition)
    return expr


def _build(rpn: Sequence[Item], names: Mapping[str, sp.Expr], known: Mapping[str, UserGate],
           definition: Definition) -> sp.Expr:
    """The sympy expression of postfix items (built here, never parsed from text).

    Beside each number sympy folds runs its double, computed as the engine computes the
    written-out body: a choice on a number that the two decide differently (``sin(pi)`` is 0
    exactly, 1.2e-16 in doubles) is refused rather than answered two ways."""
    stack: list[sp.Expr] = []
    doubles: list[float | None] = []  # the engine's value of each folded number, or None
    for item in rpn:
        count = _ARITY.get(item.kind, item.argc)
        operands, arguments = doubles[len(doubles) - count:], stack[len(stack) - count:]
        del doubles[len(doubles) - count:]
        if item.kind == "num":
            stack.append(_number(item, definition))
        elif item.kind == "name":
            stack.append(_name(item, names, known, definition))
        elif item.kind == "unary":
            stack.append(-stack.pop())
        elif item.kind == "binary":
            right, left = stack.pop(), stack.pop()
            gate = BINARY_GATES[item.text]
            if gate not in GATES_BY_NAME and gate not in _ARITHMETIC:
                raise _error(f"gate {definition.name}: {item.text} ({gate}) works on arrays; "
                             "a user-defined gate works on numbers", definition, item)
            stack.append(_folded(item, definition, _binary, gate, left, right))
        else:
            args = stack[len(stack) - item.argc:]
            del stack[len(stack) - item.argc:]
            stack.append(_folded(item, definition, _call, item, args, known, definition))
        _same_choice(item, arguments, operands, known, definition)
        doubles.append(_double(item, operands, known))
    return stack[-1]


_ARITY = {"num": 0, "name": 0, "unary": 1, "binary": 2}


def _gate_name(item: Item) -> str:
    return BINARY_GATES.get(item.text, "") if item.kind == "binary" else item.text


def _double(item: Item, operands: list[float | None], known: Mapping[str, UserGate]
            ) -> float | None:
    """The engine's double for a number of the body (None for anything else)."""
    try:
        if item.kind in ("num", "name"):
            return FLOAT.literal(item.text) if item.kind == "num" or item.text in CONSTANTS \
                else None
        if any(value is None for value in operands):
            return None
        if item.kind == "unary":
            return -operands[0]  # type: ignore[operator]
        name = _gate_name(item)
        function = known[name].functions(FLOAT)[0] if name in known else FLOAT.forwards[name]
        value = float(function(*operands))
    except (ArithmeticError, ValueError, TypeError, KeyError, BackpropError):
        return None
    return value if math.isfinite(value) else None


_COMPARISONS = frozenset({"gt", "lt", "ge", "le", "eq", "ne"})


def _same_choice(item: Item, args: list[sp.Expr], doubles: list[float | None],
                 known: Mapping[str, UserGate], definition: Definition) -> None:
    """Refuse a choice on numbers (where, sign, a comparison, or a user gate that holds one)
    that sympy's exact value and the engine's double make differently."""
    try:
        _compare_choices(item, args, doubles, known, definition)
    except (ValueError, TypeError, ArithmeticError):  # sympy cannot tell: the tape decides
        return


def _compare_choices(item: Item, args: list[sp.Expr], doubles: list[float | None],
                     known: Mapping[str, UserGate], definition: Definition) -> None:
    name = _gate_name(item)
    if item.kind not in ("binary", "call") or len(args) != len(doubles):
        return
    if name in ("where", "sign") and args and args[0].is_number and doubles[0] is not None:
        exact = sp.sign(args[0])
        if exact.is_Integer and int(exact) != (doubles[0] > 0) - (doubles[0] < 0):
            raise _differently(item, args[0], doubles[0], definition)
    elif name in _COMPARISONS and all(a.is_number for a in args) and None not in doubles:
        holds = GATES_BY_NAME[name].expr.xreplace(
            dict(zip(GATES_BY_NAME[name].params, args, strict=True)))
        if holds.is_Integer and int(holds) != FLOAT.forwards[name](*doubles):
            raise _differently(item, args[0] - args[1], doubles[0] - doubles[1],  # type: ignore[operator]
                               definition, "compares two numbers whose difference is")
    elif name in known and known[name].expr.has(sp.Piecewise, sp.sign):
        for arg, double in zip(args, doubles, strict=True):
            if arg.is_number and double is not None and float(arg.evalf(30)) != double:
                raise _differently(item, arg, double, definition)


def _differently(item: Item, exact: sp.Expr, double: float, definition: Definition,
                 what: str = "chooses on a number that is") -> GraphError:
    shown = str(exact) if exact.is_Integer and abs(exact) < 10**15 else sp.sstr(sp.N(exact, 6))
    return _error(f"gate {definition.name}: {item.text} {what} {shown} in exact arithmetic "
                  f"but {double:.6g} in floating point, so the two would choose differently; "
                  "write the number the choice means", definition, item)


_NOT_FINITE = (sp.nan, sp.zoo, sp.oo, -sp.oo)
_ARITHMETIC = frozenset({"add", "sub", "mul", "div", "pow"})


def _number(item: Item, definition: Definition) -> sp.Expr:
    """A literal as an exact number, bounded by exact-digits before it is computed."""
    try:
        fraction = exact_fraction(item.text)
    except LimitError as error:
        raise _error(error.message, definition, item) from None
    return sp.Rational(fraction.numerator, fraction.denominator)


def _reason(error: Exception) -> str:
    """sympy's complaint in the course's words where it names its own infinities."""
    text = str(error)
    if "non-real" in text or "zoo" in text:
        return "one side is not a real number everywhere, as log(0) or 1/0 is not"
    return text


def _folded(item: Item, definition: Definition, make: Callable[..., sp.Expr],
            *args: Any) -> sp.Expr:
    """An operation of the body; sympy folds numbers at once (``9**9**9``, ``0**-1``), so
    their size is bounded as the program's are and a number that is not finite is an error."""
    try:
        result = make(*args)
    except LimitError as error:
        raise _error(error.message, definition, item) from None
    except BackpropError:
        raise
    except (ValueError, TypeError, ArithmeticError) as error:
        raise _error(f"gate {definition.name}: {item.text} cannot be computed here "
                     f"({_reason(error)})", definition, item) from None
    if result in _NOT_FINITE or any(arg in _NOT_FINITE for arg in result.args):
        raise _error(f"gate {definition.name}: {item.text} gives {result}, not a finite "
                     "number", definition, item)
    if result.is_Rational:
        _check_rational(result, item, definition)
    elif result.is_number:
        try:
            check_digits(f"a number in gate {definition.name}", constant_digits(result))
        except LimitError as error:
            raise _error(error.message, definition, item) from None
        if result.evalf(15).as_real_imag()[1] != 0:  # numerically: sympy's assumptions
            raise _error(f"gate {definition.name}: {item.text} gives a number that is not "
                         "real", definition, item)  # may search a minimal polynomial
    return result


def _check_rational(number: sp.Rational, item: Item, definition: Definition) -> None:
    digits = max(decimal_digits(int(number.p)), decimal_digits(int(number.q)))
    try:
        check_digits(f"a number in gate {definition.name}", digits)
    except LimitError as error:
        raise _error(error.message, definition, item) from None


def _power_digits(base: sp.Expr, exponent: sp.Expr) -> int:
    """The digits of base ** exponent for rational numbers, from logarithms (0 otherwise)."""
    if not (base.is_Rational and exponent.is_Rational) or base == 0:
        return 0
    magnitude = max(abs(base.p), base.q)
    if magnitude <= 1:
        return 0
    return int(abs(Fraction(int(exponent.p), int(exponent.q))) * math.log10(magnitude)) + 1


def _name(item: Item, names: Mapping[str, sp.Expr], known: Mapping[str, UserGate],
          definition: Definition) -> sp.Expr:
    if item.text in names:
        return names[item.text]
    if item.text in CONSTANTS:
        return CONSTANTS[item.text]
    if item.text in GATES or item.text in known:
        raise _error(f"{item.text!r} is a gate; call it as {item.text}(...)", definition, item)
    allowed = ", ".join(n for n in names)
    raise _error(f"gate {definition.name} uses {item.text!r}, which is not one of its "
                 f"parameters ({allowed})", definition, item)


def _binary(gate: str, left: sp.Expr, right: sp.Expr) -> sp.Expr:
    if gate == "add":
        return left + right
    if gate == "sub":
        return left - right
    if gate == "mul":
        return left * right
    if gate == "div":
        return left / right
    if gate != "pow":  # a comparison: the row's definition
        row = GATES_BY_NAME[gate]
        return row.expr.xreplace(dict(zip(row.params, (left, right), strict=True)))
    check_digits("a power of numbers", _power_digits(left, right))
    if left.is_number and right.is_number:  # sympy would expand sqrt(2) ** 1e309 first
        check_digits("a power of numbers", constant_digits(sp.Pow(left, right,
                                                                  evaluate=False)))
    return left**right


def _call(item: Item, args: list[sp.Expr], known: Mapping[str, UserGate],
          definition: Definition) -> sp.Expr:
    name = item.text
    if name == definition.name:
        raise _error(f"gate {name} cannot use itself", definition, item)
    if name in known:
        params, expr = known[name].symbols, known[name].expr
    elif name in GATES_BY_NAME:
        params, expr = GATES_BY_NAME[name].params, GATES_BY_NAME[name].expr
    else:
        raise _error(unknown_gate_message(name, [*known, *GATES_BY_NAME],
                                          "gates must be defined before use"), definition, item)
    if len(args) != len(params):
        plural = "s" if len(params) != 1 else ""
        raise _error(f"{name}() takes {len(params)} argument{plural}, got {len(args)}",
                     definition, item)
    if name == "relu":
        return relu(args[0])
    if name == "abs":
        return RealAbs(args[0])
    mapping = dict(zip(params, args, strict=True))
    if any(arg.is_number for arg in args):  # sympy would compute (10**617) ** (10**617) first
        with sp.evaluate(False):
            unevaluated = expr.xreplace(mapping)
        check_digits(f"a number in gate {definition.name}", constant_digits(unevaluated))
    return expr.xreplace(mapping)


def _differs(given: sp.Expr, derived: sp.Expr, symbols: Sequence[sp.Symbol]) -> bool:
    """Whether a hand-written derivative disagrees with sympy's (checked numerically where
    sympy cannot simplify the difference to 0)."""
    difference = (given - derived).rewrite(sp.exp).rewrite(sp.Max)
    if sp.simplify(difference) == 0:
        return False
    for point in _CHECK_POINTS:
        value = complex(difference.subs({s: point + k / 10 for k, s in enumerate(symbols)})
                        .evalf())
        if value == value and abs(value) > 1e-9 * (1 + abs(complex(derived.subs(
                {s: point + k / 10 for k, s in enumerate(symbols)}).evalf()))):
            return True
    return False


# ------------------------------------------------------------------------ evaluation

def _substituter(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Callable[..., sp.Expr]:
    """Exact mode: sympy substitutes exact numbers into the tool-built expression."""
    from .exact import as_sympy, settle_exact

    powers = [node for node in reversed(list(sp.preorder_traversal(expr)))
              if node.is_Pow and node.exp.is_Rational and abs(node.exp) > 1]

    def apply(*values: sp.Expr | Fraction) -> sp.Expr:
        mapping = {symbol: as_sympy(value) if isinstance(value, Fraction) else value
                   for symbol, value in zip(symbols, values, strict=True)}
        for power in powers:  # t**10**9 at t = 10 is refused before sympy computes it
            check_digits("an exact power", _power_digits(power.base.xreplace(mapping),
                                                         power.exp))
        return settle_exact(expr.xreplace(mapping))

    return apply


class Tape:
    """A sympy expression compiled into steps of the arithmetic's own gate functions.

    Only whitelisted node types are accepted (numbers, pi, e, the parameters, + * **, the
    gates' functions, and the Heaviside/sign steps of their derivatives); anything else is
    an error when the gate is defined, never at evaluation time.
    """

    def __init__(self, expr: sp.Expr, symbols: Sequence[sp.Symbol], arithmetic: Arithmetic,
                 gate: str) -> None:
        self.arithmetic, self.gate, self.symbols = arithmetic, gate, tuple(symbols)
        self.width = len(symbols)
        self.registers: list[Value] = [arithmetic.zero] * self.width
        self.steps: list[tuple[Callable[..., Value], tuple[int, ...], int]] = []
        self.slots: dict[sp.Expr, int] = {s: i for i, s in enumerate(symbols)}
        self.result = self._compile(expr)

    def __call__(self, *values: Value) -> Value:
        registers = list(self.registers)
        registers[:self.width] = values[:self.width]
        for function, args, out in self.steps:
            registers[out] = function(*[registers[a] for a in args])
        return registers[self.result]

    def _constant(self, value: Value) -> int:
        self.registers.append(value)
        return len(self.registers) - 1

    def _step(self, function: Callable[..., Value], args: tuple[int, ...]) -> int:
        out = self._constant(self.arithmetic.zero)
        self.steps.append((function, args, out))
        return out

    def _compile(self, root: sp.Expr) -> int:
        """Post-order over the tree with an explicit stack; shared subtrees computed once."""
        pending: list[tuple[sp.Expr, bool]] = [(root, False)]
        while pending:
            node, ready = pending.pop()
            if node in self.slots:
                continue
            leaf = self._leaf(node)
            if leaf is not None:
                self.slots[node] = leaf
            elif ready:
                self.slots[node] = self._apply(node, [self.slots[a] for a in _operands(node)])
            else:
                pending.append((node, True))
                pending.extend((arg, False) for arg in _operands(node))
        return self.slots[root]

    def _leaf(self, node: sp.Expr) -> int | None:
        try:
            return self._number(node)
        except OverflowError:
            raise GraphError(f"gate {self.gate}: the number {_short_number(node)} in its "
                             "definition or derivative is too large for a double") from None

    def _number(self, node: sp.Expr) -> int | None:
        literal = self.arithmetic.literal
        if node.is_Rational:  # sympy may fold a derivative's constant past exact-digits
            check_digits(f"a number in gate {self.gate} or its derivative",
                         max(decimal_digits(int(node.p)), decimal_digits(int(node.q))))
        if node.is_Integer:
            return self._constant(literal(str(int(node))))
        if node.is_Rational:
            return self._constant(self.arithmetic.forwards["div"](
                literal(str(node.p)), literal(str(node.q))))
        if node.is_Float:
            return self._constant(literal(repr(float(node))))
        if node is sp.pi or node is sp.E:
            return self._constant(literal("pi" if node is sp.pi else "e"))
        if node.is_Symbol:
            raise GraphError(f"gate {self.gate}: unknown symbol {node} in its derivative")
        return None

    def _choice(self, node: sp.Piecewise, args: list[int]) -> int:
        """``v if lhs REL rhs else w``: on numbers only the chosen value is computed (the
        other may divide by 0 there, as 1/x where x == 0 is not chosen); arrays compute
        both, elementwise, as numpy's where does."""
        relation = node.args[0].cond
        holds = self._step(self.arithmetic.forwards[_RELATIONS[type(relation)]], tuple(args))
        pick = self.arithmetic.forwards["where"]
        chosen, other = (Tape(piece.expr, self.symbols, self.arithmetic, self.gate)
                         for piece in node.args)

        def choose(condition: Value, *values: Value) -> Value:
            if hasattr(condition, "shape"):
                return pick(condition, chosen(*values), other(*values))
            return chosen(*values) if condition else other(*values)

        return self._step(choose, (holds, *range(self.width)))

    def _apply(self, node: sp.Expr, args: list[int]) -> int:
        forwards, partials = self.arithmetic.forwards, self.arithmetic.partials
        if node.is_Add or node.is_Mul or isinstance(node, sp.Max | sp.Min):
            gate = "add" if node.is_Add else "mul" if node.is_Mul else \
                "max" if isinstance(node, sp.Max) else "min"
            result = args[0]
            for arg in args[1:]:
                result = self._step(forwards[gate], (result, arg))
            return result
        if node.is_Pow:
            if node.exp == sp.Rational(1, 2):
                return self._step(forwards["sqrt"], (args[0],))
            return self._step(forwards["pow"], (args[0], args[1]))
        if isinstance(node, sp.Heaviside):
            if len(node.args) == 1 or node.args[1] == sp.Rational(1, 2):
                zero = self._constant(self.arithmetic.zero)
                return self._step(lambda x, z: partials["max"][0](x, z, None), (args[0], zero))
            if node.args[1] == 0:
                return self._step(lambda x: partials["relu"][0](x, None), (args[0],))
            if node.args[1] == 1:  # 1 at 0: one minus the step of -x that is 0 at 0
                one = self._constant(self.arithmetic.one)
                return self._step(lambda x, o: o - partials["relu"][0](-x, None),
                                  (args[0], one))
        if isinstance(node, sp.Piecewise) and args:  # where(lhs REL rhs, v, w)
            return self._choice(node, args)
        if isinstance(node, sp.sign):
            return self._step(lambda x: partials["abs"][0](x, None), (args[0],))
        name = _FUNCTIONS.get(type(node))
        if name is not None:
            return self._step(forwards[name], tuple(args))
        raise GraphError(f"gate {self.gate}: cannot evaluate {type(node).__name__} "
                         "(it appears in its definition or derivative)")


_RELATIONS: dict[type, str] = {sp.StrictGreaterThan: "gt", sp.StrictLessThan: "lt",
                               sp.GreaterThan: "ge", sp.LessThan: "le", sp.Equality: "eq",
                               sp.Unequality: "ne"}


def _operands(node: sp.Expr) -> tuple[sp.Expr, ...]:
    """What a node is computed from: its arguments, or for a choice between two values
    ``Piecewise((v, lhs REL rhs), (w, True))`` (comparisons, where): lhs and rhs."""
    if isinstance(node, sp.Piecewise) and len(node.args) == 2 and \
            node.args[1].cond == sp.true and type(node.args[0].cond) in _RELATIONS:
        condition = node.args[0].cond
        return condition.lhs, condition.rhs  # the two values are compiled apart (_choice)
    if isinstance(node, sp.Piecewise):
        return ()  # refused by _apply with its name
    return tuple(node.args)


def _short_number(node: sp.Expr) -> str:
    if node.is_Rational and max(abs(node.p), node.q).bit_length() > 200:
        return f"of about {decimal_digits(int(max(abs(node.p), node.q))):,} digits"
    return str(sp.sstr(node))


# sympy function -> the gate that evaluates it: the rows whose definition is one function
# of their parameter (exp, log, sigmoid, ...), and the gates written as functions above
_FUNCTIONS: dict[type, str] = {
    **{type(gate.expr): gate.name for gate in GATE_DEFS
       if isinstance(gate.expr, sp.Function) and gate.expr.args == gate.params},
    relu: "relu", RealAbs: "abs"}


# ------------------------------------------------------------------------ circuit files

def table_definitions(table: Mapping[str, Any], where: str) -> list[Definition]:
    """A circuit file's ``[gates]`` table as definitions, in the order written."""
    definitions = []
    for name, entry in table.items():
        here = f"gate {name} of {where}"
        if not isinstance(entry, Mapping):
            raise GraphError(f"{here}: write [gates.{name}] with params and body")
        unknown = sorted(set(entry) - TABLE_KEYS)
        if unknown:
            raise GraphError(f"{here}: unknown key {unknown[0]!r} (known: grad, params, body)")
        params, body, grads = entry.get("params"), entry.get("body"), entry.get("grad", {})
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            raise GraphError(f"{here}: params must be a list of names, e.g. params = [\"t\"]")
        if not isinstance(body, str) or not isinstance(grads, Mapping):
            raise GraphError(f"{here}: body must be text; grad a table of texts")
        text = f"def {name}({', '.join(params)}): {body}"
        try:
            parsed = parse_definition(text)
        except BackpropError as error:
            raise error.located(text, here) from None
        overrides = tuple((str(param), _expression_rpn(str(formula), f"grad.{param} of {here}"),
                           str(formula)) for param, formula in grads.items())
        definitions.append(Definition(parsed.name, parsed.params, parsed.rpn, parsed.span,
                                      text, here, overrides))
    return definitions


def _expression_rpn(text: str, where: str) -> list[Item]:
    try:
        program = parse(text)
    except BackpropError as error:
        raise error.located(text, where) from None
    if program.definitions or len(program.statements) != 1 or \
            program.statements[0].target is not None:
        raise GraphError(f"{where}: write one expression")
    return program.statements[0].rpn


def formula_tree(expr: sp.Expr, param: sp.Symbol | None = None) -> Tree:
    """A formula of a user-defined gate as a tree (as a built-in gate's), or sympy's text
    as one leaf where sympy wrote something the trees do not hold."""
    try:
        return to_tree(expr, param)
    except ValueError:
        return ("v", sp.sstr(expr))
