"""Time gallery builds side by side and print ratios (run with the project's venv).

Scenarios, each on a copy of docs/ in a temporary directory:
  cold         empty output: every diagram is rendered by Graphviz
  cached       fresh environment (-E) but the _images cache kept: no Graphviz runs
  incremental  nothing changed: Sphinx reads and writes nothing
  cold -j 2    like cold, with two worker processes

Figures are medians of --repeat runs; compare ratios from one run, not seconds
across machines.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def sphinx(src: Path, out: Path, *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", *extra, str(src), str(out)], check=True)
    return time.perf_counter() - start


def scenario_times(work: Path) -> dict[str, float]:
    src = work / "docs"
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns("_build"))
    out, out_j = work / "out", work / "out-j"
    times = {"cold": sphinx(src, out)}
    times["cached"] = sphinx(src, out, "-E")
    times["incremental"] = sphinx(src, out)
    times["cold -j 2"] = sphinx(src, out_j, "-j", "2")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            for name, seconds in scenario_times(Path(tmp)).items():
                runs.setdefault(name, []).append(seconds)
    cold = statistics.median(runs["cold"])
    print(f"{'scenario':<12} {'median s':>9} {'vs cold':>8}")
    for name, values in runs.items():
        median = statistics.median(values)
        print(f"{name:<12} {median:9.2f} {median / cold:8.2f}")


if __name__ == "__main__":
    main()
