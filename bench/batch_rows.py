"""Batch rows: the sigmoid neuron over many CSV rows, the tool against hand-written numpy.

    python bench/batch_rows.py                  # 10^6 rows, best of 3
    python bench/batch_rows.py --rows 100000 --repeat 1

Both sides read the same input file (header w0,x0,w1,x1,w2, random normal values written in
shortest round-trip form) and write the same content: the five inputs, f and the five
gradients, one line per row, every number round-trip exact.

- tool:      backprop eval circuits/sigmoid-neuron.toml --rows IN.csv > OUT.csv
             (the gate-by-gate circuit: 2 mul, 2 add, neg, exp, add, div; streamed in chunks)
- numpy-savetxt: np.loadtxt of the whole file, the neuron and its gradient written out by
             hand, np.savetxt(fmt="%.17g") -- the plain-numpy way
- numpy-repr: the same, written with repr per number and str.join (the fastest plain way
             we found to write exact floats from Python)

Each side runs as its own process; we report wall time and CPU time (user + system; the
machine may be shared, CPU time is the steadier number) and peak memory (max RSS). The
outputs are compared number by number.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CIRCUIT = ROOT / "circuits" / "sigmoid-neuron.toml"

# The hand-written numpy script, run as its own process: python -c BASELINE MODE IN OUT
BASELINE = r'''
import sys
import numpy as np

mode, source, target = sys.argv[1:4]
data = np.loadtxt(source, delimiter=",", skiprows=1, ndmin=2)
w0, x0, w1, x1, w2 = data.T
s3 = w0 * x0 + w1 * x1 + w2
f = 1.0 / (1.0 + np.exp(-s3))
ds3 = f * (1.0 - f)
table = np.column_stack([w0, x0, w1, x1, w2, f, ds3 * x0, ds3 * w0, ds3 * x1, ds3 * w1, ds3])
header = "w0,x0,w1,x1,w2,f,grad.w0,grad.x0,grad.w1,grad.x1,grad.w2"
if mode == "savetxt":
    np.savetxt(target, table, fmt="%.17g", delimiter=",", header=header, comments="")
else:
    with open(target, "w") as out:
        out.write(header + "\n")
        for start in range(0, len(table), 65536):
            block = table[start:start + 65536]
            cells = [list(map(repr, column.tolist())) for column in block.T]
            out.write("\n".join(map(",".join, zip(*cells, strict=True))) + "\n")
'''

# Runs a command and reports its wall time, CPU time and peak memory as JSON.
MEASURE = r'''
import json, resource, subprocess, sys, time
with open(sys.argv[1], "w") as out:
    start = time.perf_counter()
    done = subprocess.run(sys.argv[2:], stdout=out)
    wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": done.returncode, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss_mb": usage.ru_maxrss / 1024}))
'''


def make_rows(path: Path, rows: int, seed: int = 1) -> None:
    import numpy as np

    data = np.random.default_rng(seed).standard_normal((rows, 5))
    with path.open("w") as out:
        out.write("w0,x0,w1,x1,w2\n")
        for start in range(0, rows, 65536):
            cells = [list(map(repr, column.tolist())) for column in data[start:start + 65536].T]
            out.write("\n".join(map(",".join, zip(*cells, strict=True))) + "\n")


def measure(command: list[str], target: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", MEASURE, str(target), *command],
                          capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout)
    if result["code"] != 0:
        raise SystemExit(f"{command[0]} failed")
    return result


def backprop_command() -> str:
    found = Path(sys.executable).parent / "backprop"
    return str(found) if found.exists() else "backprop"


def compare(ours: Path, theirs: Path) -> float:
    """The largest relative difference between the two outputs' numbers."""
    import numpy as np

    a = np.loadtxt(ours, delimiter=",", skiprows=1, usecols=range(11), ndmin=2)
    b = np.loadtxt(theirs, delimiter=",", skiprows=1, ndmin=2)
    if a.shape != b.shape:
        raise SystemExit(f"different shapes {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        source = tmp / "rows.csv"
        make_rows(source, args.rows)
        sides = {
            "backprop --rows": [backprop_command(), "eval", str(CIRCUIT), "--rows", str(source)],
            "numpy-savetxt": [sys.executable, "-c", BASELINE, "savetxt", str(source),
                              str(tmp / "numpy-savetxt.csv")],
            "numpy-repr": [sys.executable, "-c", BASELINE, "repr", str(source),
                           str(tmp / "numpy-repr.csv")],
        }
        best: dict[str, dict[str, float]] = {}
        for _ in range(args.repeat):
            for name, command in sides.items():
                target = tmp / ("tool.csv" if name.startswith("backprop") else "stdout.txt")
                result = measure(command, target)
                if name not in best or result["cpu"] < best[name]["cpu"]:
                    best[name] = result
        difference = max(compare(tmp / "tool.csv", tmp / f"{name}.csv")
                         for name in ("numpy-savetxt", "numpy-repr"))
        size = source.stat().st_size / 1e6
        print(f"{args.rows:,} rows of the sigmoid neuron, CSV in ({size:.0f} MB) and CSV out, "
              f"best of {args.repeat} (cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.1f})")
        print(f"{'':18} {'wall s':>8} {'cpu s':>8} {'max RSS MB':>11}")
        for name, result in best.items():
            print(f"{name:18} {result['wall']:8.2f} {result['cpu']:8.2f} {result['rss_mb']:11.0f}")
        print(f"largest relative difference between the outputs: {difference:.1e}")


if __name__ == "__main__":
    main()
