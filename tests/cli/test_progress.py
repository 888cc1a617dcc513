"""The progress bar: on a terminal's stderr, after a delay, erased at the end; never else."""

from __future__ import annotations

import io

import pytest

from backprop_cli.cli import progress as progress_module
from backprop_cli.cli.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    monkeypatch.setattr(progress_module, "INTERVAL", 0.0)
    stream = io.StringIO()
    bar = Progress(1000, stream)
    bar.update(500, 10)
    bar.close()
    assert stream.getvalue() == ""


def test_bar_on_a_terminal_after_the_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    monkeypatch.setattr(progress_module, "INTERVAL", 0.0)
    stream = Terminal()
    bar = Progress(1000, stream)
    bar.update(500, 65536)
    assert stream.getvalue() == "\r[############............]  50%  65,536 rows"
    bar.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_short_runs_show_nothing_and_unknown_sizes_count_rows(
        monkeypatch: pytest.MonkeyPatch) -> None:
    stream = Terminal()
    bar = Progress(None, stream)
    bar.update(10, 10)  # before DELAY: nothing
    bar.close()
    assert stream.getvalue() == ""
    assert bar.line(123, 4567) == "4,567 rows"
