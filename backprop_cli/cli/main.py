"""The command line: a thin layer that maps library errors to messages and exit codes.

Exit codes: 0 ok (also when the reader of stdout goes away), 1 a check failed, 2 bad input
or usage, 70 an internal error, 130 interrupted.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import re
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import click

from ..errors import BackpropError
from ..version import __version__

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130


class _Commands(dict[str, click.Command]):
    """The commands by name, each module imported only when its command is looked up (a
    numeric ``backprop eval`` does not load draw, check, gradcheck, ... at start-up)."""

    def __init__(self, where: dict[str, str]) -> None:
        super().__init__()
        self.where = where

    def _load(self, name: str) -> click.Command:
        if not super().__contains__(name):
            module, _, attribute = self.where[name].partition(":")
            command = getattr(importlib.import_module(f"{__package__}.{module}"),
                              attribute)
            super().__setitem__(name, command)
        return super().__getitem__(name)

    def __contains__(self, name: object) -> bool:
        return name in self.where or super().__contains__(name)

    def __iter__(self) -> Iterator[str]:
        return iter({**self.where, **dict.fromkeys(super().keys())})

    def __len__(self) -> int:
        return len(list(iter(self)))

    def __getitem__(self, name: str) -> click.Command:
        return self._load(name) if name in self.where else super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    def keys(self) -> Any:
        return list(iter(self))

    def values(self) -> Any:
        return [self[name] for name in self]

    def items(self) -> Any:
        return [(name, self[name]) for name in self]


def dash_arguments(command: click.Command, args: list[str],
                   help_names: list[str]) -> list[str]:
    """A program that starts with a minus (``-x*y``, ``-2*x``) read as the argument it is,
    not as an unknown option. When an argument with one leading dash is no option of
    ``command``, the arguments are reordered: options (with their values) first, then
    ``--``, then the positional arguments in their order."""
    takes_value = {name: isinstance(param, click.Option) and not param.is_flag
                   and not param.count for param in command.params
                   for name in (*param.opts, *param.secondary_opts)}
    takes_value.update(dict.fromkeys(help_names, False))
    options: list[str] = []
    positional: list[str] = []
    dashed = False
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            positional += args[index + 1:]
            break
        if arg.startswith("--") or arg in takes_value or arg[:2] in takes_value:
            options.append(arg)
            if takes_value.get(arg) and index + 1 < len(args):
                options.append(args[index + 1])
                index += 1
        else:
            dashed = dashed or (len(arg) > 1 and arg[0] == "-")
            positional.append(arg)
        index += 1
    return [*options, "--", *positional] if dashed else args


class UsageProblem(click.ClickException):
    """A click error (unknown option, missing argument, bad value, ...) in the tool's one
    style: ``error: ...`` on one line, then the command's usage line; exit code 2."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, error: click.ClickException) -> None:
        super().__init__(error.format_message())
        self.context = getattr(error, "ctx", None)

    def show(self, file: Any = None) -> None:
        from ..errors import inert

        message = re.sub(r"\s*\n\s*", " ", self.message).removesuffix(".")  # one line
        if message[1:2].islower():  # "No such option" -> "no such option"; "SOURCE" stays
            message = message[0].lower() + message[1:]
        click.echo(f"error: {inert(message)}", err=True)
        if self.context is not None:
            command = self.context.command
            usage = " ".join([self.context.command_path,
                              *command.collect_usage_pieces(self.context)])
            click.echo(f"  usage: {usage} (more: {self.context.command_path} --help)",
                       err=True)


def _one_style(error: click.ClickException) -> click.ClickException:
    """click's own message block, as the tool's one error style (help stays help)."""
    if isinstance(error, UsageProblem | getattr(click.exceptions, "NoArgsIsHelpError", ())):
        return error
    return UsageProblem(error)


class _Group(click.Group):
    """Turns library errors into one-line messages with exit code 2, click's usage errors
    into the same style, and a closed stdout (the reader went away: ``backprop ... |
    head -1``) into a quiet exit 0."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as error:
            raise _one_style(error) from None

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is None:
            return name, command, rest
        return name, command, dash_arguments(command, rest, ctx.help_option_names)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except click.ClickException as error:
            raise _one_style(error) from None
        except BackpropError as error:
            from .common import echo_error

            echo_error(error)
            ctx.exit(EXIT_BAD_INPUT)
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(EXIT_OK)
        except MemoryError:  # a size no limit foresaw: the machine's memory ran out first
            _out_of_memory(ctx)
        except SystemError:  # a C function whose allocation failed without saying so
            if not _address_space_ran_out():
                raise
            _out_of_memory(ctx)


_OUT_OF_MEMORY = ("error: out of memory before the tool's own limits were reached; lower "
                  "--limit memory=N (or the sizes) so the input is refused before it is made")


def _out_of_memory(ctx: click.Context) -> NoReturn:
    _say_out_of_memory()
    ctx.exit(EXIT_BAD_INPUT)


def _say_out_of_memory() -> None:
    """The out-of-memory line, written without allocating if click cannot allocate."""
    try:
        click.echo(_OUT_OF_MEMORY, err=True)
    except MemoryError:
        with contextlib.suppress(OSError):
            os.write(2, _OUT_OF_MEMORY_BYTES)


_OUT_OF_MEMORY_BYTES = (_OUT_OF_MEMORY + "\n").encode()


def _address_space_ran_out() -> bool:
    """Whether the process's peak address space came within 10 % of its cap (ulimit -v): a
    SystemError "error return without exception set" there was an allocation that failed
    (found by fuzz/mixed.py, whose workers run under a cap)."""
    try:
        import resource

        cap = resource.getrlimit(resource.RLIMIT_AS)[0]
        with open("/proc/self/status", encoding="ascii") as status:
            peak = next(int(line.split()[1]) * 1024 for line in status
                        if line.startswith("VmPeak:"))
    except (ImportError, OSError, StopIteration, ValueError):
        return False
    return cap != resource.RLIM_INFINITY and peak >= 0.9 * cap


@click.group("backprop", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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


# name -> module in cli/ : the command in it (imported when the command is used)
cli.commands = _Commands({
    "eval": "eval_cmd:eval_command",
    "gates": "gates_cmd:gates_command",
    "circuits": "circuits_cmd:circuits_command",
    "check": "check_cmd:check_command",
    "gradcheck": "gradcheck_cmd:gradcheck_command",
    "code": "code_cmd:code_command",
    "step": "step_cmd:step_command",
    "quiz": "quiz_cmd:quiz_command",
    "draw": "draw_cmd:draw_command",
    "completion": "completion_cmd:completion_command",
})


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
        shown = _one_style(error)
        shown.show()
        return shown.exit_code
    except (KeyboardInterrupt, click.Abort):
        _interrupted()
        _silence_stdout()  # drop unwritten output: exiting must not wait on a full pipe
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except MemoryError:  # even the out-of-memory line of invoke() could not be written
        _say_out_of_memory()
        return EXIT_BAD_INPUT
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
