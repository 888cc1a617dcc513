"""``backprop step``: gradient descent on a circuit's output (the training loop)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from ..analysis.descent import descend, params_text, read_params
from ..api import arithmetic_for
from ..errors import InputError
from ..inputs.circuits import decode
from ..inputs.values import constant_value, parse_assignments
from ..numformat import LECTURE, Rounding
from ..render.descent import descent_report, render_descent_json
from ..render.plain import render_plain
from ..render.table import print_report
from .common import (
    exact_budget,
    exact_clock,
    limit_option,
    number_options,
    prepare_circuit,
    print_gate_warnings,
    seed_option,
)
from .output import terminal_width


@click.command("step")
@click.argument("source")
@click.argument("assignments", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--params", "params", required=True, metavar="NAME,NAME",
              help="The inputs to train (comma-separated).")
@click.option("--lr", default="0.1", show_default=True, metavar="RATE",
              help="Learning rate: p <- p - RATE * dloss/dp (1/2 works too).")
@click.option("--iters", type=click.IntRange(1, 1_000_000), default=1, show_default=True,
              help="Number of steps.")
@click.option("--output", metavar="NAME", help="The loss node (default: the last assignment).")
@click.option("--load", "load", metavar="FILE",
              help="Start from values written by --save (NAME=VALUE lines or JSON).")
@click.option("--save", "save", metavar="FILE",
              help="Write the trained parameters: JSON if FILE ends in .json, else "
                   "NAME=VALUE lines; - for standard output.")
@click.option("--exact", is_flag=True, callback=exact_budget,
              help="Exact arithmetic (fractions stay fractions).")
@click.option("--format", "fmt", type=click.Choice(("auto", "table", "plain", "json")),
              default="auto", show_default=True)
@number_options()
@seed_option
@limit_option
def step_command(source: str, assignments: tuple[str, ...], params: str, lr: str, iters: int,
                 output: str | None, load: str | None, save: str | None, exact: bool,
                 fmt: str, rounding: Rounding | None, seed: int) -> None:
    """Gradient descent on the circuit's output: forward, loss, backward, update.

    Each step sets every parameter p to p - lr * dloss/dp. Prints the loss before and
    after each update and the parameters after it. --save writes the parameters so the
    next run continues: backprop step ... --load FILE, or $(cat FILE) as NAME=VALUE.

    \b
    Example:
      backprop step neuron-squared-loss --params w1,w2 --lr 0.5 --iters 10
      backprop step neuron-squared-loss --params w1,w2 --lr 0.5 --save w.txt
      backprop step neuron-squared-loss --params w1,w2 --lr 0.5 --load w.txt --save w.txt
      backprop step two-layer-softmax-l2 --params W1,W2 --lr 0.5 --iters 5 \\
        "W1=randn(2, 3)" --seed 1
    """
    arithmetic = arithmetic_for(exact)
    graph, values, _ = prepare_circuit(source, (), output, None, exact, seed)
    print_gate_warnings(graph)
    if load is not None:
        values.update(read_params(_read(load), load, arithmetic))
    values.update(parse_assignments(assignments, arithmetic, seed))  # the command line wins
    rate = constant_value(lr, arithmetic, where="the learning rate")
    names = [name.strip() for name in params.split(",") if name.strip()]
    with exact_clock(exact):
        run = descend(graph, values, names, rate, iters, arithmetic)
    if save is not None:
        _write(save, params_text(run.params, "json" if save.endswith(".json") else "lines"))
    if save == "-":
        return
    if fmt == "json":
        click.echo(render_descent_json(run), nl=False)
        return
    report = descent_report(run, rounding or LECTURE)
    if fmt == "plain" or (fmt == "auto" and not sys.stdout.isatty()):
        click.echo(render_plain(report, terminal_width()), nl=False)
    else:
        print_report(report, Console(highlight=False, soft_wrap=False))


def _read(path: str) -> str:
    try:
        return decode(Path(path).read_bytes(), path)
    except OSError as error:
        raise InputError(f"cannot read {path!r}: {error.strerror}") from None


def _write(path: str, text: str) -> None:
    if path == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write {path!r}: {error.strerror}") from None
    click.echo(f"wrote the parameters to {path}", err=True)
