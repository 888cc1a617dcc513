"""A trace as a View: the report, the JSON document and the flat tables of ``eval``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from ..engine.trace import Trace
from ..numformat import FULL, LECTURE, Rounding
from .formats import View
from .json import is_compact, jacobian_records, streamed_json, trace_document
from .report import Report, build_report

if TYPE_CHECKING:
    from ..analysis.jacobian import Jacobian

TRACE_TABLES: dict[str, tuple[str, str] | None] = {
    "nodes": None, "edges": None, "gradients": ("input", "grad"),
}


def trace_view(trace: Trace, rounding: Rounding | None = None, full: bool = False,
               jacobians: Sequence[Jacobian] | None = None) -> View:
    """Everything ``eval`` can show about a trace (and its Jacobians, with ``--jacobian``),
    each form built once and only if needed. ``rounding`` None (not asked): 4 significant
    digits where a person reads, full precision in CSV and TSV."""

    @cache
    def report(math_cells: bool) -> Report:
        return build_report(trace, rounding or LECTURE, full, jacobians, math_cells)

    @cache
    def document() -> dict[str, Any]:
        result = trace_document(trace)
        if jacobians is not None:
            result["jacobians"] = jacobian_records(trace, jacobians)
        return result

    tables = dict(TRACE_TABLES)
    if jacobians is not None:
        tables["jacobians"] = None
    return View(report=report, document=document, tables=tables,
                compact=is_compact(trace), rounding=rounding or FULL,
                json_pieces=(lambda: streamed_json(trace)) if jacobians is None else None)
