"""The local pool: grade submissions in processes on this machine."""

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

from autograder import timings
from autograder.autograde import autograde, generate_feedback
from autograder.executors import GradingExecutor
from autograder.nbgrader_api import GradingError


def _grade_one(root, assignment, student, engine, overrides=None):
    """Autograde and write feedback for one student; runs in a worker process.

    Returns the reason it could not (or None), and where the time went
    (:class:`autograder.timings.SubmissionTimes`). SQLite allows one writer
    at a time, so a busy gradebook is retried rather than reported.
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


class LocalPool(GradingExecutor):
    """``workers`` processes on this machine (default: one per core), each grading one submission at a time.

    Each process runs nbgrader's ``autograde`` and ``generate_feedback`` on the
    course folder itself, so it writes the gradebook and files directly.

    Attributes
    ----------
    timings : list of autograder.timings.SubmissionTimes
        Where each graded submission's time went, in its worker.
    """

    def __init__(self, workers=None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.timings = []

    def grade(self, batch):
        # spawn, not fork: a forked copy of a process that imported nbgrader,
        # SQLAlchemy and tornado inherits their threads' locks.
        with ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(_grade_one, str(batch.root), batch.assignment, student, batch.engine,
                                   batch.overrides): student
                       for student in batch.students}
            for future in as_completed(futures):
                reason, times = future.result()
                self.timings.append(times)
                yield futures[future], reason
