"""Latency of the student pack's self-check (what Validate and ``check`` run) on finished notebooks.

For each assignment, the released notebook is filled with the reference
solution (a learner who finished) and checked 5 times, each in a new process,
as ``python -m autograder.learner check`` and the Validate button do (each
starts a Python, then a kernel). Prints each run and the median, per notebook.

    .venv/bin/python benchmarks/bench_check.py               # the pack's check (visible tests), from this repo
    .venv/bin/python benchmarks/bench_check.py --pack DIR    # an installed student pack's own CLI
    .venv/bin/python benchmarks/bench_check.py --pack OLD --pack NEW   # two packs, runs interleaved, with the ratio

Run it on an idle machine for the figure the course promises (under 3 s), and
under load to see how it degrades; the machine's load average is printed.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run as a script from the repository

from autograder.coursedir.release import strip_solution_markers  # noqa: E402
from autograder.settings import RELEASE_DIR, SOURCE_DIR  # noqa: E402

VISIBLE = "import sys; from autograder.learner.visible import check_notebook; check_notebook(sys.argv[1])"


def finished(release_path, folder):
    """The released notebook with the reference solution in every solution cell, written into ``folder``."""
    nb = nbformat.read(release_path, as_version=4)
    source = nbformat.read(REPO_ROOT / SOURCE_DIR / release_path.parent.name / release_path.name, as_version=4)
    reference = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            cell.source = strip_solution_markers(reference[meta["grade_id"]])
    target = Path(folder) / release_path.parent.name / release_path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pack", type=Path, action="append", default=[],
                        help="an unzipped, installed student pack: time its own CLI (twice: compare two packs, "
                             "their runs interleaved so that both see the same load)")
    args = parser.parse_args(argv)
    if args.pack:
        checkers = [(str(pack), [str(pack / ".venv" / "bin" / "python"), "-m", "autograder.learner", "check"], pack)
                    for pack in args.pack]
    else:
        checkers = [("this repository", [sys.executable, "-c", VISIBLE], REPO_ROOT)]
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        for release_path in sorted((REPO_ROOT / RELEASE_DIR).glob("*/*.ipynb")):
            notebook = finished(release_path, tmp)
            seconds, cpu = {name: [] for name, _, _ in checkers}, {name: [] for name, _, _ in checkers}
            for _ in range(args.runs):
                for name, command, cwd in checkers:
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    started = time.perf_counter()
                    done = subprocess.run(command + [str(notebook)], cwd=cwd, capture_output=True, text=True)
                    seconds[name].append(time.perf_counter() - started)
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                    # CPU of the check and its kernel: what the wall time tends to on an idle machine.
                    cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                    if done.returncode != 0:
                        sys.exit(f"the check failed on {notebook.name} ({name}):\n{done.stdout[-2000:]}\n"
                                 f"{done.stderr[-2000:]}")
            medians = {name: statistics.median(runs) for name, runs in seconds.items()}
            for name, runs in seconds.items():
                print(f"{notebook.name:28s} median {medians[name]:5.2f} s (CPU {statistics.median(cpu[name]):5.2f} s)"
                      "   runs: " + " ".join(f"{s:.2f}" for s in runs) + f"   {name}", flush=True)
            if len(checkers) > 1:
                first, *others = medians.values()
                print(f"{notebook.name:28s} median ratio, first pack / each other: "
                      + " ".join(f"{first / other:.2f}" for other in others), flush=True)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
