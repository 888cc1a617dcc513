"""``backprop gradcheck``: analytic gradients against central differences; exit 0, 1 or 2."""

from __future__ import annotations

import sys

import click

from ..analysis.gradcheck import DEFAULT_H, DEFAULT_THRESHOLD, gradcheck
from ..graph.expand import expand_composites
from ..numformat import Rounding
from ..render.formats import View
from ..render.gradcheck import gradcheck_document, gradcheck_report
from .common import (
    limit_option,
    no_grad_option,
    number_options,
    prepare_circuit,
    print_gate_warnings,
    seed_option,
)
from .output import emit, output_options, rounding_for

EXIT_FAILED = 1


@click.command("gradcheck")
@click.argument("source")
@click.argument("assignments", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--output", metavar="NAME", help="Differentiate this node instead.")
@click.option("--upstream", metavar="VALUE", help="Gradient arriving at the output.")
@click.option("--h", "h", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_H,
              show_default=True, help="Step of the central difference.")
@click.option("--threshold", type=click.FloatRange(min=0), default=DEFAULT_THRESHOLD,
              show_default=True, help="Largest relative error that passes.")
@output_options(records="one per input: analytic, numerical, relative error, verdict",
                tables="inputs, the only one")
@number_options()
@seed_option
@no_grad_option
@limit_option
def gradcheck_command(source: str, assignments: tuple[str, ...], output: str | None,
                      upstream: str | None, h: float, threshold: float, fmt: str,
                      table: str | None, color: str, rounding: Rounding | None, seed: int,
                      no_grad: str) -> None:
    """Check every input's gradient against a central difference (float64).

    The relative error |a - n| / max(|a| + |n|, 1e-8) is read as CS231n reads it: above
    1e-2 probably wrong, 1e-2..1e-4 uncomfortable, 1e-4..1e-7 fine only near a kink,
    below 1e-7 good. An input fails above --threshold; a step that crosses a kink (relu,
    abs, max, min; a hinge margin or an amax/amin tie) is reported, not failed. An array
    input is checked element by element (its worst element is shown); an array output
    through L = sum(upstream * output). Where the circuit overflows within a step of the
    point (exp(1000)), central differences cannot compare: reported, not failed. When the
    quotient with --h disagrees, the step is chosen for the input (Richardson extrapolation
    from starts h * 10^k); an input fails only when that quotient is trustworthy and still
    disagrees, and is "not checkable" when no step gives a trustworthy quotient.
    --seed draws randn(...) inputs.
    Exit status: 0 no input disagrees, 1 failed, 2 bad input.

    \b
    Example:
      backprop gradcheck circuits/sigmoid-neuron.toml
      backprop gradcheck "x*y + relu(x)" x=1e-6 y=2 --h 1e-7
      backprop gradcheck "log(1 + exp(t))" t=0.5 --format json
      backprop gradcheck sigmoid-neuron --format csv
      backprop gradcheck two-layer-softmax-l2
    """
    graph, values, gradient_in = prepare_circuit(source, assignments, output, upstream,
                                                 seed=seed, no_grad=no_grad)
    print_gate_warnings(graph)
    result = gradcheck(graph, values, h, threshold, gradient_in, probe=expand_composites(graph))
    shown = rounding_for(fmt, rounding)
    emit(View(report=lambda math: gradcheck_report(result, shown),
              document=lambda: gradcheck_document(result), rounding=shown),
         fmt, table, color)
    if not result.passed:
        sys.exit(EXIT_FAILED)
