"""Write ``_tapeloops.py``: the scalar engine's two inner loops over a compiled tape.

One branch per built-in gate, tested in order of how common the gate is, each printed from
the same sympy expressions as ``_gatetable.py`` (the same printer, the operands renamed in the
printed text, so every value is computed by the same operations in the same order). Run
``python -m backprop_cli.engine.tapegen`` after changing ``gates.py`` or ``kinks.py``; a test
regenerates the file and fails on any difference. Built only from the gate definitions,
never from user text.

Backward accumulates ``g[source] += upstream * local`` exactly as the reference engine does;
a local gradient of 1 or -1 is written ``g[source] += upstream`` (or ``-=``), which is the
same double. For add, sub, mul, max and min (whose local gradients cannot fail) both edges
are always computed and the tape sends the gradient of an operand that needs none into that
operand's slot, which the engine clears afterwards; div and pow have a branch per operand
that needs a gradient, so a gradient that is not needed (log(a) in d(a**b)/db for a**2) is
never computed. At a kink the convention of ``kinks.py`` is used and the node is recorded.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from ..gates.generate import GENERATED_DOCSTRING, MATH_HEADER, MathPrinter
from ..gates.symbolic import GATES_BY_NAME, GateDef
from ..gates.table import GATES

PATH = Path(__file__).with_name("_tapeloops.py")
# most common first: each branch costs a comparison for every gate tested after it
# (the tape has two operand slots: a gate of three operands, clip, runs on the reference loop)
ORDER = tuple(row.name for row in sorted(GATES, key=lambda row: row.tape_order)
              if len(row.params) <= 2)
SAFE = frozenset(row.name for row in GATES if row.safe)  # local gradients that cannot fail
# where a gate's kink convention may apply (kinks.py then decides, and gives the locals)
KINK_TESTS = {row.name: row.kink_test for row in GATES if row.kink_test is not None}
OPERANDS = {"a": "x", "b": "y", "out": "o"}  # parameter -> the tape's index variable

HEADER = GENERATED_DOCSTRING.replace("backprop_cli.gates.generate", "backprop_cli.engine.tapegen") \
    + MATH_HEADER[len(GENERATED_DOCSTRING):].replace("from .", "from ..gates.") \
    + "from ..gates.kinks import kink_locals\n"


def _code(printer: MathPrinter, expression: object) -> str:
    """A formula as code over the value list: ``a`` -> ``v[x]``, ``b`` -> ``v[y]``, ``out``
    -> ``v[o]`` (renamed in the printed text, so the operations are the table's)."""
    text = printer.doprint(expression)
    return re.sub(r"\b(a|b|out)\b", lambda m: f"v[{OPERANDS[m.group(1)]}]", text)


def _accumulate(target: str, local: str) -> str:
    if local == "1.0":
        return f"g[{target}] += go"
    if local == "-1.0":
        return f"g[{target}] -= go"
    return f"g[{target}] += go*({local})"


def _codes() -> tuple[dict[str, int], dict[str, tuple[int, int, int]]]:
    """Forward code per gate; backward codes per gate: (both operands, only a, only b)."""
    forward = {name: code for code, name in enumerate(ORDER)}
    backward: dict[str, tuple[int, int, int]] = {}
    code = 0
    for name in ORDER:
        if GATES_BY_NAME[name].arity == 2 and name not in SAFE:
            backward[name] = (code, code + 1, code + 2)
            code += 3
        else:
            backward[name] = (code, code, code)
            code += 1
    return forward, backward


def _forward_loop(printer: MathPrinter, forward: dict[str, int]) -> list[str]:
    lines = ["def forward(v: list[float], code: list[int], out: list[int], xa: list[int],",
             "            xb: list[int]) -> None:",
             '    """Each instruction\'s value, in order."""',
             "    for op, o, x, y in zip(code, out, xa, xb):"]
    for index, name in enumerate(ORDER):
        keyword = "if" if index == 0 else "elif"
        lines += [f"        {keyword} op == {forward[name]}:  # {name}",
                  f"            v[o] = {_code(printer, GATES_BY_NAME[name].numeric_expr())}"]
    return lines


def _edges(printer: MathPrinter, gate: GateDef, positions: tuple[int, ...],
           indent: str) -> list[str]:
    partials = gate.numeric_partials()
    targets = ("x", "y")
    if gate.name not in KINK_TESTS:
        return [indent + _accumulate(targets[k], _code(printer, partials[k])) for k in positions]
    params = ", ".join(f"v[{t}]" for t in targets[:gate.arity])
    test = re.sub(r"\b(a|b)\b", lambda m: f"v[{OPERANDS[m.group(1)]}]", KINK_TESTS[gate.name])
    lines = [f"{indent}if {test} and (special := kink_locals({gate.name!r}, ({params},), "
             "0.5, math.inf)) is not None:", f"{indent}    kinks.append(o)"]
    lines += [f"{indent}    g[{targets[k]}] += go*special[{k}]" for k in positions]
    lines.append(f"{indent}else:")
    lines += [f"{indent}    " + _accumulate(targets[k], _code(printer, partials[k]))
              for k in positions]
    return lines


def _branches(printer: MathPrinter, backward: dict[str, tuple[int, int, int]],
              body: Callable[[MathPrinter, GateDef, tuple[int, ...], str], list[str]],
              ) -> list[str]:
    """The if/elif over backward op codes (a code per operand variant of div and pow), each
    branch's lines written by ``body``."""
    lines: list[str] = []
    for name in ORDER:
        gate = GATES_BY_NAME[name]
        both, only_a, only_b = backward[name]
        variants = [(both, tuple(range(gate.arity)), "")]
        if only_a != both:
            variants += [(only_a, (0,), ", only a"), (only_b, (1,), ", only b")]
        for code, positions, note in variants:
            keyword = "elif" if lines else "if"
            lines.append(f"        {keyword} op == {code}:  # {name}{note}")
            lines += body(printer, gate, positions, " " * 12)
    return lines


def _backward_loop(printer: MathPrinter, backward: dict[str, tuple[int, int, int]]) -> list[str]:
    return ["def backward(v: list[float], g: list[float], code: list[int], out: list[int],",
            "             xa: list[int], xb: list[int], kinks: list[int]) -> None:",
            '    """Gradients, instruction by instruction (the tape is in backward order); the',
            '    nodes where a kink convention was used are appended to ``kinks``."""',
            "    for op, o, x, y in zip(code, out, xa, xb):",
            "        go = g[o]",
            *_branches(printer, backward, _edges)]


def _recorded(printer: MathPrinter, gate: GateDef, positions: tuple[int, ...],
              indent: str) -> list[str]:
    """Each edge of the node, recorded: the local gradient as the gate table computes it
    (or the kink convention), and upstream × local."""
    partials = gate.numeric_partials()
    targets = ("x", "y")

    def record(k: int, local: str, at: str) -> list[str]:
        return [f"{at}if r[{targets[k]}]:", f"{at}    local = {local}",
                f"{at}    add((o, {k}, local, go*local))"]

    if gate.name not in KINK_TESTS:
        return [line for k in positions
                for line in record(k, _code(printer, partials[k]), indent)]
    params = ", ".join(f"v[{t}]" for t in targets[:gate.arity])
    test = re.sub(r"\b(a|b)\b", lambda m: f"v[{OPERANDS[m.group(1)]}]", KINK_TESTS[gate.name])
    inner = indent + "    "
    return [f"{indent}if {test} and (special := kink_locals({gate.name!r}, ({params},), "
            "0.5, math.inf)) is not None:",
            *(line for k in positions for line in record(k, f"special[{k}]", inner)),
            f"{indent}else:",
            *(line for k in positions for line in record(k, _code(printer, partials[k]), inner))]


def _edges_loop(printer: MathPrinter, backward: dict[str, tuple[int, int, int]]) -> list[str]:
    return ["def edges(v: list[float], g: list[float], r: list[bool], code: list[int],",
            "          out: list[int], xa: list[int], xb: list[int], add) -> None:",
            '    """Each edge of the backward tape as (node, position, local, downstream), in',
            "    the reference loop's order; ``r``: which nodes take a gradient.\"\"\"",
            "    for op, o, x, y in zip(code, out, xa, xb):",
            "        go = g[o]",
            *_branches(printer, backward, _recorded)]


def generate() -> str:
    """The full text of ``_tapeloops.py``."""
    printer = MathPrinter({"fully_qualified_modules": True})
    forward, backward = _codes()
    body = [f"FORWARD_CODES = {forward!r}",
            "# gate -> backward codes: (both operands need a gradient, only a, only b)",
            f"BACKWARD_CODES = {backward!r}", "", "",
            *_forward_loop(printer, forward), "", "",
            *_backward_loop(printer, backward), "", "",
            *_edges_loop(printer, backward)]
    return HEADER + "\n\n" + "\n".join(body) + "\n"


def main() -> int:
    PATH.write_text(generate(), encoding="utf-8")
    print(f"wrote {PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
