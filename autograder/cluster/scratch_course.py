"""Grade one submission away from the course folder: what a cluster worker runs.

A worker shares no filesystem with the instructor's machine. It receives the
assignment's instructor notebooks and the course's hidden-test seed once
(:class:`CourseBundle`) and each submission's files as bytes. From the bundle
it builds a scratch course of its own: ``source/``, the release and a SQLite
gradebook that knows the assignment's cells, made by the same ``release`` as
the instructor's. It grades a submission there with the same nbgrader steps,
engine, sandbox and limits as the local pool, and sends back what grading
produced: the autograded notebooks, their grading reports and the feedback
page (:class:`GradedSubmission`). The instructor's gradebook is written only
by the client (:mod:`autograder.cluster.replay`).
"""

import hashlib
import os
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.coursedir.nbgrader_api import GradingError
from autograder.coursedir.release import release
from autograder.grading.autograde import autograde, generate_feedback
from autograder.sandbox.trusted import course_seed
from autograder.settings import GRADING_REPORT_SUFFIX, SOURCE_DIR


@dataclass
class CourseBundle:
    """An assignment's instructor files and the course's seed, as task data."""

    assignment: str
    files: dict
    """Path relative to ``source/<assignment>`` -> bytes."""
    seed: int
    """The course's secret seed for hidden-test inputs (``.grading-seed``)."""

    @property
    def digest(self):
        """Names one version of the bundle: a worker builds its scratch course once per digest."""
        return tree_digest({**self.files, "\0assignment": self.assignment.encode(),
                            "\0seed": str(self.seed).encode()})


@dataclass
class GradedSubmission:
    """What grading one submission on a worker produced, for the client to record."""

    student: str
    submission: str
    """:func:`tree_digest` of the submission's files as the worker received them."""
    autograded: dict = field(default_factory=dict)
    """Notebook or grading report name -> bytes, from ``autograded/<student>/<assignment>``."""
    feedback: dict = field(default_factory=dict)
    """Path relative to ``feedback/<student>/<assignment>`` -> bytes."""
    error: str = None
    """Why the submission could not be graded (nbgrader's reason), or None."""
    worker: str = ""
    """``host:pid`` of the process that graded it."""
    started: float = 0.0
    """``time.time()`` when the worker started on it."""
    seconds: float = 0.0
    """Time the worker spent on it."""


def tree_digest(files):
    """A hash of ``files`` (relative path -> bytes): names one version of a submission."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def read_tree(folder):
    """Every file under ``folder``: relative path -> bytes."""
    folder = Path(folder)
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def write_tree(folder, files):
    """Write ``files`` (relative path -> bytes) under ``folder``; refuses paths that leave it."""
    folder = Path(folder).resolve()
    for name, data in files.items():
        path = (folder / name).resolve()
        if not path.is_relative_to(folder):
            raise ValueError(f"refusing to write {name!r} outside {folder}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def graded_files(root, assignment, student):
    """What grading wrote for ``student`` in the course at ``root``, as a worker sends it back.

    Returns
    -------
    (dict, dict)
        The autograded notebooks and grading reports by name, and the
        feedback folder's files by relative path (bytes each): the
        ``autograded`` and ``feedback`` of a :class:`GradedSubmission`.
    """
    autograded = read_tree(Path(root) / "autograded" / student / assignment)
    return ({name: data for name, data in autograded.items() if name.endswith((".ipynb", GRADING_REPORT_SUFFIX))},
            read_tree(Path(root) / "feedback" / student / assignment))


def pack_course(root, assignment):
    """The :class:`CourseBundle` of ``assignment`` in the course at ``root``."""
    return CourseBundle(assignment, read_tree(Path(root) / SOURCE_DIR / assignment), course_seed(root))


# One scratch course per bundle and worker process, and one submission at a
# time in it: the trusted engine keeps one warm sandbox per course folder.
_courses = {}
_lock = threading.Lock()


def _scratch_course(bundle):
    """The worker's scratch course for ``bundle``, built the first time it is asked for."""
    digest = bundle.digest
    if digest not in _courses:
        root = Path(tempfile.mkdtemp(prefix="nn-scratch-course-"))
        write_tree(root / SOURCE_DIR / bundle.assignment, bundle.files)
        (root / ".grading-seed").write_text(str(bundle.seed))
        release(root, [bundle.assignment])
        _courses[digest] = root
    return _courses[digest]


def grade_in_scratch_course(bundle, student, submission, engine="trusted", overrides=None):
    """Grade one submission in this process's scratch course (a Dask task).

    Parameters
    ----------
    bundle : CourseBundle
    student : str
    submission : dict
        Path relative to ``submitted/<student>/<assignment>`` -> bytes.
    engine, overrides
        As for :func:`autograder.grading.autograde.autograde`; ``overrides`` must not
        name a gradebook (the scratch course has its own).

    Returns
    -------
    GradedSubmission
        With ``error`` set when nbgrader could not grade the submission (a
        property of the submission: a retry would fail the same way). Other
        exceptions propagate, so that Dask retries the task.
    """
    with _lock:
        root = _scratch_course(bundle)  # once per worker and bundle: not part of a submission's time
        started, began = time.time(), time.perf_counter()
        parts = [Path(step) / student / bundle.assignment
                 for step in ("submitted", "autograded", "feedback")]
        for folder in parts:
            shutil.rmtree(root / folder, ignore_errors=True)
        write_tree(root / parts[0], submission)
        result = GradedSubmission(student, tree_digest(submission), started=started,
                                  worker=f"{socket.gethostname()}:{os.getpid()}")
        try:
            autograde(root, bundle.assignment, student, engine, overrides)
            generate_feedback(root, bundle.assignment, student, overrides)
        except GradingError as err:
            result.error = err.reason
        else:
            result.autograded, result.feedback = graded_files(root, bundle.assignment, student)
        for folder in parts:
            shutil.rmtree(root / folder, ignore_errors=True)
        result.seconds = time.perf_counter() - began
        return result
