"""Running ``backprop`` in a real pseudo-terminal: the child's stdin, stdout and stderr are
the terminal; the test reads and types on the other side."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time


def spawn(*args: str) -> tuple[subprocess.Popen[bytes], int, int]:
    """``python -m backprop_cli ARGS`` on a new pseudo-terminal (colour off): the process,
    the test's end of the terminal, and the child's end (still open here, for tcgetattr)."""
    master, slave = os.openpty()
    process = subprocess.Popen([sys.executable, "-m", "backprop_cli", *args],
                               stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                               env={**os.environ, "NO_COLOR": "1"})
    return process, master, slave


def read_until(fd: int, marker: str, seen: str, timeout: float = 30) -> str:
    """Read from the terminal until ``marker`` is in the text seen so far."""
    end = time.monotonic() + timeout
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        if not ready:
            raise AssertionError(f"no {marker!r} in {seen!r}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the terminal closed
            break
        seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
    return seen


def drain(fd: int) -> str:
    """What is left to read (until the terminal is quiet for half a second or closes)."""
    out = ""
    while select.select([fd], [], [], 0.5)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
    return out
