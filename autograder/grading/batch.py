"""Grade a whole class: collect, autograde in parallel, feedback, then the CSV and JSON reports."""

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from tqdm.auto import tqdm

from autograder.coursedir.nbgrader_api import GradingError
from autograder.coursedir.release import assignments, release
from autograder.grading.canary import check_environment, write_atomically
from autograder.grading.collect import collect
from autograder.grading.executor import Batch, LocalPool
from autograder.grading.gradebook_db import add_students, check_gradebook
from autograder.grading.late import apply_late_rules, late_rules
from autograder.grading.lms import split_name
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
    """A hash of the submitted files."""
    return folder_sha256(Path(root) / "submitted" / student / assignment)


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
    return {"release": folder_sha256(Path(root) / RELEASE_DIR / assignment),
            "tests": folder_sha256(Path(root) / SOURCE_DIR / assignment),
            "limits": hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest(),
            "engine": engine, "late": rules.digest(),
            "gradebook": hashlib.sha256(url.encode()).hexdigest()}


def _graded_in_gradebook(url, assignment):
    """Students whose submission of ``assignment`` the gradebook holds grades for."""
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
    known = assignments(root) if (root / SOURCE_DIR).is_dir() else []
    if assignment not in known:
        raise GradingError(f"there is no assignment {assignment!r} in {root / SOURCE_DIR}: the course has "
                           f"{', '.join(known) or 'none'}")
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
    rules = late_rules(root, assignment)
    for section, values in rules.penalty.items():
        overrides[section] = {**overrides.get(section, {}), **values}
    collected = collect(Path(submissions) if submissions else root / "submitted", root, assignment,
                        tz=rules.timezone, moodle_worksheet=options.moodle_worksheet)
    errors = [(c.student, assignment, c.error) for c in collected if c.error]
    notes = {c.student: c.notes for c in collected}
    key = _grade_inputs(root, assignment, engine, overrides, url, rules)
    in_gradebook = _graded_in_gradebook(url, assignment)
    todo, skipped, regraded, same_files = [], [], {}, set()
    # Students graded from an earlier download (a late batch is a download of
    # its own) are graded again from submitted/ when what made their grade
    # changed, so no grade in the gradebook stays stale.
    here = {c.student for c in collected}
    earlier = sorted(folder.parent.name for folder in (root / "submitted").glob(f"*/{assignment}")
                     if folder.parent.name not in here and _marker(root, assignment, folder.parent.name).exists())
    for student in [c.student for c in collected if not c.error] + earlier:
        marker = _marker(root, assignment, student)
        student_key = {**key, "files": _submission_digest(root, assignment, student)}
        why = _why_regrade(marker, student_key, student in in_gradebook)
        if student in earlier and not why:
            continue
        if RESUME_PARTS["files"] not in why and marker.exists():
            same_files.add(student)
        if why or options.force:
            todo.append(student)
            regraded[student] = why or ["--force"]
        else:
            skipped.append(student)
    add_students(url, {c.student: dict(zip(("first_name", "last_name"), split_name(c.display_name)),
                                       lms_user_id=c.lms_id if c.lms not in ("folder", "file") else None,
                                       email=c.email or None)
                       for c in collected if not c.error})
    lms_ids = {c.student: c.lms_id for c in collected}
    apply_late_rules(url, assignment, rules, {student: lms_ids.get(student, "") for student in todo})
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
    shown = ({c.student for c in collected} | set(todo)) - failed
    rows = [r for r in results(root, assignment, db=url) if r.student in shown]
    for r in rows:
        r.flags += notes.get(r.student, [])
    report = ClassReport(rows, sorted(errors), skipped, regraded=regraded)
    write_json_reports(rows, report.errors, root / "reports" / assignment)
    # The CSV covers the whole class in the gradebook, not only this run's students.
    report.csv_path = export(root, assignment, "csv", db=url).path
    return report
