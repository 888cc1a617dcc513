"""The gate table: one row per built-in gate, every fact about the gate in its row.

This is the one hand-written place for a gate. Everything else is derived from the rows:
the sympy definitions and their derivatives (``symbolic``), the generated numeric tables
(``_gatetable.py``, ``_gatetable_np.py``, ``engine/_tapeloops.py``, written by
``python -m backprop_cli.gates.generate`` and ``python -m backprop_cli.engine.tapegen``), the
kink table, the IEEE classes, the code printers, the composite expansions, the pictures.
``tests/gates/test_table.py`` fails when a derived table misses a row.

Adding a gate: one ``Gate(...)`` row below, regenerate the three files, add tests and docs.
No sympy and no numpy here: a row is plain data, and ``define`` builds the sympy expression
only when something asks for it (``symbolic``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class Kink:
    """Where a gate's derivative formula fails, and the local gradients used there.

    ``hits`` and ``warns`` work on numbers and, elementwise, on numpy arrays (the array
    engine passes the operands broadcast to the gate's shape). ``warns(args, needed)`` says
    where a derivative that is needed (``needed[k]``: operand k takes a gradient) really
    does not exist, if that is not everywhere ``hits`` is true: for pow at a base of 0 the
    formula fails, but the limit exists for b >= 1, so no warning there.
    """

    __slots__ = ("convention", "hits", "locals", "warns", "where")

    def __init__(self, where: str, convention: str, hits: Callable[[Sequence[Any]], Any],
                 locals: Callable[[Sequence[Any], Any, Any], tuple[Any, ...]],
                 warns: Callable[[Sequence[Any], Sequence[bool]], Any] | None = None) -> None:
        self.where = where
        self.convention = convention
        self.hits = hits
        self.locals = locals
        self.warns = warns


def _zero_base(args: Sequence[Any]) -> Any:
    """0 ** b with b >= 0: b * a**(b - 1) and a**b * log(a) are 0 * inf there."""
    return _both(args[0] == 0, args[1] >= 0)


def _zero_base_kink(args: Sequence[Any], needed: Sequence[bool]) -> Any:
    """d/da is infinite at 0 ** b for 0 < b < 1; d/db does not exist at 0 ** 0."""
    a, b = args
    infinite = _both(_both(a == 0, b > 0), b < 1) if needed[0] else False
    jump = _both(a == 0, b == 0) if needed[1] else False
    return _either(infinite, jump)


def _zero_base_locals(args: Sequence[Any], half: Any, inf: Any) -> tuple[Any, ...]:
    """PyTorch's pow_backward: d/da = 0 where b = 0 (a**0 is 1 everywhere), else
    b * 0**(b - 1), which is inf for 0 < b < 1, 1 for b = 1, 0 for b > 1; d/db = 0 where
    a = 0 and b >= 0 (0**b is 0 for every b > 0)."""
    b, zero, one = args[1], 0 * half, 2 * half
    d_a = _pick(b == 0, zero, _pick(b < 1, inf, _pick(b == 1, one, zero)))
    return d_a, zero


def _both(first: Any, second: Any) -> Any:
    if hasattr(first, "shape") or hasattr(second, "shape"):
        import numpy as np

        return np.asarray(first).astype(bool) & np.asarray(second).astype(bool)
    return bool(first) and bool(second)


def _either(first: Any, second: Any) -> Any:
    if hasattr(first, "shape") or hasattr(second, "shape"):
        import numpy as np

        return np.asarray(first).astype(bool) | np.asarray(second).astype(bool)
    return bool(first) or bool(second)


def _pick(condition: Any, yes: Any, no: Any) -> Any:
    """``yes if condition else no``, elementwise for arrays."""
    if hasattr(condition, "shape"):
        import numpy as np

        return np.where(np.asarray(condition).astype(bool), yes, no)
    return yes if condition else no


def _zero_input(args: Sequence[Any]) -> Any:
    return args[0] == 0


def _tie(args: Sequence[Any]) -> Any:
    return args[0] == args[1]


def _first(operands: Sequence[Any]) -> Any:
    return operands[0]


def _difference(operands: Sequence[Any]) -> Any:
    return operands[0] - operands[1]


def _zero_local(args: Sequence[Any], half: Any, inf: Any) -> tuple[Any, ...]:
    return (0 * half,)


def _clip_ties(args: Sequence[Any]) -> Any:
    """x at a bound, or the two bounds equal."""
    a, b, c = args
    return _either(_either(a == b, a == c), b == c)


def _clip_kink(args: Sequence[Any], needed: Sequence[bool]) -> Any:
    """x at a bound: d/dx jumps; equal bounds: only d/dlo and d/dhi jump."""
    a, b, c = args
    bounds = _both(b == c, bool(needed[1] or needed[2]))
    return _either(_either(a == b, a == c), bounds)


def _clip_locals(args: Sequence[Any], half: Any, inf: Any) -> tuple[Any, ...]:
    """PyTorch's clamp backward: x takes the gradient where lo <= x <= hi, lo where x < lo,
    hi where x > hi (and whichever bound is the value when lo > hi)."""
    a, b, c = args
    zero, one = 0 * half, 2 * half
    d_a = _pick(_both(b <= a, a <= c), one, zero)
    d_b = _pick(_both(a < b, b <= c), one, zero)
    return d_a, d_b, one - d_a - d_b


def _clip_gradients(sp: Any, a: Any, b: Any, c: Any) -> tuple[Any, ...]:
    """x where lo <= x <= hi, lo where x < lo <= hi, hi otherwise (x > hi, or lo > hi: the
    value is hi then); the steps take PyTorch's side at 0."""
    d_a = sp.Heaviside(a - b, 1) * sp.Heaviside(c - a, 1)
    d_b = sp.Heaviside(b - a, 0) * sp.Heaviside(c - b, 1)
    return d_a, d_b, 1 - d_a - d_b


def _clip_switch(operands: Sequence[Any]) -> Any:
    """Positive inside [lo, hi], negative outside: its sign changes at either bound."""
    a, b, c = operands
    return (a - b) * (c - a)


def _no_gradients(sp: Any, *params: Any) -> tuple[Any, ...]:
    """A comparison passes no gradient: 0 to each operand (a step has derivative 0 away
    from its jump, and PyTorch's comparisons have no backward)."""
    return tuple(sp.Integer(0) for _ in params)


def _comparison(name: str, operator: str, relation: str, words: str, order: int) -> Gate:
    """``a OP b`` as 1.0 where it holds, else 0.0 (``relation``: sympy's class for OP); no
    gradient through it."""
    return Gate(name, AB, lambda sp, a, b: sp.Piecewise((1, getattr(sp, relation)(a, b)),
                                                        (0, True)),
                f"{{a}} {operator} {{b}}", f"{words}: 1 where a {operator} b, else 0 "
                "(no gradient flows through it)",
                switch=_difference, safe=True, python=f"float({{a}} {operator} {{b}})",
                numpy=f"(({{a}} {operator} {{b}}) * 1.0)", local_gradients=_no_gradients,
                tape_order=order)


def _halves(args: Sequence[Any], half: Any, inf: Any) -> tuple[Any, ...]:
    return (half, half)


class Gate:
    """A built-in gate.

    - ``define(sp, a, b)``: the gate in sympy, the one definition its local derivatives come
      from (``sp`` is sympy with the tool's own functions, such as ``sp.sigmoid``);
      ``pattern``: how it is written in a program and in tables.
    - ``output_form``: the numeric derivative is written in terms of the output ``out``, as
      the lecture does (exp' = out).
    - ``lower_piece``: each step of the derivative takes the piece below the kink at the
      kink (relu'(0) = 0, as PyTorch).
    - ``kink``: the non-differentiable points and PyTorch's convention there; ``kink_test``:
      the cheap test the tape makes first; ``switch``: the function of the operands whose
      sign picks the linear piece (gradcheck's one-sided check).
    - ``undefined``: why it has no real value where it has none.
    - ``stable``: identities that keep the numeric forms exact where the definition would
      cancel or overflow (sympy expression -> the form evaluated instead; a test proves each).
    - ``underflow``: a 0 result from nonzero operands is an underflow; ``raises``: what the
      math module raises on a large operand ("overflow" or "domain"); ``safe``: its local
      gradients can never raise.
    - ``shown``: identities that write a local gradient as a student does (sympy expression
      -> the form shown; a test proves each), e.g. softplus' = sigmoid.
    - ``python``, ``numpy``: the generated code (the pattern when None); ``expansion``: its
      body in primitive gates for ``--expand``; ``commutative``: a constant operand may be
      written on either side in pictures.
    - ``tape_order``: its place on the tape, the most common gates first (each branch costs
      a comparison for every gate after it).
    - ``local_gradients(sp, a, ...)``: the partials written by hand, where sympy's own
      derivative puts its steps' value at 0 on the wrong side of a kink for PyTorch's
      convention (clip); a test checks them against sympy's derivative away from the kinks.
    """

    __slots__ = (
        "commutative",
        "define",
        "expansion",
        "kink",
        "kink_test",
        "local_gradients",
        "lower_piece",
        "name",
        "numpy",
        "output_form",
        "params",
        "pattern",
        "python",
        "raises",
        "safe",
        "shown",
        "stable",
        "summary",
        "switch",
        "tape_order",
        "undefined",
        "underflow",
    )

    def __init__(self, name: str, params: tuple[str, ...], define: Callable[..., Any], pattern: str,
                 summary: str, *, output_form: bool = False, lower_piece: bool = False,
                 kink: Kink | None = None, kink_test: str | None = None,
                 switch: Callable[[Sequence[Any]], Any] | None = None,
                 undefined: Callable[[Sequence[Any], str], str | None] | None = None,
                 stable: Callable[..., dict[Any, Any]] | None = None,
                 shown: Callable[..., dict[Any, Any]] | None = None, underflow: bool = False,
                 raises: str | None = None, safe: bool = False, python: str | None = None,
                 numpy: str | None = None, expansion: str | None = None, commutative: bool = False,
                 tape_order: int = 99,
                 local_gradients: Callable[..., tuple[Any, ...]] | None = None) -> None:
        self.name = name
        self.params = params
        self.define = define
        self.pattern = pattern
        self.summary = summary
        self.output_form = output_form
        self.lower_piece = lower_piece
        self.kink = kink
        self.kink_test = kink_test
        self.switch = switch
        self.undefined = undefined
        self.stable = stable
        self.shown = shown
        self.underflow = underflow
        self.raises = raises
        self.safe = safe
        self.python = python
        self.numpy = numpy
        self.expansion = expansion
        self.commutative = commutative
        self.tape_order = tape_order
        self.local_gradients = local_gradients

    @property
    def arity(self) -> int:
        return len(self.params)


def _log_undefined(operands: Sequence[Any], what: str) -> str:
    return "log is undefined for inputs <= 0"


def _log1p_undefined(operands: Sequence[Any], what: str) -> str:
    return "log1p is undefined for inputs <= -1"


def _sqrt_undefined(operands: Sequence[Any], what: str) -> str:
    return "sqrt is undefined for negative inputs"


def _pow_undefined(operands: Sequence[Any], what: str) -> str:
    if what != "value":
        return "the derivative of a ** b with respect to b needs a > 0"
    if operands and operands[0] == 0:
        return "0 cannot be raised to a negative power"
    return "a negative base needs an integer exponent"


AB = ("a", "b")
A = ("a",)
ABC = ("a", "b", "c")

GATES: tuple[Gate, ...] = (
    Gate("add", AB, lambda sp, a, b: a + b, "{a} + {b}", "addition: the gradient distributor",
         safe=True, commutative=True, tape_order=1),
    Gate("sub", AB, lambda sp, a, b: a - b, "{a} - {b}", "subtraction", safe=True,
         tape_order=2),
    Gate("mul", AB, lambda sp, a, b: a * b, "{a} * {b}", "multiplication: the swap multiplier",
         underflow=True, safe=True, commutative=True, tape_order=0),
    Gate("div", AB, lambda sp, a, b: a / b, "{a} / {b}", "division", output_form=True,
         underflow=True, tape_order=4),
    Gate("pow", AB, lambda sp, a, b: a**b, "{a} ** {b}", "power, also written pow(a, b) or a ^ b",
         kink=Kink("a = 0 with 0 <= b < 1",
                   "d/da = inf for 0 < b < 1 (as sqrt'(0)) and d/db = 0 at 0 ** 0",
                   _zero_base, _zero_base_locals, _zero_base_kink),
         kink_test="a == 0", undefined=_pow_undefined, underflow=True, tape_order=9),
    Gate("neg", A, lambda sp, a: -a, "-{a}", "negation (unary minus)", tape_order=5),
    Gate("exp", A, lambda sp, a: sp.exp(a), "exp({a})", "exponential", output_form=True,
         underflow=True, raises="overflow", python="math.exp({a})", numpy="np.exp({a})",
         tape_order=6),
    Gate("log", A, lambda sp, a: sp.log(a), "log({a})", "natural logarithm",
         undefined=_log_undefined, raises="domain", python="math.log({a})",
         numpy="np.log({a})", tape_order=10),
    Gate("sqrt", A, lambda sp, a: sp.sqrt(a), "sqrt({a})", "square root", output_form=True,
         kink=Kink("input = 0", "sqrt'(0) = inf", _zero_input,
                   lambda args, half, inf: (inf,)),
         kink_test="a == 0", undefined=_sqrt_undefined, raises="domain",
         python="math.sqrt({a})", numpy="np.sqrt({a})", tape_order=11),
    Gate("sin", A, lambda sp, a: sp.sin(a), "sin({a})", "sine", python="math.sin({a})",
         numpy="np.sin({a})", tape_order=12),
    Gate("cos", A, lambda sp, a: sp.cos(a), "cos({a})", "cosine", python="math.cos({a})",
         numpy="np.cos({a})", tape_order=13),
    Gate("tan", A, lambda sp, a: sp.tan(a), "tan({a})", "tangent", output_form=True,
         python="math.tan({a})", numpy="np.tan({a})", tape_order=14),
    Gate("tanh", A, lambda sp, a: sp.tanh(a), "tanh({a})", "hyperbolic tangent",
         output_form=True,
         # 1 - tanh(a)**2 rounds to 0 where sech(a)**2 keeps its digits (tanh'(20) = 1.7e-17)
         stable=lambda sp, a: {1 - sp.tanh(a) ** 2: sp.sech(a) ** 2},
         python="math.tanh({a})", numpy="np.tanh({a})", tape_order=3),
    Gate("sigmoid", A, lambda sp, a: sp.sigmoid(a), "sigmoid({a})",
         "logistic sigmoid 1/(1+exp(-a))", output_form=True,
         # 1 - sigmoid(a) cancels to 0 once sigmoid(a) rounds to 1 (a > 37); sigmoid(-a) not
         stable=lambda sp, a: {1 - sp.sigmoid(a): sp.sigmoid(-a)},
         underflow=True, python="sigmoid({a})",
         numpy="1 / (1 + np.exp(-{a}))", expansion="1 / (1 + exp(-a))", tape_order=7),
    Gate("relu", A, lambda sp, a: sp.Max(0, a), "relu({a})", "rectified linear unit max(0, a)",
         lower_piece=True,
         kink=Kink("input = 0", "relu'(0) = 0", _zero_input, _zero_local),
         kink_test="a == 0", switch=_first, python="max(0.0, {a})",
         numpy="np.maximum(0.0, {a})", tape_order=8),
    Gate("max", AB, lambda sp, a, b: sp.Max(a, b), "max({a}, {b})",
         "maximum: the gradient router",
         kink=Kink("a tie (a = b)", "0.5 to each input", _tie, _halves),
         kink_test="a == b", switch=_difference, safe=True, numpy="np.maximum({a}, {b})",
         tape_order=15),
    Gate("min", AB, lambda sp, a, b: sp.Min(a, b), "min({a}, {b})", "minimum",
         kink=Kink("a tie (a = b)", "0.5 to each input", _tie, _halves),
         kink_test="a == b", switch=_difference, safe=True, numpy="np.minimum({a}, {b})",
         tape_order=16),
    Gate("abs", A, lambda sp, a: sp.Abs(a), "abs({a})", "absolute value",
         kink=Kink("input = 0", "abs'(0) = 0", _zero_input, _zero_local),
         kink_test="a == 0", switch=_first, numpy="np.abs({a})", tape_order=17),
    Gate("softplus", A, lambda sp, a: sp.log(1 + sp.exp(a)), "softplus({a})",
         "softplus log(1 + exp(a)): a smooth relu",
         # exp(a) overflows for a > 709 where softplus(a) is about a; the derivative is sigmoid
         stable=lambda sp, a: {sp.log(sp.exp(a) + 1):
                               sp.Max(a, 0) + sp.log(1 + sp.exp(-sp.Abs(a))),
                               sp.exp(a) / (sp.exp(a) + 1): sp.sigmoid(a)},
         shown=lambda sp, a: {sp.exp(a) / (sp.exp(a) + 1): sp.sigmoid(a)},
         underflow=True, python="(math.log(1.0 + math.exp(-abs({a}))) + max(0.0, {a}))",
         numpy="np.logaddexp(0.0, {a})", expansion="log(1 + exp(a))", tape_order=18),
    Gate("leaky_relu", AB, lambda sp, a, b: sp.Max(a, 0) + b * sp.Min(a, 0),
         "leaky_relu({a}, {b})", "leaky relu: a where a > 0, else slope b times a",
         lower_piece=True,
         kink=Kink("input = 0", "leaky_relu'(0) = slope", _zero_input,
                   lambda args, half, inf: (args[1], 0 * half)),
         kink_test="a == 0", switch=_first, underflow=True, safe=True,
         python="(max({a}, 0.0) + {b} * min({a}, 0.0))",
         numpy="(np.maximum({a}, 0.0) + {b} * np.minimum({a}, 0.0))", tape_order=19),
    Gate("sign", A, lambda sp, a: sp.sign(a), "sign({a})",
         "sign: -1, 0 or 1; its local gradient is 0 (a step)",
         kink=Kink("input = 0", "sign'(0) = 0", _zero_input, _zero_local),
         kink_test="a == 0", switch=_first, safe=True,
         python="float(({a} > 0) - ({a} < 0))", numpy="np.sign({a})", tape_order=20),
    Gate("log1p", A, lambda sp, a: sp.log(1 + a), "log1p({a})",
         "log(1 + a), exact for small a",
         # log(1 + a) rounds 1 + a first: log1p keeps the digits of a small a
         stable=lambda sp, a: {sp.log(a + 1): sp.log1p(a)},
         undefined=_log1p_undefined, raises="domain", python="math.log1p({a})",
         numpy="np.log1p({a})", tape_order=21),
    Gate("clip", ABC, lambda sp, a, b, c: sp.Min(sp.Max(a, b), c), "clip({a}, {b}, {c})",
         "clip(x, lo, hi): x held between lo and hi (numpy's clip, PyTorch's clamp)",
         kink=Kink("x = lo or x = hi (or lo = hi)",
                   "d/dx = 1 where lo <= x <= hi, d/dlo = 1 where x < lo, d/dhi = 1 where x > hi",
                   _clip_ties, _clip_locals, _clip_kink),
         kink_test="a == b or a == c or b == c", switch=_clip_switch, safe=True,
         python="min(max({a}, {b}), {c})", numpy="np.minimum(np.maximum({a}, {b}), {c})",
         local_gradients=_clip_gradients,
         tape_order=22),
    _comparison("gt", ">", "Gt", "greater than", 23),
    _comparison("lt", "<", "Lt", "less than", 24),
    _comparison("ge", ">=", "Ge", "greater than or equal", 25),
    _comparison("le", "<=", "Le", "less than or equal", 26),
    _comparison("eq", "==", "Eq", "equal", 27),
    _comparison("ne", "!=", "Ne", "not equal", 28),
    Gate("where", ABC, lambda sp, a, b, c: sp.Piecewise((b, sp.Ne(a, 0)), (c, True)),
         "where({a}, {b}, {c})",
         "where(cond, x, y): x where cond is nonzero (true), else y; cond takes no gradient",
         switch=_first, safe=True, python="({b} if {a} != 0 else {c})",
         numpy="np.where({a} != 0, {b}, {c})",
         # the gradient goes to x where cond holds and to y elsewhere (PyTorch's where)
         local_gradients=lambda sp, a, b, c: (sp.Integer(0),
                                              sp.Piecewise((1, sp.Ne(a, 0)), (0, True)),
                                              sp.Piecewise((0, sp.Ne(a, 0)), (1, True))),
         tape_order=29),
)

GATES_BY_NAME: dict[str, Gate] = {gate.name: gate for gate in GATES}
