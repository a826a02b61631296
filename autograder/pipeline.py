"""The grading steps: release, autograde, manual grades, feedback, grades CSV.

Each step wraps one nbgrader operation on a course directory and fails loudly
with nbgrader's own log when nbgrader reports a failure.
"""

import csv
import json
import logging
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.settings import (GRADING_REPORT_SUFFIX, RELEASE_DIR, REPO_ROOT, RESUME_MARKER, SOURCE_DIR, db_url,
                                 nbgrader_config)

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


class GradingError(RuntimeError):
    """An nbgrader step failed; the message carries nbgrader's log."""

    @property
    def reason(self):
        """The most specific line of nbgrader's log, for a one-line report."""
        generic = ("There was an error processing", "Please see the", "Traceback", "failed:")
        lines = [line.strip() for line in str(self).splitlines() if line.strip()]
        specific = [line for line in lines if line.startswith("[ERROR]") and not any(g in line for g in generic)]
        raised = [line for line in lines if re.match(r"^[\w.]+(Error|Exception)\b", line)]
        best = specific or raised[-1:] or lines or ["unknown error"]
        return best[0].removeprefix("[ERROR]").strip()[:300]


def assignments(root=REPO_ROOT):
    """Names of the assignments in ``<root>/source``, in course order."""
    return sorted(p.name for p in (Path(root) / SOURCE_DIR).iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


def _api(root, engine="trusted", overrides=None):
    # Imported here: nbgrader pulls in Jupyter's server stack, which the
    # notebooks importing `autograder.checks` never need.
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    # nbgrader runs the `alembic` command to open a gradebook; when this runs
    # as .venv/bin/python without an activated venv, that command is not on PATH.
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")

    # nbgrader's own gradebook code trips SQLAlchemy's autoflush warnings when
    # it creates a student; they say nothing to the person grading.
    from sqlalchemy.exc import SAWarning
    warnings.filterwarnings("ignore", category=SAWarning)

    config = nbgrader_config(root, engine)
    if overrides:
        from traitlets.config import Config

        config.merge(Config(overrides))
    if engine == "trusted" and not config.TrustedExecute.sandbox and not _api.warned:
        _api.warned = True
        print("WARNING: bubblewrap (bwrap) is not available: learner code runs without a sandbox "
              "(verdicts are still decided outside its kernel). Install it: apt-get install bubblewrap",
              file=sys.stderr)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    api.log.setLevel(logging.WARNING)
    return api


_api.warned = False


def _check(result, what):
    if not result.get("success"):
        raise GradingError(f"{what} failed:\n{result.get('error') or ''}\n{result.get('log') or ''}")
    return result


def _marked_lines(source, markers):
    """Lines strictly between each pair of ``markers`` in a cell's source."""
    inside, lines = False, []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == markers[0]:
            inside = True
        elif stripped == markers[1]:
            inside = False
        elif inside and stripped:
            lines.append(stripped)
    return lines


def release_leaks(source_nb, release_nb):
    """What of the instructor's notebook shows in the student's one.

    Parameters
    ----------
    source_nb, release_nb : nbformat.NotebookNode

    Returns
    -------
    list of str
        One line per leak: a solution or hidden-test marker, or a line of a
        solution or hidden test that appears in a released cell. Empty when
        the release is clean.
    """
    released = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source
                for cell in release_nb.cells}
    all_text = "\n".join(cell.source for cell in release_nb.cells)
    leaks = [f"marker {m!r} is in the release" for m in SOLUTION_MARKERS + HIDDEN_MARKERS if m in all_text]
    for cell in source_nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        released_lines = {line.strip() for line in released.get(grade_id, "").splitlines()}
        for markers, kind in ((SOLUTION_MARKERS, "solution"), (HIDDEN_MARKERS, "hidden test")):
            for line in _marked_lines(cell.source, markers):
                # A line may also stand in the visible part of the cell (a test
                # repeats `p = checks.call(...)`); only lines the release should
                # not have count.
                if line in released_lines and line not in _unmarked_lines(cell.source):
                    leaks.append(f"{grade_id}: {kind} line {line!r} is in the release")
    return leaks


def _unmarked_lines(source):
    """Lines outside every solution and hidden-test region: what the release keeps."""
    markers = {m: True for m in SOLUTION_MARKERS[:1] + HIDDEN_MARKERS[:1]}
    markers.update({m: False for m in SOLUTION_MARKERS[1:] + HIDDEN_MARKERS[1:]})
    inside, lines = False, set()
    for line in source.splitlines():
        stripped = line.strip()
        if stripped in markers:
            inside = markers[stripped]
        elif not inside:
            lines.add(stripped)
    return lines


