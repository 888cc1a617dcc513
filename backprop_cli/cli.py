"""The command line: a thin layer that maps library errors to messages and exit codes.

Exit codes: 0 ok (also when the reader of stdout goes away), 1 a check failed, 2 bad input
or usage, 70 an internal error, 130 interrupted.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys

import click

from . import __version__
from .commands.check_cmd import check_command
from .commands.circuits_cmd import circuits_command
from .commands.code_cmd import code_command
from .commands.common import echo_error
from .commands.completion_cmd import completion_command
from .commands.draw_cmd import draw_command
from .commands.eval_cmd import eval_command
from .commands.gates_cmd import gates_command
from .commands.gradcheck_cmd import gradcheck_command
from .commands.step_cmd import step_command
from .errors import BackpropError

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130


class _Group(click.Group):
    """Turns library errors into one-line messages with exit code 2, and a closed stdout
    (the reader went away: ``backprop ... | head -1``) into a quiet exit 0."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BackpropError as error:
            echo_error(error)
            ctx.exit(EXIT_BAD_INPUT)
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(EXIT_OK)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="backprop")
def cli() -> None:
    """backprop: a backpropagation calculator.

    Shows each gate's forward value and, for every edge, the upstream gradient, the local
    gradient (as sympy derived it) and the downstream gradient = upstream × local.

    \b
    Example:
      backprop eval "(x+y)*z" x=-2 y=5 z=-4

    Exit codes: 0 ok, 1 a check failed, 2 bad input or usage, 130 interrupted.
    """


cli.add_command(eval_command)
cli.add_command(gates_command)
cli.add_command(circuits_command)
cli.add_command(check_command)
cli.add_command(gradcheck_command)
cli.add_command(code_command)
cli.add_command(step_command)
cli.add_command(draw_command)
cli.add_command(completion_command)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``backprop`` command.

    click runs in non-standalone mode so that the exit codes are ours: 130 on Ctrl-C (click
    would say "Aborted!" and exit 1) and 0, silently, when the reader of stdout goes away
    (``backprop ... | head -1``).
    """
    gc.disable()  # a short-lived process building large acyclic lists: see gcpause.py
    try:
        code = cli.main(args=argv, prog_name="backprop", standalone_mode=False)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else EXIT_BAD_INPUT
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except (KeyboardInterrupt, click.Abort):
        _interrupted()
        _silence_stdout()  # drop unwritten output: exiting must not wait on a full pipe
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except Exception as error:  # a bug: say so briefly, no traceback unless asked
        if os.environ.get("BACKPROP_DEBUG"):
            raise
        click.echo(f"error: internal error ({type(error).__name__}: {error}); "
                   "rerun with BACKPROP_DEBUG=1 for details and please report it", err=True)
        return EXIT_INTERNAL
    return code if isinstance(code, int) else EXIT_OK


def _interrupted() -> None:
    with contextlib.suppress(OSError):
        click.echo("\ninterrupted", err=True)


def _silence_stdout() -> None:
    """After the reader closed the pipe, stop Python from complaining at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
