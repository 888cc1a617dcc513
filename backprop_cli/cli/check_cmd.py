"""``backprop check``: judge expected answers against the computed ones; exit 0, 1 or 2."""

from __future__ import annotations

import sys

import click

from ..analysis.answers import Problem, ProblemResult, check_problem, is_answers_file, read_answers
from ..analysis.expectations import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    Tolerance,
    looks_like_expectation,
    split_expect,
)
from ..errors import InputError
from ..inputs.values import split_assignment
from ..numformat import LECTURE, Rounding
from ..render.check import check_document, check_report, render_check
from ..render.formats import View
from .common import (
    echo_error,
    exact_budget,
    exact_clock,
    limit_option,
    load_circuit,
    number_options,
    read_stdin,
    seed_option,
)
from .output import emit, output_options, rounding_for, wants_color

EXIT_WRONG = 1


@click.command("check")
@click.argument("source", required=False)
@click.argument("assignments", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--expect", "expects", multiple=True, metavar="NAME=VALUE",
              help="An expected answer: NAME=VALUE for a node's value, grad.NAME=VALUE or "
                   "dOUT/dNAME=VALUE for d output / d NAME, edge.NODE.INPUT.local=VALUE (or "
                   "upstream, downstream) for an edge. Repeat for more. Default: the "
                   "circuit's [expect].")
@click.option("--answers", "answers", metavar="FILE",
              help="An answers file (TOML or JSON) with many problems; - for stdin.")
@click.option("--output", metavar="NAME", help="Differentiate this node instead.")
@click.option("--upstream", metavar="VALUE", help="Gradient arriving at the output.")
@click.option("--exact", is_flag=True, callback=exact_budget,
              help="Compute and compare exactly (1/4 equals 0.25).")
@click.option("--rtol", type=click.FloatRange(min=0), metavar="R",
              help=f"Relative tolerance; with --atol replaces the digits rule "
                   f"[default: {DEFAULT_RTOL:g}].")
@click.option("--atol", type=click.FloatRange(min=0), metavar="A",
              help=f"Absolute tolerance [default: {DEFAULT_ATOL:g}].")
@click.option("--hide", is_flag=True, help="Show only right or wrong, not the values.")
@output_options(records="one per answer: problem, answer, verdict, expected, computed, "
                        "allowed", tables="answers, the only one")
@number_options()
@seed_option
@limit_option
def check_command(source: str | None, assignments: tuple[str, ...], expects: tuple[str, ...],
                  answers: str | None, output: str | None, upstream: str | None, exact: bool,
                  rtol: float | None, atol: float | None, hide: bool, fmt: str,
                  table: str | None, color: str, rounding: Rounding | None,
                  seed: int) -> None:
    """Check answers: one line per answer, right or wrong, expected and computed.

    An answer is NAME=VALUE (the value of node NAME), grad.NAME=VALUE or dOUT/dNAME=VALUE
    (the gradient of the output OUT with respect to NAME), or any path --get takes:
    edge.NODE.INPUT.upstream, .local or .downstream (an edge of the backward pass),
    node.NAME.value, node.NAME.grad. Values are read like inputs, so 1/4 and -pi/2 work.
    Without --expect, the circuit file's [expect] answers are checked.

    A decimal answer is judged to the digits typed: -0.1966 is right when the computed
    value rounds to it (within half a unit in the last digit). Integers and expressions are
    judged to double precision (rtol 1e-9, atol 1e-12). --rtol/--atol set a fixed
    tolerance instead; --exact compares exactly.

    Exit status: 0 all right, 1 any wrong (or, in an answers file, any problem that could
    not be checked: it is reported and the others are still checked), 2 bad input.

    \b
    Example:
      backprop check "(x+y)*z" x=-2 y=5 z=-4 --expect f=-12 --expect grad.x=-4
      backprop check "(x+y)*z" x=-2 y=5 z=-4 --expect df/dz=3 --expect edge.f.z.local=3
      backprop check sigmoid-neuron --expect grad.w0=-0.1966 --hide
      backprop check circuits/simple-circuit.toml
      backprop check --answers homework.toml
      backprop check --answers homework.toml --format csv
      backprop check "m = mean(x)" "x=randn(4)" --seed 7 --expect "grad.x=[1/4, 1/4, 1/4, 1/4]"
    """
    explicit = rtol is not None or atol is not None
    tolerance = Tolerance(rtol=DEFAULT_RTOL if rtol is None else rtol,
                          atol=DEFAULT_ATOL if atol is None else atol,
                          digits=not explicit, exact=exact)
    if answers is None and source is not None and source != "-" and is_answers_file(source):
        answers, source = source, None
    if answers is not None:
        problems = _answer_problems(answers, source, assignments, expects, output, upstream)
    else:
        problems = [_command_line_problem(source, assignments, expects, output, upstream)]
    results = []
    for problem in problems:
        with exact_clock(exact):
            results.append(check_problem(problem, tolerance, explicit, seed))
    _report_errors(results, several=answers is not None)
    if fmt in ("auto", "plain") and table is None:
        styled = wants_color(color)
        click.echo(render_check(results, hide, _style if styled else _unstyled,
                                headers=answers is not None, rounding=rounding or LECTURE),
                   nl=False, color=styled)
    else:
        shown = rounding_for(fmt, rounding)
        emit(View(report=lambda math: check_report(results, hide, shown),
                  document=lambda: check_document(results, hide), rounding=shown),
             fmt, table, color)
    if any(result.wrong or result.error is not None for result in results):
        sys.exit(EXIT_WRONG)  # a single problem's error has already exited with 2


def _unstyled(word: str, right: bool) -> str:
    return word


def _style(word: str, right: bool) -> str:
    return click.style(word, fg="green" if right else "red", bold=not right)


def _answer_problems(answers: str, source: str | None, assignments: tuple[str, ...],
                     expects: tuple[str, ...], output: str | None,
                     upstream: str | None) -> list[Problem]:
    if source is not None or assignments or expects or output or upstream:
        raise InputError("an answers file says everything about its problems: give it "
                         "alone (no SOURCE, NAME=VALUE, --expect, --output or --upstream)")
    return read_answers(answers, read_stdin() if answers == "-" else None)


def _command_line_problem(source: str | None, assignments: tuple[str, ...],
                          expects: tuple[str, ...], output: str | None,
                          upstream: str | None) -> Problem:
    if source is None:
        raise InputError("give a circuit (an expression, a circuit file or a bundled name) "
                         "or --answers FILE")
    circuit = load_circuit(source)
    inputs: dict[str, str] = {}
    for item in assignments:
        if looks_like_expectation(item):
            raise InputError(f"{item} is an answer to check, not an input: write "
                             f"--expect {item}")
        name, text = split_assignment(item)
        if name in inputs:
            raise InputError(f"input {name} is given twice")
        inputs[name] = text
    expect: list[tuple[str, object]] | None = None
    if expects:
        expect = [split_expect(text) for text in expects]
    return Problem(name=circuit.name, circuit=circuit, inputs=inputs, output=output,
                   upstream=upstream, expect=expect)


def _report_errors(results: list[ProblemResult], several: bool) -> None:
    """Errors on stderr; a single problem's error is the whole story (exit 2 at once)."""
    for result in results:
        error = result.error
        if error is None:
            continue
        if not several:
            raise error
        if result.problem.broken is not None:  # its message names the file and problem
            pass
        elif error.where is None:
            error.where = f"problem {result.problem.name}"
        else:
            error.where += f" (problem {result.problem.name})"
        echo_error(error)
