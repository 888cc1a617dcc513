"""``%%backprop`` and ``%backprop`` in Jupyter: the command line, in a notebook.

    %%backprop [COMMAND] NAME=VALUE ... [options]      the cell is the program
    %backprop [COMMAND] SOURCE NAME=VALUE ... [options]

COMMAND is any of the tool's commands (``eval`` when left out) and the options are the
command line's. A plain ``eval`` (inputs, ``--exact``, ``--upstream``, ``--output``,
``--expand``, ``--seed``, ``--no-grad``) returns the Trace itself, which the notebook shows as
its tables (and which ``_`` keeps); ``draw`` shows the picture (SVG by default, PNG, or the
interactive page); every other form shows what the command prints. A user's error is the
command line's ``error:`` line (with its caret) on stderr, never a traceback.

This module is imported by ``load_ipython_extension`` only: IPython is imported here, when a
notebook loads the extension, and nowhere else.
"""

from __future__ import annotations

import contextlib
import gc
import html
import io
import shlex
import sys
from dataclasses import dataclass, field
from typing import Any

import click
from click.core import ParameterSource

from ..engine.trace import Trace
from ..errors import BackpropError
from .common import echo_error, print_notes, run_circuit
from .main import EXIT_BAD_INPUT, cli, main

# eval's options that still leave the Trace itself to show
TRACE_OPTIONS = frozenset({"source", "assignments", "output", "upstream", "exact", "expand",
                           "seed", "no_grad"})
MIMES = {"svg": "image/svg+xml", "png": "image/png", "html": "text/html"}
PAGE_HEIGHT = 720  # pixels: the interactive page's frame in a notebook


@dataclass
class Shown:
    """What one magic shows: the Trace, or outputs by mime type, and error text."""

    trace: Trace | None = None
    outputs: dict[str, str | bytes] = field(default_factory=dict)
    error: str = ""


def run_magic(line: str, cell: str | None) -> Shown:
    """The magic's line (and cell) run as the command line would run them."""
    try:
        words = shlex.split(line)
    except ValueError as error:
        return Shown(error=f"error: cannot read the line: {error}\n")
    command = words.pop(0) if words and words[0] in cli.commands else "eval"
    args = [command, *([cell] if cell is not None else []), *words]
    if command == "eval":
        shown = _trace(args)
        if shown is not None:
            return shown
    fmt = option_value(words, "--format")
    if command == "draw" and fmt is None and option_value(words, "-o", "--out") is None:
        args += ["--format", "svg"]
        fmt = "svg"
    return _printed(args, command, fmt)


def option_value(words: list[str], *names: str) -> str | None:
    """The value given to an option (``--format svg`` or ``--format=svg``), if any."""
    for index, word in enumerate(words):
        name, equals, value = word.partition("=")
        if name in names:
            if equals:
                return value
            return words[index + 1] if index + 1 < len(words) else ""
    return None


def _trace(args: list[str]) -> Shown | None:
    """A plain eval: the Trace itself (None when other options ask for printed output)."""
    command = cli.commands["eval"]
    try:
        with command.make_context("backprop eval", args[1:]) as context:
            params = context.params
            given = {name for name in params
                     if context.get_parameter_source(name) != ParameterSource.DEFAULT}
    except click.ClickException as error:
        return Shown(error=f"error: {error.format_message()}\n")
    except click.exceptions.Exit:  # --help
        return None
    if given - TRACE_OPTIONS:
        return None
    from ..graph.expand import expand_composites

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            trace = run_circuit(params["source"], params["assignments"], params["output"],
                                params["upstream"], params["exact"], params["seed"],
                                params["no_grad"] or "",
                                transform=expand_composites if params["expand"] else None)
        except BackpropError as error:
            echo_error(error)
            return Shown(error=err.getvalue())
        print_notes(trace)
    return Shown(trace=trace, error=err.getvalue())


def _printed(args: list[str], command: str, fmt: str | None) -> Shown:
    """Run the command line in-process, its output and errors captured."""
    out, err = io.BytesIO(), io.StringIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    collecting = gc.isenabled()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(err):
            code = main(args)
            stdout.flush()
    finally:
        if collecting:  # main pauses the collector for a short-lived process; a kernel lives on
            gc.enable()
    error = err.getvalue()
    if code == EXIT_BAD_INPUT and not error.startswith(("error:", "warning:")):
        error = _usage_error(error)
    data = out.getvalue()
    if not data:
        return Shown(error=error)
    if command == "draw" and fmt in MIMES:
        return Shown(outputs={MIMES[fmt]: _picture(fmt, data)}, error=error)
    return Shown(outputs={"text/plain": data.decode("utf-8", "replace")}, error=error)


def _picture(fmt: str, data: bytes) -> str | bytes:
    if fmt == "png":
        return data
    text = data.decode("utf-8")
    if fmt == "html":  # its own document in a frame: its script and style stay inside
        return (f'<iframe srcdoc="{html.escape(text, quote=True)}" style="width:100%;'
                f'height:{PAGE_HEIGHT}px;border:1px solid #d0d7de"></iframe>')
    return text


def _usage_error(text: str) -> str:
    """click's usage message as one ``error:`` line (its last line, ``Error: ...``)."""
    lines = [line for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else "bad usage"
    return "error: " + last.removeprefix("Error: ") + "\n"


def backprop_magic(line: str, cell: str | None = None) -> Any:
    """``%backprop`` and ``%%backprop``: see the module's description."""
    from IPython.display import display

    shown = run_magic(line, cell)
    if shown.error:
        sys.stderr.write(shown.error)
        sys.stderr.flush()
    if shown.outputs:
        display(shown.outputs, raw=True)  # type: ignore[no-untyped-call]
    return shown.trace


def register(ipython: Any) -> None:
    """Register the magics with a running IPython."""
    ipython.register_magic_function(backprop_magic, magic_kind="line_cell",
                                    magic_name="backprop")
