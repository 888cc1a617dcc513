"""The circuit drawn with box-drawing characters, for the terminal (no Graphviz needed).

Gates go left to right as the lecture draws them, each wire's value above it and its
gradient below it. The drawing is a tree grown leftwards from the output: a gate used by
two others is drawn once, with its name on the box, and shown as ``↑name`` where it is
used again. A drawing wider than the terminal is folded into strips at wires; a graph too
big or too wide for that is shown as an indented tree instead. The result is text in runs
tagged with a role (value, grad, ...): colour is the command line's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..limits import check_memory
from .picture import Box, Picture, Wire

Run = tuple[str, str]
MAX_DRAWN = 400
MIN_WIDTH = 20  # the draw command accepts --width from the same number
REFERENCE = "↑"
CONTINUED = "⋯"
WIRE, BUS_TOP, BUS_BOTTOM, BUS_MID, BUS_OUT, BUS_CROSS, BUS_LINE = "─┐┘┤├┼│"


@dataclass
class Drawing:
    """Lines of text runs; each run is ``(text, role)`` with role "", value, grad, title, note."""

    lines: list[list[Run]] = field(default_factory=list)

    def plain(self) -> str:
        return "".join("".join(text for text, _ in line) + "\n" for line in self.lines)


@dataclass
class _Item:
    """One place a box is drawn: its wire to the parent, children, and computed layout."""

    box: Box
    wire: Wire
    reference: bool
    children: list[int] = field(default_factory=list)
    width: int = 0
    height: int = 3
    anchor: int = 1
    offsets: list[int] = field(default_factory=list)
    bus: int = 0


def render_diagram(picture: Picture, width: int = 80) -> Drawing:
    """The picture drawn left to right and folded to ``width`` columns, or as a tree."""
    items = _tree(picture)
    drawing = Drawing()
    if picture.title:
        drawing.lines.append([(picture.title, "title")])
    body = _draw(items, picture, max(width, MIN_WIDTH)) if len(items) <= MAX_DRAWN else None
    drawing.lines += body if body is not None else _indented(items)
    drawing.lines += [[(line, "note")] for line in _notes(picture) + _legend(picture)]
    return drawing


def _legend(picture: Picture) -> list[str]:
    """Which number is which, for readers without colour."""
    wire = picture.inputs_of()["out"][0]
    shown = [f"{what} {where}" for text, what, where in
             ((wire.value, "value", "above"), (wire.grad, "gradient", "below")) if text]
    return [f"each wire: {', '.join(shown)}"] if len(shown) == 2 else []


def _tree(picture: Picture) -> list[_Item]:
    """The boxes as a tree from the output, in pre-order (top to bottom as drawn)."""
    incoming = picture.inputs_of()
    boxes = {box.id: box for box in picture.boxes}
    output_wire = incoming["out"][0]
    items: list[_Item] = []
    seen: set[str] = set()
    stack: list[tuple[Wire, int]] = [(output_wire, -1)]
    while stack:
        wire, parent = stack.pop()
        source = boxes[wire.source]
        if source.kind == "copy":
            source = boxes[incoming[source.id][0].source]
        reference = source.id in seen and source.kind == "gate"
        seen.add(source.id)
        items.append(_Item(source, wire, reference))
        if parent >= 0:
            items[parent].children.append(len(items) - 1)
        if not reference:
            index = len(items) - 1
            stack.extend((child, index) for child in reversed(incoming[source.id]))
    return items


def _label(item: _Item) -> str:
    return REFERENCE + item.box.name if item.reference else item.box.label


def _wire_length(wire: Wire) -> int:
    return max(len(wire.value or ""), len(wire.grad or ""), 1) + 2


def _box_width(item: _Item, named: bool) -> int:
    name = item.box.name if named else ""
    return max(len(item.box.label) + 2, len(name) + 2) + 2


def _measure(items: list[_Item], named: set[int]) -> None:
    """Sizes bottom-up: children always come after their parent in pre-order."""
    for index in range(len(items) - 1, -1, -1):
        item = items[index]
        if item.reference or item.box.kind != "gate":
            item.width = len(_label(item)) + 1
            continue
        box = _box_width(item, index in named)
        children = [items[c] for c in item.children]
        if not children:
            item.width = box
        elif len(children) == 1:
            child = children[0]
            item.height, item.anchor = child.height, child.anchor
            item.bus = child.width + _wire_length(child.wire)
            item.width = item.bus + box
        else:
            row = 0
            for child in children:
                item.offsets.append(row)
                row += child.height
            item.height = row
            first = item.offsets[0] + children[0].anchor
            last = item.offsets[-1] + children[-1].anchor
            item.anchor = (first + last) // 2
            item.bus = max(c.width + _wire_length(c.wire) for c in children)
            item.width = item.bus + 2 + box


CELL_BYTES = 40  # what one character cell of the canvas costs while it is drawn and folded
LINE_CHAR_BYTES = 16  # and one character of the indented tree's lines (measured: 12)


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.chars = [[" "] * width for _ in range(height)]
        self.roles = [[""] * width for _ in range(height)]

    def put(self, row: int, column: int, text: str, role: str = "") -> None:
        for offset, char in enumerate(text):
            self.chars[row][column + offset] = char
            self.roles[row][column + offset] = role

    def wire(self, row: int, start: int, stop: int, wire: Wire) -> None:
        """A horizontal wire, its value centred above its start and its gradient below."""
        self.put(row, start, WIRE * (stop - start))
        length = _wire_length(wire)
        for text, line, role in ((wire.value, row - 1, "value"), (wire.grad, row + 1, "grad")):
            if text:
                self.put(line, start + (length - len(text) + 1) // 2, text, role)

    def is_wire(self, row: int, column: int) -> bool:
        return self.chars[row][column] == WIRE and not self.roles[row][column]

    def runs(self, row: int, start: int, stop: int) -> list[Run]:
        chars, roles = self.chars[row], self.roles[row]
        runs: list[Run] = []
        for column in range(start, stop):
            if runs and runs[-1][1] == roles[column]:
                runs[-1] = (runs[-1][0] + chars[column], roles[column])
            else:
                runs.append((chars[column], roles[column]))
        return runs


def _draw(items: list[_Item], picture: Picture, width: int) -> list[list[Run]] | None:
    referenced = {item.box.id for item in items if item.reference}
    named = {i for i, item in enumerate(items) if not item.reference
             and item.box.id in referenced}
    _measure(items, named)
    root = items[0]
    output = picture.box("out").label
    total = root.width + _wire_length(root.wire) + 1 + len(output)
    # two grids of pointers, then the folded runs: a 10^5-term sum would take 17 GB
    check_memory("the terminal drawing (try --format dot)", total * root.height * CELL_BYTES)
    canvas = _Canvas(total, root.height)
    _paint(items, named, canvas)
    canvas.wire(root.anchor, root.width, root.width + _wire_length(root.wire), root.wire)
    canvas.put(root.anchor, total - len(output), output)
    return _fold(canvas, total, root.height, width)


def _paint(items: list[_Item], named: set[int], canvas: _Canvas) -> None:
    """Place every item top-down from the root at the top left corner."""
    origins = {0: (0, 0)}
    for index, item in enumerate(items):
        top, left = origins[index]
        if item.reference or item.box.kind != "gate":
            canvas.put(top + item.anchor, left, _label(item))
            continue
        children = [items[c] for c in item.children]
        if len(children) == 1:
            origins[item.children[0]] = (top, left)
            child = children[0]
            canvas.wire(top + item.anchor, left + child.width, left + item.bus, child.wire)
            _box(canvas, item, index in named, top + item.anchor, left + item.bus)
        elif children:
            for child_index, child, offset in zip(item.children, children, item.offsets,
                                                  strict=True):
                origins[child_index] = (top + offset, left)
                canvas.wire(top + offset + child.anchor, left + child.width, left + item.bus,
                            child.wire)
            _bus(canvas, item, children, top, left + item.bus)
            canvas.put(top + item.anchor, left + item.bus + 1, WIRE)
            _box(canvas, item, index in named, top + item.anchor, left + item.bus + 2)
        else:
            _box(canvas, item, index in named, top + item.anchor, left)


def _bus(canvas: _Canvas, item: _Item, children: list[_Item], top: int, column: int) -> None:
    """The vertical line joining the children's wires to the gate."""
    anchors = [top + offset + child.anchor for offset, child in zip(item.offsets, children,
                                                                     strict=True)]
    for row in range(anchors[0], anchors[-1] + 1):
        canvas.put(row, column, BUS_LINE)
    for row in anchors[1:-1]:
        canvas.put(row, column, BUS_MID)
    canvas.put(anchors[0], column, BUS_TOP)
    canvas.put(anchors[-1], column, BUS_BOTTOM)
    middle = top + item.anchor
    canvas.put(middle, column, BUS_CROSS if middle in anchors else BUS_OUT)


