"""Record a submission graded elsewhere, through nbgrader's own autograde.

The client of a cluster runs nbgrader's ``autograde`` on its own course and
gradebook as the local pool does, with two changes. It does not sanitise the
submission (restore the instructor's cells): the worker did, from the same
source and the same files, which :func:`record` checks by their digest. And
instead of executing the notebook, :class:`ReplayGrading` hands on the one the
worker executed (:mod:`autograder.cluster.scratch_course`). The rest is nbgrader's:
the student and submission rows, the autograded folder, ``SaveAutoGrades``
(which keeps manual grades) and late penalties. So the gradebook holds what a
local run would have written, and recording the same submission again
updates its rows rather than adding any.
"""

import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import AssignLatePenalties, NbGraderPreprocessor, SaveAutoGrades
from traitlets import Unicode
from traitlets.config import Config

from autograder.cluster.scratch_course import read_tree, tree_digest, write_tree
from autograder.coursedir.nbgrader_api import GradingError
from autograder.grading.autograde import autograde, generate_feedback
from autograder.settings import GRADING_REPORT_SUFFIX, db_url


class ReplayGrading(NbGraderPreprocessor):
    """Stands in for the execute step: the notebook as a worker graded it."""

    directory = Unicode("", help="Folder with the worker's autograded notebooks and grading reports.").tag(
        config=True)

    def preprocess(self, nb, resources):
        name = resources["unique_key"]
        graded_path = Path(self.directory) / f"{name}.ipynb"
        if not graded_path.exists():
            raise GradingError(f"the worker sent no graded {name}.ipynb")
        graded = nbformat.read(graded_path, as_version=nbformat.NO_CONVERT)
        report = Path(self.directory) / f"{name}{GRADING_REPORT_SUFFIX}"
        if report.exists():
            shutil.copyfile(report, Path(resources["metadata"]["path"]) / report.name)
        return graded, resources


def _replay_config(directory):
    # The worker sanitised the same submission files against the same source
    # (record() checks the files' digest), then executed and ran
    # IgnorePattern, ClearMetadataPreprocessor, LimitOutput and
    # CheckCellMetadata; only the steps that write the gradebook run here.
    return {"Autograde": {"sanitize_preprocessors": [],
                          "autograde_preprocessors": [ReplayGrading, SaveAutoGrades, AssignLatePenalties]},
            "ReplayGrading": {"directory": str(directory)}}


def _merged(*configs):
    merged = Config()
    for config in configs:
        merged.merge(Config(config or {}))
    return merged


def feedback_needs_gradebook(root, assignment, student, overrides=None):
    """Whether the feedback page must be rendered from the course's own gradebook.

    A worker renders feedback from its scratch gradebook, which has no manual
    grades, comments or due dates. Where the course's gradebook has any of
    them for this submission (a regrade after manual grading, a late
    submission), the client renders the page itself.
    """

    url = _merged(overrides).get("CourseDirectory", {}).get("db_url") or db_url(root)
    with Gradebook(url) as gb:
        submission = gb.find_submission(assignment, student)
        if (submission.late_submission_penalty or 0) > 0 or submission.assignment.duedate is not None:
            return True
        for notebook in submission.notebooks:
            if any(grade.manual_score is not None for grade in notebook.grades):
                return True
            if any(comment.manual_comment for comment in notebook.comments):
                return True
    return False


def record(root, assignment, graded, overrides=None):
    """Write one :class:`~autograder.cluster.scratch_course.GradedSubmission` into the course at ``root``.

    The gradebook, ``autograded/<student>/<assignment>`` and
    ``feedback/<student>/<assignment>``, as the local pool would have written them.

    Raises
    ------
    GradingError
        nbgrader could not record it.
    """
    root = Path(root)
    submitted = read_tree(root / "submitted" / graded.student / assignment)
    if tree_digest(submitted) != graded.submission:
        raise GradingError(f"the worker graded other files than submitted/{graded.student}/{assignment} "
                           f"holds now: grade it again")
    with tempfile.TemporaryDirectory(prefix="nn-replay-") as tmp:
        write_tree(tmp, graded.autograded)
        # The "nbgrader" engine's configuration: the client executes nothing,
        # so it needs no sandbox (and should not warn that it has none).
        autograde(root, assignment, graded.student, "nbgrader", _merged(overrides, _replay_config(tmp)))
        needs_gradebook = feedback_needs_gradebook(root, assignment, graded.student, overrides)
    if needs_gradebook:
        generate_feedback(root, assignment, graded.student, overrides)
    else:
        folder = root / "feedback" / graded.student / assignment
        shutil.rmtree(folder, ignore_errors=True)
        write_tree(folder, graded.feedback)
        for path in folder.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)  # what nbgrader's feedback step gives them
