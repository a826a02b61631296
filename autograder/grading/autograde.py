"""The per-submission nbgrader steps: autograde one submission, write its feedback."""

import time
from pathlib import Path

from traitlets.utils.importstring import import_item

from autograder.coursedir.nbgrader_api import api, checked
from autograder.grading import timings

# nbgrader's autograde steps with a row of their own in the time breakdown
# (autograder.grading.timings); the rest of its work counts as "other nbgrader steps".
_TIMED_STEPS = {"InertLearnerContent": "sanitising", "SaveAutoGrades": "gradebook writes",
                "AssignLatePenalties": "gradebook writes"}


def _timed_preprocessors(config):
    """Make the preprocessors of :data:`_TIMED_STEPS` in ``config`` count their time."""
    classes = [import_item(item) if isinstance(item, str) else item
               for item in config.Autograde.autograde_preprocessors]
    config.Autograde.autograde_preprocessors = [
        timings.timed_class(cls, _TIMED_STEPS[cls.__name__]) if cls.__name__ in _TIMED_STEPS else cls
        for cls in classes]


def autograde(root, assignment, student, engine="trusted", overrides=None):
    """Autograde one submission in ``<root>/submitted/<student>/<assignment>``.

    ``engine`` is ``"trusted"`` (sandboxed kernel, verdicts in the grader) or
    ``"nbgrader"`` (stock nbgrader); see :func:`autograder.coursedir.nbgrader_api.nbgrader_config`.
    ``overrides`` is nbgrader configuration merged on top, e.g.
    ``{"TrustedExecute": {"cell_timeout": 10}}``. Inside a
    :func:`autograder.grading.timings.collecting` block its steps are timed.
    """
    nbgrader = api(root, engine, overrides)
    if timings.collecting_now():
        _timed_preprocessors(nbgrader.config)
    began, counted = time.perf_counter(), timings.counted()
    result = checked(nbgrader.autograde(assignment, student, force=True, create=True),
                     f"autograding {student}/{assignment}")
    timings.add_grading_reports(Path(root) / "autograded" / student / assignment)
    timings.add("other nbgrader steps", time.perf_counter() - began - (timings.counted() - counted))
    return result


def generate_feedback(root, assignment, student=None, overrides=None):
    """Write feedback HTML under ``<root>/feedback/<student>/<assignment>``."""
    with timings.timed("feedback rendering"):
        return checked(api(root, overrides=overrides).generate_feedback(assignment, student, force=True),
                       f"feedback for {assignment}")
