"""Gate formulas as small trees, written as a student writes them (no sympy, no numpy).

The generator (``gates/generate.py``) derives each gate's local gradients with sympy once,
at development time, and writes them into ``_gatetable.py`` as trees of plain tuples. At run
time a node's formula is its gate's tree with the node's operands put in for the parameters,
numbers folded (``x ** 2`` gives ``2*x``, not ``x**(2 - 1)*2``; ``e ** x`` gives ``e**x``, not
``e**x*log(e)``), and printed as text, LaTeX or Python.

A tree is one of::

    ("v", name)              a parameter (a, b, out) or, once substituted, a node's name
    ("n", "p/q")             a rational number
    ("c", "e" | "pi")        a named constant
    ("+", t, ...)            a sum
    ("*", t, ...)            a product
    ("^", base, exponent)    a power
    ("f", name, t, ...)      a function call: exp, log, sqrt, sin, sigmoid, max, sign, ...
    ("[", lhs, op, rhs, tie) 1 where lhs op rhs (op: > < >= <= == !=), else 0: the Iverson
                             bracket [lhs > rhs]; ``tie`` is its value at lhs = rhs (a
                             number text), the kink table's convention, for code

Relu's, max's and min's local gradients are Iverson brackets in every view: ``[x > 0]``,
``[x > y]``; what happens at a tie or a kink is the kink table's (``backprop gates``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from fractions import Fraction

Tree = tuple[Any, ...]

ZERO: Tree = ("n", "0")
ONE: Tree = ("n", "1")
CONSTANT_NAMES = ("e", "pi")
_SUM, _PRODUCT, _POWER, _ATOM = 10, 20, 30, 40
_TURNED = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}


# ----------------------------------------------------------------------- substitution

def operand_tree(name: str, literal: str | None) -> Tree:
    """A node as a tree: its name, or a constant's literal (a number, ``e`` or ``pi``)."""
    if literal is None:
        return ("v", name)
    if literal in CONSTANT_NAMES:
        return ("c", literal)
    value = _literal_fraction(literal)
    if value is None:  # too large or small to fold, inf, nan: kept as written
        return ("v", f"({literal})" if literal.startswith("-") else literal)
    return ("n", str(value))


_INTEGER_RE = re.compile(r"0|-?[1-9][0-9]*")
_LITERAL_RE = re.compile(r"-?(\d*\.?\d*)(?:[eE]([+-]?\d+))?")


def _literal_fraction(literal: str) -> Fraction | None:
    """A number literal as a fraction, if it is a short one (``1e999999999`` is never
    expanded: Fraction would build its 10**999999999)."""
    match = _LITERAL_RE.fullmatch(literal)
    if match is None or not match.group(1).strip(".") or len(literal) > 40:
        return None
    if match.group(2) is not None and abs(int(match.group(2))) > 15:
        return None
    value = _fraction(literal)
    return value if max(abs(value.numerator), value.denominator) <= 10**15 else None


def substitute(tree: Tree, values: Mapping[str, Tree]) -> Tree:
    """The tree with parameters replaced and numbers folded."""
    kind = tree[0]
    if kind == "v":
        return values.get(tree[1], tree)
    if kind in ("n", "c"):
        return tree
    if kind == "[":
        return ("[", substitute(tree[1], values), tree[2], substitute(tree[3], values), tree[4])
    if kind == "f":
        return _call(tree[1], [substitute(arg, values) for arg in tree[2:]])
    parts = [substitute(part, values) for part in tree[1:]]
    if kind == "+":
        return _sum(parts)
    if kind == "*":
        return _product(parts)
    return _power(parts[0], parts[1])


def put(tree: Tree, values: Mapping[str, Tree]) -> Tree:
    """The tree with parameters replaced, nothing folded (a gate as written: ``2 ** 3``)."""
    if tree[0] == "v":
        return values.get(tree[1], tree)
    if tree[0] in ("n", "c"):
        return tree
    return (tree[0], *(put(part, values) if isinstance(part, tuple) else part
                       for part in tree[1:]))


def names_in(tree: Tree) -> frozenset[str]:
    """The names (``("v", name)`` leaves) a tree reads."""
    if tree[0] == "v":
        return frozenset((tree[1],))
    found: frozenset[str] = frozenset()
    for part in tree[1:]:
        if isinstance(part, tuple):
            found |= names_in(part)
    return found


def _fraction(value: str | int) -> Fraction:
    """``Fraction(value)``; fractions (and decimal, which it loads) are imported on first use,
    so a formula of names and integers costs neither import."""
    from fractions import Fraction

    return Fraction(value)


def _number(tree: Tree) -> Fraction | None:
    return _fraction(tree[1]) if tree[0] == "n" else None


def _num(value: Fraction) -> Tree:
    return ("n", str(value))