def _box(canvas: _Canvas, item: _Item, named: bool, row: int, column: int) -> None:
    inner = _box_width(item, named) - 2
    name = item.box.name if named else ""
    top = (WIRE + name).ljust(inner, WIRE) if name else WIRE * inner
    canvas.put(row - 1, column, "┌" + top + "┐", "box")
    canvas.put(row, column, "┤" + item.box.label.center(inner) + "├", "box")
    canvas.put(row + 1, column, "└" + WIRE * inner + "┘", "box")


def _fold(canvas: _Canvas, total: int, height: int, width: int) -> list[list[Run]] | None:
    """Cut the drawing into strips at columns that only wires cross; None if it cannot."""
    safe = [all(canvas.is_wire(row, column) or canvas.chars[row][column] == " "
                for row in range(height)) for column in range(total)]
    lines: list[list[Run]] = []
    start = 0
    while True:
        lead = 1 if start else 0
        if total - start + lead <= width:
            stop = total
        else:
            cuts = [c for c in range(start + 1, min(total, start + width - lead))
                    if safe[c]]
            if not cuts:
                return None
            stop = cuts[-1]
        if start:
            lines.append([])
        strip = []
        for row in range(height):
            runs = canvas.runs(row, start, stop)
            if start:
                runs.insert(0, (CONTINUED if canvas.is_wire(row, start) else " ", ""))
            if stop < total and canvas.is_wire(row, stop):
                runs.append((CONTINUED, ""))
            strip.append(_rstrip(runs))
        lines += _trim(strip)
        if stop == total:
            return lines
        start = stop


