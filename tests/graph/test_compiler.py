"""The one-pass compiler (``compiler.compile_text``) against the reference path
(``graph.build(syntax.parse(text))``): the same graph, node for node and name for name, or
None (the reference path then decides, errors included). Never a graph for a bad program."""

from __future__ import annotations

import pytest
from expression_gen import COMPARISONS, TERNARY_GATES, Node, program_text, trees
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli.api import compile_program
from backprop_cli.errors import BackpropError
from backprop_cli.graph import compiler
from backprop_cli.graph.builder import build
from backprop_cli.graph.compiler import compile_text
from backprop_cli.graph.graph import Graph
from backprop_cli.language.parser import parse
from backprop_cli.limits import Limits, using

PIECES = ["x", "y", "z", "c", "f", "out", "out_2", "t1", "t2", "c_2", "f_2", "pi", "e", "tanh",
          "max", "min", "pow", "sum", "sigmoid", "exp", "1", "2.5", ".5", "3e2", "0", "1.e1", "=",
          "+=", "-=", "*=", "/=", "**=", "+", "-", "*", "/", "**", "^", "(", ")", ",", ";", "\n",
          " ", "  ", "# t3 c\n", "#", "@", ".T", ".", "[", "]", ":", "def", "lambda", "True",
          "__x", "\t", "\r\n", "x1", "tanh(", "max (", "==", "'", "\u2212", "\x00", "a" * 65]


def reference(text: str) -> Graph | None:
    try:
        return build(parse(text))
    except BackpropError:
        return None


def assert_same(text: str, fast: Graph | None) -> None:
    slow = reference(text)
    if slow is None:
        assert fast is None, f"the fast path accepted {text!r}, which the parser refuses"
    elif fast is not None:
        assert fast.__dict__ == slow.__dict__


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=16))
def test_token_soup_is_refused_or_built_alike(parts: list[str]) -> None:
    text = "".join(parts)
    assert_same(text, compile_text(text))


@settings(max_examples=400, deadline=None)
@given(trees(), st.sampled_from(["bare", "assign"]), st.sampled_from(["\n", "; "]))
def test_generated_programs_take_the_fast_path(tree: object, final: str, sep: str) -> None:
    text = program_text(tree, final, sep)  # type: ignore[arg-type]
    fast = compile_text(text)
    if not on_fast_path(tree):  # type: ignore[arg-type]
        assert fast is None, text  # the builder's path takes them
        return
    assert fast is not None, text
    assert_same(text, fast)


def on_fast_path(tree: Node) -> bool:
    """Comparisons and three-operand gates (clip, where) take the builder's path."""
    if tree.kind in COMPARISONS or tree.kind in TERNARY_GATES:
        return False
    return all(on_fast_path(arg) for arg in tree.args)


@pytest.mark.parametrize("text", [
    "(x+y)*z", "q = x + y; f = q * z", "c = x\nc = tanh(c*1.01 + 0.1)\nc = tanh(c*1.01+0.1)\n",
    "-3", "x*-3", "- -3", "-x**2", "2**-x", "-(3)**2", "x - -y", "+x", "a = 2\na", "y = 2*x\nx",
    "c = x; c += 2*y", "y = pi", "y = pi*x; z = e + pi", "f = x; f", "f = (x\n + y)",
    "max(x, y) - min(x,y)*pow(x,2)", "t1 = x*y; t1*z", "a = x; a = a*2; a_2 = 3; a*a_2",
    "# t2 comment\nx*y*z", "x^2^3", "sigmoid (x)", "x = 1; ;; y = x*2\n\n", "3", "x = 3",
    "c = 1\nc *= x\nc -= 2\nc /= y", "f = 1; out = 2; f*out*x", "f = tanh(\n  x\n) * y  # done",
])
def test_programs_built_alike(text: str) -> None:
    fast = compile_text(text)
    assert fast is not None
    assert_same(text, fast)


@pytest.mark.parametrize("text", [
    "y = x @ w", "x.T", "sum(x)", "x[0]", "def g(a): a*a\ng(x)", "max(x)",
])
def test_other_programs_go_the_reference_way(text: str) -> None:
    assert compile_text(text) is None
    built, reference = compile_program(text).__dict__, build(parse(text)).__dict__
    assert built.keys() == reference.keys()
    assert all(built[key] == reference[key] for key in built if key != "user_gates")


@pytest.mark.parametrize("text", ["f(x)", "x = (1", "x +", "tanh(x, y)", "x = tanh", "exp = 3"])
def test_errors_come_from_the_reference_path(text: str) -> None:
    assert compile_text(text) is None
    with pytest.raises(BackpropError) as fast:
        compile_program(text)
    with pytest.raises(BackpropError) as slow:
        build(parse(text))
    assert fast.value.headline() == slow.value.headline()


@pytest.mark.parametrize(("limits", "text"), [
    (Limits(depth=10), "(" * 11 + "x" + ")" * 11),
    (Limits(depth=10), "-" * 11 + "x"),
    (Limits(gates=3), "a = x*y; b = a*a"),
    (Limits(lines=2), "x\n\n"),
    (Limits(source_bytes=8), "x*y*z*w*v"),
])
def test_limits_are_left_to_the_reference_path(limits: Limits, text: str) -> None:
    with using(limits):
        assert compile_text(text) is None
        with pytest.raises(BackpropError):
            compile_program(text)


@settings(max_examples=200, deadline=None)
@given(trees(), st.sampled_from(["bare", "assign"]), st.integers(1, 40))
def test_text_cut_into_chunks_compiles_alike(tree: object, final: str, size: int) -> None:
    text = program_text(tree, final, "\n")  # type: ignore[arg-type]
    if not on_fast_path(tree):  # type: ignore[arg-type]
        return
    whole = compile_text(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiler, "CHUNK", size)
        chunked = compile_text(text)
    assert whole is not None and chunked is not None
    assert chunked.__dict__ == whole.__dict__


def test_deep_nesting_and_long_sums_stay_iterative() -> None:
    deep = "(" * 10_000 + "x" + ")" * 10_000
    long = " + ".join(f"x{i % 50}" for i in range(100_000))
    for text in (deep, long):
        fast = compile_text(text)
        assert fast is not None
        assert_same(text, fast)
