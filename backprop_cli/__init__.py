"""backprop: a backpropagation calculator. See ``backprop_cli.api`` for the Python API."""

from .api import compile_circuit, compile_program, run
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
