"""Markdown: each section as a pipe table under a heading, ready to paste into a report.

Columns that hold names or formulas (those with math cells) are code spans; other text is
escaped so that Markdown shows it as written. Numbers are right-aligned.
"""

from __future__ import annotations

import re

from .report import Report, Section

_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def escape(text: str) -> str:
    """Text that Markdown shows literally, also inside a table cell."""
    return _SPECIAL.sub(r"\\\1", text)


def code(text: str) -> str:
    """A code span; a ``|`` is escaped (GitHub tables split on it even inside code)."""
    text = text.replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_section(section: Section) -> str:
    lines = [f"### {escape(section.title)}", ""]
    lines.append("| " + " | ".join(escape(h) for h in section.headers) + " |")
    lines.append("|" + "|".join("---:" if i in section.numeric else "---"
                                for i in range(len(section.headers))) + "|")
    for row in section.rows:
        cells = [code(cell) if i in section.math and i not in section.numeric else escape(cell)
                 for i, cell in enumerate(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_markdown(report: Report) -> str:
    """The whole report: sections separated by a blank line, footer lines as paragraphs."""
    blocks = [render_section(section) for section in report.sections]
    blocks += [escape(line) for line in report.footer]
    return "\n\n".join(blocks) + "\n"
