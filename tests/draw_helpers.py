"""Helpers for the draw tests: golden files and reading DOT edges back."""

from __future__ import annotations

import os
import re
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden" / "draw"
UPDATE = os.environ.get("BACKPROP_UPDATE_GOLDEN") == "1"

_EDGE = re.compile(r"^  (\w+) -> (\w+)(?: \[(.*)\])?;$")
_FONT = re.compile(r'<font color="[^"]+">([^<]*)</font>')
_NODE = re.compile(r'^  (\w+) \[label="([^"]*)"')


def check_golden(name: str, text: str) -> None:
    """``text`` must equal the golden file; BACKPROP_UPDATE_GOLDEN=1 rewrites the file.

    Review every rewritten golden file by eye before committing it.
    """
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path} (BACKPROP_UPDATE_GOLDEN=1 writes it)"
    assert text == path.read_text(encoding="utf-8"), f"differs from {path}"


def dot_edges(dot: str) -> list[tuple[str, str, list[str]]]:
    """Every edge as (source label, target label, [value, gradient] texts)."""
    labels = {m.group(1): m.group(2) for m in map(_NODE.match, dot.splitlines()) if m}
    edges = []
    for line in dot.splitlines():
        match = _EDGE.match(line)
        if match:
            source, target, attributes = match.groups()
            texts = _FONT.findall(attributes or "")
            edges.append((labels.get(source, source), labels.get(target, target), texts))
    return edges
