"""Grade a whole class: collect, autograde in parallel, feedback, then the CSV and JSON reports."""

import hashlib
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from autograder.autograde import autograde, generate_feedback
from autograder.canary import check_environment
from autograder.collect import collect
from autograder.nbgrader_api import GradingError
from autograder.release import release
from autograder.reports import write_grades_csv, write_json_reports
from autograder.results import results
from autograder.settings import RESUME_MARKER


def _submission_digest(root, assignment, student):
    """A hash of the submitted files: regrading is skipped while it matches."""
    digest = hashlib.sha256()
    folder = Path(root) / "submitted" / student / assignment
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _marker(root, assignment, student):
    return Path(root) / "autograded" / student / assignment / RESUME_MARKER


def _grade_one(root, assignment, student, engine, overrides=None):
    """Autograde and write feedback for one student; runs in a worker process.

    Returns the reason it could not, or None. SQLite allows one writer at a
    time, so a busy gradebook is retried rather than reported.
    """
    digest = _submission_digest(root, assignment, student)
    for attempt in range(5):
        try:
            autograde(root, assignment, student, engine, overrides)
            generate_feedback(root, assignment, student)
            _marker(root, assignment, student).write_text(digest)
            return None
        except GradingError as err:
            if "database is locked" not in str(err) or attempt == 4:
                return err.reason
            time.sleep(0.5 * (attempt + 1))


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
    from autograder.sandbox import bwrap_problem

    merged = {key: dict(value) for key, value in (overrides or {}).items()}
    if sandbox and bwrap_problem():
        raise GradingError(f"{bwrap_problem()}. Without it, learner code could read the solutions and write "
                           "the gradebook. To grade anyway, pass --no-sandbox (every row then records "
                           "'unsandboxed').")
    merged.setdefault("TrustedExecute", {})["sandbox"] = bool(sandbox)
    return merged


def grade_class(root, assignment, submissions=None, workers=None, force=False, engine="trusted",
                progress=True, overrides=None, sandbox=True):
    """Collect, autograde (in parallel), write feedback, a grades CSV and per-student JSON.

    First the reference solution is graded the same way (:mod:`autograder.canary`);
    if it does not score full marks, nothing is graded and the gradebook is
    not touched.

    Parameters
    ----------
    root : path
        The course folder (``source/<assignment>`` must be there).
    submissions : path, optional
        Where the submissions are: nbgrader layout, LMS folder or zip.
        Default: ``<root>/submitted``.
    workers : int, optional
        Submissions graded at once; default: the number of cores.
    force : bool
        Regrade submissions already graded from the same files.
    sandbox : bool
        Run learner code under bubblewrap (required unless False: then each
        row records "unsandboxed").

    Returns
    -------
    ClassReport

    Raises
    ------
    GradingError
        Where bubblewrap is missing and ``sandbox`` is True, or (a
        :class:`~autograder.canary.CanaryError`) where the reference solution
        loses points here.
    """
    import sys

    from tqdm.auto import tqdm

    root = Path(root).resolve()
    if engine == "trusted":
        overrides = sandbox_overrides(sandbox, overrides)
        from autograder import limits

        if progress:   # once per run, not once per submission
            print(limits.describe(), file=sys.stderr)
            if not sandbox:
                print("WARNING: grading without a sandbox (--no-sandbox): learner code can read and write what "
                      "you can; every row records 'unsandboxed'", file=sys.stderr)
    check_environment(root, assignment, engine, overrides)
    release(root, [assignment])  # the gradebook must know the assignment's cells
    collected = collect(Path(submissions) if submissions else root / "submitted", root, assignment)
    errors = [(c.student, assignment, c.error) for c in collected if c.error]
    notes = {c.student: c.notes for c in collected}
    todo, skipped = [], []
    for c in collected:
        if c.error:
            continue
        marker = _marker(root, assignment, c.student)
        if not force and marker.exists() and marker.read_text() == _submission_digest(root, assignment, c.student):
            skipped.append(c.student)
        else:
            todo.append(c.student)
    workers = max(1, workers or os.cpu_count() or 1)
    bar = tqdm(total=len(todo), desc=f"grading {assignment}", unit="submission", disable=not progress)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_grade_one, str(root), assignment, student, engine, overrides): student
                   for student in todo}
        for future in as_completed(futures):
            reason = future.result()
            if reason:
                errors.append((futures[future], assignment, reason))
            bar.update()
    bar.close()
    failed = {student for student, _, _ in errors}
    rows = [r for r in results(root, assignment) if r.student in {c.student for c in collected} - failed]
    for r in rows:
        r.flags += notes.get(r.student, [])
    report = ClassReport(rows, sorted(errors), skipped)
    report.csv_path = write_grades_csv(rows, root / f"grades-{assignment}.csv", report.errors)
    write_json_reports(rows, report.errors, root / "reports" / assignment)
    return report
