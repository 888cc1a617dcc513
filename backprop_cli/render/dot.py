"""Graphviz DOT: gates left to right, inputs on the left, each wire's value above its
gradient in the lecture's colours (green and red). Node ids follow the graph (``n0``,
``n1``, ...), so the text is the same on every run; every user string is escaped.
"""

from __future__ import annotations

from .picture import Box, Picture, Wire, printable

VALUE_COLOUR = "#1a7f37"
GRAD_COLOUR = "#cf222e"
FONT = "Helvetica"

_SHAPES = {
    "input": 'shape=plaintext',
    "const": 'shape=plaintext',
    "output": 'shape=plaintext',
    "gate": 'shape=circle, style=filled, fillcolor="#f6f8fa"',
    "copy": 'shape=point, width=0.08',
}


def render_dot(picture: Picture) -> str:
    """The picture as a DOT digraph."""
    lines = ["digraph backprop {"]
    graph_attributes = ["rankdir=LR", "ordering=in", f'fontname="{FONT}"', "nodesep=0.3",
                        "ranksep=0.5"]
    if picture.title:
        graph_attributes += [f"label={quote(picture.title)}", "labelloc=t"]
    lines.append(f"  graph [{', '.join(graph_attributes)}];")
    lines.append(f'  node [fontname="{FONT}", fontsize=14];')
    lines.append(f'  edge [fontname="{FONT}", fontsize=11, arrowsize=0.6];')
    lines += [f"  {_box(box)}" for box in picture.boxes]
    sources = [box.id for box in picture.boxes if box.kind == "input"]
    if sources:
        lines.append(f"  {{ rank=source; {'; '.join(sources)}; }}")
    lines.append("  { rank=sink; out; }")
    kinds = {box.id: box.kind for box in picture.boxes}
    lines += [f"  {_wire(wire, kinds[wire.target])}" for wire in picture.wires]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _box(box: Box) -> str:
    attributes = [] if box.kind == "copy" else [f"label={quote(box.label)}"]
    attributes += [_SHAPES[box.kind], f"tooltip={quote(box.title)}"]
    return f"{box.id} [{', '.join(attributes)}];"


def _wire(wire: Wire, target_kind: str) -> str:
    attributes = []
    label = wire_label(wire)
    if label:
        attributes.append(f"label=<{label}>")
    if target_kind == "copy":
        attributes.append("arrowhead=none")
    suffix = f" [{', '.join(attributes)}]" if attributes else ""
    return f"{wire.source} -> {wire.target}{suffix};"


def wire_label(wire: Wire) -> str:
    """An HTML-like label: the value in green above the gradient in red."""
    parts = []
    if wire.value is not None:
        parts.append(f'<font color="{VALUE_COLOUR}">{html(wire.value)}</font>')
    if wire.grad is not None:
        parts.append(f'<font color="{GRAD_COLOUR}">{html(wire.grad)}</font>')
    return "<br/>".join(parts)


def quote(text: str) -> str:
    """A DOT double-quoted string whose backslashes Graphviz will not read as escapes."""
    escaped = printable(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def html(text: str) -> str:
    """Text safe inside a Graphviz HTML-like label."""
    return (printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))
