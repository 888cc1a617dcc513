"""``backprop circuits``: the bundled circuit library, one per line."""

from __future__ import annotations

import click

from ..inputs.circuits import bundled_names, load_bundled


@click.command("circuits")
@click.option("--paths", is_flag=True, help="Print only the names, as circuits/NAME.toml.")
def circuits_command(paths: bool) -> None:
    """List the bundled circuits: name and title, one per line.

    \b
    Example:
      backprop circuits
      backprop eval circuits/sigmoid-neuron.toml
    """
    names = bundled_names()
    width = max((len(name) for name in names), default=0)
    for name in names:
        if paths:
            click.echo(f"circuits/{name}.toml")
        else:
            click.echo(f"{name.ljust(width)}  {load_bundled(name).title}")
