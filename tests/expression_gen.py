"""Random expression trees for the oracle tests, and three things built from each tree:

* the program TEXT fed to the tool (minimal parentheses by precedence, plus some redundant
  ones, alternative spellings of power, and sometimes subexpressions hoisted into
  ``hN = ...`` statements);
* an independent sympy expression, built node by node from the tree (never by parsing text);
* a high-precision (mpmath, 50 digits) walk of the tree that gives every intermediate value
  and says whether a point is cleanly inside every gate's domain, on a kink or domain edge
  (to be discarded), or outside a domain (where the tool must raise ``DomainError``).

Nothing here imports the library under test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache

import mpmath
import sympy as sp
from hypothesis import strategies as st

VARIABLES = ("x", "y", "z", "w")
CONSTANTS = ("0.25", "0.5", "1", "1.5", "2", "2.5", "3", ".5", "2.", "1e-1", "pi", "e")
UNARY_CALLS = ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs",
               "softplus", "sign", "log1p")
BINARY_CALLS = ("max", "min", "leaky_relu")
BINARY_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
COMPARISONS = {"gt": ">", "lt": "<", "ge": ">=", "le": "<=", "eq": "==", "ne": "!="}
# every gate the tool has; "pow" is written a ** b, a ^ b or pow(a, b)
BINARY_GATES = (*BINARY_OPERATORS, "pow", *BINARY_CALLS, *COMPARISONS)
UNARY_GATES = ("neg", *UNARY_CALLS)
TERNARY_GATES = ("clip", "where")
TERNARY_PERCENT = 8  # chance that an inner node is a three-input gate
GATES = (*BINARY_GATES, *UNARY_GATES, *TERNARY_GATES)
POW_SPELLINGS = ("**", "^", "call")
MAX_DEPTH = 5
LEAF_PERCENT = (0, 5, 15, 30, 50)  # chance that a node at depth d is a leaf (always at 5)
BINARY_PERCENT = 55  # chance that an inner node is a two-input gate

EDGE = 1e-3  # how close to a kink or domain edge a point may come
BIG = 1e6  # largest magnitude any intermediate value may have
TAN_POLE = 1e-2  # smallest |cos(a)| allowed for tan(a)
DIGITS = 50


@dataclass(frozen=True)
class Node:
    """One gate application, or a leaf (``input`` with a name, ``const`` with a literal).

    ``spelling`` chooses how ``pow`` is written; ``paren`` adds redundant parentheses;
    ``hoist`` moves the subexpression into its own statement ``hN = ...`` (for + - * /,
    ``augment`` writes that as ``hN = a`` then ``hN += b``).
    """

    kind: str
    args: tuple[Node, ...] = ()
    text: str = ""
    spelling: str = ""
    paren: bool = False
    hoist: bool = False
    augment: bool = False

    def variables(self) -> frozenset[str]:
        return _variables(self)

    def has_inputs(self) -> bool:
        return bool(self.variables())

    def size(self) -> int:
        return 1 + sum(arg.size() for arg in self.args)


@cache
def _variables(node: Node) -> frozenset[str]:
    if node.kind == "input":
        return frozenset({node.text})
    return frozenset().union(*(_variables(arg) for arg in node.args))


# ----------------------------------------------------------------------------- strategies

@st.composite
def trees(draw: st.DrawFn, max_depth: int = MAX_DEPTH) -> Node:
    """An expression tree of depth <= ``max_depth`` over the whole gate set."""
    return _tree(draw, 0, max_depth)


def _tree(draw: st.DrawFn, depth: int, max_depth: int) -> Node:
    if depth >= max_depth or draw(st.integers(0, 99)) < LEAF_PERCENT[depth]:
        if draw(st.integers(0, 3)) == 0:
            return Node("const", text=draw(st.sampled_from(CONSTANTS)))
        return Node("input", text=draw(st.sampled_from(VARIABLES)))
    chance = draw(st.integers(0, 99))
    if chance < TERNARY_PERCENT:
        kind = draw(st.sampled_from(TERNARY_GATES))
    elif chance < BINARY_PERCENT:
        kind = draw(st.sampled_from(BINARY_GATES))
    else:
        kind = draw(st.sampled_from(UNARY_GATES))
    arity = 1 if kind in UNARY_GATES else 3 if kind in TERNARY_GATES else 2
    args = tuple(_tree(draw, depth + 1, max_depth) for _ in range(arity))
    spelling = draw(st.sampled_from(POW_SPELLINGS)) if kind == "pow" else ""
    paren = draw(st.integers(0, 7)) == 0
    hoist = depth > 0 and draw(st.integers(0, 9)) == 0
    augment = hoist and kind in BINARY_OPERATORS and draw(st.booleans())
    return Node(kind, args, spelling=spelling, paren=paren, hoist=hoist, augment=augment)


def points(variables: frozenset[str]) -> st.SearchStrategy[dict[str, float]]:
    """Input values for ``variables``: mostly in [-3, 3], sometimes a little wider."""
    value = st.one_of(st.floats(-3, 3, allow_nan=False, allow_infinity=False),
                      st.floats(-12, 12, allow_nan=False, allow_infinity=False))
    return st.fixed_dictionaries({name: value for name in sorted(variables)})


# ----------------------------------------------------------------------------- text

PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4,
              **dict.fromkeys(COMPARISONS, 0)}
ATOM = 5


def _precedence(node: Node) -> int:
    if node.kind == "pow" and node.spelling == "call":
        return ATOM
    return PRECEDENCE.get(node.kind, ATOM)


@dataclass
class _Writer:
    """Writes a tree as text, collecting the statements of hoisted subexpressions."""

    statements: list[str] = field(default_factory=list)
    count: int = 0

    def write(self, node: Node, root: bool = False) -> str:
        if node.hoist and not root:
            return self._hoist(node)
        text = self._write(node)
        return f"({text})" if node.paren else text

    def _hoist(self, node: Node) -> str:
        if node.augment:
            left, right = self.write(node.args[0]), self.write(node.args[1])
            self.count += 1
            name = f"h{self.count}"
            operator = BINARY_OPERATORS[node.kind]
            self.statements += [f"{name} = {left}", f"{name} {operator}= {right}"]
        else:
            text = self._write(node)
            self.count += 1
            name = f"h{self.count}"
            self.statements.append(f"{name} = {text}")
        return name

    def _operand(self, node: Node, parens: bool) -> str:
        text = self.write(node)
        if node.hoist or node.paren:
            return text
        return f"({text})" if parens else text

    def _write(self, node: Node) -> str:
        kind, args = node.kind, node.args
        if kind in ("input", "const"):
            return node.text
        if kind == "neg":
            return "-" + self._operand(args[0], _precedence(args[0]) < PRECEDENCE["neg"])
        if kind in BINARY_OPERATORS:
            level = PRECEDENCE[kind]
            left = self._operand(args[0], _precedence(args[0]) < level)
            right = self._operand(args[1], _precedence(args[1]) <= level)
            return f"{left} {BINARY_OPERATORS[kind]} {right}"
        if kind in COMPARISONS:  # they never chain: a comparison operand is parenthesised
            left = self._operand(args[0], _precedence(args[0]) <= 0)
            right = self._operand(args[1], _precedence(args[1]) <= 0)
            return f"{left} {COMPARISONS[kind]} {right}"
        if kind == "pow" and node.spelling != "call":
            # right-associative; a unary minus may follow the operator (x ** -y)
            left = self._operand(args[0], _precedence(args[0]) <= PRECEDENCE["pow"])
            right_parens = _precedence(args[1]) < PRECEDENCE["pow"] and args[1].kind != "neg"
            right = self._operand(args[1], right_parens)
            return f"{left} {node.spelling} {right}"
        return f"{kind}({', '.join(self.write(arg) for arg in args)})"


def program_text(tree: Node, final: str = "bare", separator: str = "\n") -> str:
    """The program for ``tree``: hoisted statements, then the expression (bare or ``f = ...``)."""
    writer = _Writer()
    body = writer.write(tree, root=True)
    last = body if final == "bare" else f"f = {body}"
    return separator.join([*writer.statements, last])


# ----------------------------------------------------------------------------- sympy

def symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def sympy_literal(text: str) -> sp.Expr:
    if text == "pi":
        return sp.pi
    if text == "e":
        return sp.E
    fraction = Fraction(text)
    return sp.Rational(fraction.numerator, fraction.denominator)


def sympy_gate(kind: str, args: list[sp.Expr]) -> sp.Expr:
    """A gate applied to sympy arguments, written out from its textbook definition."""
    if kind == "add":
        return args[0] + args[1]
    if kind == "sub":
        return args[0] - args[1]
    if kind == "mul":
        return args[0] * args[1]
    if kind == "div":
        return args[0] / args[1]
    if kind == "pow":
        return sp.Pow(args[0], args[1])
    if kind == "neg":
        return -args[0]
    if kind == "sigmoid":
        return 1 / (1 + sp.exp(-args[0]))
    if kind == "softplus":
        return sp.log(1 + sp.exp(args[0]))
    if kind == "relu":
        return sp.Max(0, args[0])
    if kind == "abs":
        return sp.Abs(args[0])
    if kind == "leaky_relu":
        return sp.Max(args[0], 0) + args[1] * sp.Min(args[0], 0)  # as relu: Max and Min
    if kind == "max":
        return sp.Max(args[0], args[1])
    if kind == "min":
        return sp.Min(args[0], args[1])
    if kind == "clip":
        return sp.Min(sp.Max(args[0], args[1]), args[2])
    if kind == "where":  # b where a != 0, else c: written with steps (as the comparisons)
        return args[2] + (args[1] - args[2]) * (1 - _equal(args[0], sp.Integer(0)))
    if kind in COMPARISONS:
        return _comparison(kind, args[0], args[1])
    if kind == "log1p":
        return sp.log(1 + args[0])
    if kind == "sign":  # sympy's sign differentiates to DiracDelta even off 0: as steps
        return sp.Heaviside(args[0], 0) - sp.Heaviside(-args[0], 0)
    function = {"exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "sin": sp.sin,
                "cos": sp.cos, "tan": sp.tan, "tanh": sp.tanh}[kind]
    return function(args[0])


def _equal(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """1 where a = b, else 0: two unit steps (the value at 0 is the second argument)."""
    return sp.Heaviside(a - b, 1) * sp.Heaviside(b - a, 1)


def _comparison(kind: str, a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """A comparison as unit steps: their derivative is 0 away from a tie."""
    if kind == "eq":
        return _equal(a, b)
    if kind == "ne":
        return 1 - _equal(a, b)
    strict = kind in ("gt", "lt")
    difference = a - b if kind in ("gt", "ge") else b - a
    return sp.Heaviside(difference, 0 if strict else 1)


@cache
def to_sympy(node: Node) -> sp.Expr:
    """The tree as a sympy expression over real symbols (built, never parsed)."""
    if node.kind == "input":
        return symbol(node.text)
    if node.kind == "const":
        return sympy_literal(node.text)
    return sympy_gate(node.kind, [to_sympy(arg) for arg in node.args])


@cache
def sympy_gradient(node: Node) -> dict[str, sp.Expr]:
    """d tree / d variable for every variable of the tree, by ``sympy.diff``."""
    expr = to_sympy(node)
    return {name: sp.diff(expr, symbol(name)) for name in sorted(node.variables())}


def sympy_number(expr: sp.Expr, point: dict[str, float]) -> complex | None:
    """``expr`` at ``point`` (inputs as 50-digit floats), as a complex number; None if it is
    not a finite number."""
    subs = {symbol(name): sp.Float(value, DIGITS) for name, value in point.items()}
    try:
        value = expr.xreplace(subs).evalf(30)
        # evalf leaves a step whose argument mixes floats and exact constants unevaluated
        # (Heaviside(-1/4 + 1/(-4.0 + 2*E))): evaluate the argument first
        # (a comparison's derivative, DiracDelta, likewise)
        value = value.replace(lambda e: isinstance(e, sp.Heaviside | sp.DiracDelta),
                              lambda e: e.func(*(sp.N(a, 30) for a in e.args))).evalf(30)
    except (ZeroDivisionError, TypeError):  # TypeError: a comparison of zoo (Piecewise)
        return None
    if value.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or not value.is_number:
        return None
    try:
        return complex(value)
    except TypeError:
        return None


def is_real_finite(number: complex | None) -> bool:
    """A finite number whose imaginary part is only rounding noise."""
    return (number is not None and abs(number.real) < float("inf")
            and abs(number.imag) <= 1e-20 * abs(number))


def gate_off_domain_in_sympy(node: Node, operands: list[mpmath.mpf]) -> bool:
    """Does sympy say the gate's value, or a local derivative the backward pass needs, is
    not a finite real number at these operand values?"""
    params = sp.symbols("a b c", real=True)[: len(operands)]
    expr = sympy_gate(node.kind, list(params))
    subs = {p: sp.Integer(0) if v == 0 else sp.Float(v, DIGITS)
            for p, v in zip(params, operands, strict=True)}
    needed = [expr] + [sp.diff(expr, p) for p, arg in zip(params, node.args, strict=True)
                       if arg.has_inputs()]
    for formula in needed:
        try:
            value = formula.xreplace(subs)
        except ZeroDivisionError:
            return True
        if not _real_in_sympy(value):
            return True
    return False


def _real_in_sympy(value: sp.Expr) -> bool:
    """A finite real number, judged in sympy's own precision: as a Python complex, a value
    below 1e-308 (0.03125 ** 252 * log(-0.03125)) would lose its imaginary part."""
    if value.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or not value.is_number:
        return False
    real, imaginary = (sp.N(part, 30) for part in value.as_real_imag())
    return bool(abs(imaginary) <= sp.Float("1e-20") * (abs(real) + abs(imaginary)))


# ----------------------------------------------------------------------------- mpmath walk

OK, DISCARD, OUTSIDE = "ok", "discard", "outside"


@dataclass
class Walk:
    """The outcome of evaluating a tree at a point in 50-digit arithmetic.

    ``status`` is OK (every gate well inside its domain, away from kinks and poles, every
    value of magnitude <= BIG), OUTSIDE (some gate is evaluated outside its real domain, so
    the tool must refuse), or DISCARD (too close to an edge to say anything).
    ``branches`` records which side of every kink the point is on.
    """

    status: str = OK
    reason: str = ""
    value: mpmath.mpf | None = None
    branches: list[bool] = field(default_factory=list)
    offending: tuple[Node, list[mpmath.mpf]] | None = None

    def discard(self, reason: str) -> None:
        if self.status == OK:
            self.status, self.reason = DISCARD, reason

    def outside(self, node: Node, operands: list[mpmath.mpf], reason: str) -> None:
        if self.status != OUTSIDE:
            self.status, self.reason, self.offending = OUTSIDE, reason, (node, operands)


def _integer_literal(node: Node) -> bool:
    if node.kind == "neg":
        return _integer_literal(node.args[0]) and node.args[0].kind == "const"
    return node.kind == "const" and node.text.isdigit()


def walk(tree: Node, point: dict[str, float]) -> Walk:
    """Evaluate ``tree`` at ``point`` with mpmath and classify the point."""
    result = Walk()
    with mpmath.workdps(DIGITS):
        result.value = _walk(tree, point, result)
    return result


def _walk(node: Node, point: dict[str, float], result: Walk) -> mpmath.mpf | None:
    """The node's value, or None once a value is off the reals or too large to trust."""
    kind = node.kind
    if kind == "input":
        return mpmath.mpf(point[node.text])
    if kind == "const":
        if node.text in ("pi", "e"):
            return +mpmath.pi if node.text == "pi" else +mpmath.e
        fraction = Fraction(node.text)
        return mpmath.mpf(fraction.numerator) / fraction.denominator
    operands = [_walk(arg, point, result) for arg in node.args]
    if any(v is None for v in operands):
        return None
    value = _gate(node, operands, result)
    if value is not None and abs(value) > BIG:
        result.discard(f"{kind} value {value} is too large")
        return None
    return value


