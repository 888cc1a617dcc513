"""Coverage-guided fuzzing with atheris of everything that reads text: the tokenizer,
parser and graph builder (subscripts, ``@``, ``.T`` included), constant and array values
(``backprop_cli.inputs.values``), both engines on small graphs, and the drawing renderers.

    pip install atheris
    python fuzz/fuzz_parser.py -max_total_time=300 fuzz/corpus

The target is ``fuzz_targets.run_bytes``. Any exception other than BackpropError is a crash;
each crash found becomes a regression case in tests/test_fuzz_regressions.py (save the
input in fuzz/corpus/ too: the tests replay that directory).
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports():
    import fuzz_targets


def main() -> None:
    atheris.Setup(sys.argv, fuzz_targets.run_bytes)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
