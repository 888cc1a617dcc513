"""``backprop completion SHELL``: the shell completion script (bash, zsh or fish)."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_BACKPROP_COMPLETE"


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion_command(ctx: click.Context, shell: str) -> None:
    """Print the completion script for SHELL; source it from your shell's startup file.

    The same script is printed by _BACKPROP_COMPLETE=SHELL_source backprop.

    \b
    Example:
      backprop completion bash > ~/.local/share/bash-completion/completions/backprop
      backprop completion zsh > ~/.zfunc/_backprop
      backprop completion fish > ~/.config/fish/completions/backprop.fish
    """
    root = ctx.find_root().command
    completer = get_completion_class(shell)
    if completer is None:  # pragma: no cover - click ships all three
        raise click.UsageError(f"no completion for {shell}")
    source = completer(root, {}, "backprop", COMPLETE_VAR).source()
    click.echo(source, nl=not source.endswith("\n"))
