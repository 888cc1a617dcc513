"""``backprop step``: gradient descent whose loss falls; save and continue; exact steps."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from conftest import invoke

NEURON = ("neuron-squared-loss", "--params", "w1,w2", "--lr", "0.5")


def sigmoid(t: float) -> float:
    return 1 / (1 + math.exp(-t))


def loss(w1: float, w2: float, x: float = 2.0, y: float = 1.0) -> float:
    return (sigmoid(w1 * x + w2) - y) ** 2


def step_json(*args: str) -> dict:
    result = invoke("step", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    document: dict = json.loads(result.stdout)
    return document


def test_two_parameter_descent_lowers_the_loss_every_step() -> None:
    doc = step_json(*NEURON, "--iters", "20")
    steps = doc["steps"]
    assert len(steps) == 20 and doc["start"] == {"w1": 0.5, "w2": -1}
    for before, after in itertools.pairwise(steps):
        assert after["loss_before"] == before["loss_after"]
    assert all(s["loss_after"] < s["loss_before"] for s in steps)
    assert steps[-1]["loss_after"] < steps[0]["loss_before"] / 10


def test_each_update_is_p_minus_lr_times_gradient() -> None:
    doc = step_json(*NEURON, "--iters", "3")
    params = doc["start"]
    for step in doc["steps"]:
        w1, w2 = params["w1"], params["w2"]
        s = w1 * 2 + w2  # independent: dloss/ds = 2 (p - y) p (1 - p)
        p = sigmoid(s)
        dloss_ds = 2 * (p - 1) * p * (1 - p)
        assert step["loss_before"] == pytest.approx(loss(w1, w2), rel=1e-14)
        assert step["gradients"] == pytest.approx({"w1": 2 * dloss_ds, "w2": dloss_ds},
                                                  rel=1e-13)
        expected = {"w1": w1 - 0.5 * step["gradients"]["w1"],
                    "w2": w2 - 0.5 * step["gradients"]["w2"]}
        assert step["params"] == expected
        assert step["loss_after"] == pytest.approx(loss(**expected), rel=1e-14)
        params = step["params"]
    assert doc["params"] == params


def test_the_first_step_by_hand() -> None:
    """s = 0, p = 1/2, dloss/dw1 = -1/2, dloss/dw2 = -1/4: w1 = 3/4, w2 = -7/8."""
    doc = step_json(*NEURON)
    assert doc["steps"][0]["gradients"] == {"w1": -0.5, "w2": -0.25}
    assert doc["params"] == {"w1": 0.75, "w2": -0.875}


def test_table_output() -> None:
    result = invoke("step", *NEURON, "--iters", "2")
    lines = result.stdout.splitlines()
    assert lines[0] == "Gradient descent on loss, lr = 0.5"
    assert lines[1].split() == ["step", "loss", "before", "dloss/dw1", "dloss/dw2", "w1", "w2",
                                "loss", "after"]
    assert lines[2].split() == ["0", "0.5", "-1"]
    assert lines[3].split()[:6] == ["1", "0.25", "-0.5", "-0.25", "0.75", "-0.875"]
    assert lines[-1].startswith("loss: 0.25 -> ") and lines[-1].endswith("after 2 steps (fell)")


@pytest.mark.parametrize("name", ["w.txt", "w.json"])
def test_save_and_continue_equals_one_long_run(tmp_path: Path, name: str) -> None:
    saved = tmp_path / name
    first = invoke("step", *NEURON, "--iters", "3", "--save", str(saved))
    assert first.exit_code == 0 and "wrote the parameters" in first.stderr
    continued = step_json(*NEURON, "--iters", "2", "--load", str(saved))
    whole = step_json(*NEURON, "--iters", "5")
    assert continued["params"] == whole["params"]
    assert continued["steps"][-1]["loss_after"] == whole["steps"][-1]["loss_after"]


def test_saved_lines_are_command_line_values(tmp_path: Path) -> None:
    result = invoke("step", *NEURON, "--iters", "3", "--save", "-")
    lines = result.stdout.split()
    assert [line.split("=")[0] for line in lines] == ["w1", "w2"]
    continued = step_json("neuron-squared-loss", *lines, "--params", "w1,w2", "--lr", "0.5",
                          "--iters", "2")
    assert continued["params"] == step_json(*NEURON, "--iters", "5")["params"]


def test_exact_steps_keep_fractions() -> None:
    result = invoke("step", "(w*x - y)**2", "x=2", "y=1", "w=0", "--params", "w",
                    "--lr", "1/16", "--iters", "2", "--exact", "--save", "-")
    # df/dw = 4(2w - 1): w = 0 + 4/16 = 1/4, then 1/4 - (4 * -1/2)/16 = 3/8
    assert result.stdout == "w=3/8\n"


def test_bad_runs_exit_2() -> None:
    bad = invoke("step", "(w*x - y)**2", "x=2", "y=1", "w=0", "--params", "v")
    assert bad.exit_code == 2 and "'v' is not an input" in bad.stderr
    diverged = invoke("step", "(w*x - y)**2", "x=2", "y=1", "w=0", "--params", "w",
                      "--lr", "10", "--iters", "400")
    assert diverged.exit_code == 2
    assert diverged.stderr.startswith("error: after step ") and "overflow" in diverged.stderr
    assert invoke("step", *NEURON, "--lr", "x").exit_code == 2
    assert invoke("step", "neuron-squared-loss", "--lr", "1").exit_code == 2  # no --params


def test_overflow_in_a_power_is_called_overflow() -> None:
    """(Found while testing divergence: a power that overflows was reported as a negative
    base needing an integer exponent.)"""
    result = invoke("eval", "x**2", "x=1e200", "--strict")
    assert result.exit_code == 2 and "overflow" in result.stderr
    assert "negative base" in invoke("eval", "x**0.5", "x=-2").stderr


def test_a_descent_too_long_for_node_evaluations_is_refused_before_it_starts() -> None:
    """A 10^5-term sum for 1,000 steps ran for minutes (found by fuzz/mixed.py seed 6):
    nodes × (iters + 1) is bounded by node-evaluations, and raising the limit lets it run."""
    program = "f = " + " + ".join(f"x*{k}" for k in range(1, 51))  # 150 nodes
    args = ("step", "-", "x=1", "--params", "x", "--lr", "0.001", "--iters", "99")
    refused = invoke(*args, "--limit", "node-evaluations=14999", input=program)
    assert refused.exit_code == 2
    assert refused.stderr == ("error: the node evaluations of 99 steps of 150 nodes (fewer "
                              "--iters) (15,000) exceeds the limit of 14,999; raise it with "
                              "--limit node-evaluations=N\n")
    ran = invoke(*args, "--limit", "node-evaluations=15000", input=program)
    assert ran.exit_code == 0, ran.stderr


def test_a_history_too_long_for_memory_is_refused_before_it_starts() -> None:
    """10^6 steps of the neuron would keep about 4 GB of records: refused by memory."""
    result = invoke("step", *NEURON, "--iters", "1000000")
    assert result.exit_code == 2
    assert "1,000,000 steps of w1, w2" in result.stderr
    assert result.stderr.endswith("raise it with --limit memory=N\n")
