"""Pause the cyclic garbage collector while building large acyclic structures.

Graphs and traces are flat lists without reference cycles; letting the collector scan them
again and again while they grow costs several times the work itself.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
