"""``backprop draw``: the circuit as the lecture draws it, in the terminal or as a picture.

The renderers are imported when the command runs, so other commands do not pay for them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import BackpropError
from ..limits import check_view
from ..numformat import LECTURE, Rounding
from .common import circuit_options, load_circuit, number_options, print_notes, run_circuit, warn
from .output import wants_color

if TYPE_CHECKING:
    from rich.text import Text

    from ..render.diagram import Drawing
    from ..render.picture import Picture

FORMATS = ("terminal", "dot", "svg", "png", "pdf", "mermaid", "html")
GRAPHVIZ_FORMATS = ("png", "pdf")
EXTENSIONS = {".txt": "terminal", ".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png",
              ".pdf": "pdf", ".mmd": "mermaid", ".mermaid": "mermaid", ".md": "mermaid",
              ".html": "html", ".htm": "html"}
PICTURE_VIEWS = {"svg": "SVG picture", "html": "interactive page"}  # the rest: "picture"
PNG_DPI = 96  # Graphviz's own resolution for bitmaps: --scale 2 doubles it
STYLES = {"value": "green", "grad": "red", "title": "bold", "note": "dim"}
MIN_WIDTH = 20


@click.command("draw")
@circuit_options
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="terminal (default), dot, svg (laid out by backprop itself), png or pdf "
                   "(through Graphviz), mermaid, or html (one offline page that steps through "
                   "the passes). With -o, the default follows the file's extension.")
@click.option("-o", "--out", "out_file", metavar="FILE",
              help="Write the picture to FILE: .txt .dot .gv .svg .png .pdf .mmd .mermaid, "
                   ".md (Mermaid in a Markdown code block), .html or .htm.")
@click.option("--graphviz", "use_graphviz", is_flag=True,
              help="Lay out svg with Graphviz's dot instead of backprop's own renderer.")
@click.option("--scale", type=click.FloatRange(0.1, 20), metavar="K",
              help="Resolution of png: K times Graphviz's 96 dots per inch (default 1).")
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
                 use_graphviz: bool, scale: float | None, no_values: bool, no_grads: bool,
                 expand: bool, rounding: Rounding | None,
                 title: str | None, width: int | None) -> None:
    """Draw the circuit: gates left to right, each wire's value above it (green) and its
    gradient below it (red).

    SOURCE is an expression, a program, a circuit file, a bundled circuit name, or - for
    standard input, as for `backprop eval`. png and pdf need Graphviz's `dot` program; svg
    needs nothing.

    \b
    Example:
      backprop draw simple-circuit
      backprop draw "(x+y)*z" x=-2 y=5 z=-4 --format dot
      backprop draw sigmoid-neuron --decimals 2 -o sigmoid-neuron.svg
      backprop draw sigmoid-neuron-grouped --expand --format mermaid
      backprop draw sigmoid-neuron -o sigmoid-neuron.html
    """
    from ..graph.expand import expand_composites
    from ..render.picture import Options, build_picture

    refuse_file_as_node(output)
    fmt = choose_format(fmt, out_file)
    if fmt in GRAPHVIZ_FORMATS and out_file is None and sys.stdout.isatty():
        raise click.UsageError(f"{fmt.upper()} is binary: write it with -o FILE or redirect "
                               "stdout")
    if scale is not None and fmt != "png":
        raise click.UsageError("--scale applies to --format png only")
    circuit = load_circuit(source)
    trace = run_circuit(source, assignments, output, upstream, exact, circuit=circuit,
                        transform=expand_composites if expand else None)
    print_notes(trace)
    check_view(PICTURE_VIEWS.get(fmt, "picture"), len(trace.graph))
    options = Options(values=not no_values, grads=not no_grads, rounding=rounding or LECTURE)
    picture = build_picture(trace, options, title if title is not None else circuit.title)
    if fmt == "terminal":
        show_drawing(picture, out_file, width)
    elif fmt == "html":
        from ..render.page import render_page

        emit(render_page(trace, picture, rounding or LECTURE).encode("utf-8"), out_file)
    else:
        emit(render(picture, fmt, out_file, use_graphviz, scale), out_file)


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


def render(picture: Picture, fmt: str, out_file: str | None, use_graphviz: bool = False,
           scale: float | None = None) -> bytes:
    """The picture in a file format, as bytes (each renderer imported only for its format)."""
    if fmt == "mermaid":
        from ..render.mermaid import render_mermaid

        fenced = out_file is not None and out_file.lower().endswith(".md")
        return render_mermaid(picture, fenced).encode("utf-8")
    if fmt == "svg" and not use_graphviz:
        from ..render.svg import render_svg

        return render_svg(picture).encode("utf-8")
    from ..render.dot import render_dot

    dot_text = render_dot(picture)
    if fmt == "dot":
        return dot_text.encode("utf-8")
    from ..render.graphviz import render_graphviz

    rendered = render_graphviz(dot_text, fmt, None if scale is None else PNG_DPI * scale)
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


def refuse_file_as_node(output: str | None) -> None:
    """``--output out.png`` names a node (the one to differentiate), and a node name is an
    identifier: a name with a file's extension or a folder was meant for ``-o``."""
    if output is None or output.isidentifier():
        return
    if Path(output).suffix or "/" in output or "\\" in output:
        raise click.UsageError(f"no node named {output!r}: --output names the node to "
                               f"differentiate; did you mean -o {output} (--out), the file "
                               "to write the picture to?")


def show_drawing(picture: Picture, out_file: str | None, width: int | None) -> None:
    """The terminal drawing: coloured on a terminal, plain in a pipe, a file or NO_COLOR
    (rich is imported only for colour)."""
    from ..render.diagram import render_diagram

    if out_file is None and wants_color("auto"):
        from rich.console import Console

        console = Console(highlight=False, soft_wrap=True)
        if console.color_system is not None and not console.no_color:
            console.print(drawing_text(render_diagram(picture, width or console.width)))
            return
    drawing = render_diagram(picture, width or drawing_width())
    if out_file is not None:
        emit(drawing.plain().encode("utf-8"), out_file)
    else:
        click.echo(drawing.plain(), nl=False)


def drawing_width() -> int:
    """The width a plain drawing fits, as rich measures it: COLUMNS, else the terminal of
    standard input, output or error, else 80."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for descriptor in (0, 1, 2):
        try:
            return os.get_terminal_size(descriptor).columns or 80
        except (AttributeError, ValueError, OSError):
            continue
    return 80


def drawing_text(drawing: Drawing) -> Text:
    """The drawing as one rich Text: values green, gradients red."""
    from rich.text import Text

    text = Text()
    for runs in drawing.lines:
        for part, role in runs:
            text.append(part, style=STYLES.get(role, ""))
        text.append("\n")
    text.rstrip()
    return text
