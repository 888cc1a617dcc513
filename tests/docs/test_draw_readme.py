"""The Pictures page (docs/pictures.md) shows what the tool really makes, with the command that
made it."""

from __future__ import annotations

import re
import shlex
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from conftest import invoke

ROOT = Path(__file__).resolve().parents[2]
SVG_TEXT = "{http://www.w3.org/2000/svg}text"


def pictures_section() -> str:
    return (ROOT / "docs" / "pictures.md").read_text("utf-8")


def svg_texts(data: bytes) -> list[str]:
    return [element.text or "" for element in ElementTree.fromstring(data).iter(SVG_TEXT)]


def test_picture_is_what_the_quoted_command_makes(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert shutil.which("dot"), "Graphviz's dot is not installed: apt-get install graphviz"
    section = pictures_section()
    image = re.search(r"!\[[^]]*\]\(([\w.-]+\.svg)\)", section)  # beside the page, in docs/
    assert image, "the Pictures page shows no picture from docs/"
    command = re.search(r"^    (backprop draw .* -o (docs/\S+))$", section, re.MULTILINE)
    assert command and command.group(2) == "docs/" + image.group(1)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    arguments = shlex.split(command.group(1))[1:]
    assert invoke(*arguments).exit_code == 0
    made = svg_texts((tmp_path / command.group(2)).read_bytes())
    assert made == svg_texts((ROOT / command.group(2)).read_bytes())
    assert "0.73" in made and "-0.53" in made  # the lecture's numbers


def test_console_example_is_the_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "NO_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    block = re.search(r"```console\n\$ (backprop draw [^\n]*)\n(.*?)```", pictures_section(),
                      re.DOTALL)
    assert block
    result = invoke(*shlex.split(block.group(1))[1:])
    assert result.exit_code == 0 and result.stdout == block.group(2)


def test_mermaid_example_is_the_real_output() -> None:
    section = pictures_section()
    command = re.search(r"this is `(backprop draw [^`]*)`", section)
    block = re.search(r"```mermaid\n(.*?)```", section, re.DOTALL)
    assert command and block
    result = invoke(*shlex.split(command.group(1))[1:])
    assert result.exit_code == 0 and result.stdout == block.group(1)
