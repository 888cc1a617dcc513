"""The installed ``backprop`` in a real pseudo-terminal of 60, 80, 100 and 120 columns (the
window size set with TIOCSWINSZ, and COLUMNS): no table cuts a number across lines, and no
line is wider than the terminal. The numbers expected come from the command's own JSON, which
carries them in full, written as the table writes them."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import pytest
from width_helpers import ANSI, WIDTHS, assert_numbers_whole, numbers_in, shown_numbers

from backprop_cli.numformat import FULL, LECTURE

BIN = Path(sys.executable).parent
TIMEOUT = 60


def in_terminal(args: list[str], width: int) -> str:
    """Run the installed command with stdout and stderr on a pseudo-terminal ``width``
    columns wide; what it printed, as the terminal received it."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, width, 0, 0))
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "COLUMNS": str(width),
           "LINES": "50", "NO_COLOR": "1", "TERM": "xterm"}
    process = subprocess.Popen([str(BIN / "backprop"), *args], stdin=subprocess.DEVNULL,
                               stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], TIMEOUT)
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end closed (EIO on Linux)
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
        process.wait(TIMEOUT)
    assert process.returncode == 0, b"".join(chunks).decode()
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def eval_document(*args: str) -> dict[str, Any]:
    done = subprocess.run([str(BIN / "backprop"), "eval", *args, "--format", "json"],
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def test_the_command_is_installed() -> None:
    assert (BIN / "backprop").exists()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("circuit", ["sigmoid-neuron", "two-layer-softmax-l2"])
def test_eval_cuts_no_number(circuit: str, width: int) -> None:
    document = eval_document(circuit)
    shown = in_terminal(["eval", circuit], width)
    assert "┃" in shown  # the terminal table, not the plain text of a pipe
    assert_numbers_whole(shown, shown_numbers(document, LECTURE), width)
    full = in_terminal(["eval", circuit, "--full"], width)
    assert_numbers_whole(full, shown_numbers(document, FULL), width)


@pytest.mark.parametrize("width", WIDTHS)
def test_gradcheck_cuts_no_number(width: int) -> None:
    done = subprocess.run([str(BIN / "backprop"), "gradcheck", "sigmoid-neuron", "--format",
                           "json"], capture_output=True, text=True, timeout=TIMEOUT)
    inputs = json.loads(done.stdout)["inputs"]
    values = [item[key] for item in inputs for key in ("analytic", "numerical")]
    shown = in_terminal(["gradcheck", "sigmoid-neuron", "--full"], width)
    assert_numbers_whole(shown, numbers_in(values, FULL), width)


def test_what_narrowing_looks_like_at_60_columns() -> None:
    shown = in_terminal(["eval", "sigmoid-neuron", "--full", "--table", "edges"], 60)
    assert "(60 columns: one block per edge)" in shown
    lecture = in_terminal(["eval", "sigmoid-neuron", "--table", "edges"], 60)
    assert "(60 columns: gate shortened, local gradient left out)" in lecture
    assert "-0.5344" in lecture


@pytest.mark.parametrize("width", WIDTHS)
def test_steps_and_descent_fit(width: int) -> None:
    for args in (["eval", "sigmoid-neuron", "--steps", "--full"],
                 ["step", "two-layer-softmax-l2", "--params", "W1,W2", "--iters", "2"]):
        shown = ANSI.sub("", in_terminal(args, width))
        lines = shown.splitlines()
        assert any(line[:1] in "┃│┏┡└" or "columns: one block per" in line
                   for line in lines), shown
        assert all(len(line.rstrip()) <= width for line in lines), shown


@pytest.mark.parametrize("width", WIDTHS)
def test_plain_text_in_a_terminal_fits_too(width: int) -> None:
    document = eval_document("sigmoid-neuron")
    shown = in_terminal(["eval", "sigmoid-neuron", "--format", "plain", "--full"], width)
    assert "┃" not in shown
    assert_numbers_whole(shown, shown_numbers(document, FULL), width)
    walk = in_terminal(["eval", "sigmoid-neuron", "--format", "plain", "--steps", "--full"],
                       width)
    assert all(len(line) <= width for line in walk.splitlines()), walk
    assert_numbers_whole(walk, numbers_in(document["gradients"].values(), FULL), width)
