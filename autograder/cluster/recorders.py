"""Record a cluster's results on the client, in several processes at once.

Every result a worker sends back is written into the instructor's course by
the client (:func:`autograder.cluster.replay.record`): nbgrader's autograde
bookkeeping, about a third of a second of one core per submission. In one
process that bounds a batch at about 3 submissions a second, however many
workers grade, so :class:`Recorders` spreads it over processes of the
client's machine. The rows of different students do not touch; on SQLite the
processes take turns at the write lock (:func:`~autograder.grading.gradebook_db.when_unlocked`),
on a database server they write side by side.

A recording process runs no learner code. If one dies all the same (killed,
out of memory), what it held is recorded again in the client's own process:
recording a submission twice updates its rows rather than adding any.
"""

import multiprocessing
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Optional

from autograder.cluster.replay import record
from autograder.coursedir.nbgrader_api import GradingError
from autograder.grading.gradebook_db import share_engines_until_exit, shared_engines, when_unlocked


@dataclass(frozen=True)
class Recorded:
    """How recording one graded submission went."""

    student: str
    reason: Optional[str]
    """Why it could not be recorded; None once the gradebook and files are written."""
    seconds: float
    """Time spent recording it, in the process that did."""


def _record_one(root, assignment, graded, overrides):
    """Record ``graded`` (a :class:`~autograder.cluster.scratch_course.GradedSubmission`); never raises."""
    began = time.perf_counter()
    try:
        when_unlocked(lambda: record(root, assignment, graded, overrides))
        reason = None
    except GradingError as err:
        reason = err.reason
    except Exception as err:  # noqa: BLE001 (one result that cannot be recorded must not stop the others)
        reason = f"recording failed: {type(err).__name__}: {str(err)[:300]}"
    return Recorded(graded.student, reason, time.perf_counter() - began)


def _start_recording_process():
    """Each process's first step: naming it here imports this module, and with it nbgrader, at its start."""
    share_engines_until_exit()


def _ready():
    """Nothing: a task for each process, so that all of them start at once."""


class Recorders:
    """``processes`` processes of this machine recording graded submissions; 1 records in this process.

    Use it as a context manager: leaving it waits for what is being recorded.

    Parameters
    ----------
    processes : int
        How many submissions are recorded at once.

    Examples
    --------
    >>> with Recorders(2) as recorders:                                     # doctest: +SKIP
    ...     handed = recorders.submit(root, "01_softmax_regression", graded, overrides)
    ...     recorders.result(handed).reason is None
    True
    """

    def __init__(self, processes=1):
        if processes < 1:
            raise ValueError(f"recording needs at least 1 process, not {processes}")
        self.processes = processes
        self._pool = None
        self._here = None
        self._held = {}  # Future -> what it records, to record again here if its process dies
        if processes > 1:
            # spawn, not fork: the client has imported distributed and tornado,
            # whose threads' locks a forked copy would inherit.
            self._pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_recording_process)
            # Start every process now, while the workers grade the first submissions.
            for _ in range(processes):
                self._pool.submit(_ready)

    def submit(self, root, assignment, graded, overrides):
        """Start recording ``graded`` into the course at ``root``.

        Returns
        -------
        concurrent.futures.Future
            Pass it to :meth:`result`. Already done when recording runs in this process.
        """
        task = (str(root), assignment, graded, overrides)
        if self._pool is not None:
            try:
                handed = self._pool.submit(_record_one, *task)
            except BrokenProcessPool:
                self._stop_pool()  # what is left is recorded here
            else:
                self._held[handed] = task
                return handed
        handed = Future()
        handed.set_result(self._record_here(*task))
        return handed

    def result(self, handed):
        """The :class:`Recorded` of a future from :meth:`submit`, once it is done (it waits)."""
        task = self._held.pop(handed, None)
        try:
            return handed.result()
        except BrokenProcessPool:
            self._stop_pool()
            return self._record_here(*task)

    def _record_here(self, *task):
        if self._here is None:
            self._here = shared_engines()
            self._here.__enter__()
        return _record_one(*task)

    def _stop_pool(self, wait=False):
        if self._pool is not None:
            self._pool.shutdown(wait=wait)
            self._pool = None

    def close(self):
        """Wait for what is being recorded, then stop the processes."""
        self._stop_pool(wait=True)
        if self._here is not None:
            self._here.__exit__(None, None, None)
            self._here = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
