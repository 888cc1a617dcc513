"""Timings for issue 3's commands (run: python bench/learning.py). Prints a Markdown table.

Measured in-process (the library, not a subprocess), best of 3, on chains built like the
README's scale benchmark: ``c = tanh(c*1.01 + 0.1)`` repeated (3 gates per line); the array
rows use the lecture's two-layer net (N=64, D=1000, H=100, C=10) and a vector of 10^6.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from backprop_cli import compile_program, evaluate, run
from backprop_cli.analysis.gradcheck import gradcheck
from backprop_cli.analysis.walk import backward_steps
from backprop_cli.codegen.python import flat_code, modular_code
from backprop_cli.codegen.write import python_code
from backprop_cli.graph.expand import expand_composites


def chain(lines: int, body: str = "tanh(c*1.01 + 0.1)") -> str:
    return "\n".join(["c = x", *(f"c = {body}" for _ in range(lines))])


def best(function: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    graph = compile_program(chain(3333))
    trace = evaluate(graph, {"x": 0.5})
    user = compile_program("def sp(t): log(1 + exp(t))\n" + chain(3333, "sp(c*0.5)"))
    written = compile_program(chain(3333, "log(1 + exp(c*0.5))"))
    sig = compile_program(chain(10000, "sigmoid(c)"))
    rows = [
        ("evaluate 10^4 gates (reference)", best(lambda: evaluate(graph, {"x": 0.5}))),
        ("gradcheck, 10^4 gates, 1 input", best(lambda: gradcheck(graph, {"x": 0.5}))),
        ("backward_steps, 10^4 gates", best(lambda: backward_steps(trace))),
        ("flat_code, 10^4 gates", best(lambda: flat_code(trace), 1)),
        ("modular_code, 10^4 gates", best(lambda: modular_code(trace), 1)),
        ("expand 10^4 sigmoid gates", best(lambda: expand_composites(sig))),
        ("evaluate 3,333 user gates sp(t) (tape)", best(lambda: evaluate(user, {"x": 0.5}))),
        ("evaluate the same written out", best(lambda: evaluate(written, {"x": 0.5}))),
        ("define a user gate (sympy diff)", best(lambda: run(
            "def g(a, b): a * exp(-b) / (1 + a ** 2)\nf = g(x, y)", {"x": 1, "y": 2}), 1)),
    ]
    rows += array_rows()
    print("| job | time |\n|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.0f} ms |")


NET = {"x": "randn(64, 1000)", "W1": "randn(1000, 100)", "b1": "zeros(100)",
       "W2": "randn(100, 10)", "b2": "zeros(10)", "y": "randint(10, 64)"}


def array_rows() -> list[tuple[str, float]]:
    net = run("two-layer-softmax-l2", NET)
    code = python_code(net, "flat").replace("print(", "(")  # run it silently
    hinge = run("two-layer-hinge")
    hinge_inputs = {name: hinge.values[node] for name, node in hinge.graph.inputs.items()}
    user = compile_program("def sp(t): log(1 + exp(t))\nf = sum(sp(x))")
    written = compile_program("f = sum(log(1 + exp(x)))")
    drawn = run(written, {"x": "randn(1000000)"})
    vector = {"x": drawn.values[drawn.graph.inputs["x"]]}
    return [
        ("flat numpy code, two-layer net (N=64, D=1000, H=100, C=10: 65,000 input numbers)",
         best(lambda: python_code(net, "flat"), 1)),
        ("modular numpy code, the same", best(lambda: python_code(net, "modular"), 1)),
        ("run that flat code (compile the literals, forward, backward)",
         best(lambda: exec(compile(code, "<code>", "exec"), {}), 1)),
        ("gradcheck two-layer-hinge (every element)",
         best(lambda: gradcheck(hinge.graph, hinge_inputs))),
        ("user gate sp on 10^6 elements (numpy tape)", best(lambda: evaluate(user, vector))),
        ("the same written out", best(lambda: evaluate(written, vector))),
    ]


if __name__ == "__main__":
    main()
