"""The circuit language at library level: tokens, the iterative parser, the graph it builds,
and every refusal with the exact position (line, column) of the offending token."""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from backprop_cli import compile_program, run
from backprop_cli.engine.reference import check_inputs
from backprop_cli.errors import (
    BackpropError,
    DomainError,
    GraphError,
    InputError,
    ParseError,
    Span,
)
from backprop_cli.graph.builder import build
from backprop_cli.graph.graph import CONST, INPUT
from backprop_cli.inputs.values import parse_assignments
from backprop_cli.language.parser import parse
from backprop_cli.language.tokens import tokenize

# --------------------------------------------------------------------------- helpers


def rpn(text: str) -> list[tuple[str, str]]:
    """The postfix items of a one-statement program, as (kind, text) pairs."""
    (statement,) = parse(text).statements
    return [(item.kind, item.text if item.kind != "call" else f"{item.text}/{item.argc}")
            for item in statement.rpn]


def gates(text: str) -> list[str]:
    """The gates of the compiled program, in forward order (no inputs or constants)."""
    return [gate for gate in compile_program(text).gates if gate not in (INPUT, CONST)]


def value(text: str, **inputs: float) -> float:
    result: float = run(text, inputs).value
    return result


def refused(text: str) -> BackpropError:
    """The error that parsing and building ``text`` raises (it must raise one)."""
    with pytest.raises((ParseError, GraphError)) as caught:
        build(parse(text))
    error = caught.value
    assert isinstance(error, ParseError | GraphError)
    assert error.span is not None, "every syntax error must carry a Span"
    return error