def _gate(node: Node, operands: list[mpmath.mpf], result: Walk) -> mpmath.mpf | None:
    kind = node.kind
    a = operands[0]
    b = operands[1] if len(operands) > 1 else None
    if kind == "add":
        return a + b
    if kind == "sub":
        return a - b
    if kind == "mul":
        return a * b
    if kind == "neg":
        return -a
    if kind == "div":
        if b == 0:
            result.outside(node, operands, "division by zero")
            return None
        if abs(b) < EDGE:
            result.discard("denominator near zero")
            return None
        return a / b
    if kind == "pow":
        if a > EDGE:
            return mpmath.power(a, b)
        if a < -EDGE and _integer_literal(node.args[1]):
            return mpmath.power(a, int(b))
        if a < -EDGE and not node.args[1].has_inputs() and abs(b - mpmath.nint(b)) < EDGE:
            # an integer made by arithmetic on constants may not be one in floating point
            result.discard("negative base with a computed integer exponent")
            return None
        if a < -EDGE:
            result.outside(node, operands, "negative base with a non-integer or variable "
                                           "exponent")
            return None
        result.discard("power with a base near zero")
        return None
    if kind in ("log", "sqrt"):
        if (kind == "log" and a == 0) or a < -EDGE:
            result.outside(node, operands, f"{kind} of a negative number or zero")
            return None
        if a <= EDGE:
            result.discard(f"{kind} argument near zero")
            return None
        return mpmath.log(a) if kind == "log" else mpmath.sqrt(a)
    if kind in ("relu", "abs"):
        if abs(a) < EDGE:
            result.discard(f"{kind} near its kink")
            return None
        result.branches.append(bool(a > 0))
        return (max(a, 0) if kind == "relu" else abs(a)) + 0
    if kind == "leaky_relu":
        if abs(a) < EDGE:
            result.discard("leaky_relu near its kink")
            return None
        result.branches.append(bool(a > 0))
        return a if a > 0 else b * a
    if kind in COMPARISONS:
        if node.has_inputs() and abs(a - b) < EDGE * max(1, abs(a), abs(b)):
            result.discard(f"{kind} near a tie")
            return None
        result.branches.append(bool(a > b))
        holds = {"gt": a > b, "lt": a < b, "ge": a >= b, "le": a <= b, "eq": a == b,
                 "ne": a != b}[kind]
        return mpmath.mpf(1 if holds else 0)
    if kind == "where":
        if node.args[0].has_inputs() and node.args[0].kind not in COMPARISONS and \
                abs(a) < EDGE:
            result.discard("where's condition near 0")
            return None
        result.branches.append(bool(a != 0))
        return b if a != 0 else operands[2]
    if kind == "clip":
        c = operands[2]
        if min(abs(a - b), abs(a - c), abs(b - c)) < EDGE * max(1, abs(a), abs(b), abs(c)):
            result.discard("clip near a bound")
            return None
        result.branches += [bool(a > b), bool(a > c)]
        return min(max(a, b), c) + 0
    if kind == "sign":
        if abs(a) < EDGE:  # sympy's sign' is 2 DiracDelta: infinite at 0
            result.discard("sign near 0")
            return None
        result.branches.append(bool(a > 0))
        return mpmath.sign(a)
    if kind == "log1p":
        if a <= -1 - EDGE:
            result.outside(node, operands, "log1p of a number <= -1")
            return None
        if a <= -1 + EDGE:
            result.discard("log1p argument near -1")
            return None
        return mpmath.log1p(a)
    if kind in ("max", "min"):
        if abs(a - b) < EDGE * max(1, abs(a), abs(b)):
            result.discard(f"{kind} near a tie")
            return None
        result.branches.append(bool(a > b))
        return (max(a, b) if kind == "max" else min(a, b)) + 0
    if abs(a) > 1e4:  # exp, trig, tanh, sigmoid of a huge argument: refuse politely
        result.discard(f"{kind} of a huge argument")
        return None
    if kind == "tan":
        if abs(mpmath.cos(a)) < TAN_POLE:
            result.discard("tan near a pole")
            return None
        return mpmath.tan(a)
    if kind == "sigmoid":
        return 1 / (1 + mpmath.exp(-a))
    if kind == "softplus":
        return mpmath.log(1 + mpmath.exp(a))
    function = {"exp": mpmath.exp, "sin": mpmath.sin, "cos": mpmath.cos,
                "tanh": mpmath.tanh}[kind]
    return function(a)
