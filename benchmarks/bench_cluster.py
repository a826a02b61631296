"""Benchmark: the local pool against Dask clusters of 1 and 2 workers, on the same class, in one run.

``python -m benchmarks.bench_cluster [--students 40]`` (``make bench-cluster``)
builds a class of assignment 1 from the example submissions (cycled to the
requested size, as ``benchmarks.bench_grade`` does) in three course folders with one
hidden-test seed, and grades it with ``grade_class``:

1. the local pool, 2 worker processes;
2. a Dask cluster (``distributed.LocalCluster``: a real scheduler and worker
   processes on loopback) of 1 worker;
3. the same with 2 workers.

For each it prints submissions per hour and wall seconds per submission. For
the clusters it also prints, per submission:

* worker seconds: time a worker spent grading it (scratch course, sandbox,
  tests, feedback page);
* scheduler overhead: the time a worker sat idle between finishing one
  submission and starting its next (the scheduler's round trip, the task's
  data on the wire), plus the client's time submitting the task and fetching
  its result;
* database overhead: the client's time recording the result (nbgrader's
  autograde replaying the worker's notebook into the gradebook, the files),
  in the recording process that did, divided by the number of processes
  recording side by side.

The target is a Dask overhead (scheduler + database) per submission under
10% of the local pool's wall seconds per submission. On one machine the
client and the workers share the cores, so the cluster's wall time also pays
for the client's recording; on a real cluster the client has its own machine.
The client records every result itself (nbgrader's autograde bookkeeping,
the files), in several processes (:mod:`autograder.cluster.recorders`). How
many results a second it can record is measured on its own, with no worker
sharing the cores: the local pool's 40 results, as a worker would send them,
recorded into a new course by 1 process, then into another by 2 (and by one
per core, where there are more, and by as many as grade used); the first result of each process, which
warms it, is not timed. A client saturates when its workers bring
results faster than that: beyond (worker seconds per submission) x (results
recorded per second) workers. Finally it projects 100 workers from the
measured worker and client seconds.
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from distributed import Client, LocalCluster

from autograder.cluster.dask_executor import DaskCluster
from autograder.cluster.recorders import Recorders
from autograder.cluster.scratch_course import GradedSubmission, graded_files, read_tree, tree_digest
from autograder.grading.batch import grade_class
from autograder.grading.options import GradingOptions
from autograder.sandbox.trusted import course_seed
from autograder.settings import db_url
from benchmarks.bench_grade import ASSIGNMENT, _class


def _idle_gaps(timings, started):
    """Seconds each worker sat idle before each submission it graded, as (first of its worker?, seconds).

    A worker's first gap runs from the batch's start and includes building
    its scratch course (one release); the others are the scheduler's round trip.
    """
    gaps, by_worker = [], {}
    for t in sorted(timings, key=lambda t: t["worker_started"]):
        by_worker.setdefault(t["worker"], []).append(t)
    for runs in by_worker.values():
        free_since = started
        for i, t in enumerate(runs):
            gaps.append((i == 0, max(0.0, t["worker_started"] - free_since)))
            free_since = t["worker_started"] + t["worker_seconds"]
    return gaps


def _grade_on_cluster(root, n_workers, n):
    # Real processes: a scheduler and n single-threaded workers, as `dask worker` would run.
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        executor = DaskCluster(cluster.scheduler_address)
        try:
            with Client(cluster.scheduler_address, set_as_default=False) as waiting:
                waiting.wait_for_workers(n_workers, timeout=120)
            started_epoch, began = time.time(), time.perf_counter()
            report = grade_class(root, ASSIGNMENT, options=GradingOptions(progress=False), executor=executor)
            wall = time.perf_counter() - began
        finally:
            executor.close()
    assert not report.errors, report.errors
    timings = executor.timings
    gaps = _idle_gaps(timings, started_epoch)
    return report, wall, {
        "worker": statistics.mean(t["worker_seconds"] for t in timings),
        "setup": statistics.mean(g for first, g in gaps if first),
        # Round trips between tasks, and the client's own submit/fetch time.
        "scheduler": (sum(g for first, g in gaps if not first) + sum(t["transfer_seconds"] for t in timings)) / n,
        # Each recording process's own time; they record side by side.
        "recording": statistics.mean(t["record_seconds"] for t in timings),
        "recorders": executor.recorders_for(n),
    }


def _as_sent_by_a_worker(root, student):
    """What a worker would have sent for ``student``'s submission, from the course at ``root`` that graded it."""
    submitted = read_tree(Path(root) / "submitted" / student / ASSIGNMENT)
    return GradedSubmission(student, tree_digest(submitted), *graded_files(root, ASSIGNMENT, student))


