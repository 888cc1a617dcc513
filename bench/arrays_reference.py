"""Arrays reference: the two-layer net (N=64, D=1000, H=100, C=10; ReLU, softmax loss),
forward and backward written by hand in numpy, and the same in torch autograd (one thread).
The tool's half is bench/two_layer_net.py (the arrays work's own script). When it is there,
this script also times the library on that script's own program and inputs against that
script's hand-written numpy (``PROGRAM``, ``inputs()``, ``by_hand(values, with_dx=True)``),
both in this process, in interleaved rounds, CPU time.

    python bench/arrays_reference.py [--repeats R]     # one JSON line of best times
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np

SHAPE = {"N": 64, "D": 1000, "H": 100, "C": 10}


def make_net(seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n, d, h, c = SHAPE["N"], SHAPE["D"], SHAPE["H"], SHAPE["C"]
    return {"X": rng.normal(size=(n, d)), "y": rng.integers(0, c, size=n),
            "W1": rng.normal(scale=0.01, size=(d, h)), "b1": np.zeros(h),
            "W2": rng.normal(scale=0.01, size=(h, c)), "b2": np.zeros(c)}


def numpy_net(net: dict[str, Any]) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of W1, b1, W2, b2 (mean softmax cross-entropy)."""
    X, y, W1, b1, W2, b2 = (net[k] for k in ("X", "y", "W1", "b1", "W2", "b2"))
    pre = X @ W1 + b1
    hidden = np.maximum(pre, 0.0)
    scores = hidden @ W2 + b2
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    n = X.shape[0]
    loss = float(-np.log(probs[np.arange(n), y]).mean())
    dscores = probs
    dscores[np.arange(n), y] -= 1.0
    dscores /= n
    dhidden = dscores @ W2.T
    dhidden[pre <= 0] = 0.0
    return loss, {"W1": X.T @ dhidden, "b1": dhidden.sum(axis=0),
                  "W2": hidden.T @ dscores, "b2": dscores.sum(axis=0)}


def torch_net(net: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    import torch

    X = torch.from_numpy(net["X"])
    y = torch.from_numpy(net["y"])
    params = {k: torch.from_numpy(net[k]).clone().requires_grad_(True)
              for k in ("W1", "b1", "W2", "b2")}
    hidden = torch.relu(X @ params["W1"] + params["b1"])
    scores = hidden @ params["W2"] + params["b2"]
    loss = torch.nn.functional.cross_entropy(scores, y)
    loss.backward()
    return float(loss.detach()), {k: p.grad for k, p in params.items()}


def best_of(work: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def tool_half(repeats: int) -> dict[str, Any]:
    """The library against bench/two_layer_net.py's hand-written numpy, if both exist."""
    try:
        import two_layer_net as net

        from backprop_cli import compile_program, evaluate
    except ImportError as error:
        return {"unavailable": f"bench/two_layer_net.py or array support is missing ({error})"}
    values = net.inputs()
    graph = compile_program(net.PROGRAM)
    trace = evaluate(graph, values)
    reference = net.by_hand(values, with_dx=True)
    agrees = bool(np.isclose(float(trace.value), float(reference["loss"]), rtol=1e-12))
    best = {"tool": float("inf"), "hand": float("inf")}
    jobs = {"tool": lambda: evaluate(graph, values),
            "hand": lambda: net.by_hand(values, with_dx=True)}
    for _ in range(repeats):
        for name, job in jobs.items():
            start = time.process_time()
            job()
            best[name] = min(best[name], time.process_time() - start)
    return {**best, "ratio": best["tool"] / best["hand"], "agrees": agrees}


def main() -> None:
    parser = argparse.ArgumentParser(description="two-layer net reference timings")
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    net = make_net()
    result: dict[str, Any] = {**SHAPE, "numpy": best_of(lambda: numpy_net(net), args.repeats)}
    try:
        import torch
    except ImportError:
        result["torch"] = None
    else:
        torch.set_num_threads(1)
        result["torch"] = best_of(lambda: torch_net(net), args.repeats)
        loss, grads = torch_net(net)
        ref_loss, ref = numpy_net(net)
        result["torch_agrees"] = bool(abs(loss - ref_loss) < 1e-9 and all(
            np.allclose(grads[k].numpy(), ref[k], rtol=1e-9, atol=1e-12) for k in ref))
    try:
        result["tool"] = tool_half(args.repeats)
    except Exception as error:  # a script or library of another shape than expected
        result["tool"] = {"unavailable": f"{type(error).__name__}: {error}"}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
