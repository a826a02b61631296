"""Grade a whole class: collect, autograde in parallel, feedback, then the CSV and JSON reports."""

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from autograder.coursedir.nbgrader_api import GradingError
from autograder.coursedir.release import release
from autograder.grading.canary import check_environment, write_atomically
from autograder.grading.collect import collect
from autograder.grading.executor import Batch, LocalPool
from autograder.grading.gradebook_db import add_students, check_gradebook
from autograder.grading.options import GradingOptions
from autograder.grading.exports import export
from autograder.grading.reports import write_json_reports
from autograder.grading.results import results
from autograder.sandbox import limits
from autograder.sandbox.kernel import bwrap_problem
from autograder.sandbox.provenance import folder_sha256
from autograder.sandbox.trusted import course_seed
from autograder.settings import CACHE_DIR, RELEASE_DIR, RESUME_MARKER, SOURCE_DIR, db_url, with_course_limits


def _submission_digest(root, assignment, student):
    """A hash of the submitted files: regrading is skipped while it matches."""
    digest = hashlib.sha256()
    folder = Path(root) / "submitted" / student / assignment
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


_SAID = set()


def _say_once(line):
    """Print ``line`` to stderr once per process: once per run, not per assignment or submission."""
    if line not in _SAID:
        _SAID.add(line)
        print(line, file=sys.stderr)


def _release_if_changed(root, assignment, url):
    """Release ``assignment`` into the gradebook at ``url``, unless this very source is released there.

    nbgrader's release takes seconds, and a rerun for one late student would
    pay it every time. It is skipped only when a stamp of the last release
    matches the source, the released files and the gradebook, and the
    gradebook still knows the assignment (a new database at the same URL does not).
    """
    # nbgrader's API pulls in Jupyter's server stack: imported when a class is graded.
    from nbgrader.api import Gradebook, MissingEntry

    stamp_path = root / CACHE_DIR / f"release-{assignment}.json"

    def stamp():
        return json.dumps({"source": folder_sha256(root / SOURCE_DIR / assignment),
                           "release": folder_sha256(root / RELEASE_DIR / assignment),
                           "gradebook": hashlib.sha256(url.encode()).hexdigest()})

    if stamp_path.is_file() and stamp_path.read_text() == stamp():
        try:
            with Gradebook(url) as gb:
                gb.find_assignment(assignment)
            return
        except MissingEntry:
            pass
    release(root, [assignment], db=url)
    write_atomically(stamp_path, stamp())


def _marker(root, assignment, student):
    return Path(root) / "autograded" / student / assignment / RESUME_MARKER


@dataclass
class ClassReport:
    """The outcome of grading a class: results, and the students that could not be graded."""

    results: list
    errors: list            # (student, assignment, reason)
    skipped: list           # students already graded from the same files
    csv_path: Path = None


def sandbox_overrides(sandbox, overrides=None):
    """``overrides`` with the sandbox required (``sandbox=True``) or switched off (``False``).

    Raises
    ------
    GradingError
        If the sandbox is required and bubblewrap cannot run here: the
        message says how to install it, and that ``--no-sandbox`` grades
        without it.
    """
    merged = {key: dict(value) for key, value in (overrides or {}).items()}
    if sandbox and bwrap_problem():
        raise GradingError(f"{bwrap_problem()}. Without it, learner code could read the solutions and write "
                           "the gradebook. To grade anyway, pass --no-sandbox (every row then records "
                           "'unsandboxed').")
    merged.setdefault("TrustedExecute", {})["sandbox"] = bool(sandbox)
    return merged


