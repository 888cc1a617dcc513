"""What a notebook shows: a Trace as HTML tables, and its picture as an SVG object.

Neither needs IPython: Jupyter looks for ``_repr_html_`` and ``_repr_svg_`` on any object.
The tables are the report every table format shares (``report.build_report``), numbers as
the terminal shows them, values in the lecture's green and gradients in its red. Colours are
inline styles, so they survive a notebook that is not trusted.
"""

from __future__ import annotations

from pathlib import Path

from ..engine.trace import Trace
from ..numformat import DECIMALS, LECTURE, Rounding
from .dot import GRAD_COLOUR, VALUE_COLOUR
from .markup import escape
from .picture import Options, build_picture
from .report import Section, build_report
from .svg import render_svg

COLOURS = {"green": VALUE_COLOUR, "red": GRAD_COLOUR}
TABLE = "border-collapse:collapse;margin:0.3em 0 1em 0;font-size:13px"
CELL = "padding:2px 10px;border-bottom:1px solid #d0d7de;font-family:Menlo,Consolas,monospace"


def trace_html(trace: Trace, rounding: Rounding = LECTURE) -> str:
    """The forward pass, the backward pass and the gradients, as HTML tables."""
    report = build_report(trace, rounding)
    parts = ['<div class="backprop-trace">']
    parts += [section_html(section) for section in report.sections]
    parts += [f"<p>{escape(line)}</p>" for line in report.footer]
    parts.append("</div>")
    return "\n".join(parts)


def section_html(section: Section) -> str:
    head = "".join(f'<th style="{CELL};text-align:{_align(section, i)}">{escape(h)}</th>'
                   for i, h in enumerate(section.headers))
    rows = []
    for row in section.rows:
        cells = "".join(f'<td style="{_cell_style(section, i)}">{escape(text)}</td>'
                        for i, text in enumerate(row))
        rows.append(f"<tr>{cells}</tr>")
    return (f'<p style="font-weight:bold;margin:0.6em 0 0 0">{escape(section.title)}</p>'
            f'<table style="{TABLE}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _align(section: Section, column: int) -> str:
    return "right" if column in section.numeric else "left"


def _cell_style(section: Section, column: int) -> str:
    colour = COLOURS.get(section.styles.get(column, ""))
    style = f"{CELL};text-align:{_align(section, column)}"
    return f"{style};color:{colour}" if colour else style


class SvgPicture:
    """A picture that a notebook displays as SVG; ``svg`` is its text."""

    def __init__(self, svg: str) -> None:
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str | Path) -> None:
        """Write the SVG to a file."""
        Path(path).write_text(self.svg, encoding="utf-8")

    def __repr__(self) -> str:
        return f"<SvgPicture: {len(self.svg):,} characters of SVG>"


def drawing(trace: Trace, *, precision: int | None = None, values: bool = True,
            grads: bool = True, title: str = "") -> SvgPicture:
    """The trace drawn by the tool's own SVG renderer (no Graphviz needed): numbers at 4
    significant digits, or ``precision`` fixed decimals (as ``--decimals``)."""
    rounding = LECTURE if precision is None else Rounding(DECIMALS, precision)
    options = Options(values=values, grads=grads, rounding=rounding)
    return SvgPicture(render_svg(build_picture(trace, options, title)))
