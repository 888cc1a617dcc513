"""Every `$ backprop ...` example in the console blocks of README.md and of every docs/*.md
page prints what the page shows.

A line ``...`` in a page stands for any number of lines, and a line ending in ``...`` for any
line that starts with what precedes it. Files a page shows with ``cat`` (``homework.toml``,
``xyz.csv``) are written out first, in a scratch directory shared by all the pages. The
examples of a page run in the order the page shows them (``echo $?`` reads the exit status
of the example before it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def examples(text: str) -> list[tuple[str, str]]:
    """(command, expected output) for each ``$ `` line of each console block, in order."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        lines = block.splitlines()
        index = 0
        while index < len(lines):
            command, index = lines[index][2:], index + 1
            while command.count('"') % 2 and index < len(lines):  # a quoted newline
                command, index = command + "\n" + lines[index], index + 1
            start = index
            while index < len(lines) and not lines[index].startswith("$ "):
                index += 1
            found.append((command, "\n".join(lines[start:index])))
    return found


def pattern(expected: str) -> re.Pattern[str]:
    parts = []
    for line in expected.splitlines():
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        elif line.endswith("..."):
            parts.append(re.escape(line[:-3]) + r"[^\n]*\n")
        else:
            parts.append(re.escape(line) + r"\n")
    return re.compile("".join(parts))


def page_name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


# (page, number of the example on its page, command, expected output)
EXAMPLES = [(page_name(page), number, command, expected)
            for page in PAGES
            for number, (command, expected) in enumerate(
                examples(page.read_text(encoding="utf-8")), start=1)]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("readme")
    for name in ("circuits", "tests", "docs"):
        (where / name).symlink_to(ROOT / name)
    for _, _, command, shown in EXAMPLES:  # files a page shows with cat (w.txt is rewritten
        if command.startswith("cat "):  # by the step example before its cat checks it)
            (where / command.split()[-1]).write_text(shown + "\n", encoding="utf-8")
    return where


def test_the_pages_have_examples() -> None:
    assert len(EXAMPLES) > 30
    counts = {page_name(page): 0 for page in PAGES}
    for page, _, _, _ in EXAMPLES:
        counts[page] += 1
    assert counts["README.md"] >= 3, counts
    for page in ("docs/language.md", "docs/arrays.md", "docs/numerics.md", "docs/checking.md",
                 "docs/pipelines.md", "docs/pictures.md"):
        assert counts.get(page, 0) >= 1, (page, counts)


def test_the_cat_files_are_named_once() -> None:
    """The scratch directory is shared: two pages must not show different files of one name."""
    shown: dict[str, str] = {}
    for _, _, command, expected in EXAMPLES:
        if command.startswith("cat ") and command != "cat w.txt":
            name = command.split()[-1]
            assert shown.setdefault(name, expected) == expected, name


class _Shell:
    """The last exit status, for the pages' ``echo $?`` lines."""

    status = 0


@pytest.mark.parametrize(("page", "number", "command", "expected"), EXAMPLES,
                         ids=[f"{page}#{number}: {command[:50]}"
                              for page, number, command, _ in EXAMPLES])
def test_page_example(page: str, number: int, command: str, expected: str,
                      workdir: Path) -> None:
    if command == "echo $?":
        assert str(_Shell.status) == expected, f"{page}, example {number}"
        return
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("FORCE_COLOR", None)
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                          cwd=workdir, env=env, timeout=120, stdin=subprocess.DEVNULL)
    _Shell.status = done.returncode
    wanted = pattern(expected + "\n" if expected else "")
    # stderr (warnings) and stdout are two streams: either may come first on a terminal
    assert wanted.fullmatch(done.stderr + done.stdout) or \
        wanted.fullmatch(done.stdout + done.stderr), \
        f"{page}, example {number}\n$ {command}\n--- {page}\n{expected}\n" \
        f"--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
