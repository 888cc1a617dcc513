"""Local gradients at non-differentiable points, following PyTorch's choices.

Away from these points every local gradient is the one sympy derived. At them the
derivative does not exist, so a convention is used and a warning names the node.
The same table serves floats and exact sympy numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Kink:
    """Where a gate's derivative formula fails, and the local gradients used there.

    ``hits`` and ``warns`` work on numbers and, elementwise, on numpy arrays (the array
    engine passes the operands broadcast to the gate's shape). ``warns(args, needed)`` says
    where a derivative that is needed (``needed[k]``: operand k takes a gradient) really
    does not exist, if that is not everywhere ``hits`` is true: for pow at a base of 0 the
    formula fails, but the limit exists for b >= 1, so no warning there.
    """

    where: str
    convention: str
    hits: Callable[[Sequence[Any]], Any]
    locals: Callable[[Sequence[Any], Any, Any], tuple[Any, ...]]
    warns: Callable[[Sequence[Any], Sequence[bool]], Any] | None = None


def _zero_input(args: Sequence[Any]) -> Any:
    return args[0] == 0


def _tie(args: Sequence[Any]) -> Any:
    return args[0] == args[1]


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


KINKS: dict[str, Kink] = {
    "relu": Kink("input = 0", "relu'(0) = 0", _zero_input, lambda args, half, inf: (0 * half,)),
    "abs": Kink("input = 0", "abs'(0) = 0", _zero_input, lambda args, half, inf: (0 * half,)),
    "max": Kink("a tie (a = b)", "0.5 to each input", _tie, lambda args, half, inf: (half, half)),
    "min": Kink("a tie (a = b)", "0.5 to each input", _tie, lambda args, half, inf: (half, half)),
    "sqrt": Kink("input = 0", "sqrt'(0) = inf", _zero_input, lambda args, half, inf: (inf,)),
    "pow": Kink("a = 0 with 0 <= b < 1",
                "d/da = inf for 0 < b < 1 (as sqrt'(0)) and d/db = 0 at 0 ** 0",
                _zero_base, _zero_base_locals, _zero_base_kink),
}


def kink_locals(gate: str, args: Sequence[Any], half: Any, inf: Any) -> tuple[Any, ...] | None:
    """The convention's local gradients if ``args`` sit on a kink of ``gate``, else None.

    ``half`` and ``inf`` are 0.5 and infinity in the caller's number type.
    """
    kink = KINKS.get(gate)
    if kink is None or not kink.hits(args):
        return None
    return kink.locals(args, half, inf)


def warns(gate: str, args: Sequence[Any], needed: Sequence[bool]) -> bool:
    """Whether a needed derivative does not exist at ``args`` (a warning is due), given
    that ``args`` hit the gate's kink."""
    check = KINKS[gate].warns
    return check is None or bool(check(args, needed))
