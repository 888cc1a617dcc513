"""SVG and PNG through Graphviz's ``dot`` program, run without a shell and with a timeout."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from ..errors import BackpropError
from ..limits import current

PROGRAM = "dot"
PACKAGE = "graphviz"


class GraphvizError(BackpropError):
    """Graphviz is missing, failed, or took too long."""


@dataclass(frozen=True)
class Rendered:
    """The picture's bytes and what Graphviz printed as warnings."""

    data: bytes
    warnings: list[str]


def render_graphviz(dot_text: str, fmt: str, dpi: float | None = None) -> Rendered:
    """Run ``dot -T<fmt>`` on the DOT text (``dpi``: a bitmap's resolution)."""
    executable = shutil.which(PROGRAM)
    if executable is None:
        raise GraphvizError(f"--format {fmt} needs Graphviz's `{PROGRAM}` program, which is not "
                            f"installed: install the package {PACKAGE} "
                            f"(apt-get install {PACKAGE}, brew install {PACKAGE}, ...); "
                            "--format svg needs nothing")
    seconds = current().graphviz_seconds
    resolution = [] if dpi is None else [f"-Gdpi={dpi:g}"]
    try:  # on timeout subprocess.run kills dot and waits for it
        done = subprocess.run([executable, f"-T{fmt}", *resolution],
                              input=dot_text.encode("utf-8"), capture_output=True,
                              timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        raise GraphvizError(f"Graphviz's {PROGRAM} took longer than {seconds:g} s: the "
                            "circuit is too big to lay out; raise it with --limit "
                            "graphviz-seconds=N, or try --format dot") from None
    except OSError as error:
        raise GraphvizError(f"cannot run {executable}: {error.strerror}") from None
    messages = [line.strip() for line in done.stderr.decode("utf-8", "replace").splitlines()
                if line.strip()]
    if done.returncode != 0 or not done.stdout:
        detail = messages[0] if messages else f"exit status {done.returncode}"
        raise GraphvizError(f"Graphviz's {PROGRAM} failed: {detail}")
    return Rendered(done.stdout, messages)
