"""Wall-clock time of "Restart and Run All" for each reference notebook in ``source/``.

Each run executes one notebook top to bottom with nbclient in a fresh kernel
(kernel start included), from the notebook's own folder, as a learner's Run-All
or the grader's execution does. Prints every run, the median per notebook, the
slowest cells of the median run, and the machine's load average before and after,
so that a figure measured on a busy machine can be told from an idle one. It also
prints the CPU seconds the kernel used (its process and children): with one BLAS
thread, as the notebooks set, that is close to what Run-All takes on an idle machine.

    .venv/bin/python benchmarks/bench_run_all.py                 # all notebooks, 3 runs each
    .venv/bin/python benchmarks/bench_run_all.py --runs 5 03     # only assignments whose folder starts with 03

The course promises under 20 s per notebook on an idle 2-core machine.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run as a script from the repository

from autograder.settings import SOURCE_DIR  # noqa: E402

TARGET_SECONDS = 20.0


def _cpu_seconds(pid):
    """User and system CPU time of process ``pid`` and of its children, in seconds."""
    process = psutil.Process(pid)
    total = sum(process.cpu_times()[:4])     # user, system, children's user, children's system
    return total + sum(sum(child.cpu_times()[:2]) for child in process.children(recursive=True))


def run_all(path):
    """Execute the notebook at ``path`` in a fresh kernel.

    Returns (wall seconds, kernel CPU seconds, [(seconds, cell index), ...]).
    """
    nb = nbformat.read(path, as_version=4)
    cell_seconds = []
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            cell_started = time.perf_counter()
            client.execute_cell(cell, index)
            cell_seconds.append((time.perf_counter() - cell_started, index))
        cpu = _cpu_seconds(client.km.provisioner.process.pid)
    return time.perf_counter() - started, cpu, cell_seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per notebook (the median is reported)")
    parser.add_argument("assignments", nargs="*", help="prefixes of assignment folders (default: all)")
    args = parser.parse_args(argv)
    paths = sorted((REPO_ROOT / SOURCE_DIR).glob("*/*.ipynb"))
    if args.assignments:
        paths = [p for p in paths if p.parent.name.startswith(tuple(args.assignments))]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    verdicts = []
    for path in paths:
        runs = [run_all(path) for _ in range(args.runs)]
        seconds = [total for total, _, _ in runs]
        median = statistics.median(seconds)
        cpu = statistics.median(cpu for _, cpu, _ in runs)
        _, _, cells = min(runs, key=lambda run: abs(run[0] - median))
        slowest = ", ".join(f"cell {i}: {s:.1f} s" for s, i in sorted(cells, reverse=True)[:5])
        print(f"{path.parent.name}: runs {' '.join(f'{s:.1f}' for s in seconds)} s; median {median:.1f} s "
              f"(target {TARGET_SECONDS:.0f} s); kernel CPU {cpu:.1f} s; slowest cells {slowest}", flush=True)
        verdicts.append(median < TARGET_SECONDS)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