@contextmanager
def shallow_stack(headroom: int = 120) -> Iterator[None]:
    """Lower the recursion limit to just above the current depth: recursion would fail."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + headroom)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


# --------------------------------------------------------------------------- tokens


@pytest.mark.parametrize("number", ["3", "0.5", "1e-3", ".5", "1.", "2.5E+3", "10e2", "007"])
def test_number_forms_are_one_token(number: str) -> None:
    tokens = tokenize(number)
    assert [(t.kind, t.text) for t in tokens] == [("num", number), ("end", "")]


@pytest.mark.parametrize(("number", "expected"), [
    ("3", 3.0), ("0.5", 0.5), ("1e-3", 0.001), (".5", 0.5), ("1.", 1.0), ("2.5E+3", 2500.0),
])
def test_number_forms_have_their_value(number: str, expected: float) -> None:
    assert value(number) == expected


def test_token_positions_are_one_based_lines_and_columns() -> None:
    tokens = tokenize("a = 1.5e-3 + .5\n# c\nb = (a ** 2) ^ 3; c += 1")
    seen = [(t.kind, t.text, t.line, t.column) for t in tokens]
    assert seen == [
        ("name", "a", 1, 1), ("op", "=", 1, 3), ("num", "1.5e-3", 1, 5), ("op", "+", 1, 12),
        ("num", ".5", 1, 14), ("newline", "\n", 1, 16), ("newline", "\n", 2, 4),
        ("name", "b", 3, 1), ("op", "=", 3, 3), ("op", "(", 3, 5), ("name", "a", 3, 6),
        ("op", "**", 3, 8), ("num", "2", 3, 11), ("op", ")", 3, 12), ("op", "^", 3, 14),
        ("num", "3", 3, 16), ("op", ";", 3, 17), ("name", "c", 3, 19), ("op", "+=", 3, 21),
        ("num", "1", 3, 24), ("end", "", 3, 25),
    ]


def test_comments_and_whitespace_make_no_tokens() -> None:
    assert [t.kind for t in tokenize("  x\t# a comment (with [brackets] and 'quotes')\r")] \
        == ["name", "end"]


@pytest.mark.parametrize("name", ["x", "_x", "x__y", "x_", "w0", "CamelCase", "match", "case",
                                  "type", "a" * 64])
def test_plain_names_are_accepted(name: str) -> None:
    assert compile_program(name).inputs == {name: 0}


# --------------------------------------------------------------------------- precedence


@pytest.mark.parametrize(("text", "expected"), [
    ("2^3", 8), ("3 ^ 5", 243), ("2^3^2", 512), ("2**3**2", 512), ("(2**3)**2", 64),
    ("2**-1", 0.5), ("2^-1", 0.5), ("2**-2**2", 0.0625), ("-2**2", -4), ("-2^2", -4),
    ("(-2)**2", 4), ("-(2)**2", -4), ("1-2-3", -4), ("8/4/2", 1), ("2+3*4", 14),
    ("(2+3)*4", 20), ("2*3**2", 18), ("-3*2", -6), ("--3", 3), ("-(-3)", 3), ("+3", 3),
    ("2*-3", -6), ("2 - -3", 5), ("10/4", 2.5), ("1 - 2 + 3", 2), ("12 / 3 * 2", 8),
    ("pow(2, 10)", 1024), ("2 ** 0.5 ** 2", 2 ** 0.25),
])
def test_operators_follow_python_precedence(text: str, expected: float) -> None:
    assert value(text) == pytest.approx(expected, rel=1e-15)


def test_caret_is_power_never_xor() -> None:
    assert value("2^3") == 8 != 2 ^ 3
    assert value("x^2", x=3) == 9
    assert gates("x ^ y") == ["pow"]


@pytest.mark.parametrize(("text", "x", "expected"), [
    ("-x**2", 3, -9), ("-x^2", 3, -9), ("(-x)**2", 3, 9), ("2**-x", 1, 0.5),
    ("-x*2", 3, -6), ("x**-1", 4, 0.25), ("- x ** 2 + 1", 2, -3),
])
def test_unary_minus_binds_looser_than_power(text: str, x: float, expected: float) -> None:
    assert value(text, x=x) == expected


@pytest.mark.parametrize(("text", "postfix"), [
    ("-x**2", [("name", "x"), ("num", "2"), ("binary", "**"), ("unary", "-")]),
    ("2**-1", [("num", "2"), ("num", "1"), ("unary", "-"), ("binary", "**")]),
    ("2**3**2", [("num", "2"), ("num", "3"), ("num", "2"), ("binary", "**"),
                 ("binary", "**")]),
    ("2^3^2", [("num", "2"), ("num", "3"), ("num", "2"), ("binary", "^"), ("binary", "^")]),
    ("1-2-3", [("num", "1"), ("num", "2"), ("binary", "-"), ("num", "3"), ("binary", "-")]),
    ("a*b+c", [("name", "a"), ("name", "b"), ("binary", "*"), ("name", "c"),
               ("binary", "+")]),
    ("a+b*c", [("name", "a"), ("name", "b"), ("name", "c"), ("binary", "*"),
               ("binary", "+")]),
    ("-a*b", [("name", "a"), ("unary", "-"), ("name", "b"), ("binary", "*")]),
    ("max(a, b+c)", [("name", "a"), ("name", "b"), ("name", "c"), ("binary", "+"),
                     ("call", "max/2")]),
    ("exp(-s)", [("name", "s"), ("unary", "-"), ("call", "exp/1")]),
    ("max(exp(a), min(b, c))", [("name", "a"), ("call", "exp/1"), ("name", "b"),
                                ("name", "c"), ("call", "min/2"), ("call", "max/2")]),
    ("+x", [("name", "x")]),
    ("exp()", [("call", "exp/0")]),
])
def test_postfix_order(text: str, postfix: list[tuple[str, str]]) -> None:
    assert rpn(text) == postfix


def test_parsing_never_evaluates() -> None:
    program = parse("y = log(0) + 1/0 + exp(1000)")
    assert [item.kind for item in program.statements[0].rpn].count("call") == 2


# --------------------------------------------------------------------------- gates and constants


@pytest.mark.parametrize(("text", "expected"), [
    ("exp(0)", 1.0), ("log(e)", 1.0), ("sqrt(16)", 4.0), ("sin(0)", 0.0), ("cos(0)", 1.0),
    ("tan(0)", 0.0), ("tanh(0)", 0.0), ("sigmoid(0)", 0.5), ("relu(-1)", 0.0),
    ("relu(2)", 2.0), ("max(1, 2)", 2.0), ("min(1, 2)", 1.0), ("abs(-3)", 3.0),
    ("pow(3, 2)", 9.0), ("pi", math.pi), ("e", math.e), ("2*pi", 2 * math.pi),
    ("cos(pi)", -1.0), ("e**2", math.e**2), ("-pi/4", -math.pi / 4),
])
def test_every_gate_and_constant(text: str, expected: float) -> None:
    assert value(text) == pytest.approx(expected, rel=1e-15, abs=1e-15)


@pytest.mark.parametrize("gate", ["exp", "log", "sqrt", "sin", "cos", "tan", "tanh",
                                  "sigmoid", "relu", "abs"])
def test_unary_gates_make_one_node_of_their_name(gate: str) -> None:
    assert gates(f"{gate}(x)") == [gate]


@pytest.mark.parametrize("gate", ["max", "min", "pow"])
def test_binary_gates_make_one_node_of_their_name(gate: str) -> None:
    graph = compile_program(f"{gate}(x, y)")
    assert [g for g in graph.gates if g not in (INPUT, CONST)] == [gate]
    assert graph.args[graph.output] == (graph.inputs["x"], graph.inputs["y"])


def test_constants_are_not_inputs() -> None:
    graph = compile_program("pi * x + e")
    assert list(graph.inputs) == ["x"]
    assert run("pi * x + e", {"x": 1}).gradients == {"x": pytest.approx(math.pi)}


# --------------------------------------------------------------------------- graph shape


@pytest.mark.parametrize(("text", "expected"), [
    ("x - y", ["sub"]),
    ("x + y", ["add"]),
    ("x * y", ["mul"]),
    ("x / y", ["div"]),
    ("x ** y", ["pow"]),
    ("x ^ y", ["pow"]),
    ("-x", ["neg"]),
    ("x - -y", ["neg", "sub"]),
    ("1/(1+exp(-s))", ["neg", "exp", "add", "div"]),
    ("1/(1+exp(-(w0*x0+w1*x1+w2)))", ["mul", "mul", "add", "add", "neg", "exp", "add", "div"]),
    ("sigmoid(w*x)", ["mul", "sigmoid"]),
    ("-3", []),
    ("x * -3", ["mul"]),
    ("-x**2", ["pow", "neg"]),
])
def test_the_graph_follows_the_text(text: str, expected: list[str]) -> None:
    assert gates(text) == expected


def test_subtraction_is_one_sub_gate_with_both_operands() -> None:
    graph = compile_program("x - y")
    assert graph.gates == [INPUT, INPUT, "sub"]
    assert graph.args[2] == (0, 1)
    trace = run("x - y", {"x": 5, "y": 2})
    assert trace.value == 3 and trace.gradients == {"x": 1, "y": -1}


def test_sigmoid_chain_is_neg_exp_add_div() -> None:
    graph = compile_program("1/(1+exp(-s))")
    order = [i for i, g in enumerate(graph.gates) if g not in (INPUT, CONST)]
    neg, exp, add, div = order
    assert [graph.gates[i] for i in order] == ["neg", "exp", "add", "div"]
    assert graph.args[neg] == (graph.inputs["s"],)
    assert graph.args[exp] == (neg,)
    assert graph.args[add][1] == exp and graph.gates[graph.args[add][0]] == CONST
    assert graph.args[div][1] == add and graph.gates[graph.args[div][0]] == CONST
    assert graph.output == div


def test_negative_literal_is_a_constant_not_a_gate() -> None:
    graph = compile_program("x * -3")
    const = next(i for i, g in enumerate(graph.gates) if g == CONST)
    assert graph.literals[const] == "-3"


def test_a_name_used_twice_is_one_node_with_two_edges() -> None:
    graph = compile_program("x * x")
    assert graph.gates == [INPUT, "mul"]
    assert graph.args[1] == (0, 0)
    trace = run("x * x", {"x": 3})
    assert trace.gradients == {"x": 6}
    assert [edge.source for edge in trace.edges()] == [0, 0]


def test_an_intermediate_used_twice_sums_its_gradient() -> None:
    trace = run("a = x * 2\nb = a + a", {"x": 3})
    graph = trace.graph
    a = graph.node_named("a")
    assert graph.gates.count("mul") == 1 and graph.args[graph.node_named("b")] == (a, a)
    assert [edge.source for edge in trace.edges() if edge.node == graph.output] == [a, a]
    assert trace.grad("a") == 2
    assert trace.gradients == {"x": 4}


def test_copy_gate_through_separate_statements() -> None:
    trace = run("q = x + y\nf = q * q + q", {"x": 1, "y": 2})
    assert trace.value == 12
    assert trace.grad("q") == 7  # 2q + 1
    assert trace.gradients == {"x": 7, "y": 7}


# --------------------------------------------------------------------------- programs


def test_assignments_one_per_line() -> None:
    trace = run("q = x + y\nf = q * z", {"x": -2, "y": 5, "z": -4})
    assert trace.value == -12 and trace.node_value("q") == 3
    assert trace.gradients == {"x": -4, "y": -4, "z": 3}


@pytest.mark.parametrize("text", [
    "q = x + y; f = q * z",
    "q = x + y;f = q * z;",
    "q = x + y\n\nf = q * z\n",
    "# the simple circuit\nq = x + y  # the sum\n\n# product\nf = q * z  # output\n",
    "q = x + y;\n;\nf = q * z",
    "q = x + y\r\nf = q * z\r\n",
    "\tq = x + y\n  f = q * z",
])
def test_separators_comments_and_blank_lines(text: str) -> None:
    graph = compile_program(text)
    assert [len(s.rpn) for s in parse(text).statements] == [3, 3]
    assert graph.names[graph.output] == "f"
    assert run(text, {"x": -2, "y": 5, "z": -4}).value == -12


@pytest.mark.parametrize("text", [
    "f = (x +\n y)",
    "f = (x\n+ y)",
    "f = max(x,\n        y) + x",
    "f = (x +  # comment inside parentheses\n\n y)",
    "f = ((\nx\n)\n+\n(\ny\n))",
    "f = max(\n  x,\n  y\n) + x",
    "f = exp(\n0) * (x + y)",
])
def test_newlines_inside_parentheses_continue_the_line(text: str) -> None:
    assert len(parse(text).statements) == 1
    assert run(text, {"x": 1, "y": 2}).value == 3


def test_newline_outside_parentheses_ends_the_statement() -> None:
    program = parse("a = x\nb = a + 1")
    assert [s.target for s in program.statements] == ["a", "b"]


@pytest.mark.parametrize(("text", "gate"), [
    ("c = x\nc += 2", "add"), ("c = x\nc -= 2", "sub"), ("c = x\nc *= 2", "mul"),
    ("c = x\nc /= 2", "div"),
])
def test_augmented_assignment(text: str, gate: str) -> None:
    graph = compile_program(text)
    out = graph.output
    assert graph.gates[out] == gate
    left, right = graph.args[out]
    assert left == graph.inputs["x"] and graph.literals[right] == "2"
    expected = {"add": 7, "sub": 3, "mul": 10, "div": 2.5}[gate]
    assert run(text, {"x": 5}).value == expected


def test_reassignment_makes_new_nodes_named_c_c2_c3() -> None:
    text = "c = x + 1\nc = c * 2\nc = c - 3"
    graph = compile_program(text)
    c1, c2, c3 = (graph.names.index(n) for n in ("c", "c_2", "c_3"))
    assert (graph.gates[c1], graph.gates[c2], graph.gates[c3]) == ("add", "mul", "sub")
    assert graph.args[c2][0] == c1 and graph.args[c3][0] == c2
    assert graph.output == c3
    trace = run(text, {"x": 4})
    assert trace.value == 7 and trace.gradients == {"x": 2}


def test_augmented_reassignment_names() -> None:
    graph = compile_program("c = x + 1; c += 2; c *= 3; c -= 4; c /= 5")
    named = [n for n in graph.names if n.startswith("c")]
    assert named == ["c", "c_2", "c_3", "c_4", "c_5"]
    assert [graph.gates[graph.names.index(n)] for n in named] == \
        ["add", "add", "mul", "sub", "div"]
    # ((((1 + 1) + 2) * 3) - 4) / 5
    assert run("c = x + 1; c += 2; c *= 3; c -= 4; c /= 5", {"x": 1}).value == 1.6


def test_generated_names_avoid_user_names() -> None:
    graph = compile_program("c_2 = x * 3\nc = x + 1\nc = c * 2")
    gate_names = [graph.names[i] for i, g in enumerate(graph.gates) if g not in (INPUT, CONST)]
    assert len(set(gate_names)) == len(gate_names) == 3
    assert graph.names.count("c_2") == 1
    assert graph.args[graph.node_named("c_2")][0] == graph.inputs["x"]
    assert graph.names[graph.output] not in ("c", "c_2")


def test_output_is_the_last_assignment() -> None:
    graph = compile_program("a = x * 2\nb = a + 1\nc = a - 1")
    assert graph.names[graph.output] == "c"


def test_a_final_bare_expression_is_the_output() -> None:
    graph = compile_program("a = x * 2\na + 1")
    assert graph.gates[graph.output] == "add"
    assert graph.names[graph.output] == "f"


def test_output_option_chooses_another_node() -> None:
    graph = compile_program("a = x * 2\nb = a + 1", output="a")
    assert graph.names[graph.output] == "a"
    trace = run("a = x * y\nb = a + y", {"x": 2, "y": 3}, output="a")
    assert trace.value == 6 and trace.gradients == {"x": 3, "y": 2}


def test_unknown_output_names_it() -> None:
    with pytest.raises(GraphError, match="'nope'"):
        compile_program("a = x * 2", output="nope")


# --------------------------------------------------------------------------- refusals


# (program, error class, line, column, width, fragment of the message)
REFUSED = [
    # attribute access, subscripts
    ("x.y", ParseError, 1, 2, 1, "attribute access"),
    ("a = 1\nb = a.real", ParseError, 2, 6, 1, "attribute"),
    ("x.__class__", ParseError, 1, 2, 1, "attribute"),
    ("x[y:1]", ParseError, 1, 4, 1, "subscript"),
    ("exp(x)[x:1]", ParseError, 1, 9, 1, "subscript"),
    ("[x for x in y]", ParseError, 1, 4, 3, "'for'"),
    ("{x}", ParseError, 1, 1, 1, "brace"),
    # lambdas and comprehensions
    ("lambda: 1", ParseError, 1, 1, 6, "lambda"),
    ("f = lambda x: x", ParseError, 1, 5, 6, "lambda"),
    ("max(lambda: 1, 2)", ParseError, 1, 5, 6, "lambda"),
    ("sum(x for x in y)", ParseError, 1, 7, 3, "'for'"),
    # strings
    ('"a"', ParseError, 1, 1, 1, "string"),
    ("'a'", ParseError, 1, 1, 1, "string"),
    ('x = 1 + "2"', ParseError, 1, 9, 1, "string"),
    ('"""doc"""', ParseError, 1, 1, 1, "string"),
    ("f'{x}'", ParseError, 1, 2, 1, "string"),
    ('f"{x}"', ParseError, 1, 2, 1, "string"),
    ("b'x'", ParseError, 1, 2, 1, "string"),
    # keyword arguments
    ("max(a=1, b=2)", GraphError, 1, 5, 1, "no keyword arguments"),
    ("max(1, b=2)", GraphError, 1, 8, 1, "no keyword arguments"),
    ("exp(x=1)", GraphError, 1, 5, 1, "no keyword arguments"),
    ("y = 2 * max(x, (b=2))", ParseError, 1, 18, 1, "keyword argument"),
    # walrus
    ("(y := 2)", ParseError, 1, 4, 2, ":="),
    ("y := 2", ParseError, 1, 3, 2, ":="),
    ("max((a := 1), 2)", ParseError, 1, 8, 2, ":="),
    # starred arguments
    ("max(*a)", ParseError, 1, 5, 1, "expected a value"),
    ("max(**a)", ParseError, 1, 5, 2, "expected a value"),
    ("max(1, *a)", ParseError, 1, 8, 1, "expected a value"),
    # statements and other keywords
    ("import os", ParseError, 1, 1, 6, "'import'"),
    ("from os import path", ParseError, 1, 1, 4, "'from'"),
    ("class A", ParseError, 1, 1, 5, "'class'"),
    ("for x in y", ParseError, 1, 1, 3, "'for'"),
    ("while x", ParseError, 1, 1, 5, "'while'"),
    ("with x", ParseError, 1, 1, 4, "'with'"),
    ("def f", ParseError, 1, 6, 1, "expected '(' in def NAME(PARAMS): EXPRESSION"),  # issue 3
    ("x = 1; def", ParseError, 1, 11, 1, "expected the gate's name after 'def'"),
    ("y = def", ParseError, 1, 5, 3, "'def' must start a statement"),
    ("x = 1\nimport os", ParseError, 2, 1, 6, "'import'"),
    ("x = 1; del x", ParseError, 1, 8, 3, "'del'"),
    ("x if y else z", ParseError, 1, 3, 2, "'if'"),
    ("not x", ParseError, 1, 1, 3, "'not'"),
    ("x and y", ParseError, 1, 3, 3, "'and'"),
    ("True", ParseError, 1, 1, 4, "True is only a keyword argument's value"),
    ("y = None", ParseError, 1, 5, 4, "'None'"),
    ("return x", ParseError, 1, 1, 6, "'return'"),
    # dunder names
    ("__import__", ParseError, 1, 1, 10, "'__import__'"),
    ("__import__('os')", ParseError, 1, 1, 10, "__"),
    ("y = __builtins__", ParseError, 1, 5, 12, "__"),
    ("__x = 1", ParseError, 1, 1, 3, "__"),
    ("y = exp(__x__)", ParseError, 1, 9, 5, "__"),
    # unknown gates
    ("foo(1)", GraphError, 1, 1, 3, "unknown gate 'foo'"),
    ("print(x)", GraphError, 1, 1, 5, "unknown gate 'print'"),
    ("eval(x)", GraphError, 1, 1, 4, "unknown gate 'eval'"),
    ("y = 2 * open(x)", GraphError, 1, 9, 4, "unknown gate 'open'"),
    ("y = 2\ny(3)", GraphError, 2, 1, 1, "unknown gate 'y'"),
    ("e(1)", GraphError, 1, 1, 1, "unknown gate 'e'"),
    # wrong arity
    ("max(1, 2, 3)", GraphError, 1, 1, 3, "max()"),
    ("max()", GraphError, 1, 1, 3, "got 0"),
    ("min(1, 2, 3)", GraphError, 1, 1, 3, "min() takes 2 arguments, got 3"),
    ("exp(1, 2)", GraphError, 1, 1, 3, "exp() takes 1 argument, got 2"),
    ("exp()", GraphError, 1, 1, 3, "got 0"),
    ("relu()", GraphError, 1, 1, 4, "got 0"),
    ("pow(2)", GraphError, 1, 1, 3, "got 1"),
    ("a = 1;\nb = 2 + sigmoid(a, 2)", GraphError, 2, 9, 7, "sigmoid() takes 1 argument"),
    # unbalanced parentheses
    ("(1", ParseError, 1, 1, 1, "never closed"),
    ("((x)", ParseError, 1, 1, 1, "never closed"),
    ("y = 1 + (x", ParseError, 1, 9, 1, "never closed"),
    ("a = 1\nb = (a +\n  2", ParseError, 2, 5, 1, "never closed"),
    ("1)", ParseError, 1, 2, 1, "unmatched ')'"),
    ("(x))", ParseError, 1, 4, 1, "unmatched ')'"),
    ("y = x)", ParseError, 1, 6, 1, "unmatched ')'"),
    (")", ParseError, 1, 1, 1, "expected a value"),
    ("()", ParseError, 1, 2, 1, "expected a value"),
    ("(", ParseError, 1, 2, 1, "end of input"),
    ("a = (1;2)", ParseError, 1, 7, 1, "';' inside parentheses"),
    # missing operator
    ("2x", ParseError, 1, 2, 1, "missing operator before 'x'"),
    ("2 x", ParseError, 1, 3, 1, "missing operator"),
    ("x y", ParseError, 1, 3, 1, "missing operator before 'y'"),
    ("2(3)", ParseError, 1, 2, 1, "missing operator before '('"),
    ("(x)(y)", ParseError, 1, 4, 1, "missing operator"),
    ("exp(x)(y)", ParseError, 1, 7, 1, "missing operator"),
    ("x 2", ParseError, 1, 3, 1, "missing operator before '2'"),
    ("x = 1\ny = 2\n3x", ParseError, 3, 2, 1, "missing operator"),
    ("max(1 2)", ParseError, 1, 7, 1, "missing operator"),
    ("1e", ParseError, 1, 2, 1, "missing operator"),
    # other malformed expressions
    ("1 +", ParseError, 1, 4, 1, "end of input"),
    ("x = 1 +\ny = 2", ParseError, 1, 8, 1, "end of line"),
    ("*1", ParseError, 1, 1, 1, "expected a value"),
    ("x ** ** 2", ParseError, 1, 6, 2, "expected a value"),
    ("x * / 2", ParseError, 1, 5, 1, "expected a value"),
    ("x = = 1", ParseError, 1, 5, 1, "expected a value"),
    ("= 1", ParseError, 1, 1, 1, "expected a value"),
    ("x += ", ParseError, 1, 6, 1, "end of input"),
    ("max(1,)", ParseError, 1, 7, 1, "expected a value"),
    ("exp(,)", ParseError, 1, 5, 1, "expected a value"),
    ("x, y", ParseError, 1, 2, 1, "tuples"),
    ("x = 1, 2", ParseError, 1, 6, 1, "tuples"),
    ("max((1, 2))", ParseError, 1, 7, 1, "tuples"),
    ("1 = x", ParseError, 1, 3, 1, "only a name can be assigned"),
    ("x + 1 = 2", ParseError, 1, 7, 1, "only a name can be assigned"),
    ("a = b = 1", ParseError, 1, 7, 1, "only a name can be assigned"),
    ("x == y == z", ParseError, 1, 8, 2, "do not chain"),
    ("x < y > z", ParseError, 1, 7, 1, "do not chain"),
    ("x % y", ParseError, 1, 3, 1, "'%'"),
    ("x // y", ParseError, 1, 3, 2, "'//'"),
    ("x @@ y", ParseError, 1, 4, 1, "'@'"),
    ("x **= 2", ParseError, 1, 3, 3, "'**='"),
    ("x & y", ParseError, 1, 3, 1, "'&'"),
    ("x << 1", ParseError, 1, 3, 2, "'<<'"),
    ("x\\\n+ 1", ParseError, 1, 2, 1, "backslash"),
    ("1.2.3", ParseError, 1, 4, 2, "missing operator"),
    ("x = 1 $ 2", ParseError, 1, 7, 1, "'$'"),
    # names that cannot be assigned or used as values
    ("exp = 1", GraphError, 1, 1, 3, "'exp' is a gate"),
    ("y = 1\nmax = y", GraphError, 2, 1, 3, "'max' is a gate"),
    ("relu += 1", GraphError, 1, 1, 4, "'relu' is a gate"),
    ("exp", GraphError, 1, 1, 3, "'exp' is a gate; call it"),
    ("y = 2 * sqrt", GraphError, 1, 9, 4, "'sqrt' is a gate"),
    # statements out of place
    ("x; y = 1", ParseError, 1, 1, 1, "bare expression"),
    ("c = 1\nc\nd = 2", ParseError, 2, 1, 1, "bare expression"),
    ("a = 1\n  a * 2\nb = 3", ParseError, 2, 3, 1, "bare expression"),
    ("x + 1; y", ParseError, 1, 1, 1, "bare expression"),
    # too long a name
    ("a" * 65, ParseError, 1, 1, 65, "longer than 64"),
]


@pytest.mark.parametrize(("text", "kind", "line", "column", "width", "fragment"), REFUSED,
                         ids=[repr(case[0])[:40] for case in REFUSED])
def test_refused_with_position(text: str, kind: type[BackpropError], line: int, column: int,
                               width: int, fragment: str) -> None:
    error = refused(text)
    assert type(error) is kind, error.headline()
    assert error.span == Span(line, column, width), error.headline()
    assert fragment in error.message
    assert error.headline().endswith(f" at line {line}, column {column}")
    assert error.source == text


# (program, line, column, character, ASCII suggestion)
LOOKALIKES = [
    ("x \u2212 y", 1, 3, "\u2212", "-"),
    ("x = 3 \u2212 1", 1, 7, "\u2212", "-"),
    ("\u22121", 1, 1, "\u2212", "-"),
    ("x \u2013 y", 1, 3, "\u2013", "-"),
    ("a = 1\nb = a \u00d7 2", 2, 7, "\u00d7", "*"),
    ("2\u00d73", 1, 2, "\u00d7", "*"),
    ("2 \u00b7 3", 1, 3, "\u00b7", "*"),
    ("2 \u22c5 3", 1, 3, "\u22c5", "*"),
    ("6 \u00f7 2", 1, 3, "\u00f7", "/"),
    ("x\u00b2", 1, 2, "\u00b2", "**2"),
    ("y = 3\u00b2", 1, 6, "\u00b2", "**2"),
    ("x\u00b3", 1, 2, "\u00b3", "**3"),
    ("2*\u03c0", 1, 3, "\u03c0", "pi"),
    ("\uff081\uff09", 1, 1, "\uff08", "("),
    ("x\u00a0+ 1", 1, 2, "\u00a0", "a plain space"),
]


@pytest.mark.parametrize(("text", "line", "column", "char", "suggestion"), LOOKALIKES)
def test_unicode_lookalikes_suggest_the_ascii_form(text: str, line: int, column: int,
                                                   char: str, suggestion: str) -> None:
    error = refused(text)
    assert isinstance(error, ParseError)
    assert error.span == Span(line, column, 1)
    assert f"U+{ord(char):04X}" in error.message
    assert error.message.endswith(f"use {suggestion}")


@pytest.mark.parametrize(("text", "column"), [
    ("x\u200by", 2), ("caf\u00e9", 4), ("x = \u0430", 5), ("\u2028", 1),
])
def test_other_non_ascii_is_refused_with_its_position(text: str, column: int) -> None:
    error = refused(text)
    assert error.span is not None and (error.span.line, error.span.column) == (1, column)
    assert "not allowed" in error.message


@pytest.mark.parametrize(("text", "line", "column"), [
    ("a\x00", 1, 2), ("\x00", 1, 1), ("x = 1\n\x00", 2, 1), ("x = (1 +\x00 2)", 1, 9),
    ("x\x00 = 1", 1, 2),
])
def test_nul_bytes_are_refused(text: str, line: int, column: int) -> None:
    error = refused(text)
    assert isinstance(error, ParseError)
    assert error.span == Span(line, column, 1)
    assert "NUL" in error.message


def test_nul_byte_inside_a_comment_is_refused() -> None:
    # The spec refuses NUL bytes anywhere; a comment must not smuggle one in.
    error = refused("x = 1  # \x00 hidden")
    assert error.span == Span(1, 10, 1)
    assert "NUL" in error.message


@pytest.mark.parametrize("text", [
    "\x01", "x\x1b[31m", "x\x7f", "x = 1\x0b",
])
def test_control_characters_are_refused(text: str) -> None:
    error = refused(text)
    assert error.span is not None and error.span.line == 1


@pytest.mark.parametrize("text", ["", " ", "\n", "\n\n\n", "# only a comment",
                                  "# one\n# two\n", ";", ";;;", " ; \n ; ", "\t\r\n"])
def test_empty_program(text: str) -> None:
    error = refused(text)
    assert isinstance(error, ParseError)
    assert "empty" in error.message
    assert error.span == Span(1, 1, 1)


def test_unclosed_call_points_at_its_parenthesis() -> None:
    # "'(' is never closed" must point at the '(' (column 4), as Python does, not at 'max'.
    error = refused("max(1, 2")
    assert "never closed" in error.message
    assert error.span is not None and (error.span.line, error.span.column) == (1, 4)


def test_unclosed_parenthesis_is_reported_where_it_opens() -> None:
    # A '(' left open on line 1 must be reported there (as Python does), not as a
    # "missing operator" on the next line, which only exists because the line continued.
    error = refused("a = (x\nb = 2")
    assert "never closed" in error.message
    assert error.span is not None and (error.span.line, error.span.column) == (1, 5)


def test_first_error_wins() -> None:
    error = refused("x = a.b\ny = 2x\nz = \u2212 1")
    assert error.span == Span(1, 6, 1)


def test_errors_in_later_statements_point_into_their_line() -> None:
    program = "q = x + y\nf = q * z\ng = f +* 2\n"
    error = refused(program)
    assert error.span == Span(3, 8, 1)


def test_columns_count_characters_not_bytes() -> None:
    error = refused("# \u03c0\u03c0\u03c0\ny = 1 + x.y")
    assert error.span == Span(2, 10, 1)
    error = refused("y = 1  # \u00d7\u00d7\u00d7\nz = y.x")
    assert error.span == Span(2, 6, 1)


def test_errors_are_backprop_errors_not_python_errors() -> None:
    for text, *_ in REFUSED:
        try:
            build(parse(text))
        except BackpropError:
            continue
        raise AssertionError(f"{text!r} was accepted")


# --------------------------------------------------------------------------- inputs


@pytest.mark.parametrize(("item", "expected"), [
    ("x=1", 1.0), ("x=-2", -2.0), ("x=0.5", 0.5), ("x=.5", 0.5), ("x=1e-3", 0.001),
    ("x=1/3", 1 / 3), ("t=-pi/4", -math.pi / 4), ("x=2^3", 8.0), ("x=-2**2", -4.0),
    ("x = 3", 3.0), ("x=sqrt(2)", math.sqrt(2)), ("x=e", math.e), ("x=(1+\n2)", 3.0),
    ("x=+4", 4.0), ("x=exp(0)", 1.0),
])
def test_input_values_are_constant_expressions(item: str, expected: float) -> None:
    ((name, got),) = parse_assignments([item]).items()
    assert name == item.split("=")[0].strip()
    assert got == pytest.approx(expected, rel=1e-15)


def test_inputs_feed_the_circuit() -> None:
    values = parse_assignments(["x=1/3", "t=-pi/4"])
    trace = run("x * t", values)
    assert trace.value == pytest.approx(-math.pi / 12)


@pytest.mark.parametrize(("item", "kind", "fragment", "span"), [
    ("x=1/0", DomainError, "division by zero", Span(1, 2, 1)),
    ("x=log(0)", DomainError, "log", Span(1, 1, 1)),
    ("x=2x", ParseError, "missing operator", Span(1, 2, 1)),
    ("x=1..2", ParseError, "", Span(1, 3, 2)),
    ("x=__import__('os')", ParseError, "__", Span(1, 1, 10)),
    ("x=a.b", ParseError, "attribute", Span(1, 2, 1)),
    ("x=y", InputError, "'y'", Span(1, 1, 1)),
    ("x=2*y", InputError, "'y'", Span(1, 3, 1)),
    ("x=foo(1)", GraphError, "unknown gate 'foo'", Span(1, 1, 3)),
    ("x=\u22121", ParseError, "use -", Span(1, 1, 1)),
    ("x=(1", ParseError, "never closed", Span(1, 1, 1)),
    ("x=1;2", ParseError, "bare expression", Span(1, 1, 1)),
])
def test_bad_input_values_point_into_the_value(item: str, kind: type[BackpropError],
                                               fragment: str, span: Span) -> None:
    with pytest.raises(kind) as caught:
        parse_assignments([item])
    error = caught.value
    assert fragment in error.message
    assert error.where == "the value of x"
    assert error.source == item.partition("=")[2]
    assert error.span == span
    assert "in the value of x" in error.headline()


@pytest.mark.parametrize(("item", "fragment"), [
    ("x", "NAME=VALUE"),
    ("x=", "x has no value"),
    ("x=  ", "x has no value"),
    ("=1", "not a valid input name"),
    ("1x=2", "not a valid input name"),
    ("x y=2", "not a valid input name"),
    ("exp=1", "'exp' is a gate, not an input name"),
])
def test_bad_input_names(item: str, fragment: str) -> None:
    with pytest.raises(BackpropError) as caught:
        parse_assignments([item])
    assert fragment in caught.value.message


@pytest.mark.parametrize("item", ["x.y=1", "__x=1", "x\u2212=1", "x[0]=1"])
def test_input_names_use_the_same_lexer(item: str) -> None:
    with pytest.raises(BackpropError):
        parse_assignments([item])


def test_input_value_must_be_an_expression_not_a_program() -> None:
    # "x=y=2" is not a number or a constant expression; it must not quietly mean x=2.
    with pytest.raises(BackpropError):
        parse_assignments(["x=y=2"])


def test_an_input_given_twice_is_named() -> None:
    with pytest.raises(InputError, match=r"\bx\b.*twice"):
        parse_assignments(["x=1", "y=2", "x=3"])


def test_a_missing_input_is_named() -> None:
    graph = compile_program("q = x + y\nf = q * z")
    with pytest.raises(InputError) as caught:
        check_inputs(graph, {"x": 1.0, "z": 2.0})
    assert "y" in caught.value.message and "x" not in caught.value.message.split("(")[0]
    with pytest.raises(InputError, match=r"y, z"):
        check_inputs(graph, {"x": 1.0})


def test_an_unknown_input_is_named() -> None:
    graph = compile_program("x * 2")
    with pytest.raises(InputError, match="'w'"):
        check_inputs(graph, {"x": 1.0, "w": 2.0})


def test_constants_and_gates_are_not_inputs_to_give() -> None:
    graph = compile_program("pi * x")
    with pytest.raises(InputError, match="'pi'"):
        check_inputs(graph, {"x": 1.0, "pi": 3.0})


# --------------------------------------------------------------------------- scale


def test_ten_thousand_nested_parentheses_parse_iteratively() -> None:
    depth = 10_000
    with shallow_stack():
        program = parse("(" * depth + "x" + ")" * depth)
        graph = build(program)
    assert rpn("(" * depth + "x" + ")" * depth) == [("name", "x")]
    assert graph.gates == [INPUT]


def test_ten_thousand_nested_calls_and_unary_minus() -> None:
    depth = 10_000
    with shallow_stack():
        calls = build(parse("sin(" * depth + "x" + ")" * depth))
        minus = build(parse("-" * depth + "x"))
        deep = build(parse("(" * depth + "x" + "*2)" * depth))
    assert calls.gates.count("sin") == depth
    assert minus.gates.count("neg") == depth
    assert deep.gates.count("mul") == depth


def test_ten_thousand_right_associative_powers() -> None:
    depth = 10_000
    with shallow_stack():
        graph = build(parse("1" + "**1" * depth))
    assert graph.gates.count("pow") == depth
    assert run(graph).value == 1


def test_a_program_whose_parentheses_span_many_lines() -> None:
    depth = 10_000
    with shallow_stack():
        program = parse("y = " + "(\n" * depth + "x" + "\n)" * depth)
    assert len(program.statements) == 1


def test_unbalanced_deep_nesting_is_a_parse_error_not_a_recursion_error() -> None:
    depth = 10_000
    with shallow_stack():
        with pytest.raises(ParseError) as caught:
            parse("(" * depth + "x" + ")" * (depth - 1))
        assert caught.value.span == Span(1, 1, 1)
        with pytest.raises(ParseError) as caught:
            parse("(" * depth + "x" + ")" * (depth + 1))
        assert caught.value.span == Span(1, 2 * depth + 2, 1)


def test_one_expression_of_a_hundred_thousand_terms() -> None:
    terms = 100_000
    text = "+".join("x" if i % 2 else "y" for i in range(terms))
    with shallow_stack():
        program = parse(text)
        graph = build(program)
    assert len(program.statements) == 1
    assert graph.gates.count("add") == terms - 1
    assert list(graph.inputs) == ["y", "x"]
