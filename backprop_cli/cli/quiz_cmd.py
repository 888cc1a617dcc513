"""``backprop quiz``: a practice circuit; in a terminal, asked gradient by gradient."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click

from ..analysis.answers import Problem, check_problem
from ..analysis.expectations import Tolerance
from ..analysis.quiz import LEVELS, Quiz, make_quiz
from ..errors import InputError

STOP = ("", "q", "quit")


@click.command("quiz")
@click.option("--level", type=click.IntRange(min(LEVELS), max(LEVELS)), default=1,
              show_default=True,
              help="1: the (x+y)*z family; 2: the sigmoid neuron with add/mul/max routers and "
                   "fan-out; 3: small vector circuits with a matrix product and relu.")
@click.option("--seed", type=click.IntRange(min=0), metavar="N",
              help="Draw this quiz (the same seed gives the same file); default: a new one.")
@click.option("-o", "--output", "path", metavar="FILE",
              help="Write the circuit file (no answers in it) instead of asking.")
def quiz_command(level: int, seed: int | None, path: str | None) -> None:
    """Practice: a circuit in the lecture's style, with small readable values.

    In a terminal, quiz shows the circuit and asks for each gradient in backward order
    (df/dq, ..., the labels eval prints), says right or wrong with a hint at the likely
    mistake (never the number), and ends with a score. Piped, or with -o FILE, it writes
    the problem as a circuit file that holds no answers; grade answers to it with
    backprop check FILE --expect df/dx=... (hints included).

    \b
    Example:
      backprop quiz
      backprop quiz --level 2 --seed 7 -o neuron.toml
      backprop check neuron.toml --expect df/dw0=0.1 --expect df/dx0=-0.2
      backprop quiz --level 3 --seed 1 > vectors.toml
    """
    quiz = make_quiz(level, secrets.randbelow(10_000) if seed is None else seed)
    if path is not None:
        _write(quiz, path)
    elif sys.stdin.isatty() and sys.stdout.isatty():
        _ask(quiz)
    else:
        click.echo(quiz.text, nl=False)


def _write(quiz: Quiz, path: str) -> None:
    try:
        Path(path).write_text(quiz.text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write {path!r}: {error.strerror}") from None
    click.echo(f"wrote {path} (level {quiz.level}, seed {quiz.seed}); grade answers with: "
               f"backprop check {path} --expect {quiz.questions[-1]}=...")


def _ask(quiz: Quiz) -> None:
    """Each question in turn; right or wrong with the hint; the score at the end."""
    circuit = quiz.circuit()
    click.echo(f"{circuit.title}\n{circuit.description}\n")
    click.echo("\n".join(f"  {line}" for line in circuit.program.strip().splitlines()))
    click.echo("\ninputs: " + ", ".join(f"{name} = {_shown(value)}"
                                        for name, value in circuit.inputs.items()))
    click.echo("\nGive each gradient (a number, 1/4, or [1, 0] for a vector); an empty line "
               "or q stops.\n")
    right = asked = 0
    for question in quiz.questions:
        verdict = _answer(quiz, question)
        if verdict is None:
            break
        asked += 1
        right += verdict
    skipped = len(quiz.questions) - asked
    click.echo(f"\nscore: {right} of {len(quiz.questions)} right" +
               (f" ({skipped} not answered)" if skipped else ""))


def _answer(quiz: Quiz, question: str) -> bool | None:
    """Ask until the answer can be read; True right, False wrong, None to stop."""
    while True:
        click.echo(f"{question} = ", nl=False)
        line = sys.stdin.readline()
        if line.strip().lower() in STOP:
            if not line:
                click.echo()
            return None
        problem = Problem(name="quiz", circuit=quiz.circuit(),
                          expect=[(question, line.strip())])
        result = check_problem(problem, Tolerance())
        if result.error is not None:
            click.echo(f"  cannot read that: {result.error.message}")
            continue
        verdict = result.verdicts[0]
        hint = f" (hint: {verdict.hint.text})" if verdict.hint else ""
        click.echo("  right" if verdict.right else f"  wrong{hint}")
        return verdict.right


def _shown(value: object) -> str:
    return str(value).replace("'", "")
