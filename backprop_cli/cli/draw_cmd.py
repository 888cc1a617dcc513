"""``backprop draw``: the circuit as the lecture draws it, in the terminal or as a picture.

The renderers are imported when the command runs, so other commands do not pay for them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.text import Text

from ..errors import BackpropError
from ..numformat import LECTURE, Rounding
from .common import circuit_options, load_circuit, number_options, print_notes, run_circuit, warn

if TYPE_CHECKING:
    from ..render.diagram import Drawing
    from ..render.picture import Picture

FORMATS = ("terminal", "dot", "svg", "png", "mermaid")
EXTENSIONS = {".txt": "terminal", ".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png",
              ".mmd": "mermaid", ".mermaid": "mermaid", ".md": "mermaid"}
STYLES = {"value": "green", "grad": "red", "title": "bold", "note": "dim"}
MIN_WIDTH = 20


@click.command("draw")
@circuit_options
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="terminal (default), dot, svg, png (through Graphviz) or mermaid. "
                   "With -o, the default follows the file's extension.")
@click.option("-o", "--out", "out_file", metavar="FILE",
              help="Write the picture to FILE: .txt .dot .gv .svg .png .mmd .mermaid, or .md "
                   "(Mermaid in a Markdown code block).")
@click.option("--no-values", is_flag=True, help="Leave the forward values off the wires.")
@click.option("--no-grads", is_flag=True, help="Leave the gradients off the wires.")
@click.option("--expand", is_flag=True,
              help="Open composite gates: sigmoid becomes -x, exp, +1 and 1/x.")
@number_options()
@click.option("--title", metavar="TEXT",
              help="Title of the picture (default: the circuit file's title; '' for none).")
@click.option("--width", type=click.IntRange(MIN_WIDTH, None), metavar="N",
              help="Fold the terminal drawing at N columns (default: the terminal's width).")
def draw_command(source: str, assignments: tuple[str, ...], output: str | None,
                 upstream: str | None, exact: bool, fmt: str | None, out_file: str | None,
                 no_values: bool, no_grads: bool, expand: bool, rounding: Rounding | None,
                 title: str | None, width: int | None) -> None:
    """Draw the circuit: gates left to right, each wire's value above it (green) and its
    gradient below it (red).

    SOURCE is an expression, a program, a circuit file, a bundled circuit name, or - for
    standard input, as for `backprop eval`. svg and png need Graphviz's `dot` program.

    \b
    Example:
      backprop draw simple-circuit
      backprop draw "(x+y)*z" x=-2 y=5 z=-4 --format dot
      backprop draw sigmoid-neuron --decimals 2 -o sigmoid-neuron.svg
      backprop draw sigmoid-neuron-grouped --expand --format mermaid
    """
    from ..graph.expand import expand_composites
    from ..render.picture import Options, build_picture

    fmt = choose_format(fmt, out_file)
    if fmt == "png" and out_file is None and sys.stdout.isatty():
        raise click.UsageError("PNG is binary: write it with -o FILE or redirect stdout")
    circuit = load_circuit(source)
    trace = run_circuit(source, assignments, output, upstream, exact, circuit=circuit,
                        transform=expand_composites if expand else None)
    print_notes(trace)
    options = Options(values=not no_values, grads=not no_grads, rounding=rounding or LECTURE)
    picture = build_picture(trace, options, title if title is not None else circuit.title)
    if fmt == "terminal":
        show_drawing(picture, out_file, width)
    else:
        emit(render(picture, fmt, out_file), out_file)


def choose_format(fmt: str | None, out_file: str | None) -> str:
    """The format asked for, else the one the file's extension names, else terminal."""
    if out_file is None:
        return fmt or "terminal"
    suffix = Path(out_file).suffix.lower()
    implied = EXTENSIONS.get(suffix)
    if fmt is None:
        if implied is None:
            known = " ".join(EXTENSIONS)
            raise click.BadParameter(f"cannot tell the format from {out_file!r}: give --format, "
                                     f"or a file ending in one of {known}",
                                     param_hint="'-o' / '--out'")
        return implied
    if implied is not None and implied != fmt:
        warn(f"writing {fmt} into {out_file}, whose extension suggests {implied}")
    return fmt


def render(picture: Picture, fmt: str, out_file: str | None) -> bytes:
    """The picture in a file format, as bytes."""
    from ..render.dot import render_dot
    from ..render.graphviz import render_graphviz
    from ..render.mermaid import render_mermaid

    if fmt == "mermaid":
        fenced = out_file is not None and out_file.lower().endswith(".md")
        return render_mermaid(picture, fenced).encode("utf-8")
    dot_text = render_dot(picture)
    if fmt == "dot":
        return dot_text.encode("utf-8")
    rendered = render_graphviz(dot_text, fmt)
    for message in rendered.warnings:
        warn(f"graphviz: {message}")
    return rendered.data


def emit(data: bytes, out_file: str | None) -> None:
    """Write to the file, or to standard output."""
    if out_file is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        Path(out_file).write_bytes(data)
    except OSError as error:
        raise BackpropError(f"cannot write {out_file!r}: {error.strerror}") from None


def show_drawing(picture: Picture, out_file: str | None, width: int | None) -> None:
    """The terminal drawing: coloured on a terminal, plain in a pipe, a file or NO_COLOR."""
    from ..render.diagram import render_diagram

    console = Console(highlight=False, soft_wrap=True)
    drawing = render_diagram(picture, width or console.width)
    if out_file is not None:
        emit(drawing.plain().encode("utf-8"), out_file)
    elif console.color_system is None or console.no_color:
        click.echo(drawing.plain(), nl=False)
    else:
        console.print(drawing_text(drawing))


def drawing_text(drawing: Drawing) -> Text:
    """The drawing as one rich Text: values green, gradients red."""
    text = Text()
    for runs in drawing.lines:
        for part, role in runs:
            text.append(part, style=STYLES.get(role, ""))
        text.append("\n")
    text.rstrip()
    return text
