"""``backprop code``: the circuit as Python, flat (the lecture's grad_ lines) or modular."""

from __future__ import annotations

import math

import click

from ..graph.expand import expand_composites
from ..limits import check_view
from .common import circuit_options, no_grad_option, print_notes, run_circuit, seed_option


@click.command("code")
@circuit_options
@click.option("--style", type=click.Choice(("flat", "modular")), default="flat",
              show_default=True,
              help="flat: one line per intermediate and per gradient; modular: one class "
                   "per gate type with forward() and backward(upstream).")
@click.option("--expand", is_flag=True,
              help="Write composite gates (sigmoid, user-defined gates) out as their inner "
                   "gates.")
@seed_option
@no_grad_option
def code_command(source: str, assignments: tuple[str, ...], output: str | None,
                 upstream: str | None, exact: bool, style: str, expand: bool, seed: int,
                 no_grad: str) -> None:
    """Print the forward and backward pass as Python code that runs as printed.

    The flat style is the lecture's: the forward pass one intermediate per line, then
    grad_<name> lines in reverse order, += where a value is used more than once. The code
    needs only the math module (numpy for arrays, with the inputs written as np.array
    literals) and prints the output and the input gradients, which are the numbers
    `backprop eval` shows. Array gates use their vector-Jacobian rules
    (grad_W2 = h.T.dot(grad_s)); elementwise gates sum back over broadcast axes.

    \b
    Example:
      backprop code circuits/sigmoid-neuron.toml
      backprop code "(x+y)*z" x=-2 y=5 z=-4 --style modular
      backprop code sigmoid-neuron-grouped --expand | python3
      backprop code two-layer-sigmoid-squared --no-grad x,y
    """
    from ..codegen.write import python_code

    trace = run_circuit(source, assignments, output, upstream, False, seed, no_grad,
                        transform=expand_composites if expand else None)
    if exact:
        click.echo("warning: the code computes in floating point; --exact only checks the "
                   "inputs", err=True)
    print_notes(trace)
    if not trace.arrays and not all(map(math.isfinite, [*trace.values, *trace.grads])):
        click.echo("warning: the code raises OverflowError at these inputs: Python's math "
                   "module refuses what IEEE-754 (and the tool) takes as inf", err=True)
    check_view("code", len(trace.graph))
    click.echo(python_code(trace, style), nl=False)
