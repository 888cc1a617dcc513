"""Local gradients at non-differentiable points, following PyTorch's choices.

Away from these points every local gradient is the one sympy derived. At them the
derivative does not exist, so a convention is used and a warning names the node. Each
gate's kink is in its row of the gate table (``table.py``); this is the table derived from
the rows. The same conventions serve floats, exact sympy numbers and numpy arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .table import GATES, Kink

KINKS: dict[str, Kink] = {gate.name: gate.kink for gate in GATES if gate.kink is not None}

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
