"""Where the submissions of a batch are graded: one interface, two engines.

:class:`GradingExecutor` is what :func:`autograder.batch.grade_class` talks
to. :class:`~autograder.executors.local_pool.LocalPool` grades in processes on
this machine (the default); :class:`~autograder.executors.dask_cluster.DaskCluster`
sends each submission to a Dask cluster's workers and records the results here.
Either way the gradebook, the autograded notebooks, the feedback and the
resume marker of a submission are the same.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


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


def make_executor(scheduler=None, workers=None, retries=2):
    """The local pool, or a Dask cluster when ``scheduler`` (``tcp://HOST:PORT``) is given."""
    if scheduler:
        from autograder.executors.dask_cluster import DaskCluster

        return DaskCluster(scheduler, retries=retries)
    from autograder.executors.local_pool import LocalPool

    return LocalPool(workers)
