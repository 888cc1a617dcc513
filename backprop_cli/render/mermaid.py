"""Mermaid: a left-to-right flowchart that GitHub and Markdown notebooks render.

Each wire's label is its value above its gradient, coloured green and red (a renderer that
drops the colours still shows both lines). Every user string is escaped with Mermaid's
entity codes; the title goes into the front matter as a YAML double-quoted string.
"""

from __future__ import annotations

from .picture import Box, Picture, Wire, printable

VALUE_COLOUR = "#2da44e"
GRAD_COLOUR = "#e5534b"

_SHAPES = {
    "input": ('["', '"]'),
    "const": ('["', '"]'),
    "output": ('["', '"]'),
    "gate": ('(("', '"))'),
    "copy": ('(("', '"))'),
}
_CLASSES = (
    "  classDef io fill:none,stroke:none",
    "  classDef gate fill:#f6f8fa,stroke:#57606a,color:#24292f",
    "  classDef copy fill:#57606a,stroke:#57606a",
)
_ENTITIES = {'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;", "&": "#amp;",
             "|": "#124;", "`": "#96;", "%": "#37;"}


def render_mermaid(picture: Picture, fenced: bool = False) -> str:
    """The picture as a Mermaid flowchart; ``fenced`` wraps it in a Markdown code block."""
    lines = []
    if picture.title:
        lines += ["---", f"title: {yaml_string(picture.title)}", "---"]
    lines.append("flowchart LR")
    lines += [f"  {_box(box)}" for box in picture.boxes]
    kinds = {box.id: box.kind for box in picture.boxes}
    lines += [f"  {_wire(wire, kinds[wire.target])}" for wire in picture.wires]
    lines += _CLASSES
    for name, kinds_in_class in (("io", ("input", "const", "output")), ("gate", ("gate",)),
                                 ("copy", ("copy",))):
        members = [box.id for box in picture.boxes if box.kind in kinds_in_class]
        if members:
            lines.append(f"  class {','.join(members)} {name}")
    text = "\n".join(lines) + "\n"
    return f"```mermaid\n{text}```\n" if fenced else text


def _box(box: Box) -> str:
    opening, closing = _SHAPES[box.kind]
    label = escape(box.label) if box.kind != "copy" else " "
    return f"{box.id}{opening}{label}{closing}"


def _wire(wire: Wire, target_kind: str) -> str:
    arrow = "---" if target_kind == "copy" else "-->"
    parts = []
    if wire.value is not None:
        parts.append(f"<span style='color:{VALUE_COLOUR}'>{escape(wire.value)}</span>")
    if wire.grad is not None:
        parts.append(f"<span style='color:{GRAD_COLOUR}'>{escape(wire.grad)}</span>")
    label = f'|"{"<br>".join(parts)}"|' if parts else ""
    return f"{wire.source} {arrow}{label} {wire.target}"


def escape(text: str) -> str:
    """Text safe inside a quoted Mermaid label: special characters as entity codes."""
    return "".join(_ENTITIES.get(ch, ch) for ch in printable(text))


def yaml_string(text: str) -> str:
    """A YAML double-quoted string on one line."""
    escaped = printable(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
