"""``backprop gates``: every gate with its local derivatives as sympy derived them."""

from __future__ import annotations

import json
import sys

import click

from ..api import compile_circuit
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


def sympy_form(expr: object) -> str:
    import sympy as sp

    return str(sp.sstr(expr))


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
    """The structural array gates and their vector-Jacobian rules (numpy imported here)."""
    from ..gates.array_gates import ARRAY_GATE_LIST, describe, rule

    section = Section("Array gates and their backward rules (no Jacobian is formed)",
                      ["gate", "written", "what it does", "backward rule"])
    for gate in ARRAY_GATE_LIST:
        attrs = tuple(s.default for s in gate.static if not s.variadic) or \
            ((0,) if gate.name == "index" else ())
        params = [*gate.params, "..."] if gate.many else list(gate.params)
        written = describe(gate.name, params, attrs if gate.name != "reshape" else ("...",))
        if gate.name == "arange":
            written = "arange(n)"
        rules = "; ".join(rule(gate.name, k, params, "out", "L", attrs)
                          for k in range(gate.arity))
        if gate.name == "index":
            written, rules = written.replace("[0]", "[...]"), rules.replace("[0]", "[...]")
        section.rows.append([gate.name, written, gate.summary, rules])
    return section


def array_gates_document() -> dict[str, dict[str, object]]:
    from ..gates.array_gates import ARRAY_GATE_LIST

    section = array_gates_section()
    return {row[0]: {"written": row[1], "params": list(gate.params), "definition": row[2],
                     "backward_rules": row[3], "summary": gate.summary, "array": True}
            for row, gate in zip(section.rows, ARRAY_GATE_LIST, strict=True)}


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
        click.echo("\nconstants: pi, e")
        click.echo("\n" + render_section(array_gates_section()))
    else:  # tables never wrapped in a pipe, coloured as --color auto says
        color = wants_color("auto")
        print_table(Report([gates_section()], ["constants: pi, e"]), color)
        print_table(Report([array_gates_section()]), color)
