"""``python_code``: the circuit as Python, the writer picked by style and by numbers or arrays.

Scalar circuits: ``python`` (plain Python with ``math``). Circuits of arrays: ``numpy_flat``
and ``numpy_modular``. The numpy writers are imported only for arrays.
"""

from __future__ import annotations

from ..engine.trace import Trace
from .python import flat_code, modular_code


def python_code(trace: Trace, style: str = "flat") -> str:
    """``flat`` or ``modular`` Python for the trace's circuit (numpy for arrays)."""
    if trace.arrays:
        from .numpy_flat import flat_numpy_code
        from .numpy_modular import modular_numpy_code

        return modular_numpy_code(trace) if style == "modular" else flat_numpy_code(trace)
    return modular_code(trace) if style == "modular" else flat_code(trace)
