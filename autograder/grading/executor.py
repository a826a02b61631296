"""Where the submissions of a batch are graded: one interface, two engines.

:class:`GradingExecutor` is what :func:`autograder.grading.batch.grade_class` talks
to. :class:`~autograder.grading.executor.LocalPool` grades in processes on
this machine (the default); :class:`~autograder.cluster.dask_executor.DaskCluster`
sends each submission to a Dask cluster's workers and records the results here.
Either way the gradebook, the autograded notebooks, the feedback and the
resume marker of a submission are the same.
"""

import atexit
import contextlib
import multiprocessing
import os
import time
from abc import ABC, abstractmethod
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

from autograder.coursedir.nbgrader_api import GradingError
from autograder.grading import timings
from autograder.grading.autograde import autograde, generate_feedback
from autograder.grading.gradebook_db import shared_engines
from autograder.sandbox.trusted import close_warm_sandboxes


@dataclass
class Batch:
    """What to grade: the submissions of one assignment in one course folder."""

    root: str
    """The course folder; ``submitted/<student>/<assignment>`` holds each submission."""
    assignment: str
    students: list
    """Students to grade; their submissions are already collected."""
    engine: str = "trusted"
    overrides: dict = field(default_factory=dict)
    """nbgrader configuration merged on top of the course's (limits, the gradebook URL)."""


class GradingExecutor(ABC):
    """Grades a :class:`Batch` and says, submission by submission, how it went."""

    @abstractmethod
    def grade(self, batch):
        """Grade every student of ``batch``, in any order.

        Yields
        ------
        (str, str or None)
            The student, and the reason their submission could not be graded
            (None once it is graded: gradebook, autograded files, feedback
            and resume marker written).
        """

    def close(self):
        """Release what the executor holds (processes, connections)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _grade_one(root, assignment, student, engine, overrides=None):
    """Autograde and write feedback for one student; runs in a worker process.

    Returns the reason it could not (or None), and where the time went
    (:class:`autograder.grading.timings.SubmissionTimes`). SQLite allows one
    writer at a time, so a busy gradebook is retried rather than reported.
    """
    with timings.collecting(student) as times:
        for attempt in range(5):
            try:
                autograde(root, assignment, student, engine, overrides)
                generate_feedback(root, assignment, student, overrides)
                return None, times
            except GradingError as err:
                if "database is locked" not in str(err) or attempt == 4:
                    return err.reason, times
                time.sleep(0.5 * (attempt + 1))


_KEPT = contextlib.ExitStack()
atexit.register(_KEPT.close)


def _start_worker():
    """Warm state a worker process keeps for all the submissions it grades: the gradebook's engine."""
    _KEPT.enter_context(shared_engines())


class LocalPool(GradingExecutor):
    """``workers`` processes on this machine (default: one per core), each grading one submission at a time.

    Each process runs nbgrader's ``autograde`` and ``generate_feedback`` on the
    course folder itself, so it writes the gradebook and files directly.

    Attributes
    ----------
    timings : list of autograder.grading.timings.SubmissionTimes
        Where each graded submission's time went, in its worker.
    """

    def __init__(self, workers=None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.timings = []

    def grade(self, batch):
        if len(batch.students) == 1:
            # One submission (a late one, a resubmission): grade it here, without
            # starting a process that would import nbgrader again.
            (student,) = batch.students
            try:
                with shared_engines():
                    reason, times = _grade_one(str(batch.root), batch.assignment, student, batch.engine,
                                               batch.overrides)
            finally:
                close_warm_sandboxes()   # the one started ahead has no submission to grade
            self.timings.append(times)
            yield student, reason
            return
        # spawn, not fork: a forked copy of a process that imported nbgrader,
        # SQLAlchemy and tornado inherits their threads' locks.
        with ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_start_worker) as pool:
            futures = {pool.submit(_grade_one, str(batch.root), batch.assignment, student, batch.engine,
                                   batch.overrides): student
                       for student in batch.students}
            for future in as_completed(futures):
                reason, times = future.result()
                self.timings.append(times)
                yield futures[future], reason
