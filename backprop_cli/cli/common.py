"""What every command shares: reading the circuit, inputs and options, and output streams."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from .. import limits
from ..api import arithmetic_for, compile_circuit
from ..engine import ieee
from ..engine.evaluate import evaluate
from ..engine.trace import Trace
from ..errors import BackpropError, InputError, inert
from ..graph.graph import Graph
from ..inputs.circuits import Circuit, decode, refuse_misspelt_name, resolve
from ..inputs.values import coerce_value, coerce_values, parse_assignments
from ..numformat import DECIMALS, DIGITS, FULL, Rounding

F = TypeVar("F", bound=Callable[..., Any])


def read_stdin() -> str:
    """Standard input as text: UTF-8, BOM stripped, NUL bytes refused by the parser."""
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else \
        sys.stdin.read().encode("utf-8")
    text = decode(data, "standard input")
    if not text.strip():
        raise InputError("standard input is empty: give a program on stdin or as an argument")
    return text


def load_circuit(source: str) -> Circuit:
    """Resolve SOURCE: ``-`` reads the program from stdin."""
    return resolve(source, read_stdin() if source == "-" else None)


def complete_source(ctx: click.Context, param: click.Parameter,
                    incomplete: str) -> list[Any]:
    """Shell completion for SOURCE: files, and the bundled circuits by name."""
    from click.shell_completion import CompletionItem

    from ..inputs.circuits import bundled_names

    return [CompletionItem(incomplete, type="file"),
            *(CompletionItem(name) for name in bundled_names() if name.startswith(incomplete))]


def circuit_options(function: F) -> F:
    """SOURCE, NAME=VALUE inputs, and the options that choose what is differentiated."""
    decorators = [
        click.argument("source", shell_complete=complete_source),
        click.argument("assignments", nargs=-1, metavar="[NAME=VALUE]..."),
        click.option("--output", "output", metavar="NAME",
                     help="Differentiate this node instead of the last assignment."),
        click.option("--upstream", metavar="VALUE",
                     help="Gradient arriving at the output (default 1; an array such as "
                          "\"[4,-1,5,9]\" for an array output)."),
        click.option("--exact", is_flag=True, callback=exact_budget,
                     help="Exact values and gradients (fractions, e, pi) with decimals."),
    ]
    function = limit_option(function)  # listed after these in --help
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def limit_option(function: F) -> F:
    """``--strict`` and ``--limit NAME=N``, for every command that evaluates (alone for
    commands that declare their own circuit arguments)."""
    function = click.option(
        "--limit", "limit_settings", multiple=True, metavar="NAME=N", expose_value=False,
        callback=_set_limits, is_eager=True,
        help="Raise a resource limit, e.g. --limit gates=10000000 "
             "(see docs/language.md, Safety and limits).")(function)
    return click.option(
        "--strict", is_flag=True, expose_value=False, callback=_set_strict, is_eager=True,
        help="Make overflow, underflow, inf and nan errors (exit 2) instead of warnings "
             "(see docs/numerics.md).")(function)


@contextmanager
def exact_clock(exact: bool) -> Iterator[None]:
    """The wall-clock budget (and backstop alarm) of an exact evaluation; nothing for floats."""
    if not exact:
        yield
        return
    with limits.clock(), _alarm(limits.current().exact_seconds + 5):
        yield


def exact_budget(ctx: click.Context, param: click.Parameter, on: bool) -> bool:
    """With --exact, the exact-seconds budget runs from here to the command's end (reading,
    evaluating and rendering); the alarm stops a sympy call that would not return."""
    if on and threading.current_thread() is threading.main_thread():
        seconds = limits.current().exact_seconds
        ctx.with_resource(limits.clock())
        ctx.with_resource(_alarm(seconds))
    return on


def _set_limits(ctx: click.Context, param: click.Parameter, items: tuple[str, ...]) -> None:
    """Put the limits in force for this command: BACKPROP_LIMITS, then --limit options."""
    from_env = [item for item in os.environ.get("BACKPROP_LIMITS", "").split(",") if item]
    try:
        chosen = limits.parse_settings([*from_env, *items])
    except BackpropError as error:
        raise click.BadParameter(error.message) from None
    ctx.with_resource(limits.using(chosen))


def _set_strict(ctx: click.Context, param: click.Parameter, on: bool) -> None:
    """Put strict floating point in force for this command."""
    if on:
        ctx.with_resource(ieee.strict())


FULL_HELP = "Write numbers in full: the shortest form that reads back to the same double."


def number_options(full_help: str = FULL_HELP) -> Callable[[F], F]:
    """``--digits N``, ``--decimals N`` (old spelling ``--precision N``) and ``--full``: how
    the numbers a person reads are written. The command receives one ``rounding`` argument,
    None when none of them was given (4 significant digits where a person reads, full
    precision where a program reads), and ``full`` when it declares that parameter (eval:
    ``--full`` also shows every node of a large graph). --digits or --decimals win over
    --full for the numbers."""
    def decorate(function: F) -> F:
        keeps_full = "full" in inspect.signature(function).parameters

        @functools.wraps(function)
        def wrapper(*args: Any, digits: int | None, decimals: int | None,
                    precision: int | None, full: bool, **kwargs: Any) -> Any:
            if keeps_full:
                kwargs["full"] = full
            return function(*args, rounding=choose_rounding(digits, decimals, precision, full),
                            **kwargs)

        decorators = [
            click.option("--digits", type=click.IntRange(1, 17), metavar="N",
                         help="Write numbers with N significant digits (default 4 in tables, "
                              "drawings, LaTeX and Markdown; JSON, --get and --rows keep full "
                              "precision unless asked)."),
            click.option("--decimals", type=click.IntRange(0, 17), metavar="N",
                         help="Write numbers with N decimals, trailing zeros kept (-0.20); a "
                              "nonzero value they would show as 0 in scientific notation."),
            click.option("--precision", type=click.IntRange(0, 17), metavar="N",
                         help="Old spelling of --decimals N."),
            click.option("--full", is_flag=True, help=full_help),
        ]
        result: Any = wrapper
        for decorator in reversed(decorators):
            result = decorator(result)
        return result  # type: ignore[no-any-return]

    return decorate


def choose_rounding(digits: int | None, decimals: int | None, precision: int | None,
                    full: bool) -> Rounding | None:
    """The rounding asked for on the command line, or None."""
    given = [f"--{name}" for name, value in (("digits", digits), ("decimals", decimals),
                                             ("precision", precision)) if value is not None]
    if len(given) > 1:
        raise click.UsageError(f"{' and '.join(given)} both say how to round: give one")
    if digits is not None:
        return Rounding(DIGITS, digits)
    count = decimals if decimals is not None else precision
    if count is not None:
        return Rounding(DECIMALS, count)
    return FULL if full else None


def seed_option(function: F) -> F:
    """``--seed N`` for randn(...)/rand(...)/randint(...) input values."""
    return click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
                        help="Seed for randn(...), rand(...) and randint(...) values "
                             "(each input draws its own stream).")(function)


def no_grad_option(function: F) -> F:
    """``--no-grad NAME[,NAME...]``: inputs held constant (data, not parameters)."""
    return click.option("--no-grad", "no_grad", metavar="NAMES", default="",
                        help="Comma-separated inputs that need no gradient (data such as "
                             "x): they are not differentiated.")(function)


def run_circuit(source: str, assignments: tuple[str, ...], output: str | None,
                upstream: str | None, exact: bool, seed: int = 0, no_grad: str = "",
                circuit: Circuit | None = None,
                transform: Callable[[Graph], Graph] | None = None) -> Trace:
    """Load, build and evaluate: the circuit file's inputs, overridden on the command line.

    ``circuit`` is SOURCE already loaded; ``transform`` rewrites the graph before evaluation;
    ``no_grad`` names inputs held constant.
    """
    graph, values, gradient_in = prepare_circuit(source, assignments, output, upstream, exact,
                                                 seed, no_grad, circuit, transform)
    arithmetic = arithmetic_for(exact)
    if not exact:
        return evaluate(graph, values, arithmetic, gradient_in)
    with limits.clock(), _alarm(limits.current().exact_seconds + 5):
        return evaluate(graph, values, arithmetic, gradient_in)


def _alarm(seconds: float) -> contextlib.AbstractContextManager[None]:
    """A backstop for exact mode: a sympy call that never returns is interrupted."""
    return limits.alarm(seconds, f"exact evaluation took longer than {seconds:g} s; raise it "
                                 "with --limit exact-seconds=N, or drop --exact")


def prepare_circuit(source: str, assignments: tuple[str, ...], output: str | None,
                    upstream: str | None, exact: bool = False, seed: int = 0,
                    no_grad: str = "", circuit: Circuit | None = None,
                    transform: Callable[[Graph], Graph] | None = None,
                    ) -> tuple[Graph, dict[str, Any], Any]:
    """Load and build a circuit and read its values and upstream gradient (None: 1),
    without evaluating it (see ``run_circuit`` for the arguments)."""
    arithmetic = arithmetic_for(exact)
    circuit = circuit if circuit is not None else load_circuit(source)
    graph = compile_circuit(circuit, output)
    if transform is not None:
        graph = transform(graph)
    values = {**coerce_values(circuit.inputs, arithmetic, seed),
              **parse_assignments(assignments, arithmetic, seed)}
    graph = graph.with_constants_as_inputs(values)
    held = [name.strip() for name in no_grad.split(",") if name.strip()]
    if held:
        graph = graph.without_gradients(held)
    if circuit.program == source:
        refuse_value_as_program(source, graph, assignments)
    if circuit.program == source:
        refuse_misspelt_name(source, graph.inputs, values)
    raw_upstream = upstream if upstream is not None else circuit.upstream
    gradient_in = None if raw_upstream is None else \
        coerce_value("the upstream gradient", raw_upstream, arithmetic, seed)
    return graph, values, gradient_in


def looks_like_a_value(source: str) -> bool:
    """SOURCE is one ``NAME=...`` assignment, as an input's value is written."""
    name, equals, _ = source.partition("=")
    return bool(equals) and name.strip().isidentifier() and "\n" not in source \
        and ";" not in source