def release(root=REPO_ROOT, names=None):
    """Generate ``<root>/notebooks/<assignment>`` from ``<root>/source`` and verify it.

    Returns
    -------
    list of Path
        The released notebooks.

    Raises
    ------
    GradingError
        If nbgrader fails or a released notebook leaks a solution or hidden test.
    """
    root = Path(root)
    api = _api(root)
    written = []
    for name in names or assignments(root):
        if not (root / SOURCE_DIR / name).is_dir():
            raise GradingError(f"no assignment {name!r} in {root / SOURCE_DIR}: "
                               f"choose one of {', '.join(assignments(root))}")
        _check(api.generate_assignment(name, force=True, create=True), f"releasing {name}")
        for source_path in sorted((root / SOURCE_DIR / name).glob("*.ipynb")):
            release_path = root / RELEASE_DIR / name / source_path.name
            leaks = release_leaks(nbformat.read(source_path, as_version=4),
                                  nbformat.read(release_path, as_version=4))
            if leaks:
                raise GradingError(f"{release_path} leaks instructor content:\n  " + "\n  ".join(leaks))
            written.append(release_path)
    return written


def autograde(root, assignment, student, engine="trusted", overrides=None):
    """Autograde one submission in ``<root>/submitted/<student>/<assignment>``.

    ``engine`` is ``"trusted"`` (sandboxed kernel, verdicts in the grader) or
    ``"nbgrader"`` (stock nbgrader); see :func:`autograder.settings.nbgrader_config`.
    ``overrides`` is nbgrader configuration merged on top, e.g.
    ``{"TrustedExecute": {"cell_timeout": 10}}``.
    """
    return _check(_api(root, engine, overrides).autograde(assignment, student, force=True, create=True),
                  f"autograding {student}/{assignment}")


def generate_feedback(root, assignment, student=None, overrides=None):
    """Write feedback HTML under ``<root>/feedback/<student>/<assignment>``."""
    return _check(_api(root, overrides=overrides).generate_feedback(assignment, student, force=True),
                  f"feedback for {assignment}")


@dataclass
class TestResult:
    """One grade cell of one submission."""

    grade_id: str
    points: float
    max_points: float
    manual: bool = False              # a written answer (or code) that a person grades
    needs_manual_grade: bool = False  # ... and has not been graded yet


@dataclass
class SubmissionResult:
    """What the gradebook holds for one student's assignment."""

    student: str
    assignment: str
    tests: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    messages: dict = field(default_factory=dict)

    @property
    def score(self):
        return sum(t.points for t in self.tests)

    @property
    def max_score(self):
        return sum(t.max_points for t in self.tests)

    @property
    def failed(self):
        """grade ids of autograded tests that lost points."""
        return {t.grade_id for t in self.tests if not t.manual and t.points < t.max_points}

    @property
    def pending(self):
        """grade ids still waiting for a manual grade."""
        return {t.grade_id for t in self.tests if t.needs_manual_grade}


def _grading_reports(root, assignment, student):
    """The trusted engine's ``*.grading.json`` of one submission (none for stock nbgrader)."""
    folder = Path(root) / "autograded" / student / assignment
    reports = []
    for path in sorted(folder.glob(f"*{GRADING_REPORT_SUFFIX}")):
        try:
            reports.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            reports.append({"flags": ["grading report unreadable"], "tests": []})
    return reports


def results(root, assignment):
    """Per-student, per-cell scores from the gradebook at ``root``, with flags and messages."""
    from nbgrader.api import Gradebook

    out = []
    with Gradebook(db_url(root)) as gb:
        for submission in gb.assignment_submissions(assignment):
            result = SubmissionResult(submission.student.id, assignment)
            for report in _grading_reports(root, assignment, result.student):
                result.flags += report.get("flags", [])
                result.messages.update({t["grade_id"]: t["message"] for t in report.get("tests", [])
                                        if t.get("message")})
            for notebook in submission.notebooks:
                manual = {cell.name for cell in notebook.notebook.solution_cells}
                for grade in notebook.grades:
                    result.tests.append(TestResult(
                        grade.name, float(grade.score or 0), float(grade.max_score),
                        grade.name in manual, bool(grade.needs_manual_grade)))
            out.append(result)
    return sorted(out, key=lambda r: r.student)


def set_manual_grades(root, assignment, student, scores):
    """Record manual grades, as an instructor would in formgrader.

    Parameters
    ----------
    scores : dict
        grade id -> points.
    """
    from nbgrader.api import Gradebook

    with Gradebook(db_url(root)) as gb:
        submission = gb.find_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in scores:
                    grade.manual_score = float(scores[grade.name])
                    grade.needs_manual_grade = False
        gb.db.commit()


CSV_COLUMNS = ("student", "assignment", "status", "score", "max_score", "failed_tests", "pending_manual", "flags")


