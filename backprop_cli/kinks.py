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
    """Where a gate is not differentiable, and the local gradients used there."""

    where: str
    convention: str
    hits: Callable[[Sequence[Any]], bool]
    locals: Callable[[Sequence[Any], Any, Any], tuple[Any, ...]]


def _zero_input(args: Sequence[Any]) -> bool:
    return bool(args[0] == 0)


def _tie(args: Sequence[Any]) -> bool:
    return bool(args[0] == args[1])


KINKS: dict[str, Kink] = {
    "relu": Kink("input = 0", "relu'(0) = 0", _zero_input, lambda args, half, inf: (0 * half,)),
    "abs": Kink("input = 0", "abs'(0) = 0", _zero_input, lambda args, half, inf: (0 * half,)),
    "max": Kink("a tie (a = b)", "0.5 to each input", _tie, lambda args, half, inf: (half, half)),
    "min": Kink("a tie (a = b)", "0.5 to each input", _tie, lambda args, half, inf: (half, half)),
    "sqrt": Kink("input = 0", "sqrt'(0) = inf", _zero_input, lambda args, half, inf: (inf,)),
}


def kink_locals(gate: str, args: Sequence[Any], half: Any, inf: Any) -> tuple[Any, ...] | None:
    """The convention's local gradients if ``args`` sit on a kink of ``gate``, else None.

    ``half`` and ``inf`` are 0.5 and infinity in the caller's number type.
    """
    kink = KINKS.get(gate)
    if kink is None or not kink.hits(args):
        return None
    return kink.locals(args, half, inf)
