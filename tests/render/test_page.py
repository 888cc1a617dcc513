"""``draw --format html``: one self-contained page whose steps are written in Python.

What the page does in a browser is tested in test_page_browser.py; here, the file itself:
nothing fetched from the network, the steps in the order of the passes, the quiz's numbers
and hints agreeing with ``backprop check``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from backprop_cli import run
from backprop_cli.inputs.circuits import bundled_names, load_bundled

from conftest import drawn, invoke

STEPS = re.compile(r'<script type="application/json" id="steps">(.*?)</script>', re.DOTALL)


def page(*args: str) -> str:
    return drawn(*args, "--format", "html")


def page_steps(html: str) -> list[dict[str, Any]]:
    match = STEPS.search(html)
    assert match
    steps: list[dict[str, Any]] = json.loads(match.group(1))["steps"]
    return steps


@pytest.mark.parametrize("name", bundled_names())
def test_page_is_one_file_that_fetches_nothing(name: str) -> None:
    html = page(name)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    for fetching in ("src=", "href=", "@import", "url(http", "fetch(", "XMLHttpRequest",
                     "<link", "<iframe"):
        assert fetching not in html
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}  # the SVG namespace: a name, never fetched


@pytest.mark.parametrize("name", bundled_names())
def test_steps_go_forward_gate_by_gate_then_back_edge_by_edge(name: str) -> None:
    steps = page_steps(page(name))
    trace = run(load_bundled(name))
    phases = [step["phase"] for step in steps]
    forward = phases.count("forward")
    assert phases == ["forward"] * forward + ["backward"] * (len(steps) - forward)
    assert steps[0]["kind"] == "inputs" and steps[forward]["kind"] == "start"
    assert steps[-1]["kind"] == "done"
    gates = [step for step in steps if step["kind"] == "gate"]
    drawn = {int(box[1:]) for step in gates for box in step["focus"]}
    assert drawn <= set(trace.gate_nodes())
    assert len(gates) == len(drawn)
    edges = [step for step in steps if step["kind"] == "edge"]
    to_constants = sum(trace.graph.gates[edge.source] == "const" for edge in trace.edges())
    assert len(edges) == trace.edge_count() - to_constants


def test_quiz_numbers_are_those_backprop_check_would_grade() -> None:
    """Each wrong number the page knows gets, from ``backprop check``, the hint the page
    would show for it (the first in the page's list that agrees with it)."""
    steps = page_steps(page("sigmoid-neuron"))
    trace = run(load_bundled("sigmoid-neuron"))
    quizzed = [step for step in steps if step["kind"] == "edge"]
    kinds = set()
    for step in quizzed:
        assert step["quiz"]["answer"] == float(trace.edge(step["edge"]).downstream)
        path = f"edge.{step['gate'].split(' = ')[0]}.{step['source']}.downstream"
        for wrong, _ in step["quiz"]["hints"]:
            answer = check_json("sigmoid-neuron", f"{path}={wrong!r}")
            assert not answer["right"]
            page_hint = next(text for value, text in step["quiz"]["hints"]
                             if abs(value - wrong) <= 1e-12 + 1e-9 * abs(wrong))
            assert answer["hint"]["text"] == page_hint
            kinds.add(answer["hint"]["class"])
    assert {"sign", "local-only", "upstream-factor"} <= kinds


def check_json(*args: str) -> dict[str, Any]:
    result = invoke("check", args[0], "--expect", args[1], "--format", "json")
    answer: dict[str, Any] = json.loads(result.stdout)["problems"][0]["answers"][0]
    return answer


def test_arrays_show_shapes_and_are_not_quizzed() -> None:
    steps = page_steps(page("two-layer-hinge"))
    assert any("(shape 3x3)" in line for step in steps for line in step["lines"])
    matrix_edges = [s for s in steps if s["kind"] == "edge" and s["downstream"].startswith("[[")]
    assert matrix_edges and all(step["quiz"] is None for step in matrix_edges)


def test_page_is_written_to_a_file_by_its_extension(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    result = invoke("draw", "simple-circuit", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text("utf-8") == page("simple-circuit")


def test_user_text_cannot_close_the_script_or_the_title() -> None:
    hostile = "</script><script>alert(1)</script><!--"
    html = page("simple-circuit", "--title", hostile)
    assert html.count("<script") == 2  # the data and the code, nothing else
    assert hostile not in html
    assert "alert(1)" not in STEPS.sub("", html).replace("&lt;/script&gt;&lt;script&gt;"
                                                           "alert(1)", "")
