"""Two-layer net, forward + backward: backprop's array engine against hand-written numpy.

The CS231n net with N=64, D=1000, H=100, C=10: scores = relu(x @ W1 + b1) @ W2 + b2, softmax
(cross-entropy) loss averaged over the batch, plus L2 regularisation. Both sides compute the
same gradients; the library's gradients are checked against the hand-written ones first.

    python bench/two_layer_net.py [--repeat 200] [--threads N]

BLAS runs on one thread unless --threads says otherwise: on a small shared machine a
multi-threaded BLAS measures the neighbours' load more than the code.
"""

from __future__ import annotations

import argparse
import os
import sys

if __name__ == "__main__":  # BLAS reads its thread count when numpy is first imported
    _threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
    for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_variable, _threads)

import platform
import random
import statistics
import time
from collections.abc import Callable

import numpy as np

from backprop_cli import compile_program, evaluate, run

N, D, H, C = 64, 1000, 100, 10
REG = 1e-3
PROGRAM = """
h = relu(x @ W1 + b1)
s = h @ W2 + b2
loss = mean(cross_entropy(s, y)) + reg * (l2(W1) + l2(W2))
"""


def inputs(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((N, D)), "W1": rng.standard_normal((D, H)) * 0.01,
            "b1": np.zeros(H), "W2": rng.standard_normal((H, C)) * 0.01, "b2": np.zeros(C),
            "y": rng.integers(0, C, N).astype(float), "reg": np.array(REG)}


def by_hand(v: dict[str, np.ndarray], with_dx: bool) -> dict[str, np.ndarray]:
    """The net as one writes it in numpy (CS231n assignment style)."""
    x, W1, b1, W2, b2, y = v["x"], v["W1"], v["b1"], v["W2"], v["b2"], v["y"].astype(int)
    z = x @ W1 + b1
    h = np.maximum(0, z)
    s = h @ W2 + b2
    shifted = s - s.max(axis=1, keepdims=True)
    p = np.exp(shifted)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean() + REG * ((W1 * W1).sum() + (W2 * W2).sum())
    ds = p
    ds[np.arange(N), y] -= 1
    ds /= N
    grads = {"W2": h.T @ ds + 2 * REG * W2, "b2": ds.sum(axis=0)}
    dh = ds @ W2.T
    dz = dh * (z > 0)
    grads["W1"] = x.T @ dz + 2 * REG * W1
    grads["b1"] = dz.sum(axis=0)
    if with_dx:
        grads["x"] = dz @ W1.T
    grads["loss"] = np.asarray(loss)
    return grads


def timed(functions: dict[str, Callable[[], object]],
          repeat: int) -> dict[str, tuple[list[float], list[float]]]:
    """CPU and wall seconds per call of each function, measured in interleaved rounds in a
    shuffled order (so the machine's load and the cache hit every candidate alike), after a
    warm-up."""
    samples: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in functions}
    order = list(functions)
    shuffle = random.Random(0).shuffle
    for round_ in range(repeat + 5):
        shuffle(order)
        for name in order:
            function = functions[name]
            cpu, wall = time.process_time(), time.perf_counter()
            function()
            if round_ >= 5:
                samples[name][0].append(time.process_time() - cpu)
                samples[name][1].append(time.perf_counter() - wall)
    return samples


def line(label: str, times: tuple[list[float], list[float]],
         reference: tuple[list[float], list[float]] | None = None) -> str:
    """Median CPU time (this process's own work, whatever the neighbours do) and minimum
    wall time, in ms, and their ratios to the reference."""
    cpu, wall = statistics.median(times[0]), min(times[1])
    text = f"  {label:<52} cpu {cpu * 1e3:6.2f} ms  wall min {wall * 1e3:6.2f} ms"
    if reference is not None:
        text += (f"   ratio {cpu / statistics.median(reference[0]):.2f}x cpu, "
                 f"{wall / min(reference[1]):.2f}x wall")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    options = parser.parse_args()
    repeat = options.repeat
    values = inputs()
    graph = compile_program(PROGRAM)
    trace = evaluate(graph, values)
    reference = by_hand(values, with_dx=True)
    assert np.isclose(float(trace.value), float(reference["loss"]), rtol=1e-12)
    for name in ("W1", "b1", "W2", "b2", "x"):
        assert np.allclose(trace.grad(name), reference[name], rtol=1e-9, atol=1e-15), name

    weights_only = graph.without_gradients(["x", "reg"])
    times = timed({"library": lambda: evaluate(graph, values),
                   "library_w": lambda: evaluate(weights_only, values),
                   "text": lambda: run(PROGRAM, values),
                   "hand_dx": lambda: by_hand(values, with_dx=True),
                   "hand": lambda: by_hand(values, with_dx=False)}, repeat)
    print(f"two-layer net N={N} D={D} H={H} C={C}, softmax loss + L2; "
          f"numpy {np.__version__}, Python {platform.python_version()}, "
          f"BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS')}, {repeat} rounds")
    print(line("hand-written numpy: dW1, db1, dW2, db2", times["hand"]))
    print(line("hand-written numpy: the same and dx", times["hand_dx"]))
    print(line("backprop evaluate, x held constant (no dx)", times["library_w"],
               times["hand"]))
    print(line("backprop evaluate, every input's gradient (with dx)", times["library"],
               times["hand_dx"]))
    print(line("backprop run: program text in, every gradient", times["text"],
               times["hand_dx"]))


if __name__ == "__main__":
    main()
