"""Practice circuits in the lecture's style, written as circuit files that hold no answers.

Level 1 is the family of f = (x + y) * z; level 2 the sigmoid neuron, with an add, mul or
max router and a value used twice (fan-out); level 3 a small vector circuit with a matrix
product and a relu. Values are small integers; the same level and seed give the same file.
The questions are the gradients of every named node, in backward order, in the tool's own
labels (``df/dq``), which ``backprop check FILE --expect ...`` grades with hints.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from ..api import run
from ..graph.graph import CONST
from ..inputs.circuits import Circuit, parse_circuit

LEVELS = (1, 2, 3)
TRIES = 100  # draws until the values keep clear of ties and kinks


@dataclass(frozen=True)
class Quiz:
    """A practice problem: its circuit file text and the labels of what to answer."""

    level: int
    seed: int
    text: str
    questions: tuple[str, ...]

    def circuit(self, name: str = "quiz", path: str | None = None) -> Circuit:
        """The circuit the file describes (read back from the file's own text)."""
        return parse_circuit(self.text, name, path or f"{name}.toml")


def make_quiz(level: int, seed: int) -> Quiz:
    """The quiz of ``level`` drawn with ``seed`` (a pure function of both)."""
    rng = random.Random(f"backprop-quiz-{level}-{seed}")
    lines, inputs = _LEVELS[level](rng)
    text = _circuit_text(level, seed, "\n".join(lines), inputs)
    quiz = Quiz(level, seed, text, ())
    return Quiz(level, seed, text, _questions(quiz.circuit()))


def _questions(circuit: Circuit) -> tuple[str, ...]:
    """``dOUT/dNAME`` for every node the backward pass reaches, in the order its gradient is
    complete there (after the last edge back to it)."""
    trace = run(circuit)
    graph = trace.graph
    done: dict[int, int] = {}
    for index, edge in enumerate(trace.edges()):
        if graph.gates[edge.source] != CONST:
            done[edge.source] = index
    out = graph.names[trace.output]
    return tuple(f"d{out}/d{graph.names[node]}" for node in sorted(done, key=done.__getitem__))


def _circuit_text(level: int, seed: int, program: str, inputs: dict[str, object]) -> str:
    title = f"Practice, level {level} (backprop quiz --level {level} --seed {seed})"
    rows = "\n".join(f"{name} = {_toml_value(value)}" for name, value in inputs.items())
    return (f'title = "{title}"\n'
            f'description = "{_DESCRIPTIONS[level]}"\n'
            f'program = """\n{program}\n"""\n\n[inputs]\n{rows}\n')


def _toml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return str(value)


def _small(rng: random.Random, low: int = -5, high: int = 5) -> int:
    return rng.choice([n for n in range(low, high + 1) if n != 0])


def _level_1(rng: random.Random) -> tuple[list[str], dict[str, object]]:
    """q = x (+|-|*) y, f = q (*|+) z: the lecture's first circuit and its cousins."""
    inner, outer = rng.choice([("+", "*"), ("-", "*"), ("*", "+"), ("+", "*")])
    values = {name: _small(rng) for name in ("x", "y", "z")}
    return [f"q = x {inner} y", f"f = q {outer} z"], dict(values)


def _level_2(rng: random.Random) -> tuple[list[str], dict[str, object]]:
    """The sigmoid neuron: two products, a router (add or max), a bias, the sigmoid; one
    input feeds both products (fan-out) half of the time."""
    shared = rng.random() < 0.5
    second = "x0" if shared else "x1"
    for _ in range(TRIES):
        values = {"w0": _small(rng, -3, 3), "x0": _small(rng, -3, 3), "w1": _small(rng, -3, 3)}
        if not shared:
            values["x1"] = _small(rng, -3, 3)
        values["w2"] = _small(rng, -3, 3)
        router = rng.choice(["s0 + s1", "max(s0, s1)"])
        s0, s1 = values["w0"] * values["x0"], values["w1"] * values[second]
        if s0 != s1:
            break
    lines = ["s0 = w0 * x0", f"s1 = w1 * {second}", f"s2 = {router}", "s3 = s2 + w2",
             "f = sigmoid(s3)"]
    return lines, dict(values)


def _level_3(rng: random.Random) -> tuple[list[str], dict[str, object]]:
    """h = x @ W, r = relu(h), p = r * v, L = sum(p): a 2- or 3-vector through a small
    matrix, every element of h clear of relu's kink."""
    size = rng.choice([2, 3])
    for _ in range(TRIES):
        x = [_small(rng, -3, 3) for _ in range(size)]
        w = [[_small(rng, -2, 2) for _ in range(2)] for _ in range(size)]
        h = [sum(x[i] * w[i][j] for i in range(size)) for j in range(2)]
        if all(h) and any(value > 0 for value in h):
            break
    v = [_small(rng, -3, 3) for _ in range(2)]
    return ["h = x @ W", "r = relu(h)", "p = r * v", "L = sum(p)"], {"x": x, "W": w, "v": v}


_LEVELS: dict[int, Callable[[random.Random], tuple[list[str], dict[str, object]]]] = {
    1: _level_1, 2: _level_2, 3: _level_3}
_DESCRIPTIONS = {
    1: "Work the forward pass, then every gradient by hand, from the output back.",
    2: "A sigmoid neuron: mind the router (add distributes, max routes) and a value used "
       "twice (its gradients add).",
    3: "Vectors: dL/dW = x.T @ dL/dh (an outer product here), dL/dx = dL/dh @ W.T; relu "
       "passes the gradient where h > 0.",
}
