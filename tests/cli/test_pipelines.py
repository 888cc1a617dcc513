"""The installed command in real shell pipelines: pipes, head, $(...), stdin, Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="needs bash for the pipelines")


def shell(script: str, stdin: str | None = None,
          timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a bash script with the environment's ``backprop`` first on PATH."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run([BASH or "bash", "-c", script], input=stdin, capture_output=True,
                          text=True, env=env, timeout=timeout)


def test_installed_command_is_this_environments() -> None:
    assert (BIN / "backprop").exists()


def test_json_into_python() -> None:
    done = shell("""backprop eval "(x+y)*z" x=-2 y=5 z=-4 --format json | """
                 f"""{sys.executable} -c 'import json,sys; d=json.load(sys.stdin); """
                 """print(d["gradients"]["x"], d["value"])'""")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "-4.0 -12.0\n"


def test_get_inside_command_substitution() -> None:
    done = shell("""g=$(backprop eval "(x+y)*z" x=-2 y=5 z=-4 --get grad.x) && """
                 """v=$(backprop eval circuits/sigmoid-neuron.toml --get node.s3.value) && """
                 """echo "[$g] [$v]" """)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[-4] [1]\n"


def test_get_error_inside_command_substitution_keeps_stdout_empty() -> None:
    done = shell("""g=$(backprop eval "(x+y)*z" x=-2 y=5 z=-4 --get grad.w); """
                 """echo "status $? [$g]" """)
    assert done.stdout == "status 2 []\n"
    assert done.stderr.startswith("error: no node named 'w'")


@pytest.mark.parametrize("args", [
    "eval /dev/stdin x=1 --full",
    "eval /dev/stdin x=1 --format json",
    "eval /dev/stdin x=1 --format csv",
    "eval /dev/stdin x=1 --format jsonl",
    "eval /dev/stdin x=1 --format markdown --full",
    "eval /dev/stdin x=1 --format table --full",
])
def test_head_closes_the_pipe_quietly(args: str, tmp_path: Path) -> None:
    program = tmp_path / "long.bp"
    lines = 300 if "table" in args else 1000  # rich is slow on huge tables; 300 is > 64 KB
    program.write_text("c = x\n" + "c = tanh(c * 1.01 + 0.1)\n" * lines)
    done = shell(f"backprop {args.replace('/dev/stdin', str(program))} | head -1; "
                 "echo \"status ${PIPESTATUS[0]}\"")
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and lines[1] == "status 0"


def write_rows(path: Path, rows: int) -> None:
    with path.open("w") as out:
        out.write("w0,x0,w1,x1,w2\n")
        out.writelines(f"{i % 7 - 3},{i % 5 - 2},{i % 3 - 1},0.5,{i % 11 / 4}\n"
                       for i in range(rows))


