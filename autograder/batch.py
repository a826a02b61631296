"""Grade a whole class: collect, autograde in parallel, feedback, then the CSV and JSON reports."""

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder.canary import check_environment
from autograder.collect import collect
from autograder.executors import Batch, make_executor
from autograder.gradebook_db import add_students, check_gradebook
from autograder.late import apply_late_rules, late_rules
from autograder.lms import split_name
from autograder.nbgrader_api import GradingError
from autograder.release import assignments, release
from autograder.reports import write_grades_csv, write_json_reports
from autograder.results import results
from autograder.settings import RELEASE_DIR, RESUME_MARKER, SOURCE_DIR, db_url


def _folder_digest(folder):
    """A hash of every file under ``folder``, names and bytes."""
    digest = hashlib.sha256()
    folder = Path(folder)
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != RESUME_MARKER:
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _submission_digest(root, assignment, student):
    """A hash of the submitted files."""
    return _folder_digest(Path(root) / "submitted" / student / assignment)


# What a grade depends on, in the words a rerun prints ("changed: hidden tests").
RESUME_PARTS = {"files": "submitted files", "release": "the release", "tests": "hidden tests",
                "limits": "limits", "engine": "engine", "late": "due date or late rules",
                "gradebook": "gradebook"}


def _grade_inputs(root, assignment, engine, overrides, url, rules):
    """Everything but the submission that made a grade: what a resume key must include.

    The release (``notebooks/<assignment>``), the instructor's notebooks
    with their hidden tests (``source/<assignment>``), the limits and every
    other nbgrader setting passed in, the engine, the late rules and the
    gradebook's URL. A grade made with any of them different is made again.
    """
    settings = {key: value for key, value in (overrides or {}).items() if key != "CourseDirectory"}
    return {"release": _folder_digest(Path(root) / RELEASE_DIR / assignment),
            "tests": _folder_digest(Path(root) / SOURCE_DIR / assignment),
            "limits": hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest(),
            "engine": engine, "late": rules.digest(),
            "gradebook": hashlib.sha256(url.encode()).hexdigest()}


