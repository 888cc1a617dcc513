"""Shared helpers: run the CLI as a user would, and read its JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result

from backprop_cli.cli.main import cli


def invoke(*args: str, input: str | None = None) -> Result:
    """Run ``backprop ARGS`` in-process; stdout and stderr stay separate."""
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def eval_json(*args: str, input: str | None = None) -> dict[str, Any]:
    """``backprop eval ARGS --format json``, checked to succeed, as parsed JSON."""
    result = invoke("eval", *args, "--format", "json", input=input)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.fixture
def run_cli() -> Any:
    return invoke
