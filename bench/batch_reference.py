"""Batch reference: the lecture's sigmoid neuron over many rows, written by hand.

f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2))) and its gradient with respect to all five inputs,
in numpy, and in torch (autograd, one thread). The tool's half (``backprop eval sigmoid-neuron
--rows FILE --format csv``) is measured by run.py when the option exists, and by
bench/batch_rows.py (the batch work's own script), which may import these functions.

    python bench/batch_reference.py compute ROWS       # JSON: numpy and torch compute times
    python bench/batch_reference.py csv IN.csv OUT.csv  # the numpy script, CSV in -> CSV out
    python bench/batch_reference.py make ROWS OUT.csv   # write ROWS random input rows

Input CSV: header ``w0,x0,w1,x1,w2``. Output CSV: the inputs, then ``f`` and
``grad.w0,grad.x0,grad.w1,grad.x1,grad.w2``, every number written with ``%.17g``.

``compute`` also times the tool's batch engine on the same columns when the library has one
(``backprop_cli.engine.batch.Batch(graph).run(columns, rows)``, the bundled ``sigmoid-neuron``
circuit), in one call over all rows and in the chunks the CLI uses; otherwise it says why not.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

INPUTS = ("w0", "x0", "w1", "x1", "w2")
OUTPUTS = ("f", "grad.w0", "grad.x0", "grad.w1", "grad.x1", "grad.w2")


def make_rows(rows: int, seed: int = 0) -> np.ndarray:
    return np.asarray(np.random.default_rng(seed).normal(size=(rows, len(INPUTS))))


def numpy_neuron(columns: np.ndarray) -> np.ndarray:
    """Columns w0, x0, w1, x1, w2 -> f and the five gradients, as a (rows, 6) array."""
    w0, x0, w1, x1, w2 = columns.T
    f = 1.0 / (1.0 + np.exp(-(w0 * x0 + w1 * x1 + w2)))
    ds = f * (1.0 - f)
    return np.asarray(np.stack([f, ds * x0, ds * w0, ds * x1, ds * w1, ds], axis=1))


def torch_neuron(columns: Any) -> Any:
    """The same with torch autograd on float64 vectors (call torch.set_num_threads first)."""
    import torch

    w0, x0, w1, x1, w2 = (c.clone().requires_grad_(True) for c in columns.T)
    f = torch.sigmoid(w0 * x0 + w1 * x1 + w2)
    f.backward(torch.ones_like(f))
    grads = [w0.grad, x0.grad, w1.grad, x1.grad, w2.grad]
    return torch.stack([f.detach(), *grads], dim=1)


def csv_to_csv(source: str, target: str) -> None:
    """The hand-written numpy script: read the rows, compute, write inputs and results."""
    columns = np.loadtxt(source, delimiter=",", skiprows=1, ndmin=2)
    table = np.hstack([columns, numpy_neuron(columns)])
    np.savetxt(target, table, fmt="%.17g", delimiter=",", comments="",
               header=",".join(INPUTS + OUTPUTS))


def best_of(work: Callable[[], Any], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def tool_compute(columns: np.ndarray) -> dict[str, Any]:
    """The tool's batch engine on the same rows, if the library has one."""
    try:
        from backprop_cli import compile_circuit, load_bundled
        from backprop_cli.engine.batch import Batch, chunk_rows
    except ImportError as error:
        return {"unavailable": f"no batch engine in the library yet ({error})"}
    graph = compile_circuit(load_bundled("sigmoid-neuron"))
    named = {name: np.ascontiguousarray(columns[:, i]) for i, name in enumerate(INPUTS)}
    rows = len(columns)
    step = chunk_rows(graph)

    def chunked() -> None:
        for start in range(0, rows, step):
            Batch(graph).run({k: v[start:start + step] for k, v in named.items()},
                             min(step, rows - start))

    result = Batch(graph).run(named, rows)
    expected = numpy_neuron(columns)
    got = np.column_stack([result.value, *(result.grads[name] for name in INPUTS)])
    return {"one_call": best_of(lambda: Batch(graph).run(named, rows)),
            "chunked": best_of(chunked), "chunk_rows": step,
            "agrees": bool(np.allclose(got, expected, rtol=1e-9, atol=1e-300))}


def compute(rows: int) -> dict[str, Any]:
    columns = make_rows(rows)
    result: dict[str, Any] = {"rows": rows, "numpy": best_of(lambda: numpy_neuron(columns))}
    try:
        result["tool"] = tool_compute(columns)
    except Exception as error:  # an engine of another shape than this script knows
        result["tool"] = {"unavailable": f"{type(error).__name__}: {error}"}
    try:
        import torch
    except ImportError:
        result["torch"] = None
        return result
    torch.set_num_threads(1)
    tensor = torch.from_numpy(columns)
    result["torch"] = best_of(lambda: torch_neuron(tensor))
    agree = np.allclose(torch_neuron(tensor).numpy(), numpy_neuron(columns), rtol=1e-12)
    result["torch_agrees"] = bool(agree)
    return result


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "compute":
        print(json.dumps(compute(int(argv[1]))))
    elif len(argv) == 3 and argv[0] == "csv":
        csv_to_csv(argv[1], argv[2])
    elif len(argv) == 3 and argv[0] == "make":
        np.savetxt(argv[2], make_rows(int(argv[1])), fmt="%.17g", delimiter=",", comments="",
                   header=",".join(INPUTS))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