def _sum(terms: list[Tree]) -> Tree:
    flat: list[Tree] = []
    for term in terms:
        flat.extend(term[1:] if term[0] == "+" else (term,))
    total = sum((_number(t) or _fraction(0) for t in flat if t[0] == "n"), _fraction(0))
    rest = [t for t in flat if t[0] != "n"]
    if total:
        rest.insert(0, _num(total))
    if not rest:
        return ZERO
    return rest[0] if len(rest) == 1 else ("+", *rest)


def _product(factors: list[Tree]) -> Tree:
    flat: list[Tree] = []
    for factor in factors:
        flat.extend(factor[1:] if factor[0] == "*" else (factor,))
    coefficient = _fraction(1)
    for factor in flat:
        if factor[0] == "n":
            coefficient *= _fraction(factor[1])
    rest = [f for f in flat if f[0] != "n"]
    if coefficient == 0:
        return ZERO
    if coefficient != 1:
        rest.insert(0, _num(coefficient))
    if not rest:
        return ONE
    return rest[0] if len(rest) == 1 else ("*", *rest)


def _power(base: Tree, exponent: Tree) -> Tree:
    power = _number(exponent)
    if power == 0 or base == ONE:
        return ONE
    if power == 1:
        return base
    number = _number(base)
    if number is not None and power is not None and power.denominator == 1 \
            and abs(power) <= 4 and (number or power > 0):
        return _num(number ** int(power))
    return ("^", base, exponent)


def _call(name: str, args: list[Tree]) -> Tree:
    if name == "log" and args == [("c", "e")]:
        return ONE
    if name == "exp" and args == [ZERO]:
        return ONE
    return ("f", name, *args)


# --------------------------------------------------------------------------- printing

