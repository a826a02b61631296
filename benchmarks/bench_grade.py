"""Benchmark: this pipeline against plain nbgrader on the same class, in one run.

``python -m benchmarks.bench_grade [--students 40] [--workers N]`` (``make bench-grade``)
builds a class of assignment 1 from the example submissions (cycled to the
requested size), then measures, one after the other on the same machine:

1. plain nbgrader: ``autograde`` of every student, one after the other, stock
   ``Execute`` in the learner's kernel, no sandbox, no feedback;
2. this pipeline: ``grade_class`` with ``--workers`` (sandbox, verdicts in the
   grader, feedback HTML, CSV and JSON, the canary and the release included),
   with the time breakdown of an average submission (:mod:`autograder.grading.timings`);
3. the fixed cost of a ``grade`` command: ``python -m autograder grade`` on the
   same class again, in a new process, with nothing to regrade;
4. a regrade: one student's submission changes and ``grade`` runs again; its
   wall time against that submission's own grading time in run 2;
5. bare execution: a sample of the notebooks, hidden tests in, run by nbclient
   alone (what a learner's own "Restart and run all" costs).

The machine may be shared: only ratios within one run mean anything, so it
prints the load average before and after, and the speed-up of 2 over 1.
"""

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder.coursedir.release import release
from autograder.grading import timings
from autograder.grading.autograde import autograde
from autograder.grading.batch import grade_class
from autograder.grading.executor import LocalPool
from autograder.grading.options import GradingOptions
from autograder.grading.results import results
from autograder.settings import REPO_ROOT, SOURCE_DIR
from examples.example_class import build_submission, load_examples

ASSIGNMENT = "01_softmax_regression"
TARGET_SPEEDUP = 2.5
TARGET_FIXED_SECONDS = 5.0
TARGET_REGRADE_RATIO = 2.0


def _class(root, n):
    """A course at ``root`` with ``n`` submissions of the examples, cycled; returns (students, example of each)."""
    shutil.copytree(REPO_ROOT / SOURCE_DIR / ASSIGNMENT, root / SOURCE_DIR / ASSIGNMENT)
    release(root, [ASSIGNMENT])
    examples = load_examples(ASSIGNMENT)
    students, example_of = [], {}
    for i in range(n):
        example = examples[i % len(examples)]
        build_submission(example, root)
        student = f"s{i:03d}_{example.student}"
        (root / "submitted" / example.student).rename(root / "submitted" / student)
        students.append(student)
        example_of[student] = example.student
    return students, example_of


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


def _own_cpu_seconds():
    """CPU-seconds of this process and of every child process it has waited for (kernels, pool workers).

    Unlike the wall time, this hardly depends on what else the machine runs.
    """
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _cpu_line(label, busy_before, wall, n):
    busy_after = _busy_cpu_seconds()
    if busy_before is None or busy_after is None:
        return ""
    cpu = busy_after - busy_before
    return f"  {label}: {cpu / n:5.2f} CPU-seconds per submission, {cpu / wall:4.2f} cores busy on average"


def _load():
    try:
        return "load average " + " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "load average unknown"


def _bare_seconds(root, students, sample):
    """Median seconds to execute autograded notebooks (hidden tests in) with nbclient alone."""
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


def breakdown_table(times):
    """The mean seconds per submission of each step of :data:`autograder.grading.timings.STEPS`, as text."""
    n = len(times)
    rows = [(step, sum(t.steps.get(step, 0.0) for t in times) / n) for step in timings.STEPS]
    total = sum(t.total for t in times) / n
    lines = [f"  {'step':28s} {'s/submission':>12s} {'share':>6s}"]
    lines += [f"  {step:28s} {seconds:12.3f} {seconds / total:6.1%}" for step, seconds in rows]
    lines.append(f"  {'total, in its worker':28s} {total:12.3f} {1:6.1%}")
    lines.append(f"  ({sum(t.bridge_round_trips for t in times) / n:.0f} bridge round trips per submission)")
    return "\n".join(lines)


def _score_comparison(stock, ours, example_of):
    """Whether both graders gave each submission the same score; where not, which example and why.

    They differ by design where the notebook's own test, run in the learner's
    kernel by plain nbgrader, judges what the grader does not (a function that
    writes into its argument: the grader passes copies, gives full marks and a
    note). Each example's docstring says what it does.
    """
    stock = {r.student: r.score for r in stock}
    differ = {}
    for r in ours:
        if stock.get(r.student) != r.score:
            differ.setdefault(example_of[r.student], set()).add((stock.get(r.student), r.score))
    if not differ:
        return "same scores from both: True"
    docs = {example.student: example.doc.splitlines()[0] for example in load_examples(ASSIGNMENT)}
    lines = [f"same scores from both, except the submissions of {len(differ)} example(s):"]
    for example, pairs in sorted(differ.items()):
        scores = ", ".join(f"plain nbgrader {a:g}, this pipeline {b:g}" for a, b in sorted(pairs))
        lines.append(f"  {example}: {scores} ({docs.get(example, '')})")
    return "\n".join(lines)