def _trim(lines: list[list[Run]]) -> list[list[Run]]:
    """Without the blank lines at the top and bottom."""
    filled = [index for index, line in enumerate(lines) if line]
    return lines[filled[0]:filled[-1] + 1] if filled else []


def _rstrip(runs: list[Run]) -> list[Run]:
    while runs and not runs[-1][0].strip():
        runs.pop()
    if runs:
        runs[-1] = (runs[-1][0].rstrip(), runs[-1][1])
    return runs


def _indented(items: list[_Item]) -> list[list[Run]]:
    """One line per wire: the node, its value and its gradient, inputs indented below."""
    _check_indented_size(items)
    prefixes: dict[int, tuple[str, str]] = {0: ("", "")}
    rows: list[tuple[str, Wire]] = []
    for index, item in enumerate(items):
        first, rest = prefixes[index]
        rows.append((first + _line_text(item), item.wire))
        if len(item.children) == 1:
            prefixes[item.children[0]] = (rest, rest)
            continue
        for child in item.children:
            last = child == item.children[-1]
            prefixes[child] = (rest + ("└─ " if last else "├─ "), rest + ("   " if last else "│  "))
    text_width = max(len(text) for text, _ in rows)
    value_width = max([len("value")] + [len(w.value or "") for _, w in rows])
    grad_width = max([len("gradient")] + [len(w.grad or "") for _, w in rows])
    lines: list[list[Run]] = [[(" " * text_width + "  " + "value".rjust(value_width)
                                + "  " + "gradient".rjust(grad_width), "note")]]
    for text, wire in rows:
        lines.append(_rstrip([(text.ljust(text_width) + "  ", ""),
                              ((wire.value or "").rjust(value_width), "value"),
                              ("  ", ""), ((wire.grad or "").rjust(grad_width), "grad")]))
    return lines


def _check_indented_size(items: list[_Item]) -> None:
    """Every line is as wide as the deepest indentation: a chain of 10^4 additions makes
    10^4 lines of 3 * 10^4 characters (900 MB), so the size is checked from the depths."""
    depth = [0] * len(items)
    for index, item in enumerate(items):
        step = 1 if len(item.children) > 1 else 0
        for child in item.children:
            depth[child] = depth[index] + step
    width = 3 * max(depth, default=0) + max((len(_line_text(i)) for i in items), default=0)
    check_memory("the terminal drawing (try --format dot)", len(items) * width * LINE_CHAR_BYTES)


def _line_text(item: _Item) -> str:
    if item.reference:
        return _label(item)
    if item.box.kind == "gate":
        return item.box.title
    return item.box.label


def _notes(picture: Picture) -> list[str]:
    """Where a value feeds several wires, its gradient is the sum of theirs (the copy gate)."""
    incoming, outgoing = picture.inputs_of(), picture.outputs_of()
    notes = []
    for box in picture.boxes:
        if box.kind != "copy":
            continue
        total = incoming[box.id][0].grad
        parts = [wire.grad for wire in outgoing[box.id]]
        name = box.name
        if total is None or any(part is None for part in parts):
            continue
        terms = " + ".join(str(part) for part in parts).replace("+ -", "- ")
        notes.append(f"{name} feeds {len(parts)} wires: its gradient is {terms} = {total}")
    return notes
