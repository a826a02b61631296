"""Where the submissions of a batch are graded: one interface, two engines.

:class:`GradingExecutor` is what :func:`autograder.grading.batch.grade_class` talks
to. :class:`~autograder.grading.executor.LocalPool` grades in processes on
this machine (the default); :class:`~autograder.cluster.dask_executor.DaskCluster`
sends each submission to a Dask cluster's workers and records the results here.
Either way the gradebook, the autograded notebooks, the feedback and the
resume marker of a submission are the same.
"""

import multiprocessing
import os
from abc import ABC, abstractmethod
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from autograder.coursedir.nbgrader_api import GradingError
from autograder.grading import timings
from autograder.grading.autograde import autograde, generate_feedback
from autograder.grading.gradebook_db import share_engines_until_exit, shared_engines, when_unlocked
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
    def grade():
        autograde(root, assignment, student, engine, overrides)
        generate_feedback(root, assignment, student, overrides)

    with timings.collecting(student) as times:
        try:
            when_unlocked(grade)
            return None, times
        except GradingError as err:
            return err.reason, times
        except Exception as err:  # noqa: BLE001 - whatever one hand-in makes fail, the rest are graded
            return f"grading failed: {type(err).__name__}: {str(err)[:300]}", times


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
        """Yield ``(student, reason or None)`` for each student of ``batch``.

        A grading process that dies (a hand-in graded without the sandbox can
        kill it) breaks the whole pool: the students it left unfinished are
        graded again, each in a pool of its own, so that only the one whose
        grading kills its process again gets a failure.
        """
        sandboxed = batch.overrides.get("TrustedExecute", {}).get("sandbox", False)
        if len(batch.students) == 1 and sandboxed:
            # One sandboxed submission (a late one, a resubmission): grade it
            # here, without starting a process that would import nbgrader
            # again. (Unsandboxed, learner code could kill this process.)
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
        unfinished = yield from self._run(batch, batch.students, self.workers)
        for student in unfinished:
            again = yield from self._run(batch, [student], 1)
            for lost in again:
                yield lost, "its grading process died (killed, or out of memory) while grading this submission"

    def _run(self, batch, students, workers):
        """Grade ``students`` in one pool; returns those whose grading the death of a process cut short."""
        unfinished = []
        # spawn, not fork: a forked copy of a process that imported nbgrader,
        # SQLAlchemy and tornado inherits their threads' locks.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=share_engines_until_exit) as pool:
            futures = {pool.submit(_grade_one, str(batch.root), batch.assignment, student, batch.engine,
                                   batch.overrides): student
                       for student in students}
            for future in as_completed(futures):
                try:
                    reason, times = future.result()
                except BrokenProcessPool:
                    unfinished.append(futures[future])
                    continue
                self.timings.append(times)
                yield futures[future], reason
        return unfinished
