"""The circuit as SVG, laid out here (no Graphviz): the lecture's picture with pip alone.

Gates go left to right in columns (a gate one column right of its latest operand, inputs in
the first column), each wire's value above it in green and its gradient below it in red, a
dot where one value feeds several wires (the copy gate). A gate sits level with the mean of
its operands, so a chain is one straight line. The text is the same on every run and every
machine; every user string is escaped. Boxes and wires carry ids (``n3``, ``w0``) and
classes that the interactive page highlights.
"""

from __future__ import annotations

from dataclasses import dataclass

from .dot import FONT, GRAD_COLOUR, VALUE_COLOUR
from .markup import escape, quoteattr
from .picture import Box, Picture, Wire, printable

FONT_SIZE = 14
LABEL_SIZE = 12
CHAR = 0.6  # a character's width, in font sizes (a safe overestimate for Helvetica digits)
ROW = 64  # vertical distance between boxes in a column
GAP = 28  # room on a wire beside its numbers
RADIUS = 18
MARGIN = 16
PORTS = 8  # vertical distance between wires entering one gate
SHARED_PORTS = 36  # ... when two of them carry the same value
TITLE_HEIGHT = 28
TOP_ROOM = 8  # above the first row: the numbers of a wire entering its gate high
DOT_RADIUS = 3.5
LINE_COLOUR = "#57606a"
GATE_FILL = "#f6f8fa"


def text_width(text: str, size: int) -> float:
    return len(text) * size * CHAR


@dataclass
class _Place:
    """Where a box is drawn: its centre and half its width."""

    x: float
    y: float
    half: float


def render_svg(picture: Picture) -> str:
    """The picture as a standalone SVG document."""
    places = layout(picture)
    top = TITLE_HEIGHT if picture.title else 0
    width = max([p.x + p.half for p in places.values()]
                + [text_width(picture.title, FONT_SIZE)]) + MARGIN
    height = max(p.y for p in places.values()) + ROW / 2 + top + MARGIN
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
             f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'font-family="{FONT}, Arial, sans-serif" font-size="{FONT_SIZE}" '
             'class="backprop-circuit">',
             _defs()]
    if picture.title:
        parts.append(f'<text class="title" x="{MARGIN}" y="{MARGIN + 4}" font-weight="bold">'
                     f'{_text(picture.title)}</text>')
    parts.append(f'<g transform="translate(0,{top})">')
    kinds = {box.id: box.kind for box in picture.boxes}
    parts += [_wire(index, wire, places, kinds, port)
              for index, (wire, port) in enumerate(zip(picture.wires, ports(picture),
                                                       strict=True))]
    parts += [_box(box, places[box.id]) for box in picture.boxes]
    parts.append("</g></svg>")
    return "\n".join(parts) + "\n"


def _defs() -> str:
    return ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
            'markerHeight="7" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{LINE_COLOUR}"/></marker>'
            "<style>.wire path{fill:none;stroke:" + LINE_COLOUR + ";stroke-width:1.4}"
            ".value{fill:" + VALUE_COLOUR + "}.grad{fill:" + GRAD_COLOUR + "}"
            ".gate rect,.gate circle{fill:" + GATE_FILL + ";stroke:" + LINE_COLOUR
            + "}.copy circle{fill:" + LINE_COLOUR + "}</style></defs>")


def layout(picture: Picture) -> dict[str, _Place]:
    """Every box's place: columns by depth, rows by the mean of the operands' rows."""
    incoming = picture.inputs_of()
    column: dict[str, int] = {}
    for box in picture.boxes:  # forward order: operands come first
        sources = [column[w.source] for w in incoming[box.id]]
        column[box.id] = max(sources) + 1 if sources and box.kind != "input" else 0
    columns: list[list[Box]] = [[] for _ in range(max(column.values()) + 1)]
    for box in picture.boxes:
        columns[column[box.id]].append(box)
    halves = {box.id: _half_width(box) for box in picture.boxes}
    xs = _column_xs(picture, columns, column, halves)
    places: dict[str, _Place] = {}
    for index, boxes in enumerate(columns):
        wanted = [(_mean_row(box, incoming, places), order) for order, box in enumerate(boxes)]
        below = -float("inf")
        for (want, order) in sorted(wanted):
            y = max(want, below + ROW)
            places[boxes[order].id] = _Place(xs[index], y, halves[boxes[order].id])
            below = y
    lowest = min(place.y for place in places.values())
    for place in places.values():
        place.y += ROW / 2 + TOP_ROOM - lowest
    return places


def _mean_row(box: Box, incoming: dict[str, list[Wire]], places: dict[str, _Place]) -> float:
    rows = [places[wire.source].y for wire in incoming[box.id]]
    return sum(rows) / len(rows) if rows else 0.0


def _column_xs(picture: Picture, columns: list[list[Box]], column: dict[str, int],
               halves: dict[str, float]) -> list[float]:
    """Each column's centre: wide enough after a column for the numbers on its wires."""
    room = [0.0] * len(columns)
    for wire in picture.wires:
        room[column[wire.source]] = max(room[column[wire.source]], _label_width(wire))
    xs: list[float] = []
    for index, boxes in enumerate(columns):
        half = max(halves[box.id] for box in boxes)
        if not xs:
            xs.append(MARGIN + half)
            continue
        previous = max(halves[box.id] for box in columns[index - 1])
        xs.append(xs[-1] + previous + room[index - 1] + GAP + half)
    return xs


