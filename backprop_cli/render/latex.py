"""LaTeX: each section as a ``table`` with a ``tabular``, ready to paste into a report.

Formulas are typeset from the formula trees of the gate rows (``gates/formula.py``: each
gate's definition and local derivatives, derived by sympy when the tables were generated),
with the node names and literals put in. Nothing is parsed from text, and sympy is imported
only to typeset exact values (``--exact``). Only standard LaTeX is used (no packages needed).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from ..gates import formula
from ..gates.formula import operand_tree
from ..gates.registry import GATES
from .mathcells import Derivative, ExactNumber, GateFormula, MathCell, Name
from .report import Report, Section

_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "×": r"$\times$", "<": r"\textless{}", ">": r"\textgreater{}",
}
_TEXT_RE = re.compile("|".join(re.escape(char) for char in _TEXT_ESCAPES))
_NUMBER_RE = re.compile(r"(-?)(\d+(?:\.\d*)?)(?:e([+-]?\d+))?")


def escape(text: str) -> str:
    """Text that LaTeX prints as written."""
    return _TEXT_RE.sub(lambda m: _TEXT_ESCAPES[m.group(0)], text)


def number(text: str) -> str:
    """A formatted number in math mode: ``-12``, ``1.5 \\times 10^{20}``, ``\\infty``."""
    if text in ("inf", "-inf"):
        return f"${text[:-3]}\\infty$"
    match = _NUMBER_RE.fullmatch(text)
    if match is None:
        return escape(text)
    sign, mantissa, exponent = match.groups()
    if exponent is None:
        return f"${sign}{mantissa}$"
    return f"${sign}{mantissa} \\times 10^{{{int(exponent)}}}$"


@cache
def _printer() -> Any:
    """sympy's LaTeX printer (exact values only), with sigma for the sigmoid."""
    from sympy.printing.latex import LatexPrinter

    class Printer(LatexPrinter):  # type: ignore[misc]
        def _print_sigmoid(self, expr: Any, exp: Any = None) -> str:
            tex = rf"\sigma\left({self._print(expr.args[0])}\right)"
            return tex if exp is None else rf"{tex}^{{{exp}}}"

    return Printer()


def _formula(cell: GateFormula) -> str | None:
    """A built-in gate typeset from the formula trees its row carries (derived by sympy
    when the tables were generated; no sympy here); None for array and user-defined gates
    (their cells keep their text)."""
    spec = GATES.get(cell.gate) if cell.builtin else None
    if spec is None:
        return None
    tree = spec.definition_tree if cell.position is None else spec.partial_trees[cell.position]
    values = {param: operand_tree(op.name, op.literal)
              for param, op in zip(spec.params, cell.operands, strict=True)}
    tex = formula.latex(tree, values) if cell.position is not None else \
        formula.written_latex(tree, values)
    if cell.target is not None:
        tex = f"{_name(cell.target)} = {tex}"
    return tex


def _name(name: str) -> str:
    return formula.latex_name(name)


def _exact(cell: ExactNumber) -> str:
    tex = str(_printer().doprint(cell.value))
    if getattr(cell.value, "is_Integer", False):
        return tex
    return f"{tex} \\approx {number(cell.decimal).strip('$')}"


def math(cell: MathCell) -> str | None:
    """A math cell in LaTeX math mode (None: typeset the cell's text instead)."""
    tex: str | None
    if isinstance(cell, Name):
        tex = _name(cell.name)
    elif isinstance(cell, GateFormula):
        tex = _formula(cell)
    elif isinstance(cell, Derivative):
        tex = rf"\frac{{\partial {_name(cell.of)}}}{{\partial {_name(cell.wrt)}}}"
    else:
        tex = _exact(cell)
    return None if tex is None else f"${tex}$"


def _cell(section: Section, row: int, column: int, text: str) -> str:
    cells = section.math.get(column)
    tex = math(cells[row]) if cells is not None else None
    if tex is not None:
        return tex
    return number(text) if column in section.numeric else escape(text)


def render_section(section: Section) -> str:
    spec = "".join("r" if i in section.numeric else "l" for i in range(len(section.headers)))
    lines = ["\\begin{table}[ht]", "\\centering", f"\\caption{{{escape(section.title)}}}",
             f"\\begin{{tabular}}{{{spec}}}", "\\hline",
             " & ".join(escape(h) for h in section.headers) + " \\\\", "\\hline"]
    for index, row in enumerate(section.rows):
        cells = [_cell(section, index, column, text) for column, text in enumerate(row)]
        lines.append(" & ".join(cells) + " \\\\")
    lines += ["\\hline", "\\end{tabular}", "\\end{table}"]
    return "\n".join(lines)


def render_latex(report: Report) -> str:
    """Every section as a table; footer lines as LaTeX comments."""
    blocks = [render_section(section) for section in report.sections]
    blocks += ["% " + line for line in report.footer]
    return "\n\n".join(blocks) + "\n"