def _graded_in_gradebook(url, assignment):
    """Students whose submission of ``assignment`` the gradebook holds grades for."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(url) as gb:
        try:
            submissions = gb.assignment_submissions(assignment)
        except MissingEntry:
            return set()
        return {s.student_id for s in submissions if any(nb.grades for nb in s.notebooks)}


def _why_regrade(marker, key, in_gradebook):
    """The parts of ``key`` that differ from what made the grade recorded in ``marker``; [] if none."""
    if not marker.exists():
        return ["never graded"]
    try:
        recorded = json.loads(marker.read_text())
    except ValueError:
        recorded = {}
    if not isinstance(recorded, dict):
        recorded = {}
    changed = [RESUME_PARTS[part] for part in RESUME_PARTS if recorded.get(part) != key[part]]
    if not in_gradebook and RESUME_PARTS["gradebook"] not in changed:
        changed.append("not in the gradebook")
    return changed


def _keep_manual_grades_done(url, assignment, students):
    """Hand grades already given stay done after a regrade of unchanged files.

    nbgrader's ``SaveAutoGrades`` marks every written answer "needs manual
    grading" again when it regrades, although the manual score is kept;
    where the learner's files are the same, the score given still holds.
    """
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(url) as gb:
        for student in students:
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.manual_score is not None and grade.needs_manual_grade:
                        grade.needs_manual_grade = False
        gb.db.commit()


_SAID = set()


def _say_once(line):
    """Print ``line`` to stderr once per process: once per run, not per assignment or submission."""
    if line not in _SAID:
        _SAID.add(line)
        print(line, file=sys.stderr)


def _marker(root, assignment, student):
    return Path(root) / "autograded" / student / assignment / RESUME_MARKER


@dataclass
class ClassReport:
    """The outcome of grading a class: results, and the students that could not be graded."""

    results: list
    errors: list            # (student, assignment, reason)
    skipped: list           # students already graded from the same files, tests, limits...
    csv_path: Path = None
    regraded: dict = field(default_factory=dict)   # student -> why graded again ("hidden tests", ...)


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
                progress=True, overrides=None, sandbox=True, scheduler=None, db=None, retries=2, executor=None):
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
        Regrade submissions already graded from the same files, tests,
        release, limits, engine, late rules and gradebook (otherwise they
        are skipped). Hand grades already given stay, and stay done.
    sandbox : bool
        Run learner code under bubblewrap (required unless False: then each
        row records "unsandboxed").
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a Dask scheduler: grade on its workers
        (:mod:`autograder.executors.dask_cluster`); default: processes here.
    db : str, optional
        The gradebook's SQLAlchemy URL (e.g. ``postgresql://...``); default:
        :func:`autograder.settings.db_url`.
    retries : int
        On a cluster, how many times a task that failed is run again.
    executor : GradingExecutor, optional
        Grade with this one instead (it stays open; the caller closes it).

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
    from tqdm.auto import tqdm

    root = Path(root).resolve()
    known = assignments(root) if (root / SOURCE_DIR).is_dir() else []
    if assignment not in known:
        raise GradingError(f"there is no assignment {assignment!r} in {root / SOURCE_DIR}: the course has "
                           f"{', '.join(known) or 'none'}")
    if engine == "trusted":
        overrides = sandbox_overrides(sandbox, overrides)
        from autograder import limits

        if progress:
            _say_once(limits.describe())
            if not sandbox:
                _say_once("WARNING: grading without a sandbox (--no-sandbox): learner code can read and write "
                          "what you can; every row records 'unsandboxed'")
    url = db_url(root, db)
    check_gradebook(url)  # before anything is graded: a wrong URL or login fails here
    # The reference solution, graded as the class will be: a broken environment
    # stops here, before any student's row is written.
    check_environment(root, assignment, engine, overrides)
    overrides = dict(overrides or {})
    overrides["CourseDirectory"] = {**overrides.get("CourseDirectory", {}), "db_url": url}
    release(root, [assignment], db=url)  # the gradebook must know the assignment's cells
    rules = late_rules(root, assignment)
    for section, values in rules.penalty.items():
        overrides[section] = {**overrides.get(section, {}), **values}
    collected = collect(Path(submissions) if submissions else root / "submitted", root, assignment,
                        tz=rules.timezone)
    errors = [(c.student, assignment, c.error) for c in collected if c.error]
    notes = {c.student: c.notes for c in collected}
    key = _grade_inputs(root, assignment, engine, overrides, url, rules)
    in_gradebook = _graded_in_gradebook(url, assignment)
    todo, skipped, regraded, same_files = [], [], {}, set()
    for c in collected:
        if c.error:
            continue
        marker = _marker(root, assignment, c.student)
        student_key = {**key, "files": _submission_digest(root, assignment, c.student)}
        why = _why_regrade(marker, student_key, c.student in in_gradebook)
        if RESUME_PARTS["files"] not in why and marker.exists():
            same_files.add(c.student)
        if why or force:
            todo.append(c.student)
            regraded[c.student] = why or ["--force"]
        else:
            skipped.append(c.student)
    add_students(url, {c.student: dict(zip(("first_name", "last_name"), split_name(c.display_name)),
                                       lms_user_id=c.lms_id if c.lms not in ("folder", "file") else None)
                       for c in collected if not c.error})
    apply_late_rules(url, assignment, rules, {c.student: c.lms_id for c in collected if c.student in todo})
    bar = tqdm(total=len(todo), desc=f"grading {assignment}", unit="submission", disable=not progress)
    owned = executor is None
    executor = executor or make_executor(scheduler, workers, retries)
    try:
        # Nothing left to grade: no need to reach a cluster at all.
        graded = executor.grade(Batch(str(root), assignment, todo, engine, overrides)) if todo else ()
        for student, reason in graded:
            if reason:
                errors.append((student, assignment, reason))
            else:
                # Written once the gradebook and files are: a rerun skips this
                # submission while nothing that made its grade changes.
                _marker(root, assignment, student).write_text(json.dumps(
                    {**key, "files": _submission_digest(root, assignment, student)}, indent=1))
            bar.update()
    finally:
        bar.close()
        if owned:
            executor.close()
    _keep_manual_grades_done(url, assignment, [s for s in todo if s in same_files])
    failed = {student for student, _, _ in errors}
    rows = [r for r in results(root, assignment, db=url) if r.student in {c.student for c in collected} - failed]
    for r in rows:
        r.flags += notes.get(r.student, [])
    report = ClassReport(rows, sorted(errors), skipped, regraded=regraded)
    report.csv_path = write_grades_csv(rows, root / f"grades-{assignment}.csv", report.errors)
    write_json_reports(rows, report.errors, root / "reports" / assignment)
    return report
