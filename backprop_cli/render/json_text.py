"""The JSON document of a float trace written straight as text, in chunks.

The same bytes as ``json.dumps(trace_document(trace))`` (one line), without building a dict
per node and edge: each gate's expression and local-gradient formulas are split once per
gate type into literal text and operand slots, records are f-strings, numbers are written
with ``float.__repr__`` (what the json module writes) and reused where the same double
appears again (an edge's upstream is its node's gradient), and the document is yielded in
pieces, so a graph of 10^6 gates is never held as one string. Exact and array traces, and
any name or formula that JSON would have to escape, are left to ``json.dumps``
(``json_chunks`` returns None).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from math import isfinite
from string import Formatter
from typing import Any

from ..engine.trace import Trace, formula_pieces, local_formula
from ..gates.registry import GATES
from ..graph.graph import CONST, INPUT, Graph

CHUNK = 4096  # records written per piece of text
_UNSAFE = re.compile('[\x00-\x1f"\\\\\x80-\U0010ffff]')  # what json.dumps escapes

# Text with operand slots: literal pieces (one more than the slots) and, for each slot, the
# index of the operand among the node's arguments (-1: the node itself, ``out``).
Slots = tuple[tuple[str, ...], tuple[int, ...]]


def json_chunks(trace: Trace, head: dict[str, Any]) -> Iterator[str] | None:
    """The document as text pieces (``head`` holds its first fields, before ``nodes``), or
    None when this writer does not handle the trace."""
    if trace.exact or trace.arrays:
        return None
    if not all(map(all_floats, (trace.values, trace.grads, trace.edge_locals,
                                trace.edge_downstreams))):
        return None  # numbers given to the library as ints, say: json.dumps converts them
    graph = trace.graph
    kinds = set(graph.gates) - {INPUT, CONST}
    if _UNSAFE.search("".join(graph.names)) or _UNSAFE.search("".join(kinds)):
        return None
    expressions: dict[str, Slots] = {}
    formulas: dict[str, list[Slots]] = {}
    for gate in kinds:
        expression, derivatives = _expression_slots(graph, gate), _formula_slots(graph, gate)
        if expression is None or derivatives is None:
            return None
        expressions[gate], formulas[gate] = expression, derivatives
    return _chunks(trace, head, expressions, formulas)


def _chunks(trace: Trace, head: dict[str, Any], expressions: dict[str, Slots],
            formulas: dict[str, list[Slots]]) -> Iterator[str]:
    values, grads = number_texts(trace.values), number_texts(trace.grads)
    yield json.dumps(head)[:-1] + ', "nodes": ['
    yield from _joined(_node_pieces(trace, expressions, values, grads))
    yield '], "edges": ['
    yield from _joined(_edge_pieces(trace, formulas, values, grads))
    warnings = json.dumps([trace.warning(note) for note in trace.notes])
    yield f'], "warnings": {warnings}, "exact": false}}\n'


def _joined(pieces: Iterator[str]) -> Iterator[str]:
    """Records separated by ", " across pieces."""
    first = True
    for piece in pieces:
        if not piece:
            continue
        yield piece if first else ", " + piece
        first = False


def all_floats(values: Iterable[Any]) -> bool:
    return set(map(type, values)) <= {float}


def number_texts(values: list[float]) -> list[str]:
    """Doubles as JSON writes them (``float.__repr__``); non-finite ones as strings. When
    most values repeat (gradients that underflowed, say), each distinct one is written once."""
    if len(set(values)) * 4 < len(values):
        return list(map(_Numbers(len(values)).text, values))
    texts = list(map(float.__repr__, values))
    if not all(map(isfinite, values)):
        texts = [text if isfinite(value) else f'"{text}"'
                 for text, value in zip(texts, values, strict=True)]
    return texts


class _Numbers:
    """Doubles written one at a time, the last few thousand distinct ones remembered (a
    gradient that has underflowed, say, repeats down a whole chain). Zeros are never
    remembered: 0.0 and -0.0 are equal as keys but not as text."""

    def __init__(self, size: int = 8192) -> None:
        self.memo: dict[float, str] = {}
        self.size = size

    def text(self, value: float) -> str:
        text = self.memo.get(value)
        if text is None:
            text = float.__repr__(value)
            if text[-1] > "9":  # inf, -inf and nan end in a letter
                text = f'"{text}"'
            if value:
                if len(self.memo) >= self.size:
                    self.memo.clear()
                self.memo[value] = text
        return text


def _operand_names(names: list[str]) -> list[str]:
    """Names as operands in a formula: negative literals in parentheses."""
    return [f"({name})" if name[0] == "-" else name for name in names]


def _filled(slots: Slots, operands: list[str], sources: tuple[int, ...], node: int) -> str:
    """The text with each slot filled by its operand's name (any number of slots)."""
    pieces, refs = slots
    parts = [pieces[0]]
    for ref, piece in zip(refs, pieces[1:], strict=True):
        parts += [operands[sources[ref] if ref >= 0 else node], piece]
    return "".join(parts)


