"""``backprop gates``: every gate with its local derivatives as sympy derived them."""

from __future__ import annotations

import json
import sys

import click

from ..registry import GATES
from ..render.plain import render_section
from ..render.report import Report, Section
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


@click.command("gates")
@click.option("--format", "fmt", type=click.Choice(("auto", "table", "plain", "json")),
              default="auto", show_default=True)
def gates_command(fmt: str) -> None:
    """List every gate with its definition and local gradients.

    \b
    Example:
      backprop gates
      backprop gates --format json
    """
    if fmt == "json":
        document = {spec.name: {"written": spec.pattern.format(**{p: p for p in spec.params}),
                                "params": list(spec.params), "definition": spec.definition,
                                "local_gradients": dict(zip(spec.params, spec.partial_formulas,
                                                            strict=True)),
                                "summary": spec.summary}
                    for spec in GATES.values()}
        click.echo(json.dumps(document, indent=2))
    elif fmt == "plain" or (fmt == "auto" and not sys.stdout.isatty()):
        click.echo(render_section(gates_section()))
        click.echo("\nconstants: pi, e")
    else:  # a table never wrapped in a pipe, coloured as --color auto says
        print_table(Report([gates_section()], ["constants: pi, e"]), wants_color("auto"))
