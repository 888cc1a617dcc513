"""``backprop eval``: forward values, every edge's gradients, and the input gradients."""

from __future__ import annotations

import click

from ..engine.paths import get_path
from ..limits import check_view
from ..numformat import FULL, LECTURE, Rounding, exact_text, format_float, format_value
from ..render.trace_view import trace_view
from .common import (
    circuit_options,
    looks_like_a_value,
    no_grad_option,
    number_options,
    print_notes,
    run_circuit,
    seed_option,
    warn,
)
from .output import choose_format, emit, output_options

STEP_FORMATS = ("auto", "table", "plain", "json")


@click.command("eval")
@circuit_options
@output_options
@number_options("Show everything in full: every node and edge of a large graph, and every "
                "digit (the shortest form that reads back to the same double).")
@click.option("--get", "get", metavar="PATH", multiple=True,
              help="Print one value only: value, grad.NAME, node.NAME.value, node.NAME.grad, "
                   "edge.NODE.INPUT.local (or .upstream, .downstream, .formula). Repeat "
                   "for several: one value a line, in the order given.")
@click.option("--rows", "rows", metavar="FILE",
              help="Evaluate once per row of FILE (CSV with a header, TSV, or JSON Lines; "
                   "- for stdin) and print one row per input row: inputs, value, gradients.")
@click.option("--on-error", "on_error", type=click.Choice(("fail", "skip")), default="fail",
              show_default=True, help="With --rows: stop at a bad row, or skip it (counted "
                                      "on stderr).")
@click.option("--jacobian", is_flag=True,
              help="Also show each gate's explicit Jacobian (up to 4096 entries) and check "
                   "Jᵀ·upstream against the backward pass; larger ones: the memory needed.")
@click.option("--steps", is_flag=True,
              help="Walk the backward pass one edge at a time (the forward table shows values "
                   "only; each gradient appears at the step that computes it).")
@click.option("--pause", is_flag=True,
              help="Walk step by step, waiting for a key between steps (Enter or space: the "
                   "next, q: the rest; in a terminal only).")
@click.option("--expand", is_flag=True,
              help="Write composite gates (sigmoid, user-defined gates) out as their inner "
                   "gates.")
@seed_option
@no_grad_option
@click.pass_context
def eval_command(ctx: click.Context, source: str, assignments: tuple[str, ...],
                 output: str | None, upstream: str | None, exact: bool, fmt: str,
                 table: str | None, color: str, rounding: Rounding | None, full: bool,
                 get: tuple[str, ...], rows: str | None, on_error: str, jacobian: bool,
                 steps: bool, pause: bool, expand: bool, seed: int, no_grad: str) -> None:
    """Evaluate a circuit forward and backward and show every gradient.

    SOURCE is an expression, a program (assignments separated by newlines or ';'),
    a circuit file, a bundled circuit name, or - for standard input.

    \b
    Example:
      backprop eval "(x+y)*z" x=-2 y=5 z=-4
      backprop eval "q = x + y; f = q * z" x=-2 y=5 z=-4 --format json
      backprop eval circuits/sigmoid-neuron.toml --format markdown
      backprop eval "(x+y)*z" x=-2 y=5 z=-4 --get grad.x
      backprop eval sigmoid-neuron --rows inputs.csv > gradients.csv
      backprop eval "z = relu(x)" "x=[1,-2,3,-1]" --upstream "[4,-1,5,9]" --jacobian
      backprop eval "y = x @ w" "x=randn(2,3)" "w=randn(3,4)" --upstream "ones(2,4)"
      backprop eval two-layer-softmax-l2
      backprop eval simple-circuit --steps --pause
      backprop eval sigmoid-neuron-grouped --expand
    """
    transform = None
    if expand:
        from ..graph.expand import expand_composites

        transform = expand_composites
    if rows is not None:
        from .rows_mode import run_rows

        if jacobian or steps or pause:
            raise click.UsageError("--rows prints one row per input row: it cannot be "
                                   "combined with --jacobian, --steps or --pause")
        run_rows(ctx, source, assignments, output, upstream, exact, fmt, table, rounding,
                 next(iter(get), None), rows, on_error, transform, no_grad)
        return
    _check_get(ctx, get, table)
    trace = run_circuit(source, assignments, output, upstream, exact, seed, no_grad,
                        transform=transform)
    print_notes(trace)
    if not trace.graph.inputs:
        warn_no_inputs(source)
    if get:
        answers = [got_text(get_path(trace, path), rounding or FULL, exact) for path in get]
        click.echo("\n".join(answers))  # every path is read before any is printed
        return
    if steps or pause:
        if fmt not in STEP_FORMATS or table is not None:
            raise click.UsageError("--steps shows table, plain or json (without --table)")
        from .walk import show_steps

        check_view("steps of --steps", len(trace.graph))
        show_steps(trace, choose_format(fmt, color), rounding or LECTURE, pause)
        return
    results = None
    if jacobian:
        from ..analysis.jacobian import jacobians

        check_view("Jacobians of --jacobian", len(trace.graph))
        results = jacobians(trace)
    if fmt in DOCUMENT_VIEWS:
        check_view(DOCUMENT_VIEWS[fmt], len(trace.graph))
    elif full:
        check_view(FULL_VIEWS.get(fmt, "tables of --full"), len(trace.graph))
    emit(trace_view(trace, rounding, full, results), fmt, table, color)


DOCUMENT_VIEWS = {"json": "JSON document", "csv": "CSV, TSV or JSON Lines records",
                  "tsv": "CSV, TSV or JSON Lines records",
                  "jsonl": "CSV, TSV or JSON Lines records"}
FULL_VIEWS = {"markdown": "Markdown tables of --full", "latex": "LaTeX tables of --full"}


def warn_no_inputs(source: str) -> None:
    """A circuit of constants has nothing to differentiate; ``backprop eval x=1`` is most
    likely a forgotten program."""
    hint = ""
    if looks_like_a_value(source):
        hint = (f" ({source!r} assigns a constant; to give an input its value, write the "
                f"program first: backprop eval PROGRAM {source.replace(' ', '')})")
    warn(f"the circuit has no inputs: there is no gradient to show{hint}")


def _check_get(ctx: click.Context, get: tuple[str, ...], table: str | None) -> None:
    if not get:
        return
    if ctx.get_parameter_source("fmt") == click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError("--get prints values only: it cannot be combined with --format")
    if table is not None:
        raise click.UsageError("--get prints values only: it cannot be combined with --table")
    for flag in ("jacobian", "steps", "pause"):
        if ctx.params.get(flag):
            raise click.UsageError(f"--get prints values only: it cannot be combined with "
                                   f"--{flag}")


def got_text(value: object, rounding: Rounding, exact: bool) -> str:
    """A --get answer: a formula as it is, an exact value without its decimal (``e``, not
    sympy's ``E``), a float in shortest exact form (or rounded), an array in full as nested
    brackets."""
    if isinstance(value, str):
        return value
    if getattr(value, "ndim", 0):
        return _nested(value.tolist(), rounding, exact)  # type: ignore[attr-defined]
    if exact:
        return exact_text(value[()] if getattr(value, "ndim", None) == 0 else value)  # type: ignore[index]
    return format_value(value, rounding)


def _nested(items: object, rounding: Rounding, exact: bool) -> str:
    if isinstance(items, list):
        return "[" + ", ".join(_nested(item, rounding, exact) for item in items) + "]"
    if isinstance(items, float | int) and not exact:
        return format_float(float(items), rounding)
    return exact_text(items)
