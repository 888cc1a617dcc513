"""backprop: a backpropagation calculator. See ``backprop_cli.api`` for the Python API."""

from .api import compile_circuit, compile_program, run
from .circuits import Circuit, bundled_names, load_bundled, resolve
from .engine import evaluate
from .errors import BackpropError
from .graph import Graph
from .trace import Edge, Trace

__version__ = "0.1.0"

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