def _grade_command(root, workers):
    """Run ``python -m autograder grade`` on the bench's class in a new process; returns (seconds, output)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--root", str(root),
                           "--workers", str(workers)], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"grade failed:\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout + done.stderr


def _regraded(output):
    """The students a ``grade`` command's output lists as regraded (its "changed: WHY: a, b" lines)."""
    return {student for line in output.splitlines() if line.startswith("  changed: ")
            for student in line.rsplit(": ", 1)[1].split(", ")}


def _resubmit(root, student):
    """``student`` hands in again: the same notebook with one more markdown cell (new files, same work)."""
    path = next((root / "submitted" / student / ASSIGNMENT).glob("*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("Resubmitted after the deadline."))
    nbformat.write(nb, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40, help="submissions in the class (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--bare-sample", type=int, default=4, help="notebooks timed for bare execution")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nn-bench-") as tmp:
        stock_root, ours_root = Path(tmp) / "stock", Path(tmp) / "ours"
        students, example_of = _class(stock_root, args.students)
        _class(ours_root, args.students)
        print(f"{args.students} submissions of {ASSIGNMENT}, {os.cpu_count()} cores; {_load()} at the start")

        started, busy, own = time.perf_counter(), _busy_cpu_seconds(), _own_cpu_seconds()
        with _without_kernel_tcp_warnings():
            for student in students:
                autograde(stock_root, ASSIGNMENT, student, engine="nbgrader")
        stock = time.perf_counter() - started
        cpu_lines = [_cpu_line("plain nbgrader", busy, stock, args.students)]
        stock_cpu = _own_cpu_seconds() - own
        print(f"plain nbgrader, sequential:        {stock:7.1f} s  ({stock / args.students:5.2f} s per submission)")

        started, busy, own = time.perf_counter(), _busy_cpu_seconds(), _own_cpu_seconds()
        pool = LocalPool(args.workers)
        report = grade_class(ours_root, ASSIGNMENT, options=GradingOptions(workers=args.workers, progress=False),
                             executor=pool)
        ours = time.perf_counter() - started
        cpu_lines.append(_cpu_line("this pipeline ", busy, ours, args.students))
        ours_cpu = _own_cpu_seconds() - own
        assert not report.errors, report.errors
        per_worker = ours * args.workers / args.students
        print(f"this pipeline, {args.workers} workers:          {ours:7.1f} s  ({ours / args.students:5.2f} s per "
              f"submission; {per_worker:5.2f} worker-seconds each; canary and release included)")
        print("\nwhere an average submission's time goes, in its worker:")
        print(breakdown_table(pool.timings))

        fixed, output = _grade_command(ours_root, args.workers)
        if _regraded(output):
            raise SystemExit(f"a rerun with nothing changed regraded {sorted(_regraded(output))}:\n{output}")
        print(f"\nfixed cost of a grade command (new process, nothing to regrade): {fixed:5.1f} s "
              f"(target <= {TARGET_FIXED_SECONDS:g} s)")
        changed = students[0]
        own = statistics.median(t.total for t in pool.timings if example_of[t.student] == example_of[changed])
        _resubmit(ours_root, changed)
        regrade, output = _grade_command(ours_root, args.workers)
        if _regraded(output) != {changed}:
            raise SystemExit(f"the rerun after {changed} resubmitted regraded {sorted(_regraded(output))}, "
                             f"not {changed} alone:\n{output}")
        print(f"one resubmission regraded, end to end: {regrade:5.1f} s = {regrade / own:4.2f}x its own grading "
              f"time ({own:.1f} s; target <= {TARGET_REGRADE_RATIO:g}x)")

        with _without_kernel_tcp_warnings():
            bare = _bare_seconds(stock_root, students, args.bare_sample)
        print(f"bare execution (nbclient, median of {args.bare_sample}): {bare:7.2f} s per submission")
        speedup = stock / ours
        print(f"\nspeed-up over plain nbgrader: {speedup:.2f}x (target >= {TARGET_SPEEDUP:g}x)")
        print(f"pipeline worker-seconds per submission: {per_worker / bare:.2f}x bare execution")
        print(f"CPU-seconds per submission, this process and its children: plain nbgrader "
              f"{stock_cpu / args.students:.2f}, this pipeline {ours_cpu / args.students:.2f} (ratio "
              f"{stock_cpu / ours_cpu:.2f}; on {args.workers} idle cores the speed-up can reach about "
              f"{min(args.workers, os.cpu_count() or 1) * stock_cpu / ours_cpu:.2f}x)")
        if all(cpu_lines):
            print("machine CPU time (all processes, kernels included):\n" + "\n".join(cpu_lines))
        print(_score_comparison(results(stock_root, ASSIGNMENT), report.results, example_of))
        print(f"{_load()} at the end")


if __name__ == "__main__":
    main()
