"""backprop: a backpropagation calculator. See ``backprop_cli.api`` for the Python API.

In Jupyter a Trace displays as its tables and ``trace.draw()`` as SVG; ``%load_ext
backprop_cli`` adds the ``%%backprop`` magic (IPython is imported only then).
"""

from typing import Any

from .api import compile_circuit, compile_program, run
from .engine import trace as _trace_module
from .engine.evaluate import evaluate
from .engine.trace import Edge, Trace
from .errors import BackpropError
from .graph.graph import Graph
from .inputs.circuits import Circuit, bundled_names, load_bundled, resolve
from .version import __version__

__all__ = [
    "BackpropError",
    "Circuit",
    "Edge",
    "Graph",
    "Trace",
    "__version__",
    "bundled_names",
    "compile_circuit",
    "compile_program",
    "evaluate",
    "load_bundled",
    "resolve",
    "run",
]


def _trace_html(trace: Trace) -> str:
    from .render.notebook import trace_html

    return trace_html(trace)


def _trace_drawing(trace: Trace, *, expand: bool = False, **options: Any) -> Any:
    from .render.notebook import drawing

    if expand:
        from .api import expanded

        trace = expanded(trace)
    return drawing(trace, **options)


# The views live in render/, above the engine: the front wires them in (see engine/trace.py).
_trace_module.VIEWS.update(html=_trace_html, draw=_trace_drawing)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext backprop_cli``: registers ``%%backprop`` and ``%backprop``."""
    from .cli.magic import register

    register(ipython)
