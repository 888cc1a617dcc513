"""``backprop eval --steps``: the forward values, the backward walk, the input gradients.

The forward table shows values only: each gradient first appears at the step of the walk
that computes it. With ``--pause`` the walk waits between steps, but only when both
standard input and standard output are terminals; in a pipe every step prints at once. In a
terminal one key answers (Enter or space: the next step, q: the rest at once); where the
terminal cannot be put in single-key mode, a line is read.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator

import click
from rich.console import Console

from ..analysis.walk import backward_steps
from ..engine.trace import Trace
from ..numformat import Rounding
from ..render.fit import break_at_spaces
from ..render.json import INDENT_MAX_NODES, trace_document
from ..render.plain import render_section
from ..render.report import Section, forward_section, gradient_section
from ..render.table import print_section
from ..render.walk import step_lines, step_records
from .output import terminal_width

TITLE = "Backward pass, step by step"


def interactive() -> bool:
    """Both ends are terminals: the only case where pausing makes sense."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def show_steps(trace: Trace, fmt: str, rounding: Rounding, pause: bool) -> None:
    """Print the walk in the chosen format, pausing between steps when asked and possible."""
    steps = backward_steps(trace)
    if fmt == "json":
        document = trace_document(trace)
        document["steps"] = step_records(trace, steps)
        indent = 2 if len(trace.graph) <= INDENT_MAX_NODES else None
        click.echo(json.dumps(document, indent=indent))
        return
    table = fmt == "table" or (fmt == "auto" and sys.stdout.isatty())
    console = Console(highlight=False, soft_wrap=False) if table else None
    _section(forward_section(trace, rounding).without("gradient"), console)
    click.echo(f"\n{TITLE}")
    lines = step_lines(trace, steps, rounding)
    waiting = pause and interactive()
    for index, line in enumerate(lines):
        click.echo(fold(f"  {line}", console.width if console is not None else terminal_width()))
        if waiting and index < len(lines) - 1:
            waiting = _wait()
    click.echo()
    _section(gradient_section(trace, rounding), console)


def fold(line: str, width: int | None) -> str:
    """A step's sentence within ``width`` columns (None: as it is), broken at spaces only and
    continued under its first word, so that no number is cut by the terminal."""
    if width is None or len(line) <= width or " " not in line.strip():
        return line
    rest = line.lstrip(" ").split(" ", 1)[1]
    prefix = line[:len(line) - len(rest)]  # "   4. "
    pieces = break_at_spaces(rest, max(width - len(prefix), 1))
    return "\n".join((prefix if i == 0 else " " * len(prefix)) + piece
                     for i, piece in enumerate(pieces))


def _section(section: Section, console: Console | None) -> None:
    if console is None:
        click.echo(render_section(section, terminal_width()))
    else:
        print_section(section, console)


PROMPT = "     [Enter or space: next step, q: show the rest] "
NEXT_KEYS = ("\r", "\n", " ")
STOP_KEYS = ("q", "Q", "\x04", "")  # q, Ctrl-D, end of input


def _wait() -> bool:
    """Wait for a key between steps; ``q`` (or end of input) stops pausing. True: keep
    pausing."""
    click.echo(PROMPT, nl=False, err=True)
    with _single_keys() as single:
        if not single:
            answer = sys.stdin.readline()
            return bool(answer) and answer.strip().lower() != "q"
        key = sys.stdin.read(1)
        while key not in NEXT_KEYS + STOP_KEYS:  # other keys are ignored
            key = sys.stdin.read(1)
    click.echo("\r" + " " * len(PROMPT) + "\r", nl=False, err=True)  # the prompt goes
    return key not in STOP_KEYS


@contextlib.contextmanager
def _single_keys() -> Iterator[bool]:
    """The terminal in cbreak mode (one key at a time, no echo; Ctrl-C still interrupts)
    for the block; yields False where that is not possible (no termios, not a terminal)."""
    try:
        import termios
        import tty

        descriptor = sys.stdin.fileno()
        saved = termios.tcgetattr(descriptor)
    except (ImportError, AttributeError, ValueError, OSError):
        yield False
        return
    try:
        tty.setcbreak(descriptor, termios.TCSANOW)
        yield True
    finally:
        termios.tcsetattr(descriptor, termios.TCSADRAIN, saved)
