"""``backprop eval``: forward values, every edge's gradients, and the input gradients."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from ..expand import expand_composites
from ..render.json import render_json
from ..render.plain import render_plain
from ..render.report import build_report
from ..render.table import print_report
from ..trace import Trace
from .common import circuit_options, print_notes, run_circuit
from .walk import show_steps

FORMATS = ("auto", "table", "plain", "json")


@click.command("eval")
@circuit_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="auto: a table in a terminal, plain text otherwise.")
@click.option("--precision", type=click.IntRange(0, 17), metavar="N",
              help="Round displayed numbers to N decimals (JSON keeps full precision).")
@click.option("--full", is_flag=True, help="Show every node and edge even for a large graph.")
@click.option("--steps", is_flag=True, help="Walk the backward pass one edge at a time.")
@click.option("--pause", is_flag=True,
              help="With --steps: wait for Enter between steps (in a terminal only).")
@click.option("--expand", is_flag=True,
              help="Write composite gates (sigmoid, user-defined gates) out as their inner "
                   "gates.")
def eval_command(source: str, assignments: tuple[str, ...], output: str | None,
                 upstream: str | None, exact: bool, fmt: str, precision: int | None,
                 full: bool, steps: bool, pause: bool, expand: bool) -> None:
    """Evaluate a circuit forward and backward and show every gradient.

    SOURCE is an expression, a program (assignments separated by newlines or ';'),
    a circuit file, a bundled circuit name, or - for standard input.

    \b
    Example:
      backprop eval "(x+y)*z" x=-2 y=5 z=-4
      backprop eval "q = x + y; f = q * z" x=-2 y=5 z=-4 --format json
      backprop eval circuits/sigmoid-neuron.toml
      backprop eval simple-circuit --steps --pause
      backprop eval sigmoid-neuron-grouped --expand
    """
    trace = run_circuit(source, assignments, output, upstream, exact,
                        transform=expand_composites if expand else None)
    print_notes(trace)
    if steps or pause:
        show_steps(trace, fmt, precision, pause)
        return
    show(trace, fmt, precision, full)


def show(trace: Trace, fmt: str, precision: int | None, full: bool) -> None:
    """Print the trace on stdout in the chosen format."""
    if fmt == "auto":
        fmt = "table" if sys.stdout.isatty() else "plain"
    if fmt == "json":
        click.echo(render_json(trace), nl=False)
        return
    report = build_report(trace, precision, full)
    if fmt == "plain":
        click.echo(render_plain(report), nl=False)
    else:
        print_report(report, Console(highlight=False, soft_wrap=False))
