"""``backprop eval``: forward values, every edge's gradients, and the input gradients."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click
from rich.console import Console

from ..expand import expand_composites
from ..render.json import render_json
from ..render.plain import render_plain
from ..render.report import build_report
from ..render.table import print_report
from ..trace import Trace
from .common import circuit_options, no_grad_option, print_notes, run_circuit, seed_option
from .walk import show_steps

if TYPE_CHECKING:
    from ..jacobian import Jacobian

FORMATS = ("auto", "table", "plain", "json")


@click.command("eval")
@circuit_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="auto: a table in a terminal, plain text otherwise.")
@click.option("--precision", type=click.IntRange(0, 17), metavar="N",
              help="Round displayed numbers to N decimals (JSON keeps full precision).")
@click.option("--full", is_flag=True, help="Show every node and edge even for a large graph.")
@click.option("--jacobian", is_flag=True,
              help="Also show each gate's explicit Jacobian (up to 4096 entries) and check "
                   "Jᵀ·upstream against the backward pass; larger ones: the memory needed.")
@click.option("--steps", is_flag=True, help="Walk the backward pass one edge at a time.")
@click.option("--pause", is_flag=True,
              help="Walk step by step, waiting for Enter between steps (in a terminal only).")
@click.option("--expand", is_flag=True,
              help="Write composite gates (sigmoid, user-defined gates) out as their inner "
                   "gates.")
@seed_option
@no_grad_option
def eval_command(source: str, assignments: tuple[str, ...], output: str | None,
                 upstream: str | None, exact: bool, fmt: str, precision: int | None,
                 full: bool, jacobian: bool, steps: bool, pause: bool, expand: bool,
                 seed: int, no_grad: str) -> None:
    """Evaluate a circuit forward and backward and show every gradient.

    SOURCE is an expression, a program (assignments separated by newlines or ';'),
    a circuit file, a bundled circuit name, or - for standard input.

    \b
    Example:
      backprop eval "(x+y)*z" x=-2 y=5 z=-4
      backprop eval "q = x + y; f = q * z" x=-2 y=5 z=-4 --format json
      backprop eval circuits/sigmoid-neuron.toml
      backprop eval "z = relu(x)" "x=[1,-2,3,-1]" --upstream "[4,-1,5,9]" --jacobian
      backprop eval "y = x @ w" "x=randn(2,3)" "w=randn(3,4)" --upstream "ones(2,4)"
      backprop eval two-layer-softmax-l2
      backprop eval simple-circuit --steps --pause
      backprop eval sigmoid-neuron-grouped --expand
    """
    trace = run_circuit(source, assignments, output, upstream, exact, seed, no_grad,
                        transform=expand_composites if expand else None)
    print_notes(trace)
    if steps or pause:
        show_steps(trace, fmt, precision, pause)
        return
    results = None
    if jacobian:
        from ..jacobian import jacobians

        results = jacobians(trace)
    show(trace, fmt, precision, full, results)


def show(trace: Trace, fmt: str, precision: int | None, full: bool,
         jacobians: Sequence[Jacobian] | None = None) -> None:
    """Print the trace (and any Jacobians) on stdout in the chosen format."""
    if fmt == "auto":
        fmt = "table" if sys.stdout.isatty() else "plain"
    if fmt == "json":
        click.echo(render_json(trace, jacobians), nl=False)
        return
    report = build_report(trace, precision, full, jacobians)
    if fmt == "plain":
        click.echo(render_plain(report), nl=False)
    else:
        print_report(report, Console(highlight=False, soft_wrap=False))
