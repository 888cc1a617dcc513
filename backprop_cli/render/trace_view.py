"""A trace as a View: the report, the JSON document and the flat tables of ``eval``."""

from __future__ import annotations

from functools import cache
from typing import Any

from ..trace import Trace
from .formats import View
from .json import INDENT_MAX_NODES, trace_document
from .report import Report, build_report

TRACE_TABLES: dict[str, tuple[str, str] | None] = {
    "nodes": None, "edges": None, "gradients": ("input", "grad"),
}


def trace_view(trace: Trace, precision: int | None = None, full: bool = False) -> View:
    """Everything ``eval`` can show about a trace, each form built once and only if needed."""

    @cache
    def report(math: bool) -> Report:
        return build_report(trace, precision, full, math)

    @cache
    def document() -> dict[str, Any]:
        return trace_document(trace)

    return View(report=report, document=document, tables=TRACE_TABLES,
                compact=len(trace.graph) > INDENT_MAX_NODES, precision=precision)
