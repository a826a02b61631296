"""The per-submission nbgrader steps: autograde one submission, write its feedback."""

from autograder.coursedir.nbgrader_api import api, checked


def autograde(root, assignment, student, engine="trusted", overrides=None):
    """Autograde one submission in ``<root>/submitted/<student>/<assignment>``.

    ``engine`` is ``"trusted"`` (sandboxed kernel, verdicts in the grader) or
    ``"nbgrader"`` (stock nbgrader); see :func:`autograder.coursedir.nbgrader_api.nbgrader_config`.
    ``overrides`` is nbgrader configuration merged on top, e.g.
    ``{"TrustedExecute": {"cell_timeout": 10}}``.
    """
    return checked(api(root, engine, overrides).autograde(assignment, student, force=True, create=True),
                  f"autograding {student}/{assignment}")


def generate_feedback(root, assignment, student=None, overrides=None):
    """Write feedback HTML under ``<root>/feedback/<student>/<assignment>``."""
    return checked(api(root, overrides=overrides).generate_feedback(assignment, student, force=True),
                  f"feedback for {assignment}")
