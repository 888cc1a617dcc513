"""``backprop gates``: every gate with its local derivatives as sympy derived them."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..api import compile_circuit
from ..gates._arraygatelist import ARRAY_GATE_ROWS
from ..gates.kinks import KINKS
from ..gates.registry import GATES
from ..graph.graph import Graph
from ..render.plain import render_section
from ..render.report import Report, Section
from .common import load_circuit, print_gate_warnings
from .output import print_table, wants_color


def gates_section() -> Section:
    section = Section("Gates and their local gradients (derived by sympy.diff)",
                      ["gate", "written", "definition", "local gradients"])
    for spec in GATES.values():
        written = spec.pattern.format(**{p: p for p in spec.params})
        partials = "; ".join(f"d/d{p} = {formula}"
                             for p, formula in zip(spec.params, spec.partial_formulas,
                                                   strict=True))
        section.rows.append([spec.name, written, spec.definition, partials])
    return section


def user_gates_section(graph: Graph, where: str) -> Section:
    """The gates a program or circuit file defines, with sympy's (or the given) gradients."""
    section = Section(f"Gates defined in {where}",
                      ["gate", "written", "definition", "local gradients"])
    for name, gate in graph.user_gates.items():
        spec = gate.spec
        written = spec.pattern.format(**{p: p for p in spec.params})
        partials = "; ".join(
            f"d/d{p} = {formula}" + (f" (given; sympy: {sympy_form(derived)})" if given else "")
            for p, formula, given, derived in zip(spec.params, spec.partial_formulas,
                                                  gate.overridden, gate.derived, strict=True))
        section.rows.append([name, written, spec.definition, partials])
    return section


def sympy_form(expr: Any) -> str:
    """sympy's derivative (of a user-defined gate) written as the tool writes formulas."""
    from ..gates.formula import text
    from ..gates.user_gates import formula_tree

    return text(formula_tree(expr))


def _show_user_gates(source: str, fmt: str) -> None:
    circuit = load_circuit(source)
    graph = compile_circuit(circuit)
    print_gate_warnings(graph)
    if not graph.user_gates:
        click.echo(f"{circuit.path or 'the program'} defines no gates")
        return
    section = user_gates_section(graph, circuit.path or "the program")
    if fmt == "json":
        document = {name: {"params": list(gate.spec.params),
                           "definition": gate.spec.definition,
                           "local_gradients": dict(zip(gate.spec.params,
                                                       gate.spec.partial_formulas,
                                                       strict=True)),
                           "given": [p for p, given in zip(gate.spec.params, gate.overridden,
                                                           strict=True) if given]}
                    for name, gate in graph.user_gates.items()}
        click.echo(json.dumps(document, indent=2))
    elif fmt == "plain" or (fmt == "auto" and not sys.stdout.isatty()):
        click.echo(render_section(section))
    else:
        print_table(Report([section]), wants_color("auto"))


def array_gates_section() -> Section:
    """The structural array gates and their vector-Jacobian rules (generated text: no
    numpy)."""
    section = Section("Array gates and their backward rules (no Jacobian is formed)",
                      ["gate", "written", "what it does", "backward rule"])
    for name, written, summary, rules, _ in ARRAY_GATE_ROWS:
        section.rows.append([name, written, summary, rules])
    return section


def array_gates_document() -> dict[str, dict[str, object]]:
    return {name: {"written": written, "params": list(params), "definition": summary,
                   "backward_rules": rules, "summary": summary, "array": True}
            for name, written, summary, rules, params in ARRAY_GATE_ROWS}


def kinks_section() -> Section:
    """Where a local-gradient formula does not hold, and what is used there (PyTorch's
    choice)."""
    section = Section("Kinks: where a formula does not hold, the local gradient used there",
                      ["gate", "where", "local gradient there"])
    for name, kink in KINKS.items():
        section.rows.append([name, kink.where, kink.convention])
    return section


NOTES = ["constants: pi, e (a name the program assigns or takes as input shadows them)",
         "[c] is 1 where the condition c holds, else 0 (the Iverson bracket)"]


@click.command("gates")
@click.argument("source", required=False)
@click.option("--format", "fmt", type=click.Choice(("auto", "table", "plain", "json")),
              default="auto", show_default=True)
def gates_command(source: str | None, fmt: str) -> None:
    """List every gate with its definition and local gradients, then the array gates
    (matmul, sum, softmax, losses, ...) with their backward rules; with SOURCE (a program
    or circuit file), the gates it defines.

    \b
    Example:
      backprop gates
      backprop gates --format json
      backprop gates "def softplus(t): log(1 + exp(t)); f = softplus(x)"
    """
    if source is not None:
        _show_user_gates(source, fmt)
        return
    if fmt == "json":
        document = {spec.name: {"written": spec.pattern.format(**{p: p for p in spec.params}),
                                "params": list(spec.params), "definition": spec.definition,
                                "local_gradients": dict(zip(spec.params, spec.partial_formulas,
                                                            strict=True)),
                                "summary": spec.summary}
                    for spec in GATES.values()}
        click.echo(json.dumps({**document, **array_gates_document()}, indent=2))
    elif fmt == "plain" or (fmt == "auto" and not sys.stdout.isatty()):
        click.echo(render_section(gates_section()))
        click.echo("\n" + "\n".join(NOTES))
        click.echo("\n" + render_section(kinks_section()))
        click.echo("\n" + render_section(array_gates_section()))
    else:  # tables never wrapped in a pipe, coloured as --color auto says
        color = wants_color("auto")
        print_table(Report([gates_section()], NOTES), color)
        print_table(Report([kinks_section()]), color)
        print_table(Report([array_gates_section()]), color)
