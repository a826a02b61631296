"""The canary: grade the reference solution first, and stop if it does not score full marks.

A grading environment can be broken in ways no single submission shows: the
sandbox cannot start Python (a variable the interpreter needs was dropped, a
library is missing), limits too tight for this machine, a stale release.
Then every test of every student fails, and a whole class would get zeros.
So before a class is graded, and before a learner's self-check, the
assignment's reference solution (the instructor's own solution cells, put
into the student release as a student would submit them) is graded in a
scratch course with the same engine, sandbox and limits. If it loses any
autograded point, grading stops before anything touches the gradebook, with a
message that names the cause.

It costs one notebook per assignment, once per run: the verdict is cached in
the process for the same ``source/<assignment>`` files, engine and settings.
"""

import json
import shutil
import tempfile
from pathlib import Path

from autograder.coursedir.nbgrader_api import GradingError, api, checked
from autograder.coursedir.release import write_submission
from autograder.flags import Flag
from autograder.grading.autograde import autograde
from autograder.grading.results import _grading_reports, results
from autograder.sandbox.provenance import folder_sha256
from autograder.sandbox.trusted import close_warm_sandboxes
from autograder.settings import SOURCE_DIR

STUDENT = "reference-canary"
VERDICTS = {}   # (assignment, engine, settings, source hash) -> the reference's result, for this run
# Flags that mean the reference ran into a limit or a broken kernel, not into a test.
TROUBLE = {Flag.TIMEOUT, Flag.MEMORY, Flag.DISK, Flag.KERNEL_DIED, Flag.OUTPUT_FLOOD, Flag.BAD_KERNEL_REPLY}


class CanaryError(GradingError):
    """The reference solution does not score full marks here: the environment, not a learner, is at fault."""

    @property
    def reason(self):
        return str(self).splitlines()[0]


def check_environment(root, assignment, engine="trusted", overrides=None):
    """Grade the reference solution of ``assignment`` as the class will be graded; raise if it loses points.

    Parameters
    ----------
    root : path
        The course folder; only its ``source/<assignment>`` (and its
        ``.grading-seed``, if any) is read. Nothing in it is written.
    engine, overrides
        As for :func:`autograder.grading.autograde.autograde`.

    Returns
    -------
    autograder.grading.results.SubmissionResult
        The reference's result (full autograded marks).

    Raises
    ------
    CanaryError
        With the cause: the sandbox could not start Python (with its stderr),
        a limit was hit, or which tests failed and why.
    """
    overrides_key = json.dumps(overrides or {}, sort_keys=True, default=str)
    # The course folder is not part of the key: the same source in another
    # folder gives the same verdict. A failure is not kept: it raises.
    key = (assignment, engine, overrides_key, folder_sha256(Path(root) / SOURCE_DIR / assignment))
    if key not in VERDICTS:
        VERDICTS[key] = _grade_reference(Path(root).resolve(), assignment, engine, overrides_key)
    return VERDICTS[key]


def _grade_reference(root, assignment, engine, overrides_key):
    overrides = json.loads(overrides_key) or None
    with tempfile.TemporaryDirectory(prefix="nn-canary-") as tmp:
        scratch = Path(tmp)
        shutil.copytree(Path(root) / SOURCE_DIR / assignment, scratch / SOURCE_DIR / assignment)
        seed = Path(root) / ".grading-seed"
        # The class's hidden-test inputs when the course has its seed already.
        (scratch / ".grading-seed").write_text(seed.read_text() if seed.is_file() else "0")
        checked(api(scratch, engine, overrides).generate_assignment(assignment, force=True, create=True),
                f"preparing the reference solution of {assignment}")
        write_submission(scratch, assignment, STUDENT)
        try:
            autograde(scratch, assignment, STUDENT, engine, overrides)
        finally:
            close_warm_sandboxes()   # the next sandbox started ahead was for the canary's scratch course
        (result,) = results(scratch, assignment)
        reports = _grading_reports(scratch, assignment, STUDENT)
    if result.failed:
        raise CanaryError(_explain(assignment, result, reports))
    return result


def _explain(assignment, result, reports):
    """The message of a failed canary: what was lost, and the most likely cause first."""
    auto = [t for t in result.tests if not t.manual]
    score = f"{sum(t.points for t in auto):g}/{sum(t.max_points for t in auto):g}"
    flags = sorted({flag for report in reports for flag in report.get("flags", [])})
    environment = next((r["environment_error"] for r in reports if r.get("environment_error")), None)
    if environment:
        cause = f"{environment}. This is the grading machine's fault, not any learner's."
    elif TROUBLE & set(flags):
        cause = (f"the reference hit a limit or its kernel broke ({', '.join(sorted(TROUBLE & set(flags)))}): "
                 "the limits may be too tight for this machine (TrustedExecute.memory_mb, max_processes, "
                 "disk_mb, cell_timeout, notebook_timeout)")
    else:
        first = sorted(result.failed)[0]
        cause = (f"the reference fails {', '.join(sorted(result.failed))} ({first}: "
                 f"{result.messages.get(first, 'no message')}): is source/{assignment} out of step with "
                 "the course's code (course/, autograder/learner/checks.py)?")
    return (f"the reference solution of {assignment} scores {score} autograded points in this grading "
            f"environment, not full marks, so every learner would be graded wrong. Nothing was graded and "
            f"the gradebook was not touched.\ncause: {cause}")
