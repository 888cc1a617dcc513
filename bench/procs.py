"""Running measured child processes: wall time, CPU time and peak memory from ``os.wait4``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent


@dataclass
class Finished:
    """One finished child: exit code, wall and CPU seconds, peak RSS in KB, its output."""

    code: int
    wall: float
    cpu: float
    maxrss_kb: int
    stdout: str
    stderr: str


def backprop_command() -> list[str]:
    """The installed ``backprop`` console script next to this interpreter (or on PATH)."""
    beside = Path(sys.executable).parent / "backprop"
    found = str(beside) if beside.exists() else shutil.which("backprop")
    if found is None:
        raise RuntimeError("the backprop command is not installed (pip install -e .)")
    return [found]


def measure(command: list[str], timeout: float | None = None, stdout_path: Path | None = None,
            keep_stdout: bool = True, env: dict[str, str] | None = None) -> Finished:
    """Run ``command`` with no stdin; stdout goes to ``stdout_path`` or a temporary file."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        out_path = stdout_path or Path(tmp) / "stdout"
        err_path = Path(tmp) / "stderr"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            start = time.perf_counter()
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                     env=env)
            status, usage = _wait(child, timeout)
            wall = time.perf_counter() - start
        text = out_path.read_text("utf-8", "replace") if keep_stdout else ""
        return Finished(status, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, text,
                        err_path.read_text("utf-8", "replace"))


def _wait(child: subprocess.Popen[bytes], timeout: float | None) -> tuple[int, Any]:
    """Block in ``os.wait4`` (exact wall time); a timer kills the child at the timeout."""
    timer = threading.Timer(timeout, child.kill) if timeout else None
    if timer is not None:
        timer.start()
    try:
        _, status, usage = os.wait4(child.pid, 0)
    finally:
        if timer is not None:
            timer.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, usage


def run_json(command: list[str], timeout: float | None = None,
             env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a child that prints one JSON object on its last stdout line."""
    done = measure(command, timeout, env=env)
    if done.code != 0:
        why = "killed at the time limit" if done.code == -9 and timeout else \
            f"exit code {done.code}"
        tail = done.stderr.strip().splitlines()[-1:] or [""]
        return {"error": f"{why}: {tail[0][:200]}", "maxrss_kb": done.maxrss_kb}
    lines = done.stdout.strip().splitlines()
    result: dict[str, Any] = json.loads(lines[-1])
    result["wall_process"] = done.wall
    return result


def python(*args: str) -> list[str]:
    return [sys.executable, *args]