def grade_class(root, assignment, submissions=None, options=None, executor=None):
    """Collect, autograde (in parallel), write feedback, a grades CSV and per-student JSON.

    First the reference solution is graded the same way (:mod:`autograder.grading.canary`);
    if it does not score full marks, nothing is graded and the gradebook is
    not touched.

    Parameters
    ----------
    root : path
        The course folder (``source/<assignment>`` must be there).
    submissions : path, optional
        Where the submissions are: nbgrader layout, LMS folder or zip.
        Default: ``<root>/submitted``.
    options : GradingOptions, optional
        Workers, engine, sandbox, gradebook, limits...; default: the CLI's defaults.
    executor : GradingExecutor, optional
        Grade with this one (it stays open; the caller closes it). Default:
        a :class:`~autograder.grading.executor.LocalPool` of
        ``options.workers`` processes. To grade on the Dask scheduler of
        ``options.scheduler``, pass ``autograder.cluster.executor_for(options)``.

    Returns
    -------
    ClassReport

    Raises
    ------
    GradingError
        Where bubblewrap is missing and ``options.sandbox`` is True, or (a
        :class:`~autograder.grading.canary.CanaryError`) where the reference solution
        loses points here.
    ValueError
        If ``options.scheduler`` is set and no executor is given.
    """
    options = options or GradingOptions()
    if executor is None and options.scheduler:
        raise ValueError("grade_class grades on this machine unless given an executor: pass "
                         "executor=autograder.cluster.executor_for(options) to grade on a Dask scheduler")
    engine, progress, overrides = options.engine, options.progress, options.nbgrader_overrides()
    root = Path(root).resolve()
    if engine == "trusted":
        overrides = sandbox_overrides(options.sandbox, overrides)

        if progress:
            _say_once(limits.describe())
            if not options.sandbox:
                _say_once("WARNING: grading without a sandbox (--no-sandbox): learner code can read and write "
                          "what you can; every row records 'unsandboxed'")
    url = db_url(root, options.db)
    check_gradebook(url)  # before anything is graded: a wrong URL or login fails here
    # The hidden-test seed the class is graded with exists before the canary,
    # whose kept verdict depends on it.
    course_seed(root)
    # The reference solution, graded as the class will be: a broken environment
    # stops here, before any student's row is written.
    if engine == "trusted":
        overrides = with_course_limits(root, overrides)
    check_environment(root, assignment, engine, overrides)
    overrides = dict(overrides or {})
    overrides["CourseDirectory"] = {**overrides.get("CourseDirectory", {}), "db_url": url}
    _release_if_changed(root, assignment, url)  # the gradebook must know the assignment's cells
    collected = collect(Path(submissions) if submissions else root / "submitted", root, assignment)
    errors = [(c.student, assignment, c.error) for c in collected if c.error]
    notes = {c.student: c.notes for c in collected}
    todo, skipped = [], []
    for c in collected:
        if c.error:
            continue
        marker = _marker(root, assignment, c.student)
        unchanged = marker.exists() and marker.read_text() == _submission_digest(root, assignment, c.student)
        if unchanged and not options.force:
            skipped.append(c.student)
        else:
            todo.append(c.student)
    add_students(url, todo)
    bar = tqdm(total=len(todo), desc=f"grading {assignment}", unit="submission", disable=not progress)
    owned = executor is None
    executor = executor or LocalPool(options.workers)
    try:
        # Nothing left to grade: no need to reach a cluster at all.
        graded = executor.grade(Batch(str(root), assignment, todo, engine, overrides)) if todo else ()
        for student, reason in graded:
            if reason:
                errors.append((student, assignment, reason))
            else:
                # Written once the gradebook and files are: a rerun skips this submission.
                _marker(root, assignment, student).write_text(_submission_digest(root, assignment, student))
            bar.update()
    finally:
        bar.close()
        if owned:
            executor.close()
    failed = {student for student, _, _ in errors}
    rows = [r for r in results(root, assignment, db=url) if r.student in {c.student for c in collected} - failed]
    for r in rows:
        r.flags += notes.get(r.student, [])
    report = ClassReport(rows, sorted(errors), skipped)
    write_json_reports(rows, report.errors, root / "reports" / assignment)
    # The CSV covers the whole class in the gradebook, not only this run's students.
    report.csv_path = export(root, assignment, "csv", db=url).path
    return report