def test_rows_into_head_and_from_a_pipe(tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    write_rows(rows, 100_000)
    done = shell(f"backprop eval sigmoid-neuron --rows {rows} | head -3; "
                 "echo \"status ${PIPESTATUS[0]}\"")
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0].startswith("w0,x0,w1,x1,w2,f,grad.w0") and lines[-1] == "status 0"
    assert lines[1].startswith("-3,-2,-1,0.5,0.0,")  # inputs as written
    done = shell(f"cat {rows} | backprop eval sigmoid-neuron --rows - --format jsonl | "
                 "tail -1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('{"w0": ') and '"error": null}' in done.stdout


def test_rows_from_stdin_match_eval() -> None:
    done = shell("printf 'x,y,z\\n-2,5,-4\\n3,-1,2\\n' | "
                 "backprop eval circuits/simple-circuit.toml --rows - | cut -d, -f4-7")
    assert done.returncode == 0, done.stderr
    # the lecture: f = -12 with gradients -4, -4, 3; practice: f = 4 with 2, 2, 2
    assert done.stdout == "f,grad.x,grad.y,grad.z\n-12,-4,-4,3\n4,2,2,2\n"


def test_program_from_stdin() -> None:
    done = shell("echo 'q = x + y; f = q * z' | backprop eval - x=-2 y=5 z=-4 --get grad.z")
    assert done.stdout == "3\n"


def test_ctrl_c_exits_130_without_a_traceback(tmp_path: Path) -> None:
    """SIGINT while rows stream in from a pipe that stays open (a long run)."""
    output = tmp_path / "out.csv"
    with output.open("wb") as sink:
        process = subprocess.Popen([str(BIN / "backprop"), "eval", "sigmoid-neuron", "--rows",
                                    "-"], stdin=subprocess.PIPE, stdout=sink,
                                   stderr=subprocess.PIPE)
        assert process.stdin is not None
        process.stdin.write(b"w0,x0,w1,x1,w2\n" + b"1,2,3,4,5\n" * 70_000)
        process.stdin.flush()
        deadline = time.monotonic() + 60
        while output.stat().st_size < 1_000_000 and time.monotonic() < deadline:
            time.sleep(0.1)  # rows are being evaluated and written
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted" in stderr.decode() and "Traceback" not in stderr.decode()
    assert output.read_text().startswith("w0,x0,w1,x1,w2,f,")


def test_ctrl_c_while_blocked_on_a_full_pipe() -> None:
    """Nobody reads stdout: the write blocks; Ctrl-C must still end the process (130)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    process = subprocess.Popen([str(BIN / "backprop"), "eval", "sigmoid-neuron", "--rows", "-"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=env)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"w0,x0,w1,x1,w2\n" + b"1,2,3,4,5\n" * 3000)  # fits in a pipe
    process.stdin.close()  # ~400 KB of output will not
    time.sleep(2)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 130
    process.stdout.close()


def test_ctrl_c_while_waiting_for_a_program_on_stdin() -> None:
    process = subprocess.Popen([str(BIN / "backprop"), "eval", "-", "x=1"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and stdout == b""
    assert b"Traceback" not in stderr and b"Aborted" not in stderr


@pytest.mark.parametrize("shell_name", ["bash", "zsh", "fish"])
def test_completion_scripts_are_produced(shell_name: str) -> None:
    done = shell(f"_BACKPROP_COMPLETE={shell_name}_source backprop")
    assert done.returncode == 0
    assert "_BACKPROP_COMPLETE" in done.stdout and "backprop" in done.stdout
    same = shell(f"backprop completion {shell_name}")
    assert same.stdout == done.stdout


def test_bash_completion_offers_commands_options_and_circuits() -> None:
    done = shell("COMP_WORDS='backprop eval --for' COMP_CWORD=2 "
                 "_BACKPROP_COMPLETE=bash_complete backprop")
    assert "plain,--format" in done.stdout.splitlines()
    done = shell("COMP_WORDS='backprop eval sigmoid' COMP_CWORD=2 "
                 "_BACKPROP_COMPLETE=bash_complete backprop")
    assert "plain,sigmoid-neuron-grouped" in done.stdout.splitlines()
    done = shell("source <(backprop completion bash) && COMP_WORDS=(backprop ev) COMP_CWORD=1 "
                 "&& _backprop_completion backprop && echo \"${COMPREPLY[@]}\"")
    assert done.stdout.strip() == "eval"


@pytest.mark.parametrize(("data", "message"), [
    (b"", "standard input is empty"),
    (b"\xef\xbb\xbfx * 2\n", None),
    (b"x \xff 2\n", "standard input is not valid UTF-8"),
    (b"x *\x00 2\n", "error: "),
])
def test_program_bytes_on_stdin(data: bytes, message: str | None) -> None:
    done = subprocess.run([str(BIN / "backprop"), "eval", "-", "x=3", "--get", "value"],
                          input=data, capture_output=True, timeout=60)
    if message is None:
        assert done.returncode == 0 and done.stdout == b"6\n"
    else:
        assert done.returncode == 2 and message.encode() in done.stderr
        assert b"Traceback" not in done.stderr
