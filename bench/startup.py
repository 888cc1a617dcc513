"""Start-up as a user meets it: a plain ``backprop eval`` from a real install (``pip install .``,
which writes the ``.pyc`` files) against ``python -c "import click, rich.console"`` in the same
environment, run in interleaved rounds, medians of CPU time (user + sys of each child).

An editable install is not what users run, and on a machine that sets
``PYTHONDONTWRITEBYTECODE=1`` it recompiles every module of the package from source at every
run (~120 modules), so its start-up says little about the tool's own.

    python bench/startup.py                      # a fresh venv in a temporary folder
    python bench/startup.py --venv /tmp/v        # reuse (or create once) the venv at /tmp/v
    python bench/startup.py --venv /tmp/v --reinstall --runs 41 --importtime 15
    python bench/startup.py --venv /tmp/main --checkout ../main     # the same for main
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from procs import measure

CHECKOUT = Path(__file__).resolve().parent.parent
JOB = ["eval", "(x+y)*z", "x=-2", "y=5", "z=-4"]
REFERENCE = ["-c", "import click, rich.console"]


def install(venv: Path, fresh: bool, checkout: Path) -> None:
    """Create ``venv`` if needed and install ``checkout`` into it (not editable)."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        fresh = True
    if fresh:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--force-reinstall",
                        "--no-cache-dir", str(checkout)], check=True)


def jobs(venv: Path) -> dict[str, list[str]]:
    """Label -> command, both from ``venv``."""
    return {"backprop eval \"(x+y)*z\" x=-2 y=5 z=-4": [str(venv / "bin" / "backprop"), *JOB],
            "python -c \"import click, rich.console\"": [str(venv / "bin" / "python"),
                                                          *REFERENCE]}


def rounds(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """CPU seconds of each command over ``runs`` interleaved rounds (one warm-up round)."""
    cpu: dict[str, list[float]] = {label: [] for label in commands}
    for index in range(runs + 1):
        for label, command in commands.items():
            done = measure(command)
            if done.code != 0:
                raise SystemExit(f"{label}: exit code {done.code}: {done.stderr[-300:]}")
            if index:
                cpu[label].append(done.cpu)
    return cpu


def import_times(venv: Path, top: int) -> list[tuple[int, int, str]]:
    """The ``top`` slowest modules of the eval by self time: (self us, cumulative us, name)."""
    done = subprocess.run([str(venv / "bin" / "python"), "-X", "importtime",
                           str(venv / "bin" / "backprop"), *JOB],
                          capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "[us]" not in line:
            own, total, name = line[len("import time:"):].split("|", 2)
            rows.append((int(own), int(total), name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, help="venv to use (created and filled if absent)")
    parser.add_argument("--reinstall", action="store_true",
                        help="reinstall the checkout into --venv first")
    parser.add_argument("--checkout", type=Path, default=CHECKOUT,
                        help="source tree to install (default: this one), e.g. to compare main")
    parser.add_argument("--runs", type=int, default=31, help="interleaved rounds (default 31)")
    parser.add_argument("--importtime", type=int, default=0, metavar="N",
                        help="also list the N slowest imports of the eval")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="startup-") as tmp:
        venv = args.venv or Path(tmp) / "venv"
        install(venv, args.reinstall, args.checkout)
        cpu = rounds(jobs(venv), args.runs)
        medians = {label: statistics.median(times) * 1000 for label, times in cpu.items()}
        for label, median in medians.items():
            print(f"{median:7.1f} ms  {label}")
        tool, reference = medians.values()
        print(f"ratio {tool / reference:.2f}x  (median CPU, {args.runs} interleaved rounds)")
        for own, total, name in import_times(venv, args.importtime) if args.importtime else []:
            print(f"{own / 1000:7.1f} ms self {total / 1000:7.1f} ms cumulative  {name}")


if __name__ == "__main__":
    main()
