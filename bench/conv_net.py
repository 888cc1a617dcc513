"""conv2d forward + backward: backprop's array engine against a hand-written numpy im2col.

The layer of CS231n assignment 2 at N=16, C=3, H=W=32, F=16, 3x3 filters, pad 1, stride 1:
out = conv2d(x, w, b, 1, 1), and with an upstream gradient dout the gradients dx, dw, db.
The reference is the assignment's fast layer written out (im2col with fancy indexing, one
matrix product, col2im with np.add.at); the tool's gradients are checked against it first.
Both run in this process in interleaved shuffled rounds; the ratio is of median CPU times.

    python bench/conv_net.py [--repeat 50] [--threads N]

The last line, ``TARGET {json}``, joins the targets table of bench/run.py (at most 3x).
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # BLAS reads its thread count when numpy is first imported
    _threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
    for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_variable, _threads)

import argparse
import json
import platform
import statistics

import numpy as np
from two_layer_net import line, timed

from backprop_cli import compile_program, evaluate

N, C, H, W, F, K = 16, 3, 32, 32, 16, 3
STRIDE, PAD = 1, 1
PROGRAM = f"out = conv2d(x, w, b, {STRIDE}, {PAD})"
TARGET = 3.0


def inputs(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((N, C, H, W)), "w": rng.standard_normal((F, C, K, K)),
            "b": rng.standard_normal(F)}


def im2col_indices(shape: tuple[int, ...], k: int, pad: int,
                   stride: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (channel, row, column) of every entry of the im2col matrix."""
    _, channels, height, width = shape
    out_h, out_w = (height + 2 * pad - k) // stride + 1, (width + 2 * pad - k) // stride + 1
    i0 = np.tile(np.repeat(np.arange(k), k), channels)
    i1 = stride * np.repeat(np.arange(out_h), out_w)
    j0 = np.tile(np.arange(k), k * channels)
    j1 = stride * np.tile(np.arange(out_w), out_h)
    rows = i0.reshape(-1, 1) + i1.reshape(1, -1)
    columns = j0.reshape(-1, 1) + j1.reshape(1, -1)
    depth = np.repeat(np.arange(channels), k * k).reshape(-1, 1)
    return depth, rows, columns


def by_hand(x: np.ndarray, w: np.ndarray, b: np.ndarray,
            dout: np.ndarray) -> dict[str, np.ndarray]:
    """conv_forward_im2col and conv_backward_im2col, as the assignment writes them."""
    n, _, height, width = x.shape
    f, _, k, _ = w.shape
    out_h, out_w = (height + 2 * PAD - k) // STRIDE + 1, (width + 2 * PAD - k) // STRIDE + 1
    padded = np.pad(x, ((0, 0), (0, 0), (PAD, PAD), (PAD, PAD)))
    depth, rows, columns = im2col_indices(x.shape, k, PAD, STRIDE)
    cols = padded[:, depth, rows, columns].transpose(1, 2, 0).reshape(C * k * k, -1)
    out = (w.reshape(f, -1) @ cols + b.reshape(-1, 1)).reshape(f, out_h, out_w, n)
    out = out.transpose(3, 0, 1, 2)
    dout_cols = dout.transpose(1, 2, 3, 0).reshape(f, -1)
    dw = (dout_cols @ cols.T).reshape(w.shape)
    dcols = (w.reshape(f, -1).T @ dout_cols).reshape(C * k * k, -1, n).transpose(2, 0, 1)
    dpadded = np.zeros(padded.shape)
    np.add.at(dpadded, (slice(None), depth, rows, columns), dcols)
    return {"out": out, "x": dpadded[:, :, PAD:-PAD, PAD:-PAD], "w": dw,
            "b": dout.sum(axis=(0, 2, 3))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    options = parser.parse_args()
    values = inputs()
    graph = compile_program(PROGRAM)
    dout = np.random.default_rng(1).standard_normal((N, F, H, W))
    trace = evaluate(graph, values, upstream=dout)
    reference = by_hand(values["x"], values["w"], values["b"], dout)
    assert np.allclose(trace.value, reference["out"], rtol=1e-10, atol=1e-10)
    for name in ("x", "w", "b"):
        assert np.allclose(trace.grad(name), reference[name], rtol=1e-10, atol=1e-10), name
    times = timed({"library": lambda: evaluate(graph, values, upstream=dout),
                   "hand": lambda: by_hand(values["x"], values["w"], values["b"], dout)},
                  options.repeat)
    print(f"conv2d N={N} C={C} H=W={H} F={F} {K}x{K} pad {PAD} stride {STRIDE}, forward + "
          f"backward (dx, dw, db); numpy {np.__version__}, Python {platform.python_version()}"
          f", BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS')}, {options.repeat} rounds")
    print(line("hand-written numpy im2col (the assignment's fast layer)", times["hand"]))
    print(line("backprop evaluate of conv2d(x, w, b, 1, 1)", times["library"], times["hand"]))
    ratio = statistics.median(times["library"][0]) / statistics.median(times["hand"][0])
    print("TARGET " + json.dumps({
        "target": f"conv2d forward + backward within {TARGET:g}x a hand-written numpy im2col",
        "measured": f"{ratio:.2f}x (median CPU time)", "met": ratio <= TARGET}))


if __name__ == "__main__":
    main()
