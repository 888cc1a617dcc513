"""The number system of an array pass: float64 numpy arrays, or object arrays of exact sympy
numbers for ``--exact``. Gates written against a Kit run unchanged in both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import cache
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ..errors import InputError
from ._gatetable_np import NUMPY_GATES
from .arithmetic import Arithmetic, literal_value

if TYPE_CHECKING:
    from ..graph.graph import Graph

Array = Any  # a numpy array (float64, or object holding sympy numbers)
Elementwise = tuple[Callable[..., Array], tuple[Callable[..., Array], ...]]


@dataclass(frozen=True)
class Kit:
    """Elementwise gate functions, exp/log, and the constants the conventions need."""

    exact: bool
    elementwise: dict[str, Elementwise]
    exp: Callable[[Array], Array]
    log: Callable[[Array], Array]
    dtype: Any
    half: Any
    inf: Any
    one: Any
    literal: Callable[[str], Any]
    convert: Callable[[Any], Array]
    settle: Callable[[Array], Array]  # exact: simplify each element; floats: unchanged

    def asarray(self, value: Any) -> Array:
        return np.asarray(value, dtype=self.dtype)

    def zeros(self, shape: tuple[int, ...]) -> Array:
        if not self.exact:
            return np.zeros(shape)
        return np.full(shape, self.one * 0, dtype=object)


def _to_float(value: Any) -> Array:
    return np.asarray(value, dtype=float)


FLOAT_KIT = Kit(exact=False, elementwise=cast(dict[str, Elementwise], NUMPY_GATES),
                exp=np.exp, log=np.log, dtype=float, half=0.5, inf=np.inf, one=1.0,
                literal=literal_value, convert=_to_float, settle=_to_float)


@cache
def exact_kit() -> Kit:
    """Object arrays of sympy numbers; each gate applied element by element (small arrays)."""
    import sympy as sp

    from .exact import as_sympy, exact_literal, settle_exact, sympy_arithmetic

    arithmetic = sympy_arithmetic()

    vectorised = _vectorised
    elementwise: dict[str, Elementwise] = {}
    for name, forward in arithmetic.forwards.items():
        arity = len(NUMPY_GATES[name][1])
        partials = tuple(vectorised(p, arity + 1) for p in arithmetic.partials[name])
        elementwise[name] = (vectorised(forward, arity), partials)

    def exact_number(value: Any) -> Any:
        if isinstance(value, sp.Basic):
            return value
        if isinstance(value, Fraction):  # a scalar input of --exact
            return as_sympy(value)
        if isinstance(value, int | np.integer):
            return sp.Integer(int(value))
        if not np.isfinite(value):  # an .npy file's inf or nan
            raise InputError(f"an array element must be a finite number, not {value!r}")
        return exact_literal(repr(float(value)))

    convert_all = np.frompyfunc(exact_number, 1, 1)
    infinities = (sp.oo, -sp.oo)  # a kink's convention (sqrt'(0) = oo) is kept as it is
    # v is a value the exact engine computed (a sympy number, a Fraction or an int): made a
    # sympy number by exact_number, never by parsing text
    settle_all = vectorised(lambda v: v if v in infinities else settle_exact(exact_number(v)),
                            1)
    return Kit(exact=True, elementwise=elementwise,
               exp=vectorised(lambda v: settle_exact(sp.exp(v)), 1),
               log=vectorised(lambda v: settle_exact(sp.log(v)), 1),
               dtype=object, half=sp.Rational(1, 2), inf=sp.oo, one=sp.Integer(1),
               literal=exact_literal,
               convert=lambda value: np.asarray(convert_all(np.asarray(value, dtype=object)),
                                                dtype=object),
               settle=settle_all)


def kit_for(exact: bool) -> Kit:
    return exact_kit() if exact else FLOAT_KIT


# The numpy gate table as an Arithmetic: a user-defined gate's tape (``userdefs.Tape``) built
# on it evaluates the gate and its sympy-derived local gradients elementwise on arrays.
NUMPY_ARITHMETIC = Arithmetic(
    forwards={name: pair[0] for name, pair in FLOAT_KIT.elementwise.items()},
    partials={name: pair[1] for name, pair in FLOAT_KIT.elementwise.items()},
    literal=literal_value, zero=0.0, one=1.0, half=0.5, make_inf=lambda: np.inf,
    is_finite=lambda value: bool(np.isfinite(value).all()))


def kit_with_user_gates(kit: Kit, graph: Graph) -> Kit:
    """The kit with the graph's user-defined gates as elementwise gates (numpy tapes for
    floats; sympy substitution element by element in exact mode)."""
    used = [name for name in graph.user_gates if name in graph.gates]
    if not used:
        return kit
    elementwise = dict(kit.elementwise)
    for name in used:
        gate = graph.user_gates[name]
        if not kit.exact:
            forward, partials = gate.functions(NUMPY_ARITHMETIC)
            elementwise[name] = (_shaped(forward), tuple(_shaped(p) for p in partials))
            continue
        from .exact import sympy_arithmetic

        forward, partials = gate.functions(sympy_arithmetic())
        arity = len(gate.symbols)
        elementwise[name] = (_vectorised(forward, arity),
                             tuple(_vectorised(p, arity + 1) for p in partials))
    return replace(kit, elementwise=elementwise)


def _shaped(tape: Callable[..., Any]) -> Callable[..., Array]:
    """A tape as an elementwise gate: its result has the shape of its broadcast operands
    even where the formula does not use them all (def g(t): -pi/4 on a vector)."""
    def apply(*args: Any) -> Array:
        result = tape(*args)
        shape = np.broadcast_shapes(*(np.shape(a) for a in args))
        return result if np.shape(result) == shape else np.array(np.broadcast_to(result, shape))
    return apply


def _vectorised(function: Callable[..., Any], arity: int) -> Callable[..., Array]:
    """An exact function element by element. The floating-point flags that sympy's own
    float work leaves set say nothing about these exact elements (exact mode raises its own
    errors), so numpy must not turn them into FloatingPointError after the loop."""
    ufunc = np.frompyfunc(function, arity, 1)

    def apply(*args: Any) -> Array:
        with np.errstate(all="ignore"):
            return np.asarray(ufunc(*args), dtype=object)
    return apply


def unbroadcast(gradient: Array, shape: tuple[int, ...]) -> Array:
    """Sum a gradient over the axes broadcasting added, back to ``shape``."""
    gradient = np.asarray(gradient)
    if gradient.shape == shape:
        return gradient
    extra = gradient.ndim - len(shape)
    if extra > 0:  # (an object array summed to 0-d is a bare number: asarray again)
        gradient = np.asarray(gradient.sum(axis=tuple(range(extra))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and gradient.shape[i] != 1)
    if axes:
        gradient = gradient.sum(axis=axes, keepdims=True)
    return np.broadcast_to(gradient, shape).copy() if gradient.shape != shape else gradient
