"""``backprop quiz``: practice circuits without answers, graded by check; asked in a terminal.

The right answers here are worked by hand from the file's own inputs (the level-1 family
q = x (+|-|*) y, f = q (*|+) z), never taken from the tool.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from terminal import drain, read_until, spawn

from backprop_cli import compile_program

from conftest import invoke

SEEDS = range(12)


def quiz_text(*args: str) -> str:
    result = invoke("quiz", *args)  # CliRunner: not a terminal, so the problem only
    assert result.exit_code == 0, result.stderr
    return result.stdout


def level_1_answers(text: str) -> dict[str, float]:
    """The four gradients of q = x OP y, f = q OP2 z, by hand."""
    data = tomllib.loads(text)
    x, y, z = (data["inputs"][name] for name in ("x", "y", "z"))
    first, second = re.findall(r"= \w+ ([-+*]) \w+", data["program"])
    q = {"+": x + y, "-": x - y, "*": x * y}[first]
    dq = z if second == "*" else 1
    return {"df/dq": dq, "df/dz": q if second == "*" else 1,
            "df/dx": dq * (y if first == "*" else 1),
            "df/dy": dq * {"+": 1, "-": -1, "*": x}[first]}


@pytest.mark.parametrize("level", ["1", "2", "3"])
def test_piped_the_problem_only_as_a_circuit_file_without_answers(level: str) -> None:
    text = quiz_text("--level", level, "--seed", "3")
    data = tomllib.loads(text)
    assert set(data) == {"title", "description", "program", "inputs"}
    assert f"--level {level} --seed 3" in data["title"]
    assert quiz_text("--level", level, "--seed", "3") == text  # same seed, same file
    assert len({quiz_text("--level", level, "--seed", str(seed)) for seed in SEEDS}) > 3
    for value in data["inputs"].values():  # small readable values
        flat = str(value).replace("[", "").replace("]", "").split(",")
        assert all(re.fullmatch(r"-?[1-5]", item.strip()) for item in flat)


def _gates(text: str) -> set[str]:
    return set(compile_program(tomllib.loads(text)["program"]).gates) - {"input", "const"}


def test_each_level_is_its_family() -> None:
    one = set().union(*(_gates(quiz_text("--seed", str(s))) for s in SEEDS))
    assert one <= {"add", "sub", "mul"} and "mul" in one
    two = [quiz_text("--level", "2", "--seed", str(s)) for s in SEEDS]
    assert all("sigmoid" in _gates(text) and "mul" in _gates(text) for text in two)
    assert {"add", "max"} <= set().union(*(_gates(text) for text in two))  # both routers
    assert any(text.count("x0") == 3 for text in two)  # x0 used twice (fan-out), and inputs
    three = [_gates(quiz_text("--level", "3", "--seed", str(s))) for s in SEEDS]
    assert all({"matmul", "relu"} <= gates for gates in three)


def test_output_file_and_check_grades_it_with_hints(tmp_path: Path) -> None:
    path = tmp_path / "q.toml"
    result = invoke("quiz", "--seed", "5", "-o", str(path))
    assert result.exit_code == 0 and f"wrote {path}" in result.stdout
    text = path.read_text()
    assert text == quiz_text("--seed", "5")
    answers = level_1_answers(text)
    right = invoke("check", str(path), *(f"--expect={k}={v}" for k, v in answers.items()))
    assert right.exit_code == 0, right.stdout + right.stderr
    assert right.stdout.splitlines()[-1] == "4 answers: 4 right, 0 wrong"
    flipped = invoke("check", str(path), "--expect", f"df/dq={-answers['df/dq']}")
    assert flipped.exit_code == 1 and "hint: the sign is flipped" in flipped.stdout


def test_bad_options_exit_2() -> None:
    assert invoke("quiz", "--level", "4").exit_code == 2
    assert invoke("quiz", "--seed", "-1").exit_code == 2


def test_in_a_terminal_it_asks_each_gradient_and_keeps_score() -> None:
    """Through a real pseudo-terminal: one right answer, one with the sign flipped, one
    unreadable (asked again) then right, then q."""
    answers = level_1_answers(quiz_text("--seed", "5"))
    replies = [str(answers["df/dq"]), str(-answers["df/dz"]), "two", str(answers["df/dx"]),
               "q"]
    prompts = ["df/dq = ", "df/dz = ", "df/dx = ", "df/dx = ", "df/dy = "]
    transcript = _session(["quiz", "--seed", "5"], replies, prompts)
    assert "q = x" in transcript and "inputs: x = " in transcript
    lines = [line.strip() for line in transcript.splitlines()]
    verdicts = [line for line in lines if line.startswith(("right", "wrong", "cannot"))]
    assert verdicts == ["right", "wrong (hint: the sign is flipped)",
                        "cannot read that: expected a constant, found the name 'two'", "right"]
    assert lines[-1] == "score: 2 of 4 right (1 not answered)"


def test_in_a_terminal_end_of_input_ends_with_the_score() -> None:
    master, slave = os.openpty()
    done = subprocess.run([sys.executable, "-m", "backprop_cli", "quiz", "--level", "3",
                           "--seed", "2"], stdin=subprocess.DEVNULL, stdout=slave,
                          stderr=slave, timeout=60)
    os.close(slave)
    output = drain(master)
    os.close(master)
    assert done.returncode == 0
    assert output.startswith("title = ")  # stdin is not a terminal: the problem only


def _session(args: list[str], replies: list[str], prompts: list[str]) -> str:
    process, master, slave = spawn(*args)
    os.close(slave)
    seen = ""
    try:
        for prompt, reply in zip(prompts, replies, strict=True):
            seen = read_until(master, prompt, seen)
            seen = seen.replace(prompt, prompt.rstrip() + "\x00", 1)  # each prompt once
            os.write(master, f"{reply}\n".encode())
        seen = read_until(master, "score:", seen)
        assert process.wait(timeout=30) == 0
        seen += drain(master)
    finally:
        os.close(master)
    return seen.replace("\x00", " ")
