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

It costs one notebook per assignment, and only when something it depends on
changed: a passing verdict is kept on disk, in ``<root>/.grading-cache/``,
under a key made of everything that could change it (:func:`verdict_key`):
the assignment's source and the course's hidden-test seed, the engine and
the limits, the sandbox (bubblewrap's version, the mounts, the limits
backend), and the Python environment (the interpreter, every installed
distribution's version, and the course's own code and data). A failure is
never kept: the next run checks again.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.coursedir.nbgrader_api import GradingError, api, checked
from autograder.coursedir.release import write_submission
from autograder.flags import Flag
from autograder.grading.autograde import autograde
from autograder.grading.results import SubmissionResult, _grading_reports, results
from autograder.sandbox import limits
from autograder.sandbox.trusted import close_warm_sandboxes
from autograder.settings import CACHE_DIR, COURSE_CONFIG, REPO_ROOT, SOURCE_DIR

STUDENT = "reference-canary"
VERDICTS = {}   # verdict key -> the reference's result, for this process
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
        ``.grading-seed``, if any) is read. A passing verdict is kept in
        its ``.grading-cache/`` when the folder is writable; a read-only
        course (another user's checkout) is checked again each run.
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
    root = Path(root).resolve()
    overrides_key = json.dumps(overrides or {}, sort_keys=True, default=str)
    key = verdict_key(root, assignment, engine, overrides_key)
    if key in VERDICTS:
        return VERDICTS[key]
    cached = root / CACHE_DIR / f"canary-{assignment}-{key}.json"
    try:
        VERDICTS[key] = SubmissionResult.from_dict(json.loads(cached.read_text()))
        return VERDICTS[key]
    except (OSError, ValueError, KeyError, TypeError):
        pass   # none yet, or unreadable: grade the reference
    # A failure is not kept: it raises.
    result = _grade_reference(root, assignment, engine, overrides_key)
    VERDICTS[key] = result
    try:
        write_atomically(cached, json.dumps(result.to_dict(), indent=1))
    except OSError:
        pass   # a course folder this user may read but not write: the verdict lives for this run only
    return result


def write_atomically(path, text):
    """Write ``text`` to ``path`` so that a reader finds the old file or the new one, never half of one."""
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _tree_stamp(digest, folder, pattern, contents):
    """Feed ``digest`` the files of ``folder`` matching ``pattern``: their bytes, or (``contents`` False)
    their sizes and modification times, which is enough for large data files."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            if contents:
                digest.update(path.read_bytes())
            else:
                stat = path.stat()
                digest.update(f"{stat.st_size} {stat.st_mtime_ns}".encode())


def _python_environment():
    """The interpreter and every installed distribution with its version, as text.

    Read from the names of the ``*.dist-info`` and ``*.egg-info`` folders on
    ``sys.path`` (``numpy-2.1.3.dist-info``), where ``importlib.metadata``
    finds the distributions too: parsing each one's metadata cost a second
    of every ``grade`` command.
    """
    found = set()
    for entry in sys.path:
        try:
            found.update(child.name for child in Path(entry or ".").iterdir()
                         if child.name.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue   # not a folder (a zip), or gone
    return "\n".join([sys.executable, sys.version, *sorted(found)])


def _sandbox_identity():
    """bubblewrap's path and version, and the limits backend: what the sandbox is made of here."""
    bwrap = shutil.which("bwrap") or ""
    version = ""
    if bwrap:
        try:
            version = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired):
            version = "unknown"
    return f"{bwrap} {version.strip()} {limits.describe()}"


def verdict_key(root, assignment, engine, overrides_key):
    """A hash of everything that could change the canary's verdict (see the module docstring).

    The course folder's path is not part of it: the same course elsewhere gives the same verdict.
    """
    digest = hashlib.sha256()
    for part in (assignment, engine, overrides_key, _python_environment(), _sandbox_identity()):
        digest.update(part.encode() + b"\0")
    _tree_stamp(digest, root / SOURCE_DIR / assignment, "*", contents=True)
    for name in (".grading-seed", COURSE_CONFIG):
        path = root / name
        digest.update(path.read_bytes() if path.is_file() else b"-")
    # The grader's and the notebooks' own code, and the course data they load.
    for package in ("autograder", "course"):
        _tree_stamp(digest, REPO_ROOT / package, "*.py", contents=True)
    _tree_stamp(digest, REPO_ROOT / "data", "*", contents=False)
    return digest.hexdigest()[:32]


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
