"""``backprop eval --steps --pause`` in a real pseudo-terminal: one key per step (space or
Enter: the next step; q: the rest at once), no Enter needed after a key, and the terminal
left as it was."""

from __future__ import annotations

import os
import termios

from terminal import drain, read_until, spawn

PROMPT = "q: show the rest]"


def test_one_key_per_step_and_q_shows_the_rest() -> None:
    process, master, slave = spawn("eval", "simple-circuit", "--steps", "--pause")
    before = termios.tcgetattr(slave)
    try:
        first = read_until(master, PROMPT, "")  # the child waits after each prompt
        forward = first.split("Backward pass, step by step")[0]
        assert "value" in forward and "gradient" not in forward  # values only
        assert "1. start at the output f = -12" in first and "2. " not in first
        os.write(master, b" ")  # a space alone, no Enter: a line read would wait here
        second = read_until(master, PROMPT, "")
        assert "2. mul q*z → q" in second and "3. " not in second
        os.write(master, b"\r")  # Enter
        third = read_until(master, PROMPT, "")
        assert "3. mul q*z → z" in third and "4. " not in third
        os.write(master, b"q")  # the rest, without stopping again
        rest = read_until(master, "Gradients of f", "")
        assert process.wait(timeout=30) == 0
        rest += drain(master)
        assert "4. add x+y → x" in rest and "6. done: df/dx = -4, df/dy = -4, df/dz = 3" in rest
        assert PROMPT not in rest
        after = termios.tcgetattr(slave)
    finally:
        os.close(master)
        os.close(slave)
    assert after[3] & (termios.ICANON | termios.ECHO) == before[3] & (termios.ICANON |
                                                                     termios.ECHO)
    assert after == before
