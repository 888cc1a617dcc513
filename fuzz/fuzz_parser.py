"""Coverage-guided fuzzing of the parser and graph builder with atheris.

    pip install atheris
    python fuzz/fuzz_parser.py -max_total_time=300 fuzz/corpus

Any exception other than BackpropError is a crash; each crash found becomes a regression
case in tests/test_fuzz_regressions.py.
"""

from __future__ import annotations

import contextlib
import sys

import atheris

with atheris.instrument_imports():
    from backprop_cli.errors import BackpropError
    from backprop_cli.graph import build
    from backprop_cli.syntax import parse
    from backprop_cli.values import constant_value


def test_one_input(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))
    with contextlib.suppress(BackpropError):
        build(parse(text))
    with contextlib.suppress(BackpropError):
        constant_value(text)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