def _label_width(wire: Wire) -> float:
    return max(text_width(wire.value or "", LABEL_SIZE), text_width(wire.grad or "", LABEL_SIZE))


def _half_width(box: Box) -> float:
    if box.kind == "copy":
        return DOT_RADIUS
    width = text_width(box.label, FONT_SIZE)
    if box.kind == "gate":
        return max(RADIUS, width / 2 + 10)
    return width / 2 + 4


def _box(box: Box, place: _Place) -> str:
    title = f"<title>{_text(box.title)}</title>"
    head = f'<g id="{box.id}" class="box {box.kind}" data-node="{box.node}">{title}'
    if box.kind == "copy":
        return f'{head}<circle cx="{place.x:.1f}" cy="{place.y:.1f}" r="{DOT_RADIUS}"/></g>'
    label = (f'<text x="{place.x:.1f}" y="{place.y + FONT_SIZE * 0.35:.1f}" '
             f'text-anchor="middle">{_text(box.label)}</text>')
    if box.kind != "gate":
        return f"{head}{label}</g>"
    if place.half <= RADIUS:
        shape = f'<circle cx="{place.x:.1f}" cy="{place.y:.1f}" r="{RADIUS}"/>'
    else:
        shape = (f'<rect x="{place.x - place.half:.1f}" y="{place.y - RADIUS:.1f}" '
                 f'width="{2 * place.half:.1f}" height="{2 * RADIUS}" rx="{RADIUS}"/>')
    return f"{head}{shape}{label}</g>"


def _wire(index: int, wire: Wire, places: dict[str, _Place], kinds: dict[str, str],
          port: float) -> str:
    """A straight run carrying the numbers and a curve: the run leaves the source, except
    after a copy dot, where each branch curves off first and carries its numbers into its
    gate. ``port`` moves the end up or down where several wires enter one gate."""
    source, target = places[wire.source], places[wire.target]
    end_y = target.y + port
    start = source.x + source.half + (0 if kinds[wire.source] == "copy" else 2)
    stop = target.x - _edge_inset(target, port, kinds[wire.target]) - \
        (0 if kinds[wire.target] == "copy" else 2)
    length = _label_width(wire) + GAP / 2
    if kinds[wire.source] == "copy":
        run = max(stop - length, start)
        bend = (start + run) / 2
        path = (f"M{start:.1f},{source.y:.1f} C{bend:.1f},{source.y:.1f} {bend:.1f},{end_y:.1f} "
                f"{run:.1f},{end_y:.1f} H{stop:.1f}")
        middle, line = (run + stop) / 2, end_y
    else:
        run = min(start + length, stop)
        bend = (run + stop) / 2
        path = (f"M{start:.1f},{source.y:.1f} H{run:.1f} C{bend:.1f},{source.y:.1f} "
                f"{bend:.1f},{end_y:.1f} {stop:.1f},{end_y:.1f}")
        middle, line = (start + run) / 2, source.y
    arrow = "" if kinds[wire.target] == "copy" else ' marker-end="url(#arrow)"'
    texts = []
    if wire.value is not None:
        texts.append(f'<text class="value" x="{middle:.1f}" y="{line - 5:.1f}" '
                     f'font-size="{LABEL_SIZE}" text-anchor="middle">{_text(wire.value)}</text>')
    if wire.grad is not None:
        texts.append(f'<text class="grad" x="{middle:.1f}" y="{line + LABEL_SIZE + 3:.1f}" '
                     f'font-size="{LABEL_SIZE}" text-anchor="middle">{_text(wire.grad)}</text>')
    return (f'<g id="w{index}" class="wire" data-source={quoteattr(wire.source)} '
            f'data-target={quoteattr(wire.target)} data-edge="{wire.edge}">'
            f'<path d="{path}"{arrow}/>{"".join(texts)}</g>')


def _edge_inset(place: _Place, port: float, kind: str) -> float:
    """How far left of the centre a wire meets the box, ``port`` off its middle."""
    if kind == "gate" and place.half <= RADIUS:
        return float(max(RADIUS ** 2 - port ** 2, 0.0) ** 0.5)
    return place.half


def ports(picture: Picture) -> list[float]:
    """Each wire's offset where it enters its target: wires into one gate spread apart,
    widely when two come from the same value (``x * x``) so their numbers do not meet."""
    offsets = [0.0] * len(picture.wires)
    entering: dict[str, list[int]] = {}
    for index, wire in enumerate(picture.wires):
        entering.setdefault(wire.target, []).append(index)
    for indices in entering.values():
        sources = [picture.wires[index].source for index in indices]
        spacing = SHARED_PORTS if len(set(sources)) < len(sources) else PORTS
        for order, index in enumerate(indices):
            offsets[index] = (order - (len(indices) - 1) / 2) * spacing
    return offsets


def _text(text: str) -> str:
    return escape(printable(text))
