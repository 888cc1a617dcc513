"""Helpers for the draw tests: golden files and reading DOT edges back."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden" / "draw"
UPDATE = os.environ.get("BACKPROP_UPDATE_GOLDEN") == "1"

_EDGE = re.compile(r"^  (\w+) -> (\w+)(?: \[(.*)\])?;$")
_FONT = re.compile(r'<font color="[^"]+">([^<]*)</font>')
_NODE = re.compile(r'^  (\w+) \[label="([^"]*)"')


SIGMOID_EDGES = [  # lecture-examples.md, example 2, at 4 significant digits
    ("w0", "*", ["2", "-0.1966"]), ("x0", "*", ["-1", "0.3932"]),
    ("w1", "*", ["-3", "-0.3932"]), ("x1", "*", ["-2", "-0.5898"]),
    ("*", "+", ["-2", "0.1966"]), ("*", "+", ["6", "0.1966"]),
    ("+", "+", ["4", "0.1966"]), ("w2", "+", ["-3", "0.1966"]),
    ("+", "-x", ["1", "0.1966"]), ("-x", "exp", ["-1", "-0.1966"]),
    ("exp", "+1", ["0.3679", "-0.5344"]), ("+1", "1/x", ["1.368", "-0.5344"]),
    ("1/x", "f", ["0.7311", "1"]),
]
LECTURE_EDGES = {  # examples 1 and 3
    "simple-circuit": [("x", "+", ["-2", "-4"]), ("y", "+", ["5", "-4"]),
                       ("+", "*", ["3", "-4"]), ("z", "*", ["-4", "3"]),
                       ("*", "f", ["-12", "1"])],
    "add-gate": [("x", "+", ["3", "2"]), ("y", "+", ["4", "2"]), ("+", "f", ["7", "2"])],
    "mul-gate": [("x", "*", ["2", "15"]), ("y", "*", ["3", "10"]), ("*", "f", ["6", "5"])],
    "max-gate": [("x", "max", ["4", "0"]), ("y", "max", ["5", "9"]),
                 ("max", "f", ["5", "9"])],
    "copy-gate": [("x", "c1", ["7", "6"]), ("c1", "*4", ["7", "4"]), ("c1", "*2", ["7", "2"]),
                  ("*4", "+", ["28", "1"]), ("*2", "+", ["14", "1"]), ("+", "f", ["42", "1"])],
    "sigmoid-neuron": SIGMOID_EDGES,
}


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


SVG = "{http://www.w3.org/2000/svg}"


def svg_edges(svg: str) -> list[tuple[str, str, list[str]]]:
    """Every wire of backprop's own SVG as (source label, target label, [value, gradient])
    texts; a copy dot is named by its id, as in ``dot_edges``."""
    root = ElementTree.fromstring(svg)
    labels = {}
    for group in root.iter(SVG + "g"):
        if "box" in group.get("class", "").split():
            text = group.find(SVG + "text")
            labels[group.get("id")] = text.text if text is not None else group.get("id")
    edges = []
    for group in root.iter(SVG + "g"):
        if group.get("class") == "wire":
            texts = [t.text or "" for t in group.iter(SVG + "text")]
            edges.append((labels[group.get("data-source")], labels[group.get("data-target")],
                          texts))
    return edges
