"""SVG (``--graphviz``), PNG and PDF through Graphviz's ``dot``: every bundled circuit renders
without a warning.

These tests need Graphviz installed (`apt-get install graphviz`; .ci/run installs it). They
fail, rather than skip, when it is missing: a picture nobody rendered is not a tested one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from backprop_cli.inputs.circuits import bundled_names

from conftest import invoke

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG_TAG = "{http://www.w3.org/2000/svg}svg"


@pytest.fixture(autouse=True)
def graphviz_installed() -> None:
    assert shutil.which("dot"), "Graphviz's dot is not installed: apt-get install graphviz"


def svg_texts(data: bytes) -> list[str]:
    root = ElementTree.fromstring(data)
    assert root.tag == SVG_TAG
    return [element.text or "" for element in root.iter("{http://www.w3.org/2000/svg}text")]


@pytest.mark.parametrize("name", bundled_names())
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_every_bundled_circuit_renders_without_warnings(name: str, fmt: str,
                                                        tmp_path: Path) -> None:
    for extra in ([], ["--expand"]):
        path = tmp_path / f"{name}.{fmt}"
        result = invoke("draw", name, *extra, "--graphviz", "-o", str(path))
        assert result.exit_code == 0, result.stderr
        # notes (micrograd's program assigns e) are not warnings
        assert [line for line in result.stderr.splitlines() if not line.startswith("note:")] \
            == []
        data = path.read_bytes()
        if fmt == "png":
            assert data.startswith(PNG_MAGIC)
        elif fmt == "pdf":
            assert data.startswith(b"%PDF-")
        else:
            assert svg_texts(data)


def test_dot_itself_accepts_every_bundled_circuit_quietly(tmp_path: Path) -> None:
    for name in bundled_names():
        dot_file = tmp_path / f"{name}.dot"
        assert invoke("draw", name, "-o", str(dot_file)).exit_code == 0
        done = subprocess.run(["dot", "-Tsvg", str(dot_file)], capture_output=True, timeout=60)
        assert done.returncode == 0 and done.stderr == b""


def test_svg_shows_the_lecture_numbers_and_the_title() -> None:
    result = invoke("draw", "sigmoid-neuron", "--format", "svg", "--graphviz", "--precision",
                    "2")
    assert result.exit_code == 0
    texts = svg_texts(result.stdout_bytes)
    for number in ("0.73", "1.37", "0.37", "-0.53", "-0.20", "0.20", "0.39", "-0.59", "2.00"):
        assert number in texts
    assert any(text.startswith("The sigmoid neuron, gate by gate") for text in texts)


def test_hostile_title_survives_graphviz_literally() -> None:
    title = 'a "quoted" \\N back\\slash <b>bold</b> & \\n'
    result = invoke("draw", "simple-circuit", "--format", "svg", "--graphviz", "--title", title)
    assert result.exit_code == 0 and result.stderr == ""
    assert title in svg_texts(result.stdout_bytes)


def test_missing_graphviz_is_one_line_naming_the_package(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no dot on the PATH
    for fmt in ("svg", "png", "pdf"):
        out = tmp_path / f"picture.{fmt}"
        result = invoke("draw", "simple-circuit", "--graphviz", "-o", str(out))
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
        assert "install the package graphviz" in result.stderr
        assert not out.exists()
    assert invoke("draw", "simple-circuit", "--format", "dot").exit_code == 0
    assert invoke("draw", "simple-circuit", "--format", "svg").exit_code == 0  # our own


def test_graphviz_failure_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: something broke' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    result = invoke("draw", "simple-circuit", "--format", "png", "-o", str(tmp_path / "a.png"))
    assert result.exit_code == 2
    assert result.stderr == "error: Graphviz's dot failed: Error: something broke\n"


def test_installed_command_draws_in_a_subprocess(tmp_path: Path) -> None:
    backprop = shutil.which("backprop", path=str(Path(sys.executable).parent))
    assert backprop, "the backprop command is not installed in this environment"
    env = {**os.environ, "NO_COLOR": "1"}
    svg = tmp_path / "neuron.svg"
    done = subprocess.run([backprop, "draw", "sigmoid-neuron", "-o", str(svg)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and done.stderr == "" and done.stdout == ""
    assert "0.7311" in svg_texts(svg.read_bytes())
    done = subprocess.run([backprop, "draw", "sigmoid-neuron", "--graphviz", "-o", str(svg)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and "0.7311" in svg_texts(svg.read_bytes())
    done = subprocess.run([backprop, "draw", "simple-circuit"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0 and "\x1b[" not in done.stdout
    assert "┤ + ├" in done.stdout and "-12" in done.stdout


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG header (IHDR)."""
    assert data.startswith(PNG_MAGIC)
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_scale_multiplies_the_png_resolution(tmp_path: Path) -> None:
    sizes = {}
    for scale in ("1", "2"):
        path = tmp_path / f"s{scale}.png"
        assert invoke("draw", "simple-circuit", "--scale", scale, "-o", str(path)).exit_code == 0
        sizes[scale] = png_size(path.read_bytes())
    plain = tmp_path / "plain.png"
    assert invoke("draw", "simple-circuit", "-o", str(plain)).exit_code == 0
    assert png_size(plain.read_bytes()) == sizes["1"]
    for one, two in zip(sizes["1"], sizes["2"], strict=True):
        assert abs(two - 2 * one) <= 2
