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
  autograde replaying the worker's notebook into the gradebook, the files).

The target is a Dask overhead (scheduler + database) per submission under
10% of the local pool's wall seconds per submission. On one machine the
client and the workers share the cores, so the cluster's wall time also pays
for the client's recording; on a real cluster the client has its own machine.
Finally it projects 100 workers from the measured worker and client seconds.
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
from autograder.grading.batch import grade_class
from autograder.grading.options import GradingOptions
from autograder.sandbox.trusted import course_seed
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
        "database": statistics.mean(t["record_seconds"] for t in timings),
    }


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
            overhead = cost["scheduler"] + cost["database"]
            print(_line(f"Dask, {workers} worker{'s' if workers > 1 else ''}", wall, n,
                        f"  (worker {cost['worker']:.2f} s, scheduler {cost['scheduler']:.3f} s, "
                        f"database {cost['database']:.3f} s per submission, "
                        f"{cost['setup']:.1f} s once per worker; overhead "
                        f"{overhead / per_local:.1%} of the local pool's {per_local:.2f} s)"))
            same = [r.to_dict() for r in report.results] == [r.to_dict() for r in local.results]
            print(f"{'':24s} same gradebook as the local pool (scores, tests, flags): {same}")

        cost = measured["dask2"]
        client = cost["database"] + cost["scheduler"]
        print(f"\nthe client's share per submission (2 workers): {client:.3f} s = {client / cost['worker']:.1%} "
              f"of a worker's {cost['worker']:.2f} s (recording {cost['database']:.3f} s, "
              f"submitting and fetching {cost['scheduler']:.3f} s)")
        print(f"projection for 100 workers (from the 2-worker run): workers alone "
              f"{100 * 3600 / cost['worker']:,.0f} submissions/hour; the client records at most "
              f"{3600 / client:,.0f}/hour ({client:.3f} s each), so it is the bottleneck beyond "
              f"{cost['worker'] / client:.0f} workers")


if __name__ == "__main__":
    main()
