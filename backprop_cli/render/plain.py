"""Plain text: aligned columns, no colour, no box drawing (for pipes and files).

Given a terminal's width, a table wider than it is narrowed or stacked as the terminal
tables are (``render/fit.py``); in a pipe (no width) lines are as long as the table.
"""

from __future__ import annotations

from .report import Report, Section


def _table_lines(section: Section) -> list[str]:
    table = [section.headers, *section.rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(section.headers))]
    lines = []
    for row in table:
        cells = [cell.rjust(width) if i in section.numeric else cell.ljust(width)
                 for i, (cell, width) in enumerate(zip(row, widths, strict=True))]
        lines.append("  " + "  ".join(cells).rstrip())
    return lines


def plain_width(section: Section) -> int:
    """How many columns the section's table takes as plain text."""
    return max(len(line) for line in _table_lines(section))


def render_section(section: Section, width: int | None = None) -> str:
    """The title and the table; within ``width`` columns when given."""
    if width is None:
        return "\n".join([section.title, *_table_lines(section)])
    from .fit import block_lines, fit_section  # only for a terminal's width

    fitted = fit_section(section, width, plain_width)
    lines = [section.title, *([fitted.note] if fitted.note else [])]
    if fitted.blocks is None:
        return "\n".join([*lines, *_table_lines(fitted.section)])
    for block in fitted.blocks:
        lines.append(block.heading)
        lines += [(label + text).rstrip() for label, text, _ in block_lines(block, width)]
    return "\n".join(lines)


def render_plain(report: Report, width: int | None = None) -> str:
    """The whole report as text, sections separated by a blank line."""
    blocks = [render_section(section, width) for section in report.sections]
    return "\n\n".join(blocks + report.footer) + "\n"