def _node_pieces(trace: Trace, expressions: dict[str, Slots], values: list[str],
                 grads: list[str]) -> Iterator[str]:
    graph = trace.graph
    names, gates, args, lines, columns = (graph.names, graph.gates, graph.args, graph.lines,
                                          graph.columns)
    operands = _operand_names(names)
    for start in range(0, len(gates), CHUNK):
        records: list[str] = []
        add = records.append
        for node in range(start, min(start + CHUNK, len(gates))):
            gate = gates[node]
            if gate == CONST:
                continue
            name, line, column, value, grad = (names[node], lines[node], columns[node],
                                               values[node], grads[node])
            if gate == INPUT:
                add(f'{{"name": "{name}", "gate": "input", "inputs": [], "expression": '
                    f'"{name}", "line": {line}, "column": {column}, "value": {value}, '
                    f'"grad": {grad}}}')
                continue
            sources = args[node]
            slots = expressions[gate]
            pieces, refs = slots
            if len(sources) == 1 and len(refs) == 1:
                a = sources[0]
                add(f'{{"name": "{name}", "gate": "{gate}", "inputs": ["{names[a]}"], '
                    f'"expression": "{pieces[0]}{operands[a]}{pieces[1]}", "line": {line}, '
                    f'"column": {column}, "value": {value}, "grad": {grad}}}')
            elif len(sources) == 2 and refs == (0, 1):
                a, b = sources
                add(f'{{"name": "{name}", "gate": "{gate}", "inputs": ["{names[a]}", '
                    f'"{names[b]}"], "expression": "{pieces[0]}{operands[a]}{pieces[1]}'
                    f'{operands[b]}{pieces[2]}", "line": {line}, "column": {column}, '
                    f'"value": {value}, "grad": {grad}}}')
            else:
                inputs = ", ".join([f'"{names[a]}"' for a in sources])
                text = _filled(slots, operands, sources, node)
                add(f'{{"name": "{name}", "gate": "{gate}", "inputs": [{inputs}], '
                    f'"expression": "{text}", "line": {line}, "column": {column}, '
                    f'"value": {value}, "grad": {grad}}}')
        yield ", ".join(records)


def _edge_pieces(trace: Trace, formulas: dict[str, list[Slots]], value_texts: list[str],
                 grad_texts: list[str]) -> Iterator[str]:
    """Edge records. The upstream is the node's gradient, already written; a local gradient
    that is an operand's value (``b`` for ``a * b``) is written as that value was; with a
    local of 1 the downstream is the upstream. Other numbers are written afresh."""
    graph = trace.graph
    names, gates, args = graph.names, graph.gates, graph.args
    operands = _operand_names(names)
    values = trace.values
    text_of = _Numbers().text
    count = trace.edge_count()
    constant = [gate == CONST for gate in gates]
    for start in range(0, count, CHUNK):
        stop = min(start + CHUNK, count)
        records: list[str] = []
        add = records.append
        for node, position, local, downstream in zip(
                trace.edge_nodes[start:stop], trace.edge_positions[start:stop],
                trace.edge_locals[start:stop], trace.edge_downstreams[start:stop],
                strict=True):
            sources = args[node]
            slots = formulas[gates[node]][position]
            pieces, refs = slots
            upstream = grad_texts[node]
            if local == 1.0:
                local_text, downstream_text = "1.0", upstream  # upstream * 1 is upstream
            else:
                local_text, downstream_text = "", text_of(downstream)
            if not refs:
                formula = pieces[0]
            elif any(constant[a] for a in sources):  # numbers fold: x ** 2 gives 2*x
                formula = json.dumps(local_formula(graph, node, position))[1:-1]
            elif len(refs) == 1:
                ref = refs[0]
                operand = sources[ref] if ref >= 0 else node
                formula = f"{pieces[0]}{operands[operand]}{pieces[1]}"
                if not local_text and local == values[operand] and local:
                    local_text = value_texts[operand]
            else:
                formula = _filled(slots, operands, sources, node)
            add(f'{{"node": "{names[node]}", "input": "{names[sources[position]]}", '
                f'"position": {position}, "upstream": {upstream}, "local_formula": '
                f'"{formula}", "local": {local_text or text_of(local)}, '
                f'"downstream": {downstream_text}}}')
        yield ", ".join(records)


def _escaped(text: str) -> str | None:
    """Literal text as it stands in a JSON string; None if JSON would escape it."""
    return None if _UNSAFE.search(text) else text


def _expression_slots(graph: Graph, gate: str) -> Slots | None:
    """The gate's pattern (``{a} * {b}``) split at its parameters."""
    if gate not in GATES and gate not in graph.user_gates:
        return None  # an array gate
    spec = graph.spec(gate)
    pieces = [""]
    refs: list[int] = []
    for literal, field, format_spec, conversion in Formatter().parse(spec.pattern):
        escaped = _escaped(literal)
        if escaped is None or format_spec or conversion:
            return None
        pieces[-1] += escaped
        if field is not None:
            if field not in spec.params:
                return None
            refs.append(spec.params.index(field))
            pieces.append("")
    return tuple(pieces), tuple(refs)


def _formula_slots(graph: Graph, gate: str) -> list[Slots] | None:
    """Each local-gradient formula of the gate split at its parameters (and ``out``)."""
    spec = graph.spec(gate)
    slots: list[Slots] = []
    for position in range(spec.arity):
        pieces: list[str] = []
        refs: list[int] = []
        for literal, param in formula_pieces(spec.params, spec.partial_formulas[position]):
            escaped = _escaped(literal)
            if escaped is None:
                return None
            pieces.append(escaped)
            if param is not None:
                refs.append(-1 if param == "out" else spec.params.index(param))
        slots.append((tuple(pieces), tuple(refs)))
    return slots
