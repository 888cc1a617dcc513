"""The bundled layer circuits of CS231n assignment 2 (``circuits/layer-*.toml`` and
``two-layer-batchnorm``): their expected answers come from the assignment's layers written
here by hand in numpy (forward and backward formulas, the conv and pool as naive loops), and
from central differences of those forwards; never from the tool. Each file's ``[expect]``
must equal these references, and ``backprop check`` must pass each file.

    python tests/analysis/test_layer_circuits.py NAME   # prints NAME's [expect] table
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

if __name__ == "__main__":  # conftest puts every test folder on the path
    sys.path.insert(0, str(Path(__file__).parents[1]))
    import conftest  # noqa: F401

from test_arrays_gates import numeric_gradient
from test_conv import (
    conv_backward_naive,
    conv_forward_naive,
    pool_backward_naive,
    pool_forward_naive,
)

from conftest import invoke

CIRCUITS = Path(__file__).resolve().parents[2] / "circuits"
Arrays = dict[str, np.ndarray]


# ----------------------------------------------------------------------------- the layers

def affine(x: np.ndarray, w: np.ndarray, b: np.ndarray, dout: np.ndarray) -> Arrays:
    rows = x.reshape(x.shape[0], -1)
    return {"out": rows @ w + b, "x": (dout @ w.T).reshape(x.shape), "w": rows.T @ dout,
            "b": dout.sum(axis=0)}


def relu(x: np.ndarray, dout: np.ndarray) -> Arrays:
    return {"out": np.maximum(0, x), "x": dout * (x > 0)}


def affine_relu(x: np.ndarray, w: np.ndarray, b: np.ndarray, dout: np.ndarray) -> Arrays:
    a = x @ w + b
    grads = affine(x, w, b, relu(a, dout)["x"])
    return {**grads, "a": a, "out": np.maximum(0, a)}


def svm_loss(x: np.ndarray, y: np.ndarray) -> Arrays:
    n = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(n), y][:, None] + 1)
    margins[np.arange(n), y] = 0
    dx = (margins > 0).astype(float)
    dx[np.arange(n), y] = -dx.sum(axis=1)
    return {"loss": np.asarray(margins.sum() / n), "x": dx / n}


def softmax_loss(x: np.ndarray, y: np.ndarray) -> Arrays:
    n = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean()
    dx = p.copy()
    dx[np.arange(n), y] -= 1
    return {"loss": np.asarray(loss), "x": dx / n}


def batchnorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float,
              dout: np.ndarray) -> Arrays:
    """batchnorm_forward (train) and the one-line batchnorm_backward_alt."""
    n = x.shape[0]
    mu = x.mean(axis=0)
    sigma2 = ((x - mu) ** 2).mean(axis=0)
    inv = 1 / np.sqrt(sigma2 + eps)
    xhat = (x - mu) * inv
    dxhat = dout * gamma
    dx = inv / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return {"out": gamma * xhat + beta, "xhat": xhat, "mu": mu, "sigma2": sigma2, "x": dx,
            "gamma": (dout * xhat).sum(axis=0), "beta": dout.sum(axis=0)}


def layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float,
              dout: np.ndarray) -> Arrays:
    """layernorm_forward / layernorm_backward, normalising each row over its features."""
    d = x.shape[1]
    mu = x.mean(axis=1, keepdims=True)
    sigma2 = ((x - mu) ** 2).mean(axis=1, keepdims=True)
    inv = 1 / np.sqrt(sigma2 + eps)
    xhat = (x - mu) * inv
    dxhat = dout * gamma
    dx = inv / d * (d * dxhat - dxhat.sum(axis=1, keepdims=True)
                    - xhat * (dxhat * xhat).sum(axis=1, keepdims=True))
    return {"out": gamma * xhat + beta, "xhat": xhat, "x": dx,
            "gamma": (dout * xhat).sum(axis=0), "beta": dout.sum(axis=0)}


def dropout(x: np.ndarray, mask: np.ndarray, p: float, dout: np.ndarray) -> Arrays:
    return {"out": x * mask / p, "x": dout * mask / p}


def two_layer_batchnorm(v: dict[str, Any]) -> Arrays:
    """affine - batchnorm - relu - affine - softmax loss, backward chained by hand."""
    a = v["x"] @ v["W1"] + v["b1"]
    bn_out = batchnorm(a, v["gamma"], v["beta"], v["eps"], np.zeros(a.shape))["out"]
    h = np.maximum(0, bn_out)
    s = h @ v["W2"] + v["b2"]
    loss = softmax_loss(s, v["y"])
    top = affine(h, v["W2"], v["b2"], loss["x"])
    bn = batchnorm(a, v["gamma"], v["beta"], v["eps"], relu(bn_out, top["x"])["x"])
    bottom = affine(v["x"], v["W1"], v["b1"], bn["x"])
    return {"loss": loss["loss"], "s": s, "x": bottom["x"], "W1": bottom["w"],
            "b1": bottom["b"], "gamma": bn["gamma"], "beta": bn["beta"], "W2": top["w"],
            "b2": top["b"]}


# ----------------------------------------------------------------------------- per circuit

def _conv(v: dict[str, Any], dout: np.ndarray) -> Arrays:
    dx, dw, db = conv_backward_naive(dout, v["x"], v["w"], 2, 1)
    return {"out": conv_forward_naive(v["x"], v["w"], v["b"], 2, 1), "x": dx, "w": dw, "b": db}


def _pool(v: dict[str, Any], dout: np.ndarray) -> Arrays:
    return {"out": pool_forward_naive(v["x"], 2, 2),
            "x": pool_backward_naive(dout, v["x"], 2, 2)}


# name -> (the reference, its forward as a function of the differentiable inputs (for
# central differences), the node names among the reference's keys)
Reference = Callable[[dict[str, Any], np.ndarray], Arrays]
REFERENCES: dict[str, Reference] = {
    "layer-affine": lambda v, g: affine(v["x"], v["w"], v["b"], g),
    "layer-relu": lambda v, g: relu(v["x"], g),
    "layer-affine-relu": lambda v, g: affine_relu(v["x"], v["w"], v["b"], g),
    "layer-conv": _conv,
    "layer-max-pool": _pool,
    "layer-svm-loss": lambda v, g: svm_loss(v["x"], v["y"]),
    "layer-softmax-loss": lambda v, g: softmax_loss(v["x"], v["y"]),
    "layer-dropout": lambda v, g: dropout(v["x"], v["mask"], v["p"], g),
    "layer-batchnorm": lambda v, g: batchnorm(v["x"], v["gamma"], v["beta"], v["eps"], g),
    "layer-layernorm": lambda v, g: layernorm(v["x"], v["gamma"], v["beta"], v["eps"], g),
    "two-layer-batchnorm": lambda v, g: two_layer_batchnorm(v),
}
NODES = {"out", "loss", "a", "s", "xhat", "mu", "sigma2"}  # the rest are gradients
LABELS = {"y"}
CONSTANTS = {"mask", "p", "eps"}  # held inputs whose gradients the files leave out


def load(name: str) -> tuple[dict[str, Any], dict[str, Any], np.ndarray]:
    """A circuit file's inputs (as arrays; labels as integers), [expect] and upstream."""
    data = tomllib.loads((CIRCUITS / f"{name}.toml").read_text(encoding="utf-8"))
    inputs = {key: (np.array(value, dtype=int) if key in LABELS else
                    float(value) if np.ndim(value) == 0 else np.array(value, dtype=float))
              for key, value in data["inputs"].items()}
    return inputs, data.get("expect", {}), np.array(data.get("upstream", 1.0), dtype=float)