class Printer:
    """Text as the language writes it: ``2*x``, ``-1/t3**2``, ``sigmoid(s)*(1 - sigmoid(s))``."""

    times, over = "*", "/"
    functions: ClassVar[dict[str, str]] = {}
    constants: ClassVar[dict[str, str]] = {"e": "e", "pi": "pi"}
    relations: ClassVar[dict[str, str]] = {}

    def __init__(self, name: Callable[[str], str] = str, as_written: bool = False) -> None:
        self.name = name
        self.as_written = as_written  # keep the terms of a sum in their order

    def __call__(self, tree: Tree) -> str:
        return self.print(tree)

    def print(self, tree: Tree, context: int = 0) -> str:
        text, level = self.level(tree)
        return self.group(text) if level < context else text

    def group(self, text: str) -> str:
        return f"({text})"

    def factor(self, tree: Tree) -> str:
        """The tree as the right factor of a product: in parentheses if it is a sum or
        negative (``g * f*sigmoid(-s)``, ``g * (-f/t3)``)."""
        return self.print(tree, _PRODUCT)

    def level(self, tree: Tree) -> tuple[str, int]:
        """The tree's text and its precedence."""
        kind = tree[0]
        if kind == "v":
            return self.name(tree[1]), _ATOM
        if kind == "c":
            return self.constants[tree[1]], _ATOM
        if kind == "n":
            if _INTEGER_RE.fullmatch(tree[1]):  # what number() gives for an integer
                return tree[1], _SUM if tree[1].startswith("-") else _ATOM
            return self.number(_fraction(tree[1]))
        if kind == "+":
            return self.sum(list(tree[1:])), _SUM
        if kind == "*" or (kind == "^" and _negative_power(tree) is not None):
            return self.product(list(tree[1:]) if kind == "*" else [tree])
        if kind == "^":
            return self.power(tree[1], tree[2]), _POWER
        if kind == "[":
            return self.bracket(tree), _ATOM
        return self.call(tree[1], list(tree[2:])), _ATOM

    def number(self, value: Fraction) -> tuple[str, int]:
        level = _ATOM if value >= 0 else _SUM  # x - (-2), x*(-2), (-2)**x
        if value.denominator == 1:
            return str(value.numerator), level
        text = _decimal(value)
        if text is not None:
            return text, level
        return f"{value.numerator}{self.over}{value.denominator}", min(level, _PRODUCT)

    def sum(self, terms: list[Tree]) -> str:
        ordered = terms if self.as_written else sorted(terms, key=_term_order)
        text = ""
        for term in ordered:
            negated = _negated(term)
            if negated is None:
                body = self.print(term, _SUM)
                text = f"{text} + {body}" if text else body
            else:
                body = self.print(negated, _PRODUCT)
                text = f"{text} - {body}" if text else f"-{body}"
        return text

    def product(self, factors: list[Tree]) -> tuple[str, int]:
        if self.as_written:
            return self.written_product(factors), _PRODUCT
        coefficient = _fraction(1)
        above: list[Tree] = []
        below: list[Tree] = []
        for factor in factors:
            if factor[0] == "n":
                coefficient *= _fraction(factor[1])
                continue
            flipped = _negative_power(factor)
            if flipped is None:
                above.append(factor)
            else:
                below.append(flipped)
        above.sort(key=lambda f: f[0] == "+")
        sign = "-" if coefficient < 0 else ""
        coefficient = abs(coefficient)
        # 0.1*[x < 0], 1.5*x**0.5; but 1/(2*sqrt(x)) when something is below the bar
        decimal = _decimal(coefficient) if not below or coefficient.numerator != 1 else None
        if coefficient.denominator == 1 or decimal is not None:
            top = [] if coefficient == 1 else [decimal or str(coefficient.numerator)]
            bottom = []
        else:
            top = [] if coefficient.numerator == 1 else [str(coefficient.numerator)]
            bottom = [str(coefficient.denominator)]
        return self.join(sign, top, above, bottom, below), _SUM if sign else _PRODUCT

    def written_product(self, factors: list[Tree]) -> str:
        """Factors in their order (``t2*3``); a leading -1 as a minus sign (``-s3``), a
        reciprocal as a fraction (``1/t3``)."""
        sign = ""
        if factors[0] == ("n", "-1"):
            sign, factors = "-", factors[1:]
        above = [f for f in factors if _negative_power(f) is None]
        below = [_negative_power(f) for f in factors if _negative_power(f) is not None]
        numbers = [] if above else ["1"]
        return self.join(sign, numbers, above, [], [f for f in below if f is not None])

    def side(self, numbers: list[str], factors: list[Tree], alone: int) -> str:
        """One side of a fraction: its numbers and factors (sums in parentheses unless
        ``alone`` says a lone factor needs none)."""
        if not numbers and len(factors) == 1:
            return self.print(factors[0], alone)
        return self.times.join([*numbers, *(self.print(f, _PRODUCT + 1) for f in factors)])

    def join(self, sign: str, top: list[str], above: list[Tree], bottom: list[str],
             below: list[Tree]) -> str:
        numerator = self.side(top, above, _PRODUCT) or "1"
        if not bottom and not below:
            return sign + numerator
        denominator = self.side(bottom, below, _PRODUCT + 1)
        if len(bottom) + len(below) > 1:
            denominator = self.group(denominator)
        return f"{sign}{numerator}{self.over}{denominator}"

    def power(self, base: Tree, exponent: Tree) -> str:
        return f"{self.print(base, _ATOM)}**{self.print(exponent, _ATOM)}"

    def bracket(self, tree: Tree) -> str:
        return f"[{self.condition(tree)}]"

    def condition(self, tree: Tree) -> str:
        """``left > right`` (or ``<``, ``>=``, ``==``, ...), a zero side written on the
        right."""
        _, left, op, right, _ = tree
        if left == ZERO:
            left, op, right = right, _TURNED[op], left
        return f"{self.print(left)} {self.relations.get(op, op)} {self.print(right)}"

    def call(self, name: str, args: list[Tree]) -> str:
        return f"{self.functions.get(name, name)}({', '.join(self.print(a) for a in args)})"


def _decimal(value: Fraction) -> str | None:
    """A fraction whose denominator divides a power of ten, as a short decimal."""
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    digits = max(twos, fives)
    if denominator != 1 or digits > 12:
        return None
    scaled = abs(value.numerator) * 10**digits // value.denominator
    whole, part = divmod(scaled, 10**digits)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{part:0{digits}d}".rstrip("0").rstrip(".")


def _negative_power(tree: Tree) -> Tree | None:
    """``x**-2`` as ``x**2`` (what goes below a fraction bar), or None."""
    if tree[0] != "^":
        return None
    power = _number(tree[2])
    if power is None or power >= 0:
        return None
    return tree[1] if power == -1 else ("^", tree[1], _num(-power))


def _negated(term: Tree) -> Tree | None:
    """-term, if term reads as negative (a negative number or coefficient), else None."""
    if term[0] == "n" and _fraction(term[1]) < 0:
        return _num(-_fraction(term[1]))
    if term[0] == "*" and term[1][0] == "n" and _fraction(term[1][1]) < 0:
        return _product([_num(-_fraction(term[1][1])), *term[2:]])
    return None


def _term_order(term: Tree) -> int:
    """Positive numbers first, then single factors, then products; negative terms last."""
    if _negated(term) is not None:
        return 3
    return 0 if term[0] == "n" else 2 if term[0] == "*" else 1


# ------------------------------------------------------------------------------ LaTeX

_GREEK = frozenset({"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau",
    "upsilon", "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi",
    "Sigma", "Upsilon", "Phi", "Psi", "Omega"})
_NAME_RE = re.compile(r"([A-Za-z]+?)_?(\d+)")


