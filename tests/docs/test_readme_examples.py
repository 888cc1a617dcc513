"""Every `$ backprop ...` example in the README's console blocks prints what the README shows.

A line ``...`` in the README stands for any number of lines, and a line ending in ``...``
for any line that starts with what precedes it. Files the README shows with ``cat``
(``homework.toml``, ``xyz.csv``) are written out first, in a scratch directory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def examples() -> list[tuple[str, str]]:
    """(command, expected output) for each ``$ `` line of each console block, in order."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
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


EXAMPLES = examples()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("readme")
    for name in ("circuits", "tests", "docs"):
        (where / name).symlink_to(ROOT / name)
    for command, shown in EXAMPLES:  # files the README shows with cat (w.txt is rewritten
        if command.startswith("cat "):  # by the step example before its cat checks it)
            (where / command.split()[-1]).write_text(shown + "\n", encoding="utf-8")
    return where


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) > 30


class _Shell:
    """The last exit status, for the README's ``echo $?`` lines."""

    status = 0


@pytest.mark.parametrize(("command", "expected"), EXAMPLES,
                         ids=[command[:60] for command, _ in EXAMPLES])
def test_readme_example(command: str, expected: str, workdir: Path) -> None:
    if command == "echo $?":
        assert str(_Shell.status) == expected
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
        f"$ {command}\n--- README\n{expected}\n--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