def reference_expect(name: str) -> dict[str, Any]:
    """The [expect] table the references give: node values and input gradients."""
    inputs, _, upstream = load(name)
    result = REFERENCES[name](inputs, upstream)
    values = {key: value for key, value in result.items() if key in NODES}
    grads = {key: value for key, value in result.items()
             if key not in NODES and key in inputs and key not in CONSTANTS | LABELS}
    return {**values, "grad": grads}


def _forward(name: str, inputs: dict[str, Any]) -> Callable[..., np.ndarray]:
    """The reference's output as a function of one input (for central differences)."""
    output = "loss" if "loss" in reference_expect(name) else "out"

    def forward(**moved: Any) -> np.ndarray:
        values = {**inputs, **moved}
        zeros = np.zeros(np.shape(load(name)[2]))
        return np.asarray(REFERENCES[name](values, zeros)[output])

    return forward


NAMES = sorted(REFERENCES)


@pytest.mark.parametrize("name", NAMES)
def test_the_files_answers_are_the_hand_written_layers(name: str) -> None:
    _, expect, _ = load(name)
    want = reference_expect(name)
    assert set(expect) == set(want)
    assert set(expect["grad"]) == set(want["grad"])
    for key, value in want.items():
        if key != "grad":
            np.testing.assert_allclose(expect[key], value, rtol=1e-13, atol=1e-14, err_msg=key)
    for key, value in want["grad"].items():
        np.testing.assert_allclose(expect["grad"][key], value, rtol=1e-13, atol=1e-14,
                                   err_msg=key)


@pytest.mark.parametrize("name", NAMES)
def test_the_hand_written_backward_is_central_differences(name: str) -> None:
    inputs, _, upstream = load(name)
    want = reference_expect(name)["grad"]
    forward = _forward(name, inputs)
    for key, value in want.items():
        got = numeric_gradient(forward, inputs, upstream, key)
        np.testing.assert_allclose(value, got, rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("name", NAMES)
def test_backprop_check_passes_each_layer_circuit(name: str) -> None:
    result = invoke("check", f"circuits/{name}.toml")
    assert result.exit_code == 0, result.output
    assert not any(line.startswith("wrong") for line in result.output.splitlines())
    assert result.output.rstrip().endswith(" right, 0 wrong")


def expect_toml(name: str) -> str:
    """The [expect] table of a circuit, as its file holds it (full precision)."""
    def text(value: Any) -> str:
        return repr(np.asarray(value).tolist()).replace("'", '"')

    want = reference_expect(name)
    lines = ["[expect]"]
    lines += [f"{key} = {text(value)}" for key, value in want.items() if key != "grad"]
    lines += [f"grad.{key} = {text(value)}" for key, value in want["grad"].items()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(expect_toml(sys.argv[1]))