def latex_name(name: str) -> str:
    """A node name as a LaTeX symbol: ``w0`` as w_{0}, ``alpha`` as \\alpha, ``x_in`` as
    x_{in}, ``loss`` as \\mathrm{loss}."""
    match = _NAME_RE.fullmatch(name)
    if match is not None:
        return f"{latex_name(match.group(1))}_{{{match.group(2)}}}"
    head, _, tail = name.partition("_")
    if tail:
        return f"{latex_name(head)}_{{{latex_name(tail)}}}"
    if name in _GREEK:
        return "\\" + name
    body = name.replace("_", r"\_")
    return body if len(name) == 1 else f"\\mathrm{{{body}}}"


class LatexPrinter(Printer):
    """The same formulas typeset: ``\\frac{1}{t_{3}^{2}}``, ``\\sigma(s)``, ``e^{x}``."""

    times = " "
    constants: ClassVar[dict[str, str]] = {"e": "e", "pi": r"\pi"}
    relations: ClassVar[dict[str, str]] = {">=": r"\geq", "<=": r"\leq", "==": "=",
                                           "!=": r"\neq"}
    functions: ClassVar[dict[str, str]] = {
        "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "tanh": r"\tanh",
        "sigmoid": r"\sigma", "max": r"\max", "min": r"\min", "sign": r"\operatorname{sign}",
        "sech": r"\operatorname{sech}"}

    def __init__(self, as_written: bool = False) -> None:
        super().__init__(latex_name, as_written)

    def group(self, text: str) -> str:
        return rf"\left({text}\right)"

    def number(self, value: Fraction) -> tuple[str, int]:
        if value.denominator == 1 or _decimal(value) is not None:
            return super().number(value)
        sign = "-" if value < 0 else ""
        level = _PRODUCT if value > 0 else _SUM
        return rf"{sign}\frac{{{abs(value.numerator)}}}{{{value.denominator}}}", level

    def join(self, sign: str, top: list[str], above: list[Tree], bottom: list[str],
             below: list[Tree]) -> str:
        numerator = self.side(top, above, 0) or "1"
        if not bottom and not below:
            return sign + numerator
        return rf"{sign}\frac{{{numerator}}}{{{self.side(bottom, below, 0)}}}"

    def side(self, numbers: list[str], factors: list[Tree], alone: int) -> str:
        """Factors side by side; a number after another factor takes a \\cdot."""
        if not numbers and len(factors) == 1:
            return self.print(factors[0], alone)
        text = ""
        for part in [*numbers, *(self.print(f, _PRODUCT + 1) for f in factors)]:
            number = part[:1].isdigit() or part.startswith(r"\left(-")
            joiner = r" \cdot " if text and number else " " if text else ""
            text += joiner + part
        return text

    def print(self, tree: Tree, context: int = 0) -> str:
        if (context > _PRODUCT and tree[0] == "*") or (tree[0] == "^" and
                                                      _negative_power(tree) is not None):
            return super().print(tree, _PRODUCT)  # a fraction needs no parentheses
        return super().print(tree, context)

    def power(self, base: Tree, exponent: Tree) -> str:
        top = self.print(exponent)
        if base[0] == "f" and base[1] in self.functions and base[1] not in ("max", "min"):
            args = ", ".join(self.print(a) for a in base[2:])
            return rf"{self.functions[base[1]]}^{{{top}}}{self.group(args)}"
        return f"{self.print(base, _ATOM)}^{{{top}}}"

    def bracket(self, tree: Tree) -> str:
        return rf"\left[{self.condition(tree)}\right]"

    def call(self, name: str, args: list[Tree]) -> str:
        inner = ", ".join(self.print(a) for a in args)
        if name == "exp":
            return f"e^{{{inner}}}"
        if name == "sqrt":
            return rf"\sqrt{{{inner}}}"
        if name == "abs":
            return rf"\left|{inner}\right|"
        head = self.functions.get(name, rf"\operatorname{{{name}}}")
        return head + self.group(inner)


TEXT = Printer()
LATEX = LatexPrinter()
WRITTEN_LATEX = LatexPrinter(as_written=True)


def text(tree: Tree, values: Mapping[str, Tree] | None = None) -> str:
    """The formula as text, with ``values`` put in for its parameters."""
    return TEXT(substitute(tree, values) if values else tree)


def latex(tree: Tree, values: Mapping[str, Tree] | None = None) -> str:
    """The formula typeset, with ``values`` put in for its parameters."""
    return LATEX(substitute(tree, values) if values else tree)


def written_latex(tree: Tree, values: Mapping[str, Tree]) -> str:
    """A gate's definition typeset as the program writes it: nothing folded or reordered
    (``2 ** 3``, ``t2 + 1``)."""
    return WRITTEN_LATEX(put(tree, values))
