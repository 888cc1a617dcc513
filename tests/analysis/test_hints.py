"""Hints on a wrong answer: each usual mistake named, no number given away.

Every expected number below is worked by hand from the lecture's circuits, never taken from
the tool: f = (x + y) * z at x=-2, y=5, z=-4 (q = x + y = 3, df/dx = df/dy = z = -4,
df/dz = q = 3; with upstream 2 every gradient doubles: -8, -8, 6) and the copy gate
f = 4x + 2x at x = 7 (branches 4 and 2, df/dx = 6).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from backprop_cli.analysis.hints import HINT_CLASSES

from conftest import invoke

SIMPLE = ("(x+y)*z", "x=-2", "y=5", "z=-4")

CASES = [
    # (circuit and options, answer, hint class, a fragment of the hint)
    (SIMPLE, "grad.z=-3", "sign", "the sign is flipped"),
    (SIMPLE, "df/dx=1", "local-only", "local gradient of t1 = x + y alone"),
    (SIMPLE, "edge.t1.x.downstream=1", "local-only", "upstream × local"),
    (("copy-gate",), "grad.x=4", "one-branch", "x is used 2 times"),
    (("copy-gate",), "grad.x=2", "one-branch", "the sum of the gradients of all its branches"),
    (SIMPLE, "grad.x=-2", "forward-value", "the forward value of x"),
    (SIMPLE, "grad.x=3", "other-input", "with respect to z, not x"),
    ((*SIMPLE, "--upstream", "2"), "grad.x=-4", "upstream-factor", "upstream"),
    ((*SIMPLE, "--upstream", "2"), "grad.z=12", "upstream-factor", "upstream"),
    (SIMPLE, "edge.f.z.local=-3", "sign", "sign"),  # f = q * z: d/dz is q = 3
    ((*SIMPLE, "--upstream", "2"), "edge.f.z.local=6", "upstream-factor", "downstream"),
]


@pytest.mark.parametrize(("args", "answer", "kind", "fragment"), CASES)
def test_each_mistake_is_named(args: tuple[str, ...], answer: str, kind: str,
                               fragment: str) -> None:
    result = invoke("check", *args, "--expect", answer)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("wrong") and lines[1].strip().startswith("hint: ")
    assert fragment in lines[1]
    document = json.loads(invoke("check", *args, "--expect", answer, "--format",
                                 "json").stdout)
    assert document["problems"][0]["answers"][0]["hint"]["class"] == kind


def test_every_hint_class_is_tested() -> None:
    assert {kind for _, _, kind, _ in CASES} == set(HINT_CLASSES)


def test_a_right_answer_and_an_unexplained_one_get_no_hint() -> None:
    result = invoke("check", *SIMPLE, "--expect", "grad.x=-4", "--expect", "grad.z=17",
                    "--format", "json")
    answers = json.loads(result.stdout)["problems"][0]["answers"]
    assert [a["hint"] for a in answers] == [None, None]
    assert "hint" not in invoke("check", *SIMPLE, "--expect", "grad.z=17").stdout


UPSTREAM_2 = ("grad.x=-4", "grad.z=-6", "grad.x=-2", "grad.x=6", "df/dx=1")  # -8, -8, 6


def test_hide_keeps_every_computed_number_out_hints_included() -> None:
    answers = [f"--expect={answer}" for answer in UPSTREAM_2]
    result = invoke("check", *SIMPLE, "--upstream", "2", *answers, "--hide")
    body = result.stdout.splitlines()[:-1]  # the last line counts the answers
    assert sum("hint:" in line for line in body) == len(UPSTREAM_2)
    numbers = re.compile(r"(?<![\w.])[-+]?\d+(\.\d+)?")
    assert [line for line in body if numbers.search(line)] == []
    document = json.loads(invoke("check", *SIMPLE, "--upstream", "2", *answers, "--hide",
                                 "--format", "json").stdout)
    kinds = []
    for answer in document["problems"][0]["answers"]:
        assert set(answer) == {"key", "right", "hint"}
        assert not numbers.search(answer["hint"]["text"])
        kinds.append(answer["hint"]["class"])
    assert kinds == ["upstream-factor", "sign", "forward-value", "other-input", "local-only"]


def test_a_hint_in_an_answers_file_and_in_a_table(tmp_path: Path) -> None:
    homework = tmp_path / "hw.toml"
    homework.write_text('[[problems]]\nname = "1"\ncircuit = "simple-circuit"\n'
                        '[problems.expect]\ngrad.z = -3\n')
    result = invoke("check", str(homework))
    assert result.exit_code == 1 and "    hint: the sign is flipped" in result.stdout
    csv = invoke("check", str(homework), "--format", "csv").stdout
    assert csv.splitlines()[0].endswith(",hint") and "the sign is flipped" in csv
