"""``backprop code``: the circuit as Python, flat (the lecture's grad_ lines) or modular."""

from __future__ import annotations

import click

from ..errors import InputError
from ..expand import expand_composites
from .common import circuit_options, print_notes, run_circuit


@click.command("code")
@circuit_options
@click.option("--style", type=click.Choice(("flat", "modular")), default="flat",
              show_default=True,
              help="flat: one line per intermediate and per gradient; modular: one class "
                   "per gate type with forward() and backward(upstream).")
@click.option("--expand", is_flag=True,
              help="Write composite gates (sigmoid, user-defined gates) out as their inner "
                   "gates.")
def code_command(source: str, assignments: tuple[str, ...], output: str | None,
                 upstream: str | None, exact: bool, style: str, expand: bool) -> None:
    """Print the forward and backward pass as Python code that runs as printed.

    The flat style is the lecture's: the forward pass one intermediate per line, then
    grad_<name> lines in reverse order, += where a value is used more than once. The code
    needs only the math module and prints the output and the input gradients, which are
    the numbers `backprop eval` shows.

    \b
    Example:
      backprop code circuits/sigmoid-neuron.toml
      backprop code "(x+y)*z" x=-2 y=5 z=-4 --style modular
      backprop code sigmoid-neuron-grouped --expand | python3
    """
    from ..pycode import python_code  # sympy prints the code: imported only here

    trace = run_circuit(source, assignments, output, upstream, False,
                        transform=expand_composites if expand else None)
    if exact:
        click.echo("warning: the code computes in floating point; --exact only checks the "
                   "inputs", err=True)
    if trace.arrays:
        raise InputError("backprop code writes circuits of numbers; array values are not "
                         "supported yet")
    print_notes(trace)
    click.echo(python_code(trace, style), nl=False)
