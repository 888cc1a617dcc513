"""Shared helpers: run the CLI as a user would, and read its JSON; the hypothesis profiles.

Under CI (``CI`` set, as ``.ci/run`` runs) hypothesis is derandomized and keeps no example
database, so a run is the same on every machine and a failure found once does not haunt the
clone; elsewhere it draws new examples each run. ``HYPOTHESIS_PROFILE`` picks one by name.
The long random runs are marked ``slow`` and left out by default (``pytest -m slow``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from backprop_cli.cli.main import cli

# a few tests share helpers with a test module of another folder (the installed command,
# the graph variations of the tape tests): every folder is importable, whichever one runs
sys.path.extend(str(folder) for folder in sorted(Path(__file__).parent.iterdir())
                if folder.is_dir() and not folder.name.startswith((".", "_")))

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("random")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or
                      ("ci" if os.environ.get("CI") else "random"))


def invoke(*args: str, input: str | None = None) -> Result:
    """Run ``backprop ARGS`` in-process; stdout and stderr stay separate."""
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def drawn(*args: str) -> str:
    """``backprop draw ARGS``'s output, which must succeed with no warning (a note, such as
    the micrograd circuit's on its ``e``, may be on standard error)."""
    result = invoke("draw", *args)
    assert result.exit_code == 0, result.stderr
    assert all(line.startswith("note: ") for line in result.stderr.splitlines()), result.stderr
    return result.stdout


def eval_json(*args: str, input: str | None = None) -> dict[str, Any]:
    """``backprop eval ARGS --format json``, checked to succeed, as parsed JSON."""
    result = invoke("eval", *args, "--format", "json", input=input)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.fixture
def run_cli() -> Any:
    return invoke