def write_grades_csv(rows, path, errors=()):
    """Write one line per submission: status, score, maximum, failed and pending cells.

    Parameters
    ----------
    rows : list of SubmissionResult
    errors : iterable of (student, assignment, reason)
        Submissions that could not be graded; they get a line with the reason
        as their status and no score.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            writer.writerow([r.student, r.assignment, "graded", f"{r.score:g}", f"{r.max_score:g}",
                             " ".join(sorted(r.failed)), " ".join(sorted(r.pending)), "; ".join(sorted(set(r.flags)))])
        for student, assignment, reason in errors:
            writer.writerow([student, assignment, f"not graded: {reason}", "", "", "", "", ""])
    return path


def format_table(rows):
    """A plain-text grade table, one line per submission."""
    header = f"{'student':28s} {'score':>11s}  failed tests"
    lines = [header, "-" * len(header)]
    for r in rows:
        failed = ", ".join(sorted(r.failed)) or "-"
        pending = f"  (manual grading pending: {', '.join(sorted(r.pending))})" if r.pending else ""
        lines.append(f"{r.student:28s} {r.score:5g} / {r.max_score:<4g} {failed}{pending}")
    return "\n".join(lines)


def failure_messages(notebook_path):
    """grade id -> what the learner should read, for each test cell that failed.

    A check's own message is given as it is; any other error as ``Name: text``.
    Tracebacks are left out: they would show the code of hidden tests.
    """
    nb = nbformat.read(notebook_path, as_version=4)
    messages = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        for output in cell.get("outputs", []) if grade_id else ():
            if output.output_type == "error":
                text = output.evalue if output.ename == "CheckFailure" else f"{output.ename}: {output.evalue}"
                messages[grade_id] = text
                break
            if output.output_type == "stream" and output.name == "stderr":
                first = output.text.strip().splitlines()[0] if output.text.strip() else ""
                messages[grade_id] = f"the test cell wrote to stderr, which nbgrader counts as a failure: {first}"
    return messages


def _assignment_of(notebook_path, root=REPO_ROOT):
    """The assignment a learner's notebook belongs to, from its folder or its file name."""
    by_folder = Path(root) / SOURCE_DIR / notebook_path.parent.name / notebook_path.name
    if by_folder.is_file():
        return notebook_path.parent.name
    matches = sorted(p.parent.name for p in (Path(root) / SOURCE_DIR).glob(f"*/{notebook_path.name}"))
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(f"{a}/{p.name}" for a in assignments(root)
                      for p in sorted((Path(root) / SOURCE_DIR / a).glob("*.ipynb")))
    raise GradingError(f"{notebook_path.name} is not a notebook of this course; the course has {names}. "
                       "Keep the file name of the released notebook.")


def check_notebook(notebook_path):
    """Grade one learner notebook offline, without touching any gradebook.

    Runs the same visible and hidden tests as the instructor's grading in a
    scratch course that is deleted afterwards.

    Returns
    -------
    (SubmissionResult, dict)
        The scores, and grade id -> message for each failed test.
    """
    import shutil
    import tempfile

    path = Path(notebook_path).resolve()
    if not path.is_file():
        raise GradingError(f"{path} does not exist")
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as err:  # nbformat raises several unrelated types for bad files
        raise GradingError(f"{path} is not a valid notebook ({type(err).__name__}: {str(err)[:200]}). "
                           "Open it in JupyterLab to repair it, or copy your code into a fresh copy "
                           "of the released notebook.") from err
    assignment = _assignment_of(path)
    with tempfile.TemporaryDirectory(prefix="nn-check-") as tmp:
        root = Path(tmp)
        shutil.copytree(REPO_ROOT / SOURCE_DIR / assignment, root / SOURCE_DIR / assignment)
        _check(_api(root).generate_assignment(assignment, force=True, create=True), f"preparing {assignment}")
        (root / ".grading-seed").write_text("0")  # self-checks need no secret: same inputs every run
        target = root / "submitted" / "me" / assignment
        target.mkdir(parents=True)
        shutil.copy(path, target / path.name)
        autograde(root, assignment, "me")
        (result,) = results(root, assignment)
        messages = failure_messages(root / "autograded" / "me" / assignment / path.name)
    return result, messages


def _submission_digest(root, assignment, student):
    """A hash of the submitted files: regrading is skipped while it matches."""
    import hashlib

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


def grade_class(root, assignment, submissions=None, workers=None, force=False, engine="trusted",
                progress=True, overrides=None):
    """Collect, autograde (in parallel), write feedback, a grades CSV and per-student JSON.

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

    Returns
    -------
    ClassReport
    """
    from concurrent.futures import ProcessPoolExecutor, as_completed
    import multiprocessing

    from tqdm.auto import tqdm

    from autograder.collect import collect

    root = Path(root).resolve()
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


def write_json_reports(rows, errors, folder):
    """``<folder>/<student>.json``: every test of one submission, its points and message."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for r in rows:
        (folder / f"{r.student}.json").write_text(json.dumps({
            "student": r.student, "assignment": r.assignment, "status": "graded",
            "score": r.score, "max_score": r.max_score, "flags": sorted(set(r.flags)),
            "tests": [{"grade_id": t.grade_id, "points": t.points, "max_points": t.max_points,
                       "kind": "manual" if t.manual else "auto",
                       "message": r.messages.get(t.grade_id, "")} for t in r.tests]}, indent=1))
    for student, assignment, reason in errors:
        (folder / f"{student}.json").write_text(json.dumps({
            "student": student, "assignment": assignment, "status": f"not graded: {reason}", "tests": []}))
