"""Plain text: aligned columns, no colour, no box drawing (for pipes and files)."""

from __future__ import annotations

from .report import Report, Section


def render_section(section: Section) -> str:
    table = [section.headers, *section.rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(section.headers))]
    lines = [section.title]
    for row in table:
        cells = [cell.rjust(width) if i in section.numeric else cell.ljust(width)
                 for i, (cell, width) in enumerate(zip(row, widths, strict=True))]
        lines.append("  " + "  ".join(cells).rstrip())
    return "\n".join(lines)


def render_plain(report: Report) -> str:
    """The whole report as text, sections separated by a blank line."""
    blocks = [render_section(section) for section in report.sections]
    return "\n\n".join(blocks + report.footer) + "\n"
