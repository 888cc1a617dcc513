"""backprop's own SVG (``draw --format svg``): the lecture's picture with no Graphviz installed.

The numbers are checked against the lecture's (the same table as the DOT tests); the layout
against what the lecture draws: every wire runs left to right, boxes in one column never
overlap, a copy dot where one value feeds several wires.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from draw_helpers import LECTURE_EDGES, SVG, svg_edges

from backprop_cli import run
from backprop_cli.inputs.circuits import bundled_names, load_bundled
from backprop_cli.render.picture import build_picture
from backprop_cli.render.svg import ROW, layout, render_svg

from conftest import drawn, invoke


@pytest.fixture
def no_graphviz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pip-only machine: no ``dot`` on the PATH."""
    monkeypatch.setenv("PATH", str(tmp_path))


def draw_svg(*args: str) -> str:
    return drawn(*args, "--format", "svg")


@pytest.mark.parametrize("name", sorted(LECTURE_EDGES))
def test_wires_carry_the_lecture_values_and_gradients(name: str, no_graphviz: None) -> None:
    edges = svg_edges(draw_svg(name))  # 4 significant digits by default
    assert sorted(edges) == sorted(LECTURE_EDGES[name])


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_circuit_is_drawn_without_graphviz(name: str, no_graphviz: None) -> None:
    for extra in ([], ["--expand"]):
        svg = draw_svg(name, *extra)
        root = ElementTree.fromstring(svg)
        assert root.tag == SVG + "svg"
        trace = run(load_bundled(name))
        wires = [g for g in root.iter(SVG + "g") if g.get("class") == "wire"]
        assert wires and all(g.find(f"{SVG}text[@class='value']") is not None for g in wires)
        if not extra:  # every backward edge (to a non-constant) is one wire
            edges = {int(g.get("data-edge", "-1")) for g in wires} - {-1}
            constants = {i for i, e in enumerate(trace.edges())
                         if trace.graph.gates[e.source] == "const"}
            assert edges == set(range(trace.edge_count())) - constants


@pytest.mark.parametrize("name", bundled_names())
def test_layout_runs_left_to_right_without_overlaps(name: str) -> None:
    picture = build_picture(run(load_bundled(name)))
    places = layout(picture)
    for wire in picture.wires:
        assert places[wire.source].x < places[wire.target].x
    for a in picture.boxes:
        for b in picture.boxes:
            if a.id < b.id and places[a.id].x == places[b.id].x:
                assert abs(places[a.id].y - places[b.id].y) >= ROW


def test_copy_gate_draws_a_dot_whose_branches_add_up(no_graphviz: None) -> None:
    root = ElementTree.fromstring(draw_svg("copy-gate"))
    dots = [g for g in root.iter(SVG + "g") if g.get("class") == "box copy"]
    assert len(dots) == 1 and dots[0].find(SVG + "circle") is not None
    branches = [g for g in root.iter(SVG + "g") if g.get("data-source") == dots[0].get("id")]
    into = [g for g in root.iter(SVG + "g") if g.get("data-target") == dots[0].get("id")]
    grads = [float(g.find(f"{SVG}text[@class='grad']").text or "") for g in branches]
    assert float(into[0].find(f"{SVG}text[@class='grad']").text or "") == sum(grads) == 6


def test_values_green_gradients_red_and_options_honoured(no_graphviz: None) -> None:
    svg = draw_svg("simple-circuit")
    assert ".value{fill:#1a7f37}" in svg and ".grad{fill:#cf222e}" in svg
    assert 'class="grad"' not in draw_svg("simple-circuit", "--no-grads")
    assert 'class="value"' not in draw_svg("simple-circuit", "--no-values")
    assert "sigmoid" in draw_svg("sigmoid-neuron-grouped")
    assert "sigmoid" not in draw_svg("sigmoid-neuron-grouped", "--expand", "--title", "")


def test_hostile_text_is_escaped_and_the_output_is_stable(no_graphviz: None) -> None:
    title = 'a "quoted" <b>bold</b> & </svg>'
    svg = draw_svg("simple-circuit", "--title", title)
    root = ElementTree.fromstring(svg)
    assert title in [t.text for t in root.iter(SVG + "text")]
    assert svg == draw_svg("simple-circuit", "--title", title)
    picture = build_picture(run("f = x * y", {"x": 2, "y": 3}), title="<")
    assert render_svg(picture) == render_svg(picture)


def test_a_value_used_twice_by_one_gate_keeps_its_numbers_apart(no_graphviz: None) -> None:
    root = ElementTree.fromstring(draw_svg("f = x * x", "x=3"))
    into_gate = [g for g in root.iter(SVG + "g") if g.get("data-target") == "n1"]
    ys = sorted(float(t.get("y", "0")) for g in into_gate for t in g.iter(SVG + "text"))
    assert len(ys) == 4
    assert all(b - a >= 12 for a, b in itertools.pairwise(ys))


def test_png_and_pdf_need_graphviz_in_one_line(tmp_path: Path, no_graphviz: None) -> None:
    for fmt in ("png", "pdf"):
        out = tmp_path / f"picture.{fmt}"
        result = invoke("draw", "simple-circuit", "-o", str(out))
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith(f"error: --format {fmt} needs Graphviz's `dot`")
        assert not out.exists()
    result = invoke("draw", "simple-circuit", "--graphviz", "--format", "svg")
    assert result.exit_code == 2 and "install the package graphviz" in result.stderr


def test_scale_applies_to_png_only() -> None:
    result = invoke("draw", "simple-circuit", "--format", "svg", "--scale", "2")
    assert result.exit_code == 2 and "--scale applies to --format png only" in result.stderr