def _recording_rate(root, graded, processes):
    """Results recorded per second by ``processes`` processes into a new course at ``root``.

    The course has the class's submissions and an empty gradebook, as a batch
    finds it: every result adds its rows. The processes are started and warm
    before the clock runs, as in a batch they are while the workers grade.
    """
    _class(root, len(graded))
    overrides = {"CourseDirectory": {"db_url": db_url(root)}}
    with Recorders(processes) as recorders:
        for handed in [recorders.submit(root, ASSIGNMENT, g, overrides) for g in graded[:processes]]:
            recorders.result(handed)
        rest = graded[processes:]
        began = time.perf_counter()
        outcomes = [recorders.result(handed) for handed in [recorders.submit(root, ASSIGNMENT, g, overrides)
                                                            for g in rest]]
        wall = time.perf_counter() - began
    failed = [(o.student, o.reason) for o in outcomes if o.reason]
    assert not failed, failed
    return len(rest) / wall


def _processes(k):
    return f"{k} recording process{'es' if k > 1 else ''}"


def _line(label, wall, n, extra=""):
    return f"{label:24s} {n * 3600 / wall:7.0f} submissions/hour  {wall / n:5.2f} s per submission{extra}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    args = parser.parse_args(argv)
    n = args.students
    with tempfile.TemporaryDirectory(prefix="nn-bench-cluster-") as tmp:
        roots = {name: Path(tmp) / name for name in ("local", "dask1", "dask2")}
        _class(roots["local"], n)
        course_seed(roots["local"])  # one hidden-test seed for all three
        for name in ("dask1", "dask2"):
            _class(roots[name], n)
            shutil.copyfile(roots["local"] / ".grading-seed", roots[name] / ".grading-seed")
        print(f"{n} submissions of {ASSIGNMENT}, {os.cpu_count()} cores, SQLite gradebook")

        began = time.perf_counter()
        local = grade_class(roots["local"], ASSIGNMENT, options=GradingOptions(workers=2, progress=False))
        local_wall = time.perf_counter() - began
        assert not local.errors, local.errors
        print(_line("local pool, 2 workers", local_wall, n))
        per_local = local_wall / n

        measured = {}
        for name, workers in (("dask1", 1), ("dask2", 2)):
            report, wall, cost = _grade_on_cluster(roots[name], workers, n)
            measured[name] = cost
            database = cost["recording"] / cost["recorders"]
            overhead = cost["scheduler"] + database
            print(_line(f"Dask, {workers} worker{'s' if workers > 1 else ''}", wall, n,
                        f"  (worker {cost['worker']:.2f} s, scheduler {cost['scheduler']:.3f} s, "
                        f"database {database:.3f} s per submission: {cost['recording']:.3f} s in each of "
                        f"{cost['recorders']} recording process{'es' if cost['recorders'] > 1 else ''}; "
                        f"{cost['setup']:.1f} s once per worker; overhead "
                        f"{overhead / per_local:.1%} of the local pool's {per_local:.2f} s)"))
            same = [r.to_dict() for r in report.results] == [r.to_dict() for r in local.results]
            print(f"{'':24s} same gradebook as the local pool (scores, tests, flags): {same}")

        cost = measured["dask2"]
        # The client's recording on its own: the workers are gone, the cores are the client's.
        graded = [_as_sent_by_a_worker(roots["local"], r.student) for r in local.results]
        default = cost["recorders"]  # what grade used in the 2-worker run
        counts = sorted({1, 2, default, os.cpu_count() or 1})
        rates = {k: _recording_rate(Path(tmp) / f"recorded-by-{k}", graded, k) for k in counts}
        print(f"\nrecording alone, {n} results into a new course: " + ", ".join(
            f"{_processes(k)} {rates[k]:.2f}/s ({rates[k] / rates[1]:.2f}x)" for k in counts)
            + f"; grade uses {default} here")

        def share(k):
            """The client's seconds per submission with ``k`` recording processes."""
            return cost["scheduler"] + 1 / rates[k]

        print(f"the client's share per submission (2-worker run, {_processes(default)}): "
              f"{share(default):.3f} s = {share(default) / cost['worker']:.1%} of a worker's "
              f"{cost['worker']:.2f} s (recording {1 / rates[default]:.3f} s, submitting and fetching "
              f"{cost['scheduler']:.3f} s); with 1 recording process {share(1):.3f} s")
        for k in counts:
            print(f"one client with {_processes(k)} keeps up with "
                  f"{cost['worker'] / share(k):.0f} workers ({3600 / share(k):,.0f} submissions/hour)")
        print(f"projection for 100 workers (from the 2-worker run): workers alone "
              f"{100 * 3600 / cost['worker']:,.0f} submissions/hour; the client ({_processes(default)}) "
              f"records at most {3600 / share(default):,.0f}/hour, so it is the bottleneck beyond "
              f"{cost['worker'] / share(default):.0f} workers")


if __name__ == "__main__":
    main()
