"""LaTeX: each section as a ``table`` with a ``tabular``, ready to paste into a report.

Formulas are typeset by sympy's LaTeX printer from the tool's own sympy expressions: each
gate's definition and its derivatives from ``gates.py`` (``partials()``), with the operands
replaced by symbols named after the nodes. Nothing is parsed from text. sympy is imported
only when this format is asked for. Only standard LaTeX is used (no packages needed).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from .mathcells import Derivative, ExactNumber, GateFormula, MathCell, Name, Operand
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
    """sympy's LaTeX printer, with H(x) for the unit step and sigma for the sigmoid."""
    from sympy.printing.latex import LatexPrinter

    class Printer(LatexPrinter):  # type: ignore[misc]
        def _print_Heaviside(self, expr: Any, exp: Any = None) -> str:
            tex = rf"H\left({self._print(expr.args[0])}\right)"
            return tex if exp is None else rf"{tex}^{{{exp}}}"

        def _print_sigmoid(self, expr: Any, exp: Any = None) -> str:
            tex = rf"\sigma\left({self._print(expr.args[0])}\right)"
            return tex if exp is None else rf"{tex}^{{{exp}}}"

    return Printer()


def _operand(operand: Operand) -> Any:
    """A node as a sympy symbol of its name (distinct per use); a literal as a number."""
    import sympy as sp

    literal = operand.literal
    if literal is None:
        return sp.Dummy(operand.name)
    if literal in ("pi", "e"):
        return sp.pi if literal == "pi" else sp.E
    digits = literal.removeprefix("-")
    return sp.Integer(int(literal)) if digits.isdigit() else sp.Float(float(literal))


def _formula(cell: GateFormula) -> str | None:
    """sympy's typesetting of a built-in gate; None for array and user-defined gates (their
    cells keep their text)."""
    import sympy as sp

    from ..gates.symbolic import GATES_BY_NAME

    gate = GATES_BY_NAME.get(cell.gate) if cell.builtin else None
    if gate is None:
        return None
    expr = gate.expr if cell.position is None else gate.partials()[cell.position]
    mapping = {param: _operand(op) for param, op in zip(gate.params, cell.operands, strict=True)}
    all_literal = all(op.literal is not None for op in cell.operands)
    with sp.evaluate(not all_literal):  # keep 2 ** 3 as written, not 8
        tex = str(_printer().doprint(expr.xreplace(mapping)))
    if cell.target is not None:
        tex = f"{_name(cell.target)} = {tex}"
    return tex


def _name(name: str) -> str:
    import sympy as sp

    return str(_printer().doprint(sp.Symbol(name)))


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
