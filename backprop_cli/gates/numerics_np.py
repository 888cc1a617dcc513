"""Numpy helpers the generated elementwise gate code calls."""

from __future__ import annotations

from typing import Any

import numpy as np


def sigmoid(x: Any) -> Any:
    """1 / (1 + exp(-x)) elementwise, without overflow for large |x|."""
    x = np.asarray(x, dtype=float)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sech(x: Any) -> Any:
    """1 / cosh(x) elementwise without overflow: 2 e^-|x| / (1 + e^-2|x|)."""
    t = np.exp(-np.abs(np.asarray(x, dtype=float)))
    return 2.0 * t / (1.0 + t * t)
