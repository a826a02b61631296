"""What an instructor reads after grading: the grades CSV, a JSON per student, a plain table.

Everything here is built for the whole class from the gradebook
(:func:`class_results`), not from the last run alone, and every piece of
learner-controlled text is made safe first (:mod:`autograder.safe_text`): CSV
cells cannot start a formula, terminal lines cannot carry escapes, and a
name that is not valid UTF-8 is written as ``\\xNN``. One student's bad record
never stops the others' rows.
"""

import csv
import json
import re
from pathlib import Path

from autograder.grading.results import results
from autograder.grading.safe_text import csv_row, printable

CSV_COLUMNS = ("student", "assignment", "status", "score", "max_score", "failed_tests", "pending_manual", "flags",
               "course_version", "notebook_sha256", "sandbox", "limits", "lms_id", "name", "grade")
PENDING = "pending"
"""What the ``grade`` column says while a written answer waits for a person."""


def provenance_cells(result):
    """The CSV's four provenance cells: how ``result`` was graded (empty where nothing was recorded)."""
    records = result.graded_with
    if not records:
        return ["", "", "", ""]
    sandbox = "bwrap" if all(r.sandboxed for r in records) else "unsandboxed"
    return [" ".join(sorted({r.course_version for r in records})),
            " ".join(f"{r.notebook}:{r.notebook_sha256}" if len(records) > 1 else r.notebook_sha256
                     for r in records),
            sandbox, " | ".join(sorted({r.limits_text() for r in records}))]


def final_grade(result):
    """The score to hand on, or :data:`PENDING` while a manual item waits (never 0 for it)."""
    return PENDING if result.pending else f"{result.score:g}"


def _grade_row(r, person):
    return ([r.student, r.assignment, "graded", f"{r.score:g}", f"{r.max_score:g}", " ".join(sorted(r.failed)),
             " ".join(sorted(r.pending)), "; ".join(sorted(set(map(str, r.flags))))]
            + provenance_cells(r) + [person.lms_id if person else "", person.name if person else "",
                                     final_grade(r)])


def write_grades_csv(rows, path, errors=(), roster=None):
    """Write one line per submission: status, score, maximum, failed and pending cells, flags, and how it was graded.

    Parameters
    ----------
    rows : list of SubmissionResult
    errors : iterable of (student, assignment, reason)
        Submissions that could not be graded; they get a line with the reason
        as their status and no score.
    roster : dict, optional
        student id -> :class:`~autograder.exports.Person` (LMS id and display
        name); without it those columns are empty.

    Every cell goes through :func:`~autograder.safe_text.csv_cell`. A row that
    cannot be written still gets a line, saying why.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    roster = roster or {}
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            try:
                writer.writerow(csv_row(_grade_row(r, roster.get(r.student))))
            except Exception as err:  # one bad record must not cost the rest of the class its rows
                writer.writerow(csv_row([r.student, r.assignment, f"not reported: {type(err).__name__}"]
                                        + [""] * (len(CSV_COLUMNS) - 3)))
        for student, assignment, reason in errors:
            person = roster.get(student)
            writer.writerow(csv_row([student, assignment, f"not graded: {reason}"] + [""] * (len(CSV_COLUMNS) - 6)
                                    + [person.lms_id if person else "", person.name if person else "", ""]))
    return path


def format_table(rows):
    """A plain-text grade table, one line per submission; names and ids shown escaped."""
    header = f"{'student':28s} {'score':>11s}  failed tests"
    lines = [header, "-" * len(header)]
    for r in rows:
        failed = ", ".join(sorted(r.failed)) or "-"
        pending = f"  (manual grading pending: {', '.join(sorted(r.pending))})" if r.pending else ""
        lines.append(printable(f"{printable(r.student):28s} {r.score:5g} / {r.max_score:<4g} {failed}{pending}"))
    return "\n".join(lines)


def format_tables(rows):
    """One :func:`format_table` per assignment, each under a ``== <assignment> ==`` heading."""
    assignments = dict.fromkeys(r.assignment for r in rows)
    return "\n\n".join(f"== {printable(a)} ==\n" + format_table([r for r in rows if r.assignment == a])
                       for a in assignments)


def report_path(folder, student):
    """``<folder>/<student>.json``, with a student id that is not one plain file name made one."""
    name = str(student)
    if name in ("", ".", "..") or "/" in name or "\x00" in name:
        name = re.sub(r"[/\x00]", "_", name).strip(".") or "unnamed"
    return Path(folder) / f"{name}.json"


def _write_json(path, data):
    # ensure_ascii: an undecodable byte (a lone surrogate) is written as an escape, not refused.
    path.write_text(json.dumps(data, indent=1, ensure_ascii=True), encoding="utf-8")


def write_json_reports(rows, errors, folder):
    """``<folder>/<student>.json``: every test of one submission, its points and message.

    Each student's report is written on its own: one that fails leaves a
    short report saying so, and the others are written all the same.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for r in rows:
        path = report_path(folder, r.student)
        try:
            data = r.to_dict()
            data["flags"] = [printable(flag) for flag in data["flags"]]
            _write_json(path, data)
        except Exception as err:
            _write_json(path, {"student": printable(r.student), "assignment": r.assignment,
                               "status": f"not reported: {type(err).__name__}", "tests": []})
    for student, assignment, reason in errors:
        _write_json(report_path(folder, student), {"student": student, "assignment": assignment,
                                                   "status": f"not graded: {printable(reason)}", "tests": []})


def class_results(root, assignment, db=None):
    """The whole class: every submission in the gradebook, and every one that could not be graded.

    The gradebook holds the scores; ``reports/<assignment>/<student>.json``
    (written by each run) adds what collection noted (repairs, flags), and
    names the students whose latest hand-in could not be graded. So a late
    batch of one student leaves the rest of the class in every export.

    Returns
    -------
    (list of SubmissionResult, list of (student, assignment, reason))
    """
    stored = {}
    for path in sorted((Path(root) / "reports" / assignment).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            stored[data["student"]] = data
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a student report (or a damaged one): the gradebook still has the grade
    rows, errors = [], []
    for r in results(root, assignment, db=db):
        data = stored.get(r.student, {})
        if str(data.get("status", "")).startswith("not graded"):
            errors.append((r.student, assignment, data["status"].removeprefix("not graded: ")))
            continue
        r.flags = sorted(set(map(str, r.flags)) | set(data.get("flags", [])))
        rows.append(r)
    graded = {r.student for r in rows} | {e[0] for e in errors}
    for student, data in sorted(stored.items()):
        if student not in graded and str(data.get("status", "")).startswith("not graded"):
            errors.append((student, assignment, data["status"].removeprefix("not graded: ")))
    return rows, sorted(errors)

