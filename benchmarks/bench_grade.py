"""Benchmark: this pipeline against plain nbgrader on the same class, in one run.

``python -m benchmarks.bench_grade [--students 40] [--workers N]`` (``make bench-grade``)
builds a class of assignment 1 from the example submissions (cycled to the
requested size), then times:

1. plain nbgrader: ``autograde`` of every student, one after the other, stock
   ``Execute`` in the learner's kernel, no sandbox, no feedback;
2. this pipeline: ``grade_class`` with ``--workers`` (sandbox, verdicts in the
   grader, feedback HTML, CSV and JSON included);
3. bare execution: the same notebooks, hidden tests in, run by nbclient alone
   (a sample of them), what a learner's own "Restart and run all" costs. The
   pipeline runs learner cells in a bare IPython shell (``autograder.sandbox.runner``),
   which saves the kernel's sockets and client, so its grading work is paid
   for partly out of that saving.

It prints the speed-up of 2 over 1 and the pipeline's overhead per submission
over bare execution (worker-seconds per submission / bare seconds - 1), and,
on Linux, the CPU time the whole machine spent per submission in 1 and 2: with
every core busy, a speed-up over a sequential run is bounded by
cores x (its CPU per submission / its wall time) / (ours per submission).
"""

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder.coursedir.release import release
from autograder.grading.autograde import autograde
from autograder.grading.batch import grade_class
from autograder.grading.options import GradingOptions
from autograder.grading.results import results
from autograder.settings import REPO_ROOT, SOURCE_DIR
from examples.example_class import build_submission, load_examples

ASSIGNMENT = "01_softmax_regression"


def _class(root, n):
    shutil.copytree(REPO_ROOT / SOURCE_DIR / ASSIGNMENT, root / SOURCE_DIR / ASSIGNMENT)
    release(root, [ASSIGNMENT])
    examples = [ex for ex in load_examples(ASSIGNMENT)]
    students = []
    for i in range(n):
        example = examples[i % len(examples)]
        build_submission(example, root)
        student = f"s{i:03d}_{example.student}"
        (root / "submitted" / example.student).rename(root / "submitted" / student)
        students.append(student)
    return students


@contextlib.contextmanager
def _without_kernel_tcp_warnings():
    """Stderr of the stock kernels started here, minus ipykernel's one-line TCP warning.

    Every stock kernel prints it once; forty of them would bury the results.
    Everything else they print is passed on.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            for line in captured.read().decode(errors="replace").splitlines(keepends=True):
                if "Kernel is running over TCP without encryption" not in line:
                    sys.stderr.write(line)


def _busy_cpu_seconds():
    """CPU-seconds the whole machine has spent busy since boot (Linux), or None."""
    try:
        fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]       # idle and iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def _cpu_line(label, busy_before, wall, n):
    busy_after = _busy_cpu_seconds()
    if busy_before is None or busy_after is None:
        return ""
    cpu = busy_after - busy_before
    return f"  {label}: {cpu / n:5.2f} CPU-seconds per submission, {cpu / wall:4.2f} cores busy on average"


def _bare_seconds(root, students, sample):
    """Median seconds to execute autograded notebooks (hidden tests in) with nbclient alone."""
    from nbclient import NotebookClient

    times = []
    for student in students[::max(1, len(students) // sample)][:sample]:
        path = next((root / "autograded" / student / ASSIGNMENT).glob("*.ipynb"))
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        started = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--bare-sample", type=int, default=8, help="notebooks timed for bare execution")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nn-bench-") as tmp:
        stock_root, ours_root = Path(tmp) / "stock", Path(tmp) / "ours"
        students = _class(stock_root, args.students)
        _class(ours_root, args.students)
        print(f"{args.students} submissions of {ASSIGNMENT}, {os.cpu_count()} cores")

        started, busy = time.perf_counter(), _busy_cpu_seconds()
        with _without_kernel_tcp_warnings():
            for student in students:
                autograde(stock_root, ASSIGNMENT, student, engine="nbgrader")
        stock = time.perf_counter() - started
        cpu_lines = [_cpu_line("plain nbgrader", busy, stock, args.students)]
        print(f"plain nbgrader, sequential:        {stock:7.1f} s  ({stock / args.students:5.2f} s per submission)")

        started, busy = time.perf_counter(), _busy_cpu_seconds()
        report = grade_class(ours_root, ASSIGNMENT, options=GradingOptions(workers=args.workers, progress=False))
        ours = time.perf_counter() - started
        cpu_lines.append(_cpu_line("this pipeline ", busy, ours, args.students))
        assert not report.errors, report.errors
        per_worker = ours * args.workers / args.students
        print(f"this pipeline, {args.workers} workers:          {ours:7.1f} s  ({ours / args.students:5.2f} s per "
              f"submission; {per_worker:5.2f} worker-seconds each)")

        with _without_kernel_tcp_warnings():
            bare = _bare_seconds(stock_root, students, args.bare_sample)
        print(f"bare execution (nbclient, median): {bare:7.2f} s per submission")
        speedup, overhead = stock / ours, per_worker / bare - 1
        print(f"\nspeed-up over plain nbgrader: {speedup:.2f}x (target >= 1.8x)")
        print(f"pipeline overhead per submission: {overhead:+.0%} of bare execution (target < 30%)")
        if all(cpu_lines):
            print("machine CPU time (all processes, kernels included):\n" + "\n".join(cpu_lines))
        same = ({r.student: r.score for r in results(stock_root, ASSIGNMENT)}
                == {r.student: r.score for r in report.results})
        print(f"same scores from both: {same}")


if __name__ == "__main__":
    main()
