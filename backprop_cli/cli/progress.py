"""A progress bar on stderr for long batch runs, only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

DELAY = 1.0  # seconds before the bar appears: short runs never show it
INTERVAL = 0.2
WIDTH = 24


class Progress:
    """Rows done (and the share of the input read, when its size is known)."""

    def __init__(self, total_bytes: int | None, stream: TextIO | None = None,
                 enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = _isatty(self.stream) if enabled is None else enabled
        self.total = total_bytes if total_bytes else None
        self.start = self.last = time.monotonic()
        self.shown = False

    def update(self, done_bytes: int, rows: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < DELAY or now - self.last < INTERVAL:
            return
        self.last = now
        self.stream.write("\r" + self.line(done_bytes, rows))
        self.stream.flush()
        self.shown = True

    def line(self, done_bytes: int, rows: int) -> str:
        if self.total is None:
            return f"{rows:,} rows"
        share = min(done_bytes / self.total, 1.0)
        filled = int(share * WIDTH)
        return f"[{'#' * filled}{'.' * (WIDTH - filled)}] {share:4.0%}  {rows:,} rows"

    def close(self) -> None:
        """Erase the bar so that messages after it start on a clean line."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