def refuse_value_as_program(source: str, graph: Graph, assignments: tuple[str, ...]) -> None:
    """``echo '(x+y)*z' | backprop eval x=-2 y=5 z=-4`` forgot the ``-``: SOURCE reads as a
    program of constants (``x = -2``) while the program waits on standard input, or while
    other NAME=VALUE items have no input to set. ``backprop eval x=1`` alone stays a circuit
    of constants (eval warns)."""
    if graph.inputs or not looks_like_a_value(source):
        return
    piped = stdin_has_data()
    if not piped and not assignments:
        return
    context = click.get_current_context(silent=True)
    command = context.command_path if context is not None else "backprop eval"
    import shlex

    given = " ".join(shlex.quote(item) for item in (source, *assignments))
    headline = f"{source!r} is an input's value, not a program"
    if piped:
        raise InputError(f"{headline}: read the program from standard input with -: "
                         f"... | {command} - {given}")
    raise InputError(f"{headline}: give the program first ({command} PROGRAM {given}), or "
                     "read it from standard input with -")


def stdin_has_data() -> bool:
    """Standard input is no terminal and holds text (never waits more than a moment). From
    a pipe the first bytes are read to know: only ask when the answer stops the command."""
    stream = sys.stdin
    try:
        if stream is None or stream.isatty():
            return False
        descriptor = stream.fileno()
    except (AttributeError, ValueError, OSError):  # an in-memory stream (click's tests)
        buffer = getattr(stream, "buffer", None)
        if buffer is None or not buffer.seekable():
            return False
        start = buffer.tell()
        text = buffer.read(STDIN_PEEK)
        buffer.seek(start)
        return bool(text.strip())
    try:
        status = os.fstat(descriptor)
        if stat.S_ISREG(status.st_mode):
            return status.st_size > os.lseek(descriptor, 0, os.SEEK_CUR)
        import select

        ready, _, _ = select.select([descriptor], [], [], STDIN_WAIT)
        return bool(ready) and bool(os.read(descriptor, STDIN_PEEK).strip())
    except (OSError, ValueError):  # select on a Windows pipe, a closed descriptor
        return False


STDIN_PEEK, STDIN_WAIT = 4096, 0.2


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def print_gate_warnings(graph: Graph) -> None:
    """What was noticed when the user-defined gates were defined (hand-written gradients
    that disagree with sympy's), and the notes of the build (a name shadowing a constant)."""
    for note in graph.notes:
        click.echo(f"note: {note}", err=True)
    for gate in graph.user_gates.values():
        for message in gate.warnings:
            warn(message)


def print_notes(trace: Trace) -> None:
    print_gate_warnings(trace.graph)
    for note in trace.notes:
        warn(trace.warning(note))


def echo_error(error: BackpropError) -> None:
    """``error: ...`` on one line, then the source line and a caret, on stderr."""
    click.echo(f"error: {inert(error.headline())}", err=True)
    excerpt = error.source_excerpt()
    if excerpt is not None:
        line, caret = excerpt
        click.echo(f"  {line}\n  {caret}", err=True)
